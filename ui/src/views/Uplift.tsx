// Uplift models in charts (docs/uplift.md): a model's hold-out Qini curve against random
// targeting, and, for each `gate.uplift` of a report, what its model PREDICTS the journey adds
// with the gate and without it, and who reached it (persuadables, sure things, lost causes,
// sleeping dogs). Every gate figure is a prediction of the model, never a measurement: the cards
// say so in their title and their note.

import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { formatCount, formatMoney, formatPercent, toNumber } from '../model/format';
import { nodesOf } from '../model/commands';
import type { Journey, Report } from '../model/types';
import { quadrantRows, randomLine, readUpliftReport, thresholdToPoints, type GateFigures, type Quadrants } from '../model/uplift';
import { EmptyState, roiText } from '../common/ui';
import { EChart, type Option } from './Charts';

const MODEL = '#3d63b8';
const RANDOM = '#8a94a6';
const WITH = '#2f7d4f';
const WITHOUT = '#8a94a6';

export const QUADRANT_COLORS: Record<keyof Quadrants, string> = {
  persuadables: '#2f7d4f',
  sure_things: '#3d63b8',
  lost_causes: '#8a94a6',
  sleeping_dogs: '#b8603d',
  neutral: '#b8a13d',
};

// ---- the Qini curve ----

