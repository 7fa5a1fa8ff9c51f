import { beforeEach, describe, expect, it } from 'vitest';
import { createEditorStore, isDirty } from '../store/editor';
import { TEMPLATES } from '../model/samples';
import { importText, serialize } from '../model/json';
import type { StoreApi } from 'zustand/vanilla';
import type { EditorState } from '../store/editor';
import type { Journey } from '../model/types';

let store: StoreApi<EditorState>;
const s = () => store.getState();
const journey = (): Journey => s().doc.journeys[s().active] as Journey;
const ids = () => journey().nodes.map((n) => n.id);

beforeEach(() => {
  store = createEditorStore();
  s().newWorkspace();
});

describe('nodes and edges', () => {
  it('adds a node with its default params, a rounded position and selects it', () => {
    const id = s().addNode('wait.delay', { x: 10.6, y: 20.2 });
    expect(id).toBe('w_1');
    expect(journey().nodes).toEqual([{ id: 'w_1', type: 'wait.delay', params: { duration: '1h' }, position: { x: 11, y: 20 } }]);
    expect(s().selection).toEqual({ nodes: ['w_1'], edges: [] });
    expect(s().addNode('wait.event', { x: 0, y: 0 })).toBe('w_2');
  });

  it('names the first catalog offer in a new offer node', () => {
    s().loadTemplate('welcome');
    const first = s().doc.offers[0]?.id;
    const id = s().addNode('action.offer', { x: 0, y: 0 });
    expect(journey().nodes.find((n) => n.id === id)?.params).toEqual({ offer: first });
  });

  it('connects ports, re-points an edge leaving a used port, and ignores a repeat', () => {
    const t = s().addNode('trigger.event', { x: 0, y: 0 });
    const a = s().addNode('wait.delay', { x: 200, y: 0 });
    const b = s().addNode('exit', { x: 400, y: 0 });
    s().connect(t, 'out', a);
    expect(journey().edges).toEqual([{ from: t, port: 'out', to: a }]);
    s().connect(t, 'out', b);
    expect(journey().edges).toEqual([{ from: t, port: 'out', to: b }]);
    const past = s().past.length;
    s().connect(t, 'out', b);
    expect(s().past.length).toBe(past);
  });

  it('deletes nodes with the edges touching them, and edges by index', () => {
    const t = s().addNode('trigger.event', { x: 0, y: 0 });
    const c = s().addNode('condition', { x: 200, y: 0 });
    const x = s().addNode('exit', { x: 400, y: 0 });
    s().connect(t, 'out', c);
    s().connect(c, 'yes', x);
    s().connect(c, 'no', x);
    s().deleteElements([], [1]);
    expect(journey().edges).toEqual([
      { from: t, port: 'out', to: c },
      { from: c, port: 'no', to: x },
    ]);
    s().select({ nodes: [c], edges: [] });
    s().deleteSelection();
    expect(ids()).toEqual([t, x]);
    expect(journey().edges).toEqual([]);
    expect(s().selection).toEqual({ nodes: [], edges: [] });
  });
});

describe('undo and redo', () => {
  it('walks back and forth through snapshots, and a new edit clears redo', () => {
    const t = s().addNode('trigger.event', { x: 0, y: 0 });
    const w = s().addNode('wait.delay', { x: 100, y: 0 });
    s().connect(t, 'out', w);
    const full = s().doc;
    s().undo();
    expect(journey().edges).toEqual([]);
    s().undo();
    expect(ids()).toEqual([t]);
    s().redo();
    s().redo();
    expect(s().doc).toBe(full);
    s().undo();
    s().addNode('exit', { x: 0, y: 0 });
    expect(s().future).toEqual([]);
    s().redo();
    expect(ids()).toEqual([t, w, 'end_1']);
  });

  it('makes one drag one undo step', () => {
    const t = s().addNode('trigger.event', { x: 0, y: 0 });
    s().checkpoint();
    for (let i = 1; i <= 5; i++) s().moveNodes({ [t]: { x: i * 10, y: i } }, false);
    expect(journey().nodes[0]?.position).toEqual({ x: 50, y: 5 });
    s().undo();
    expect(journey().nodes[0]?.position).toEqual({ x: 0, y: 0 });
    s().undo();
    expect(ids()).toEqual([]);
  });

  it('coalesces typing into one step per field', () => {
    const t = s().addNode('trigger.event', { x: 0, y: 0 });
    for (const ev of ['o', 'or', 'ord', 'order']) {
      s().apply((d) => ({ ...d, journeys: d.journeys.map((j) => ({ ...j, nodes: j.nodes.map((n) => (n.id === t ? { ...n, params: { event: ev } } : n)) })) }), { coalesce: `${t}/event` });
    }
    expect(journey().nodes[0]?.params).toEqual({ event: 'order' });
    s().undo();
    expect(journey().nodes[0]?.params).toEqual({ event: 'add_to_cart' });
  });

  it('keeps the history bounded', () => {
    for (let i = 0; i < 230; i++) s().addNode('exit', { x: i, y: 0 });
    expect(s().past.length).toBe(200);
  });
});

