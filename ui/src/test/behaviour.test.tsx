// Issue 20 in the app: the aggregates panel, agg.* and segment.* in the field picker, `{ "ago" }`
// values, the segments panel with its sizes and overlaps, and trigger.segment. The segment routes
// are not final: what is tested here is the shapes model/behaviour.ts assumes, and that an engine
// without them gives a clear empty state.

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { initI18n, i18n, setLang } from '../i18n';
import { AggregatesPanel } from '../panels/AggregatesPanel';
import { SegmentsPanel } from '../panels/SegmentsPanel';
import { ConditionBuilder } from '../panels/ConditionBuilder';
import { NodeForm } from '../panels/NodeForm';
import { SidePanel } from '../panels/SidePanel';
import { nodeSummary } from '../canvas/JourneyNode';
import { fieldCatalog } from '../model/condition';
import {
  aggregateText,
  aggValueType,
  readAggregateDistribution,
  readSegmentDetail,
  readSegmentList,
  readSegmentReport,
  withFn,
  type Aggregate,
} from '../model/behaviour';
import { diagTarget } from '../model/diagnostics';
import { conditionSentence } from '../model/sentence';
import { specPorts, typesInGroup } from '../model/nodeTypes';
import { BackendError, HttpBackend, TauriBackend, isMissingRoute, loadSegment, loadSegments, type Backend } from '../backend';
import { editorStore } from '../store/editor';
import { setDocField } from '../model/commands';
import { sessionStore } from '../store/session';
import type { Report, Workspace } from '../model/types';

beforeAll(() => {
  initI18n();
});
beforeEach(async () => {
  await act(async () => setLang('zh'));
  editorStore.getState().newWorkspace();
  const sim = sessionStore.getState().sim;
  sessionStore.setState({ backend: null, diagnostics: [], validatedDoc: null, sim: { ...sim, status: 'idle', result: null, doc: null } });
});
afterEach(cleanup);

const doc = () => editorStore.getState().doc as Workspace & { aggregates?: Aggregate[]; segments?: unknown[] };

const AGGS: Aggregate[] = [
  { id: 'spend_90d', event: 'order_paid', fn: 'sum', field: 'event.amount', window: '90d' },
  { id: 'orders', event: 'order_paid', fn: 'count' },
  { id: 'last_order', event: 'order_paid', fn: 'last', field: 'ts' },
  { id: 'skus_7d', event: 'order_paid', fn: 'distinct', field: 'event.sku', window: '7d' },
  { id: 'avg_qty', event: 'order_paid', fn: 'avg', field: 'event.quantity' },
];

function withBehaviour(extra: Partial<Workspace> = {}) {
  const fields: Record<string, unknown> = {
    aggregates: AGGS,
    segments: [{ id: 'vip', name: '高价值用户', when: { field: 'agg.spend_90d', operator: 'gte', value: 2000 } }],
    ...extra,
  };
  editorStore.getState().apply((d) => Object.entries(fields).reduce((acc, [k, v]) => setDocField(acc, k, v), d));
}

const baseReport = {
  input: { users: 2, events: 3, skipped_lines: 0 },
  journeys: {},
  offers: {},
  campaigns: {},
  touches: { sent: {}, suppressed: {}, deferred: 0 },
  conversions: { count: 0, revenue: '0', attributed: 0, attributed_revenue: '0' },
  cost: '0',
  roi: null,
} as Report;

function simDone(report: Record<string, unknown>) {
  const sim = sessionStore.getState().sim;
  sessionStore.setState({ sim: { ...sim, status: 'done', doc: doc(), result: { report: { ...baseReport, ...report } as Report, log: [] } } });
}

