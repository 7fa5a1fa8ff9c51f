// Decision records (runtime.md's log) as a table, for the user path and the monitor: kinds and
// reasons in words, offers and nodes by name, money with its sign, times in the policy's zone.

import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { DecisionRecord, Workspace } from '../model/types';
import { journeysOf, nodesOf, offersOf } from '../model/commands';
import { formatMoney } from '../model/format';
import { channelText, kindText, reasonText } from '../model/vocab';
import { formatTime } from '../common/ui';
import { useEditor } from '../store/editor';

const SKIP = new Set(['seq', 'ts', 'user_id', 'journey', 'version', 'node', 'kind', 'trace_id']);

/** The names a record's ids stand for (offers, nodes), from the document it ran on. */
export interface Names {
  offers: Map<string, string>;
  /** `journey/node` → the node's label. */
  nodes: Map<string, string>;
}

export function namesOf(doc: Workspace | null | undefined): Names {
  const offers = new Map<string, string>();
  const nodes = new Map<string, string>();
  if (doc) {
    for (const o of offersOf(doc)) if (typeof o.name === 'string' && o.name) offers.set(o.id, o.name);
    for (const j of journeysOf(doc)) for (const n of nodesOf(j)) if (typeof n.label === 'string' && n.label) nodes.set(`${j.id}/${n.id}`, n.label);
  }
  return { offers, nodes };
}

const EMPTY: Names = { offers: new Map(), nodes: new Map() };

/** The record's own fields (reason, offer, channel, amount, ...) as labelled parts, in words. */
export function decisionParts(t: TFunction, r: DecisionRecord, names: Names = EMPTY): [string, string][] {
  const parts: [string, string][] = [];
  const label = (k: string) => t(`vocab.fields.${k}`, { defaultValue: k });
  for (const [k, v] of Object.entries(r)) {
    if (SKIP.has(k) || v === null || v === undefined) continue;
    let text: string;
    if (k === 'reason' || k === 'holdout') text = reasonText(t, String(v));
    else if (k === 'offer') text = names.offers.get(String(v)) ?? String(v);
    else if (k === 'channel' || k === 'fallback_from') text = channelText(t, String(v));
    else if (k === 'tried' && Array.isArray(v)) text = v.map((c) => channelText(t, String(c))).join('→');
    else if (k === 'revenue' || (k === 'amount' && r.kind !== 'points.awarded')) text = formatMoney(v as string | number);
    else if (k === 'until' || k === 'expires_at') text = formatTime(String(v));
    else if (k === 'attributed_to' && typeof v === 'object') {
      const a = v as { journey?: string; node?: string; kind?: string };
      const node = names.nodes.get(`${a.journey}/${a.node}`) ?? a.node ?? '';
      text = `${a.journey ?? ''} · ${node}`;
    } else if (Array.isArray(v)) text = v.join(', ');
    else if (typeof v === 'object') text = JSON.stringify(v);
    else text = String(v);
    parts.push([label(k), text]);
  }
  return parts;
}

/** The parts as one line ("原因：预算不足 · 权益：满100减20"). */
export function decisionDetail(t: TFunction, r: DecisionRecord, names: Names = EMPTY): string {
  const sep = t('vocab.fields.reason') === '原因' ? '：' : ': ';
  return decisionParts(t, r, names)
    .map(([k, v]) => `${k}${sep}${v}`)
    .join(' · ');
}

const BAD = new Set(['offer.rejected', 'touch.suppressed', 'touch.failed', 'journey.skipped']);

export function DecisionTable(props: { records: DecisionRecord[]; showUser?: boolean; onNode?: (journey: string, node: string) => void; testId?: string; doc?: Workspace | null }) {
  const { t } = useTranslation();
  const editorDoc = useEditor((s) => s.doc);
  const names = namesOf(props.doc ?? editorDoc);
  const nodeName = (r: DecisionRecord) => (r.node ? (names.nodes.get(`${r.journey}/${r.node}`) ?? r.node) : '');
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
            <td className="nowrap" title={r.ts}>
              {formatTime(r.ts)}
            </td>
            {props.showUser ? <td>{r.user_id}</td> : null}
            <td>
              {r.journey ?? ''}
              {r.version !== null && r.version !== undefined ? <span className="muted"> v{r.version}</span> : null}
            </td>
            <td title={r.node ?? undefined}>
              {r.node && r.journey && props.onNode ? (
                <button type="button" className="link" onClick={() => props.onNode?.(r.journey as string, r.node as string)}>
                  {nodeName(r)}
                </button>
              ) : (
                nodeName(r)
              )}
            </td>
            <td className="nowrap" title={r.kind} data-kind={r.kind}>
              {kindText(t, r.kind)}
            </td>
            <td className="detail">{decisionDetail(t, r, names)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
