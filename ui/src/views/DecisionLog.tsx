// Decision records (runtime.md's log) as a table, for the user path and the monitor.

import { useTranslation } from 'react-i18next';
import type { DecisionRecord } from '../model/types';

const SKIP = new Set(['seq', 'ts', 'user_id', 'journey', 'version', 'node', 'kind']);

/** The record's own fields (reason, offer, channel, amount, ...) as one line. */
export function decisionDetail(r: DecisionRecord): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (SKIP.has(k) || v === null || v === undefined) continue;
    if (k === 'attributed_to' && typeof v === 'object') {
      const a = v as { journey?: string; node?: string; kind?: string };
      parts.push(`attributed_to=${a.journey}/${a.node} (${a.kind})`);
    } else if (Array.isArray(v)) parts.push(`${k}=[${v.join(', ')}]`);
    else if (typeof v === 'object') parts.push(`${k}=${JSON.stringify(v)}`);
    else parts.push(`${k}=${String(v)}`);
  }
  return parts.join('  ');
}

const BAD = new Set(['offer.rejected', 'touch.suppressed', 'journey.skipped']);

export function DecisionTable(props: { records: DecisionRecord[]; showUser?: boolean; onNode?: (journey: string, node: string) => void; testId?: string }) {
  const { t } = useTranslation();
  return (
    <table className="log-table" data-testid={props.testId ?? 'decision-table'}>
      <thead>
        <tr>
          <th>{t('log.seq')}</th>
          <th>{t('log.ts')}</th>
          {props.showUser ? <th>{t('log.user')}</th> : null}
          <th>{t('log.journey')}</th>
          <th>{t('log.node')}</th>
          <th>{t('log.kind')}</th>
          <th>{t('log.detail')}</th>
        </tr>
      </thead>
      <tbody>
        {props.records.map((r) => (
          <tr key={`${r.seq}-${r.user_id}`} className={BAD.has(r.kind) ? 'log-bad' : r.kind === 'conversion' ? 'log-good' : ''}>
            <td>{r.seq}</td>
            <td className="nowrap">{r.ts}</td>
            {props.showUser ? <td>{r.user_id}</td> : null}
            <td>
              {r.journey ?? ''}
              {r.version !== null && r.version !== undefined ? <span className="muted"> v{r.version}</span> : null}
            </td>
            <td>
              {r.node && r.journey && props.onNode ? (
                <button type="button" className="link" onClick={() => props.onNode?.(r.journey as string, r.node as string)}>
                  {r.node}
                </button>
              ) : (
                (r.node ?? '')
              )}
            </td>
            <td className="nowrap">
              <code>{r.kind}</code>
            </td>
            <td className="detail">{decisionDetail(r)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
