// The attribution analysis (docs/attribution.md, "In the report") on a report in the engine's
// shape — the figures of the engine's hand-derived test (crates/trellis-engine/tests/it/
// attribution.rs): the model's reading of it, the grouped bars' data, the Markov removal effects,
// the caveat in both languages, and the empty state.

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';

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
import { MODELS, analysisOf, creditTable, removalEffects, stepText, stepsOf } from '../model/attribution';
import type { ModelCredit, PathAnalysis, Report } from '../model/types';
import { AttributionCard } from '../views/Attribution';

beforeAll(() => {
  initI18n();
});
afterEach(() => {
  cleanup();
  charts.clear();
  setLang('en');
});

const same = (channels: ModelCredit['channels']): ModelCredit => ({ channels });

/** Journey j: sms>push, 2 conversions worth 50 and 2 without. */
const journeyJ: PathAnalysis = {
  paths: 4,
  conversions: 2,
  value: '50',
  models: {
    first: same({ push: { conversions: 0, value: '0' }, sms: { conversions: 2, value: '50' } }),
    last: same({ push: { conversions: 2, value: '50' }, sms: { conversions: 0, value: '0' } }),
    linear: same({ push: { conversions: 1, value: '25' }, sms: { conversions: 1, value: '25' } }),
    u_shaped: same({ push: { conversions: 1, value: '25' }, sms: { conversions: 1, value: '25' } }),
    time_decay: same({ push: { conversions: 4 / 3, value: '33.33' }, sms: { conversions: 2 / 3, value: '16.67' } }),
    markov: { channels: { push: { conversions: 1, value: '25' }, sms: { conversions: 1, value: '25' } }, removal_effect: { push: 1, sms: 1 } },
    shapley: same({ push: { conversions: 1, value: '25' }, sms: { conversions: 1, value: '25' } }),
  },
};

/** Across journeys: offer:cash5>sms>push and sms>push. */
const workspace: PathAnalysis = {
  paths: 4,
  conversions: 2,
  value: '50',
  models: {
    ...journeyJ.models,
    first: same({ 'offer:cash5': { conversions: 1, value: '20' }, push: { conversions: 0, value: '0' }, sms: { conversions: 1, value: '30' } }),
    markov: {
      channels: { 'offer:cash5': { conversions: 2 / 9, value: '5.56' }, push: { conversions: 8 / 9, value: '22.22' }, sms: { conversions: 8 / 9, value: '22.22' } },
      removal_effect: { 'offer:cash5': 0.25, push: 1, sms: 1 },
    },
  },
};

const report = (): Report => ({
  journeys: {},
  offers: {},
  campaigns: {},
  touches: { sent: { sms: 4, push: 4 }, suppressed: {}, deferred: 0 },
  conversions: { count: 4, revenue: '100', attributed: 2, attributed_revenue: '50' },
  cost: '5',
  roi: null,
  attribution_analysis: { journeys: { j: journeyJ }, workspace, unattributed: { conversions: 2, value: '50' } },
});

type Bars = { xAxis: { data: string[] }; series: { name: string; data: number[] }[] };

describe('the attribution model', () => {
  it('finds a journey’s table or the workspace’s, and nothing for an untouched journey', () => {
    expect(analysisOf(report(), { kind: 'journey', id: 'j' })).toBe(journeyJ);
    expect(analysisOf(report(), { kind: 'workspace' })).toBe(workspace);
    expect(analysisOf(report(), { kind: 'journey', id: 'k' })).toBeNull();
    const { attribution_analysis: _, ...older } = report();
    expect(analysisOf(older, { kind: 'workspace' })).toBeNull();
  });

  it('orders steps by the models’ credit together, and tables credit per model', () => {
    // push 0+2+1+1+4/3+1+1 = 7⅓ before sms 2+0+1+1+⅔+1+1 = 6⅔.
    expect(stepsOf(journeyJ)).toEqual(['push', 'sms']);
    const table = creditTable(journeyJ, ['sms', 'push'], 'value');
    expect(table[0]).toEqual([50, 0, 25, 25, 16.67, 25, 25]);
    expect(table[1]).toEqual([0, 50, 25, 25, 33.33, 25, 25]);
    // Each model's credits add up to the table's conversions.
    const conv = creditTable(workspace, stepsOf(workspace), 'conversions');
    MODELS.forEach((_, i) => expect(conv.reduce((s, r) => s + r[i]!, 0)).toBeCloseTo(2, 9));
  });

  it('ranks the removal effects and names offers by their names', () => {
    expect(removalEffects(workspace)).toEqual([
      { step: 'push', effect: 1 },
      { step: 'sms', effect: 1 },
      { step: 'offer:cash5', effect: 0.25 },
    ]);
    const t = ((k: string, o?: Record<string, unknown>) => (o ? `${k} ${JSON.stringify(o)}` : k)) as never;
    expect(stepText(t, 'offer:cash5', { cash5: '5 off' })).toBe('attribution.offerStep {"offer":"5 off"}');
    expect(stepText(t, 'offer:cash5')).toBe('attribution.offerStep {"offer":"cash5"}');
  });
});

describe('the attribution card', () => {
  it('draws every model side by side per step, with the caveat and the removal effects', () => {
    render(<AttributionCard report={report()} journey="j" offerNames={{ cash5: '5 off' }} />);
    expect(screen.getByTestId('attribution-caveat').textContent).toMatch(/Attributed — an analysis, not incrementality/);
    const bars = charts.get('attribution-chart') as Bars;
    expect(bars.xAxis.data).toEqual(['App push', 'SMS']);
    expect(bars.series.map((s) => s.name)).toEqual(['First touch', 'Last touch', 'Linear', 'U-shaped', 'Position decay', 'Markov', 'Shapley']);
    expect(bars.series[0]!.data).toEqual([0, 2]);
    expect(bars.series[4]!.data[0]).toBeCloseTo(4 / 3, 5);
    // The workspace across journeys: the offer appears, by its name.
    fireEvent.click(screen.getByTestId('attribution-workspace'));
    const all = charts.get('attribution-chart') as Bars;
    expect(all.xAxis.data).toContain('Offer 5 off');
    const rows = within(screen.getByTestId('attribution-removal')).getAllByRole('row');
    expect(rows.map((r) => r.getAttribute('data-step'))).toEqual(['push', 'sms', 'offer:cash5']);
    expect(rows[2]!.textContent).toContain('25.0%');
    expect(screen.getByTestId('attribution-totals').textContent).toMatch(/2 conversions .* had no touch/);
    // Revenue instead of conversions.
    fireEvent.click(screen.getByTestId('attribution-metric-value'));
    const value = charts.get('attribution-chart') as Bars;
    expect(value.series[5]!.data).toEqual(value.xAxis.data.map((x) => (x === 'Offer 5 off' ? 5.56 : 22.22)));
  });

  it('says so in Chinese, and shows an empty state for a journey that touched nobody', async () => {
    await act(async () => setLang('zh'));
    render(<AttributionCard report={report()} journey="k" />);
    expect(screen.getByTestId('attribution-caveat').textContent).toMatch(/归因结果——一种分析，不是增量/);
    expect(screen.getByTestId('attribution-empty').textContent).toMatch(/本旅程没有触达任何用户/);
    expect(charts.has('attribution-chart')).toBe(false);
  });
});
