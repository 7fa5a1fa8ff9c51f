import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { TauriBackend } from '../backend';
import { initI18n, setLang } from '../i18n';
import { App } from '../App';
import { createEditorStore, editorStore, isDirty } from '../store/editor';
import { sessionStore } from '../store/session';
import { localDraftSink, restoreDraft, setActiveAutosave, startDraftAutosave, tauriDraftSink } from '../store/persist';
import { DraftsPanel } from '../views/DraftsPanel';
import { fakeDraftsInvoke } from './fakeDrafts';

beforeAll(() => {
  initI18n();
  setLang('en');
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  setActiveAutosave(null);
  globalThis.localStorage?.clear();
});

describe('the draft autosave in the desktop app (local.db)', () => {
  it('saves through save_draft, debounced, named by the file name', async () => {
    vi.useFakeTimers();
    const fake = fakeDraftsInvoke();
    const editor = createEditorStore();
    editor.getState().loadTemplate('welcome');
    const auto = startDraftAutosave(editor, tauriDraftSink(new TauriBackend(fake.invoke)), 800);
    editor.getState().addJourney();
    editor.getState().addJourney();
    await vi.advanceTimersByTimeAsync(799);
    expect(fake.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls.map((c) => c[0])).toEqual(['save_draft']);
    const args = fake.calls[0]![1];
    expect(args.name).toBe(editor.getState().fileName);
    expect(args.text).toBe(editor.getState().exportText());
    expect(args.saved_text).toBe(editor.getState().savedText);
    expect(fake.drafts.get(String(args.name))?.versions.length).toBe(1);
    auto.stop();
  });

  it('flushes a pending save at once, and reports a failed save without throwing', async () => {
    vi.useFakeTimers();
    const fake = fakeDraftsInvoke();
    const editor = createEditorStore();
    editor.getState().loadTemplate('welcome');
    const errors: unknown[] = [];
    const failing = new TauriBackend(async () => {
      throw { code: 'E_INTERNAL', message: 'disk full' };
    });
    const auto = startDraftAutosave(editor, tauriDraftSink(failing), 800, (e) => errors.push(e));
    editor.getState().addJourney();
    await auto.flush();
    expect(errors).toMatchObject([{ code: 'E_INTERNAL' }]);
    auto.stop();

    const ok = startDraftAutosave(editor, tauriDraftSink(new TauriBackend(fake.invoke)), 800);
    editor.getState().addJourney();
    await ok.flush();
    expect(fake.calls.map((c) => c[0])).toEqual(['save_draft']);
    await ok.flush(); // nothing pending
    expect(fake.calls.length).toBe(1);
    ok.stop();
  });

  it('restores the most recently saved draft with its unsaved mark', async () => {
    const fake = fakeDraftsInvoke();
    const backend = new TauriBackend(fake.invoke);
    const a = createEditorStore();
    a.getState().loadTemplate('welcome');
    const welcome = a.getState().exportText();
    await backend.saveDraft('old.json', welcome, welcome);
    a.getState().addJourney();
    const edited = a.getState().exportText();
    await backend.saveDraft('new.json', edited, welcome);

    const b = createEditorStore();
    await restoreDraft(b, 'cart_recovery', tauriDraftSink(backend));
    expect(b.getState().fileName).toBe('new.json');
    expect(b.getState().exportText()).toBe(edited);
    expect(isDirty(b.getState())).toBe(true);
  });

  it('starts from the template when there is no draft or local.db fails', async () => {
    const empty = createEditorStore();
    await restoreDraft(empty, 'winback', tauriDraftSink(new TauriBackend(fakeDraftsInvoke().invoke)));
    expect(empty.getState().fileName).toContain('winback');
    const broken = createEditorStore();
    const failing = new TauriBackend(async () => {
      throw { code: 'E_INTERNAL', message: 'no db' };
    });
    await restoreDraft(broken, 'winback', tauriDraftSink(failing));
    expect(broken.getState().fileName).toContain('winback');
  });

  it('takes over the local-storage draft of an older build while local.db has none', async () => {
    const old = createEditorStore();
    old.getState().loadTemplate('activation');
    old.getState().addJourney();
    globalThis.localStorage.setItem(
      'trellis.draft',
      JSON.stringify({ text: old.getState().exportText(), fileName: 'mine.json', savedText: '' }),
    );
    const fake = fakeDraftsInvoke();
    const e = createEditorStore();
    await restoreDraft(e, 'winback', tauriDraftSink(new TauriBackend(fake.invoke)));
    expect(e.getState().fileName).toBe('mine.json');
    expect(e.getState().exportText()).toBe(old.getState().exportText());
  });

  it('does not wait for a store that never answers', async () => {
    vi.useFakeTimers();
    const e = createEditorStore();
    const done = restoreDraft(e, 'winback', { restore: () => new Promise(() => undefined), save: async () => undefined }, 5000);
    await vi.advanceTimersByTimeAsync(4999);
    expect(e.getState().fileName).not.toContain('winback');
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(e.getState().fileName).toContain('winback');
  });

  it('keeps local storage in the browser', async () => {
    vi.useFakeTimers();
    const a = createEditorStore();
    a.getState().loadTemplate('welcome');
    const auto = startDraftAutosave(a, localDraftSink, 10);
    a.getState().addJourney();
    await vi.advanceTimersByTimeAsync(10);
    auto.stop();
    expect(globalThis.localStorage.getItem('trellis.draft')).toContain(a.getState().fileName);
    const b = createEditorStore();
    await restoreDraft(b, 'cart_recovery', localDraftSink);
    expect(b.getState().exportText()).toBe(a.getState().exportText());
  });
});

