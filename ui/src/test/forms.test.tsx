import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { initI18n } from '../i18n';
import { NodeForm } from '../panels/NodeForm';
import { editorStore } from '../store/editor';
import { TEMPLATES } from '../model/samples';
import { NODE_TYPES, type Journey, type Workspace } from '../model/types';

initI18n();
afterEach(cleanup);

const journey = (): Journey => editorStore.getState().doc.journeys[editorStore.getState().active] as Journey;
const node = (id: string) => journey().nodes.find((n) => n.id === id)!;

function renderForm(id: string) {
  const s = editorStore.getState();
  return render(<NodeForm node={node(id)} journey={s.active} doc={s.doc} diags={[]} />);
}

describe('node forms', () => {
  beforeEach(() => editorStore.getState().newWorkspace());

  it('renders a form for every node of every sample without touching the document', () => {
    for (const t of TEMPLATES) {
      editorStore.getState().loadTemplate(t.id);
      const doc = editorStore.getState().doc as Workspace;
      doc.journeys.forEach((j, ji) => {
        editorStore.getState().setActive(ji);
        for (const n of j.nodes) {
          const { unmount } = renderForm(n.id);
          expect(screen.getByTestId('node-form')).toBeTruthy();
          unmount();
        }
      });
      expect(editorStore.getState().exportText()).toBe(t.text);
    }
  });

  it('renders a form for every node type as created from the palette', () => {
    for (const type of NODE_TYPES) {
      const id = editorStore.getState().addNode(type, { x: 0, y: 0 });
      const { unmount } = renderForm(id);
      expect(screen.getByTestId('node-form')).toBeTruthy();
      unmount();
    }
  });

  it('edits params through the form as undoable commands', () => {
    const id = editorStore.getState().addNode('wait.event', { x: 0, y: 0 });
    renderForm(id);
    fireEvent.change(screen.getByTestId('param-event'), { target: { value: 'sign_in' } });
    expect(node(id).params).toEqual({ event: 'sign_in', timeout: '1d' });
    editorStore.getState().undo();
    expect(node(id).params).toEqual({ event: 'order_paid', timeout: '1d' });
  });

  it('renames a node on Enter and re-points its edges', () => {
    const t = editorStore.getState().addNode('trigger.event', { x: 0, y: 0 });
    const w = editorStore.getState().addNode('wait.delay', { x: 0, y: 0 });
    editorStore.getState().connect(t, 'out', w);
    renderForm(w);
    const input = screen.getByTestId('node-id');
    fireEvent.change(input, { target: { value: 'w_long' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(journey().edges).toEqual([{ from: t, port: 'out', to: 'w_long' }]);
    expect(editorStore.getState().selection.nodes).toEqual(['w_long']);
  });

  it('refuses a taken id', () => {
    const a = editorStore.getState().addNode('exit', { x: 0, y: 0 });
    const b = editorStore.getState().addNode('exit', { x: 0, y: 0 });
    renderForm(b);
    const input = screen.getByTestId('node-id');
    fireEvent.change(input, { target: { value: a } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(journey().nodes.map((n) => n.id)).toEqual([a, b]);
  });

  it('renames a split branch and keeps its edge on the renamed port', () => {
    const s = editorStore.getState().addNode('split.random', { x: 0, y: 0 });
    const x = editorStore.getState().addNode('exit', { x: 0, y: 0 });
    editorStore.getState().connect(s, 'a', x);
    renderForm(s);
    fireEvent.change(screen.getByTestId('branch-port-0'), { target: { value: 'control' } });
    expect(node(s).params.branches).toEqual([
      { port: 'control', percent: 50 },
      { port: 'b', percent: 50 },
    ]);
    expect(journey().edges).toEqual([{ from: s, port: 'control', to: x }]);
  });
});
