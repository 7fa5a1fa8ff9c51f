// Uplift models in the app (docs/uplift.md): the readers of the workspace's `models` and of the
// report's `uplift` section (bad shapes give nothing, never a crash), the threshold in percentage
// points, the gate's form and its model picker, the models panel (add from a file, features,
// Qini chart, undo), the gate cards (predicted, with vs without, quadrants), the report's
// aggregate distributions in the engine's exact shape, and the user view's aggregates and segments.

import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';

// ECharts draws on a canvas that happy-dom does not have: record each chart's option instead.
const charts = vi.hoisted(() => new Map<string, unknown>());
vi.mock('echarts/core', async (importOriginal) => {
  const real = await importOriginal<typeof import('echarts/core')>();
  return {
    ...real,
    init: (el: HTMLElement) => ({
      setOption: (o: unknown) => charts.set(el.getAttribute('data-testid') ?? '', o),
      resize: () => {},
      dispose: () => {},
    }),
  };
});

import { i18n, initI18n, setLang } from '../i18n';
import { NodeForm } from '../panels/NodeForm';
import { ModelsPanel } from '../panels/ModelsPanel';
import { SidePanel } from '../panels/SidePanel';
import { nodeSummary } from '../canvas/JourneyNode';
import { editorStore } from '../store/editor';
import { sessionStore } from '../store/session';
import { setDocField } from '../model/commands';
import { specPorts, typesInGroup } from '../model/nodeTypes';
import { diagTarget } from '../model/diagnostics';
import { readAggregateDistribution, readUserBehaviour } from '../model/behaviour';
import {
  featureField,
  parseModelFile,
  pointsToThreshold,
  quadrantRows,
  randomLine,
  readModel,
  readUpliftReport,
  suggestModelId,
  thresholdToPoints,
  withFeatureField,
  type ModelEntry,
} from '../model/uplift';
import { GateCard, UpliftGates, gateCompareOption, qiniOption } from '../views/Uplift';
import { JourneyMeasurement } from '../views/Measurement';
import { UserBehaviourView, UserState } from '../views/UserState';
import { DEFAULT_SETTINGS } from '../model/measurement';
import type { Backend } from '../backend';
import type { Journey, Report, Workspace } from '../model/types';

beforeAll(() => {
  initI18n();
});
beforeEach(async () => {
  await act(async () => setLang('zh'));
  editorStore.getState().newWorkspace();
  const sim = sessionStore.getState().sim;
  sessionStore.setState({ backend: null, diagnostics: [], validatedDoc: null, sim: { ...sim, status: 'idle', result: null, doc: null } });
});
afterEach(() => {
  cleanup();
  charts.clear();
});

const CURVE: [number, number][] = Array.from({ length: 21 }, (_, i) => {
  const x = i / 20;
  return [x, Math.round(600 * Math.sqrt(x) * 100) / 100] as [number, number];
});

/** A trellis.uplift/1 artifact as `trellis uplift train` writes it (shortened). */
const ARTIFACT = {
  format: 'trellis.uplift/1',
  learner: 'two_model',
  treatment: 't',
  outcome: 'visit',
  features: [
    { name: 'recency', kind: 'numeric', mean: 5.76, scale: 3.5 },
    { name: 'zip_code', kind: 'categorical', categories: ['Rural', 'Surburban', 'Urban'] },
  ],
  models: {
    treated: { intercept: -1.75, coefficients: [-0.14, 0.19, -0.06, -0.12] },
    control: { intercept: -2.16, coefficients: [-0.25, 0.35, -0.16, -0.19] },
  },
  training: { rows: 42693, treated: 21387, control: 21306, treated_rate: 0.1514, control_rate: 0.1062, c: 1.0, split: { seed: 0, test_fraction: 0.3, train_rows: 29782, test_rows: 12911 } },
  metrics: { qini: 0.0658, auuc: 0.0309, uplift_at_k: 0.0825, k: 0.3, qini_curve: CURVE },
};