describe('model: types, sentences and the engine shapes assumed', () => {
  it('gives each aggregate its type as a condition reads it', () => {
    const types = AGGS.map((a) => aggValueType(a, doc(), fieldCatalog({})));
    expect(types).toEqual(['money', 'count', 'time', 'count', 'number']);
    // first/last of a text prop is text
    expect(aggValueType({ id: 'c', event: 'order_paid', fn: 'last', field: 'event.category' }, doc(), fieldCatalog({}))).toBe('string');
  });

  it('words an aggregate in zh and en', () => {
    expect(aggregateText(i18n.getFixedT('zh'), AGGS[0]!)).toBe('近 90 天支付订单的订单金额合计');
    expect(aggregateText(i18n.getFixedT('zh'), AGGS[1]!)).toBe('（全部历史）支付订单次数');
    expect(aggregateText(i18n.getFixedT('zh'), AGGS[2]!)).toBe('（全部历史）最近一次支付订单的时间');
    expect(aggregateText(i18n.getFixedT('en'), AGGS[0]!)).toMatch(/^Total .* of Order paid in the last 90 days$/);
  });

  it('changing fn keeps the CLI key order and only what fits', () => {
    const a: Aggregate = { id: 'x', event: 'order_paid', fn: 'count', window: '7d' };
    const sum = withFn(a, 'sum');
    expect(Object.keys(sum)).toEqual(['id', 'event', 'fn', 'field', 'window']);
    expect(sum.field).toBe('event.amount');
    expect(withFn({ ...a, fn: 'last', field: 'ts' }, 'max').field).toBe('event.amount');
    expect(withFn({ ...a, fn: 'sum', field: 'event.amount' }, 'count')).toEqual({ id: 'x', event: 'order_paid', fn: 'count', window: '7d' });
  });

  it('reads the segment routes and report section tolerantly', () => {
    expect(readSegmentList({ segments: [{ id: 'vip', name: 'VIP', size: 12 }, { id: 'lapsed', count: '3' }, { nope: 1 }] })).toEqual([
      { id: 'vip', name: 'VIP', size: 12 },
      { id: 'lapsed', size: 3 },
    ]);
    expect(readSegmentList([{ id: 'a', size: 1 }])).toEqual([{ id: 'a', size: 1 }]);
    expect(readSegmentDetail({ id: 'vip', size: 12, sample: ['u1', 'u2'], overlaps: { lapsed: 4 } }, 'vip')).toEqual({ id: 'vip', size: 12, sample: ['u1', 'u2'], overlaps: { lapsed: 4 } });
    expect(readSegmentDetail({ size: 2, members: [{ user_id: 'u9' }], overlaps: [{ segment: 'b', size: 1 }] }, 'a')).toEqual({ id: 'a', size: 2, sample: ['u9'], overlaps: { b: 1 } });
    expect(readSegmentReport(baseReport)).toBeNull();
    expect(readSegmentReport({ segments: { vip: { size: 5, entered: 7, exited: 2 } } })).toEqual({ vip: { size: 5, entered: 7, exited: 2 } });
    expect(readAggregateDistribution(baseReport, 'orders')).toBeNull();
    expect(readAggregateDistribution({ aggregates: { orders: { missing: 3, buckets: [{ lo: 0, hi: 1, users: 4 }, { label: '2+', count: 1 }] } } }, 'orders')).toEqual({
      users: null,
      missing: 3,
      buckets: [
        { label: '0–1', users: 4 },
        { label: '2+', users: 1 },
      ],
    });
  });

  it('reads { ago } in node sentences', () => {
    const c = { field: 'agg.last_order', operator: 'lt', value: { ago: '30d' } };
    expect(conditionSentence(i18n.getFixedT('zh'), c)).toBe('agg.last_order < 30 天前');
    expect(conditionSentence(i18n.getFixedT('en'), c)).toBe('agg.last_order < 30 days ago');
  });

  it('sends a diagnostic at /aggregates or /segments to its tab', () => {
    expect(diagTarget({ severity: 'error', code: 'E_SCHEMA', path: '/aggregates/1/fn' }, doc()).area).toBe('aggregates');
    expect(diagTarget({ severity: 'error', code: 'E_SCHEMA', path: '/segments/0/when' }, doc()).area).toBe('segments');
  });
});

