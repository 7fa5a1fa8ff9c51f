// Aggregates and segments (issue 20, docs/aggregates.md): the document's shapes, the figures the
// engine reports about them, the fields they add to the condition builder, and sentences.
//
// Every shape the UI reads about segments from the engine is declared HERE and read through the
// tolerant readers below (`readSegmentList`, `readSegmentDetail`, `readSegmentReport`,
// `readAggregateDistribution`): the service's routes and the simulator's report section are not
// final, so adapting to them at merge means changing this file (and backend.ts's two calls) only.

import type { TFunction } from 'i18next';
import { isObject } from './nodeTypes';
import type { FieldInfo, FieldType } from './condition';
import type { Condition, Workspace } from './types';

// ---- the workspace document ----

export const AGG_FNS = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'distinct'] as const;
export type AggFn = (typeof AGG_FNS)[number];

/** One entry of the workspace's `aggregates` (docs/aggregates.md). Unknown keys survive a save. */
export interface Aggregate {
  id: string;
  event: string;
  where?: Condition;
  fn: AggFn | string;
  /** `event.<prop>` or `ts`; absent for `count`. */
  field?: string;
  /** A duration ("7d"); absent: the user's whole history. */
  window?: string;
  [extra: string]: unknown;
}

/** One entry of the workspace's `segments`: a named condition over `user.*` and `agg.*`. */
export interface Segment {
  id: string;
  name?: string;
  when: Condition;
  [extra: string]: unknown;
}

/** The order the CLI writes an aggregate's keys in (trellis-model doc.rs `Aggregate`). */
export const AGG_KEY_ORDER = ['id', 'event', 'where', 'fn', 'field', 'window'];
export const SEGMENT_KEY_ORDER = ['id', 'name', 'when'];

const EMPTY: never[] = [];

export function aggregatesOf(doc: Workspace): Aggregate[] {
  return Array.isArray(doc.aggregates) ? (doc.aggregates as Aggregate[]) : EMPTY;
}

export function segmentsOf(doc: Workspace): Segment[] {
  return Array.isArray(doc.segments) ? (doc.segments as Segment[]) : EMPTY;
}

export function isAggFn(v: unknown): v is AggFn {
  return typeof v === 'string' && (AGG_FNS as readonly string[]).includes(v);
}

/** Whether `fn` reads a field (every fn but `count`), and whether it may read `ts`. */
export const fnNeedsField = (fn: string) => fn !== 'count';
export const fnAllowsTs = (fn: string) => fn === 'first' || fn === 'last';
export const fnNumeric = (fn: string) => fn === 'sum' || fn === 'min' || fn === 'max' || fn === 'avg';

/**
 * Set `key` (or remove it with `undefined`) in a copy of `obj`, a new key going where `order` puts
 * it among the present ones (the CLI's order, as commands.ts `setKey` does for other objects).
 */
export function putKey<T extends Record<string, unknown>>(obj: T, key: string, value: unknown, order: string[]): T {
  if (value === undefined) {
    if (!(key in obj)) return obj;
    const next = { ...obj };
    delete next[key];
    return next;
  }
  if (key in obj) return { ...obj, [key]: value };
  const rank = order.indexOf(key);
  const keys = Object.keys(obj);
  const before = rank < 0 ? -1 : keys.findIndex((k) => order.indexOf(k) > rank);
  if (before < 0) return { ...obj, [key]: value };
  const out: Record<string, unknown> = {};
  keys.forEach((k, i) => {
    if (i === before) out[key] = value;
    out[k] = obj[k];
  });
  return out as T;
}

/**
 * The aggregate after its `fn` changed, keeping what still fits: `count` drops the field; `ts`
 * stays only with first/last; a fn that needs a field and has none starts on `ts` (first/last)
 * or `event.amount`.
 */
