// Charts of a simulation (or live) report, drawn with ECharts (tree-shaken core).

import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { Report } from '../model/types';
import { Cards, formatTime, roiText, type CardSpec } from '../common/ui';
import { formatCount, formatMoney } from '../model/format';
import { channelText, reasonText } from '../model/vocab';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

type Option = Parameters<echarts.ECharts['setOption']>[0];

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
          {t('figures.conversions')}: {formatCount(report.conversions?.attributed ?? 0)} / {formatCount(report.conversions?.count ?? 0)} <span className="muted">({t('figures.conversionsSub')})</span> · ROI{' '}
          {roiText(t, report.roi)}
        </h4>
        {conversion ? <EChart option={conversion} height={120} testId="chart-conversions" /> : none}
      </div>
      <div className="chart-card chart-wide chart-offers">
        <h4>{t('sim.charts.offers')}</h4>
        {offers ? <EChart option={offers} height={Math.max(160, Object.keys(report.offers).length * 40 + 60)} testId="chart-offers" /> : none}
      </div>
    </div>
  );
}

export function SummaryCards({ report }: { report: Report }) {
  const { t } = useTranslation();
  const entered = Object.values(report.journeys ?? {}).reduce((a, j) => a + (j.entered ?? 0), 0);
  const n = (v: number | undefined) => formatCount(v ?? 0);
  const attributed = report.conversions?.attributed ?? 0;
  const count = report.conversions?.count ?? 0;
  const cards: CardSpec[] = [
    [t('figures.users'), n(report.input?.users), { hint: t('figures.usersHint'), testId: 'card-users' }],
    [t('figures.events'), n(report.input?.events), { hint: t('figures.eventsHint'), testId: 'card-events' }],
    [t('figures.entered'), n(entered), { hint: t('figures.enteredHint'), testId: 'card-entered' }],
    [
      t('figures.conversions'),
      `${n(attributed)} / ${n(count)}`,
      { hint: t('figures.conversionsHint', { attributed: n(attributed), count: n(count), rest: n(count - attributed) }), sub: t('figures.conversionsSub'), testId: 'card-conversions' },
    ],
    [t('figures.revenue'), formatMoney(report.conversions?.attributed_revenue), { hint: t('figures.revenueHint'), testId: 'card-revenue' }],
    [t('figures.cost'), formatMoney(report.cost), { hint: t('figures.costHint'), testId: 'card-cost' }],
    [t('sim.summary.roi'), roiText(t, report.roi)],
  ];
  if (report.subsidised_conversions?.redemptions) {
    const sc = report.subsidised_conversions;
    cards.push([
      t('sim.summary.subsidised'),
      `${n(sc.by_prior_converters)} / ${n(sc.redemptions)}`,
      { hint: t('figures.subsidisedHint', { prior: n(sc.by_prior_converters), all: n(sc.redemptions), cost: formatMoney(sc.cost_to_prior_converters) }), sub: t('figures.subsidisedSub'), testId: 'card-subsidised' },
    ]);
  }
  return <Cards cards={cards} testId="summary-cards" />;
}
