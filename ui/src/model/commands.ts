// Edits of the workspace document as pure functions: each takes a document and returns a new
// one, sharing what did not change, so the store's undo history is a list of snapshots and React
// sees exactly which journeys and nodes changed. Objects are always updated by spreading the old
// object first, which keeps unknown fields and the order of keys.

import { defaultParams, isObject, nodeTypeInfo, specPorts, uniqueId } from './nodeTypes';
import { modelsOf } from './uplift';
import { segmentsOf } from './behaviour';
import type { Edge, Journey, JourneyNode, NodeType, Offer, Position, Workspace } from './types';

// One shared empty list, so selectors reading a malformed document return a stable value.
const EMPTY: never[] = [];

export function journeysOf(doc: Workspace): Journey[] {
  return Array.isArray(doc.journeys) ? doc.journeys : EMPTY;
}

export function nodesOf(j: Journey | undefined): JourneyNode[] {
  return j && Array.isArray(j.nodes) ? j.nodes : EMPTY;
}

export function edgesOf(j: Journey | undefined): Edge[] {
  return j && Array.isArray(j.edges) ? j.edges : EMPTY;
}

export function offersOf(doc: Workspace): Offer[] {
  return Array.isArray(doc.offers) ? doc.offers : EMPTY;
}

export function offerIds(doc: Workspace): string[] {
  return Array.isArray(doc.offers) ? doc.offers.map((o) => o.id).filter((x) => typeof x === 'string') : [];
}

export function updateJourney(doc: Workspace, j: number, f: (journey: Journey) => Journey): Workspace {
  const journeys = journeysOf(doc);
  const old = journeys[j];
  if (!old) return doc;
  const next = f(old);
  if (next === old) return doc;
  const copy = journeys.slice();
  copy[j] = next;
  return { ...doc, journeys: copy };
}

function withNodes(journey: Journey, nodes: JourneyNode[]): Journey {
  return { ...journey, nodes };
}

function withEdges(journey: Journey, edges: Edge[]): Journey {
  return { ...journey, edges };
}

export function updateNode(
  doc: Workspace,
  j: number,
  nodeId: string,
  f: (n: JourneyNode) => JourneyNode,
): Workspace {
  return updateJourney(doc, j, (journey) => {
    const nodes = nodesOf(journey);
    const i = nodes.findIndex((n) => n.id === nodeId);
    const old = nodes[i];
    if (!old) return journey;
    const next = f(old);
    if (next === old) return journey;
    const copy = nodes.slice();
    copy[i] = next;
    return withNodes(journey, copy);
  });
}

const round = (v: number) => Math.round(v);

/**
 * The order the CLI writes keys in (journey.md's order); a key the editor adds goes where the
 * CLI would put it, so a document edited here and one written by the CLI stay byte-identical.
 */
export const KEY_ORDER = {
  workspace: ['schema', 'offers', 'policy', 'aggregates', 'segments', 'models', 'journeys'],
  journey: ['schema', 'id', 'name', 'campaign', 'priority', 'mutex_group', 'entry', 'exit', 'nodes', 'edges'],
  node: ['id', 'type', 'params', 'label', 'position'],
  offer: ['id', 'kind', 'face_value', 'min_spend', 'stock', 'per_user_limit', 'valid_for'],
  policy: ['tz', 'freq_caps', 'quiet_hours', 'conversion', 'attribution'],
  campaign: ['id', 'budget', 'starts_at', 'ends_at', 'hourly_quota', 'pacing', 'breaker'],
  params: {
    'trigger.event': ['event', 'where'],
    'trigger.schedule': ['cron', 'audience'],
    'trigger.pattern': ['event', 'count', 'within', 'where', 'unless'],
    'trigger.segment': ['segment', 'on'],
    'trigger.placement': ['placement', 'where', 'fallback'],
    'gate.uplift': ['model', 'threshold'],
    'split.random': ['branches', 'salt'],
    'split.experiment': ['experiment', 'variants', 'holdout_percent'],
    'wait.event': ['event', 'where', 'timeout'],
    'action.touch': ['channels', 'template', 'content'],
    'action.points': ['amount', 'reason'],
  } as Record<string, string[]>,
};

/**
 * Set `key` (or remove it with `undefined`) in a copy of `obj`. An existing key keeps its place;
 * a new one goes before the first present key that `order` puts after it, else at the end.
 */