describe('the Drafts panel', () => {
  async function seeded() {
    const fake = fakeDraftsInvoke();
    const backend = new TauriBackend(fake.invoke);
    const e = createEditorStore();
    e.getState().loadTemplate('welcome');
    const v1 = e.getState().exportText();
    await backend.saveDraft('w.json', v1, v1);
    e.getState().addJourney();
    const v2 = e.getState().exportText();
    await backend.saveDraft('w.json', v2, v1);
    await backend.saveDraft('other.json', v1, v1);
    return { fake, backend, v1, v2 };
  }

  it('lists drafts, shows a history and restores an old version into the editor', async () => {
    const { backend, v1 } = await seeded();
    editorStore.getState().loadTemplate('cart_recovery');
    const onClose = vi.fn();
    render(<DraftsPanel api={backend} onClose={onClose} />);
    await screen.findByTestId('drafts-list');
    expect(screen.getByTestId('draft-w.json').getAttribute('data-versions')).toBe('2');
    expect(screen.getByTestId('draft-other.json').getAttribute('data-versions')).toBe('1');
    fireEvent.click(screen.getByTestId('draft-w.json'));
    await screen.findByTestId('draft-version-2');
    expect(screen.getByTestId('draft-version-1').textContent).toContain('journeys 1');
    await act(async () => {
      fireEvent.click(screen.getByTestId('draft-restore-1'));
    });
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(editorStore.getState().fileName).toBe('w.json');
    expect(editorStore.getState().exportText()).toBe(v1);
  });

  it('opens the latest version and deletes a draft', async () => {
    const { backend, fake, v2 } = await seeded();
    const onClose = vi.fn();
    render(<DraftsPanel api={backend} onClose={onClose} />);
    fireEvent.click(await screen.findByTestId('draft-w.json'));
    await act(async () => {
      fireEvent.click(screen.getByTestId('draft-open'));
    });
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(editorStore.getState().exportText()).toBe(v2);

    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(true);
    fireEvent.click(screen.getByTestId('draft-other.json'));
    await act(async () => {
      fireEvent.click(screen.getByTestId('draft-delete'));
    });
    await waitFor(() => expect(screen.queryByTestId('draft-other.json')).toBeNull());
    expect(fake.drafts.has('other.json')).toBe(false);
    confirm.mockRestore();
  });

  it('shows a coded error from local.db', async () => {
    const failing = new TauriBackend(async () => {
      throw { code: 'E_INTERNAL', message: 'local.db: disk I/O error' };
    });
    render(<DraftsPanel api={failing} onClose={() => undefined} />);
    expect((await screen.findByTestId('drafts-error')).textContent).toContain('internal');
  });

  it('is offered in the desktop app only', async () => {
    const fake = fakeDraftsInvoke();
    sessionStore.getState().setBackend(null);
    const { unmount } = render(<App />);
    expect(screen.queryByTestId('drafts')).toBeNull();
    unmount();
    await act(async () => {
      sessionStore.getState().setBackend(new TauriBackend(fake.invoke));
    });
    render(<App />);
    fireEvent.click(screen.getByTestId('drafts'));
    expect(await screen.findByTestId('drafts-empty')).toBeTruthy();
    fireEvent.click(screen.getByTestId('drafts-close'));
    expect(screen.queryByTestId('drafts-panel')).toBeNull();
    await act(async () => {
      sessionStore.getState().setBackend(null);
    });
  });
});
