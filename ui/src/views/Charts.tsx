// Charts of a simulation (or live) report, drawn with ECharts (tree-shaken core).

import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import * as echarts from 'echarts/core';
import { BarChart, CustomChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { ArmsMeasurement, MeasurementPlan, Report } from '../model/types';
import { Cards, formatTime, roiText, type CardSpec } from '../common/ui';
import { armOrder, days as fmtDays, int, levelOf, pct, signedPct, wilson } from '../model/measurement';
import { formatCount, formatMoney } from '../model/format';
import { channelText, reasonText } from '../model/vocab';
import { implausible, type Figures, type Implausible } from '../model/plausibility';

echarts.use([BarChart, CustomChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

export type Option = Parameters<echarts.ECharts['setOption']>[0];

export function EChart(props: { option: Option; height?: number; testId?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current);
    chart.current = c;
    const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => c.resize()) : null;
    ro?.observe(el.current);
    return () => {
      ro?.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(props.option, true);
  }, [props.option]);
  return <div ref={el} className="chart" style={{ height: props.height ?? 220 }} data-testid={props.testId} />;
}

const money = (s: string | undefined) => Number(s ?? 0);

/** The share of a budget committed, in % (0 when there is no budget). */
export const budgetPct = (committed: number, budget: number) => (budget > 0 ? (committed / budget) * 100 : 0);

/**
 * The axis maximum of the budget chart, in % used: room above the highest line, and the cap
 * (100%) on the chart once spending comes near it — a 0.3% burn is not drawn flat against 100%.
 */
export function burnAxisMax(maxPct: number): number {
  if (maxPct >= 60) return Math.max(105, Math.ceil((maxPct * 1.05) / 5) * 5);
  const steps = [1, 2, 5, 10, 20, 25, 50, 60, 80];
  return steps.find((s) => s >= maxPct * 1.2) ?? 80;
}

export function burnOption(report: Report, t: (k: string, o?: Record<string, unknown>) => string): Option | null {
  const campaigns = Object.entries(report.campaigns ?? {});
  if (campaigns.length === 0) return null;
  const days = [...new Set(campaigns.flatMap(([, c]) => Object.keys(c.committed_by_day ?? {})))].sort();
  if (days.length === 0) return null;
  let maxPct = 0;
  const series = campaigns.flatMap(([id, c]) => {
    let last = 0;
    const budget = money(c.budget);
    const data = days.map((d) => {
      const v = c.committed_by_day?.[d];
      if (v !== undefined) last = money(v);
      const pct = budgetPct(last, budget);
      maxPct = Math.max(maxPct, pct);
      return { value: Math.round(pct * 100) / 100, committed: last };
    });
    return [
      {
        name: campaigns.length > 1 ? `${id}` : t('sim.charts.committed'),
        type: 'line' as const,
        data,
        smooth: false,
        markLine: {
          symbol: 'none',
          label: { formatter: `${t('sim.charts.cap')} ${formatMoney(c.budget)}`, position: 'insideEndTop' },
          lineStyle: { color: '#d64545', type: 'dashed' },
          data: [{ yAxis: 100 }],
        },
      },
    ];
  });
  const max = burnAxisMax(maxPct);
  return {
    tooltip: {
      trigger: 'axis',
      valueFormatter: (v: unknown) => `${formatCount(Number(v), { decimals: 2 })}%`,
    },
    legend: { type: 'scroll', bottom: 0 },
    grid: { left: 10, right: 24, top: 24, bottom: 36, containLabel: true },
    xAxis: { type: 'category', data: days },
    yAxis: { type: 'value', max, axisLabel: { formatter: '{value}%' } },
    series,
  } as Option;
}

export function barOption(data: Record<string, number>, color?: string, label: (k: string) => string = (k) => k): Option | null {
  const entries = Object.entries(data).filter(([, v]) => v > 0);
  if (entries.length === 0) return null;
  return {
    tooltip: {},
    grid: { left: 10, right: 20, top: 10, bottom: 20, containLabel: true },
    xAxis: { type: 'value', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'category', data: entries.map(([k]) => label(k)) },
    series: [{ type: 'bar', data: entries.map(([, v]) => v), ...(color ? { itemStyle: { color } } : {}) }],
  } as Option;
}

export function offersOption(report: Report, t: (k: string) => string, names: Record<string, string> = {}): Option | null {
  const offers = Object.entries(report.offers ?? {});
  if (offers.length === 0) return null;
  const reasons = [...new Set(offers.flatMap(([, o]) => Object.keys(o.rejected ?? {})))].sort();
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { type: 'scroll', bottom: 0 },
    grid: { left: 10, right: 20, top: 10, bottom: 36, containLabel: true },
    xAxis: { type: 'value', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'category', data: offers.map(([id]) => names[id] || id) },
    series: [
      { name: t('sim.charts.issued'), type: 'bar', stack: 'o', data: offers.map(([, o]) => o.issued), itemStyle: { color: '#2f7d4f' } },
      ...reasons.map((r) => ({ name: t(`reasons.${r}`) === `reasons.${r}` ? r : t(`reasons.${r}`), type: 'bar', stack: 'o', data: offers.map(([, o]) => o.rejected?.[r] ?? 0) })),
    ],
  } as Option;
}

