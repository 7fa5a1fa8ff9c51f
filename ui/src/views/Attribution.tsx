// The attribution analysis (docs/attribution.md, "In the report"), on the sandbox and the monitor:
// the credit each model gives each channel or offer on the users' paths, side by side (grouped
// bars), and the Markov removal effects. Always labelled as what it is: attributed credit, an
// analysis and an upper bound, not incrementality.

import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { formatMoney } from '../model/format';
import { MODELS, analysisOf, creditTable, removalEffects, stepText, stepsOf, type Metric, type Scope } from '../model/attribution';
import type { PathAnalysis, Report } from '../model/types';
import { EChart } from './Charts';

type Option = Parameters<typeof EChart>[0]['option'];

const MODEL_COLORS = ['#3d63b8', '#7aa2e3', '#2e9c6a', '#8cc084', '#d98c00', '#b8467a', '#6b5bb5'];

/** Grouped bars: the steps along the axis, one bar per model. */
export function attributionOption(a: PathAnalysis, metric: Metric, t: TFunction, offerNames?: Record<string, string>): Option {
  const steps = stepsOf(a, metric);
  const table = creditTable(a, steps, metric);
  const fmt = (v: number) => (metric === 'value' ? formatMoney(v) : (Math.round(v * 100) / 100).toLocaleString());
  return {
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (v: unknown) => fmt(Number(v)),
    },
    legend: { bottom: 0, data: MODELS.map((m) => t(`attribution.models.${m}`)) },
    grid: { left: 16, right: 24, top: 24, bottom: 48, containLabel: true },
    xAxis: { type: 'category', data: steps.map((s) => stepText(t, s, offerNames)) },
    yAxis: { type: 'value', min: 0, name: t(`attribution.metric.${metric}`) },
    series: MODELS.map((m, i) => ({
      name: t(`attribution.models.${m}`),
      type: 'bar' as const,
      barMaxWidth: 18,
      itemStyle: { color: MODEL_COLORS[i % MODEL_COLORS.length] },
      data: table.map((row) => +(row[i] ?? 0).toFixed(6)),
    })),
  };
}

/** The analysis of one journey (or, by a toggle, of the workspace across journeys). */
export function AttributionCard(props: { report: Report; journey: string; offerNames?: Record<string, string>; testId?: string }) {
  const { t } = useTranslation();
  const [workspace, setWorkspace] = useState(false);
  const [metric, setMetric] = useState<Metric>('conversions');
  const scope: Scope = workspace ? { kind: 'workspace' } : { kind: 'journey', id: props.journey };
  const a = analysisOf(props.report, scope);
  const option = useMemo(() => (a ? attributionOption(a, metric, t, props.offerNames) : null), [a, metric, t, props.offerNames]);
  const unattributed = props.report.attribution_analysis?.unattributed;
  const testId = props.testId ?? 'attribution';
  return (
    <div className="chart-card attribution-card" data-testid={testId}>
      <h3>{t('attribution.title')}</h3>
      <div className="banner banner-info" data-testid={`${testId}-caveat`}>
        {t('attribution.caveat')}
      </div>
      <div className="tabs" role="radiogroup">
        <button type="button" role="radio" aria-checked={!workspace} className={workspace ? 'tab' : 'tab active'} onClick={() => setWorkspace(false)} data-testid={`${testId}-journey`}>
          {t('attribution.scope.journey')}
        </button>
        <button type="button" role="radio" aria-checked={workspace} className={workspace ? 'tab active' : 'tab'} onClick={() => setWorkspace(true)} data-testid={`${testId}-workspace`}>
          {t('attribution.scope.workspace')}
        </button>
        <span className="muted"> · </span>
        {(['conversions', 'value'] as const).map((m) => (
          <button key={m} type="button" role="radio" aria-checked={metric === m} className={metric === m ? 'tab active' : 'tab'} onClick={() => setMetric(m)} data-testid={`${testId}-metric-${m}`}>
            {t(`attribution.metric.${m}`)}
          </button>
        ))}
      </div>
      {a && option ? (
        <>
          <div className="measure-hint" data-testid={`${testId}-totals`}>
            {t('attribution.totals', { paths: a.paths.toLocaleString(), conversions: a.conversions.toLocaleString(), value: formatMoney(a.value) })}
            {workspace && unattributed && unattributed.conversions > 0
              ? ` ${t('attribution.unattributed', { conversions: unattributed.conversions.toLocaleString(), value: formatMoney(unattributed.value) })}`
              : null}
          </div>
          <EChart option={option} height={260} testId={`${testId}-chart`} />
          <h4 title={t('attribution.removal.tooltip')}>{t('attribution.removal.title')}</h4>
          <table className="measure-table" data-testid={`${testId}-removal`}>
            <tbody>
              {removalEffects(a).map(({ step, effect }) => (
                <tr key={step} data-step={step}>
                  <th>{stepText(t, step, props.offerNames)}</th>
                  <td>{(effect * 100).toFixed(1)}%</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        <div className="empty-state" data-testid={`${testId}-empty`}>
          {t(workspace ? 'attribution.empty.workspace' : 'attribution.empty.journey')}
        </div>
      )}
    </div>
  );
}
