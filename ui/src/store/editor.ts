// The editor store: the workspace document (exactly the spec's JSON) with its undo history, and
// beside it, never mixed in, the canvas-only state: active journey, selection, viewports,
// clipboard. Positions are part of the document (journey.md gives every node a `position`).
//
// Every edit goes through `apply`, which pushes the previous document on the undo stack. A drag
// calls `checkpoint` once when it starts and then moves nodes without recording, so one drag is
// one undo step; typing in a form coalesces into one step per field.

import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import * as cmd from '../model/commands';
import { layoutJourney } from '../model/layout';
import { DEFAULT_FORMAT, emptyWorkspace, importText, serialize, type ImportIssue, type JsonFormat } from '../model/json';
import { TEMPLATES } from '../model/samples';
import type { NodeType, Workspace } from '../model/types';

export const HISTORY_LIMIT = 200;
const COALESCE_MS = 1500;

export interface Selection {
  nodes: string[];
  edges: number[];
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export type SidePanel = 'node' | 'journey' | 'offers' | 'policy' | 'aggregates' | 'segments' | 'models';

export interface EditorState {
  doc: Workspace;
  format: JsonFormat;
  fileName: string;
  /** The text last imported or exported; the document is "dirty" when it would save otherwise. */
  savedText: string;
  importIssues: ImportIssue[];
  past: Workspace[];
  future: Workspace[];
  lastCoalesce: { key: string; at: number } | null;

  // canvas-only
  active: number;
  selection: Selection;
  viewports: Record<string, Viewport>;
  clipboard: cmd.Clipboard | null;
  panel: SidePanel;
  /** Bumped to ask the canvas to fit the view (after import, layout, template). */
  fitRequest: number;
  /** A node the canvas should centre on (clicking a diagnostic). */
  focusRequest: { node: string; seq: number; around?: string[] } | null;

  apply(f: (doc: Workspace) => Workspace, opts?: { coalesce?: string }): void;
  checkpoint(): void;
  undo(): void;
  redo(): void;

  addNode(type: NodeType, position: { x: number; y: number }): string;
  moveNodes(moves: Record<string, { x: number; y: number }>, record: boolean): void;
  connect(from: string, port: string, to: string): void;
  deleteElements(nodeIds: string[], edgeIndexes: number[]): void;
  deleteSelection(): void;
  copySelection(): boolean;
  paste(offset?: { x: number; y: number }): string[];
  layout(sizes?: Record<string, { width: number; height: number }>): void;

  select(sel: Selection): void;
  /** Selects `node` of `journey` and brings it into view (with `around`: fits those nodes). */
  focusNode(journey: number, node: string, around?: string[]): void;
  setActive(j: number): void;
  setPanel(p: SidePanel): void;
  setViewport(journeyId: string, v: Viewport): void;
  addJourney(): void;
  removeJourney(j: number): void;

