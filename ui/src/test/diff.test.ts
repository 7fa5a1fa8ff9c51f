import { describe, expect, it } from 'vitest';
import { diffCounts, diffValues, diffWorkspaces } from '../model/diff';
import { TEMPLATES } from '../model/samples';
import type { Journey, Workspace } from '../model/types';

const sample = (id: string): Workspace => JSON.parse(TEMPLATES.find((t) => t.id === id)!.text) as Workspace;

function edit(doc: Workspace, f: (j: Journey) => void): Workspace {
  const copy = structuredClone(doc);
  f(copy.journeys[0]!);
  return copy;
}

describe('diff', () => {
  it('finds nothing between a workspace and itself', () => {
    for (const t of TEMPLATES) {
      const d = diffWorkspaces(JSON.parse(t.text), JSON.parse(t.text));
      expect(d.journeys.every((j) => j.status === 'unchanged')).toBe(true);
      expect(d.offers.every((o) => o.status === 'unchanged')).toBe(true);
      expect(d.policy).toEqual([]);
      expect(d.other).toEqual([]);
    }
  });

  it('reports added, removed and changed nodes with their param changes', () => {
    const live = sample('cart_recovery');
    const next = edit(live, (j) => {
      j.nodes = j.nodes.filter((n) => n.id !== 'm_last_call');
      j.edges = j.edges.filter((e) => e.to !== 'm_last_call' && e.from !== 'm_last_call');
      const w = j.nodes.find((n) => n.id === 'w_23h')!;
      w.params = { duration: '12h' };
      const c = j.nodes.find((n) => n.id === 'c_cart_value')!;
      (c.params.when as { children: { value: unknown }[] }).children[0]!.value = 200;
      const t = j.nodes.find((n) => n.id === 't_add_to_cart')!;
      t.position = { x: 5, y: 5 };
      j.nodes.push({ id: 'p_bonus', type: 'action.points', params: { amount: 50 } });
      j.edges.push({ from: 'o_coupon_10', port: 'rejected', to: 'p_bonus' });
    });
    const d = diffWorkspaces(live, next);
    const jd = d.journeys[0]!;
    expect(jd.status).toBe('changed');
    const by = Object.fromEntries(jd.nodes.map((n) => [n.id, n]));
    expect(by.p_bonus?.status).toBe('added');
    expect(by.m_last_call?.status).toBe('removed');
    expect(by.w_23h?.status).toBe('changed');
    expect(by.w_23h?.changes).toEqual([{ path: '/params/duration', before: '23h', after: '12h' }]);
    expect(by.c_cart_value?.changes).toEqual([{ path: '/params/when/children/0/value', before: 100, after: 200 }]);
    expect(by.t_add_to_cart).toMatchObject({ status: 'unchanged', moved: true });
    expect(by.x_end).toMatchObject({ status: 'unchanged', moved: false });
    expect(diffCounts(jd)).toEqual({ added: 1, removed: 1, changed: 2 });

    const edges = Object.fromEntries(jd.edges.map((e) => [e.key, e]));
    expect(edges['o_coupon_10:rejected']).toMatchObject({ status: 'changed', changes: [{ path: '/to', before: 'm_last_call', after: 'p_bonus' }] });
    expect(edges['m_last_call:sent']?.status).toBe('removed');
    expect(edges['c_cart_value:no']?.status).toBe('removed');
    expect(edges['t_add_to_cart:out']?.status).toBe('unchanged');
  });

  it('reports journey fields, offers, policy and whole journeys', () => {
    const live = sample('welcome');
    const next = structuredClone(live);
    next.journeys[0]!.priority = 7;
    (next.journeys[0]!.campaign!.budget as { total: number }).total = 1;
    next.offers[0]!.face_value = 99;
    next.offers.push({ id: 'new_offer', kind: 'cash', face_value: 1 });
    next.policy.tz = 'UTC';
    next.journeys.push({ id: 'extra', nodes: [], edges: [] });
    const gone = structuredClone(live);
    gone.journeys.push({ id: 'old', nodes: [], edges: [] });
    const d = diffWorkspaces(gone, next);
    const byJ = Object.fromEntries(d.journeys.map((j) => [j.id, j]));
    expect(byJ.extra?.status).toBe('added');
    expect(byJ.old?.status).toBe('removed');
    const main = byJ[live.journeys[0]!.id]!;
    expect(main.fields.map((f) => f.path).sort()).toEqual(['/campaign/budget/total', '/priority']);
    expect(d.offers.find((o) => o.id === live.offers[0]!.id)?.changes[0]).toMatchObject({ path: '/face_value', after: 99 });
    expect(d.offers.find((o) => o.id === 'new_offer')?.status).toBe('added');
    expect(d.policy).toEqual([{ path: '/tz', before: 'Asia/Shanghai', after: 'UTC' }]);
  });

  it('treats a missing live version as everything added', () => {
    const d = diffWorkspaces(undefined, sample('vip_upgrade'));
    expect(d.journeys.every((j) => j.status === 'added')).toBe(true);
    expect(d.journeys[0]!.nodes.every((n) => n.status === 'added')).toBe(true);
  });

  it('diffs values by pointer, ignoring key order, escaping keys', () => {
    expect(diffValues({ a: 1, b: 2 }, { b: 2, a: 1 })).toEqual([]);
    expect(diffValues({ 'a/b': { '~': 1 } }, { 'a/b': { '~': 2 } })).toEqual([{ path: '/a~1b/~0', before: 1, after: 2 }]);
    expect(diffValues([1, 2], [1])).toEqual([{ path: '/1', before: 2, after: undefined }]);
    expect(diffValues({ a: [1] }, { a: 'x' })).toEqual([{ path: '/a', before: [1], after: 'x' }]);
  });
});
