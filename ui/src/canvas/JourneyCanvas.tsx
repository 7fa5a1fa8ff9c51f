// The journey canvas (@xyflow/react). It draws one journey of the document; in edit mode it
// sends every gesture to the editor store as a command, in read-only mode (simulation, review,
// monitor) it only draws, with overlays. Nodes are derived from the document and cached by
// identity, so a change to one node re-renders one node (a 300-node journey stays smooth).

import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import {
  Background,
  ControlButton,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore,
  type Connection,
  type Edge as FlowEdge,
  type EdgeChange,
  type NodeChange,
  type OnNodeDrag,
} from '@xyflow/react';
import { useTranslation } from 'react-i18next';
import { edgesOf, nodesOf } from '../model/commands';
import { canvasPorts, hasInput, isNodeType, nodeTypeInfo, portsByNode } from '../model/nodeTypes';
import type { ChangeStatus, JourneyDiff } from '../model/diff';
import type { Diagnostic, Journey, JourneyNode, JourneyReport, NodeType, Offer } from '../model/types';
import { flowKind, nodeTypes, portLabel, type FlowNode, type FlowNodeData } from './JourneyNode';
import { MIN_READABLE_ZOOM, readableViewport } from './fit';

export const DND_TYPE = 'application/trellis-node';

export interface CanvasOverlays {
  diags?: { nodes?: Map<string, Diagnostic[]>; edges?: Map<number, Diagnostic[]> };
  counts?: JourneyReport;
  diff?: JourneyDiff;
  path?: Set<string>;
}

export interface CanvasEditor {
  /** The selection to draw. */
  selection: { nodes: string[]; edges: number[] };
  /** The selection now (node and edge changes of one click arrive in two calls). */
  currentSelection(): { nodes: string[]; edges: number[] };
  select(sel: { nodes: string[]; edges: number[] }): void;
  checkpoint(): void;
  moveNodes(moves: Record<string, { x: number; y: number }>, record: boolean): void;
  connect(from: string, port: string, to: string): void;
  deleteElements(nodes: string[], edges: number[]): void;
  addNode(type: NodeType, position: { x: number; y: number }): void;
}

export interface JourneyCanvasProps {
  journey: Journey;
  offers: Offer[];
  overlays?: CanvasOverlays;
  editor?: CanvasEditor;
  onNodeClick?: (id: string) => void;
  fitRequest?: number;
  /** Center `node`; with `around`, fit those nodes (a way through the journey) instead. */
  focus?: { node: string; seq: number; around?: string[] } | null;
  /** Where this journey's view was left, restored when the journey is shown again. */
  viewport?: { x: number; y: number; zoom: number };
  onViewportChange?: (v: { x: number; y: number; zoom: number }) => void;
  /**
   * A small preview inside a scrolling page (the review's diff): the wheel scrolls the page
   * until the canvas is clicked, and zooms it only then (until the pointer leaves it).
   */
  wheelZoomsOnlyWhenFocused?: boolean;
  testId?: string;
}

type Sizes = Record<string, { width: number; height: number }>;

const GROUP_COLOR: Record<string, string> = {
  triggers: '#2f7d4f',
  flow: '#3d63b8',
  waits: '#a06d12',
  actions: '#8a3fa0',
  unknown: '#888',
};

function minimapColor(n: FlowNode): string {
  const t = n.data.node.type;
  return GROUP_COLOR[isNodeType(t) ? nodeTypeInfo(t).group : 'unknown'] ?? '#888';
}

interface CacheEntry {
  deps: unknown[];
  node: FlowNode;
}

function sameDeps(a: unknown[], b: unknown[]) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** xyflow ids must be unique; a document may repeat a node id (E_DUPLICATE_ID). */
function flowIds(nodes: JourneyNode[]): string[] {
  const seen = new Map<string, number>();
  return nodes.map((n) => {
    const id = String(n.id);
    const k = seen.get(id) ?? 0;
    seen.set(id, k + 1);
    return k === 0 ? id : `${id}\u0000${k}`;
  });
}

const docId = (flowId: string) => flowId.split('\u0000')[0] ?? flowId;

const STATUS_EDGE: Record<ChangeStatus, string | undefined> = {
  added: '#1f9d55',
  removed: '#d64545',
  changed: '#d98c00',
  unchanged: undefined,
};

/** The first deps of a node's cache entry: what its data object is made from. */
const DATA_DEPS = 8;