/** The model's Qini curve and the random line from (0, 0) to its last point; null without a curve. */
export function qiniOption(curve: [number, number][], t: TFunction): Option | null {
  if (curve.length < 2) return null;
  const random = randomLine(curve);
  const fmt = (v: number) => formatCount(v, { decimals: 1 });
  return {
    tooltip: {
      trigger: 'axis',
      formatter: (ps: { dataIndex: number }[]) => {
        const i = ps[0]?.dataIndex ?? 0;
        const [x, y] = curve[i] ?? [0, 0];
        return [`${t('uplift.models.qiniX')}: ${formatPercent(x)}`, `${t('uplift.models.qiniModel')}: ${fmt(y)}`, `${t('uplift.models.qiniRandom')}: ${fmt(random[i]?.[1] ?? 0)}`].join('<br/>');
      },
    },
    legend: { bottom: 0, data: [t('uplift.models.qiniModel'), t('uplift.models.qiniRandom')] },
    grid: { left: 8, right: 16, top: 24, bottom: 44, containLabel: true },
    xAxis: { type: 'value', min: 0, max: 1, name: t('uplift.models.qiniX'), nameLocation: 'middle', nameGap: 22, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
    yAxis: { type: 'value', name: t('uplift.models.qiniY'), nameTextStyle: { align: 'left' } },
    series: [
      { name: t('uplift.models.qiniModel'), type: 'line', data: curve, showSymbol: false, lineStyle: { color: MODEL, width: 2 }, itemStyle: { color: MODEL }, areaStyle: { color: 'rgba(61,99,184,0.08)' } },
      { name: t('uplift.models.qiniRandom'), type: 'line', data: random, showSymbol: false, lineStyle: { color: RANDOM, type: 'dashed' }, itemStyle: { color: RANDOM } },
    ],
  } as Option;
}

// ---- a gate: with it and without it ----

export interface GateComparison {
  key: 'conversions' | 'revenue' | 'roi';
  withGate: number | null;
  withoutGate: number | null;
  text: (v: number | null) => string;
}

/** The three predicted figures, with the gate and without it, and how each reads. */
export function gateComparisons(g: GateFigures, t: TFunction): GateComparison[] {
  return [
    { key: 'conversions', withGate: g.predicted_conversions_gated, withoutGate: g.predicted_conversions_all, text: (v) => (v === null ? t('common.none') : formatCount(v, { decimals: 1 })) },
    { key: 'revenue', withGate: toNumber(g.predicted_revenue_gated), withoutGate: toNumber(g.predicted_revenue_all), text: (v) => (v === null ? t('common.none') : formatMoney(v)) },
    { key: 'roi', withGate: g.predicted_roi_gated, withoutGate: g.predicted_roi_all, text: (v) => roiText(t, v) },
  ];
}

/** Three small bar charts side by side (one per figure, each in its own unit): with vs without the gate. */
export function gateCompareOption(g: GateFigures, t: TFunction): Option {
  const rows = gateComparisons(g, t);
  const w = 100 / rows.length;
  const cats = [t('uplift.report.withGate'), t('uplift.report.withoutGate')];
  return {
    title: rows.map((r, i) => ({ text: t(`uplift.report.${r.key}`), left: `${i * w + w / 2}%`, top: 0, textAlign: 'center', textStyle: { fontSize: 12, fontWeight: 'normal' } })),
    tooltip: { trigger: 'item' },
    grid: rows.map((_, i) => ({ left: `${i * w + 3}%`, width: `${w - 6}%`, top: 40, bottom: 28, containLabel: false })),
    xAxis: rows.map((_, i) => ({ type: 'category', gridIndex: i, data: cats, axisLabel: { fontSize: 11, interval: 0 } })),
    yAxis: rows.map((r, i) => {
      const vals = [r.withGate ?? 0, r.withoutGate ?? 0];
      const lo = Math.min(0, ...vals);
      const hi = Math.max(0, ...vals);
      return { type: 'value', gridIndex: i, axisLabel: { show: false }, splitLine: { show: false }, min: lo < 0 ? lo * 1.25 : 0, max: hi > 0 ? hi * 1.25 : 1 };
    }),
    series: rows.map((r, i) => ({
      name: t(`uplift.report.${r.key}`),
      type: 'bar',
      xAxisIndex: i,
      yAxisIndex: i,
      barMaxWidth: 36,
      data: [
        { value: r.withGate === null ? '-' : r.key === 'roi' ? r.withGate * 100 : r.withGate, itemStyle: { color: WITH } },
        { value: r.withoutGate === null ? '-' : r.key === 'roi' ? r.withoutGate * 100 : r.withoutGate, itemStyle: { color: WITHOUT } },
      ],
      label: { show: true, position: 'top', fontSize: 11, formatter: (p: { dataIndex: number }) => r.text(p.dataIndex === 0 ? r.withGate : r.withoutGate) },
    })),
  } as Option;
}

/** The quadrants as horizontal bars; `neutral` only where the learner has it. */
export function quadrantsOption(q: Quadrants, t: TFunction): Option {
  const rows = quadrantRows(q).reverse();
  return {
    tooltip: { trigger: 'item' },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', axisLabel: { show: false }, splitLine: { show: false }, max: (v: { max: number }) => Math.max(1, Math.ceil(v.max * 1.3)) },
    yAxis: { type: 'category', data: rows.map((r) => t(`uplift.report.quadrants.${r.key}`)) },
    series: [{ type: 'bar', barMaxWidth: 22, data: rows.map((r) => ({ value: r.value, itemStyle: { color: QUADRANT_COLORS[r.key] } })), label: { show: true, position: 'right', formatter: (p: { value: number }) => formatCount(p.value) } }],
  } as Option;
}

/** The quadrants: a chart and, as text, each group's users, share and meaning. */
export function QuadrantsFigure({ q, testId }: { q: Quadrants; testId: string }) {
  const { t } = useTranslation();
  const rows = quadrantRows(q);
  const total = rows.reduce((a, r) => a + r.value, 0);
  return (
    <div data-testid={testId}>
      <EChart option={quadrantsOption(q, t)} height={rows.length * 30 + 24} testId={`${testId}-chart`} />
      <ul className="quadrant-list">
        {rows.map((r) => (
          <li key={r.key} data-testid={`${testId}-${r.key}`}>
            <span className="swatch" style={{ background: QUADRANT_COLORS[r.key] }} /> <b>{t(`uplift.report.quadrants.${r.key}`)}</b>: {formatCount(r.value)}
            {total > 0 ? <span className="muted"> ({formatPercent(r.value / total)})</span> : null}
            <div className="measure-hint">{t(`uplift.report.quadrantHints.${r.key}`)}</div>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** One gate's card: labelled as the model's prediction; with vs without, passed/reached, unscored, quadrants. */
export function GateCard({ g, nodeName }: { g: GateFigures; nodeName?: string }) {
  const { t } = useTranslation();
  const id = `uplift-gate-${g.journey}-${g.node}`;
  const rows = gateComparisons(g, t);
  return (
    <div
      className="uplift-gate"
      data-testid={id}
      data-reached={g.reached}
      data-passed={g.passed}
      data-conversions-gated={g.predicted_conversions_gated ?? ''}
      data-conversions-all={g.predicted_conversions_all ?? ''}
    >
      <h4>
        {t('uplift.report.title', { node: nodeName ? `${nodeName} (${g.node})` : g.node, model: g.model || '?' })}{' '}
        <span className="badge badge-predicted" data-testid={`${id}-predicted`}>
          {t('uplift.report.predicted')}
        </span>
      </h4>
      <div className="measure-hint">{t('uplift.report.predictedNote')}</div>
      <div className="cards">
        <div className="card" data-testid={`${id}-passed`}>
          <div className="card-label">{t('uplift.report.passed')}</div>
          <div className="card-value">{t('uplift.report.passedOf', { passed: formatCount(g.passed), reached: formatCount(g.reached), pct: g.reached > 0 ? formatPercent(g.passed / g.reached) : t('common.none') })}</div>
        </div>
        <div className="card" title={t('uplift.report.unscoredHint')} data-testid={`${id}-unscored`}>
          <div className="card-label">{t('uplift.report.unscored')}</div>
          <div className="card-value">{formatCount(g.unscored)}</div>
        </div>
        <div className="card" data-testid={`${id}-threshold`}>
          <div className="card-label">{t('uplift.report.threshold')}</div>
          <div className="card-value">{g.threshold === null ? t('common.none') : t('uplift.report.thresholdValue', { pp: thresholdToPoints(g.threshold) })}</div>
        </div>
      </div>
      <EChart option={gateCompareOption(g, t)} height={190} testId={`${id}-bars`} />
      <table className="measure-table" data-testid={`${id}-table`}>
        <thead>
          <tr>
            <th>{t('uplift.report.figure')}</th>
            <th>{t('uplift.report.withGate')}</th>
            <th>{t('uplift.report.withoutGate')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} data-testid={`${id}-${r.key}`}>
              <th>{t(`uplift.report.${r.key}`)}</th>
              <td>{r.text(r.withGate)}</td>
              <td>{r.text(r.withoutGate)}</td>
            </tr>
          ))}
          <tr data-testid={`${id}-cost`}>
            <th>{t('uplift.report.cost')}</th>
            <td>{formatMoney(g.cost_gated)}</td>
            <td>{formatMoney(g.cost_all)}</td>
          </tr>
        </tbody>
      </table>
      <div className="measure-hint">{t('uplift.report.valuePer', { value: formatMoney(g.value_per_conversion) })}</div>
      <h4>{t('uplift.report.quadrantsTitle')}</h4>
      <QuadrantsFigure q={g.quadrants} testId={`${id}-quadrants`} />
    </div>
  );
}

/**
 * The uplift gates of one journey in a report. Nothing when the journey has no gate and the
 * report none for it, unless `showEmpty` (the sandbox): then an empty state says so.
 */
export function UpliftGates(props: { report: Report; journey: Journey; showEmpty?: boolean }) {
  const { t } = useTranslation();
  const { journey } = props;
  const figures = readUpliftReport(props.report).filter((g) => g.journey === journey.id);
  const gateNodes = nodesOf(journey).filter((n) => n.type === 'gate.uplift');
  const withoutFigures = gateNodes.filter((n) => !figures.some((g) => g.node === n.id));
  if (figures.length === 0 && gateNodes.length === 0) {
    return props.showEmpty ? <EmptyState title={t('uplift.report.none')} testId="uplift-gates-none" /> : null;
  }
  const label = (id: string) => {
    const n = gateNodes.find((x) => x.id === id);
    return n && typeof n.label === 'string' && n.label ? n.label : undefined;
  };
  return (
    <section className="uplift-gates" data-testid="uplift-gates">
      <h4>{t('uplift.report.sectionTitle')}</h4>
      {figures.map((g) => (
        <GateCard key={g.node} g={g} nodeName={label(g.node)} />
      ))}
      {withoutFigures.map((n) => (
        <div key={n.id} className="muted" data-testid={`uplift-gate-nofigures-${n.id}`}>
          {t('uplift.report.title', { node: typeof n.label === 'string' && n.label ? `${n.label} (${n.id})` : n.id, model: typeof n.params?.model === 'string' ? n.params.model : '?' })}: {t('uplift.report.noFigures')}
        </div>
      ))}
    </section>
  );
}