export function conversionOption(report: Report, t: (k: string) => string): Option | null {
  const c = report.conversions;
  if (!c) return null;
  const bars: [string, number, string][] = [
    [t('sim.summary.revenue'), money(c.attributed_revenue), '#2f7d4f'],
    [t('sim.summary.cost'), money(report.cost), '#d64545'],
  ];
  const top = Math.max(...bars.map((b) => b[1]));
  return {
    tooltip: { valueFormatter: (v: unknown) => formatMoney(Number(v)) },
    // The labels sit right of the bars: the axis runs past the longest bar so none is cut off.
    // Each bar carries its amount; the value axis has no labels of its own (they ran together
    // in a narrow card), and runs far enough past the longest bar for its label.
    grid: { left: 10, right: 16, top: 10, bottom: 10, containLabel: true },
    xAxis: { type: 'value', max: top > 0 ? Math.ceil(top * 1.9) : 1, axisLabel: { show: false }, splitLine: { show: false } },
    yAxis: { type: 'category', data: bars.map((b) => b[0]) },
    series: [{ type: 'bar', data: bars.map((b) => ({ value: b[1], itemStyle: { color: b[2] } })), label: { show: true, position: 'right', formatter: (p: { value: number }) => formatMoney(p.value) } }],
  } as Option;
}

export function ReportCharts({ report, offerNames }: { report: Report; offerNames?: Record<string, string> }) {
  const { t } = useTranslation();
  const burn = burnOption(report, t);
  const sent = barOption(report.touches?.sent ?? {}, '#3d63b8', (k) => channelText(t, k));
  const reason = (k: string) => reasonText(t, k);
  const suppressed = barOption({ ...(report.touches?.suppressed ?? {}), ...(report.touches?.deferred ? { deferred: report.touches.deferred } : {}) }, '#d98c00', reason);
  const offers = offersOption(report, t, offerNames);
  const conversion = conversionOption(report, t);
  const exhausted = Object.entries(report.campaigns ?? {}).filter(([, c]) => c.exhausted_at);
  const none = <div className="muted chart-empty">{t('sim.charts.noData')}</div>;
  return (
    <div className="charts" data-testid="charts">
      <div className="chart-card chart-wide chart-burn">
        <h4>{t('sim.charts.burn')}</h4>
        {Object.entries(report.campaigns ?? {}).map(([id, c]) => (
          <div key={id} className="muted" data-testid={`burn-${id}`}>
            {id}: {t('figures.spentOfBudget', { spent: formatMoney(c.spent), budget: formatMoney(c.budget), pct: `${formatCount(budgetPct(money(c.spent), money(c.budget)), { decimals: 1 })}%` })}
          </div>
        ))}
        {exhausted.map(([id, c]) => (
          <div key={id} className="banner banner-warning">
            {id}: {t('sim.charts.exhausted', { at: formatTime(c.exhausted_at) })}
          </div>
        ))}
        {burn ? <EChart option={burn} height={200} testId="chart-burn" /> : none}
      </div>
      <div className="chart-card chart-touches">
        <h4>{t('sim.charts.touches')}</h4>
        {sent ? <EChart option={sent} testId="chart-touches" /> : none}
      </div>
      <div className="chart-card chart-suppressed">
        <h4>{t('sim.charts.suppressed')}</h4>
        {suppressed ? <EChart option={suppressed} testId="chart-suppressed" /> : none}
      </div>
      <div className="chart-card chart-wide chart-conv">
        <h4>
          {t('figures.conversions')}: {formatCount(report.conversions?.attributed ?? 0)} / {formatCount(report.conversions?.count ?? 0)} <span className="muted">({t('figures.conversionsSub')})</span> ·{' '}
          <span title={t('measure.roi.tooltip')}>
            {t('measure.roi.label')} {roiText(t, report.roi)}
          </span>
        </h4>
        <RoiNote />
        <ImplausibleNotes items={implausible(reportFigures(report))} which={['roi', 'attributed']} />
        {conversion ? <EChart option={conversion} height={120} testId="chart-conversions" /> : none}
      </div>
      <div className="chart-card chart-wide chart-offers">
        <h4>{t('sim.charts.offers')}</h4>
        {offers ? <EChart option={offers} height={Math.max(160, Object.keys(report.offers).length * 40 + 60)} testId="chart-offers" /> : none}
      </div>
    </div>
  );
}