describe('copy and paste', () => {
  it('pastes copies with fresh ids, inner edges only, shifted, selected', () => {
    const t = s().addNode('trigger.event', { x: 0, y: 0 });
    const c = s().addNode('condition', { x: 100, y: 0 });
    const x = s().addNode('exit', { x: 200, y: 0 });
    s().connect(t, 'out', c);
    s().connect(c, 'yes', x);
    s().select({ nodes: [c, x], edges: [] });
    expect(s().copySelection()).toBe(true);
    const pasted = s().paste();
    expect(pasted).toEqual([`${c}_copy`, `${x}_copy`]);
    expect(journey().nodes.slice(3).map((n) => [n.id, n.position])).toEqual([
      [`${c}_copy`, { x: 140, y: 40 }],
      [`${x}_copy`, { x: 240, y: 40 }],
    ]);
    expect(journey().edges.slice(2)).toEqual([{ from: `${c}_copy`, port: 'yes', to: `${x}_copy` }]);
    expect(s().selection.nodes).toEqual(pasted);
    const again = s().paste();
    expect(again).toEqual([`${c}_copy_2`, `${x}_copy_2`]);
    expect(journey().nodes.find((n) => n.id === `${c}_copy_2`)?.position).toEqual({ x: 180, y: 80 });
    // the pasted params are copies, not shared objects
    const orig = journey().nodes.find((n) => n.id === c);
    const copy = journey().nodes.find((n) => n.id === `${c}_copy`);
    expect(copy?.params).toEqual(orig?.params);
    expect(copy?.params).not.toBe(orig?.params);
    s().undo();
    s().undo();
    expect(ids()).toEqual([t, c, x]);
  });

  it('copies nothing when nothing is selected', () => {
    s().addNode('exit', { x: 0, y: 0 });
    s().select({ nodes: [], edges: [] });
    expect(s().copySelection()).toBe(false);
    expect(s().paste()).toEqual([]);
  });
});

describe('import and export', () => {
  it.each(TEMPLATES.map((t) => [t.file, t.text] as const))('round-trips %s byte for byte', (_file, text) => {
    s().load(text, 'x.json');
    expect(s().importIssues).toEqual([]);
    expect(s().exportText()).toBe(text);
    expect(isDirty(s())).toBe(false);
  });

  it.each(TEMPLATES.map((t) => [t.file, t.text] as const))('keeps %s byte for byte after edits that are undone, and key order after a real edit', (_file, text) => {
    s().load(text, 'x.json');
    const first = journey().nodes[0];
    if (!first) throw new Error('sample without nodes');
    s().moveNodes({ [first.id]: { x: 1, y: 2 } }, true);
    s().addNode('exit', { x: 0, y: 0 });
    expect(isDirty(s())).toBe(true);
    s().undo();
    s().undo();
    expect(s().exportText()).toBe(text);
    s().moveNodes({ [first.id]: { x: 1, y: 2 } }, true);
    const out = JSON.parse(s().exportText()) as { journeys: Journey[] };
    expect(Object.keys(out.journeys[0]?.nodes[0] ?? {})).toEqual(Object.keys(first));
    // only the two coordinates changed
    const lines = (a: string) => a.split('\n');
    const diff = lines(s().exportText()).filter((l, i) => l !== lines(text)[i]);
    expect(diff.length).toBe(2);
  });

  it('keeps unknown fields at every level through edits', () => {
    const text = `${JSON.stringify(
      {
        schema: 'trellis/workspace@1',
        x_top: { a: 1 },
        offers: [{ id: 'o', kind: 'coupon', face_value: 5, x_offer: true }],
        policy: { tz: 'UTC', x_policy: [1, 2] },
        journeys: [
          {
            id: 'j',
            x_journey: 'keep',
            campaign: { id: 'c', budget: { total: '100.50', currency: 'CNY', x_budget: 1 } },
            nodes: [
              { id: 't', type: 'trigger.event', params: { event: 'e', x_param: 1 }, x_node: { deep: [1] }, position: { x: 0, y: 0, x_pos: 1 } },
              { id: 'z', type: 'no.such.type', params: { any: 1 } },
            ],
            edges: [{ from: 't', port: 'out', to: 'z', x_edge: 'e' }],
          },
        ],
      },
      null,
      2,
    )}\n`;
    s().load(text, 'x.json');
    expect(s().exportText()).toBe(text);
    s().moveNodes({ t: { x: 5, y: 6 } }, true);
    s().connect('t', 'out', 't');
    const out = JSON.parse(s().exportText());
    expect(out.x_top).toEqual({ a: 1 });
    expect(out.journeys[0].x_journey).toBe('keep');
    expect(out.journeys[0].nodes[0]).toEqual({ id: 't', type: 'trigger.event', params: { event: 'e', x_param: 1 }, x_node: { deep: [1] }, position: { x: 5, y: 6, x_pos: 1 } });
    expect(out.journeys[0].nodes[1]).toEqual({ id: 'z', type: 'no.such.type', params: { any: 1 } });
    expect(out.journeys[0].edges[0]).toEqual({ from: 't', port: 'out', to: 't', x_edge: 'e' });
    expect(out.journeys[0].campaign.budget.total).toBe('100.50');
  });

  it('writes a file back in its own layout', () => {
    const doc = JSON.parse(TEMPLATES[0]!.text);
    for (const text of [JSON.stringify(doc), `${JSON.stringify(doc, null, 4)}\n`, JSON.stringify(doc, null, '\t')]) {
      s().load(text, 'x.json');
      expect(s().importIssues).toEqual([]);
      expect(s().exportText()).toBe(text);
    }
  });

  it('reports number spellings that JavaScript cannot keep', () => {
    const imported = importText('{"schema":"trellis/workspace@1","offers":[{"id":"a","face_value":10.50,"stock":1e3,"min_spend":"10.50"}],"policy":{},"journeys":[]}');
    expect(imported.issues).toEqual([
      { kind: 'number', lexeme: '10.50', becomes: '10.5' },
      { kind: 'number', lexeme: '1e3', becomes: '1000' },
    ]);
  });

  it('wraps a single-journey file into a workspace', () => {
    const imported = importText('{"schema":"trellis/journey@1","id":"j","nodes":[],"edges":[]}');
    expect(imported.doc).toEqual({ schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [{ schema: 'trellis/journey@1', id: 'j', nodes: [], edges: [] }] });
    expect(imported.issues).toContainEqual({ kind: 'journey_file' });
  });

  it('refuses what is not a JSON object', () => {
    expect(() => importText('nope')).toThrow();
    expect(() => importText('[1]')).toThrow();
  });

  it('serializes like the samples', () => {
    s().newWorkspace();
    expect(s().exportText()).toBe(serialize(s().doc));
    expect(s().exportText().endsWith('}\n')).toBe(true);
  });
});

