// One user as the engine sees them now (`GET /v1/users/{id}`, Tauri `get_user`): the current
// value of each behaviour aggregate (a missing value said as such) and the segments they are in,
// as chips. Shown in the monitor beside the user's decisions.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Backend } from '../backend';
import { aggregateText, aggregatesOf, readUserBehaviour, segmentsOf, type UserBehaviour } from '../model/behaviour';
import { formatCount } from '../model/format';
import type { Workspace } from '../model/types';
import { ErrorBanner } from '../common/ui';

function valueText(v: unknown): string {
  if (typeof v === 'number') return formatCount(v, { decimals: 2 });
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

/** The figures of a user view (no loading): aggregates and segments, named from `doc` when it defines them. */
export function UserBehaviourView({ view, doc, user }: { view: UserBehaviour; doc?: Workspace | null; user: string }) {
  const { t } = useTranslation();
  const aggs = doc ? aggregatesOf(doc) : [];
  const segs = doc ? segmentsOf(doc) : [];
  const segName = (id: string) => {
    const s = segs.find((x) => x.id === id);
    return s && typeof s.name === 'string' && s.name ? s.name : id;
  };
  return (
    <div className="user-state" data-testid="user-state">
      <b>{t('uplift.user.title', { user })}</b>
      {view.points !== null ? <span className="muted"> · {t('uplift.user.points', { n: formatCount(view.points) })}</span> : null}
      {view.aggregates === null && view.segments === null ? (
        <div className="muted" data-testid="user-state-unavailable">
          {t('uplift.user.notAvailable')}
        </div>
      ) : null}
      {view.aggregates !== null ? (
        <>
          <div className="field-label">{t('uplift.user.aggregates')}</div>
          {view.aggregates.length === 0 ? (
            <div className="muted">{t('uplift.user.noAggregates')}</div>
          ) : (
            <table data-testid="user-state-aggregates">
              <tbody>
                {view.aggregates.map(([id, v]) => {
                  const a = aggs.find((x) => x.id === id);
                  return (
                    <tr key={id} data-testid={`user-agg-${id}`}>
                      <th title={a ? aggregateText(t, a) : undefined}>
                        <code>agg.{id}</code>
                      </th>
                      <td>{v === null ? <span className="missing">{t('uplift.user.missing')}</span> : valueText(v)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      ) : null}
      {view.segments !== null ? (
        <>
          <div className="field-label">{t('uplift.user.segments')}</div>
          {view.segments.length === 0 ? (
            <div className="muted">{t('uplift.user.noSegments')}</div>
          ) : (
            <div className="chips" data-testid="user-state-segments">
              {view.segments.map((id) => (
                <span key={id} className="chip on" title={id} data-testid={`user-seg-${id}`}>
                  {segName(id)}
                </span>
              ))}
            </div>
          )}
        </>
      ) : null}
    </div>
  );
}

/** Loads the user's view when the user changes (after typing stops) and on Reload. */
export function UserState({ backend, user, doc }: { backend: Backend; user: string; doc?: Workspace | null }) {
  const { t } = useTranslation();
  const [view, setView] = useState<UserBehaviour | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    setView(null);
    setError(null);
    if (!user) return;
    let alive = true;
    const h = setTimeout(() => {
      backend
        .getUser(user)
        .then((body) => alive && setView(readUserBehaviour(body)))
        .catch((e: unknown) => alive && setError(e));
    }, 400);
    return () => {
      alive = false;
      clearTimeout(h);
    };
  }, [backend, user, tick]);

  if (!user) return null;
  return (
    <div data-testid="user-state-box">
      <ErrorBanner error={error} testId="user-state-error" />
      {view ? <UserBehaviourView view={view} doc={doc} user={user} /> : null}
      <button type="button" className="link" onClick={() => setTick((x) => x + 1)} data-testid="user-state-reload">
        {view ? t('uplift.user.reload') : t('uplift.user.load')}
      </button>
    </div>
  );
}
