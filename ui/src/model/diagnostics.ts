// Where a diagnostic belongs on the canvas: which journey, node, edge or panel.

import { edgesOf, journeysOf } from './commands';
import type { Diagnostic, Workspace } from './types';

export type DiagArea = 'node' | 'edge' | 'journey' | 'offers' | 'policy' | 'aggregates' | 'segments' | 'models' | 'document';

export interface DiagTarget {
  area: DiagArea;
  journey: number | null;
  node?: string;
  edge?: number;
}

function pointerParts(path: string | undefined): string[] {
  if (!path) return [];
  return path
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function diagTarget(d: Diagnostic, doc: Workspace): DiagTarget {
  const journeys = journeysOf(doc);
  const parts = pointerParts(d.path);
  let j: number | null = null;
  if (typeof d.journey === 'string') {
    const i = journeys.findIndex((x) => x.id === d.journey);
    if (i >= 0) j = i;
  }
  if (j === null && parts[0] === 'journeys' && parts[1] !== undefined && /^\d+$/.test(parts[1])) {
    j = Number(parts[1]);
  }
  if (j !== null) {
    if (typeof d.node === 'string') return { area: 'node', journey: j, node: d.node };
    if (typeof d.edge === 'number') return { area: 'edge', journey: j, edge: d.edge };
    if (parts[2] === 'nodes' && parts[3] !== undefined) {
      const node = journeys[j]?.nodes?.[Number(parts[3])];
      if (node && typeof node.id === 'string') return { area: 'node', journey: j, node: node.id };
    }
    if (parts[2] === 'edges' && parts[3] !== undefined) {
      const edge = Number(parts[3]);
      if (edge < edgesOf(journeys[j]).length) return { area: 'edge', journey: j, edge };
    }
    return { area: 'journey', journey: j };
  }
  if (parts[0] === 'offers') return { area: 'offers', journey: null };
  if (parts[0] === 'policy') return { area: 'policy', journey: null };
  if (parts[0] === 'aggregates') return { area: 'aggregates', journey: null };
  if (parts[0] === 'segments') return { area: 'segments', journey: null };
  if (parts[0] === 'models') return { area: 'models', journey: null };
  return { area: 'document', journey: null };
}

export interface DiagIndex {
  /** By journey index, then node id. */
  nodes: Map<number, Map<string, Diagnostic[]>>;
  /** By journey index, then edge index. */
  edges: Map<number, Map<number, Diagnostic[]>>;
  errors: number;
  warnings: number;
}

export function indexDiagnostics(diags: Diagnostic[], doc: Workspace): DiagIndex {
  const idx: DiagIndex = { nodes: new Map(), edges: new Map(), errors: 0, warnings: 0 };
  for (const d of diags) {
    if (d.severity === 'error') idx.errors += 1;
    else idx.warnings += 1;
    const t = diagTarget(d, doc);
    if (t.journey === null) continue;
    if (t.area === 'node' && t.node !== undefined) {
      const m = idx.nodes.get(t.journey) ?? new Map<string, Diagnostic[]>();
      m.set(t.node, [...(m.get(t.node) ?? []), d]);
      idx.nodes.set(t.journey, m);
    } else if (t.area === 'edge' && t.edge !== undefined) {
      const m = idx.edges.get(t.journey) ?? new Map<number, Diagnostic[]>();
      m.set(t.edge, [...(m.get(t.edge) ?? []), d]);
      idx.edges.set(t.journey, m);
    }
  }
  return idx;
}
