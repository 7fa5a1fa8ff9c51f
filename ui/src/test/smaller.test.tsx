import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { i18n, initI18n, setLang } from '../i18n';
import { freeSpot, NODE_BOX } from '../model/commands';
import { addNodeFree, shortcutKey } from '../views/DesignView';
import { confirmTemplate, App } from '../App';
import { KeyValueEditor } from '../panels/NodeForm';
import { editorStore } from '../store/editor';
import { sessionStore } from '../store/session';

beforeAll(() => {
  initI18n();
});
afterEach(cleanup);

describe('Ctrl+Z while a field has focus', () => {
  it('undoes the document from a field; copy and paste stay the field’s', () => {
    const input = document.createElement('input');
    const key = (k: string, o: Partial<KeyboardEvent> = {}) => shortcutKey({ ctrlKey: true, metaKey: false, shiftKey: false, key: k, target: input, ...o });
    expect(key('z')).toBe('undo');
    expect(key('Z', { shiftKey: true })).toBe('redo');
    expect(key('y')).toBe('redo');
    expect(key('c')).toBeNull();
    expect(key('v')).toBeNull();
    expect(shortcutKey({ ctrlKey: true, metaKey: false, shiftKey: false, key: 'c', target: document.body })).toBe('copy');
    expect(shortcutKey({ ctrlKey: false, metaKey: false, shiftKey: false, key: 'z', target: input })).toBeNull();
  });

  it('in the app: typing a label then Ctrl+Z in the field undoes the typing', async () => {
    await act(async () => setLang('en'));
    sessionStore.getState().setBackend(null);
    editorStore.getState().loadTemplate('welcome');
    render(<App />);
    fireEvent.click(screen.getByTestId('palette-action.points'));
    const label = screen.getByTestId('node-label') as HTMLInputElement;
    fireEvent.change(label, { target: { value: 'Give points' } });
    const id = editorStore.getState().selection.nodes[0]!;
    const node = () => editorStore.getState().doc.journeys[0]!.nodes.find((n) => n.id === id);
    expect(node()?.label).toBe('Give points');
    label.focus();
    fireEvent.keyDown(label, { key: 'z', ctrlKey: true });
    expect(node()?.label).toBeUndefined();
  });
});

describe('a template asks before it replaces the workspace', () => {
  it('names the template, and replaces nothing when refused', () => {
    editorStore.getState().loadTemplate('welcome');
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(false);
    const t = i18n.getFixedT('zh');
    expect(confirmTemplate(t, '会员升级')).toBe(false);
    expect(confirm.mock.calls[0]?.[0]).toContain('会员升级');
    // an empty workspace has nothing to lose: no question
    editorStore.getState().newWorkspace();
    const asked = confirm.mock.calls.length;
    expect(confirmTemplate(t, '会员升级')).toBe(true);
    expect(confirm.mock.calls.length).toBe(asked);
    confirm.mockRestore();
  });
});

describe('a node from the palette lands on free canvas', () => {
  it('goes below the nodes it would cover', () => {
    const nodes = [
      { id: 'a', type: 'exit', params: {}, position: { x: 0, y: 0 } },
      { id: 'b', type: 'exit', params: {}, position: { x: 0, y: 120 } },
    ];
    expect(freeSpot(nodes, { x: 600, y: 0 })).toEqual({ x: 600, y: 0 });
    const p = freeSpot(nodes, { x: 10, y: 10 });
    expect(p.x).toBe(10);
    expect(p.y).toBeGreaterThanOrEqual(120 + NODE_BOX.height);
    editorStore.getState().newWorkspace();
    const first = addNodeFree('exit', { x: 0, y: 0 });
    const second = addNodeFree('exit', { x: 0, y: 0 });
    const pos = (id: string) => editorStore.getState().doc.journeys[0]!.nodes.find((n) => n.id === id)!.position!;
    expect(pos(second).y - pos(first).y).toBeGreaterThanOrEqual(NODE_BOX.height);
  });
});

describe('the message body field', () => {
  it('is a textarea across the row, tall enough for its text', () => {
    const body = '亲爱的会员，您的购物车里还有商品未结算，今天下单立减20元，优惠券将于24小时后失效，请尽快使用。';
    render(<KeyValueEditor value={{ title: '购物车提醒', body }} onChange={() => {}} />);
    const el = screen.getByTestId('kv-value-body') as HTMLTextAreaElement;
    expect(el.tagName).toBe('TEXTAREA');
    expect(el.value).toBe(body);
    expect(Number(el.getAttribute('rows'))).toBeGreaterThanOrEqual(2);
  });
});
