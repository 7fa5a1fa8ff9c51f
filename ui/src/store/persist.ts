// The draft survives a reload: the document is saved shortly after each change. In a browser it
// goes to local storage (one draft); in the desktop app to the shell's local.db (`save_draft`),
// where each draft, named by its file name, keeps a history of versions.

import type { StoreApi } from 'zustand/vanilla';
import type { DraftText, TauriBackend } from '../backend';
import type { EditorState } from './editor';

const KEY = 'trellis.draft';

export interface Draft {
  text: string;
  fileName: string;
  savedText: string;
}

/** Where drafts go: local storage or the desktop app's local.db. */
export interface DraftSink {
  /** The draft to start from, or null for none. */
  restore(): Promise<Draft | null>;
  save(d: Draft): Promise<void>;
}

export const localDraftSink: DraftSink = {
  async restore() {
    const raw = globalThis.localStorage?.getItem(KEY);
    return raw ? (JSON.parse(raw) as Draft) : null;
  },
  async save(d) {
    try {
      globalThis.localStorage?.setItem(KEY, JSON.stringify(d));
    } catch {
      // storage full or unavailable: the draft lives in memory only
    }
  },
};

export function draftOf(t: DraftText): Draft {
  return { text: t.text, fileName: t.name, savedText: t.saved_text ?? t.text };
}

/** local.db through the shell's commands; the most recently saved draft is the one restored.
 * While local.db has no draft, the webview's local-storage draft (from builds before local.db
 * held drafts) is restored, and the autosave then moves it into local.db. */
export function tauriDraftSink(backend: Pick<TauriBackend, 'listDrafts' | 'loadDraft' | 'saveDraft'>): DraftSink {
  return {
    async restore() {
      const [latest] = await backend.listDrafts();
      return latest ? draftOf(await backend.loadDraft(latest.name)) : localDraftSink.restore();
    },
    async save(d) {
      await backend.saveDraft(d.fileName, d.text, d.savedText);
    },
  };
}

export function currentDraft(editor: StoreApi<EditorState>): Draft {
  const st = editor.getState();
  return { text: st.exportText(), fileName: st.fileName, savedText: st.savedText };
}

/** Puts a draft into the editor (its "unsaved" mark as it was). */
export function applyDraft(editor: StoreApi<EditorState>, d: Draft): void {
  editor.getState().load(d.text, d.fileName);
  editor.getState().markSaved(d.savedText);
}

/** Restores the last draft, or loads the template when there is none, it is broken, or the
 * store has not answered within `timeoutMs` (the window waits for this before it renders). */
export async function restoreDraft(
  editor: StoreApi<EditorState>,
  fallbackTemplate: string,
  sink: DraftSink = localDraftSink,
  timeoutMs = 5000,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    const d = await Promise.race([sink.restore(), late]);
    if (d) {
      applyDraft(editor, d);
      return;
    }
  } catch {
    // a broken draft or store: start from the template
  } finally {
    clearTimeout(timer);
  }
  editor.getState().loadTemplate(fallbackTemplate);
}

export interface Autosave {
  stop(): void;
  /** Saves now what a pending timer would save (before opening another draft). */
  flush(): Promise<void>;
}

export function startDraftAutosave(
  editor: StoreApi<EditorState>,
  sink: DraftSink = localDraftSink,
  delayMs = 800,
  onError: (e: unknown) => void = () => undefined,
): Autosave {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = async () => {
    timer = undefined;
    try {
      await sink.save(currentDraft(editor));
    } catch (e) {
      onError(e);
    }
  };
  const unsub = editor.subscribe((s, prev) => {
    if (s.doc === prev.doc && s.savedText === prev.savedText) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void save(), delayMs);
  });
  return {
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      unsub();
    },
    async flush() {
      if (!timer) return;
      clearTimeout(timer);
      await save();
    },
  };
}

/** The running autosave, so the Drafts panel can flush it before switching drafts. */
let active: Autosave | null = null;

export function setActiveAutosave(a: Autosave | null): void {
  active = a;
}

export async function flushAutosave(): Promise<void> {
  await active?.flush();
}
