// The design view: journey tabs, palette, the editable canvas, the side panels and the list of
// problems from live validation.

import { useDeferredValue, useEffect, useMemo } from 'react';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useTranslation } from 'react-i18next';
import { JourneyCanvas, type CanvasEditor } from '../canvas/JourneyCanvas';
import { Palette } from '../canvas/Palette';
import { freeSpot, journeysOf, nodesOf, offersOf } from '../model/commands';
import type { NodeType } from '../model/types';
import { indexDiagnostics } from '../model/diagnostics';
import { editorStore, useEditor } from '../store/editor';
import { useSession } from '../store/session';
import { SidePanel } from '../panels/SidePanel';
import { DiagnosticsList } from '../panels/DiagnosticsList';
import { EmptyState } from '../common/ui';
import { placementStore, usePlacement } from '../store/placement';
import { PlacementTester } from './PlacementTester';

/** A node from the palette (a drop or a click), placed where it covers no other node. */
export function addNodeFree(type: NodeType, pos: { x: number; y: number }): string {
  const s = editorStore.getState();
  return s.addNode(type, freeSpot(nodesOf(journeysOf(s.doc)[s.active]), pos));
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * Ctrl+C / Ctrl+V / Ctrl+Z / Ctrl+Shift+Z (and Ctrl+Y) while the canvas view is shown. In a form
 * field Ctrl+Z and Ctrl+Y still undo and redo the document (a field's typing is one step; the
 * webview's own undo does nothing in a controlled field), while copy and paste stay the field's.
 */
export function shortcutKey(e: Pick<KeyboardEvent, 'ctrlKey' | 'metaKey' | 'shiftKey' | 'key' | 'target'>): 'undo' | 'redo' | 'copy' | 'paste' | null {
  if (!(e.ctrlKey || e.metaKey)) return null;
  const k = e.key.toLowerCase();
  const action = k === 'z' ? (e.shiftKey ? 'redo' : 'undo') : k === 'y' ? 'redo' : k === 'c' ? 'copy' : k === 'v' ? 'paste' : null;
  if (isTyping(e.target) && (action === 'copy' || action === 'paste')) return null;
  return action;
}

function useShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = shortcutKey(e);
      if (!action) return;
      const s = editorStore.getState();
      const k = action === 'undo' ? 'z' : action === 'redo' ? 'y' : action === 'copy' ? 'c' : 'v';
      if (k === 'z') s.undo();
      else if (k === 'y') s.redo();
      else if (k === 'c') {
        if (!s.copySelection()) return;
      } else if (k === 'v') s.paste();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

function Toolbar() {
  const { t } = useTranslation();
  const rf = useReactFlow();
  const canUndo = useEditor((s) => s.past.length > 0);
  const canRedo = useEditor((s) => s.future.length > 0);
  const testerOpen = usePlacement((s) => s.open);
  return (
    <div className="toolbar">
      <button type="button" disabled={!canUndo} onClick={() => editorStore.getState().undo()} title={t('app.undo')} data-testid="undo">
        ↶
      </button>
      <button type="button" disabled={!canRedo} onClick={() => editorStore.getState().redo()} title={t('app.redo')} data-testid="redo">
        ↷
      </button>
      <button
        type="button"
        data-testid="layout"
        onClick={() => {
          const sizes: Record<string, { width: number; height: number }> = {};
          for (const n of rf.getNodes()) if (n.measured?.width && n.measured.height) sizes[n.id] = { width: n.measured.width, height: n.measured.height };
          editorStore.getState().layout(sizes);
        }}
      >
        {t('canvas.layout')}
      </button>
      <button type="button" data-testid="fit" onClick={() => editorStore.setState((s) => ({ fitRequest: s.fitRequest + 1 }))}>
        {t('canvas.fit')}
      </button>
      <button
        type="button"
        data-testid="placement-tester-open"
        aria-pressed={testerOpen}
        className={testerOpen ? 'on' : ''}
        onClick={() => placementStore.getState().setOpen(!testerOpen)}
      >
        ▣ {t('placement.tester.open')}
      </button>
    </div>
  );
}

function JourneyTabs() {
  const { t } = useTranslation();
  const journeys = useEditor((s) => journeysOf(s.doc));
  const active = useEditor((s) => s.active);
  return (
    <div className="journey-tabs" role="tablist">
      {journeys.map((j, i) => (
        <button
          key={`${i}:${j.id}`}
          type="button"
          role="tab"
          aria-selected={i === active}
          className={i === active ? 'tab active' : 'tab'}
          onClick={() => editorStore.getState().setActive(i)}
          data-testid={`journey-tab-${j.id}`}
        >
          {j.name || j.id}
        </button>
      ))}
      <button type="button" className="tab tab-add" onClick={() => editorStore.getState().addJourney()} title={t('canvas.addJourney')} data-testid="add-journey">
        +
      </button>
    </div>
  );
}

function EditorCanvas() {
  const current = useEditor((s) => s.doc);
  // While the user types in a form (edits that coalesce into one undo step), the canvas follows
  // a deferred copy of the document: the keystroke and the form answer at once, and the canvas
  // (hundreds of nodes to diff) redraws right after, in the background, skipping the states
  // typed past meanwhile. Drags, adds, deletes and undo are not coalesced: they redraw at once.
  const typing = useEditor((s) => s.lastCoalesce !== null);
  const deferred = useDeferredValue(current);
  const doc = typing ? deferred : current;
  const active = useEditor((s) => s.active);
  const selection = useEditor((s) => s.selection);
  const fitRequest = useEditor((s) => s.fitRequest);
  const focus = useEditor((s) => s.focusRequest);
  const viewports = useEditor((s) => s.viewports);
  const diagnostics = useSession((s) => s.diagnostics);
  const validatedDoc = useSession((s) => s.validatedDoc);
  const journey = journeysOf(doc)[active];
  // The placement tester's answer: its way, on its journey's canvas.
  const highlight = usePlacement((s) => s.highlight);
  const path = useMemo(() => (highlight && journey && highlight.journey === journey.id ? new Set(highlight.nodes) : undefined), [highlight, journey]);

  // Diagnostics are indexed against the document they were computed for, so a pending
  // validation does not pin old problems on renamed nodes.
  const index = useMemo(() => indexDiagnostics(diagnostics, validatedDoc ?? doc), [diagnostics, validatedDoc, doc]);
  const overlays = useMemo(() => {
    const nodes = index.nodes.get(active);
    const edges = index.edges.get(active);
    return { diags: { ...(nodes ? { nodes } : {}), ...(edges ? { edges } : {}) }, ...(path ? { path } : {}) };
  }, [index, active, path]);

  const editor = useMemo<CanvasEditor>(() => {
    const s = editorStore.getState();
    return {
      selection,
      currentSelection: () => editorStore.getState().selection,
      select: s.select,
      checkpoint: s.checkpoint,
      moveNodes: s.moveNodes,
      connect: s.connect,
      deleteElements: s.deleteElements,
      addNode: (type, pos) => void addNodeFree(type, pos),
    };
  }, [selection]);

  if (!journey) {
    return (
      <div className="canvas">
        <EmptyState title={<TranslatedNoJourney />} />
      </div>
    );
  }
  return (
    <JourneyCanvas
      journey={journey}
      offers={offersOf(doc)}
      overlays={overlays}
      editor={editor}
      fitRequest={fitRequest}
      focus={focus}
      viewport={viewports[journey.id]}
      onViewportChange={(v) => editorStore.getState().setViewport(journey.id, v)}
      testId="design-canvas"
    />
  );
}

function TranslatedNoJourney() {
  const { t } = useTranslation();
  return <>{t('canvas.noJourney')}</>;
}

export function DesignView() {
  useShortcuts();
  const hasJourney = useEditor((s) => journeysOf(s.doc).length > 0);
  const testerOpen = usePlacement((s) => s.open);
  return (
    <ReactFlowProvider>
      <div className="design">
        <Palette onAdd={(type, pos) => void addNodeFree(type, pos)} disabled={!hasJourney} />
        <div className="design-main">
          <div className="design-top">
            <JourneyTabs />
            <Toolbar />
          </div>
          {/* The tester docks beside the canvas (not over it), so the answer's way stays in view. */}
          <div className="design-stage">
            <EditorCanvas />
            {testerOpen ? <PlacementTester /> : null}
          </div>
          <DiagnosticsList />
        </div>
        <SidePanel />
      </div>
    </ReactFlowProvider>
  );
}