export function withFn(a: Aggregate, fn: AggFn): Aggregate {
  let next = putKey(a, 'fn', fn, AGG_KEY_ORDER);
  const field = typeof a.field === 'string' ? a.field : undefined;
  const isTs = field === 'ts' || field === 'event.ts';
  if (!fnNeedsField(fn)) next = putKey(next, 'field', undefined, AGG_KEY_ORDER);
  else if (field === undefined || (isTs && !fnAllowsTs(fn))) next = putKey(next, 'field', fnAllowsTs(fn) ? 'ts' : 'event.amount', AGG_KEY_ORDER);
  return next;
}

/** How many condition leaves (anywhere in `root`) read `path` (`agg.x`), plus segment triggers naming `segment`. */
export function countReads(root: unknown, path: string, segment?: string): number {
  let n = 0;
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) {
      if (v.field === path) n += 1;
      if (segment !== undefined && v.type === 'trigger.segment' && isObject(v.params) && v.params.segment === segment) n += 1;
      Object.values(v).forEach(walk);
    }
  };
  walk(root);
  return n;
}

// ---- windows: a number and a unit (天 / 小时 / 分钟) ----

export const WINDOW_UNITS = ['d', 'h', 'm'] as const;
export type WindowUnit = (typeof WINDOW_UNITS)[number];

/** "7d" → { amount: 7, unit: 'd' }; null for anything else (kept as typed). */
export function parseWindow(w: string | undefined): { amount: number; unit: WindowUnit } | null {
  const m = w === undefined ? null : /^(\d+)([dhm])$/.exec(w);
  return m ? { amount: Number(m[1]), unit: m[2] as WindowUnit } : null;
}

export const windowText = (amount: number, unit: WindowUnit) => `${amount}${unit}`;

// ---- `{ "ago": "30d" }` ----

export function isAgo(v: unknown): v is { ago: string } {
  return isObject(v) && typeof v.ago === 'string' && Object.keys(v).length === 1;
}

// ---- the types agg.* and segment.* have in conditions ----

/** What an aggregate's value is, for the field picker: a count, money, a number, a time or text. */
export type AggValueType = 'count' | 'money' | 'number' | 'time' | 'string';

const MONEY = /(^|_)(amount|price|revenue|spend|spent|total|gmv|value|paid)$/;

/** The aggregate's type as a condition reads it (docs/aggregates.md "Values, as a condition reads them"). */
export function aggValueType(a: Aggregate, doc?: Workspace, known: FieldInfo[] = []): AggValueType {
  const fn = String(a.fn);
  if (fn === 'count' || fn === 'distinct') return 'count';
  const field = typeof a.field === 'string' ? a.field : '';
  if (field === 'ts' || field === 'event.ts') return 'time';
  const prop = field.replace(/^event\./, '');
  const revenue = doc && isObject(doc.policy) && isObject(doc.policy.conversion) ? doc.policy.conversion.revenue_field : undefined;
  const money = prop === revenue || MONEY.test(prop);
  if (fnNumeric(fn)) return money ? 'money' : 'number';
  // first / last of a prop: the prop's own type
  const t = known.find((f) => f.path === field)?.type;
  if (t === 'number' || t === 'money' || t === 'count') return money ? 'money' : 'number';
  if (t === 'time') return 'time';
  return 'string';
}

/** `agg.<id>` and `segment.<id>` as the condition builder's fields, with their types and names. */
export function behaviourFields(doc: Workspace, known: FieldInfo[] = []): FieldInfo[] {
  const out: FieldInfo[] = [];
  for (const a of aggregatesOf(doc)) {
    if (!isObject(a) || typeof a.id !== 'string' || a.id === '') continue;
    out.push({ path: `agg.${a.id}`, type: aggValueType(a, doc, known) as FieldType, agg: a });
  }
  for (const s of segmentsOf(doc)) {
    if (!isObject(s) || typeof s.id !== 'string' || s.id === '') continue;
    out.push({ path: `segment.${s.id}`, type: 'boolean', ...(typeof s.name === 'string' && s.name ? { label: s.name } : {}) });
  }
  return out;
}

// ---- sentences ----

function prop(field: string | undefined): string {
  if (!field) return '';
  return field === 'ts' || field === 'event.ts' ? 'ts' : field.replace(/^event\./, '');
}

