import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { initI18n } from './i18n';
import { App } from './App';
import { editorStore } from './store/editor';
import { sessionStore, startLiveValidation } from './store/session';
import { localDraftSink, restoreDraft, setActiveAutosave, startDraftAutosave, tauriDraftSink } from './store/persist';
import { TauriBackend } from './backend';

const i18n = initI18n();
document.documentElement.lang = i18n.language === 'zh' ? 'zh-CN' : 'en';
// In the desktop app drafts and their history live in the shell's local.db; in a browser, in
// local storage. The window renders once the draft is back, so nothing edits the template first.
const backend = sessionStore.getState().backend;
const sink = backend instanceof TauriBackend ? tauriDraftSink(backend) : localDraftSink;

void restoreDraft(editorStore, 'cart_recovery', sink).finally(() => {
  setActiveAutosave(
    startDraftAutosave(editorStore, sink, 800, (e) => console.warn('trellis: the draft was not saved', e)),
  );
  startLiveValidation(editorStore, sessionStore);
  void sessionStore.getState().checkHealth();

  const root = document.getElementById('root');
  if (root) {
    createRoot(root).render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
  }
});
