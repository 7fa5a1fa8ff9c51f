// A node picked on a read-only canvas (simulation, monitor): how many users reached it and left
// by each exit, and the users who passed it, each opening their path.

import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { DecisionRecord, Journey, JourneyReport } from '../model/types';
import { nodesOf } from '../model/commands';
import { nodeName } from '../model/diagText';
import { formatCount } from '../model/format';
import { portLabel } from '../canvas/JourneyNode';

/** The users with a decision at `node` of `journey`, in the order they first got there. */
export function usersAt(log: DecisionRecord[], journey: string, node: string): string[] {
  const seen = new Set<string>();
  for (const r of log) if (r.journey === journey && r.node === node && r.user_id) seen.add(r.user_id);
  return [...seen];
}

/** Users of a log who went through a journey (not those who only converted), journey users first. */
export function pathUsers(log: DecisionRecord[]): string[] {
  const inJourney = new Set<string>();
  const rest = new Set<string>();
  for (const r of log) {
    if (!r.user_id) continue;
    if (r.journey && r.kind !== 'conversion') inJourney.add(r.user_id);
    else rest.add(r.user_id);
  }
  return [...inJourney, ...[...rest].filter((u) => !inJourney.has(u))];
}

const SHOWN = 30;

export function NodeDetail(props: { journey: Journey; node: string; counts: JourneyReport | undefined; log: DecisionRecord[] | undefined; onUser?: (user: string) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const n = nodesOf(props.journey).find((x) => x.id === props.node);
  const c = props.counts?.nodes?.[props.node];
  const users = useMemo(() => (props.log ? usersAt(props.log, props.journey.id, props.node) : []), [props.log, props.journey.id, props.node]);
  return (
    <div className="node-detail" data-testid="node-detail">
      <div className="node-detail-head">
        <b>{nodeName(t, n, props.node)}</b>{' '}
        <button type="button" className="link" onClick={props.onClose} title={t('common.close')}>
          ✕
        </button>
      </div>
      {c ? (
        <div data-testid="node-detail-counts">
          {t('nodeDetail.entered', { count: c.entered, n: formatCount(c.entered) })}
          {Object.keys(c.ports ?? {}).length ? (
            <ul className="node-detail-ports">
              {Object.entries(c.ports).map(([port, k]) => (
                <li key={port}>
                  {t('nodeDetail.port', { port: portLabel(t, port), n: formatCount(k) })}
                  {c.entered > 0 ? <span className="muted"> ({formatCount((k / c.entered) * 100, { decimals: 1 })}%)</span> : null}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : (
        <div className="muted">{t('nodeDetail.none')}</div>
      )}
      {props.log ? (
        <div className="node-detail-users" data-testid="node-detail-users">
          <div className="field-label">{t('nodeDetail.users', { n: formatCount(users.length) })}</div>
          {users.slice(0, SHOWN).map((u) => (
            <button key={u} type="button" className="chip" onClick={() => props.onUser?.(u)} data-testid={`node-user-${u}`}>
              {u}
            </button>
          ))}
          {users.length > SHOWN ? <span className="muted"> {t('nodeDetail.more', { n: formatCount(users.length - SHOWN) })}</span> : null}
        </div>
      ) : null}
    </div>
  );
}
