// The application shell: header (views, file menu, language, engine connection) and the view.

import { useMemo, useRef, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { TauriBackend } from './backend';
import { errorText } from './common/ui';
import { ImportError } from './model/json';
import { TEMPLATES } from './model/samples';
import { editorStore, isDirty, useEditor } from './store/editor';
import { useSession, sessionStore, type View } from './store/session';
import { setLang, type Lang } from './i18n';
import { docCurrency, policyZone, setDisplayCurrency, setDisplayZone } from './model/format';
import { DesignView } from './views/DesignView';
import { SimulateView } from './views/SimulateView';
import { ReviewView } from './views/ReviewView';
import { MonitorView } from './views/MonitorView';
import { EngineSettings } from './views/EngineSettings';
import { DraftsPanel } from './views/DraftsPanel';

const VIEWS: View[] = ['design', 'simulate', 'review', 'monitor'];

function download(text: string, fileName: string) {
  const blob = new Blob([text], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Whether the document has anything a template would throw away (a node, an offer, a second journey). */
export function hasContent(doc: ReturnType<typeof editorStore.getState>['doc']): boolean {
  return (doc.offers?.length ?? 0) > 0 || (doc.journeys?.length ?? 0) > 1 || (doc.journeys ?? []).some((j) => (j.nodes?.length ?? 0) > 0);
}

/** A template replaces the whole workspace: ask first, naming it, whenever there is something to lose. */
export function confirmTemplate(t: (k: string, o?: Record<string, unknown>) => string, name: string): boolean {
  const s = editorStore.getState();
  if (!hasContent(s.doc)) return true;
  return window.confirm(t(isDirty(s) ? 'templateConfirm.unsaved' : 'templateConfirm.replace', { name }));
}

function FileMenu() {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const doc = useEditor((s) => s.doc);
  const savedText = useEditor((s) => s.savedText);
  const fileName = useEditor((s) => s.fileName);
  const dirty = useMemo(() => isDirty(editorStore.getState()), [doc, savedText]);
  // The desktop app keeps drafts and their history in its local.db.
  const backend = useSession((s) => s.backend);
  const [draftsOpen, setDraftsOpen] = useState(false);

  const guard = () => !isDirty(editorStore.getState()) || window.confirm(t('app.file.confirmReplace'));

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file || !guard()) return;
    try {
      editorStore.getState().load(await file.text(), file.name);
      setError(null);
    } catch (err) {
      setError(t('app.file.importFailed', { message: err instanceof ImportError || err instanceof Error ? err.message : String(err) }));
    }
  };

  return (
    <div className="file-menu">
      <div className="menu">
        <button type="button" onClick={() => setOpen(!open)} data-testid="menu-new" aria-expanded={open}>
          {t('app.file.new')} ▾
        </button>
        {open ? (
          <div className="menu-list" role="menu" onMouseLeave={() => setOpen(false)}>
            <button
              type="button"
              role="menuitem"
              data-testid="new-blank"
              onClick={() => {
                setOpen(false);
                if (guard()) editorStore.getState().newWorkspace();
              }}
            >
              {t('app.file.blank')}
            </button>
            <div className="menu-sep">{t('app.file.templates')}</div>
            {TEMPLATES.map((tpl) => (
              <button
                key={tpl.id}
                type="button"
                role="menuitem"
                data-testid={`template-${tpl.id}`}
                onClick={() => {
                  setOpen(false);
                  if (confirmTemplate(t, t(`templates.${tpl.id}`))) editorStore.getState().loadTemplate(tpl.id);
                }}
              >
                {t(`templates.${tpl.id}`)} <span className="muted">{tpl.file}</span>
              </button>
            ))}
          </div>
        ) : null}
      </div>
      <button type="button" onClick={() => input.current?.click()} data-testid="import">
        {t('app.file.import')}
      </button>
      <input ref={input} type="file" accept=".json,application/json" hidden onChange={(e) => void onFile(e)} data-testid="import-input" />
      <button
        type="button"
        data-testid="export"
        onClick={async () => {
          const s = editorStore.getState();
          const text = s.exportText();
          const backend = sessionStore.getState().backend;
          try {
            if (backend instanceof TauriBackend) {
              if ((await backend.saveFile(s.fileName, text, t('dialogs.save'))) === null) return;
            } else download(text, s.fileName);
            s.markSaved(text);
          } catch (e) {
            setError(errorText(t, e));
          }
        }}
      >
        {t('app.file.export')}
      </button>
      {backend instanceof TauriBackend ? (
        <button type="button" onClick={() => setDraftsOpen(true)} data-testid="drafts">
          {t('app.file.drafts')}
        </button>
      ) : null}
      {draftsOpen && backend instanceof TauriBackend ? <DraftsPanel api={backend} onClose={() => setDraftsOpen(false)} /> : null}
      <span className="file-name" title={dirty ? t('app.file.dirty') : undefined}>
        {fileName}
        {dirty ? ' •' : ''}
      </span>
      {error ? (
        <div className="banner banner-error" role="alert">
          {error}{' '}
          <button type="button" className="link" onClick={() => setError(null)}>
            ✕
          </button>
        </div>
      ) : null}
    </div>
  );
}

function ImportIssues() {
  const { t } = useTranslation();
  const issues = useEditor((s) => s.importIssues);
  const [hidden, setHidden] = useState<unknown>(null);
  if (issues.length === 0 || hidden === issues) return null;
  return (
    <div className="banner banner-warning" data-testid="import-issues">
      {issues.slice(0, 5).map((i, k) => (
        <div key={k}>{i.kind === 'number' ? t('app.file.issues.number', { lexeme: i.lexeme, becomes: i.becomes }) : t(`app.file.issues.${i.kind}`)}</div>
      ))}
      <button type="button" className="link" onClick={() => setHidden(issues)}>
        {t('common.close')}
      </button>
    </div>
  );
}

function EngineStatus() {
  const { t } = useTranslation();
  const health = useSession((s) => s.health);
  const backend = useSession((s) => s.backend);
  return (
    <button type="button" className={`engine-status engine-${health}`} onClick={() => sessionStore.getState().openSettings(true)} data-testid="engine-status" title={backend?.target}>
      <span className="dot" /> {t(`engine.status.${health}`)}
    </button>
  );
}

/**
 * Who you are, in the header: the bundled engine's local user the app acts as (author or
 * reviewer, with the switch), or on a remote engine the token's user and role (`GET /v1/me`).
 */
export function IdentityBadge() {
  const { t } = useTranslation();
  const identity = useSession((s) => s.identity);
  const [error, setError] = useState<unknown>(null);
  if (!identity) return null;
  const role = identity.role ? t(`identity.roles.${identity.role}`, { defaultValue: identity.role }) : null;
  const other = identity.acting === 'reviewer' ? 'author' : 'reviewer';
  return (
    <div className="identity" data-testid="identity" data-acting={identity.acting ?? ''} data-name={identity.name ?? ''}>
      <span
        className="identity-who"
        title={identity.engine === 'bundled' ? `${identity.name} · ${role ?? ''} — ${t('identity.bundledHint')}` : identity.name ? `${identity.name} · ${role ?? ''} — ${t('identity.remoteHint', { url: identity.url })}` : identity.url}
      >
        {identity.engine === 'bundled' ? (
          <>
            {t('identity.you')}: <b data-testid="identity-name">{identity.acting ? t(`identity.acting.${identity.acting}`) : identity.name}</b>{' '}
            <span className="identity-user">{identity.name}</span>
          </>
        ) : identity.name ? (
          <>
            {t('identity.remoteEngine')} · {t('identity.you')}: <b data-testid="identity-name">{identity.name}</b>
            {role ? <span className="identity-user" data-testid="identity-role">{role}</span> : null}
          </>
        ) : (
          t('identity.remote')
        )}
      </span>
      {identity.can_switch ? (
        <button
          type="button"
          className="link"
          title={t('identity.switchHint')}
          data-testid="identity-switch"
          onClick={() => {
            setError(null);
            sessionStore
              .getState()
              .switchIdentity(other)
              .catch((e: unknown) => setError(e));
          }}
        >
          {t(other === 'reviewer' ? 'identity.switchToReviewer' : 'identity.switchToAuthor')}
        </button>
      ) : null}
      {error ? <span className="warn-text">{errorText(t, error)}</span> : null}
    </div>
  );
}

export function App() {
  const { t, i18n } = useTranslation();
  // Times read in the policy's zone and money in the campaigns' currency, app-wide: set before the
  // views render (they re-render with App when either changes).
  const zone = useEditor((s) => policyZone(s.doc));
  const currency = useEditor((s) => docCurrency(s.doc));
  setDisplayZone(zone);
  setDisplayCurrency(currency);
  const view = useSession((s) => s.view);
  const settingsOpen = useSession((s) => s.settingsOpen);
  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">Trellis</div>
        <nav className="views" role="tablist">
          {VIEWS.map((v) => (
            <button key={v} type="button" role="tab" aria-selected={view === v} className={view === v ? 'tab active' : 'tab'} onClick={() => sessionStore.getState().setView(v)} data-testid={`view-${v}`}>
              {t(`app.views.${v}`)}
            </button>
          ))}
        </nav>
        <FileMenu />
        <div className="header-right">
          <select value={i18n.language.startsWith('zh') ? 'zh' : 'en'} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t('app.language')} data-testid="lang">
            <option value="zh">中文</option>
            <option value="en">English</option>
          </select>
          <IdentityBadge />
          <EngineStatus />
        </div>
      </header>
      <ImportIssues />
      <main className="app-main">
        {view === 'design' ? <DesignView /> : null}
        {view === 'simulate' ? <SimulateView /> : null}
        {view === 'review' ? <ReviewView /> : null}
        {view === 'monitor' ? <MonitorView /> : null}
      </main>
      {settingsOpen ? <EngineSettings /> : null}
    </div>
  );
}