/** An event type in words (支付订单), else as written. */
export function eventName(t: TFunction, event: string): string {
  return t(`behaviour.events.${event}`, { defaultValue: event });
}

/** "近 90 天 order_paid 的 amount 合计" / "Sum of amount of order_paid, last 90 days". */
export function aggregateText(t: TFunction, a: Aggregate): string {
  const fn = isAggFn(a.fn) ? a.fn : 'count';
  const w = parseWindow(a.window);
  const when = a.window === undefined ? t('behaviour.agg.sentence.ever') : w ? t(`behaviour.agg.sentence.last_${w.unit}`, { count: w.amount }) : String(a.window);
  const field = prop(a.field);
  return t(`behaviour.agg.sentence.${fn}`, {
    event: eventName(t, String(a.event ?? '?')),
    field: field === 'ts' ? t('behaviour.agg.sentence.time') : t(`sentence.fields.event·${field}`, { defaultValue: field }),
    when,
  });
}

/** The name a picker shows for a field: an aggregate's sentence, a segment's name, else `fieldText`. */
export function fieldLabel(t: TFunction, f: FieldInfo, fallback: (path: string) => string): string {
  if (f.agg) return aggregateText(t, f.agg);
  if (f.label) return f.label;
  return fallback(f.path);
}

// ---- what the engine reports (NOT FINAL: adapt here at merge) ----

/** A segment in `GET /v1/segments` (assumed `{ "segments": [ { id, name, size } ] }`). */
export interface SegmentSummary {
  id: string;
  name?: string;
  size: number;
}

/** `GET /v1/segments/{id}` (assumed `{ id, name?, size, sample: [user ids], overlaps: { <other id>: users } }`). */
export interface SegmentDetail {
  id: string;
  name?: string;
  size: number;
  sample: string[];
  /** Users in both this segment and another, by the other's id. */
  overlaps: Record<string, number>;
}

/** The simulator report's `segments: { <id>: { size, entered, exited } }` (plus `overlaps` if it ever has them). */
export interface SegmentSimFigures {
  size: number;
  entered: number;
  exited: number;
  overlaps?: Record<string, number>;
}

/** One bucket of an aggregate's value distribution. */
export interface DistributionBucket {
  label: string;
  users: number;
}

/**
 * An aggregate's value distribution on the sample data, if the simulator's report carries one
 * (`report.aggregates.<id>`: `{ users, missing, buckets: [{ label, lo?, hi?, users }] }`).
 * The engine reports it at the report's time (docs/aggregates.md "In the report"); buckets carry lo/hi as text.
 */
export interface AggregateDistribution {
  /** Users with a value. */
  users: number | null;
  /** Users with no value (missing). */
  missing: number | null;
  buckets: DistributionBucket[];
}

const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const firstCount = (o: Record<string, unknown>, keys: string[]) => {
  for (const k of keys) {
    const c = count(o[k]);
    if (c !== null) return c;
  }
  return null;
};

function readOverlaps(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (Array.isArray(v)) {
    for (const x of v) {
      if (!isObject(x)) continue;
      const id = typeof x.id === 'string' ? x.id : typeof x.segment === 'string' ? x.segment : undefined;
      const n = firstCount(x, ['size', 'overlap', 'users', 'count', 'both']);
      if (id !== undefined && n !== null) out[id] = n;
    }
  } else if (isObject(v)) {
    for (const [id, x] of Object.entries(v)) {
      const n = isObject(x) ? firstCount(x, ['size', 'overlap', 'users', 'count', 'both']) : count(x);
      if (n !== null) out[id] = n;
    }
  }
  return out;
}

/** The answer of `GET /v1/segments` / `list_segments`: `{segments: [...]}` or a bare list. */
export function readSegmentList(body: unknown): SegmentSummary[] {
  const list = Array.isArray(body) ? body : isObject(body) && Array.isArray(body.segments) ? body.segments : [];
  const out: SegmentSummary[] = [];
  for (const x of list) {
    if (!isObject(x) || typeof x.id !== 'string') continue;
    out.push({ id: x.id, ...(typeof x.name === 'string' ? { name: x.name } : {}), size: firstCount(x, ['size', 'users', 'count', 'members']) ?? 0 });
  }
  return out;
}

