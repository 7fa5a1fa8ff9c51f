// The difference between two workspaces, for the approver's review: journeys, nodes and edges
// added, removed or changed, and every changed value with its JSON pointer, before and after.
// A node that only moved on the canvas is not "changed" (its `moved` flag says so): positions do
// not change what the engine does.

import { edgesOf, journeysOf, nodesOf } from './commands';
import { isObject } from './nodeTypes';
import type { Edge, Journey, JourneyNode, Offer, Workspace } from './types';

export type ChangeStatus = 'added' | 'removed' | 'changed' | 'unchanged';

export interface FieldChange {
  /** JSON pointer relative to the compared object. */
  path: string;
  before: unknown;
  after: unknown;
}

export interface NodeDiff {
  id: string;
  status: ChangeStatus;
  moved: boolean;
  before?: JourneyNode;
  after?: JourneyNode;
  changes: FieldChange[];
}

export interface EdgeDiff {
  /** `from:port` (a port carries one edge); a repeated port gets `#n`. */
  key: string;
  status: ChangeStatus;
  before?: Edge;
  after?: Edge;
  /** Index of the edge in the new journey (for drawing), or in the old one when removed. */
  index: number;
  changes: FieldChange[];
}

export interface JourneyDiff {
  id: string;
  status: ChangeStatus;
  before?: Journey;
  after?: Journey;
  /** Journey-level fields other than nodes and edges (campaign, entry, exit, priority, ...). */
  fields: FieldChange[];
  nodes: NodeDiff[];
  edges: EdgeDiff[];
}

export interface OfferDiff {
  id: string;
  status: ChangeStatus;
  changes: FieldChange[];
}

export interface WorkspaceDiff {
  journeys: JourneyDiff[];
  offers: OfferDiff[];
  policy: FieldChange[];
  /** Other top-level fields (schema, extensions). */
  other: FieldChange[];
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Every leaf that differs, as pointers under `path`. Key order does not count as a change. */
export function diffValues(before: unknown, after: unknown, path = '', out: FieldChange[] = []): FieldChange[] {
  if (deepEqual(before, after)) return out;
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const k of keys) diffValues(before[k], after[k], `${path}/${escapePointer(k)}`, out);
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    for (let i = 0; i < n; i++) diffValues(before[i], after[i], `${path}/${i}`, out);
    return out;
  }
  out.push({ path, before, after });
  return out;
}

function without<T extends object>(o: T | undefined, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!o) return out;
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) out[k] = v;
  return out;
}

function byId<T extends { id: unknown }>(items: T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const x of items) if (typeof x.id === 'string' && !m.has(x.id)) m.set(x.id, x);
  return m;
}

export function diffNodes(before: JourneyNode[], after: JourneyNode[]): NodeDiff[] {
  const old = byId(before);
  const now = byId(after);
  const out: NodeDiff[] = [];
  for (const [id, a] of now) {
    const b = old.get(id);
    if (!b) {
      out.push({ id, status: 'added', moved: false, after: a, changes: [] });
      continue;
    }
    const changes = diffValues(without(b, ['position']), without(a, ['position']));
    const moved = !deepEqual(b.position, a.position);
    out.push({ id, status: changes.length > 0 ? 'changed' : 'unchanged', moved, before: b, after: a, changes });
  }
  for (const [id, b] of old) {
    if (!now.has(id)) out.push({ id, status: 'removed', moved: false, before: b, changes: [] });
  }
  return out;
}

function edgeKeys(edges: Edge[]): string[] {
  const seen = new Map<string, number>();
  return edges.map((e) => {
    const base = `${e.from}:${e.port}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

export function diffEdges(before: Edge[], after: Edge[]): EdgeDiff[] {
  const oldKeys = edgeKeys(before);
  const newKeys = edgeKeys(after);
  const old = new Map(oldKeys.map((k, i) => [k, i]));
  const out: EdgeDiff[] = [];
  newKeys.forEach((key, index) => {
    const a = after[index] as Edge;
    const bi = old.get(key);
    if (bi === undefined) {
      out.push({ key, status: 'added', after: a, index, changes: [] });
      return;
    }
    const b = before[bi] as Edge;
    const changes = diffValues(b, a);
    out.push({ key, status: changes.length > 0 ? 'changed' : 'unchanged', before: b, after: a, index, changes });
  });
  const now = new Set(newKeys);
  oldKeys.forEach((key, index) => {
    if (!now.has(key)) out.push({ key, status: 'removed', before: before[index] as Edge, index, changes: [] });
  });
  return out;
}

export function diffJourney(before: Journey | undefined, after: Journey | undefined): JourneyDiff {
  const id = (after?.id ?? before?.id ?? '') as string;
  const nodes = diffNodes(nodesOf(before), nodesOf(after));
  const edges = diffEdges(edgesOf(before), edgesOf(after));
  const fields = before && after ? diffValues(without(before, ['nodes', 'edges']), without(after, ['nodes', 'edges'])) : [];
  let status: ChangeStatus;
  if (!before) status = 'added';
  else if (!after) status = 'removed';
  else
    status =
      fields.length > 0 || nodes.some((n) => n.status !== 'unchanged') || edges.some((e) => e.status !== 'unchanged')
        ? 'changed'
        : 'unchanged';
  const d: JourneyDiff = { id, status, fields, nodes, edges };
  if (before) d.before = before;
  if (after) d.after = after;
  return d;
}

function offersOf(doc: Workspace | undefined): Offer[] {
  return doc && Array.isArray(doc.offers) ? doc.offers : [];
}

export function diffWorkspaces(before: Workspace | undefined, after: Workspace): WorkspaceDiff {
  const oldJ = byId(before ? journeysOf(before) : []);
  const newJ = byId(journeysOf(after));
  const journeys: JourneyDiff[] = [];
  for (const [id, a] of newJ) journeys.push(diffJourney(oldJ.get(id), a));
  for (const [id, b] of oldJ) if (!newJ.has(id)) journeys.push(diffJourney(b, undefined));

  const oldO = byId(offersOf(before));
  const newO = byId(offersOf(after));
  const offers: OfferDiff[] = [];
  for (const [id, a] of newO) {
    const b = oldO.get(id);
    if (!b) offers.push({ id, status: 'added', changes: [] });
    else {
      const changes = diffValues(b, a);
      offers.push({ id, status: changes.length ? 'changed' : 'unchanged', changes });
    }
  }
  for (const id of oldO.keys()) if (!newO.has(id)) offers.push({ id, status: 'removed', changes: [] });

  return {
    journeys,
    offers,
    policy: diffValues(before?.policy ?? {}, after.policy ?? {}),
    other: diffValues(without(before, ['journeys', 'offers', 'policy']), without(after, ['journeys', 'offers', 'policy'])),
  };
}

export function diffCounts(d: JourneyDiff): Record<'added' | 'removed' | 'changed', number> {
  const c = { added: 0, removed: 0, changed: 0 };
  for (const n of d.nodes) if (n.status !== 'unchanged') c[n.status] += 1;
  return c;
}