describe('the aggregates panel', () => {
  it('is a tab beside Journey/Offers/Policy, with an empty state in zh and en', async () => {
    render(<SidePanel />);
    fireEvent.click(screen.getByTestId('panel-tab-aggregates'));
    expect(screen.getByTestId('panel-tab-aggregates').textContent).toBe('聚合指标');
    expect(screen.getByTestId('aggregates-empty').textContent).toContain('还没有聚合指标');
    await act(async () => setLang('en'));
    expect(screen.getByTestId('panel-tab-aggregates').textContent).toBe('Aggregates');
    expect(screen.getByTestId('aggregates-empty').textContent).toContain('No aggregates yet');
  });

  it('adds, edits and deletes aggregates as JSON the engine reads, each step undoable', () => {
    render(<AggregatesPanel />);
    fireEvent.click(screen.getByTestId('add-aggregate'));
    expect(doc().aggregates).toEqual([{ id: 'agg_1', event: 'order_paid', fn: 'count', window: '30d' }]);
    // the aggregates go where the CLI writes them: after policy, before journeys
    expect(Object.keys(doc())).toEqual(['schema', 'offers', 'policy', 'aggregates', 'journeys']);
    // fn in words
    const fn = screen.getByTestId('agg-fn-0') as HTMLSelectElement;
    expect([...fn.options].map((o) => o.textContent)).toEqual(['次数', '合计', '最小', '最大', '平均', '最早', '最近', '去重数']);
    fireEvent.change(fn, { target: { value: 'sum' } });
    expect(doc().aggregates?.[0]).toEqual({ id: 'agg_1', event: 'order_paid', fn: 'sum', field: 'event.amount', window: '30d' });
    // a 7-day window: the number and the unit
    fireEvent.change(screen.getByTestId('agg-window-0-amount'), { target: { value: '7' } });
    expect(doc().aggregates?.[0]?.window).toBe('7d');
    fireEvent.change(screen.getByTestId('agg-window-0-unit'), { target: { value: 'h' } });
    expect(doc().aggregates?.[0]?.window).toBe('7h');
    // the whole history: no window at all
    fireEvent.change(screen.getByTestId('agg-window-0-mode'), { target: { value: 'whole' } });
    expect(doc().aggregates?.[0]).not.toHaveProperty('window');
    // typing in one field coalesces into one undo step (as every form does): undo goes back to 30 days
    editorStore.getState().undo();
    expect(doc().aggregates?.[0]?.window).toBe('30d');
    // the last order's time: field ts, offered for first/last only
    fireEvent.change(screen.getByTestId('agg-fn-0'), { target: { value: 'last' } });
    fireEvent.change(screen.getByTestId('agg-field-0-pick'), { target: { value: 'ts' } });
    expect(doc().aggregates?.[0]).toMatchObject({ fn: 'last', field: 'ts' });
    expect(screen.getByTestId('agg-read-as-0').textContent).toBe('条件中读作 agg.agg_1 · 时间');
    // the event, from the sample data's event types, named in words
    const ev = screen.getByTestId('agg-event-0-pick') as HTMLSelectElement;
    expect([...ev.options].some((o) => o.textContent === '加入购物车 (add_to_cart)')).toBe(true);
    fireEvent.change(ev, { target: { value: 'add_to_cart' } });
    expect(doc().aggregates?.[0]?.event).toBe('add_to_cart');
    // id
    fireEvent.change(screen.getByTestId('agg-id-0'), { target: { value: 'last_cart' } });
    expect(doc().aggregates?.[0]?.id).toBe('last_cart');
    // delete: the key leaves the document, as the CLI writes it
    fireEvent.click(screen.getByTestId('agg-remove-0'));
    expect(doc()).not.toHaveProperty('aggregates');
    editorStore.getState().undo();
    expect(doc().aggregates).toHaveLength(1);
  });

  it('counts only some events with a where over event.* fields only', () => {
    editorStore.getState().apply((d) => ({ ...d, aggregates: [{ id: 'beauty_7d', event: 'order_paid', fn: 'sum', field: 'event.amount', window: '7d' }] }));
    render(<AggregatesPanel />);
    fireEvent.click(screen.getByTestId('agg-add-where-0'));
    expect(doc().aggregates?.[0]).toEqual({
      id: 'beauty_7d',
      event: 'order_paid',
      where: { field: 'event.category', operator: 'eq', value: '' },
      fn: 'sum',
      field: 'event.amount',
      window: '7d',
    });
    const where = screen.getByTestId('agg-where-0');
    const pick = where.querySelector('[data-testid="cond-field-pick"]') as HTMLSelectElement;
    const paths = [...pick.options].map((o) => o.value).filter((v) => v && !v.startsWith('\u0000'));
    expect(paths.length).toBeGreaterThan(5);
    expect(paths.every((p) => p.startsWith('event.'))).toBe(true);
  });

  it('shows the engine’s problems about each aggregate in words', () => {
    withBehaviour();
    sessionStore.setState({
      diagnostics: [
        { severity: 'error', code: 'E_SCHEMA', path: '/aggregates/1/field', message: 'a field on count' },
        { severity: 'warning', code: 'W_UNUSED_AGGREGATE', path: '/aggregates/3', message: 'aggregate "skus_7d" is read by no condition' },
      ],
      validatedDoc: doc(),
    });
    render(<AggregatesPanel />);
    expect(screen.queryByTestId('agg-diags-0')).toBeNull();
    expect(screen.getByTestId('agg-diags-1').querySelector('.diag-error')).toBeTruthy();
    expect(screen.getByTestId('agg-diags-3').textContent).toContain('聚合指标“skus_7d”没有被任何条件使用');
    // used: spend_90d by the segment
    expect(screen.getByTestId('agg-0').querySelector('legend')?.textContent).toContain('被 1 处条件使用');
  });

  it('says where the distribution is missing instead of inventing one', () => {
    withBehaviour();
    const { rerender } = render(<AggregatesPanel />);
    expect(screen.getByTestId('agg-dist-nosim-orders').textContent).toContain('运行一次沙盒模拟');
    act(() => simDone({}));
    rerender(<AggregatesPanel />);
    expect(screen.getByTestId('agg-dist-none-orders').textContent).toContain('不包含聚合指标的取值分布');
    act(() => simDone({ aggregates: { orders: { users: 5, missing: 2, buckets: [{ label: '1', users: 3 }, { label: '2+', users: 2 }] } } }));
    rerender(<AggregatesPanel />);
    const dist = screen.getByTestId('agg-dist-orders');
    expect(dist.textContent).toContain('3 人');
    expect(dist.textContent).toContain('5 位用户有取值');
    expect(dist.textContent).toContain('2 位用户没有取值');
  });
});

