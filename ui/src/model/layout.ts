// Auto-layout of a journey with dagre, left to right as the samples are drawn.

import dagre from '@dagrejs/dagre';
import { edgesOf, nodesOf } from './commands';
import { specPorts } from './nodeTypes';
import type { Journey } from './types';

export const DEFAULT_NODE_SIZE = { width: 220, height: 84 };

export function layoutJourney(
  journey: Journey,
  sizes: Record<string, { width: number; height: number }> = {},
): Record<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = nodesOf(journey);
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) {
    const size = sizes[n.id] ?? DEFAULT_NODE_SIZE;
    g.setNode(n.id, { width: size.width, height: size.height });
  }
  const portOrder = new Map(nodes.map((n) => [n.id, specPorts(n)]));
  edgesOf(journey).forEach((e, i) => {
    if (!ids.has(e.from) || !ids.has(e.to)) return;
    // Edges of earlier ports weigh a little more, which keeps "yes" above "no".
    const rank = portOrder.get(e.from)?.indexOf(e.port) ?? 0;
    g.setEdge(e.from, e.to, { weight: rank <= 0 ? 2 : 1 }, `e${i}`);
  });
  dagre.layout(g);
  const out: Record<string, { x: number; y: number }> = {};
  for (const n of nodes) {
    const p = g.node(n.id);
    const size = sizes[n.id] ?? DEFAULT_NODE_SIZE;
    // dagre gives centres; nodes are placed by their top-left corner.
    out[n.id] = { x: Math.round(p.x - size.width / 2), y: Math.round(p.y - size.height / 2) };
  }
  return out;
}