export function setKey<T extends Record<string, unknown>>(obj: T, key: string, value: unknown, order: string[] = []): T {
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

/** The size a node is taken to have when placing a new one (the canvas draws them up to 232 × ~100). */
export const NODE_BOX = { width: 232, height: 100 };
const GAP = 20;

/**
 * Where a new node goes near `pos` without covering another: `pos` when it is free, else the
 * first free place below it (a drop onto a node lands under it).
 */
export function freeSpot(nodes: JourneyNode[], pos: { x: number; y: number }): { x: number; y: number } {
  const boxes = nodes.filter((n) => n.position && typeof n.position.x === 'number' && typeof n.position.y === 'number').map((n) => n.position as { x: number; y: number });
  const hits = (p: { x: number; y: number }) => boxes.some((b) => Math.abs(b.x - p.x) < NODE_BOX.width + GAP && Math.abs(b.y - p.y) < NODE_BOX.height + GAP);
  let p = { ...pos };
  for (let i = 0; i < 200 && hits(p); i += 1) {
    // Move just below the lowest node in the way.
    const below = Math.max(...boxes.filter((b) => Math.abs(b.x - p.x) < NODE_BOX.width + GAP && Math.abs(b.y - p.y) < NODE_BOX.height + GAP).map((b) => b.y));
    p = { x: p.x, y: below + NODE_BOX.height + GAP };
  }
  return p;
}

export function addNode(
  doc: Workspace,
  j: number,
  type: NodeType,
  position: { x: number; y: number },
): { doc: Workspace; id: string } {
  const journey = journeysOf(doc)[j];
  if (!journey) return { doc, id: '' };
  const taken = new Set(nodesOf(journey).map((n) => n.id));
  const id = uniqueId(nodeTypeInfo(type).prefix, taken);
  const node: JourneyNode = {
    id,
    type,
    params: defaultParams(type, { offers: offerIds(doc), nodeId: id, segments: segmentsOf(doc).map((s) => s.id).filter((s) => typeof s === 'string'), models: modelsOf(doc).map((m) => (isObject(m) ? m.id : undefined)).filter((m): m is string => typeof m === 'string') }),
    position: { x: round(position.x), y: round(position.y) },
  };
  return { doc: updateJourney(doc, j, (jr) => withNodes(jr, [...nodesOf(jr), node])), id };
}

export function moveNodes(doc: Workspace, j: number, moves: Record<string, { x: number; y: number }>): Workspace {
  return updateJourney(doc, j, (journey) => {
    let changed = false;
    const nodes = nodesOf(journey).map((n) => {
      const m = moves[n.id];
      if (!m) return n;
      const x = round(m.x);
      const y = round(m.y);
      if (n.position && n.position.x === x && n.position.y === y) return n;
      changed = true;
      const position: Position = { ...(n.position ?? {}), x, y };
      return { ...n, position };
    });
    return changed ? withNodes(journey, nodes) : journey;
  });
}

/** Delete nodes (and every edge touching them) and edges by index. */
export function deleteElements(doc: Workspace, j: number, nodeIds: string[], edgeIndexes: number[]): Workspace {
  if (nodeIds.length === 0 && edgeIndexes.length === 0) return doc;
  const gone = new Set(nodeIds);
  const goneEdges = new Set(edgeIndexes);
  return updateJourney(doc, j, (journey) => {
    const nodes = nodesOf(journey).filter((n) => !gone.has(n.id));
    const edges = edgesOf(journey).filter((e, i) => !goneEdges.has(i) && !gone.has(e.from) && !gone.has(e.to));
    return { ...journey, nodes, edges };
  });
}

/**
 * Connect `from`'s `port` to `to`. A port carries at most one edge (journey.md), so an edge
 * already leaving that port is re-pointed (keeping its other fields) instead of doubled.
 */
export function connect(doc: Workspace, j: number, from: string, port: string, to: string): Workspace {
  return updateJourney(doc, j, (journey) => {
    const edges = edgesOf(journey);
    const i = edges.findIndex((e) => e.from === from && e.port === port);
    const existing = edges[i];
    if (existing) {
      if (existing.to === to) return journey;
      const copy = edges.slice();
      copy[i] = { ...existing, to };
      return withEdges(journey, copy);
    }
    return withEdges(journey, [...edges, { from, port, to }]);
  });
}

export function setParams(doc: Workspace, j: number, nodeId: string, params: Record<string, unknown>): Workspace {
  return updateNode(doc, j, nodeId, (n) => ({ ...n, params }));
}

/** Set (or with `undefined`, remove) a top-level field of a node such as `label`. */
export function setNodeField(doc: Workspace, j: number, nodeId: string, key: string, value: unknown): Workspace {
  return updateNode(doc, j, nodeId, (n) => setKey(n, key, value, KEY_ORDER.node));
}

/** Set (or remove) one param of a node, in the CLI's key order for its type. */
export function setParam(doc: Workspace, j: number, nodeId: string, key: string, value: unknown): Workspace {
  return updateNode(doc, j, nodeId, (n) => {
    const params = typeof n.params === 'object' && n.params !== null && !Array.isArray(n.params) ? n.params : {};
    return { ...n, params: setKey(params, key, value, KEY_ORDER.params[n.type]) };
  });
}

export type RenameError = 'empty' | 'taken' | 'bad_slug';

export const SLUG = /^[a-z0-9_-]{1,64}$/;

/** Rename a node and re-point the edges that name it. */
export function renameNode(doc: Workspace, j: number, oldId: string, newId: string): Workspace | RenameError {
  if (newId === oldId) return doc;
  if (!newId) return 'empty';
  if (!SLUG.test(newId)) return 'bad_slug';
  const journey = journeysOf(doc)[j];
  if (nodesOf(journey).some((n) => n.id === newId)) return 'taken';
  return updateJourney(doc, j, (jr) => ({
    ...jr,
    nodes: nodesOf(jr).map((n) => (n.id === oldId ? { ...n, id: newId } : n)),
    edges: edgesOf(jr).map((e) => {
      if (e.from !== oldId && e.to !== oldId) return e;
      const next = { ...e };
      if (e.from === oldId) next.from = newId;
      if (e.to === oldId) next.to = newId;
      return next;
    }),
  }));
}

/** Re-point edges leaving `nodeId` by `oldPort` to `newPort` (after a case or branch rename). */
export function renamePortEdges(journey: Journey, nodeId: string, oldPort: string, newPort: string): Journey {
  const edges = edgesOf(journey);
  if (!edges.some((e) => e.from === nodeId && e.port === oldPort)) return journey;
  return withEdges(
    journey,
    edges.map((e) => (e.from === nodeId && e.port === oldPort ? { ...e, port: newPort } : e)),
  );
}

/**
 * Set a node's params where ports may have been renamed or removed: `renames` maps old port names
 * to new ones, and edges leaving a port the node no longer has are dropped.
 */
export function setParamsWithPorts(
  doc: Workspace,
  j: number,
  nodeId: string,
  params: Record<string, unknown>,
  renames: Record<string, string> = {},
): Workspace {
  return updateJourney(doc, j, (journey) => {
    let jr = journey;
    const node = nodesOf(jr).find((n) => n.id === nodeId);
    if (!node) return journey;
    const before = new Set(specPorts(node));
    for (const [from, to] of Object.entries(renames)) jr = renamePortEdges(jr, nodeId, from, to);
    const after = new Set(specPorts({ type: node.type, params }));
    const removed = [...before].filter((p) => !after.has(p) && !(p in renames));
    if (removed.length > 0) {
      jr = withEdges(
        jr,
        edgesOf(jr).filter((e) => !(e.from === nodeId && removed.includes(e.port))),
      );
    }
    return {
      ...jr,
      nodes: nodesOf(jr).map((n) => (n.id === nodeId ? { ...n, params } : n)),
    };
  });
}

// ---- copy and paste ----

export interface Clipboard {
  nodes: JourneyNode[];
  edges: Edge[];
}

export function copyElements(journey: Journey | undefined, nodeIds: string[]): Clipboard | null {
  const ids = new Set(nodeIds);
  const nodes = nodesOf(journey).filter((n) => ids.has(n.id));
  if (nodes.length === 0) return null;
  const edges = edgesOf(journey).filter((e) => ids.has(e.from) && ids.has(e.to));
  return structuredClone({ nodes, edges });
}

/** Paste with fresh ids (`<id>_copy`, `<id>_copy_2`, ...) and positions moved by `offset`. */
export function paste(
  doc: Workspace,
  j: number,
  clip: Clipboard,
  offset: { x: number; y: number },
): { doc: Workspace; ids: string[] } {
  const journey = journeysOf(doc)[j];
  if (!journey) return { doc, ids: [] };
  const taken = new Set(nodesOf(journey).map((n) => n.id));
  const rename = new Map<string, string>();
  for (const n of clip.nodes) {
    let id = `${n.id}_copy`.slice(0, 64);
    for (let k = 2; taken.has(id); k++) id = `${n.id}_copy_${k}`.slice(0, 64);
    taken.add(id);
    rename.set(n.id, id);
  }
  const nodes = clip.nodes.map((n): JourneyNode => {
    const copy: JourneyNode = { ...structuredClone(n), id: rename.get(n.id) ?? n.id };
    const p = n.position ?? { x: 0, y: 0 };
    copy.position = { ...p, x: round(p.x + offset.x), y: round(p.y + offset.y) };
    return copy;
  });
  const edges = clip.edges.map((e) => ({
    ...structuredClone(e),
    from: rename.get(e.from) ?? e.from,
    to: rename.get(e.to) ?? e.to,
  }));
  const next = updateJourney(doc, j, (jr) => ({
    ...jr,
    nodes: [...nodesOf(jr), ...nodes],
    edges: [...edgesOf(jr), ...edges],
  }));
  return { doc: next, ids: nodes.map((n) => n.id) };
}

// ---- journeys, offers, policy ----

export function addJourney(doc: Workspace): { doc: Workspace; index: number } {
  const journeys = journeysOf(doc);
  const id = uniqueId('journey', new Set(journeys.map((j) => j.id)));
  const journey: Journey = { id, name: '', nodes: [], edges: [] };
  return { doc: { ...doc, journeys: [...journeys, journey] }, index: journeys.length };
}

export function removeJourney(doc: Workspace, j: number): Workspace {
  const journeys = journeysOf(doc);
  if (!journeys[j]) return doc;
  return { ...doc, journeys: journeys.filter((_, i) => i !== j) };
}

export function setJourneyField(doc: Workspace, j: number, key: string, value: unknown): Workspace {
  return updateJourney(doc, j, (jr) => setKey(jr, key, value, KEY_ORDER.journey));
}

export function setDocField(doc: Workspace, key: string, value: unknown): Workspace {
  return setKey(doc, key, value, KEY_ORDER.workspace);
}