describe('the condition builder’s field picker', () => {
  it('lists agg.* and segment.* with their names and types', async () => {
    withBehaviour();
    render(<ConditionBuilder value={{ field: 'agg.spend_90d', operator: 'gte', value: 2000 }} onChange={() => undefined} fields={fieldCatalog(doc())} />);
    const pick = screen.getByTestId('cond-field-pick') as HTMLSelectElement;
    const text = (v: string) => [...pick.options].find((o) => o.value === v)?.textContent;
    expect(pick.querySelector('[data-testid="cond-field-group-agg"]')?.getAttribute('label')).toBe('行为聚合');
    expect(pick.querySelector('[data-testid="cond-field-group-segment"]')?.getAttribute('label')).toBe('人群分群');
    expect(text('agg.spend_90d')).toBe('近 90 天支付订单的订单金额合计 · 金额');
    expect(text('agg.orders')).toBe('（全部历史）支付订单次数 · 次数');
    expect(text('agg.last_order')).toBe('（全部历史）最近一次支付订单的时间 · 时间');
    expect(text('agg.avg_qty')).toMatch(/ · 数字$/);
    expect(text('segment.vip')).toBe('高价值用户 · 是/否');
    await act(async () => setLang('en'));
    expect(text('agg.orders')).toBe('Times of Order paid ever · count');
    expect(text('agg.spend_90d')).toMatch(/ · money$/);
    expect(text('segment.vip')).toBe('高价值用户 · yes/no');
  });

  it('a schedule’s audience and a segment’s when offer aggregates; an aggregate’s where does not', () => {
    withBehaviour();
    const paths = (scope: 'audience' | 'segment' | 'event') => fieldCatalog(doc(), scope).map((f) => f.path);
    expect(paths('audience')).toContain('agg.orders');
    expect(paths('audience')).toContain('segment.vip');
    expect(paths('segment')).toContain('agg.orders');
    expect(paths('segment')).toContain('user.level');
    expect(paths('segment').some((p) => p.startsWith('event.'))).toBe(false);
    expect(paths('event').some((p) => p.startsWith('agg.') || p.startsWith('user.'))).toBe(false);
  });

  it('writes "more than 30 days ago" as { "ago": "30d" } for a time aggregate', () => {
    withBehaviour();
    const emitted: unknown[] = [];
    render(<ConditionBuilder value={{ field: 'user.level', operator: 'eq', value: '' }} onChange={(v) => emitted.push(v)} fields={fieldCatalog(doc())} />);
    fireEvent.change(screen.getByTestId('cond-field-pick'), { target: { value: 'agg.last_order' } });
    expect(emitted.at(-1)).toEqual({ field: 'agg.last_order', operator: 'lt', value: { ago: '30d' } });
    expect(screen.getByTestId('cond-ago-hint').textContent).toBe('早于 30 天前（即超过 30 天）');
    fireEvent.change(screen.getByTestId('cond-ago-amount'), { target: { value: '90' } });
    expect(emitted.at(-1)).toEqual({ field: 'agg.last_order', operator: 'lt', value: { ago: '90d' } });
    fireEvent.change(screen.getByTestId('cond-ago-unit'), { target: { value: 'h' } });
    expect(emitted.at(-1)).toEqual({ field: 'agg.last_order', operator: 'lt', value: { ago: '90h' } });
    fireEvent.change(screen.getByTestId('cond-op'), { target: { value: 'gte' } });
    expect(emitted.at(-1)).toMatchObject({ operator: 'gte' });
  });

  it('offers "a time ago" on other time fields and reads an existing { ago }', () => {
    const emitted: unknown[] = [];
    render(<ConditionBuilder value={{ field: 'event.ts', operator: 'gte', value: { ago: '7d' } }} onChange={(v) => emitted.push(v)} fields={fieldCatalog({})} />);
    expect((screen.getByTestId('cond-value-kind') as HTMLSelectElement).value).toBe('ago');
    expect((screen.getByTestId('cond-ago-amount') as HTMLInputElement).value).toBe('7');
    expect(screen.getByTestId('cond-ago-hint').textContent).toBe('在近 7 天内');
    expect(emitted).toEqual([]);
  });

  it('a segment picked on a blank rule reads "is in the segment"; a count starts at ≥ 0', () => {
    withBehaviour();
    const emitted: unknown[] = [];
    render(<ConditionBuilder value={{ field: 'user.level', operator: 'eq', value: '' }} onChange={(v) => emitted.push(v)} fields={fieldCatalog(doc())} />);
    fireEvent.change(screen.getByTestId('cond-field-pick'), { target: { value: 'segment.vip' } });
    expect(emitted.at(-1)).toEqual({ field: 'segment.vip', operator: 'eq', value: true });
    cleanup();
    render(<ConditionBuilder value={{ field: 'user.level', operator: 'eq', value: '' }} onChange={(v) => emitted.push(v)} fields={fieldCatalog(doc())} />);
    fireEvent.change(screen.getByTestId('cond-field-pick'), { target: { value: 'agg.orders' } });
    expect(emitted.at(-1)).toEqual({ field: 'agg.orders', operator: 'gte', value: 0 });
  });
});