const MODELS: ModelEntry[] = [
  { id: 'hillstrom', name: '邮件增益', features: { recency: 'agg.days_since_order' }, artifact: ARTIFACT },
  { id: 'ct', artifact: { ...ARTIFACT, learner: 'class_transformation', models: { transformed: { intercept: 0, coefficients: [0, 0, 0, 0] } }, metrics: null } },
];

const doc = () => editorStore.getState().doc as Workspace & { models?: ModelEntry[] };
const journey = () => doc().journeys[editorStore.getState().active] as Journey;
const node = (id: string) => journey().nodes.find((n) => n.id === id)!;

function withModels(models: ModelEntry[] = MODELS) {
  editorStore.getState().apply((d) => setDocField(setDocField(d, 'aggregates', [{ id: 'days_since_order', event: 'order_paid', fn: 'last', field: 'ts' }]), 'models', models));
}

function renderForm(id: string) {
  const s = editorStore.getState();
  return render(<NodeForm node={node(id)} journey={s.active} doc={s.doc} diags={[]} />);
}

/** `report.uplift.<journey>.<node>` in the engine's shape (report.rs `GateFigures`). */
const GATE = {
  model: 'hillstrom',
  threshold: 0.02,
  reached: 1000,
  passed: 420,
  unscored: 15,
  predicted_conversions_all: 38.5,
  predicted_conversions_gated: 52.25,
  value_per_conversion: '120.00',
  predicted_revenue_all: '4620.00',
  predicted_revenue_gated: '6270.00',
  cost_gated: '2100.00',
  cost_all: '4925.00',
  predicted_roi_gated: 1.9857,
  predicted_roi_all: -0.062,
  quadrants: { persuadables: 420, sure_things: 310, lost_causes: 180, sleeping_dogs: 75, neutral: 0 },
};

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

