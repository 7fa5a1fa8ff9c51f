// The desktop app's drafts (local.db): every draft with its number of versions; pick one to see
// its history, open its latest version or restore an older one (restoring loads it into the
// editor; the autosave then records it as the newest version, so nothing is lost).

import { useCallback, useEffect, useState } from 'react';
import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';
import type { DraftSummary, DraftVersion, TauriBackend } from '../backend';
import { editorStore, useEditor } from '../store/editor';
import { applyDraft, draftOf, flushAutosave } from '../store/persist';
import { ErrorBanner, formatTime } from '../common/ui';

export type DraftsApi = Pick<TauriBackend, 'listDrafts' | 'loadDraft' | 'draftHistory' | 'deleteDraft'>;

const when = (iso: string): string => formatTime(iso);

export function DraftsPanel(props: { api: DraftsApi; onClose: () => void }) {
  const { api, onClose } = props;
  const { t } = useTranslation();
  const current = useEditor((s) => s.fileName);
  const [drafts, setDrafts] = useState<DraftSummary[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [history, setHistory] = useState<DraftVersion[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const refresh = useCallback(async () => {
    try {
      await flushAutosave();
      const list = await api.listDrafts();
      setDrafts(list);
      setSelected((s) => (s && list.some((d) => d.name === s) ? s : (list.find((d) => d.name === current) ?? list[0])?.name ?? null));
    } catch (e) {
      setError(e);
    }
  }, [api, current]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    if (!selected) {
      setHistory(null);
      return;
    }
    let live = true;
    setHistory(null);
    api.draftHistory(selected).then(
      (h) => live && setHistory(h),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api, selected, drafts]);

  const open = async (name: string, version?: number) => {
    try {
      await flushAutosave();
      applyDraft(editorStore, draftOf(await api.loadDraft(name, version)));
      onClose();
    } catch (e) {
      setError(e);
    }
  };

  const remove = async (name: string) => {
    if (!window.confirm(t('drafts.confirmDelete', { name }))) return;
    try {
      await api.deleteDraft(name);
      setSelected(null);
      await refresh();
    } catch (e) {
      setError(e);
    }
  };

  // On document.body: the header that opens it would otherwise lend it its colours.
  return createPortal(
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal modal-wide" role="dialog" aria-label={t('drafts.title')} onClick={(e) => e.stopPropagation()} data-testid="drafts-panel">
        <h3>{t('drafts.title')}</h3>
        <p className="muted">{t('drafts.hint')}</p>
        <ErrorBanner error={error} testId="drafts-error" />
        {drafts === null ? (
          <p className="muted">{t('common.loading')}</p>
        ) : drafts.length === 0 ? (
          <p className="muted" data-testid="drafts-empty">
            {t('drafts.empty')}
          </p>
        ) : (
          <table className="release-table" data-testid="drafts-list">
            <thead>
              <tr>
                <th>{t('drafts.name')}</th>
                <th>{t('drafts.updated')}</th>
                <th>{t('drafts.versions')}</th>
              </tr>
            </thead>
            <tbody>
              {drafts.map((d) => (
                <tr
                  key={d.name}
                  className={d.name === selected ? 'selected' : undefined}
                  onClick={() => setSelected(d.name)}
                  data-testid={`draft-${d.name}`}
                  data-versions={d.versions}
                >
                  <td>
                    {d.name}
                    {d.name === current ? <span className="muted"> · {t('drafts.current')}</span> : null}
                  </td>
                  <td>{when(d.updated_at)}</td>
                  <td>{d.versions}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {selected ? (
          <div className="drafts-history" data-testid="draft-history">
            <div className="modal-actions">
              <button type="button" className="primary" onClick={() => void open(selected)} data-testid="draft-open">
                {t('drafts.open')}
              </button>
              <button type="button" onClick={() => void remove(selected)} data-testid="draft-delete">
                {t('drafts.delete')}
              </button>
            </div>
            <h4>{t('drafts.history', { name: selected })}</h4>
            {history === null ? (
              <p className="muted">{t('common.loading')}</p>
            ) : (
              <table className="release-table">
                <thead>
                  <tr>
                    <th>{t('drafts.version')}</th>
                    <th>{t('drafts.savedAt')}</th>
                    <th>{t('drafts.summary')}</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {history.map((v) => (
                    <tr key={v.version} data-testid={`draft-version-${v.version}`}>
                      <td>v{v.version}</td>
                      <td>{when(v.saved_at)}</td>
                      <td>{t('drafts.size', { journeys: v.journeys, nodes: v.nodes, kb: (v.size / 1024).toFixed(1) })}</td>
                      <td>
                        <button type="button" className="link" onClick={() => void open(selected, v.version)} data-testid={`draft-restore-${v.version}`}>
                          {t('drafts.restore')}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        ) : null}
        <div className="modal-actions">
          <button type="button" onClick={onClose} data-testid="drafts-close">
            {t('common.close')}
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}