function fakeBackend(over: Partial<Backend>): Backend {
  return { kind: 'http', target: 'x', ...over } as unknown as Backend;
}

describe('the segments panel', () => {
  it('defines segments over user.* and agg.* as JSON', () => {
    withBehaviour({ segments: undefined } as Partial<Workspace>);
    render(<SegmentsPanel />);
    expect(screen.getByTestId('segments-empty').textContent).toContain('还没有人群');
    fireEvent.click(screen.getByTestId('add-segment'));
    expect(doc().segments).toEqual([{ id: 'seg_1', name: 'seg_1', when: { field: 'user.level', operator: 'eq', value: 'gold' } }]);
    expect(Object.keys(doc())).toEqual(['schema', 'offers', 'policy', 'aggregates', 'segments', 'journeys']);
    fireEvent.change(screen.getByTestId('segment-name-0'), { target: { value: '沉睡老客' } });
    fireEvent.change(screen.getByTestId('segment-id-0'), { target: { value: 'lapsed' } });
    const when = screen.getByTestId('segment-when-0');
    const pick = when.querySelector('[data-testid="cond-field-pick"]') as HTMLSelectElement;
    const paths = [...pick.options].map((o) => o.value).filter((v) => v && !v.startsWith('\u0000'));
    expect(paths).toContain('agg.orders');
    expect(paths.some((p) => p.startsWith('event.'))).toBe(false);
    fireEvent.change(pick, { target: { value: 'agg.last_order' } });
    expect(doc().segments).toEqual([{ id: 'lapsed', name: '沉睡老客', when: { field: 'agg.last_order', operator: 'lt', value: { ago: '30d' } } }]);
    editorStore.getState().undo();
    expect((doc().segments?.[0] as { when: unknown }).when).toEqual({ field: 'user.level', operator: 'eq', value: 'gold' });
  });

  it('empty states: no simulation, a report without segments, no engine service', () => {
    withBehaviour();
    const { rerender } = render(<SegmentsPanel />);
    expect(screen.getByTestId('seg-sim-nosim').textContent).toContain('运行一次沙盒模拟');
    expect(screen.getByTestId('seg-live-nobackend').textContent).toContain('未连接引擎服务');
    expect(screen.getByTestId('overlap-need-two').textContent).toContain('至少定义两个人群');
    act(() => simDone({}));
    rerender(<SegmentsPanel />);
    expect(screen.getByTestId('seg-sim-none').textContent).toContain('不包含人群人数');
  });

  it('draws the sizes from the simulation report', async () => {
    withBehaviour();
    act(() => simDone({ segments: { vip: { size: 1200, entered: 1500, exited: 300 } } }));
    render(<SegmentsPanel />);
    const row = screen.getByTestId('seg-sim-bars-vip');
    expect(row.textContent).toContain('高价值用户');
    expect(row.textContent).toContain('1,200 人');
    expect(row.textContent).toContain('进入 1500');
    expect(row.textContent).toContain('离开 300');
    await act(async () => setLang('en'));
    expect(screen.getByTestId('seg-sim-bars-vip').textContent).toContain('1,200 users');
  });

  it('an engine without /v1/segments: a clear empty state, not an error', async () => {
    withBehaviour();
    const missing = () => Promise.reject(new BackendError('E_NOT_FOUND', 'no such route; see /openapi.json', undefined, 404));
    sessionStore.setState({ backend: fakeBackend({ listSegments: missing, getSegment: missing }) });
    render(<SegmentsPanel />);
    fireEvent.click(screen.getByTestId('seg-live-load'));
    await waitFor(() => expect(screen.getByTestId('seg-live-unavailable').textContent).toContain('没有 /v1/segments'));
    expect(screen.queryByTestId('seg-live-error')).toBeNull();
    // an engine without the methods at all (an older fake or build)
    cleanup();
    sessionStore.setState({ backend: fakeBackend({}) });
    render(<SegmentsPanel />);
    fireEvent.click(screen.getByTestId('seg-live-load'));
    await waitFor(() => expect(screen.getByTestId('seg-live-unavailable')).toBeTruthy());
  });

  it('live sizes and the overlap of two segments from the service', async () => {
    withBehaviour({
      segments: [
        { id: 'vip', name: '高价值用户', when: { field: 'agg.spend_90d', operator: 'gte', value: 2000 } },
        { id: 'lapsed', name: '沉睡老客', when: { field: 'agg.last_order', operator: 'lt', value: { ago: '30d' } } },
      ],
    } as Partial<Workspace>);
    const asked: string[] = [];
    sessionStore.setState({
      backend: fakeBackend({
        listSegments: async () => ({ segments: [{ id: 'vip', name: '高价值用户', size: 100 }, { id: 'lapsed', name: '沉睡老客', size: 40 }] }),
        getSegment: async (id: string) => {
          asked.push(id);
          return id === 'vip' ? { id, size: 100, sample: ['u1', 'u2'], overlaps: { lapsed: 10 } } : { id, size: 40, sample: [], overlaps: { vip: 10 } };
        },
      }),
    });
    render(<SegmentsPanel />);
    await waitFor(() => expect(screen.getByTestId('overlap-figure')).toBeTruthy());
    expect(asked.sort()).toEqual(['lapsed', 'vip']);
    expect(screen.getByTestId('overlap-only-a').textContent).toContain('90 人');
    expect(screen.getByTestId('overlap-both').textContent).toContain('10 人');
    expect(screen.getByTestId('overlap-only-b').textContent).toContain('30 人');
    expect(screen.getByTestId('overlap-share').textContent).toBe('占 A 的 10.0%，占 B 的 25.0%');
    expect(screen.getByTestId('overlap-sample').textContent).toContain('u1, u2');
    fireEvent.click(screen.getByTestId('seg-live-load'));
    await waitFor(() => expect(screen.getByTestId('seg-live-bars-lapsed').textContent).toContain('40 人'));
    // the same segment twice
    fireEvent.change(screen.getByTestId('overlap-b'), { target: { value: 'vip' } });
    expect(screen.getByTestId('overlap-same')).toBeTruthy();
  });
});

