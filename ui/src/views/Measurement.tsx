// What a journey adds (docs/measurement.md), on the sandbox and the review screens: before launch
// the break-even lift and the holdout plan (all a replay of history can say), and wherever a
// control group exists, the arms against it — rates with intervals, lift, p-value, power, users
// still needed, the sample-ratio check and the cumulative lift over time.
//
// Every figure says what it is; a lift comes with its interval; a figure that does not exist is
// "—" with the reason beside it. The stable data-testids are read by the end-to-end test.

import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatMoney } from '../model/format';
import type { ArmComparison, ArmsMeasurement, Interval, Journey, MeasurementPlan, Report } from '../model/types';
import {
  armOrder,
  days as fmtDays,
  experimentsOf,
  hasControl,
  int,
  journeyHoldout,
  levelOf,
  pIs,
  pValue,
  pct,
  pp,
  signedNum,
  signedPct,
  wilson,
  type MeasurementSettings,
} from '../model/measurement';
import { UpliftGates } from './Uplift';
import { EChart, armLabel, armRatesOption, cumulativeLiftOption, holdoutPlanOption } from './Charts';

/** A figure that may not exist: the value, or "—" with what its absence means. */
function Fig(props: { value: ReactNode | null; none: string; testId?: string }) {
  const { t } = useTranslation();
  if (props.value !== null) return <span data-testid={props.testId}>{props.value}</span>;
  return (
    <span data-testid={props.testId} data-none="true" title={props.none}>
      {t('common.none')} <span className="muted">({props.none})</span>
    </span>
  );
}

/** One row of a figures table: what it is, the figure, and a hint of how to read it. */
function Row(props: { label: ReactNode; children: ReactNode; hint?: ReactNode; testId?: string }) {
  return (
    <tr data-testid={props.testId}>
      <th>{props.label}</th>
      <td>
        {props.children}
        {props.hint ? <div className="measure-hint">{props.hint}</div> : null}
      </td>
    </tr>
  );
}

/** The banner of the sandbox: a replay cannot show lift. */
export function ReplayNote() {
  const { t } = useTranslation();
  return (
    <div className="banner banner-info" data-testid="replay-note">
      {t('measure.replayNote')}
    </div>
  );
}

// ---- before launch: break-even lift and the holdout plan ----

export function BreakEven({ plan }: { plan: MeasurementPlan }) {
  const { t } = useTranslation();
  const be = plan.break_even_lift;
  return (
    <div className="chart-card measure-be">
      <h4 title={t('measure.breakEven.tooltip')}>{t('measure.breakEven.title')}</h4>
      <div className="measure-big" data-testid="break-even-lift" data-value={be ?? ''}>
        <Fig value={be === null ? null : signedPct(be)} none={t('measure.breakEven.none')} />
      </div>
      <div className="measure-hint">{t('measure.breakEven.meaning')}</div>
      <table className="measure-table">
        <tbody>
          <Row label={t('measure.plan.treated')}>{int(plan.treated_users)}</Row>
          <Row label={t('measure.plan.baseline')}>
            <Fig value={plan.baseline_rate === null ? null : pct(plan.baseline_rate)} none={t('measure.none.noUsers')} />
          </Row>
          <Row label={t('measure.plan.revenue')}>{formatMoney(plan.revenue)}</Row>
          <Row label={t('measure.plan.cost')}>{formatMoney(plan.cost)}</Row>
          <Row label={t('measure.plan.perDay')}>
            <Fig value={plan.users_per_day === null ? null : plan.users_per_day.toLocaleString(undefined, { maximumFractionDigits: 1 })} none={t('measure.none.noUsers')} />
          </Row>
        </tbody>
      </table>
    </div>
  );
}