  load(text: string, fileName: string): void;
  loadTemplate(id: string): void;
  newWorkspace(): void;
  exportText(): string;
  markSaved(text: string): void;
}

function initialState() {
  return {
    doc: emptyWorkspace(),
    format: DEFAULT_FORMAT,
    fileName: 'workspace.json',
    savedText: '',
    importIssues: [] as ImportIssue[],
    past: [] as Workspace[],
    future: [] as Workspace[],
    lastCoalesce: null,
    active: 0,
    selection: { nodes: [], edges: [] },
    viewports: {},
    clipboard: null,
    panel: 'node' as SidePanel,
    fitRequest: 0,
    focusRequest: null,
  };
}

export function createEditorStore(): StoreApi<EditorState> {
  return createStore<EditorState>()((set, get) => {
    const commit = (next: Workspace, extra: Partial<EditorState> = {}, coalesce?: string) => {
      const s = get();
      if (next === s.doc) {
        if (Object.keys(extra).length) set(extra);
        return;
      }
      const now = Date.now();
      const merge =
        coalesce !== undefined &&
        s.lastCoalesce !== null &&
        s.lastCoalesce.key === coalesce &&
        now - s.lastCoalesce.at < COALESCE_MS;
      const past = merge ? s.past : [...s.past, s.doc].slice(-HISTORY_LIMIT);
      set({
        doc: next,
        past,
        future: [],
        lastCoalesce: coalesce !== undefined ? { key: coalesce, at: now } : null,
        ...extra,
      });
    };

    const clampActive = (doc: Workspace, active: number) =>
      Math.max(0, Math.min(active, cmd.journeysOf(doc).length - 1));

    return {
      ...initialState(),

      apply(f, opts) {
        commit(f(get().doc), {}, opts?.coalesce);
      },

      checkpoint() {
        const s = get();
        set({ past: [...s.past, s.doc].slice(-HISTORY_LIMIT), future: [], lastCoalesce: null });
      },

      undo() {
        const s = get();
        const prev = s.past[s.past.length - 1];
        if (!prev) return;
        set({
          doc: prev,
          past: s.past.slice(0, -1),
          future: [s.doc, ...s.future],
          lastCoalesce: null,
          active: clampActive(prev, s.active),
        });
      },

      redo() {
        const s = get();
        const next = s.future[0];
        if (!next) return;
        set({
          doc: next,
          past: [...s.past, s.doc],
          future: s.future.slice(1),
          lastCoalesce: null,
          active: clampActive(next, s.active),
        });
      },

      addNode(type, position) {
        const s = get();
        const { doc, id } = cmd.addNode(s.doc, s.active, type, position);
        if (id) commit(doc, { selection: { nodes: [id], edges: [] }, panel: 'node' });
        return id;
      },

      moveNodes(moves, record) {
        const s = get();
        const next = cmd.moveNodes(s.doc, s.active, moves);
        if (next === s.doc) return;
        if (record) commit(next);
        else set({ doc: next });
      },

      connect(from, port, to) {
        const s = get();
        commit(cmd.connect(s.doc, s.active, from, port, to));
      },

      deleteElements(nodeIds, edgeIndexes) {
        const s = get();
        commit(cmd.deleteElements(s.doc, s.active, nodeIds, edgeIndexes), {
          selection: { nodes: [], edges: [] },
        });
      },

      deleteSelection() {
        const { selection } = get();
        get().deleteElements(selection.nodes, selection.edges);
      },

      copySelection() {
        const s = get();
        const clip = cmd.copyElements(cmd.journeysOf(s.doc)[s.active], s.selection.nodes);
        if (clip) set({ clipboard: clip });
        return clip !== null;
      },

      paste(offset = { x: 40, y: 40 }) {
        const s = get();
        if (!s.clipboard) return [];
        const { doc, ids } = cmd.paste(s.doc, s.active, s.clipboard, offset);
        commit(doc, { selection: { nodes: ids, edges: [] } });
        // A second paste lands further along instead of on top of the first.
        const moved: cmd.Clipboard = {
          nodes: s.clipboard.nodes.map((n) => ({
            ...n,
            position: { ...(n.position ?? { x: 0, y: 0 }), x: (n.position?.x ?? 0) + offset.x, y: (n.position?.y ?? 0) + offset.y },
          })),
          edges: s.clipboard.edges,
        };
        set({ clipboard: moved });
        return ids;
      },

      layout(sizes = {}) {
        const s = get();
        const journey = cmd.journeysOf(s.doc)[s.active];
        if (!journey) return;
        commit(cmd.moveNodes(s.doc, s.active, layoutJourney(journey, sizes)), { fitRequest: s.fitRequest + 1 });
      },

      select(sel) {
        const cur = get().selection;
        if (
          cur.nodes.length === sel.nodes.length &&
          cur.edges.length === sel.edges.length &&
          cur.nodes.every((n, i) => n === sel.nodes[i]) &&
          cur.edges.every((e, i) => e === sel.edges[i])
        )
          return;
        set({ selection: sel, ...(sel.nodes.length > 0 ? { panel: 'node' as SidePanel } : {}) });
      },

      focusNode(journey, node, around) {
        const s = get();
        set({
          active: clampActive(s.doc, journey),
          selection: { nodes: [node], edges: [] },
          panel: 'node',
          focusRequest: { node, seq: (s.focusRequest?.seq ?? 0) + 1, ...(around ? { around } : {}) },
        });
      },

      setActive(j) {
        const s = get();
        const active = clampActive(s.doc, j);
        const id = cmd.journeysOf(s.doc)[active]?.id;
        // A journey seen before comes back where it was left; a new one is fitted.
        const seen = id !== undefined && s.viewports[id] !== undefined;
        set({ active, selection: { nodes: [], edges: [] }, ...(seen ? {} : { fitRequest: s.fitRequest + 1 }) });
      },

      setPanel(panel) {
        set({ panel });
      },

      setViewport(journeyId, v) {
        set({ viewports: { ...get().viewports, [journeyId]: v } });
      },

      addJourney() {
        const { doc, index } = cmd.addJourney(get().doc);
        commit(doc, { active: index, selection: { nodes: [], edges: [] }, panel: 'journey' });
      },

      removeJourney(j) {
        const s = get();
        const doc = cmd.removeJourney(s.doc, j);
        commit(doc, { active: clampActive(doc, s.active), selection: { nodes: [], edges: [] } });
      },

      load(text, fileName) {
        const imported = importText(text);
        set({
          ...initialState(),
          doc: imported.doc,
          format: imported.format,
          fileName,
          savedText: text,
          importIssues: imported.issues,
          fitRequest: get().fitRequest + 1,
          clipboard: get().clipboard,
        });
      },

      loadTemplate(id) {
        const t = TEMPLATES.find((x) => x.id === id);
        if (t) get().load(t.text, t.file);
      },

      newWorkspace() {
        const doc = emptyWorkspace();
        set({ ...initialState(), doc, savedText: serialize(doc), fitRequest: get().fitRequest + 1 });
      },

      exportText() {
        const s = get();
        return serialize(s.doc, s.format);
      },

      markSaved(text) {
        set({ savedText: text });
      },
    };
  });
}

export const editorStore = createEditorStore();

export function useEditor<T>(selector: (s: EditorState) => T): T {
  return useStore(editorStore, selector);
}

export function activeJourney(s: EditorState) {
  return cmd.journeysOf(s.doc)[s.active];
}

export function isDirty(s: EditorState): boolean {
  return serialize(s.doc, s.format) !== s.savedText;
}