describe('the backend functions for the segment routes', () => {
  it('HTTP: GET /v1/segments and /v1/segments/{id}', async () => {
    const urls: string[] = [];
    const f = (async (url: string) => {
      urls.push(url);
      return new Response(JSON.stringify(url.endsWith('/v1/segments') ? { segments: [{ id: 'vip', size: 3 }] } : { id: 'vip', size: 3, sample: ['u1'], overlaps: {} }), { status: 200 });
    }) as unknown as typeof fetch;
    const b = new HttpBackend({ baseUrl: 'http://h', token: '' }, f);
    expect(await loadSegments(b)).toEqual({ state: 'ok', value: [{ id: 'vip', size: 3 }] });
    expect(await loadSegment(b, 'v ip')).toMatchObject({ state: 'ok', value: { size: 3, sample: ['u1'] } });
    expect(urls).toEqual(['http://h/v1/segments', 'http://h/v1/segments/v%20ip']);
  });

  it('HTTP: the fallback 404 is "unavailable"; a server error is an error', async () => {
    const notFound = (async () => new Response(JSON.stringify({ error: { code: 'E_NOT_FOUND', message: 'no such route; see /openapi.json' } }), { status: 404 })) as unknown as typeof fetch;
    expect((await loadSegments(new HttpBackend({ baseUrl: 'http://h', token: '' }, notFound))).state).toBe('unavailable');
    expect((await loadSegment(new HttpBackend({ baseUrl: 'http://h', token: '' }, notFound), 'x')).state).toBe('unavailable');
    const boom = (async () => new Response(JSON.stringify({ error: { code: 'E_INTERNAL', message: 'db' } }), { status: 500 })) as unknown as typeof fetch;
    const r = await loadSegments(new HttpBackend({ baseUrl: 'http://h', token: '' }, boom));
    expect(r.state).toBe('error');
  });

  it('Tauri: segment_sizes and segment_detail { id }; an unknown command is "unavailable"', async () => {
    const calls: [string, unknown][] = [];
    const ok = new TauriBackend(async <T,>(cmd: string, args?: Record<string, unknown>) => {
      calls.push([cmd, args]);
      return (cmd === 'segment_sizes' ? { segments: [] } : { id: 'vip', size: 0 }) as T;
    });
    await loadSegments(ok);
    await loadSegment(ok, 'vip');
    expect(calls).toEqual([
      ['segment_sizes', { args: {} }],
      ['segment_detail', { args: { id: 'vip' } }],
    ]);
    const old = new TauriBackend(async () => {
      throw 'command list_segments not found';
    });
    expect((await loadSegments(old)).state).toBe('unavailable');
    expect(isMissingRoute(new BackendError('E_INTERNAL', 'command get_segment not found'))).toBe(true);
    expect(isMissingRoute(new BackendError('E_NOT_FOUND', 'no segment "x"', 'id', 404))).toBe(false);
  });
});