describe('journeys and layout', () => {
  it('adds and removes journeys with unique ids', () => {
    s().addJourney();
    expect(s().doc.journeys.map((j) => j.id)).toEqual(['journey_1', 'journey_2']);
    expect(s().active).toBe(1);
    s().removeJourney(1);
    expect(s().active).toBe(0);
    s().undo();
    expect(s().doc.journeys).toHaveLength(2);
  });

  it('lays a journey out left to right in one undo step', () => {
    s().loadTemplate('cart_recovery');
    const before = s().doc;
    s().layout();
    const pos = Object.fromEntries(journey().nodes.map((n) => [n.id, n.position?.x ?? 0]));
    expect(pos.t_add_to_cart).toBeLessThan(pos.w_paid_1h!);
    expect(pos.w_paid_1h).toBeLessThan(pos.m_cart_reminder!);
    expect(pos.o_coupon_10).toBeLessThan(pos.m_coupon_notice!);
    for (const n of journey().nodes) expect(Number.isInteger(n.position?.x)).toBe(true);
    s().undo();
    expect(s().doc).toBe(before);
  });
});

describe('key order of added fields', () => {
  it('puts a new key where the CLI writes it', async () => {
    const { setKey, KEY_ORDER } = await import('../model/commands');
    expect(Object.keys(setKey({ id: 'n', type: 't', params: {}, position: { x: 0, y: 0 } }, 'label', 'L', KEY_ORDER.node))).toEqual(['id', 'type', 'params', 'label', 'position']);
    expect(Object.keys(setKey({ event: 'e', unless: 'u' }, 'where', {}, KEY_ORDER.params['trigger.pattern']))).toEqual(['event', 'where', 'unless']);
    expect(Object.keys(setKey({ a: 1, x_extra: 2 }, 'b', 3, ['a', 'b']))).toEqual(['a', 'x_extra', 'b']);
    expect(setKey({ a: 1 }, 'a', undefined)).toEqual({});
    const same = { a: 1 };
    expect(setKey(same, 'zz', undefined)).toBe(same);
  });

  it('labels a new node before its position, as the samples are written', async () => {
    const { setNodeField } = await import('../model/commands');
    const id = s().addNode('exit', { x: 0, y: 0 });
    s().apply((d) => setNodeField(d, 0, id, 'label', '结束'));
    expect(Object.keys(journey().nodes[0]!)).toEqual(['id', 'type', 'params', 'label', 'position']);
  });
});
