import { describe, expect, it } from 'vitest';
import {
  conditionText,
  collectFields,
  fieldCatalog,
  findNode,
  fromDsl,
  newGroup,
  newLeaf,
  operatorsFor,
  reshapeValue,
  toDsl,
  updateNode,
  type BuilderGroup,
  type BuilderLeaf,
} from '../model/condition';
import { TEMPLATES } from '../model/samples';
import { LEAF_OPERATORS } from '../model/types';

/** Every object in `v` that looks like a condition root (a node's where/when/audience/case). */
function sampleConditions(): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown, key: string) => {
    if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') {
      if (['where', 'when', 'audience'].includes(key)) out.push(v);
      for (const [k, x] of Object.entries(v)) walk(x, k);
    }
  };
  for (const t of TEMPLATES) walk(JSON.parse(t.text), '');
  return out;
}

const exact = (c: unknown) => JSON.stringify(toDsl(fromDsl(c)));

const CASES: unknown[] = [
  ...LEAF_OPERATORS.map((op) => ({ field: 'user.x', operator: op, value: op === 'exists' ? true : 1 })),
  { field: 'user.city', operator: 'in', value: ['北京', '上海'] },
  { field: 'user.city', operator: 'not_in', value: [] },
  { field: 'user.tags', operator: 'contains', value: 'vip' },
  { field: 'user.name', operator: 'starts_with', value: '王' },
  { field: 'event.amount', operator: 'between', value: [100, 200.5] },
  { field: 'user.phone', operator: 'exists', value: false },
  { field: 'event.amount', operator: 'gte', value: { field: 'user.free_shipping_threshold' } },
  { field: 'event.amount', operator: 'gte', value: { field: 'user.x', note: 'kept' } },
  { field: 'user.flag', operator: 'eq', value: null },
  { field: 'user.flag', operator: 'eq', value: true },
  { field: 'user.obj', operator: 'eq', value: { a: 1 } },
  { field: 'user.level', operator: 'eq' },
  { operator: 'eq', value: 'gold', field: 'user.level' },
  { field: 'user.level', operator: 'eq', value: 'gold', note: 'unknown key' },
  { operator: 'NOT', children: [{ field: 'user.level', operator: 'eq', value: 'gold' }] },
  { operator: 'NOT', children: [] },
  { operator: 'NOT', children: [{ field: 'a.b', operator: 'exists', value: true }, { field: 'a.c', operator: 'exists', value: true }] },
  { operator: 'AND', children: [] },
  {
    operator: 'OR',
    id: 'g1',
    children: [
      { operator: 'AND', children: [{ field: 'now.hour', operator: 'between', value: [8, 22] }, { operator: 'NOT', children: [{ field: 'user.tags', operator: 'contains', value: 'points_blocked' }] }] },
      { operator: 'OR', children: [{ operator: 'AND', children: [{ field: 'now.weekday', operator: 'in', value: [0, 6] }] }] },
      { field: 'journey.entered_at', operator: 'lt', value: '2026-11-01T00:00:00Z' },
    ],
  },
  { children: [{ field: 'x.y', operator: 'eq', value: 1 }], operator: 'AND' },
  // malformed: kept as raw JSON
  { operator: 'and', children: [] },
  { operator: 'like', field: 'user.x', value: 1 },
  { field: 5, operator: 'eq', value: 1 },
  { operator: 'AND', children: 'nope' },
  { operator: 'AND', children: [{ field: 'x', operator: 'eq', value: 1 }, 'junk', 3, null] },
  'just a string',
  42,
  null,
  [],
];

