// The visual diff of a release against the live version: the release's journey on a read-only
// canvas with nodes added / changed / removed (ghosts) highlighted, and the changes listed with
// params side by side.

import { useMemo, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { useTranslation } from 'react-i18next';
import { JourneyCanvas } from '../canvas/JourneyCanvas';
import { offersOf } from '../model/commands';
import { diffCounts, diffWorkspaces, type FieldChange, type JourneyDiff } from '../model/diff';
import type { JourneyNode, Offer, Workspace } from '../model/types';
import type { TFunction } from 'i18next';
import { isObject } from '../model/nodeTypes';
import { conditionSentence } from '../model/sentence';
import { channelText, durationText } from '../model/vocab';
import { formatMoney } from '../model/format';
import { nodeName } from '../model/diagText';

function show(v: unknown): string {
  if (v === undefined) return '∅';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function ChangesTable({ changes, testId }: { changes: FieldChange[]; testId?: string }) {
  const { t } = useTranslation();
  if (changes.length === 0) return null;
  return (
    <table className="changes" data-testid={testId}>
      <thead>
        <tr>
          <th />
          <th>{t('review.changes.before')}</th>
          <th>{t('review.changes.after')}</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.path}>
            <td>
              <code>{c.path || '/'}</code>
            </td>
            <td className="before">{show(c.before)}</td>
            <td className="after">{show(c.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A row of a change in words: what changed, before, after. */
export interface WordChange {
  what: string;
  before: string;
  after: string;
}

const CONDITION_PARAMS = new Set(['when', 'where', 'audience']);
const DURATION_PARAMS = new Set(['duration', 'timeout', 'within', 'valid_for', 'cooldown', 'max_duration', 'window']);
const MONEY_FIELDS = new Set(['face_value', 'min_spend', 'budget', 'hourly_quota']);

/** A parameter's value in words: conditions as sentences, offers by name, durations with units. */
export function paramWords(t: TFunction, key: string, v: unknown, offers: Map<string, string>): string {
  if (v === undefined) return '∅';
  if (CONDITION_PARAMS.has(key)) return conditionSentence(t, v);
  if (key === 'cases' && Array.isArray(v)) return v.map((c) => (isObject(c) ? `${String(c.port)}: ${conditionSentence(t, c.when)}` : show(c))).join('; ');
  if (key === 'branches' && Array.isArray(v)) return v.map((b) => (isObject(b) ? `${String(b.port)} ${String(b.percent)}%` : show(b))).join(' / ');
  if (key === 'offer' && typeof v === 'string') return offers.get(v) ? `${offers.get(v)} (${v})` : v;
  if (key === 'channels' && Array.isArray(v)) return v.map((c) => channelText(t, String(c))).join('→');
  if (DURATION_PARAMS.has(key)) return durationText(t, v);
  if (MONEY_FIELDS.has(key) && (typeof v === 'number' || typeof v === 'string')) return formatMoney(v);
  if (key === 'kind' && typeof v === 'string') return t(`offers.kinds.${v}`, { defaultValue: v });
  // The policy in words: caps, quiet hours, conversion and attribution.
  if (key === 'freq_caps' && Array.isArray(v)) return v.map((c) => (isObject(c) ? capWords(t, c) : show(c))).join('; ');
  if ((key === 'freq_caps' || /^\d+$/.test(key)) && isObject(v) && 'max' in v && 'window' in v) return capWords(t, v);
  if (key === 'quiet_hours' && isObject(v)) return t('diffWords.quiet', { start: show(v.start), end: show(v.end), mode: t(`policy.modes.${String(v.mode)}`, { defaultValue: String(v.mode ?? '') }) });
  if (key === 'conversion' && isObject(v)) return t('diffWords.conversion', { event: show(v.event), field: show(v.revenue_field) });
  if (key === 'attribution' && isObject(v)) return t('diffWords.attribution', { model: t(`policy.models.${String(v.model)}`, { defaultValue: String(v.model ?? '') }), window: durationText(t, v.window) });
  if (key === 'mode' && typeof v === 'string') return t(`policy.modes.${v}`, { defaultValue: v });
  if (key === 'model' && typeof v === 'string') return t(`policy.models.${v}`, { defaultValue: v });
  if (key === 'channel' && typeof v === 'string') return v === '*' ? t('policy.allChannels') : channelText(t, v);
  return show(v);
}

/** A frequency cap in words ("短信：最多 2 次 / 7 天"). */
function capWords(t: TFunction, c: Record<string, unknown>): string {
  const ch = c.channel === '*' ? t('policy.allChannels') : channelText(t, String(c.channel));
  return t('diffWords.cap', { channel: ch, max: show(c.max), window: durationText(t, c.window) });
}

const PARAM_LABEL: Record<string, string> = {
  when: 'props.when',
  where: 'props.where',
  audience: 'props.audience',
  cases: 'props.cases',
  branches: 'props.branches',
  offer: 'props.offer',
  channels: 'props.channels',
  template: 'props.template',
  content: 'props.content',
  amount: 'props.amount',
  reason: 'props.reason',
  duration: 'props.duration',
  timeout: 'props.timeout',
  within: 'props.within',
  event: 'props.event',
  count: 'props.count',
  unless: 'props.unless',
  cron: 'props.cron',
  experiment: 'props.experiment',
  holdout_percent: 'props.holdout',
  set: 'props.set',
  label: 'props.label',
  type: 'props.type',
  name: 'offers.name',
  face_value: 'offers.faceValue',
  min_spend: 'offers.minSpend',
  stock: 'offers.stock',
  per_user_limit: 'offers.perUser',
  valid_for: 'offers.validFor',
  kind: 'offers.kind',
  budget: 'journey.budget',
  currency: 'journey.currency',
  starts_at: 'journey.startsAt',
  ends_at: 'journey.endsAt',
  hourly_quota: 'journey.hourlyQuota',
  priority: 'journey.priority',
  mutex: 'journey.mutex',
  re_entry: 'journey.entry',
  goal: 'journey.goal',
  max_duration: 'journey.maxDuration',
  tz: 'policy.tz',
  freq_caps: 'policy.caps',
  quiet_hours: 'policy.quiet',
  conversion: 'policy.conversion',
  attribution: 'policy.attribution',
};

const label = (t: TFunction, key: string) => (PARAM_LABEL[key] ? t(PARAM_LABEL[key]) : key);

/** What changed in a node, a parameter at a time, in words. */
export function nodeWordChanges(t: TFunction, before: JourneyNode | undefined, after: JourneyNode | undefined, offers: Map<string, string>): WordChange[] {
  const out: WordChange[] = [];
  for (const k of ['type', 'label'] as const) {
    if (before?.[k] !== after?.[k]) out.push({ what: label(t, k), before: show(before?.[k]), after: show(after?.[k]) });
  }
  const bp = isObject(before?.params) ? before.params : {};
  const ap = isObject(after?.params) ? after.params : {};
  const keys = [...Object.keys(bp), ...Object.keys(ap).filter((k) => !(k in bp))];
  for (const k of keys) {
    if (JSON.stringify(bp[k]) === JSON.stringify(ap[k])) continue;
    out.push({ what: label(t, k), before: paramWords(t, k, bp[k], offers), after: paramWords(t, k, ap[k], offers) });
  }
  return out;
}

/** Changes of an object's fields (an offer, a journey's settings, the policy), a leaf at a time, in words. */
export function fieldWordChanges(t: TFunction, changes: FieldChange[], offers: Map<string, string>): WordChange[] {
  return changes.map((c) => {
    const parts = c.path.split('/').filter(Boolean);
    const last = parts[parts.length - 1] ?? '';
    const key = /^\d+$/.test(last) ? (parts[parts.length - 2] ?? last) : last;
    const what = parts.map((p) => (/^\d+$/.test(p) ? `#${Number(p) + 1}` : label(t, p))).join(' › ');
    return { what, before: paramWords(t, key, c.before, offers), after: paramWords(t, key, c.after, offers) };
  });
}

function WordTable({ rows, testId }: { rows: WordChange[]; testId?: string }) {
  const { t } = useTranslation();
  if (rows.length === 0) return null;
  return (
    <table className="changes" data-testid={testId}>
      <thead>
        <tr>
          <th />
          <th>{t('review.changes.before')}</th>
          <th>{t('review.changes.after')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <td>{r.what}</td>
            <td className="before">{r.before}</td>
            <td className="after">{r.after}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function JourneyChanges({ d, onNode, offers, raw }: { d: JourneyDiff; onNode: (id: string) => void; offers: Map<string, string>; raw: boolean }) {
  const { t } = useTranslation();
  const changed = d.nodes.filter((n) => n.status !== 'unchanged');
  const edges = d.edges.filter((e) => e.status !== 'unchanged');
  const nodesById = new Map<string, JourneyNode>();
  for (const n of [...(d.before?.nodes ?? []), ...(d.after?.nodes ?? [])]) if (typeof n.id === 'string') nodesById.set(n.id, n);
  const name = (id: unknown) => nodeName(t, nodesById.get(String(id)), String(id));
  return (
    <div className="journey-changes">
      <div className="muted">{t('review.changes.nodes', diffCounts(d))}</div>
      {d.fields.length ? (
        <>
          <h4>{t('review.changes.fields')}</h4>
          {raw ? <ChangesTable changes={d.fields} /> : <WordTable rows={fieldWordChanges(t, d.fields, offers)} testId="journey-field-changes" />}
        </>
      ) : null}
      {changed.map((n) => (
        <div key={n.id} className={`node-change diff-${n.status}`} data-testid={`change-${n.id}`}>
          <button type="button" className="link" onClick={() => onNode(n.id)} title={n.id}>
            <b>{name(n.id)}</b>
          </button>{' '}
          <span className={`badge badge-${n.status}`}>{t(`review.changes.${n.status}`)}</span>{' '}
          <span className="muted">{t(`nodeTypes.${String((n.after ?? n.before)?.type ?? '')}`, { defaultValue: String((n.after ?? n.before)?.type ?? '') })}</span>
          {n.status === 'changed' ? raw ? <ChangesTable changes={n.changes} /> : <WordTable rows={nodeWordChanges(t, n.before, n.after, offers)} testId={`words-${n.id}`} /> : null}
          {n.status === 'added' && n.after ? (
            raw ? (
              <pre className="json">{JSON.stringify(n.after.params, null, 2)}</pre>
            ) : (
              <WordTable rows={nodeWordChanges(t, undefined, n.after, offers).filter((r) => r.after !== '∅')} testId={`words-${n.id}`} />
            )
          ) : null}
        </div>
      ))}
      {edges.length ? (
        <ul className="edge-changes">
          {edges.map((e) => {
            const edge = e.after ?? e.before;
            return (
              <li key={`${e.status}-${e.key}`} className={`diff-${e.status}`}>
                <span className={`badge badge-${e.status}`}>{t(`review.changes.${e.status}`)}</span> {name(edge?.from)} · {t(`ports.${String(edge?.port)}`, { defaultValue: String(edge?.port) })} → {name(edge?.to)}
                {e.status === 'changed' ? (
                  <span className="muted">
                    {' '}
                    ({name(e.before?.to)} → {name(e.after?.to)})
                  </span>
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}
    </div>
  );
}

/** Offer names by id, from both versions (a removed offer keeps its name). */
function offerNames(...docs: (Workspace | undefined)[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const d of docs) for (const o of (d ? offersOf(d) : []) as Offer[]) if (typeof o.name === 'string' && o.name) m.set(o.id, o.name);
  return m;
}

export function DiffView(props: { before: Workspace | undefined; after: Workspace }) {
  const { t } = useTranslation();
  const diff = useMemo(() => diffWorkspaces(props.before, props.after), [props.before, props.after]);
  const [idx, setIdx] = useState(0);
  const [focus, setFocus] = useState<{ node: string; seq: number } | null>(null);
  const jd = diff.journeys[Math.min(idx, diff.journeys.length - 1)];
  const shown = jd ? (jd.after ?? jd.before) : undefined;
  const overlays = useMemo(() => (jd ? { diff: jd } : {}), [jd]);
  const offerChanges = diff.offers.filter((o) => o.status !== 'unchanged');
  const names = useMemo(() => offerNames(props.before, props.after), [props.before, props.after]);
  const [raw, setRaw] = useState(false);
  return (
    <div className="diff-view" data-testid="diff-view">
      {!props.before ? <div className="banner banner-info">{t('review.noLive')}</div> : null}
      <label className="check diff-raw-toggle">
        <input type="checkbox" checked={raw} onChange={(e) => setRaw(e.target.checked)} data-testid="diff-raw" /> {t('diffWords.raw')}
      </label>
      {/* Offers and policy first: they change money and every journey. */}
      {offerChanges.length ? (
        <div className="diff-top" data-testid="offer-changes">
          <h4>{t('review.changes.offers')}</h4>
          {offerChanges.map((o) => (
            <div key={o.id} className={`diff-${o.status}`}>
              <b title={o.id}>{names.get(o.id) ?? o.id}</b> <span className={`badge badge-${o.status}`}>{t(`review.changes.${o.status}`)}</span>
              {raw ? <ChangesTable changes={o.changes} /> : <WordTable rows={fieldWordChanges(t, o.changes, names)} />}
            </div>
          ))}
        </div>
      ) : null}
      {diff.policy.length ? (
        <div className="diff-top" data-testid="policy-changes">
          <h4>{t('review.changes.policy')}</h4>
          {raw ? <ChangesTable changes={diff.policy} /> : <WordTable rows={fieldWordChanges(t, diff.policy, names)} />}
        </div>
      ) : null}
      <div className="journey-tabs">
        {diff.journeys.map((j, i) => (
          <button key={`${i}:${j.id}`} type="button" className={i === idx ? 'tab active' : 'tab'} onClick={() => setIdx(i)}>
            {j.after?.name || j.before?.name || j.id} <span className={`badge badge-${j.status}`}>{t(`review.changes.${j.status}`)}</span>
          </button>
        ))}
      </div>
      <div className="diff-body">
        <div className="diff-canvas">
          {shown ? (
            <ReactFlowProvider>
              <JourneyCanvas journey={shown} offers={offersOf(props.after)} overlays={overlays} focus={focus} fitRequest={idx} testId="diff-canvas" wheelZoomsOnlyWhenFocused onNodeClick={(id) => setFocus({ node: id, seq: (focus?.seq ?? 0) + 1 })} />
            </ReactFlowProvider>
          ) : null}
        </div>
        <div className="diff-list">
          {jd ? <JourneyChanges d={jd} onNode={(id) => setFocus({ node: id, seq: (focus?.seq ?? 0) + 1 })} offers={names} raw={raw} /> : null}
          {diff.journeys.every((j) => j.status === 'unchanged') && !offerChanges.length && !diff.policy.length ? <div className="muted">{t('review.changes.none')}</div> : null}
        </div>
      </div>
    </div>
  );
}