describe('trigger.segment', () => {
  it('is in the palette’s triggers, with a form that picks the segment and enter/exit', () => {
    withBehaviour();
    const id = editorStore.getState().addNode('trigger.segment', { x: 0, y: 0 });
    const s = editorStore.getState();
    const node = () => editorStore.getState().doc.journeys[s.active]!.nodes.find((n) => n.id === id)!;
    expect(node().params).toEqual({ segment: 'vip', on: 'enter' });
    expect(specPorts(node())).toEqual(['out']);
    expect(typesInGroup('triggers')).toContain('trigger.segment');
    render(<NodeForm node={node()} journey={s.active} doc={editorStore.getState().doc} diags={[]} />);
    const seg = screen.getByTestId('param-segment') as HTMLSelectElement;
    expect([...seg.options].map((o) => o.textContent)).toContain('高价值用户 (vip)');
    fireEvent.change(screen.getByTestId('param-segment-on'), { target: { value: 'exit' } });
    expect(node().params).toEqual({ segment: 'vip', on: 'exit' });
    expect(nodeSummary(i18n.getFixedT('zh'), node())).toBe('离开 vip 时');
    expect(nodeSummary(i18n.getFixedT('en'), node())).toBe('on leaving vip');
    expect(i18n.getFixedT('zh')('nodeTypes.trigger.segment')).toBe('人群触发');
  });

  it('says when there is no segment to pick', () => {
    const id = editorStore.getState().addNode('trigger.segment', { x: 0, y: 0 });
    const s = editorStore.getState();
    const node = s.doc.journeys[s.active]!.nodes.find((n) => n.id === id)!;
    expect(node.params).toEqual({ segment: '', on: 'enter' });
    render(<NodeForm node={node} journey={s.active} doc={s.doc} diags={[]} />);
    expect(screen.getByTestId('node-form').textContent).toContain('请先在“人群”页签中定义人群');
  });
});