/** The figures of a report the plausibility checks read. */
export function reportFigures(report: Report): Figures {
  return {
    roi: report.roi,
    attributedRevenue: report.conversions?.attributed_revenue,
    cost: report.cost,
    attributed: report.conversions?.attributed ?? 0,
    conversions: report.conversions?.count ?? 0,
    entered: Object.values(report.journeys ?? {}).reduce((a, j) => a + (j.entered ?? 0), 0),
    users: report.input?.users ?? 0,
  };
}

/** Why a figure is implausible, in words, beside it (docs/measurement.md). */
export function ImplausibleNote({ item }: { item: Implausible }) {
  const { t } = useTranslation();
  const text =
    item.figure === 'roi'
      ? t(item.perYuan === null ? 'implausible.roiNoRatio' : 'implausible.roi', { roi: roiText(t, item.roi), one: formatMoney(1), per: formatMoney(item.perYuan ?? 0) })
      : item.figure === 'attributed'
        ? t('implausible.attributed', { attributed: formatCount(item.attributed), entered: formatCount(item.entered) })
        : t('implausible.conversions', { conversions: formatCount(item.conversions), users: formatCount(item.users) });
  return (
    <div className="implausible warn-text" role="note" data-testid={`implausible-${item.figure}`}>
      ⚠ {text}
    </div>
  );
}

/** The implausible figures among `which`, each with its note (nothing when all are plausible). */
export function ImplausibleNotes({ items, which }: { items: Implausible[]; which: Implausible['figure'][] }) {
  const shown = items.filter((i) => which.includes(i.figure));
  if (!shown.length) return null;
  return (
    <>
      {shown.map((i) => (
        <ImplausibleNote key={i.figure} item={i} />
      ))}
    </>
  );
}

export function SummaryCards({ report }: { report: Report }) {
  const { t } = useTranslation();
  const entered = Object.values(report.journeys ?? {}).reduce((a, j) => a + (j.entered ?? 0), 0);
  const n = (v: number | undefined) => formatCount(v ?? 0);
  const attributed = report.conversions?.attributed ?? 0;
  const count = report.conversions?.count ?? 0;
  const odd = implausible(reportFigures(report));
  const has = (...f: Implausible['figure'][]) => odd.some((i) => f.includes(i.figure));
  const cards: CardSpec[] = [
    [t('figures.users'), n(report.input?.users), { hint: t('figures.usersHint'), testId: 'card-users' }],
    [t('figures.events'), n(report.input?.events), { hint: t('figures.eventsHint'), testId: 'card-events' }],
    [t('figures.entered'), n(entered), { hint: t('figures.enteredHint'), testId: 'card-entered' }],
    [
      t('figures.conversions'),
      `${n(attributed)} / ${n(count)}`,
      {
        hint: t('figures.conversionsHint', { attributed: n(attributed), count: n(count), rest: n(count - attributed) }),
        sub: (
          <>
            {t('figures.conversionsSub')}
            <ImplausibleNotes items={odd} which={['attributed', 'conversions']} />
          </>
        ),
        testId: 'card-conversions',
        warn: has('attributed', 'conversions'),
      },
    ],
    [t('figures.revenue'), formatMoney(report.conversions?.attributed_revenue), { hint: t('figures.revenueHint'), testId: 'card-revenue' }],
    [t('figures.cost'), formatMoney(report.cost), { hint: t('figures.costHint'), testId: 'card-cost' }],
    [
      t('measure.roi.label'),
      <span data-testid="roi-value" title={t('measure.roi.tooltip')}>{roiText(t, report.roi)}</span>,
      { hint: t('measure.roi.tooltip'), testId: 'card-roi', sub: <ImplausibleNotes items={odd} which={['roi']} />, warn: has('roi') },
    ],
  ];
  if (report.subsidised_conversions?.redemptions) {
    const sc = report.subsidised_conversions;
    cards.push([
      t('sim.summary.subsidised'),
      `${n(sc.by_prior_converters)} / ${n(sc.redemptions)}`,
      { hint: t('figures.subsidisedHint', { prior: n(sc.by_prior_converters), all: n(sc.redemptions), cost: formatMoney(sc.cost_to_prior_converters) }), sub: t('figures.subsidisedSub'), testId: 'card-subsidised' },
    ]);
  }
  return (
    <>
      <Cards cards={cards} testId="summary-cards" />
      <RoiNote />
    </>
  );
}