export function HoldoutPlan({ plan, own, settings }: { plan: MeasurementPlan; own: number | null; settings: MeasurementSettings }) {
  const { t } = useTranslation();
  const option = holdoutPlanOption(plan, own, t);
  const rows = plan.holdouts ?? [];
  const target = plan.break_even_lift === null ? t('common.none') : signedPct(plan.break_even_lift);
  return (
    <div className="chart-card measure-plan" data-testid="holdout-plan" data-rows={rows.length}>
      <h4 title={t('measure.plan.tooltip')}>{t('measure.plan.title')}</h4>
      <div className="measure-hint">
        {t('measure.plan.meaning', { lift: target, power: pct(settings.power, 0), alpha: settings.alpha })}
      </div>
      {option ? <EChart option={option} height={230} testId="holdout-plan-chart" /> : null}
      {rows.length === 0 ? (
        <div className="muted">{t('measure.plan.noRows')}</div>
      ) : (
        <table className="measure-table measure-cols">
          <thead>
            <tr>
              <th>{t('measure.plan.holdout')}</th>
              <th>{t('measure.plan.users')}</th>
              <th>{t('measure.plan.days')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.percent} data-testid={`holdout-plan-row-${r.percent}`} data-users={r.users ?? ''} data-days={r.days ?? ''} className={own !== null && r.percent === own ? 'measure-own' : ''}>
                <td>
                  {r.percent}%{own !== null && r.percent === own ? ` (${t('measure.plan.own')})` : ''}
                </td>
                <td>{r.users === null ? t('common.none') : int(r.users)}</td>
                <td>{r.days === null ? t('common.none') : fmtDays(r.days)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rows.some((r) => r.users === null || r.days === null) ? <div className="measure-hint">{t('common.none')}: {t('measure.none.unplannable')}</div> : null}
    </div>
  );
}

/** Break-even lift and holdout plan side by side. */
export function PlanPanel({ plan, own, settings }: { plan: MeasurementPlan; own: number | null; settings: MeasurementSettings }) {
  return (
    <div className="measure-grid" data-testid="measurement-plan">
      <BreakEven plan={plan} />
      <HoldoutPlan plan={plan} own={own} settings={settings} />
    </div>
  );
}

// ---- against a control group ----

function ciText(t: (k: string, o?: Record<string, unknown>) => string, level: string, ci: Interval | null | undefined, f: (x: number) => string): string {
  return ci ? `${t('measure.ciLabel', { level })} ${f(ci[0])} ${t('measure.to')} ${f(ci[1])}` : `${t('measure.ciLabel', { level })} ${t('common.none')}`;
}

function SrmCheck({ m }: { m: ArmsMeasurement }) {
  const { t } = useTranslation();
  const srm = m.srm;
  if (!srm) return null;
  const observed = armOrder(m).map((a) => {
    const total = Object.values(m.arms).reduce((s, x) => s + x.users, 0);
    const share = total > 0 ? (m.arms[a]?.users ?? 0) / total : 0;
    return `${armLabel(t, a)} ${pct(share)} / ${pct(srm.expected?.[a] ?? 0)}`;
  });
  if (srm.mismatch) {
    return (
      <div className="banner banner-error" role="alert" data-testid="srm-warning">
        <b>{t('measure.srm.warningTitle')}</b> {t('measure.srm.warning', { chi2: srm.chi2.toFixed(2), p: pIs(srm.p_value) })}
        <div>{t('measure.srm.observed')}: {observed.join(' · ')}</div>
      </div>
    );
  }
  return (
    <div className="muted" data-testid="srm-ok" title={observed.join(' · ')}>
      {t('measure.srm.ok', { chi2: srm.chi2.toFixed(2), p: pIs(srm.p_value) })}
    </div>
  );
}

function ArmsTable({ m, alpha }: { m: ArmsMeasurement; alpha: number }) {
  const { t } = useTranslation();
  const level = levelOf(alpha);
  const none = t('common.none');
  const num = (x: number | null) => (x === null ? none : x.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  return (
    <table className="measure-table measure-cols" data-testid="arm-table">
      <thead>
        <tr>
          <th>{t('measure.arm')}</th>
          <th>{t('measure.users')}</th>
          <th>{t('measure.converters')}</th>
          <th>{t('measure.rateWithCi', { level })}</th>
          <th>{t('measure.revenuePerUser')}</th>
          <th>{t('measure.costPerUser')}</th>
          <th>{t('measure.netPerUser')}</th>
        </tr>
      </thead>
      <tbody>
        {armOrder(m).map((a) => {
          const s = m.arms[a]!;
          const ci = wilson(s.converters, s.users, alpha);
          return (
            <tr key={a} data-testid={`arm-${a}`} data-users={s.users}>
              <td>
                {armLabel(t, a)}
                {a === m.control ? <span className="badge">{t('measure.control')}</span> : null}
              </td>
              <td>{int(s.users)}</td>
              <td>{int(s.converters)}</td>
              <td>{s.conversion_rate === null ? none : `${pct(s.conversion_rate)} [${ci ? `${pct(ci[0])} – ${pct(ci[1])}` : none}]`}</td>
              <td>{num(s.revenue_per_user)}</td>
              <td>{num(s.cost_per_user)}</td>
              <td>{num(s.net_revenue_per_user)}</td>
            </tr>
          );
        })}
      </tbody>
      <tfoot>
        <tr>
          <td colSpan={7} className="measure-hint">
            {t('measure.armsFoot', { level, window: m.window || '—' })}
          </td>
        </tr>
      </tfoot>
    </table>
  );
}

function Verdict({ c, level }: { c: ArmComparison['conversion']; level: string }) {
  const { t } = useTranslation();
  const [lo, hi] = c.ci_diff ?? [Number.NaN, Number.NaN];
  const key = lo > 0 ? 'better' : hi < 0 ? 'worse' : 'unclear';
  return (
    <div className={`measure-verdict verdict-${key}`} data-testid="verdict" data-verdict={key}>
      {t(`measure.verdict.${key}`, { level })}
    </div>
  );
}

function Comparison({ m, arm, settings, kind, compared }: { m: ArmsMeasurement; arm: string; settings: MeasurementSettings; kind: 'journey' | 'experiment'; compared: number }) {
  const { t } = useTranslation();
  const v = m.vs_control[arm]!;
  const c = v.conversion;
  const level = levelOf(settings.alpha);
  const money = (x: number) => signedNum(x, 2);
  const roi = v.incremental_roi ?? null;
  return (
    <div className="measure-comparison" data-testid="comparison" data-arm={arm}>
      <h5>
        {t('measure.vsControl', { arm: armLabel(t, arm), control: armLabel(t, m.control) })}
      </h5>
      <Verdict c={c} level={level} />
      <table className="measure-table">
        <tbody>
          <Row label={t('measure.lift')} hint={t('measure.liftHint')} testId="lift-ci">
            <span data-lift={c.lift ?? ''} data-lo={c.ci_lift?.[0] ?? ''} data-hi={c.ci_lift?.[1] ?? ''}>
              <Fig value={c.lift === null ? null : `${signedPct(c.lift)} (${ciText(t, level, c.ci_lift, (x) => signedPct(x))})`} none={t('measure.none.lift')} />
            </span>
          </Row>
          <Row label={t('measure.diff')} testId="diff-ci">
            {`${pp(c.diff)} (${ciText(t, level, c.ci_diff, pp)})`}
          </Row>
          <Row label={t('measure.pValue')} hint={t('measure.pValueHint')} testId="p-value">
            <Fig value={c.p_value === null ? null : pValue(c.p_value)} none={t('measure.none.pValue')} />
            {kind === 'experiment' && compared > 1 && c.p_value_holm !== null ? (
              <span data-testid="p-value-holm"> · {t('measure.holm', { p: pValue(c.p_value_holm), arms: compared })}</span>
            ) : null}
          </Row>
          <Row label={t('measure.power')} hint={t('measure.powerHint')} testId="power">
            <Fig value={c.power === null ? null : pct(c.power, 0)} none={t('measure.none.power')} />
          </Row>
          <Row label={t('measure.usersNeeded')} hint={t('measure.usersNeededHint', { mde: pct(settings.mde, 0), power: pct(settings.power, 0), alpha: settings.alpha })} testId="users-needed">
            <span data-value={c.users_needed ?? ''}>
              <Fig value={c.users_needed === null ? null : c.users_needed === 0 ? t('measure.enough') : int(c.users_needed)} none={t('measure.none.usersNeeded')} />
            </span>
          </Row>
          {v.incremental_conversions ? (
            <Row label={t('measure.incConversions')} testId="incremental-conversions">
              <Fig value={v.incremental_conversions.value === null ? null : `${signedNum(v.incremental_conversions.value, 1)} (${ciText(t, level, v.incremental_conversions.ci, (x) => signedNum(x, 1))})`} none={t('measure.none.generic')} />
            </Row>
          ) : null}
          {v.incremental_revenue ? (
            <Row label={t('measure.incRevenue')} testId="incremental-revenue">
              <Fig value={v.incremental_revenue.value === null ? null : `${money(v.incremental_revenue.value)} (${ciText(t, level, v.incremental_revenue.ci, money)})`} none={t('measure.none.generic')} />
            </Row>
          ) : null}
          <Row label={t('measure.incRoi')} hint={t('measure.incRoiHint')} testId="incremental-roi">
            <Fig value={roi?.value === null || roi?.value === undefined ? null : `${signedPct(roi.value)} (${ciText(t, level, roi.ci, (x) => signedPct(x))})`} none={t('measure.none.roi')} />
          </Row>
        </tbody>
      </table>
    </div>
  );
}

/**
 * A journey's or an experiment's arms against the control: the SRM check, the rates chart and
 * table, each arm's comparison and the cumulative lift. Or what is missing and how to get it.
 */
export function ArmsPanel(props: { m: ArmsMeasurement | null | undefined; settings: MeasurementSettings; kind: 'journey' | 'experiment'; breakEven?: number | null; testId?: string; title?: ReactNode }) {
  const { t } = useTranslation();
  const { m, settings, kind } = props;
  const testId = props.testId ?? 'arms-measurement';
  if (!m || !hasControl(m)) {
    return (
      <div className="measure-arms" data-testid={testId}>
        {props.title ? <h4>{props.title}</h4> : null}
        <div className="empty-state measure-empty" data-testid="no-control">
          {kind === 'journey' ? t('measure.noControl.journey') : t('measure.noControl.experiment')}
        </div>
      </div>
    );
  }
  const compared = armOrder(m).filter((a) => a !== m.control && m.vs_control?.[a]);
  const rates = armRatesOption(m, settings.alpha, t);
  const lift = cumulativeLiftOption(m, settings.alpha, props.breakEven ?? null, t);
  return (
    <div className="measure-arms" data-testid={testId}>
      {props.title ? <h4>{props.title}</h4> : null}
      <SrmCheck m={m} />
      <div className="measure-grid">
        <div className="chart-card">
          <h4>{t('measure.ratesTitle', { level: levelOf(settings.alpha) })}</h4>
          {rates ? <EChart option={rates} height={240} testId="arm-rates-chart" /> : <div className="muted chart-empty">{t('sim.charts.noData')}</div>}
        </div>
        <div className="chart-card">
          <h4>{t('measure.cumulativeTitle')}</h4>
          {lift ? (
            <EChart option={lift} height={240} testId="cumulative-lift" />
          ) : (
            <div className="muted chart-empty" data-testid="cumulative-lift-empty">
              {t('measure.noDaily')}
            </div>
          )}
        </div>
      </div>
      <ArmsTable m={m} alpha={settings.alpha} />
      {compared.length === 0 ? (
        <div className="muted" data-testid="no-comparison">
          {t('measure.noComparison')}
        </div>
      ) : (
        compared.map((a) => <Comparison key={a} m={m} arm={a} settings={settings} kind={kind} compared={compared.length} />)
      )}
    </div>
  );
}

/**
 * Everything measured about one journey in a report: its plan (when `plan` is shown), its
 * holdout against the treated users, and each experiment its splits run.
 */
export function JourneyMeasurement(props: { report: Report; journey: Journey; settings: MeasurementSettings; showPlan: boolean; testId?: string; upliftEmpty?: boolean }) {
  const { t } = useTranslation();
  const { report, journey, settings } = props;
  const inc = report.incremental;
  const m = inc?.[journey.id];
  const experiments = experimentsOf(journey);
  const own = journeyHoldout(journey);
  return (
    <section className="measure" data-testid={props.testId ?? 'journey-measurement'} data-journey={journey.id}>
      {inc === undefined ? (
        <div className="banner banner-warning" data-testid="measurement-unavailable">
          {t('measure.unavailable')}
        </div>
      ) : !m ? (
        <div className="muted" data-testid="measurement-none">
          {t('measure.noJourney')}
        </div>
      ) : (
        <>
          {props.showPlan ? m.plan ? <PlanPanel plan={m.plan} own={own} settings={settings} /> : <div className="muted">{t('measure.plan.none')}</div> : null}
          <h4>{t('measure.journeyTitle')}</h4>
          <ArmsPanel m={m} settings={settings} kind="journey" breakEven={m.plan?.break_even_lift ?? null} testId="journey-arms" />
        </>
      )}
      {experiments.map((x) => (
        <ArmsPanel
          key={x}
          m={report.experiments?.[x]}
          settings={settings}
          kind="experiment"
          testId={`experiment-${x}`}
          title={t('measure.experimentTitle', { id: x })}
        />
      ))}
      <UpliftGates report={report} journey={journey} showEmpty={props.upliftEmpty} />
    </section>
  );
}
