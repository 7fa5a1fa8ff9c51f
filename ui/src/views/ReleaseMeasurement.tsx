// The approver's view of what a release's journeys add (docs/measurement.md): before launch the
// break-even lift and the holdout plan of each journey, from the simulation the author sent with
// the release (or, when it carries none, from the same sandbox simulation run here, with its
// progress); and for a journey already live, its measured lift from the engine's journey stats
// and the experiments its live version runs.

import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { BackendError, type Backend, type LiveJourney, type ReleaseDetail, type SimProgress } from '../backend';
import type { ArmsMeasurement, Journey, MeasurementPlan, Report, Workspace } from '../model/types';
import { experimentsOf, journeyHoldout, readArms, settingsOf, type MeasurementSettings } from '../model/measurement';
import { readSimSummary } from '../model/simSummary';
import { useSession } from '../store/session';
import { ErrorBanner } from '../common/ui';
import { JourneyMeasurement, PlanPanel } from './Measurement';

interface LocalRun {
  status: 'idle' | 'running' | 'done' | 'error';
  progress: SimProgress | null;
  plans: Record<string, MeasurementPlan> | null;
  /** True when the run's report had an `incremental` section at all. */
  measured: boolean;
  error: unknown;
  params: { users: number; days: number; seed: number } | null;
}

const IDLE: LocalRun = { status: 'idle', progress: null, plans: null, measured: false, error: null, params: null };

export function plansOf(report: Report): Record<string, MeasurementPlan> | null {
  if (!report.incremental) return null;
  const out: Record<string, MeasurementPlan> = {};
  for (const [id, m] of Object.entries(report.incremental)) if (m.plan) out[id] = m.plan;
  return out;
}

export function ReleaseMeasurement({ backend, release, before, live }: { backend: Backend; release: ReleaseDetail; before: Workspace | undefined; live: LiveJourney[] }) {
  const { t } = useTranslation();
  const defaults = useSession((s) => s.sim.params);
  const summary = readSimSummary(release.summary);
  const [run, setRun] = useState<LocalRun>(IDLE);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const fromSummary = summary?.plans ?? null;
  const plans = run.status === 'done' ? run.plans : fromSummary;
  const journeys = release.workspace.journeys ?? [];
  const settings = settingsOf(release.workspace);
  // Run what the author ran when the summary says what it was; else the sandbox's own settings.
  const params =
    summary?.data?.source === 'generated' && summary.data.users && summary.data.days
      ? { users: summary.data.users, days: summary.data.days, seed: summary.data.seed ?? 1 }
      : { users: defaults.users, days: defaults.days, seed: defaults.seed };

  const start = async () => {
    const ctl = new AbortController();
    abort.current = ctl;
    setRun({ ...IDLE, status: 'running', params });
    try {
      const res = await backend.simulate(
        { workspace: release.workspace, ...params, source: 'generated' },
        { signal: ctl.signal, onProgress: (p) => setRun((r) => (r.status === 'running' ? { ...r, progress: p } : r)) },
      );
      if (ctl.signal.aborted) return;
      setRun({ ...IDLE, status: 'done', params, plans: plansOf(res.report), measured: !!res.report.incremental });
    } catch (e) {
      if (ctl.signal.aborted) {
        setRun(IDLE);
        return;
      }
      setRun({ ...IDLE, status: 'error', error: e, params });
    }
  };

  const p = run.progress;
  const pct = p && p.total > 0 ? Math.min(100, (p.done / p.total) * 100) : null;
  const liveIds = new Set(live.map((l) => l.id));
  return (
    <div className="release-measurement" data-testid="release-measurement" data-source={run.status === 'done' ? 'local' : fromSummary ? 'summary' : 'none'}>
      <div className="muted">
        {run.status === 'done' && run.params
          ? t('measure.review.fromLocal', { users: run.params.users.toLocaleString(), days: run.params.days, seed: run.params.seed })
          : fromSummary
            ? t('measure.review.fromSummary')
            : null}
      </div>
      {!plans && run.status !== 'running' ? (
        <div className="banner banner-info" data-testid="release-measure-missing">
          {run.status === 'done' && !run.measured ? t('measure.unavailable') : summary ? t('measure.review.noPlanInSummary') : t('measure.review.noSummary')}{' '}
          {run.status !== 'done' || run.measured ? (
            <button type="button" className="primary" onClick={() => void start()} data-testid="release-measure-run">
              {t('measure.review.run', { users: params.users.toLocaleString(), days: params.days, seed: params.seed })}
            </button>
          ) : null}
        </div>
      ) : null}
      {run.status === 'running' ? (
        <div className="measure-run">
          <div className="progress" data-testid="release-measure-progress">
            <div className={pct === null ? 'progress-bar indeterminate' : 'progress-bar'} style={pct === null ? undefined : { width: `${pct}%` }} />
            <span className="progress-text">
              {p && p.total > 0 ? t('sim.progress', { done: p.done.toLocaleString(), total: p.total.toLocaleString() }) : t('sim.running')}
            </span>
          </div>
          <button type="button" onClick={() => abort.current?.abort()} data-testid="release-measure-cancel">
            {t('sim.cancel')}
          </button>
        </div>
      ) : null}
      {run.status === 'error' ? <ErrorBanner error={run.error} testId="release-measure-error" /> : null}
      {plans
        ? journeys.map((j) => (
            <div key={j.id} className="measure" data-testid="journey-measurement" data-journey={j.id}>
              <h5>{j.name ? `${j.name} (${j.id})` : j.id}</h5>
              {plans[j.id] ? (
                <PlanPanel plan={plans[j.id]!} own={journeyHoldout(j)} settings={settings} />
              ) : (
                <div className="muted" data-testid="measurement-none">
                  {t('measure.noJourney')}
                </div>
              )}
            </div>
          ))
        : null}
      {journeys.some((j) => liveIds.has(j.id)) ? <h4>{t('measure.review.liveTitle')}</h4> : null}
      {journeys
        .filter((j) => liveIds.has(j.id))
        .map((j) => {
          const l = live.find((x) => x.id === j.id)!;
          const liveJourney = before?.journeys?.find((x) => x.id === j.id) ?? j;
          return <LiveMeasurement key={j.id} backend={backend} live={l} journey={liveJourney} settings={before ? settingsOf(before) : settings} />;
        })}
    </div>
  );
}