/** What attributed ROI is, wherever it is shown: an upper bound (docs/measurement.md). */
export function RoiNote() {
  const { t } = useTranslation();
  return (
    <div className="muted roi-note" title={t('measure.roi.tooltip')} data-testid="roi-upper-bound">
      ⓘ {t('measure.roi.label')}: {t('measure.roi.upperBound')}
    </div>
  );
}

// ---- measurement (docs/measurement.md) ----

/** A round axis step (1, 2 or 5 × 10ⁿ) at least `x`. */
function niceStep(x: number): number {
  const e = 10 ** Math.floor(Math.log10(Math.max(x, 1e-9)));
  const f = x / e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

type T = (k: string, o?: Record<string, unknown>) => string;

const ACCENT = '#3d63b8';
const CONTROL = '#8a94a6';
const ARM_COLORS = ['#2f7d4f', '#3d63b8', '#b8603d', '#7a3db8', '#b8a13d', '#3da7b8'];

/** An arm's name for people: the journey's and experiments' arms have words, variants keep theirs. */
export function armLabel(t: T, arm: string): string {
  return t(`measure.arms.${arm}`, { defaultValue: arm });
}

/**
 * The holdout plan: days of traffic a holdout of each size needs to detect the break-even lift
 * (bars), the journey's own holdout highlighted. Null when no size can be planned.
 */
export function holdoutPlanOption(plan: MeasurementPlan, own: number | null, t: T): Option | null {
  const rows = plan.holdouts ?? [];
  if (!rows.some((r) => r.days !== null)) return null;
  return {
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps: { dataIndex: number }[]) => {
        const r = rows[ps[0]?.dataIndex ?? 0];
        if (!r) return '';
        return [
          t('measure.plan.holdoutOf', { pct: r.percent }),
          `${t('measure.plan.days')}: ${r.days === null ? t('common.none') : fmtDays(r.days)}`,
          `${t('measure.plan.users')}: ${r.users === null ? t('common.none') : int(r.users)}`,
        ].join('<br/>');
      },
    },
    grid: { left: 16, right: 24, top: 30, bottom: 28, containLabel: true },
    xAxis: { type: 'category', name: t('measure.plan.axisHoldout'), nameLocation: 'middle', nameGap: 28, data: rows.map((r) => `${r.percent}%`) },
    yAxis: { type: 'value', name: t('measure.plan.axisDays'), nameTextStyle: { align: 'left' }, min: 0 },
    series: [
      {
        type: 'bar',
        barMaxWidth: 48,
        data: rows.map((r) => ({ value: r.days ?? '-', itemStyle: { color: own !== null && r.percent === own ? '#d98c00' : ACCENT } })),
        label: { show: true, position: 'top', formatter: (p: { dataIndex: number }) => { const d = rows[p.dataIndex]?.days; return d === null || d === undefined ? t('common.none') : t('measure.plan.daysShort', { days: fmtDays(d) }); } },
      },
    ],
  } as Option;
}

/**
 * Conversion rate per arm (bars) with its 1 − alpha Wilson interval (whiskers), the control
 * first and in grey. Null when no arm has users.
 */