function nodeData(
  n: JourneyNode,
  ports: FlowNodeData['ports'],
  diags: Diagnostic[] | undefined,
  counts: FlowNodeData['counts'],
  status: ChangeStatus | undefined,
  moved: boolean | undefined,
  onPath: boolean | undefined,
  offerName: string | undefined,
): FlowNodeData {
  const data: FlowNodeData = { node: n, ports, hasInput: hasInput(n.type) };
  if (diags) data.diags = diags;
  if (counts) data.counts = counts;
  if (status) data.status = status;
  if (moved) data.moved = moved;
  if (onPath !== undefined) {
    data.onPath = onPath;
    data.dim = !onPath;
  }
  if (offerName) data.offerName = offerName;
  return data;
}

/**
 * How many nodes that xyflow has not measured yet go onto the canvas per frame. Mounting a
 * 300-node journey at once (an import, or the sandbox switching to a bigger document on Run)
 * held the window for 0.75 s in WebKit; in batches each frame does a slice of it.
 */
export const MOUNT_BATCH = 20;

const unmeasuredIn = (nodes: { measured?: unknown }[]) => nodes.reduce((k, n) => (n.measured ? k : k + 1), 0);

/**
 * The nodes to hand xyflow now: every measured node, and at most `budget` unmeasured ones (in
 * document order). A small addition (a drop, a paste) goes on at once.
 */
export function mountSlice<N extends { measured?: unknown }>(nodes: N[], budget: number): N[] {
  if (unmeasuredIn(nodes) <= budget) return nodes;
  let left = budget;
  return nodes.filter((n) => {
    if (n.measured) return true;
    if (left <= 0) return false;
    left -= 1;
    return true;
  });
}

