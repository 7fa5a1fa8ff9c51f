// The engine connection dialog (browser mode): service URL and bearer token. Inside the desktop
// app the shell owns the connection and this only shows its status.

import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { TauriBackend, inTauri, type EngineInfo } from '../backend';
import { sessionStore, useSession } from '../store/session';
import { EmptyState, ErrorBanner, Field } from '../common/ui';

export function EngineSettings() {
  const { t } = useTranslation();
  const http = useSession((s) => s.http);
  const health = useSession((s) => s.health);
  // The dev server proxies the engine's routes, so its own origin is the natural default there.
  const [url, setUrl] = useState(http?.baseUrl ?? (import.meta.env.DEV ? window.location.origin : 'http://127.0.0.1:8080'));
  const [token, setToken] = useState(http?.token ?? '');
  const close = () => sessionStore.getState().openSettings(false);
  return (
    <div className="modal-backdrop" onClick={close}>
      <div className="modal" role="dialog" aria-label={t('engine.settings')} onClick={(e) => e.stopPropagation()} data-testid="engine-settings">
        <h3>{t('engine.settings')}</h3>
        {inTauri() ? (
          <DesktopEngine health={health} onDone={close} />
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              sessionStore.getState().setHttp({ baseUrl: url.trim(), token: token.trim() });
              close();
            }}
          >
            <Field label={t('engine.url')}>
              <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} data-testid="engine-url" required />
            </Field>
            <Field label={t('engine.token')} hint={t('engine.tokenHint')}>
              <input type="password" value={token} onChange={(e) => setToken(e.target.value)} data-testid="engine-token" autoComplete="off" />
            </Field>
            <div className="modal-actions">
              <button type="submit" className="primary" data-testid="engine-save">
                {t('engine.save')}
              </button>
              {http ? (
                <button
                  type="button"
                  onClick={() => {
                    sessionStore.getState().setHttp(null);
                    close();
                  }}
                >
                  {t('engine.disconnect')}
                </button>
              ) : null}
              <button type="button" onClick={close}>
                {t('engine.cancel')}
              </button>
            </div>
          </form>
        )}
      </div>
    </div>
  );
}

/** In the desktop app: the bundled engine, or a remote service the shell connects to. */
function DesktopEngine(props: { health: string; onDone: () => void }) {
  const { t } = useTranslation();
  const backend = useSession((s) => s.backend);
  const [info, setInfo] = useState<EngineInfo | null>(null);
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (backend instanceof TauriBackend)
      backend
        .engineInfo()
        .then((i) => {
          setInfo(i);
          if (i.mode === 'remote') setUrl(i.url);
        })
        .catch(setError);
  }, [backend]);
  const apply = async (remote: boolean) => {
    if (!(backend instanceof TauriBackend)) return;
    try {
      await backend.setEngine(remote ? { baseUrl: url.trim(), token: token.trim() } : null);
      sessionStore.getState().setBackend(new TauriBackend());
      props.onDone();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void apply(true);
      }}
    >
      <p>
        {t('engine.desktop')}: {t(`engine.status.${props.health}`)} {info ? <code data-testid="engine-mode">{info.mode === 'bundled' ? t('engine.bundled') : info.url}</code> : null}
      </p>
      <Field label={t('engine.url')} hint={t('engine.remoteHint')}>
        <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} data-testid="engine-url" required />
      </Field>
      <Field label={t('engine.token')}>
        <input type="password" value={token} onChange={(e) => setToken(e.target.value)} data-testid="engine-token" autoComplete="off" />
      </Field>
      <ErrorBanner error={error} />
      <div className="modal-actions">
        <button type="submit" className="primary" data-testid="engine-apply">
          {t('engine.save')}
        </button>
        {info?.mode === 'remote' ? (
          <button type="button" onClick={() => void apply(false)} data-testid="engine-use-bundled">
            {t('engine.useBundled')}
          </button>
        ) : null}
        <button type="button" onClick={props.onDone}>
          {t('engine.cancel')}
        </button>
      </div>
    </form>
  );
}

/** Shown by server-backed views when no engine is configured. */
export function NeedsEngine(props: { children: ReactNode }) {
  const { t } = useTranslation();
  const backend = useSession((s) => s.backend);
  if (backend) return <>{props.children}</>;
  return (
    <div className="needs-engine">
      <EmptyState
        testId="connect-engine"
        title={t('engine.emptyTitle')}
        body={t('engine.emptyBody')}
        action={
          <button type="button" className="primary" onClick={() => sessionStore.getState().openSettings(true)} data-testid="connect-engine-button">
            {t('engine.connect')}
          </button>
        }
      />
    </div>
  );
}