export function armRatesOption(m: ArmsMeasurement, alpha: number, t: T): Option | null {
  const arms = armOrder(m).filter((a) => (m.arms[a]?.users ?? 0) > 0);
  if (arms.length === 0) return null;
  const rates = arms.map((a) => { const s = m.arms[a]!; return s.converters / s.users; });
  const cis = arms.map((a) => { const s = m.arms[a]!; return wilson(s.converters, s.users, alpha); });
  const top = Math.max(...cis.map((c) => c?.[1] ?? 0), ...rates) * 100;
  const ci = t('measure.ciLabel', { level: levelOf(alpha) });
  return {
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps: { dataIndex: number }[]) => {
        const i = ps[0]?.dataIndex ?? 0;
        const a = arms[i]!;
        const s = m.arms[a]!;
        const c = cis[i];
        return [
          `<b>${armLabel(t, a)}</b>${a === m.control ? ` (${t('measure.control')})` : ''}`,
          `${t('measure.rate')}: ${pct(rates[i]!)} (${int(s.converters)} / ${int(s.users)})`,
          c ? `${ci}: ${pct(c[0])} – ${pct(c[1])}` : '',
        ].join('<br/>');
      },
    },
    legend: { bottom: 0, data: [t('measure.rate'), ci] },
    grid: { left: 16, right: 24, top: 24, bottom: 32, containLabel: true },
    xAxis: { type: 'category', data: arms.map((a) => (a === m.control ? `${armLabel(t, a)}\n(${t('measure.control')})` : armLabel(t, a))) },
    yAxis: { type: 'value', min: 0, max: Math.max(0.5, Math.ceil(top * 1.15 * 2) / 2), axisLabel: { formatter: '{value}%' } },
    series: [
      {
        name: t('measure.rate'),
        type: 'bar',
        barMaxWidth: 56,
        itemStyle: { color: ARM_COLORS[0] },
        data: rates.map((r, i) => ({ value: +(r * 100).toFixed(4), itemStyle: { color: arms[i] === m.control ? CONTROL : ARM_COLORS[(i - 1 + ARM_COLORS.length) % ARM_COLORS.length] } })),
        label: { show: true, position: 'insideBottom', color: '#fff', formatter: (p: { dataIndex: number }) => pct(rates[p.dataIndex] ?? 0) },
      },
      {
        name: ci,
        type: 'custom',
        itemStyle: { color: '#222' },
        renderItem: (_params: unknown, api: { value: (i: number) => number; coord: (v: number[]) => number[]; size: (v: number[]) => number[] }) => {
          const x = api.value(0);
          const lo = api.coord([x, api.value(1)]);
          const hi = api.coord([x, api.value(2)]);
          const w = (api.size([1, 0])[0] ?? 40) * 0.12;
          const style = { stroke: '#222', lineWidth: 1.5 };
          const [lx = 0, ly = 0] = lo;
          const [hx = 0, hy = 0] = hi;
          return {
            type: 'group',
            children: [
              { type: 'line', shape: { x1: lx, y1: ly, x2: hx, y2: hy }, style },
              { type: 'line', shape: { x1: lx - w, y1: ly, x2: lx + w, y2: ly }, style },
              { type: 'line', shape: { x1: hx - w, y1: hy, x2: hx + w, y2: hy }, style },
            ],
          };
        },
        encode: { x: 0, y: [1, 2] },
        data: cis.map((c, i) => (c ? [i, +(c[0] * 100).toFixed(4), +(c[1] * 100).toFixed(4)] : [i, '-', '-'])),
        z: 10,
      },
    ],
  } as Option;
}

/**
 * Cumulative lift over time: for each compared arm its relative lift in conversion by the end of
 * each day, with its interval as a band; zero (no effect) and, for a journey, the break-even
 * lift as lines. Null while no day has a lift.
 */
