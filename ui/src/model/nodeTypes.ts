// The node table of journey.md: groups for the palette, default params, and output ports.

import {
  NODE_TYPES,
  type Branch,
  type Condition,
  type Journey,
  type JourneyNode,
  type NodeType,
  type ParamsByType,
} from './types';

export type NodeGroup = 'triggers' | 'flow' | 'waits' | 'actions';

export interface NodeTypeInfo {
  type: NodeType;
  group: NodeGroup;
  /** Prefix of generated node ids. */
  prefix: string;
  /** A short glyph shown on the node and in the palette. */
  glyph: string;
  isTrigger: boolean;
}

const INFO: Record<NodeType, Omit<NodeTypeInfo, 'type' | 'isTrigger'>> = {
  'trigger.event': { group: 'triggers', prefix: 't', glyph: '⚡' },
  'trigger.schedule': { group: 'triggers', prefix: 't', glyph: '◷' },
  'trigger.pattern': { group: 'triggers', prefix: 't', glyph: '∑' },
  'trigger.segment': { group: 'triggers', prefix: 't', glyph: '◉' },
  'trigger.placement': { group: 'triggers', prefix: 't', glyph: '▣' },
  condition: { group: 'flow', prefix: 'c', glyph: '◇' },
  'gate.uplift': { group: 'flow', prefix: 'g', glyph: '⇡' },
  switch: { group: 'flow', prefix: 's', glyph: '☰' },
  'split.random': { group: 'flow', prefix: 'ab', glyph: '⚄' },
  'split.experiment': { group: 'flow', prefix: 'x', glyph: '⚗' },
  exit: { group: 'flow', prefix: 'end', glyph: '■' },
  'wait.delay': { group: 'waits', prefix: 'w', glyph: '◔' },
  'wait.event': { group: 'waits', prefix: 'w', glyph: '◎' },
  'action.offer': { group: 'actions', prefix: 'o', glyph: '¥' },
  'action.touch': { group: 'actions', prefix: 'm', glyph: '✉' },
  'action.points': { group: 'actions', prefix: 'p', glyph: '★' },
  'action.update': { group: 'actions', prefix: 'u', glyph: '✎' },
};

export const NODE_GROUPS: NodeGroup[] = ['triggers', 'flow', 'waits', 'actions'];

export function isNodeType(t: unknown): t is NodeType {
  return typeof t === 'string' && (NODE_TYPES as readonly string[]).includes(t);
}

export function nodeTypeInfo(type: NodeType): NodeTypeInfo {
  return { type, ...INFO[type], isTrigger: type.startsWith('trigger.') };
}

export function typesInGroup(group: NodeGroup): NodeType[] {
  return NODE_TYPES.filter((t) => INFO[t].group === group);
}

export function isTriggerType(type: string): boolean {
  return type.startsWith('trigger.') && isNodeType(type);
}

// ---- reading params defensively (a read document may hold anything) ----

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function branchesOf(v: unknown): Branch[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObject).map((b) => b as Branch);
}

/** The output ports the spec gives a node, in their natural order. */
export function specPorts(node: Pick<JourneyNode, 'type' | 'params'>): string[] {
  const p = isObject(node.params) ? node.params : {};
  switch (node.type) {
    case 'trigger.event':
    case 'trigger.schedule':
    case 'trigger.pattern':
    case 'trigger.segment':
    case 'trigger.placement':
    case 'wait.delay':
    case 'action.points':
    case 'action.update':
      return ['out'];
    case 'condition':
      return ['yes', 'no'];
    case 'gate.uplift':
      return ['pass', 'fail'];
    case 'switch': {
      const cases = Array.isArray(p.cases) ? p.cases.filter(isObject) : [];
      return [...cases.map((c) => str(c.port)), 'else'];
    }
    case 'split.random':
      return branchesOf(p.branches).map((b) => str(b.port));
    case 'split.experiment':
      return [...branchesOf(p.variants).map((b) => str(b.port)), 'holdout'];
    case 'wait.event':
      return ['event', 'timeout'];
    case 'action.offer':
      return ['issued', 'rejected'];
    case 'action.touch':
      return ['sent', 'suppressed'];
    case 'exit':
      return [];
    default:
      return [];
  }
}

/**
 * The ports the canvas draws: the spec's, then any port an edge uses that the node lacks (so a
 * dangling edge stays visible, marked, instead of vanishing).
 */
export function canvasPorts(
  node: JourneyNode,
  journey: Journey,
  edgePorts: Map<string, string[]> = portsByNode(journey),
): { port: string; known: boolean }[] {
  const spec = specPorts(node);
  const out = spec.map((port) => ({ port, known: true }));
  const seen = new Set(spec);
  for (const port of edgePorts.get(node.id) ?? []) {
    if (!seen.has(port)) {
      seen.add(port);
      out.push({ port, known: false });
    }
  }
  return out;
}

/** The ports each node's outgoing edges use, in edge order: one pass for a whole journey. */
export function portsByNode(journey: Journey): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of journey.edges) {
    if (typeof e.port !== 'string') continue;
    const list = out.get(e.from);
    if (list) list.push(e.port);
    else out.set(e.from, [e.port]);
  }
  return out;
}

export function hasInput(type: string): boolean {
  return !isTriggerType(type);
}

// ---- creating nodes ----

const DEFAULT_WHEN: Condition = { field: 'user.level', operator: 'eq', value: 'gold' };

export function defaultParams(type: NodeType, ctx: { offers: string[]; nodeId: string; segments?: string[]; models?: string[] }): Record<string, unknown> {
  const params: { [K in NodeType]: ParamsByType[K] } = {
    'trigger.event': { event: 'add_to_cart' },
    'trigger.schedule': {
      cron: '0 10 * * *',
      audience: { field: 'user.register_days', operator: 'gte', value: 0 },
    },
    'trigger.pattern': { event: 'sign_in', count: 3, within: '7d' },
    'trigger.segment': { segment: ctx.segments?.[0] ?? '', on: 'enter' },
    'trigger.placement': { placement: 'home_banner' },
    condition: { when: DEFAULT_WHEN },
    'gate.uplift': { model: ctx.models?.[0] ?? '', threshold: 0.02 },
    switch: { cases: [{ port: 'case_1', when: DEFAULT_WHEN }] },
    'split.random': {
      branches: [
        { port: 'a', percent: 50 },
        { port: 'b', percent: 50 },
      ],
    },
    'split.experiment': {
      experiment: `exp_${ctx.nodeId}`,
      variants: [
        { port: 'control', percent: 50 },
        { port: 'treatment', percent: 50 },
      ],
    },
    'wait.delay': { duration: '1h' },
    'wait.event': { event: 'order_paid', timeout: '1d' },
    'action.offer': { offer: ctx.offers[0] ?? '' },
    'action.touch': { channels: ['push', 'inbox'], template: 'template_1' },
    'action.points': { amount: 100 },
    'action.update': { set: {} },
    exit: {},
  };
  return structuredClone(params[type]) as Record<string, unknown>;
}

export function uniqueId(prefix: string, taken: Set<string>): string {
  for (let i = 1; ; i++) {
    const id = `${prefix}_${i}`;
    if (!taken.has(id)) return id;
  }
}
