// The condition builder's tree and its lossless conversion to and from the rule DSL.
//
// `fromDsl` never throws and `toDsl(fromDsl(x))` gives back `x` exactly, key order included:
// every builder node keeps the object it was read from (`base`) and writing spreads that object
// first, so unknown keys stay where they were. Anything the builder cannot show as a group or a
// leaf (a malformed condition) becomes a `raw` node edited as JSON.

import {
  GROUP_OPERATORS,
  LEAF_OPERATORS,
  type Condition,
  type GroupOperator,
  type LeafOperator,
} from './types';
import { isObject } from './nodeTypes';
import { behaviourFields, type Aggregate } from './behaviour';

export interface BuilderGroup {
  kind: 'group';
  key: string;
  operator: GroupOperator;
  children: BuilderNode[];
  base: Record<string, unknown>;
}

export type LeafValue =
  | { kind: 'absent' }
  | { kind: 'literal'; value: unknown }
  | { kind: 'field'; field: string; base: Record<string, unknown> };

export interface BuilderLeaf {
  kind: 'leaf';
  key: string;
  field: string;
  operator: LeafOperator;
  value: LeafValue;
  base: Record<string, unknown>;
}

export interface BuilderRaw {
  kind: 'raw';
  key: string;
  value: unknown;
}

export type BuilderNode = BuilderGroup | BuilderLeaf | BuilderRaw;

let keySeq = 0;
export function newKey(): string {
  keySeq += 1;
  return `k${keySeq}`;
}

export function isGroupOperator(v: unknown): v is GroupOperator {
  return typeof v === 'string' && (GROUP_OPERATORS as readonly string[]).includes(v);
}

export function isLeafOperator(v: unknown): v is LeafOperator {
  return typeof v === 'string' && (LEAF_OPERATORS as readonly string[]).includes(v);
}

export function fromDsl(c: unknown): BuilderNode {
  if (isObject(c)) {
    if (isGroupOperator(c.operator) && Array.isArray(c.children)) {
      return {
        kind: 'group',
        key: newKey(),
        operator: c.operator,
        children: c.children.map(fromDsl),
        base: c,
      };
    }
    if (isLeafOperator(c.operator) && typeof c.field === 'string') {
      let value: LeafValue;
      if (!('value' in c)) value = { kind: 'absent' };
      else if (isObject(c.value) && typeof c.value.field === 'string')
        value = { kind: 'field', field: c.value.field, base: c.value };
      else value = { kind: 'literal', value: c.value };
      return { kind: 'leaf', key: newKey(), field: c.field, operator: c.operator, value, base: c };
    }
  }
  return { kind: 'raw', key: newKey(), value: c };
}

export function toDsl(n: BuilderNode): unknown {
  switch (n.kind) {
    case 'raw':
      return n.value;
    case 'group': {
      const out: Record<string, unknown> = { ...n.base };
      out.operator = n.operator;
      out.children = n.children.map(toDsl);
      return out;
    }
    case 'leaf': {
      const out: Record<string, unknown> = { ...n.base };
      out.field = n.field;
      out.operator = n.operator;
      switch (n.value.kind) {
        case 'absent':
          delete out.value;
          break;
        case 'literal':
          out.value = n.value.value;
          break;
        case 'field': {
          const ref: Record<string, unknown> = { ...n.value.base };
          ref.field = n.value.field;
          out.value = ref;
          break;
        }
      }
      return out;
    }
  }
}

// ---- editing helpers (pure; each returns a new tree) ----

export function newLeaf(field = 'user.level'): BuilderLeaf {
  return {
    kind: 'leaf',
    key: newKey(),
    field,
    operator: 'eq',
    value: { kind: 'literal', value: '' },
    base: {},
  };
}

export function newGroup(operator: GroupOperator, children: BuilderNode[]): BuilderGroup {
  return { kind: 'group', key: newKey(), operator, children, base: {} };
}