export function cumulativeLiftOption(m: ArmsMeasurement, alpha: number, breakEven: number | null, t: T): Option | null {
  const daily = m.daily ?? [];
  const arms = armOrder(m).filter((a) => a !== m.control && daily.some((d) => typeof d.vs_control?.[a]?.lift === 'number'));
  if (arms.length === 0) return null;
  const x = daily.map((d) => d.day);
  const ci = t('measure.ciLabel', { level: levelOf(alpha) });
  const v = (n: number) => +(n * 100).toFixed(4);
  // The axis fits the lift lines and the later intervals: the first days' intervals are very
  // wide and would flatten everything (the tooltip still gives them in full).
  const lifts: number[] = [];
  const late: number[] = [];
  arms.forEach((a) =>
    daily.forEach((d, i) => {
      const c = d.vs_control?.[a];
      if (typeof c?.lift === 'number') lifts.push(c.lift * 100);
      if (c?.ci_lift && i >= Math.floor(daily.length / 2)) late.push(c.ci_lift[0] * 100, c.ci_lift[1] * 100);
    }),
  );
  if (breakEven !== null) lifts.push(breakEven * 100);
  const hiData = Math.max(0, ...lifts, ...late);
  const loData = Math.min(0, ...lifts, ...late);
  const span = Math.max(1, hiData - loData);
  const step = niceStep((span * 1.2) / 5);
  const yMax = Math.ceil((hiData + span * 0.1) / step) * step;
  const yMin = Math.max(-100, Math.floor((loData - span * 0.1) / step) * step);
  const series = arms.flatMap((a, k) => {
    const color = ARM_COLORS[k % ARM_COLORS.length]!;
    const stack = `ci-${a}`;
    const band = daily.map((d) => d.vs_control?.[a]?.ci_lift ?? null);
    const name = arms.length > 1 ? `${armLabel(t, a)} · ` : '';
    return [
      { id: `lo-${a}`, name: `${name}${ci}`, type: 'line', stack, stackStrategy: 'all', symbol: 'none', lineStyle: { opacity: 0 }, itemStyle: { color }, data: band.map((b) => (b ? v(b[0]) : '-')), silent: true },
      { id: `band-${a}`, name: `${name}${ci}`, type: 'line', stack, stackStrategy: 'all', symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color, opacity: 0.18 }, itemStyle: { color }, data: band.map((b) => (b ? v(b[1] - b[0]) : '-')), silent: true },
      {
        id: `lift-${a}`,
        name: `${name}${t('measure.liftLine')}`,
        type: 'line',
        symbolSize: 5,
        itemStyle: { color },
        lineStyle: { width: 2 },
        data: daily.map((d) => { const l = d.vs_control?.[a]?.lift; return typeof l === 'number' ? v(l) : '-'; }),
        ...(k === 0
          ? {
              markLine: {
                symbol: 'none',
                silent: true,
                data: [
                  { yAxis: 0, lineStyle: { color: '#666', type: 'solid' }, label: { formatter: t('measure.noEffect'), position: 'insideStartTop' } },
                  ...(breakEven !== null ? [{ yAxis: v(breakEven), lineStyle: { color: '#d98c00', type: 'dashed' }, label: { formatter: `${t('measure.breakEven.title')} ${signedPct(breakEven)}`, position: 'insideEndTop' } }] : []),
                ],
              },
            }
          : {}),
      },
    ];
  });
  return {
    tooltip: {
      trigger: 'axis',
      formatter: (ps: { dataIndex: number }[]) => {
        const i = ps[0]?.dataIndex ?? 0;
        const d = daily[i];
        if (!d) return '';
        return [
          `<b>${d.day}</b>`,
          ...arms.map((a) => {
            const c = d.vs_control?.[a];
            const lift = typeof c?.lift === 'number' ? signedPct(c.lift) : t('common.none');
            const band = c?.ci_lift ? `${signedPct(c.ci_lift[0])} – ${signedPct(c.ci_lift[1])}` : t('common.none');
            const users = Object.entries(d.arms ?? {}).map(([n, s]) => `${armLabel(t, n)} ${int(s.converters)}/${int(s.users)}`).join(', ');
            return `${armLabel(t, a)}: ${t('measure.liftLine')} ${lift} (${ci} ${band})<br/><span style="color:#888">${users}</span>`;
          }),
        ].join('<br/>');
      },
    },
    legend: { bottom: 0, data: arms.flatMap((a) => { const name = arms.length > 1 ? `${armLabel(t, a)} · ` : ''; return [`${name}${t('measure.liftLine')}`, `${name}${ci}`]; }) },
    grid: { left: 16, right: 24, top: 24, bottom: 36, containLabel: true },
    xAxis: { type: 'category', data: x, boundaryGap: false },
    yAxis: { type: 'value', min: yMin, max: yMax, interval: step, axisLabel: { formatter: '{value}%' } },
    series,
  } as Option;
}
