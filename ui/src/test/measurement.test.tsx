// The measurement panels (docs/measurement.md) on a fixture report in the contract's shape: what
// the sandbox and the review screens show, in English and Chinese, the "—" of a figure that does
// not exist with its meaning, the SRM warning only on a mismatch, and the charts' data.

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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

import { initI18n, setLang } from '../i18n';
import { BackendError, HttpBackend, type Backend, type ReleaseDetail, type SimProgress } from '../backend';
import { JourneyMeasurement } from '../views/Measurement';
import { ReleaseMeasurement } from '../views/ReleaseMeasurement';
import { ReportCharts, SummaryCards, armRatesOption, cumulativeLiftOption, holdoutPlanOption } from '../views/Charts';
import { DEFAULT_SETTINGS, experimentsOf, normInv, readPlan, settingsOf, wilson } from '../model/measurement';
import { buildSimSummary, readSimSummary } from '../model/simSummary';
import type { Report, Workspace } from '../model/types';
import { ROI_IMPLAUSIBLE, implausible } from '../model/plausibility';
import { baseReport, experiment, measuredReport, welcomeIncremental, welcomeJourney } from './measurement.fixture';

beforeAll(() => {
  initI18n();
});
afterEach(() => {
  cleanup();
  charts.clear();
  setLang('en');
});

const t = (k: string, o?: Record<string, unknown>) => (o ? `${k} ${JSON.stringify(o)}` : k);
const text = (id: string, root: HTMLElement = document.body) => within(root).getByTestId(id).textContent ?? '';

describe('the measurement model', () => {
  it('reads policy.measurement with its defaults', () => {
    const ws: Workspace = { schema: 'trellis/workspace@1', offers: [], journeys: [], policy: { measurement: { alpha: 0.1, mde: 0.05, power: 0.9 } } };
    expect(settingsOf(ws)).toEqual({ alpha: 0.1, mde: 0.05, power: 0.9 });
    expect(settingsOf({ ...ws, policy: { measurement: { alpha: 2 } } })).toEqual(DEFAULT_SETTINGS);
    expect(settingsOf(null)).toEqual(DEFAULT_SETTINGS);
  });

  it('computes the per-arm Wilson interval at 1 − α', () => {
    expect(normInv(0.975)).toBeCloseTo(1.959964, 5);
    expect(normInv(0.95)).toBeCloseTo(1.644854, 5);
    // statsmodels 0.15: proportion_confint(8, 100, alpha=0.05, method="wilson") and (10, 100, alpha=0.1)
    // (scripts/measure_reference.py prints them)
    const ci = wilson(8, 100, 0.05)!;
    expect(ci[0]).toBeCloseTo(0.04109346148438061, 8);
    expect(ci[1]).toBeCloseTo(0.14998107700948735, 8);
    const ci90 = wilson(10, 100, 0.1)!;
    expect(ci90[0]).toBeCloseTo(0.060718667015447224, 8);
    expect(ci90[1]).toBeCloseTo(0.16035550961109227, 8);
    expect(wilson(0, 0, 0.05)).toBeNull();
  });

  it('finds the experiments a journey runs', () => {
    expect(experimentsOf(welcomeJourney())).toEqual(['welcome_copy']);
    expect(experimentsOf({ ...welcomeJourney(), nodes: [] })).toEqual([]);
  });

  it('reads a plan back from free-form JSON, nulls kept', () => {
    const plan = readPlan(JSON.parse(JSON.stringify({ ...welcomeIncremental().plan, holdouts: [{ percent: 5, users: null, days: null }, 'x'] })));
    expect(plan?.break_even_lift).toBe(0.05);
    expect(plan?.holdouts).toEqual([{ percent: 5, users: null, days: null }]);
    expect(readPlan({ break_even_lift: 0.1 })).toBeNull();
  });
});

