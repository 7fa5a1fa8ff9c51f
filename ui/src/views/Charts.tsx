// Charts of a simulation (or live) report, drawn with ECharts (tree-shaken core).

import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { Report } from '../model/types';
import { Cards, roiText } from '../common/ui';

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

export function burnOption(report: Report, t: (k: string, o?: Record<string, unknown>) => string): Option | null {
  const campaigns = Object.entries(report.campaigns ?? {});
  if (campaigns.length === 0) return null;
  const days = [...new Set(campaigns.flatMap(([, c]) => Object.keys(c.committed_by_day ?? {})))].sort();
  if (days.length === 0) return null;
  const series = campaigns.flatMap(([id, c]) => {
    let last = 0;
    const data = days.map((d) => {
      const v = c.committed_by_day?.[d];
      if (v !== undefined) last = money(v);
      return last;
    });
    return [
      {
        name: `${id} · ${t('sim.charts.committed')}`,
        type: 'line' as const,
        data,
        smooth: false,
        markLine: {
          symbol: 'none',
          label: { formatter: `${t('sim.charts.cap')} ${c.budget}` },
          data: [{ yAxis: money(c.budget) }],
        },
      },
    ];
  });
  return {
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 50, right: 20, top: 20, bottom: 40 },
    xAxis: { type: 'category', data: days },
    yAxis: { type: 'value', max: (v: { max: number }) => Math.max(v.max, ...campaigns.map(([, c]) => money(c.budget))) * 1.05 },
    series,
  } as Option;
}

export function barOption(data: Record<string, number>, color?: string, label: (k: string) => string = (k) => k): Option | null {
  const entries = Object.entries(data).filter(([, v]) => v > 0);
  if (entries.length === 0) return null;
  return {
    tooltip: {},
    grid: { left: 90, right: 20, top: 10, bottom: 20 },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: entries.map(([k]) => label(k)) },
    series: [{ type: 'bar', data: entries.map(([, v]) => v), ...(color ? { itemStyle: { color } } : {}) }],
  } as Option;
}

export function offersOption(report: Report, t: (k: string) => string): Option | null {
  const offers = Object.entries(report.offers ?? {});
  if (offers.length === 0) return null;
  const reasons = [...new Set(offers.flatMap(([, o]) => Object.keys(o.rejected ?? {})))].sort();
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { bottom: 0 },
    grid: { left: 120, right: 20, top: 10, bottom: 40 },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: offers.map(([id]) => id) },
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
  return {
    tooltip: {},
    grid: { left: 110, right: 30, top: 10, bottom: 20 },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: bars.map((b) => b[0]) },
    series: [{ type: 'bar', data: bars.map((b) => ({ value: b[1], itemStyle: { color: b[2] } })), label: { show: true, position: 'right' } }],
  } as Option;
}

export function ReportCharts({ report }: { report: Report }) {
  const { t } = useTranslation();
  const burn = burnOption(report, t);
  const sent = barOption(report.touches?.sent ?? {}, '#3d63b8');
  const reason = (k: string) => t(`reasons.${k}`, { defaultValue: k });
  const suppressed = barOption({ ...(report.touches?.suppressed ?? {}), ...(report.touches?.deferred ? { deferred: report.touches.deferred } : {}) }, '#d98c00', reason);
  const offers = offersOption(report, t);
  const conversion = conversionOption(report, t);
  const exhausted = Object.entries(report.campaigns ?? {}).filter(([, c]) => c.exhausted_at);
  const none = <div className="muted chart-empty">{t('sim.charts.noData')}</div>;
  return (
    <div className="charts" data-testid="charts">
      <div className="chart-card chart-wide">
        <h4>{t('sim.charts.burn')}</h4>
        {exhausted.map(([id, c]) => (
          <div key={id} className="banner banner-warning">
            {id}: {t('sim.charts.exhausted', { at: c.exhausted_at ?? '' })}
          </div>
        ))}
        {burn ? <EChart option={burn} height={240} testId="chart-burn" /> : none}
      </div>
      <div className="chart-card">
        <h4>{t('sim.charts.touches')}</h4>
        {sent ? <EChart option={sent} testId="chart-touches" /> : none}
      </div>
      <div className="chart-card">
        <h4>{t('sim.charts.suppressed')}</h4>
        {suppressed ? <EChart option={suppressed} testId="chart-suppressed" /> : none}
      </div>
      <div className="chart-card chart-wide">
        <h4>
          {t('sim.charts.conversions')}: {(report.conversions?.attributed ?? 0).toLocaleString()} / {(report.conversions?.count ?? 0).toLocaleString()} · ROI{' '}
          {roiText(t, report.roi)}
        </h4>
        {conversion ? <EChart option={conversion} height={120} testId="chart-conversions" /> : none}
      </div>
      <div className="chart-card chart-wide">
        <h4>{t('sim.charts.offers')}</h4>
        {offers ? <EChart option={offers} height={Math.max(160, Object.keys(report.offers).length * 40 + 60)} testId="chart-offers" /> : none}
      </div>
    </div>
  );
}

export function SummaryCards({ report }: { report: Report }) {
  const { t } = useTranslation();
  const entered = Object.values(report.journeys ?? {}).reduce((a, j) => a + (j.entered ?? 0), 0);
  const cards: [string, string][] = [
    [t('sim.summary.users'), (report.input?.users ?? 0).toLocaleString()],
    [t('sim.summary.events'), (report.input?.events ?? 0).toLocaleString()],
    [t('sim.summary.entered'), entered.toLocaleString()],
    [t('sim.summary.conversions'), `${(report.conversions?.attributed ?? 0).toLocaleString()} / ${(report.conversions?.count ?? 0).toLocaleString()}`],
    [t('sim.summary.revenue'), report.conversions?.attributed_revenue ?? '0'],
    [t('sim.summary.cost'), report.cost ?? '0'],
    [t('sim.summary.roi'), roiText(t, report.roi)],
  ];
  if (report.subsidised_conversions?.redemptions) {
    cards.push([t('sim.summary.subsidised'), `${report.subsidised_conversions.by_prior_converters} / ${report.subsidised_conversions.redemptions}`]);
  }
  return <Cards cards={cards} testId="summary-cards" />;
}