describe('readers', () => {
  it('reads a models entry, and bad shapes give nothing rather than a crash', () => {
    const m = readModel(MODELS[0])!;
    expect(m).toMatchObject({ id: 'hillstrom', name: '邮件增益', learner: 'two_model', treatment: 't', outcome: 'visit' });
    expect(m.features.map((f) => f.name)).toEqual(['recency', 'zip_code']);
    expect(m.training).toMatchObject({ rows: 42693, treated: 21387, control: 21306, treated_rate: 0.1514, control_rate: 0.1062 });
    expect(m.training?.split).toEqual({ seed: 0, test_fraction: 0.3, train_rows: 29782, test_rows: 12911 });
    expect(m.metrics).toMatchObject({ qini: 0.0658, auuc: 0.0309, uplift_at_k: 0.0825, k: 0.3 });
    expect(m.metrics?.qini_curve).toHaveLength(21);
    expect(readModel(MODELS[1])!.metrics).toBeNull();

    expect(readModel(null)).toBeNull();
    expect(readModel('x')).toBeNull();
    expect(readModel([1])).toBeNull();
    const bad = readModel({ id: 3, artifact: { features: 'no', training: [], metrics: { qini: 'high', qini_curve: [[0, 0], 'x', [1], [0.5, null], [1, 2]] } } })!;
    expect(bad).toMatchObject({ id: '', learner: null, features: [], training: null });
    expect(bad.metrics).toEqual({ qini: null, auuc: null, uplift_at_k: null, k: null, qini_curve: [[0, 0], [1, 2]] });
    expect(readModel({ id: 'a' })).toMatchObject({ id: 'a', features: [], training: null, metrics: null });
  });

  it('reads the report’s uplift section in the engine’s shape, and tolerates bad ones', () => {
    const gates = readUpliftReport({ ...baseReport, uplift: { welcome: { g_1: GATE } } });
    expect(gates).toHaveLength(1);
    expect(gates[0]).toMatchObject({ journey: 'welcome', node: 'g_1', ...GATE });
    expect(readUpliftReport(baseReport)).toEqual([]);
    expect(readUpliftReport(null)).toEqual([]);
    expect(readUpliftReport({ uplift: 5 })).toEqual([]);
    expect(readUpliftReport({ uplift: { j: null, k: { g: 'x' } } })).toEqual([]);
    const odd = readUpliftReport({ uplift: { j: { g: { model: 7, reached: 'many', predicted_revenue_all: 'n/a', predicted_roi_all: null, quadrants: { persuadables: 1, sure_things: null, lost_causes: null, neutral: 4 } } } } })[0]!;
    expect(odd).toMatchObject({ model: '', reached: 0, predicted_revenue_all: '0', predicted_roi_all: null, threshold: null });
    expect(odd.quadrants).toEqual({ persuadables: 1, sure_things: null, lost_causes: null, sleeping_dogs: 0, neutral: 4 });
    // a learner without outcome probabilities: neutral instead of sure things / lost causes
    expect(quadrantRows(odd.quadrants).map((r) => r.key)).toEqual(['persuadables', 'sleeping_dogs', 'neutral']);
    expect(quadrantRows(GATE.quadrants).map((r) => r.key)).toEqual(['persuadables', 'sure_things', 'lost_causes', 'sleeping_dogs']);
  });

  it('reads the report’s aggregate distribution in the engine’s exact shape', () => {
    const report = {
      ...baseReport,
      aggregates: {
        spend_90d: {
          users: 180,
          missing: 20,
          buckets: [
            { label: '< 100', hi: '100', users: 50 },
            { label: '100–500', lo: '100', hi: '500', users: 0 },
            { label: '≥ 500', lo: '500', users: 130 },
          ],
        },
        channel: { users: 3, missing: 0, buckets: [{ label: 'app', users: 2 }, { label: 'web', users: 1 }] },
      },
    };
    expect(readAggregateDistribution(report, 'spend_90d')).toEqual({
      users: 180,
      missing: 20,
      buckets: [
        { label: '< 100', users: 50 },
        { label: '100–500', users: 0 },
        { label: '≥ 500', users: 130 },
      ],
    });
    expect(readAggregateDistribution(report, 'channel')?.buckets.map((b) => b.label)).toEqual(['app', 'web']);
    expect(readAggregateDistribution(report, 'nope')).toBeNull();
  });

  it('reads a model file: an artifact, a whole entry, or says what is wrong', () => {
    expect(parseModelFile(JSON.stringify(ARTIFACT))).toEqual({ kind: 'artifact', artifact: ARTIFACT });
    expect(parseModelFile(JSON.stringify(MODELS[0]))).toEqual({ kind: 'entry', entry: MODELS[0] });
    expect(parseModelFile('{nope')).toMatchObject({ kind: 'error', reason: 'json' });
    expect(parseModelFile('[1]')).toMatchObject({ kind: 'error', reason: 'shape' });
    expect(parseModelFile('{"a":1}')).toMatchObject({ kind: 'error', reason: 'shape' });
    expect(parseModelFile('{"format":"trellis.uplift/2"}')).toEqual({ kind: 'error', reason: 'format', detail: 'trellis.uplift/2' });
    expect(parseModelFile(JSON.stringify({ id: 'x', artifact: { format: 'other' } }))).toMatchObject({ kind: 'error', reason: 'format' });
    expect(suggestModelId('Hillstrom Model.json', new Set())).toBe('hillstrom_model');
    expect(suggestModelId('m.json', new Set(['m']))).toBe('m_2');
  });

  it('maps features: the default user.<name> is left out of the document', () => {
    const e = MODELS[0]!;
    expect(featureField(e, 'recency')).toBe('agg.days_since_order');
    expect(featureField(e, 'zip_code')).toBe('user.zip_code');
    const next = withFeatureField(e, 'zip_code', 'user.city');
    expect(next.features).toEqual({ recency: 'agg.days_since_order', zip_code: 'user.city' });
    const back = withFeatureField(withFeatureField(next, 'zip_code', 'user.zip_code'), 'recency', 'user.recency');
    expect('features' in back).toBe(false);
    // a new features key goes where the CLI writes it: after id and name, before artifact
    expect(Object.keys(withFeatureField(MODELS[1]!, 'recency', 'agg.x'))).toEqual(['id', 'features', 'artifact']);
  });

  it('converts the threshold to and from percentage points', () => {
    expect(thresholdToPoints(0.02)).toBe(2);
    expect(thresholdToPoints(0.07)).toBe(7);
    expect(thresholdToPoints(-0.005)).toBe(-0.5);
    expect(thresholdToPoints(1)).toBe(100);
    expect(pointsToThreshold(2)).toBe(0.02);
    expect(pointsToThreshold(2.5)).toBe(0.025);
    expect(pointsToThreshold(7)).toBe(0.07);
    expect(pointsToThreshold(-100)).toBe(-1);
    for (const p of [0, 0.1, 1, 3, 12.5, 33, -4]) expect(thresholdToPoints(pointsToThreshold(p))).toBe(p);
  });

  it('draws the random line from (0, 0) to the curve’s last point', () => {
    const r = randomLine(CURVE);
    expect(r[0]).toEqual([0, 0]);
    expect(r[20]).toEqual(CURVE[20]);
    expect(r[10]![1]).toBeCloseTo(CURVE[20]![1] / 2);
    expect(randomLine([])).toEqual([]);
    expect(qiniOption([], i18n.getFixedT('zh'))).toBeNull();
  });
});