/** Replace the node with `key` (anywhere in the tree) by `f(node)`; `null` removes it. */
export function updateNode(
  root: BuilderNode,
  key: string,
  f: (n: BuilderNode) => BuilderNode | null,
): BuilderNode | null {
  if (root.key === key) return f(root);
  if (root.kind !== 'group') return root;
  let changed = false;
  const children: BuilderNode[] = [];
  for (const c of root.children) {
    const next = updateNode(c, key, f);
    if (next !== c) changed = true;
    if (next) children.push(next);
  }
  return changed ? { ...root, children } : root;
}

export function findNode(root: BuilderNode, key: string): BuilderNode | undefined {
  if (root.key === key) return root;
  if (root.kind === 'group') {
    for (const c of root.children) {
      const f = findNode(c, key);
      if (f) return f;
    }
  }
  return undefined;
}

// ---- operators and field types ----

/** `money` and `count` are numbers named for what they hold (aggregates' values, docs/aggregates.md). */
export type FieldType = 'string' | 'number' | 'boolean' | 'list' | 'time' | 'money' | 'count';

/** Whether values of the type are numbers. */
export const isNumericType = (t: FieldType | undefined) => t === 'number' || t === 'money' || t === 'count';

export type ValueShape = 'scalar' | 'list' | 'pair' | 'bool';

export const OPERATOR_SHAPE: Record<LeafOperator, ValueShape> = {
  eq: 'scalar',
  ne: 'scalar',
  gt: 'scalar',
  gte: 'scalar',
  lt: 'scalar',
  lte: 'scalar',
  in: 'list',
  not_in: 'list',
  contains: 'scalar',
  starts_with: 'scalar',
  between: 'pair',
  exists: 'bool',
};

export const OPERATOR_SYMBOL: Record<LeafOperator, string> = {
  eq: '=',
  ne: '≠',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  in: 'in',
  not_in: 'not in',
  contains: 'contains',
  starts_with: 'starts with',
  between: 'between',
  exists: 'exists',
};

/** The operators that make sense for a field type, most useful first. */
export function operatorsFor(type: FieldType | undefined): LeafOperator[] {
  switch (type) {
    case 'number':
    case 'money':
    case 'count':
      return ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'exists'];
    case 'string':
      return ['eq', 'ne', 'in', 'not_in', 'contains', 'starts_with', 'exists'];
    case 'boolean':
      return ['eq', 'ne', 'exists'];
    case 'list':
      return ['contains', 'eq', 'ne', 'exists'];
    case 'time':
      return ['gt', 'gte', 'lt', 'lte', 'between', 'eq', 'ne', 'exists'];
    default:
      return [...LEAF_OPERATORS];
  }
}

/** Reshape a value when the operator changes, keeping what can be kept. */
export function reshapeValue(value: LeafValue, to: LeafOperator, fieldType?: FieldType): LeafValue {
  const shape = OPERATOR_SHAPE[to];
  if (shape === 'bool') return { kind: 'literal', value: true };
  if (value.kind === 'field') return value;
  const current = value.kind === 'literal' ? value.value : undefined;
  const blank = isNumericType(fieldType) ? 0 : '';
  const first = Array.isArray(current) ? current[0] : current;
  const scalar = first === undefined || typeof first === 'boolean' || isObject(first) ? blank : first;
  switch (shape) {
    case 'scalar':
      return { kind: 'literal', value: scalar };
    case 'list':
      return { kind: 'literal', value: Array.isArray(current) ? current : [scalar] };
    case 'pair': {
      if (Array.isArray(current) && current.length === 2) return value;
      return { kind: 'literal', value: [scalar, scalar] };
    }
  }
}

// ---- the field catalog (what the sample data generator writes, plus the engine's facts) ----

export interface FieldInfo {
  path: string;
  type: FieldType;
  values?: (string | number)[];
  min?: number;
  max?: number;
  /** A name for the picker (a segment's `name`). */
  label?: string;
  /** The aggregate an `agg.<id>` field reads (the picker words it). */
  agg?: Aggregate;
}