/** A live journey's measured lift: its journey stats' `incremental`, and its experiments from `GET /v1/experiments/{id}`. */
export function LiveMeasurement({ backend, live, journey, settings }: { backend: Backend; live: LiveJourney; journey: Journey; settings: MeasurementSettings }) {
  const { t } = useTranslation();
  const [data, setData] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [errors, setErrors] = useState<[string, unknown][]>([]);
  const experiments = experimentsOf(journey).join('\n');
  useEffect(() => {
    let alive = true;
    (async () => {
      try {
        const stats = await backend.journeyStats(live.id);
        const found: Record<string, ArmsMeasurement> = { ...(stats.experiments ?? {}) };
        const failed: [string, unknown][] = [];
        for (const x of experiments ? experiments.split('\n') : []) {
          try {
            const m = readArms(await backend.experimentStats(x));
            if (m) found[x] = m;
          } catch (e) {
            // Not found: nobody was assigned yet (the panel says so); anything else is shown.
            if (!(e instanceof BackendError && e.code === 'E_NOT_FOUND')) failed.push([x, e]);
          }
        }
        if (!alive) return;
        setData({ ...stats, experiments: found });
        setErrors(failed);
        setError(null);
      } catch (e) {
        if (alive) setError(e);
      }
    })();
    return () => {
      alive = false;
    };
  }, [backend, live.id, live.version, experiments]);
  return (
    <div className="measure-live" data-testid="live-measurement-card" data-journey={live.id}>
      <h5>{t('measure.review.liveJourney', { id: live.id, version: live.version, rollout: live.rollout_percent })}</h5>
      <ErrorBanner error={error} />
      {errors.map(([x, e]) => (
        <div key={x}>
          {x}: <ErrorBanner error={e} />
        </div>
      ))}
      {data ? <JourneyMeasurement report={data} journey={journey} settings={settings} showPlan={false} testId="live-measurement" /> : error ? null : <div className="muted">{t('common.loading')}</div>}
    </div>
  );
}