describe('the gate.uplift node', () => {
  it('is in the palette’s flow group, with pass/fail ports in words', () => {
    expect(typesInGroup('flow')).toContain('gate.uplift');
    expect(specPorts({ type: 'gate.uplift', params: {} })).toEqual(['pass', 'fail']);
    const zh = i18n.getFixedT('zh');
    const en = i18n.getFixedT('en');
    expect(zh('nodeTypes.gate.uplift')).toBe('增益闸门');
    expect(en('nodeTypes.gate.uplift')).toBe('Uplift gate');
    expect([zh('ports.pass'), zh('ports.fail')]).toEqual(['通过', '不通过']);
    expect(nodeSummary(zh, { id: 'g', type: 'gate.uplift', params: { model: 'hillstrom', threshold: 0.02 } })).toBe('hillstrom · 增益 ≥ 2 个百分点');
    expect(nodeSummary(zh, { id: 'g', type: 'gate.uplift', params: { model: 3, threshold: 'x' } })).toBe('? · 增益 ≥ ? 个百分点');
  });

  it('is created with the first model and a 2-point threshold, params in the CLI’s order', () => {
    withModels();
    const id = editorStore.getState().addNode('gate.uplift', { x: 0, y: 0 });
    expect(node(id).params).toEqual({ model: 'hillstrom', threshold: 0.02 });
    expect(Object.keys(node(id).params)).toEqual(['model', 'threshold']);
  });

  it('picks a model by name, learner and hold-out Qini, and takes the threshold in points (undoable)', () => {
    withModels();
    const id = editorStore.getState().addNode('gate.uplift', { x: 0, y: 0 });
    renderForm(id);
    const pick = screen.getByTestId('param-model') as HTMLSelectElement;
    const options = [...pick.options].map((o) => o.textContent);
    expect(options[0]).toBe('邮件增益 (hillstrom) · 双模型（T-learner） · 留出集 Qini 0.0658');
    expect(options[1]).toBe('ct · 类别转换 · 留出集 Qini —');
    expect(screen.getByTestId('gate-reads').textContent).toContain('recency ← agg.days_since_order');
    expect(screen.getByTestId('gate-reads').textContent).toContain('zip_code ← user.zip_code');
    fireEvent.change(pick, { target: { value: 'ct' } });
    expect(node(id).params.model).toBe('ct');
    const input = screen.getByTestId('param-threshold') as HTMLInputElement;
    expect(input.value).toBe('2');
    fireEvent.change(input, { target: { value: '3.5' } });
    expect(node(id).params.threshold).toBe(0.035);
    editorStore.getState().undo();
    expect(node(id).params.threshold).toBe(0.02);
    editorStore.getState().undo();
    expect(node(id).params.model).toBe('hillstrom');
  });

  it('says how to get a model when the workspace has none, and marks an unknown one', () => {
    const id = editorStore.getState().addNode('gate.uplift', { x: 0, y: 0 });
    expect(node(id).params).toEqual({ model: '', threshold: 0.02 });
    editorStore.getState().apply((d) => ({ ...d, journeys: d.journeys.map((j) => ({ ...j, nodes: j.nodes.map((n) => (n.id === id ? { ...n, params: { model: 'gone', threshold: 2 } } : n)) })) }));
    renderForm(id);
    const empty = screen.getByTestId('gate-no-models');
    expect(empty.textContent).toContain('trellis uplift train');
    expect(screen.getByText('工作区中没有此 ID 的模型。')).toBeTruthy();
    expect(screen.getByText('请输入 -100 到 100 之间的数。')).toBeTruthy();
    fireEvent.click(screen.getByTestId('gate-open-models'));
    expect(editorStore.getState().panel).toBe('models');
  });

  it('sends a /models diagnostic to the models tab', () => {
    expect(diagTarget({ severity: 'error', code: 'E_SCHEMA', path: '/models/0/artifact' }, doc()).area).toBe('models');
  });
});

