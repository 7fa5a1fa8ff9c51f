// The draft survives a reload: the document is saved to local storage shortly after each change
// (the desktop shell will keep drafts and their history in SQLite; this is the browser's copy).

import type { StoreApi } from 'zustand/vanilla';
import type { EditorState } from './editor';

const KEY = 'trellis.draft';

interface Draft {
  text: string;
  fileName: string;
  savedText: string;
}

export function restoreDraft(editor: StoreApi<EditorState>, fallbackTemplate: string): void {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    if (raw) {
      const d = JSON.parse(raw) as Draft;
      editor.getState().load(d.text, d.fileName);
      editor.getState().markSaved(d.savedText);
      return;
    }
  } catch {
    // a broken draft: start from the template
  }
  editor.getState().loadTemplate(fallbackTemplate);
}

export function startDraftAutosave(editor: StoreApi<EditorState>, delayMs = 800): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const unsub = editor.subscribe((s, prev) => {
    if (s.doc === prev.doc && s.savedText === prev.savedText) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const st = editor.getState();
      const draft: Draft = { text: st.exportText(), fileName: st.fileName, savedText: st.savedText };
      try {
        globalThis.localStorage?.setItem(KEY, JSON.stringify(draft));
      } catch {
        // storage full or unavailable: the draft lives in memory only
      }
    }, delayMs);
  });
  return () => {
    if (timer) clearTimeout(timer);
    unsub();
  };
}
