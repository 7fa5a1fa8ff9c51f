import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { initI18n } from './i18n';
import { App } from './App';
import { editorStore } from './store/editor';
import { sessionStore, startLiveValidation } from './store/session';
import { restoreDraft, startDraftAutosave } from './store/persist';

const i18n = initI18n();
document.documentElement.lang = i18n.language === 'zh' ? 'zh-CN' : 'en';
restoreDraft(editorStore, 'cart_recovery');
startDraftAutosave(editorStore);
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