describe('the models panel', () => {
  it('is a side-panel tab with an empty state naming the CLI', () => {
    render(<SidePanel />);
    fireEvent.click(screen.getByTestId('panel-tab-models'));
    expect(screen.getByTestId('panel-tab-models').textContent).toBe('模型');
    expect(screen.getByTestId('models-empty').textContent).toContain('trellis uplift train');
  });

  it('shows what a model was trained on, its hold-out figures and its Qini curve against random', () => {
    withModels();
    render(<ModelsPanel />);
    const training = screen.getByTestId('model-training-hillstrom');
    expect(training.textContent).toContain('42,693');
    expect(training.textContent).toContain('21,387 / 21,306');
    expect(training.textContent).toContain('15.1%');
    expect(training.textContent).toContain('10.6%');
    expect(screen.getByTestId('model-qini-hillstrom').textContent).toBe('0.0658');
    expect(screen.getByTestId('model-metrics-hillstrom').textContent).toContain('8.3%');
    const option = charts.get('model-qini-chart-hillstrom') as { series: { data: number[][] }[] };
    expect(option.series).toHaveLength(2);
    expect(option.series[0]!.data).toEqual(CURVE);
    expect(option.series[1]!.data[0]).toEqual([0, 0]);
    expect(option.series[1]!.data[20]).toEqual(CURVE[20]);
    // no hold-out: said so
    expect(screen.getByTestId('model-no-metrics-ct')).toBeTruthy();
    expect(screen.getByTestId('model-0').textContent).toContain('尚无闸门使用');
  });

  it('edits where a feature is read from with the field picker, undoably', () => {
    withModels();
    render(<ModelsPanel />);
    const cell = screen.getByTestId('model-feature-0-zip_code');
    const pick = within(cell).getByTestId('cond-field-pick') as HTMLSelectElement;
    expect([...pick.options].some((o) => o.value === 'agg.days_since_order')).toBe(true);
    expect([...pick.options].some((o) => o.value.startsWith('event.'))).toBe(false);
    fireEvent.change(pick, { target: { value: 'user.city' } });
    expect(doc().models?.[0]?.features).toEqual({ recency: 'agg.days_since_order', zip_code: 'user.city' });
    editorStore.getState().undo();
    expect(doc().models?.[0]?.features).toEqual({ recency: 'agg.days_since_order' });
  });

  it('adds an artifact from a file after asking for an id, and removes a model', async () => {
    render(<ModelsPanel />);
    const input = screen.getByTestId('add-model-input') as HTMLInputElement;
    const file = new File([JSON.stringify(ARTIFACT)], 'Hillstrom.json', { type: 'application/json' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    fireEvent.change(input);
    await waitFor(() => expect(screen.getByTestId('add-model-form')).toBeTruthy());
    expect((screen.getByTestId('add-model-id') as HTMLInputElement).value).toBe('hillstrom');
    fireEvent.change(screen.getByTestId('add-model-id'), { target: { value: 'Bad Id' } });
    expect((screen.getByTestId('add-model-confirm') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId('add-model-id'), { target: { value: 'email' } });
    fireEvent.change(screen.getByTestId('add-model-name'), { target: { value: '邮件' } });
    fireEvent.click(screen.getByTestId('add-model-confirm'));
    expect(doc().models).toEqual([{ id: 'email', name: '邮件', artifact: ARTIFACT }]);
    expect(Object.keys(doc()).indexOf('models')).toBeLessThan(Object.keys(doc()).indexOf('journeys'));
    expect(screen.getByTestId('model-0')).toBeTruthy();
    fireEvent.click(screen.getByTestId('model-remove-0'));
    expect('models' in doc()).toBe(false);
    editorStore.getState().undo();
    expect(doc().models).toHaveLength(1);
  });

  it('adds a whole entry as it is, and says why a file is refused', async () => {
    render(<ModelsPanel />);
    const input = screen.getByTestId('add-model-input') as HTMLInputElement;
    const send = (text: string, name: string) => {
      Object.defineProperty(input, 'files', { value: [new File([text], name)], configurable: true });
      fireEvent.change(input);
    };
    send(JSON.stringify(MODELS[0]), 'entry.json');
    await waitFor(() => expect(doc().models).toEqual([MODELS[0]]));
    send('{"format":"trellis.uplift/9"}', 'old.json');
    await waitFor(() => expect(screen.getByTestId('add-model-error').textContent).toContain('trellis.uplift/9'));
    // the same entry again: its id is taken, so it asks for another
    send(JSON.stringify(MODELS[0]), 'entry.json');
    await waitFor(() => expect((screen.getByTestId('add-model-id') as HTMLInputElement).value).toBe('hillstrom_2'));
  });
});

describe('the report’s uplift gates', () => {
  const g = readUpliftReport({ uplift: { welcome: { g_1: GATE } } })[0]!;

  it('labels the figures as the model’s prediction and shows them with and without the gate', () => {
    render(<GateCard g={g} nodeName="高增益用户" />);
    const id = 'uplift-gate-welcome-g_1';
    expect(screen.getByTestId(id).textContent).toContain('增益闸门 高增益用户 (g_1)（模型 hillstrom）');
    expect(screen.getByTestId(`${id}-predicted`).textContent).toBe('模型预测，非实测');
    expect(screen.getByTestId(`${id}-passed`).textContent).toContain('420 / 1,000（42.0%）');
    expect(screen.getByTestId(`${id}-unscored`).textContent).toContain('15');
    expect(screen.getByTestId(`${id}-threshold`).textContent).toContain('≥ 2 个百分点');
    const cells = (k: string) => [...screen.getByTestId(`${id}-${k}`).querySelectorAll('td')].map((td) => td.textContent);
    expect(cells('conversions')).toEqual(['52.3', '38.5']);
    expect(cells('revenue')).toEqual(['¥6,270', '¥4,620']);
    expect(cells('roi')).toEqual(['198.6%', '-6.2%']);
    expect(cells('cost')).toEqual(['¥2,100', '¥4,925']);
    const option = charts.get(`${id}-bars`) as { series: { data: { value: number }[] }[] };
    expect(option.series.map((s) => s.data.map((d) => d.value))).toEqual([
      [52.25, 38.5],
      [6270, 4620],
      [198.57, -6.2],
    ]);
    const q = (k: string) => screen.getByTestId(`${id}-quadrants-${k}`).textContent;
    expect(q('persuadables')).toContain('可说服人群: 420');
    expect(q('sure_things')).toContain('确定转化: 310');
    expect(q('lost_causes')).toContain('无法挽回: 180');
    expect(q('sleeping_dogs')).toContain('勿扰人群: 75');
    expect(screen.queryByTestId(`${id}-quadrants-neutral`)).toBeNull();
  });

  it('shows neutral for a learner without outcome probabilities, in English too', async () => {
    await act(async () => setLang('en'));
    const ct = { ...g, quadrants: { persuadables: 10, sure_things: null, lost_causes: null, sleeping_dogs: 2, neutral: 30 } };
    render(<GateCard g={ct} />);
    const id = 'uplift-gate-welcome-g_1';
    expect(screen.getByTestId(`${id}-predicted`).textContent).toBe('Predicted by the model, not measured');
    expect(screen.getByTestId(`${id}-quadrants-persuadables`).textContent).toContain('Persuadables: 10');
    expect(screen.getByTestId(`${id}-quadrants-sleeping_dogs`).textContent).toContain('Sleeping dogs: 2');
    expect(screen.getByTestId(`${id}-quadrants-neutral`).textContent).toContain('Neutral: 30');
    expect(screen.queryByTestId(`${id}-quadrants-sure_things`)).toBeNull();
    const option = gateCompareOption(ct, i18n.getFixedT('en')) as { xAxis: { data: string[] }[] };
    expect(option.xAxis[0]!.data).toEqual(['With the gate', 'Without the gate']);
  });

  const J: Journey = {
    id: 'welcome',
    nodes: [
      { id: 't', type: 'trigger.event', params: { event: 'register' } },
      { id: 'g_1', type: 'gate.uplift', params: { model: 'hillstrom', threshold: 0.02 }, label: '高增益用户' },
      { id: 'g_2', type: 'gate.uplift', params: { model: 'ct', threshold: 0 } },
    ],
    edges: [],
  };

  it('lists the journey’s gates in the measurement, one without figures said so; an empty state in the sandbox', () => {
    render(<JourneyMeasurement report={{ ...baseReport, uplift: { welcome: { g_1: GATE } } }} journey={J} settings={DEFAULT_SETTINGS} showPlan={false} />);
    expect(screen.getByTestId('uplift-gates').textContent).toContain('增益闸门：模型预测');
    expect(screen.getByTestId('uplift-gate-welcome-g_1')).toBeTruthy();
    expect(screen.getByTestId('uplift-gate-nofigures-g_2').textContent).toContain('本次报告没有此闸门的数字');
    cleanup();
    const plain: Journey = { id: 'other', nodes: [], edges: [] };
    const { container } = render(<UpliftGates report={baseReport} journey={plain} />);
    expect(container.textContent).toBe('');
    render(<UpliftGates report={baseReport} journey={plain} showEmpty />);
    expect(screen.getByTestId('uplift-gates-none').textContent).toBe('此旅程没有增益闸门（gate.uplift）。');
  });
});

describe('the user as the engine sees them', () => {
  const VIEW = {
    user_id: 'u1',
    attrs: { level: 'gold' },
    points: 120,
    journeys: [],
    offers: [],
    recent_sends: [],
    aggregates: { spend_90d: 1234.5, last_order: '2026-03-01T10:00:00Z', orders: 0, never: null },
    segments: ['vip', 'lapsed'],
  };

  it('reads aggregates and segments, and an older engine’s view without them', () => {
    expect(readUserBehaviour(VIEW)).toEqual({
      aggregates: [
        ['last_order', '2026-03-01T10:00:00Z'],
        ['never', null],
        ['orders', 0],
        ['spend_90d', 1234.5],
      ],
      segments: ['vip', 'lapsed'],
      points: 120,
    });
    expect(readUserBehaviour({ user_id: 'u1' })).toEqual({ aggregates: null, segments: null, points: null });
    expect(readUserBehaviour('nonsense')).toEqual({ aggregates: null, segments: null, points: null });
  });

  it('shows each aggregate’s value (missing said so) and the segments as chips named from the document', async () => {
    const ws = { schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [], segments: [{ id: 'vip', name: '高价值用户', when: { field: 'user.level', operator: 'eq', value: 'gold' } }] } as Workspace;
    const getUser = vi.fn(async () => VIEW);
    const backend = { getUser } as unknown as Backend;
    render(<UserState backend={backend} user="u1" doc={ws} />);
    await waitFor(() => expect(screen.getByTestId('user-state')).toBeTruthy(), { timeout: 2000 });
    expect(getUser).toHaveBeenCalledWith('u1');
    expect(screen.getByTestId('user-agg-spend_90d').textContent).toContain('1,234.5');
    expect(screen.getByTestId('user-agg-orders').textContent).toContain('0');
    expect(screen.getByTestId('user-agg-never').textContent).toContain('无值');
    expect(screen.getByTestId('user-seg-vip').textContent).toBe('高价值用户');
    expect(screen.getByTestId('user-seg-lapsed').textContent).toBe('lapsed');
    cleanup();
    render(<UserBehaviourView view={readUserBehaviour({ user_id: 'u2' })} user="u2" />);
    expect(screen.getByTestId('user-state-unavailable')).toBeTruthy();
  });
});