describe('the charts of the measurement', () => {
  it('plots days of traffic per holdout size, the journey’s own highlighted', () => {
    const plan = welcomeIncremental().plan!;
    const o = holdoutPlanOption(plan, 10, t) as { xAxis: { data: string[] }; series: { data: { value: number; itemStyle: { color: string } }[] }[] };
    expect(o.xAxis.data).toEqual(['5%', '10%', '20%', '50%']);
    expect(o.series[0]!.data.map((d) => d.value)).toEqual([4115.2, 2166.7, 1216.7, 780]);
    expect(o.series[0]!.data[1]!.itemStyle.color).not.toBe(o.series[0]!.data[0]!.itemStyle.color);
    expect(holdoutPlanOption({ ...plan, holdouts: [{ percent: 5, users: null, days: null }] }, null, t)).toBeNull();
  });

  it('plots each arm’s rate with its interval, the control first', () => {
    const o = armRatesOption(experiment(), 0.05, t) as { xAxis: { data: string[] }; series: { data: unknown[] }[] };
    expect(o.xAxis.data[0]).toContain('holdout');
    expect((o.series[0]!.data as { value: number }[]).map((d) => d.value)).toEqual([10, 13.3333, 11.1111]);
    const whisker = o.series[1]!.data[0] as number[];
    const ci = wilson(10, 100, 0.05)!;
    expect(whisker[1]).toBeCloseTo(ci[0] * 100, 3);
    expect(whisker[2]).toBeCloseTo(ci[1] * 100, 3);
  });

  it('plots the cumulative lift with its band, gaps where it cannot be computed', () => {
    const o = cumulativeLiftOption(welcomeIncremental(), 0.05, 0.05, t) as { xAxis: { data: string[] }; yAxis: { min: number; max: number }; series: { id: string; data: unknown[] }[] };
    expect(o.xAxis.data).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    const byId = Object.fromEntries(o.series.map((s) => [s.id, s.data]));
    expect(byId['lift-entered']).toEqual(['-', 10, 25]);
    expect(byId['lo-entered']).toEqual(['-', -50, -20]);
    expect(byId['band-entered']).toEqual(['-', 170, 110]);
    // the axis holds the lines, zero and the later intervals
    expect(o.yAxis.min).toBeLessThanOrEqual(-20);
    expect(o.yAxis.max).toBeGreaterThanOrEqual(90);
    expect(cumulativeLiftOption({ ...welcomeIncremental(), daily: [] }, 0.05, null, t)).toBeNull();
  });
});