/** The answer of `GET /v1/segments/{id}` / `get_segment`. */
export function readSegmentDetail(body: unknown, id: string): SegmentDetail {
  const o = isObject(body) ? (isObject(body.segment) ? body.segment : body) : {};
  const sampleRaw = [o.sample, o.members, o.sample_members, o.users].find(Array.isArray) as unknown[] | undefined;
  return {
    id: typeof o.id === 'string' ? o.id : id,
    ...(typeof o.name === 'string' ? { name: o.name } : {}),
    size: firstCount(o, ['size', 'users', 'count']) ?? 0,
    sample: (sampleRaw ?? []).map((u) => (isObject(u) && typeof u.user_id === 'string' ? u.user_id : isObject(u) && typeof u.id === 'string' ? u.id : String(u))),
    overlaps: readOverlaps(o.overlaps ?? o.overlap),
  };
}

/** The simulator report's `segments` section; null when the report has none (an engine before segments). */
export function readSegmentReport(report: unknown): Record<string, SegmentSimFigures> | null {
  if (!isObject(report) || !isObject(report.segments)) return null;
  const out: Record<string, SegmentSimFigures> = {};
  for (const [id, x] of Object.entries(report.segments)) {
    if (!isObject(x)) continue;
    const overlaps = x.overlaps !== undefined ? readOverlaps(x.overlaps) : undefined;
    out[id] = {
      size: firstCount(x, ['size', 'users']) ?? 0,
      entered: firstCount(x, ['entered']) ?? 0,
      exited: firstCount(x, ['exited']) ?? 0,
      ...(overlaps ? { overlaps } : {}),
    };
  }
  return out;
}

/** `report.aggregates.<id>` as a distribution; null when the report carries none for it. */
export function readAggregateDistribution(report: unknown, id: string): AggregateDistribution | null {
  if (!isObject(report) || !isObject(report.aggregates)) return null;
  const a = report.aggregates[id];
  if (!isObject(a)) return null;
  const raw = [a.buckets, a.histogram, a.distribution].find(Array.isArray) as unknown[] | undefined;
  if (!raw) return null;
  const buckets: DistributionBucket[] = [];
  for (const b of raw) {
    if (!isObject(b)) continue;
    const users = firstCount(b, ['users', 'count', 'n']);
    if (users === null) continue;
    let label: string;
    if (typeof b.label === 'string') label = b.label;
    else if (b.lo !== undefined || b.hi !== undefined) label = `${b.lo ?? '…'}–${b.hi ?? '…'}`;
    else if (b.from !== undefined || b.to !== undefined) label = `${b.from ?? '…'}–${b.to ?? '…'}`;
    else label = String(b.value ?? '?');
    buckets.push({ label, users });
  }
  return { users: firstCount(a, ['users', 'with_value', 'count']), missing: firstCount(a, ['missing', 'without_value']), buckets };
}

// ---- the engine's view of one user (`GET /v1/users/{id}`, engine/view.rs `user_view`) ----

/** What the user view says about aggregates and segments; each null when the engine's answer has no such key. */
export interface UserBehaviour {
  /** `[aggregate id, value]` in id order; a value is null when the user has none (missing). */
  aggregates: [string, unknown][] | null;
  /** The ids of the segments the user is in now. */
  segments: string[] | null;
  points: number | null;
}

/** The user view's `aggregates` (object id → value or null) and `segments` (array of ids), read tolerantly. */
export function readUserBehaviour(body: unknown): UserBehaviour {
  const o = isObject(body) ? body : {};
  const aggregates = isObject(o.aggregates)
    ? Object.entries(o.aggregates)
        .map(([id, v]): [string, unknown] => [id, v === undefined ? null : v])
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    : null;
  const segments = Array.isArray(o.segments) ? o.segments.map((s) => (isObject(s) && typeof s.id === 'string' ? s.id : String(s))) : null;
  const points = typeof o.points === 'number' && Number.isFinite(o.points) ? o.points : null;
  return { aggregates, segments, points };
}