export function JourneyCanvas(props: JourneyCanvasProps) {
  const { journey, offers, overlays, editor } = props;
  const { t } = useTranslation();
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const [sizes, setSizes] = useState<Sizes>({});
  const cache = useRef(new Map<string, CacheEntry>());

  const offerNames = useMemo(() => new Map(offers.map((o) => [o.id, typeof o.name === 'string' ? o.name : ''])), [offers]);

  const nodes = useMemo<FlowNode[]>(() => {
    const list = nodesOf(journey);
    const ids = flowIds(list);
    const selected = new Set(editor?.selection.nodes ?? []);
    const diffBy = new Map(overlays?.diff?.nodes.map((d) => [d.id, d]) ?? []);
    const edgePorts = portsByNode(journey);
    const next = new Map<string, CacheEntry>();
    const out: FlowNode[] = [];
    const push = (fid: string, n: JourneyNode, status?: ChangeStatus, moved?: boolean) => {
      const ports = canvasPorts(n, journey, edgePorts);
      const portsKey = ports.map((p) => `${p.port}${p.known ? '' : '?'}`).join('|');
      const diags = overlays?.diags?.nodes?.get(n.id);
      const counts = overlays?.counts?.nodes[n.id];
      const onPath = overlays?.path ? overlays.path.has(n.id) : undefined;
      const offerName = n.type === 'action.offer' && typeof n.params?.offer === 'string' ? offerNames.get(n.params.offer) : undefined;
      const isSel = selected.has(n.id);
      const size = sizes[fid];
      const deps = [n, portsKey, diags, counts, status, moved, onPath, offerName, isSel, !!editor, size];
      const prev = cache.current.get(fid);
      if (prev && sameDeps(prev.deps, deps)) {
        next.set(fid, prev);
        out.push(prev.node);
        return;
      }
      // Only the size or the selection changed (xyflow measured the node): keep the data
      // object, so the memoised node view draws again only if `selected` changed; the measuring
      // pass of a big journey touches no node's content.
      const data: FlowNodeData =
        prev && sameDeps(prev.deps.slice(0, DATA_DEPS), deps.slice(0, DATA_DEPS)) ? prev.node.data : nodeData(n, ports, diags, counts, status, moved, onPath, offerName);
      const pos = n.position && typeof n.position.x === 'number' && typeof n.position.y === 'number' ? n.position : { x: 0, y: 0 };
      const fn = {
        id: fid,
        type: flowKind(n.type),
        position: { x: pos.x, y: pos.y },
        data,
        selected: isSel,
        draggable: !!editor && status !== 'removed',
        connectable: !!editor,
        deletable: !!editor,
        ...(size ? { measured: size } : {}),
      } as FlowNode;
      next.set(fid, { deps, node: fn });
      out.push(fn);
    };
    list.forEach((n, i) => {
      const d = diffBy.get(n.id);
      push(ids[i] as string, n, d?.status, d?.moved);
    });
    // A review shows removed nodes as ghosts where they were.
    for (const d of overlays?.diff?.nodes ?? []) {
      if (d.status === 'removed' && d.before) push(`${d.id}\u0000removed`, d.before, 'removed');
    }
    cache.current = next;
    return out;
  }, [journey, editor, overlays, offerNames, sizes]);

  const edgeCache = useRef(new Map<number, { deps: unknown[]; edge: FlowEdge }>());
  const lastEdges = useRef<FlowEdge[]>([]);
  const edges = useMemo<FlowEdge[]>(() => {
    const sel = new Set(editor?.selection.edges ?? []);
    const present = new Set(nodesOf(journey).map((n) => n.id));
    const diffByIndex = new Map<number, ChangeStatus>();
    for (const d of overlays?.diff?.edges ?? []) if (d.status !== 'removed') diffByIndex.set(d.index, d.status);
    const nextCache = new Map<number, { deps: unknown[]; edge: FlowEdge }>();
    const out: FlowEdge[] = edgesOf(journey).map((e, i) => {
      const diags = overlays?.diags?.edges?.get(i);
      const count = overlays?.counts?.nodes[e.from]?.ports[e.port];
      const status = diffByIndex.get(i);
      // Like the nodes: an edge whose inputs did not change keeps its object, so an edit of one
      // node does not hand xyflow hundreds of new edges to diff and redraw.
      const shown = present.has(e.from) && present.has(e.to);
      const dim = overlays?.path ? !(overlays.path.has(e.from) && overlays.path.has(e.to)) : undefined;
      const deps = [e, diags, count, status, sel.has(i), shown, dim, !!editor];
      const prev = edgeCache.current.get(i);
      if (prev && sameDeps(prev.deps, deps)) {
        nextCache.set(i, prev);
        return prev.edge;
      }
      const color = diags?.length ? '#d64545' : status ? STATUS_EDGE[status] : undefined;
      const label = count !== undefined ? count.toLocaleString() : undefined;
      const edge: FlowEdge = {
        id: `e${i}`,
        source: String(e.from),
        sourceHandle: String(e.port),
        target: String(e.to),
        targetHandle: 'in',
        selected: sel.has(i),
        deletable: !!editor,
        markerEnd: { type: MarkerType.ArrowClosed, ...(color ? { color } : {}) },
        className: [diags?.length ? 'edge-error' : '', status ? `edge-${status}` : '', overlays?.path && !(overlays.path.has(e.from) && overlays.path.has(e.to)) ? 'dim' : ''].join(' '),
        data: { port: e.port },
        ...(label ? { label, labelBgPadding: [4, 2] as [number, number], labelBgBorderRadius: 3 } : {}),
        ...(color ? { style: { stroke: color, strokeWidth: 2 } } : {}),
      };
      if (!shown) edge.hidden = true;
      nextCache.set(i, { deps, edge });
      return edge;
    });
    edgeCache.current = nextCache;
    // The same edges as last time: hand xyflow the same array, so it skips its edge update (and
    // the connection lookup and the subscribers it would wake) on an edit that moved no edge.
    const last = lastEdges.current;
    if (last.length === out.length && last.every((e, i) => e === out[i])) return last;
    lastEdges.current = out;
    for (const d of overlays?.diff?.edges ?? []) {
      if (d.status !== 'removed' || !d.before) continue;
      const from = d.before.from;
      const to = d.before.to;
      const src = present.has(from) ? from : `${from}\u0000removed`;
      const dst = present.has(to) ? to : `${to}\u0000removed`;
      out.push({
        id: `removed-${d.key}`,
        source: src,
        sourceHandle: d.before.port,
        target: dst,
        targetHandle: 'in',
        className: 'edge-removed',
        style: { stroke: STATUS_EDGE.removed, strokeDasharray: '6 4' },
        markerEnd: { type: MarkerType.ArrowClosed, color: STATUS_EDGE.removed },
        deletable: false,
      });
    }
    return out;
  }, [journey, editor, overlays]);

  // A big journey goes onto the canvas in batches (MOUNT_BATCH unmeasured nodes more each frame),
  // with the edges whose two ends are there.
  const [budget, setBudget] = useState(MOUNT_BATCH);
  const mounted = useMemo(() => mountSlice(nodes, budget), [nodes, budget]);
  const holding = mounted.length < nodes.length;
  useEffect(() => {
    if (!holding) {
      // Back to one batch as the shown nodes get measured (never below what is shown: a node
      // that is never measured must not be taken off again).
      const next = Math.max(MOUNT_BATCH, unmeasuredIn(nodes));
      if (budget !== next) setBudget(next);
      return;
    }
    const h = requestAnimationFrame(() => setBudget((b) => b + MOUNT_BATCH));
    return () => cancelAnimationFrame(h);
  }, [holding, budget, nodes]);
  const mountedEdges = useMemo(() => {
    if (!holding) return edges;
    const ids = new Set(mounted.map((n) => n.id));
    return edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  }, [holding, mounted, edges]);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      const dims: Sizes = {};
      let hasDims = false;
      const moves: Record<string, { x: number; y: number }> = {};
      let hasMoves = false;
      let selection: Set<string> | null = null;
      for (const c of changes) {
        if (c.type === 'dimensions' && c.dimensions) {
          dims[c.id] = { width: c.dimensions.width, height: c.dimensions.height };
          hasDims = true;
        } else if (c.type === 'position' && c.position && editor) {
          moves[docId(c.id)] = c.position;
          hasMoves = true;
        } else if (c.type === 'select' && editor) {
          selection ??= new Set(editor.currentSelection().nodes);
          if (c.selected) selection.add(docId(c.id));
          else selection.delete(docId(c.id));
        }
      }
      if (hasDims) setSizes((s) => ({ ...s, ...dims }));
      if (hasMoves && editor) editor.moveNodes(moves, false);
      if (selection && editor) editor.select({ nodes: [...selection], edges: editor.currentSelection().edges });
    },
    [editor],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<FlowEdge>[]) => {
      if (!editor) return;
      let selection: Set<number> | null = null;
      for (const c of changes) {
        if (c.type === 'select' && c.id.startsWith('e')) {
          selection ??= new Set(editor.currentSelection().edges);
          const i = Number(c.id.slice(1));
          if (c.selected) selection.add(i);
          else selection.delete(i);
        }
      }
      if (selection) editor.select({ nodes: editor.currentSelection().nodes, edges: [...selection].sort((a, b) => a - b) });
    },
    [editor],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (editor && c.sourceHandle) editor.connect(docId(c.source), c.sourceHandle, docId(c.target));
    },
    [editor],
  );

  const onDelete = useCallback(
    ({ nodes: ns, edges: es }: { nodes: FlowNode[]; edges: FlowEdge[] }) => {
      if (!editor) return;
      editor.deleteElements(
        ns.map((n) => docId(n.id)),
        es.filter((e) => /^e\d+$/.test(e.id)).map((e) => Number(e.id.slice(1))),
      );
    },
    [editor],
  );

  const onNodeDragStart = useCallback<OnNodeDrag<FlowNode>>(() => editor?.checkpoint(), [editor]);

  const onDragOver = useCallback((e: DragEvent) => {
    if (!e.dataTransfer.types.includes(DND_TYPE)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(DND_TYPE);
      if (!editor || !isNodeType(type)) return;
      e.preventDefault();
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      editor.addNode(type, { x: p.x - 100, y: p.y - 30 });
    },
    [editor, rf],
  );

  const isValidConnection = useCallback(
    (c: Connection | FlowEdge) => {
      const target = nodesOf(journey).find((n) => n.id === docId(c.target));
      return !!target && hasInput(target.type) && !!c.sourceHandle;
    },
    [journey],
  );

  // The minimap is hidden until asked for (it sat over nodes); when shown, fits keep its corner free.
  const [minimap, setMinimap] = useState(false);
  const paneWidth = useStore((s) => s.width);
  const paneHeight = useStore((s) => s.height);
  const fitReadable = useCallback(
    (duration: number) => {
      const shown = rf.getNodes();
      if (shown.length === 0 || paneWidth === 0 || paneHeight === 0) return;
      const v = readableViewport(rf.getNodesBounds(shown), { width: paneWidth, height: paneHeight }, { reserveRight: minimap ? 180 : 0 });
      void rf.setViewport(v, { duration });
    },
    [rf, paneWidth, paneHeight, minimap],
  );

  // Fit when asked (import, template, layout, journey switch) once nodes have sizes: never below
  // a readable zoom (a long journey opens at its start and pans).
  const measuredCount = Object.keys(sizes).length;
  const wantFit = useRef<number | undefined>(undefined);
  useEffect(() => {
    wantFit.current = props.fitRequest ?? 0;
  }, [props.fitRequest]);
  useEffect(() => {
    if (wantFit.current === undefined) return;
    if (holding || (nodes.length > 0 && measuredCount === 0)) return;
    // The request is done only when the fit runs: if a dependency changes first (the pane's size,
    // a node measured), the cleanup cancels this frame and the next run schedules the fit again.
    const h = requestAnimationFrame(() => {
      wantFit.current = undefined;
      fitReadable(200);
    });
    return () => cancelAnimationFrame(h);
  }, [props.fitRequest, journey.id, measuredCount, nodes.length, holding, fitReadable]);

  useEffect(() => {
    const f = props.focus;
    if (!f) return;
    if (f.around && f.around.length > 1) {
      void rf.fitView({ nodes: f.around.map((id) => ({ id })), padding: 0.25, minZoom: 0.5, maxZoom: 1.1, duration: 300 });
      return;
    }
    const n = nodesOf(journey).find((x) => x.id === f.node);
    if (!n?.position) return;
    const size = sizes[n.id] ?? { width: 220, height: 80 };
    void rf.setCenter(n.position.x + size.width / 2, n.position.y + size.height / 2, { zoom: 1.1, duration: 300 });
    // Only when a new focus is asked for.
  }, [props.focus?.seq]);

  useEffect(() => {
    if (props.viewport) void rf.setViewport(props.viewport);
    // Only when another journey is shown.
  }, [journey.id]);

  const empty = nodesOf(journey).length === 0;
  const [focused, setFocused] = useState(false);

  return (
    <div
      className={props.wheelZoomsOnlyWhenFocused && !focused ? 'canvas canvas-unfocused' : 'canvas'}
      data-testid={props.testId ?? 'canvas'}
      data-focused={props.wheelZoomsOnlyWhenFocused ? String(focused) : undefined}
      onDragOver={onDragOver}
      onDrop={onDrop}
      onPointerDown={props.wheelZoomsOnlyWhenFocused ? () => setFocused(true) : undefined}
      onMouseLeave={props.wheelZoomsOnlyWhenFocused ? () => setFocused(false) : undefined}
    >
      <ReactFlow<FlowNode, FlowEdge>
        nodes={mounted}
        edges={mountedEdges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onDelete={onDelete}
        onNodeDragStart={onNodeDragStart}
        onMoveEnd={props.onViewportChange ? (_e, v) => props.onViewportChange?.(v) : undefined}
        onNodeClick={props.onNodeClick ? (_e, n) => props.onNodeClick?.(docId(n.id)) : undefined}
        isValidConnection={isValidConnection}
        nodesDraggable={!!editor}
        nodesConnectable={!!editor}
        elementsSelectable
        deleteKeyCode={editor ? ['Delete', 'Backspace'] : null}
        multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
        minZoom={0.1}
        maxZoom={2}
        {...(props.wheelZoomsOnlyWhenFocused ? { preventScrolling: focused, zoomOnScroll: focused, panOnScroll: false } : {})}
      >
        <Background gap={20} />
        <Controls showInteractive={false} showFitView={false}>
          <ControlButton className="react-flow__controls-fitview" onClick={() => fitReadable(200)} title={t('canvasView.fit', { pct: Math.round(MIN_READABLE_ZOOM * 100) })} aria-label={t('canvasView.fit', { pct: Math.round(MIN_READABLE_ZOOM * 100) })} data-testid={`${props.testId ?? 'canvas'}-fit`}>
            ⤢
          </ControlButton>
          <ControlButton onClick={() => setMinimap(!minimap)} title={t(minimap ? 'canvasView.hideMinimap' : 'canvasView.showMinimap')} aria-label={t(minimap ? 'canvasView.hideMinimap' : 'canvasView.showMinimap')} data-testid={`${props.testId ?? 'canvas'}-minimap-toggle`}>
            ▦
          </ControlButton>
        </Controls>
        {minimap ? <MiniMap<FlowNode> nodeColor={minimapColor} pannable zoomable style={{ width: 160, height: 100 }} /> : null}
      </ReactFlow>
      {props.wheelZoomsOnlyWhenFocused && !focused && !empty ? <div className="canvas-hint">{t('canvasView.clickToZoom')}</div> : null}
      {empty ? (
        <div className="canvas-empty" data-testid="canvas-empty">
          <div className="empty-title">{t('canvas.empty')}</div>
          <div className="empty-body">{t('canvas.emptyHint')}</div>
        </div>
      ) : null}
    </div>
  );
}

export { portLabel };