describe('the sandbox’s measurement panel', () => {
  const show = (report: Report, journey = welcomeJourney()) => render(<JourneyMeasurement report={report} journey={journey} settings={DEFAULT_SETTINGS} showPlan />);

  it('shows the break-even lift, the holdout plan and the lift with its interval', () => {
    setLang('en');
    show(measuredReport());
    const be = screen.getByTestId('break-even-lift');
    expect(be.textContent).toBe('+5.0%');
    expect(be.getAttribute('data-value')).toBe('0.05');
    expect(screen.getByTestId('holdout-plan').getAttribute('data-rows')).toBe('4');
    expect(text('holdout-plan-row-5')).toContain('123,456');
    expect(text('holdout-plan-row-5')).toContain('4,115');
    expect(text('holdout-plan-row-10')).toContain('(this journey’s)');
    expect(text('holdout-plan')).toContain('detect the break-even lift (+5.0%) with 80% power at α = 0.05');
    const journey = screen.getByTestId('journey-arms');
    expect(text('lift-ci', journey)).toContain('+25.0% (95% CI −20.0% to +90.0%)');
    expect(text('diff-ci', journey)).toContain('+2.00 pp (95% CI −3.00 pp to +7.00 pp)');
    expect(text('p-value', journey)).toContain('0.500');
    expect(text('power', journey)).toContain('10%');
    expect(text('users-needed', journey)).toContain('12,000');
    expect(text('users-needed', journey)).toContain('detect a 10% lift with 80% power');
    expect(text('incremental-roi', journey)).toContain('+200.0% (95% CI −300.0% to +700.0%)');
    expect(within(journey).getByTestId('verdict').getAttribute('data-verdict')).toBe('unclear');
    expect(text('arm-held_out', journey)).toContain('8.0% [');
    // no mismatch: the check is stated, the warning is not there
    expect(screen.queryByTestId('srm-warning')).toBeNull();
    expect(text('srm-ok', journey)).toContain('p = 0.750');
    // the charts got their data
    expect(charts.has('holdout-plan-chart')).toBe(true);
    expect(charts.has('cumulative-lift')).toBe(true);
    expect(charts.has('arm-rates-chart')).toBe(true);
  });

  it('warns of a sample ratio mismatch only when there is one', () => {
    const r = measuredReport();
    r.incremental!.welcome!.srm = { expected: { entered: 0.9, held_out: 0.1 }, chi2: 40.2, p_value: 0.00001, mismatch: true };
    show(r);
    const warnings = screen.getAllByTestId('srm-warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.textContent).toContain('Sample ratio mismatch (SRM)');
    expect(warnings[0]!.textContent).toContain('χ² = 40.20, p < 0.001');
    expect(warnings[0]!.textContent).toContain('Entered (treated) 90.0% / 90.0%');
  });

  it('shows a figure that does not exist as “—” with its meaning', () => {
    const r = measuredReport();
    const m = r.incremental!.welcome!;
    m.plan = { ...m.plan!, break_even_lift: null, holdouts: [{ percent: 5, users: null, days: null }] };
    m.vs_control.entered!.conversion = { ...m.vs_control.entered!.conversion, lift: null, ci_lift: null, p_value: null, users_needed: null };
    m.vs_control.entered!.incremental_roi = null;
    show(r);
    const be = screen.getByTestId('break-even-lift');
    expect(be.textContent).toBe('— (cannot be computed: the treated users had no revenue in the window)');
    expect(be.getAttribute('data-value')).toBe('');
    expect(text('holdout-plan-row-5')).toBe('5%——');
    expect(text('holdout-plan')).toContain('—: cannot be planned');
    const journey = screen.getByTestId('journey-arms');
    expect(text('lift-ci', journey)).toContain('— (the control converted nobody: no relative lift)');
    expect(text('p-value', journey)).toContain('— (nobody, or everybody, converted: no test)');
    expect(text('users-needed', journey)).toContain('— (the control’s rate is 0 or 100%');
    expect(text('incremental-roi', journey)).toContain('— (the arm cost nothing: no ROI)');
  });

  it('says when there is no control group, and when the engine does not measure', () => {
    const r = measuredReport();
    r.incremental!.welcome!.arms.held_out = { ...r.incremental!.welcome!.arms.held_out!, users: 0, converters: 0 };
    r.incremental!.welcome!.vs_control = {};
    r.experiments = {};
    show(r);
    const journey = screen.getByTestId('journey-arms');
    expect(text('no-control', journey)).toContain('No control group in this run: add a holdout');
    expect(text('no-control', screen.getByTestId('experiment-welcome_copy'))).toContain('Nobody in this experiment’s control arm');
    // the plan is still there: it needs no control group
    expect(screen.getByTestId('break-even-lift').textContent).toBe('+5.0%');
    cleanup();
    show(baseReport());
    expect(text('measurement-unavailable')).toContain('no “incremental” section');
  });

  it('shows an experiment’s arms with Holm-adjusted p-values', () => {
    show(measuredReport());
    const x = screen.getByTestId('experiment-welcome_copy');
    expect(x.textContent).toContain('Experiment welcome_copy');
    const [a, b] = within(x).getAllByTestId('comparison');
    expect(a!.getAttribute('data-arm')).toBe('a');
    expect(text('p-value-holm', a!)).toContain('Holm-adjusted across 2 arms: 0.040');
    expect(text('users-needed', a!)).toContain('0: enough users already');
    expect(within(a!).getByTestId('verdict').getAttribute('data-verdict')).toBe('better');
    expect(text('incremental-roi', b!)).toContain('the arm cost nothing');
    expect(text('cumulative-lift-empty', x)).toContain('No day has a lift yet');
  });

  it('speaks Chinese', () => {
    setLang('zh');
    const r = measuredReport();
    r.incremental!.welcome!.srm!.mismatch = true;
    show(r);
    expect(text('measurement-plan')).toContain('盈亏平衡提升');
    expect(text('holdout-plan')).toContain('对照组规划');
    expect(text('holdout-plan-row-10')).toContain('本旅程当前设置');
    const journey = screen.getByTestId('journey-arms');
    expect(text('lift-ci', journey)).toContain('+25.0% (95% 置信区间 −20.0% 至 +90.0%)');
    expect(text('srm-warning', journey)).toContain('样本比例失衡（SRM）');
    expect(text('power', journey)).toContain('统计功效');
    expect(journey.textContent).toContain('留出组');
  });
});

describe('attributed ROI', () => {
  it('is labelled an upper bound, in both languages', () => {
    setLang('en');
    render(<SummaryCards report={measuredReport()} />);
    expect(text('roi-upper-bound')).toContain('Attributed ROI: upper bound: includes conversions that would have happened anyway');
    expect(screen.getByTestId('roi-value').getAttribute('title')).toContain('A replay of history cannot show lift');
    cleanup();
    setLang('zh');
    render(<SummaryCards report={measuredReport()} />);
    expect(text('roi-upper-bound')).toContain('上限：包含本来就会发生的转化');
  });
});

describe('an implausible figure says so', () => {
  /** The cart journey on 20,000 users as the issue saw it: ROI 277011.6%. */
  const cart = (): Report => ({
    ...baseReport(),
    input: { users: 20000, events: 300000, skipped_lines: 0 },
    journeys: { cart_recovery: { entered: 451, skipped: {}, exited: {}, nodes: {} } },
    conversions: { count: 21000, revenue: '3000000', attributed: 1200, attributed_revenue: '1385558' },
    cost: '500',
    roi: 2770.116,
  });

  it('finds the figures that cannot be what they seem, and only those', () => {
    const figures = { roi: 2770.116, attributedRevenue: '1385558', cost: '500', attributed: 1200, conversions: 21000, entered: 451, users: 20000 };
    expect(implausible(figures)).toEqual([
      { figure: 'roi', roi: 2770.116, perYuan: 2771.116 },
      { figure: 'attributed', attributed: 1200, entered: 451 },
      { figure: 'conversions', conversions: 21000, users: 20000 },
    ]);
    // at the threshold, below it, nothing spent, nobody entered: nothing to say
    expect(implausible({ ...figures, roi: ROI_IMPLAUSIBLE, attributed: 451, conversions: 20000 })).toEqual([]);
    expect(implausible({ ...figures, roi: 0.8, attributed: 40, conversions: 300 })).toEqual([]);
    expect(implausible({ ...figures, roi: null, attributed: 0, entered: 0, conversions: 0 })).toEqual([]);
    // a cost that does not read: the ROI is still implausible, without the ratio
    expect(implausible({ ...figures, cost: 'x', attributed: 0, conversions: 0 })).toEqual([{ figure: 'roi', roi: 2770.116, perYuan: null }]);
  });

  it('the sandbox cards warn beside the ROI and the conversions, in Chinese and English', () => {
    setLang('zh');
    render(<SummaryCards report={cart()} />);
    // the figure, its label and the upper-bound note are as before
    expect(text('roi-value')).toBe('277011.6%');
    expect(text('roi-upper-bound')).toContain('上限：包含本来就会发生的转化');
    const roiCard = screen.getByTestId('card-roi');
    expect(roiCard.className).toContain('card-warn');
    const roi = text('implausible-roi', roiCard);
    expect(roi).toContain('不可信：归因 ROI 277011.6%');
    expect(roi).toContain('每花 ¥1 带来 ¥2,771.12 收入');
    expect(roi).toContain('本来就会发生');
    expect(roi).toContain('docs/measurement.md');
    const conv = screen.getByTestId('card-conversions');
    expect(conv.className).toContain('card-warn');
    expect(text('implausible-attributed', conv)).toContain('归因转化 1,200 次，多于进入旅程的 451 人次');
    expect(text('implausible-conversions', conv)).toContain('转化 21,000 次，多于样本中的 20,000 位用户');
    cleanup();
    setLang('en');
    render(<SummaryCards report={cart()} />);
    expect(text('roi-upper-bound')).toContain('upper bound: includes conversions that would have happened anyway');
    expect(text('implausible-roi')).toContain('Implausible: an attributed ROI of 277011.6% means ¥2,771.12 of revenue for every ¥1 spent');
    expect(text('implausible-roi')).toContain('would have happened anyway');
    expect(text('implausible-attributed')).toContain('1,200 attributed conversions, more than the 451 journey entries');
  });

  it('a plausible report has no warning; the charts warn beside the ROI too', () => {
    setLang('en');
    const fine: Report = { ...baseReport(), roi: 0.6, cost: '5625', conversions: { count: 98, revenue: '9640.00', attributed: 90, attributed_revenue: '9000.00' } };
    render(<SummaryCards report={fine} />);
    expect(screen.queryByTestId('implausible-roi')).toBeNull();
    expect(screen.queryByTestId('implausible-attributed')).toBeNull();
    expect(screen.getByTestId('card-roi').className).not.toContain('card-warn');
    expect(text('roi-value')).toBe('60.0%');
    cleanup();
    render(<ReportCharts report={cart()} />);
    expect(text('implausible-roi', screen.getByTestId('charts'))).toContain('Implausible');
  });
});

// ---- the review screen ----

const workspace = (): Workspace => ({ schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [welcomeJourney()] });

const release = (summary: unknown): ReleaseDetail => ({
  workspace: workspace(),
  diagnostics: [],
  summary,
  reviews: [],
  deployments: [],
  note: '',
  release: 'r1',
  version: 2,
  status: 'pending_review',
  author: 'ann',
  created_at: '2026-11-01T00:00:00Z',
  journeys: ['welcome'],
});

function fakeBackend(over: Partial<Backend>): Backend {
  const notUsed = () => Promise.reject(new Error('not used'));
  return {
    kind: 'http',
    target: 'fake',
    health: async () => true,
    validate: async () => [],
    simulate: notUsed,
    listReleases: notUsed,
    getRelease: notUsed,
    submitRelease: notUsed,
    approveRelease: notUsed,
    rejectRelease: notUsed,
    deployRelease: notUsed,
    rollbackJourney: notUsed,
    listJourneys: notUsed,
    decisions: notUsed,
    journeyStats: notUsed,
    experimentStats: notUsed,
    getUser: notUsed,
    ...over,
  };
}

describe('the approver’s measurement', () => {
  it('travels with the release in its simulation summary', () => {
    const s = buildSimSummary(measuredReport(), { users: 1000, days: 7, seed: 3 }, 0);
    expect(s.measurement?.welcome?.plan.break_even_lift).toBe(0.05);
    const v = readSimSummary(JSON.parse(JSON.stringify(s)));
    expect(v?.plans?.welcome?.holdouts).toHaveLength(4);
    // an older engine's report has no section: the summary says nothing rather than an empty plan
    expect(buildSimSummary(baseReport(), { users: 1, days: 1, seed: 1 }, 0).measurement).toBeUndefined();
    expect(readSimSummary(buildSimSummary(baseReport(), { users: 1, days: 1, seed: 1 }, 0))?.plans).toBeNull();
  });

  it('shows the break-even lift and holdout plan the release carries', () => {
    setLang('en');
    const s = buildSimSummary(measuredReport(), { users: 1000, days: 7, seed: 3 }, 0);
    render(<ReleaseMeasurement backend={fakeBackend({})} release={release(JSON.parse(JSON.stringify(s)))} before={undefined} live={[]} />);
    expect(screen.getByTestId('release-measurement').getAttribute('data-source')).toBe('summary');
    const j = screen.getByTestId('journey-measurement');
    expect(j.getAttribute('data-journey')).toBe('welcome');
    expect(text('break-even-lift', j)).toBe('+5.0%');
    expect(text('holdout-plan-row-50', j)).toContain('23,400');
    expect(screen.queryByTestId('release-measure-run')).toBeNull();
  });

  it('runs the sandbox simulation when the release carries no plan, with progress', async () => {
    setLang('en');
    let finish: (() => void) | null = null;
    const calls: { users: number; days: number; seed: number }[] = [];
    const backend = fakeBackend({
      simulate: (req, opts = {}) =>
        new Promise((resolve) => {
          calls.push({ users: req.users, days: req.days, seed: req.seed });
          opts.onProgress?.({ phase: 'simulate', done: 50, total: 200 } as SimProgress);
          finish = () => resolve({ report: measuredReport(), log: [] });
        }),
    });
    const old = { schema: 'trellis/sim-summary@1', data: { source: 'generated', users: 500, days: 5, seed: 9 } };
    render(<ReleaseMeasurement backend={backend} release={release(old)} before={undefined} live={[]} />);
    expect(text('release-measure-missing')).toContain('no measurement plan');
    await act(async () => fireEvent.click(screen.getByTestId('release-measure-run')));
    expect(calls).toEqual([{ users: 500, days: 5, seed: 9 }]);
    expect(text('release-measure-progress')).toContain('50 / 200');
    await act(async () => finish?.());
    expect(screen.getByTestId('release-measurement').getAttribute('data-source')).toBe('local');
    expect(text('break-even-lift')).toBe('+5.0%');
    expect(text('release-measurement')).toContain('500 users × 5 days, seed 9');
  });

  it('shows a live journey’s measured lift and its experiments', async () => {
    setLang('en');
    const asked: string[] = [];
    const backend = fakeBackend({
      journeyStats: async (id) => {
        asked.push(`stats:${id}`);
        return { ...baseReport(), incremental: { welcome: welcomeIncremental() } };
      },
      experimentStats: async (id) => {
        asked.push(`experiment:${id}`);
        return { experiment: id, ...experiment() };
      },
    });
    const live = [{ id: 'welcome', version: 1, release: 'r0', rollout_percent: 100, mode: 'live' as const, deployed_at: '', previous_version: null, last_action: 'deploy' }];
    render(<ReleaseMeasurement backend={backend} release={release(null)} before={workspace()} live={live} />);
    await waitFor(() => expect(screen.getByTestId('live-measurement')).toBeTruthy());
    expect(asked).toEqual(['stats:welcome', 'experiment:welcome_copy']);
    const m = screen.getByTestId('live-measurement');
    expect(text('lift-ci', within(m).getByTestId('journey-arms'))).toContain('+25.0% (95% CI −20.0% to +90.0%)');
    expect(within(m).getByTestId('experiment-welcome_copy').textContent).toContain('Holm-adjusted');
    // the plan is the sandbox's business: not repeated from live stats
    expect(within(m).queryByTestId('break-even-lift')).toBeNull();
  });

  it('says an experiment nobody was assigned to yet has no control, and shows other errors', async () => {
    setLang('en');
    const backend = fakeBackend({
      journeyStats: async () => ({ ...baseReport(), incremental: {} }),
      experimentStats: async () => {
        throw new BackendError('E_NOT_FOUND', 'no such experiment');
      },
    });
    const live = [{ id: 'welcome', version: 1, release: 'r0', rollout_percent: 100, mode: 'live' as const, deployed_at: '', previous_version: null, last_action: 'deploy' }];
    render(<ReleaseMeasurement backend={backend} release={release(null)} before={workspace()} live={live} />);
    await waitFor(() => expect(screen.getByTestId('live-measurement')).toBeTruthy());
    const m = screen.getByTestId('live-measurement');
    expect(text('measurement-none', m)).toContain('nobody was assigned');
    expect(text('no-control', within(m).getByTestId('experiment-welcome_copy'))).toContain('control arm');
    expect(screen.queryByTestId('error-banner')).toBeNull();
  });

  it('asks the service for an experiment at GET /v1/experiments/{id}', async () => {
    const urls: string[] = [];
    const f = (async (url: string) => {
      urls.push(url);
      return new Response(JSON.stringify({ experiment: 'x y', ...experiment() }), { headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    const got = await new HttpBackend({ baseUrl: 'http://h/', token: '' }, f).experimentStats('x y');
    expect(urls).toEqual(['http://h/v1/experiments/x%20y']);
    expect(got.control).toBe('holdout');
  });
});