const CITIES = ['北京', '上海', '广州', '深圳', '杭州', '成都', '武汉', '西安', '南京', '重庆', '天津', '苏州', '长沙', '郑州', '青岛', '厦门', '沈阳', '昆明'];
const LEVELS = ['normal', 'silver', 'gold', 'platinum'];
const SIGNUP_CHANNELS = ['app', 'mini_program', 'web', 'h5', 'offline_store'];
const TAGS = ['new', 'high_value', 'coupon_lover', 'price_sensitive', 'night_owl', 'new_parent', 'student', 'white_collar', 'live_stream_buyer', 'points_blocked', 'vip_candidate'];
const CATEGORIES = ['electronics', 'apparel', 'beauty', 'food', 'home', 'baby', 'books', 'sports'];

export const EVENT_TYPES = [
  'register',
  'login',
  'sign_in',
  'page_view',
  'add_to_cart',
  'cart_cleared',
  'order_paid',
  'order_completed',
  'level_changed',
  'profile_update',
  'unsubscribe',
  'account_frozen',
  'membership_cancelled',
];

export const BASE_FIELDS: FieldInfo[] = [
  { path: 'event.type', type: 'string', values: EVENT_TYPES },
  { path: 'event.ts', type: 'time' },
  { path: 'event.amount', type: 'number' },
  { path: 'event.category', type: 'string', values: CATEGORIES },
  { path: 'event.sku', type: 'string' },
  { path: 'event.quantity', type: 'number' },
  { path: 'event.order_id', type: 'string' },
  { path: 'event.items', type: 'number' },
  { path: 'event.payment', type: 'string', values: ['alipay', 'wechat_pay', 'unionpay', 'credit_card'] },
  { path: 'event.page', type: 'string', values: ['home', 'category', 'product', 'search', 'promo', 'live'] },
  { path: 'event.platform', type: 'string', values: ['ios', 'android', 'mini_program', 'web', 'h5'] },
  { path: 'event.channel', type: 'string', values: [...SIGNUP_CHANNELS, 'internal_test', 'sms', 'email', 'push'] },
  { path: 'event.city', type: 'string', values: CITIES },
  { path: 'event.points', type: 'number' },
  { path: 'event.streak_days', type: 'number' },
  { path: 'event.from', type: 'string', values: LEVELS },
  { path: 'event.to', type: 'string', values: LEVELS },
  { path: 'event.level', type: 'string', values: LEVELS },
  { path: 'event.reason', type: 'string', values: ['risk_control', 'user_request'] },
  { path: 'user.city', type: 'string', values: CITIES },
  { path: 'user.level', type: 'string', values: LEVELS },
  { path: 'user.register_days', type: 'number', min: 0 },
  { path: 'user.tags', type: 'list', values: TAGS },
  { path: 'user.last_order_days', type: 'number', min: 0 },
  { path: 'user.last_sign_in_days', type: 'number', min: 0 },
  { path: 'user.lifetime_value', type: 'number', min: 0 },
  { path: 'user.order_count', type: 'number', min: 0 },
  { path: 'user.channel', type: 'string', values: SIGNUP_CHANNELS },
  { path: 'user.age', type: 'number', min: 0 },
  { path: 'user.marketing_optout', type: 'boolean' },
  { path: 'user.cart_amount', type: 'number', min: 0 },
  { path: 'user.free_shipping_threshold', type: 'number', min: 0 },
  { path: 'now.hour', type: 'number', min: 0, max: 23 },
  { path: 'now.weekday', type: 'number', min: 0, max: 6 },
  { path: 'journey.entered_at', type: 'time' },
];

function typeOfValue(v: unknown): FieldType | undefined {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  return undefined;
}

/** The fields found under each object or array, in document order, kept while it lives: the
 * document is edited by copying the path to the change, so an edit walks only that path again. */