describe('DSL ↔ builder tree', () => {
  it('round-trips every condition of the samples exactly', () => {
    const conds = sampleConditions();
    expect(conds.length).toBeGreaterThan(10);
    for (const c of conds) expect(exact(c)).toBe(JSON.stringify(c));
  });

  it.each(CASES.map((c) => [JSON.stringify(c), c]))('round-trips %s exactly', (_s, c) => {
    expect(exact(c)).toBe(JSON.stringify(c));
  });

  it('reads groups, leaves, field references and malformed parts as such', () => {
    const tree = fromDsl(CASES.find((c) => (c as { id?: string }).id === 'g1')) as BuilderGroup;
    expect(tree.kind).toBe('group');
    expect(tree.operator).toBe('OR');
    expect(tree.children.map((c) => c.kind)).toEqual(['group', 'group', 'leaf']);
    const ref = fromDsl({ field: 'a.b', operator: 'gte', value: { field: 'c.d' } }) as BuilderLeaf;
    expect(ref.value).toMatchObject({ kind: 'field', field: 'c.d' });
    const absent = fromDsl({ field: 'a.b', operator: 'eq' }) as BuilderLeaf;
    expect(absent.value).toEqual({ kind: 'absent' });
    const mixed = fromDsl({ operator: 'AND', children: [{ field: 'x', operator: 'eq', value: 1 }, 'junk'] }) as BuilderGroup;
    expect(mixed.children.map((c) => c.kind)).toEqual(['leaf', 'raw']);
    expect(fromDsl({ operator: 'and', children: [] }).kind).toBe('raw');
  });

  it('builds new conditions in the spec key order', () => {
    const leaf = newLeaf('user.city');
    const g = newGroup('AND', [leaf, newGroup('NOT', [newLeaf('user.level')])]);
    expect(JSON.stringify(toDsl(g))).toBe(
      '{"operator":"AND","children":[{"field":"user.city","operator":"eq","value":""},{"operator":"NOT","children":[{"field":"user.level","operator":"eq","value":""}]}]}',
    );
  });

  it('edits a nested leaf and keeps the rest, unknown keys included', () => {
    const src = { operator: 'AND', note: 1, children: [{ field: 'a', operator: 'eq', value: 1, x: 2 }, { field: 'b', operator: 'gt', value: 3 }] };
    const tree = fromDsl(src) as BuilderGroup;
    const key = tree.children[0]!.key;
    const edited = updateNode(tree, key, (n) => (n.kind === 'leaf' ? { ...n, operator: 'in', value: reshapeValue(n.value, 'in') } : n));
    expect(toDsl(edited!)).toEqual({ operator: 'AND', note: 1, children: [{ field: 'a', operator: 'in', value: [1], x: 2 }, { field: 'b', operator: 'gt', value: 3 }] });
    const removed = updateNode(tree, key, () => null);
    expect(toDsl(removed!)).toEqual({ operator: 'AND', note: 1, children: [{ field: 'b', operator: 'gt', value: 3 }] });
    expect(findNode(tree, tree.children[1]!.key)?.kind).toBe('leaf');
    // the original tree is untouched
    expect(toDsl(tree)).toEqual(src);
  });

  it('reshapes values when the operator changes', () => {
    const lit = (value: unknown) => ({ kind: 'literal' as const, value });
    expect(reshapeValue(lit(5), 'between')).toEqual(lit([5, 5]));
    expect(reshapeValue(lit([1, 9]), 'between')).toEqual(lit([1, 9]));
    expect(reshapeValue(lit(['a', 'b']), 'eq')).toEqual(lit('a'));
    expect(reshapeValue(lit('a'), 'not_in')).toEqual(lit(['a']));
    expect(reshapeValue(lit('a'), 'exists')).toEqual(lit(true));
    expect(reshapeValue(lit(true), 'gt', 'number')).toEqual(lit(0));
    const ref = { kind: 'field' as const, field: 'x', base: {} };
    expect(reshapeValue(ref, 'lt')).toBe(ref);
    expect(reshapeValue(ref, 'exists')).toEqual(lit(true));
  });

  it('offers operators that fit the field type', () => {
    expect(operatorsFor('number')).toContain('between');
    expect(operatorsFor('number')).not.toContain('starts_with');
    expect(operatorsFor('string')).toContain('starts_with');
    expect(operatorsFor('list')[0]).toBe('contains');
    expect(operatorsFor(undefined)).toEqual([...LEAF_OPERATORS]);
  });

  it('feeds the field picker from the sample data and the document', () => {
    const doc = { journeys: [{ nodes: [{ params: { when: { field: 'user.custom_score', operator: 'gt', value: 3 } } }] }] };
    const all = fieldCatalog(doc);
    expect(all.find((f) => f.path === 'user.city')?.values).toContain('北京');
    expect(all.find((f) => f.path === 'user.custom_score')?.type).toBe('number');
    const audience = fieldCatalog(doc, 'audience');
    expect(audience.every((f) => f.path.startsWith('user.') || f.path.startsWith('now.'))).toBe(true);
    expect(audience.some((f) => f.path === 'now.hour')).toBe(true);
  });

  it('keeps the field picker right across edits that copy the path to the change', () => {
    const keep = { params: { when: { field: 'user.kept', operator: 'eq', value: 'x' } } };
    const edited = { params: { when: { field: 'user.old', operator: 'gt', value: 1 } } };
    const doc = { journeys: [{ nodes: [keep, edited] }] };
    const paths = (d: unknown) => [...collectFields(d).keys()];
    expect(paths(doc)).toEqual(['user.kept', 'user.old']);
    // An edit as the store makes it: new objects along the path, the untouched node shared.
    const next = { journeys: [{ nodes: [keep, { params: { when: { field: 'user.new', operator: 'eq', value: true } } }] }] };
    expect(paths(next)).toEqual(['user.kept', 'user.new']);
    expect(collectFields(next).get('user.new')).toBe('boolean');
    // The first document still answers for itself.
    expect(paths(doc)).toEqual(['user.kept', 'user.old']);
  });

  it('renders conditions as text', () => {
    expect(conditionText({ operator: 'AND', children: [{ field: 'event.amount', operator: 'gte', value: 50 }, { operator: 'OR', children: [{ field: 'a', operator: 'eq', value: 'x' }, { field: 'b', operator: 'exists', value: false }] }] })).toBe(
      'event.amount ≥ 50 AND (a = x OR b missing)',
    );
    expect(conditionText({ field: 'n', operator: 'between', value: [1, 2] })).toBe('n ∈ [1, 2]');
  });
});