const fieldsUnder = new WeakMap<object, [string, FieldType | undefined][]>();

function fieldsOf(root: unknown): [string, FieldType | undefined][] {
  if (!Array.isArray(root) && !isObject(root)) return [];
  const known = fieldsUnder.get(root);
  if (known) return known;
  const found: [string, FieldType | undefined][] = [];
  if (Array.isArray(root)) {
    for (const x of root) found.push(...fieldsOf(x));
  } else {
    if (typeof root.field === 'string' && isLeafOperator(root.operator)) {
      let t: FieldType | undefined;
      const v = root.value;
      if (Array.isArray(v)) t = typeOfValue(v[0]);
      else if (root.operator === 'contains' && typeof v === 'string') t = undefined;
      else t = typeOfValue(v);
      found.push([root.field, t]);
    }
    for (const v of Object.values(root)) found.push(...fieldsOf(v));
  }
  fieldsUnder.set(root, found);
  return found;
}

/** Fields used by conditions anywhere in `root` (a workspace or any part), with a guessed type. */
export function collectFields(root: unknown, out = new Map<string, FieldType | undefined>()): Map<string, FieldType | undefined> {
  for (const [field, t] of fieldsOf(root)) {
    if (!out.has(field) || out.get(field) === undefined) out.set(field, t);
  }
  return out;
}

/**
 * The catalog, the workspace's aggregates (`agg.<id>`) and segments (`segment.<id>`), plus whatever
 * the document uses. `scope`: `audience` (schedules) keeps `user.*`, `now.*`, `agg.*`, `segment.*`;
 * `segment` (a segment's `when`) keeps `user.*` and `agg.*`; `event` (an aggregate's `where`) keeps `event.*`.
 */
export function fieldCatalog(doc: unknown, scope: 'journey' | 'audience' | 'segment' | 'event' = 'journey'): FieldInfo[] {
  const known = new Map(BASE_FIELDS.map((f) => [f.path, f]));
  if (isObject(doc)) for (const f of behaviourFields(doc as never, BASE_FIELDS)) known.set(f.path, f);
  for (const [path, type] of collectFields(doc)) {
    if (!known.has(path)) known.set(path, { path, type: type ?? 'string' });
  }
  const all = [...known.values()];
  const keep: Record<typeof scope, string[] | null> = {
    journey: null,
    audience: ['user.', 'now.', 'agg.', 'segment.'],
    segment: ['user.', 'agg.'],
    event: ['event.'],
  };
  const prefixes = keep[scope];
  return prefixes ? all.filter((f) => prefixes.some((p) => f.path.startsWith(p))) : all;
}

// ---- text ----

function valueText(v: unknown): string {
  if (isObject(v) && typeof v.field === 'string') return v.field;
  if (Array.isArray(v)) return `[${v.map(valueText).join(', ')}]`;
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? '';
}

/** A one-line rendering of a condition for node bodies and lists. */
export function conditionText(c: unknown): string {
  if (isObject(c)) {
    if (isGroupOperator(c.operator) && Array.isArray(c.children)) {
      if (c.operator === 'NOT') return `NOT (${c.children.map(conditionText).join(', ')})`;
      const parts = c.children.map((x) => {
        const t = conditionText(x);
        return isObject(x) && isGroupOperator(x.operator) && x.operator !== 'NOT' ? `(${t})` : t;
      });
      return parts.join(` ${c.operator} `);
    }
    if (isLeafOperator(c.operator) && typeof c.field === 'string') {
      if (c.operator === 'exists') return c.value === false ? `${c.field} missing` : `${c.field} exists`;
      if (c.operator === 'between' && Array.isArray(c.value))
        return `${c.field} ∈ [${valueText(c.value[0])}, ${valueText(c.value[1])}]`;
      return `${c.field} ${OPERATOR_SYMBOL[c.operator]} ${valueText(c.value)}`;
    }
  }
  return JSON.stringify(c) ?? '';
}

export type { Condition };
