// Running live campaigns safely (issue 18, docs/operations.md), on the Monitor: pause and resume
// the selected journey, the degrade switch (engine-wide and per campaign), each campaign's budget,
// pacing and breaker, the alerts with what they mean and what to do, and the control history.
// Also the deploy form's guardrails (used by ReviewView).

import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { BackendError, unsupported, type Backend } from '../backend';
import {
  GUARDRAIL_METRICS,
  MONEY_RULES,
  PACING_BOX,
  RATE_RULES,
  closedOf,
  degradeBody,
  guardrailProblems,
  pacingGeometry,
  pauseOf,
  share,
  svgPoints,
  type Alert,
  type CampaignControl,
  type ControlEntry,
  type ControlState,
  type DegradeForm,
  type GuardrailMetric,
  type GuardrailRow,
  type OfferChoice,
  type TouchChoice,
} from '../model/control';
import { formatCount, formatMoney, formatPercent } from '../model/format';
import { deployBlocker } from '../model/identity';
import { useSession } from '../store/session';
import { ErrorBanner, Field, formatTime } from '../common/ui';
import { BlockedReason } from './Identity';

// ---- loading ----

/** A Backend method, or an error that reads as "no such route" when the backend lacks it. */
function need<K extends keyof Backend>(backend: Backend, k: K): NonNullable<Backend[K]> {
  const f = backend[k];
  if (typeof f !== 'function') throw new BackendError('E_HTTP_404', `no such route (${String(k)})`, undefined, 404);
  return (f as (...a: unknown[]) => unknown).bind(backend) as NonNullable<Backend[K]>;
}

/** What a read of the engine gave: the last good value stays while a later read fails. */
type Loaded<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'unsupported' } | { state: 'error'; error: unknown; last: T | null };

const valueOf = <T,>(l: Loaded<T>): T | null => (l.state === 'ok' ? l.value : l.state === 'error' ? l.last : null);

/** A request from a button: in flight, done (its message), refused, or not supported by the engine. */
function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const run = useCallback(async (f: () => Promise<unknown>, done: string, after?: () => void) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    setMissing(false);
    try {
      await f();
      setMessage(done);
      after?.();
    } catch (e) {
      if (unsupported(e)) setMissing(true);
      else setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, message, missing, run };
}

type Action = ReturnType<typeof useAction>;

function ActionFeedback({ a, testId }: { a: Action; testId: string }) {
  const { t } = useTranslation();
  return (
    <>
      {a.busy ? <div className="muted" data-testid={`${testId}-busy`}>{t('live.busy')}</div> : null}
      {a.missing ? <div className="banner banner-info" data-testid={`${testId}-unsupported`}>{t('live.unsupportedAction')}</div> : null}
      {a.message ? <div className="banner banner-ok" data-testid={`${testId}-done`}>{a.message}</div> : null}
      <ErrorBanner error={a.error} testId={`${testId}-error`} />
    </>
  );
}

/**
 * The live controls of the Monitor: the state in force (`GET /v1/control`) and the alerts
 * (`GET /v1/alerts`), loaded now and every `everyMs` while `auto`, and again on `tick`.
 */
export function LiveControls(props: { backend: Backend; journey: string; campaign?: string; auto: boolean; tick: number; everyMs: number }) {
  const { backend, journey, auto, tick, everyMs } = props;
  const { t } = useTranslation();
  const [control, setControl] = useState<Loaded<ControlState>>({ state: 'loading' });
  const [alerts, setAlerts] = useState<Loaded<Alert[]>>({ state: 'loading' });
  const [reloads, setReloads] = useState(0);
  const identity = useSession((s) => s.identity);
  const blocker = deployBlocker(identity);
  const reload = useCallback(() => setReloads((x) => x + 1), []);

  useEffect(() => {
    let alive = true;
    const read = async <T,>(f: () => Promise<T>, set: (u: (v: Loaded<T>) => Loaded<T>) => void) => {
      try {
        const value = await f();
        if (alive) set(() => ({ state: 'ok', value }));
      } catch (e) {
        if (alive) set((before) => (unsupported(e) ? { state: 'unsupported' } : { state: 'error', error: e, last: valueOf(before) }));
      }
    };
    const load = () => {
      void read(() => need(backend, 'controlState')(), setControl);
      void read(() => need(backend, 'listAlerts')(), setAlerts);
    };
    load();
    const h = auto ? setInterval(load, everyMs) : undefined;
    return () => {
      alive = false;
      if (h) clearInterval(h);
    };
  }, [backend, auto, tick, everyMs, reloads]);

  const state = valueOf(control);
  const known = [...new Set([...(state?.campaigns ?? []).map((c) => c.campaign), ...(state?.degrade ?? []).flatMap((d) => (d.campaign ? [d.campaign] : [])), ...(props.campaign ? [props.campaign] : [])])].sort();

  return (
    <section className="live-controls" data-testid="live-controls">
      <h3>{t('live.title')}</h3>
      {control.state === 'unsupported' ? (
        <div className="banner banner-info" data-testid="live-unsupported">
          {t('live.unsupported')}
        </div>
      ) : null}
      {control.state === 'error' ? <ErrorBanner error={control.error} testId="live-error" /> : null}
      {control.state === 'loading' ? <div className="muted">{t('live.refreshing')}</div> : null}
      {state ? (
        <>
          <BlockedReason blocker={blocker} action="control" testId="live-blocked" />
          <div className="live-grid">
            {journey ? (
              <JourneyControls key={journey} backend={backend} journey={journey} state={state} blocked={!!blocker} onChanged={reload} />
            ) : (
              <div className="live-card muted">{t('live.journey.none')}</div>
            )}
            <DegradePanel backend={backend} state={state} campaigns={known} blocked={!!blocker} onChanged={reload} />
          </div>
        </>
      ) : null}
      <AlertsPanel alerts={alerts} />
      {state ? (
        <>
          <h3>{t('live.campaigns.title')}</h3>
          {state.campaigns.length === 0 ? (
            <div className="muted" data-testid="campaigns-empty">
              {t('live.campaigns.empty')}
            </div>
          ) : (
            <div className="live-campaigns">
              {state.campaigns.map((c) => (
                <CampaignCard key={c.campaign} backend={backend} c={c} closed={closedOf(state, c.campaign)} blocked={!!blocker} onChanged={reload} />
              ))}
            </div>
          )}
          <ControlHistory history={state.history} />
        </>
      ) : null}
    </section>
  );
}

// ---- pause and resume ----

export function JourneyControls(props: { backend: Backend; journey: string; state: ControlState | null; blocked: boolean; onChanged: () => void }) {
  const { backend, journey, state, blocked, onChanged } = props;
  const { t } = useTranslation();
  const [scope, setScope] = useState<'entries' | 'all'>('entries');
  const [reason, setReason] = useState('');
  const a = useAction();
  const pause = pauseOf(state, journey);
  const after = () => {
    setReason('');
    onChanged();
  };
  return (
    <div className="live-card" data-testid="journey-controls">
      <h4>{t('live.journey.title', { journey })}</h4>
      <div className={pause ? 'banner banner-warning' : 'banner banner-ok'} data-testid="pause-status" data-paused={pause?.scope ?? ''}>
        {pause
          ? t('live.journey.paused', { scope: t(`live.journey.scopes.${pause.scope ?? 'entries'}`), actor: pause.actor, at: formatTime(pause.at), reason: pause.reason })
          : t('live.journey.running')}
      </div>
      <Field label={t('live.journey.scope')} hint={t(`live.journey.scopeHints.${scope}`)}>
        <select value={scope} onChange={(e) => setScope(e.target.value as 'entries' | 'all')} data-testid="pause-scope">
          <option value="entries">{t('live.journey.scopes.entries')}</option>
          <option value="all">{t('live.journey.scopes.all')}</option>
        </select>
      </Field>
      <Field label={t('live.reason')} hint={t('live.reasonHint')}>
        <input type="text" value={reason} onChange={(e) => setReason(e.target.value)} data-testid="pause-reason" />
      </Field>
      <div className="live-actions">
        <button
          type="button"
          className="danger"
          disabled={a.busy || blocked || !reason.trim()}
          title={!reason.trim() ? t('live.reasonRequired') : undefined}
          onClick={() => void a.run(() => need(backend, 'pauseJourney')(journey, { scope, reason: reason.trim() }), t('live.journey.pausedDone'), after)}
          data-testid="pause-button"
        >
          {t('live.journey.pause')}
        </button>
        <button
          type="button"
          disabled={a.busy || blocked || !pause}
          onClick={() => void a.run(() => need(backend, 'resumeJourney')(journey, { reason: reason.trim() }), t('live.journey.resumedDone'), after)}
          data-testid="resume-button"
        >
          {t('live.journey.resume')}
        </button>
        {!reason.trim() && !pause ? <span className="field-hint">{t('live.reasonRequired')}</span> : null}
      </div>
      {pause ? <div className="field-hint">{t('live.journey.resumeHint')}</div> : null}
      <ActionFeedback a={a} testId="pause-action" />
    </div>
  );
}

// ---- the degrade switch ----

const onOff = (t: TFunction, v: string | null | undefined) => (v === 'off' ? t('live.off') : v === 'on' ? t('live.on') : '—');

export function DegradePanel(props: { backend: Backend; state: ControlState | null; campaigns: string[]; blocked: boolean; onChanged: () => void }) {
  const { backend, state, campaigns, blocked, onChanged } = props;
  const { t } = useTranslation();
  const [form, setForm] = useState<DegradeForm>({ campaign: '', offers: 'keep', touches: 'keep', perMinute: '', reason: '' });
  const [problem, setProblem] = useState<string | null>(null);
  const a = useAction();
  const set = (p: Partial<DegradeForm>) => {
    setForm((f) => ({ ...f, ...p }));
    setProblem(null);
  };
  const apply = () => {
    const r = degradeBody(form);
    if ('problem' in r) {
      setProblem(r.problem === 'perMinute' ? t('live.degrade.badPerMinute') : t('live.degrade.nothing'));
      return;
    }
    void a.run(() => need(backend, 'setDegrade')(r.body), t('live.degrade.applied'), () => {
      setForm((f) => ({ ...f, reason: '' }));
      onChanged();
    });
  };
  const inForce = state?.degrade ?? [];
  return (
    <div className="live-card" data-testid="degrade-panel">
      <h4>{t('live.degrade.title')}</h4>
      <p className="muted">{t('live.degrade.intro')}</p>
      <div className="banner banner-info" data-testid="degrade-order">
        {t('live.degrade.order')}
      </div>
      <ul className="live-explain" data-testid="degrade-explain">
        <li>{t('live.degrade.explain.offers.off')}</li>
        <li>{t('live.degrade.explain.touches.off')}</li>
        <li>{t('live.degrade.explain.touches.per_minute')}</li>
      </ul>
      <div className="live-form">
        <Field label={t('live.degrade.target')}>
          <select value={form.campaign} onChange={(e) => set({ campaign: e.target.value })} data-testid="degrade-target">
            <option value="">{t('live.engineWide')}</option>
            {campaigns.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('live.degrade.offers')} hint={t(`live.degrade.explain.offers.${form.offers}`)}>
          <select value={form.offers} onChange={(e) => set({ offers: e.target.value as OfferChoice })} data-testid="degrade-offers">
            <option value="keep">{t('live.degrade.keep')}</option>
            <option value="on">{t('live.degrade.on')}</option>
            <option value="off">{t('live.degrade.off')}</option>
          </select>
        </Field>
        <Field label={t('live.degrade.touches')} hint={t(`live.degrade.explain.touches.${form.touches}`)}>
          <select value={form.touches} onChange={(e) => set({ touches: e.target.value as TouchChoice })} data-testid="degrade-touches">
            <option value="keep">{t('live.degrade.keep')}</option>
            <option value="on">{t('live.degrade.on')}</option>
            <option value="off">{t('live.degrade.off')}</option>
            <option value="per_minute">{t('live.degrade.perMinute')}</option>
          </select>
        </Field>
        {form.touches === 'per_minute' ? (
          <Field label={t('live.degrade.perMinuteN')}>
            <input type="number" min={1} step={1} value={form.perMinute} onChange={(e) => set({ perMinute: e.target.value })} data-testid="degrade-per-minute" />
          </Field>
        ) : null}
        <Field label={t('live.reason')} hint={t('live.reasonHint')}>
          <input type="text" value={form.reason} onChange={(e) => set({ reason: e.target.value })} data-testid="degrade-reason" />
        </Field>
      </div>
      <div className="live-actions">
        <button type="button" className="primary" disabled={a.busy || blocked} onClick={apply} data-testid="degrade-apply">
          {t('live.degrade.apply')}
        </button>
      </div>
      {problem ? (
        <div className="field-error" data-testid="degrade-problem">
          {problem}
        </div>
      ) : null}
      <ActionFeedback a={a} testId="degrade-action" />
      <h5>{t('live.degrade.inForce')}</h5>
      {inForce.length === 0 ? (
        <div className="muted" data-testid="degrade-none">
          {t('live.degrade.none')}
        </div>
      ) : (
        <table className="release-table live-table" data-testid="degrade-in-force">
          <thead>
            <tr>
              <th>{t('live.degrade.col.target')}</th>
              <th>{t('live.degrade.col.offers')}</th>
              <th>{t('live.degrade.col.touches')}</th>
              <th>{t('live.degrade.col.who')}</th>
              <th>{t('live.degrade.col.when')}</th>
              <th>{t('live.degrade.col.why')}</th>
            </tr>
          </thead>
          <tbody>
            {inForce.map((d) => (
              <tr key={d.campaign ?? ''} data-testid={`degrade-${d.campaign ?? 'engine'}`}>
                <td>{d.campaign ?? t('live.engineWide')}</td>
                <td className={d.offers === 'off' ? 'warn-text' : ''}>{onOff(t, d.offers)}</td>
                <td className={d.touches === 'off' || d.per_minute !== null ? 'warn-text' : ''}>{d.per_minute !== null ? t('live.degrade.perMinuteValue', { n: d.per_minute }) : onOff(t, d.touches)}</td>
                <td>{d.actor}</td>
                <td className="nowrap">{formatTime(d.at)}</td>
                <td>{d.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

// ---- campaigns: budget, pacing, breaker, close ----

/** A compact money label for an axis. */
const axisMoney = (v: number) => formatMoney(v);

export function PacingChart({ c }: { c: CampaignControl }) {
  const { t } = useTranslation();
  const g = pacingGeometry(c, PACING_BOX);
  const id = c.campaign;
  if (!g || !c.pacing) {
    return (
      <div className="muted chart-empty" data-testid={`pacing-empty-${id}`}>
        {t('live.campaigns.noPacing')}
      </div>
    );
  }
  const { box } = g;
  const unit = t(`live.campaigns.units.${c.pacing.period}`);
  const bottom = box.height - box.bottom;
  const right = box.width - box.right;
  const burnColor = g.ahead ? '#d64545' : '#2f7d4f';
  return (
    <div className="pacing-chart" data-testid={`pacing-chart-${id}`}>
      <svg viewBox={`0 0 ${box.width} ${box.height}`} width="100%" style={{ maxWidth: box.width }} role="img" aria-label={t('live.campaigns.chartLabel', { id })}>
        {g.yTicks.map((tk) => (
          <g key={`y${tk.amount}`}>
            <line x1={box.left} x2={right} y1={tk.y} y2={tk.y} stroke="#eef0f3" />
            <text x={box.left - 4} y={tk.y + 4} textAnchor="end" fontSize={11} fill="#6a737d" data-testid={`pacing-ytick-${id}`}>
              {axisMoney(tk.amount)}
            </text>
          </g>
        ))}
        <line x1={box.left} x2={box.left} y1={box.top} y2={bottom} stroke="#8a94a6" />
        <line x1={box.left} x2={right} y1={bottom} y2={bottom} stroke="#8a94a6" />
        {g.xTicks.map((tk) => (
          <text key={`x${tk.period}`} x={tk.x} y={bottom + 14} textAnchor="middle" fontSize={11} fill="#6a737d" data-testid={`pacing-xtick-${id}`}>
            {tk.period}
          </text>
        ))}
        <text x={(box.left + right) / 2} y={box.height - 4} textAnchor="middle" fontSize={11} fill="#1f2328" data-testid={`pacing-xlabel-${id}`}>
          {t('live.campaigns.axisX', { unit })}
        </text>
        <text x={12} y={(box.top + bottom) / 2} textAnchor="middle" fontSize={11} fill="#1f2328" transform={`rotate(-90 12 ${(box.top + bottom) / 2})`} data-testid={`pacing-ylabel-${id}`}>
          {t('live.campaigns.axisY')}
        </text>
        {g.now ? (
          <g>
            <line x1={g.now.x} x2={g.now.x} y1={box.top} y2={bottom} stroke="#8a94a6" strokeDasharray="2 3" />
            <text x={g.now.x + 3} y={box.top + 10} fontSize={11} fill="#6a737d">
              {t('live.campaigns.now')}
            </text>
          </g>
        ) : null}
        <polyline points={svgPoints(g.line)} fill="none" stroke="#3d63b8" strokeWidth={1.5} strokeDasharray="6 4" data-testid={`pacing-line-${id}`} />
        <polyline points={svgPoints(g.burn)} fill="none" stroke={burnColor} strokeWidth={2} data-testid={`pacing-burn-${id}`} />
        {g.burn.map((p) => (
          <circle key={p.period} cx={p.x} cy={p.y} r={2.5} fill={burnColor}>
            <title>{`${p.period}: ${formatMoney(p.amount)}`}</title>
          </circle>
        ))}
      </svg>
      <div className="pacing-legend" data-testid={`pacing-legend-${id}`}>
        <span>
          <i className="swatch" style={{ background: burnColor }} /> {t('live.campaigns.legendBurn')}
        </span>
        <span>
          <i className="swatch swatch-dashed" style={{ borderColor: '#3d63b8' }} /> {t('live.campaigns.legendLine')}
        </span>
      </div>
    </div>
  );
}

export function CampaignCard(props: { backend: Backend; c: CampaignControl; closed: ControlEntry | null; blocked: boolean; onChanged: () => void }) {
  const { backend, c, closed, blocked, onChanged } = props;
  const { t } = useTranslation();
  const [resetReason, setResetReason] = useState('');
  const [closing, setClosing] = useState(false);
  const [closeReason, setCloseReason] = useState('');
  const reset = useAction();
  const close = useAction();
  const id = c.campaign;
  const used = share(c.committed, c.total);
  const p = c.pacing;
  const b = c.breaker;
  const unit = p ? t(`live.campaigns.units.${p.period}`) : '';
  return (
    <div className="live-card campaign-card" data-testid={`campaign-${id}`}>
      <h4>
        {id} {closed ? <span className="badge badge-error">{t('live.history.actions.close')}</span> : null}
      </h4>
      <div data-testid={`budget-${id}`}>
        <b>{t('live.campaigns.budget')}</b>: {t('live.campaigns.committedOf', { committed: formatMoney(c.committed), total: formatMoney(c.total), pct: formatPercent(used) })}
        <div className="budget-bar">
          <div className={used >= 0.9 ? 'budget-fill budget-fill-warn' : 'budget-fill'} style={{ width: `${Math.min(100, used * 100)}%` }} />
        </div>
      </div>
      {c.start || c.end ? <div className="muted">{t('live.campaigns.window', { start: c.start ? formatTime(c.start) : t('live.campaigns.open'), end: c.end ? formatTime(c.end) : t('live.campaigns.open') })}</div> : null}
      {closed ? (
        <div className="banner banner-warning" data-testid={`closed-${id}`}>
          {t('live.campaigns.closed', { actor: closed.actor, at: formatTime(closed.at), reason: closed.reason })}
          {closed.released !== null ? ` ${t('live.campaigns.released', { released: formatMoney(closed.released) })}` : ''}
        </div>
      ) : null}

      <h5>{t('live.campaigns.pacing')}</h5>
      {p ? (
        <div className="muted" data-testid={`pacing-summary-${id}`}>
          {p.period_index > 0
            ? t('live.campaigns.pacingSummary', { n: p.periods, unit, k: p.period_index, allowed: formatMoney(p.allowed) })
            : t('live.campaigns.notStarted', { n: p.periods, unit })}
        </div>
      ) : null}
      {pacingGeometry(c)?.ahead ? (
        <div className="banner banner-warning" data-testid={`pacing-ahead-${id}`}>
          {t('live.campaigns.ahead')}
        </div>
      ) : null}
      <PacingChart c={c} />

      <h5>{t('live.campaigns.breaker')}</h5>
      {b ? (
        <div data-testid={`breaker-${id}`} data-tripped={b.tripped ? 'true' : 'false'}>
          <div className={b.tripped ? 'banner banner-error' : 'banner banner-ok'}>
            {b.tripped ? t('live.campaigns.breakerTripped', { at: b.tripped_at ? formatTime(b.tripped_at) : '—' }) : t('live.campaigns.breakerOk')}
          </div>
          <div className="muted">{t('live.campaigns.breakerWindow', { committed: formatMoney(b.committed_in_window), within: b.within, max: formatMoney(b.max_committed) })}</div>
          {b.tripped ? (
            <div className="live-inline">
              <input type="text" placeholder={t('live.reason')} value={resetReason} onChange={(e) => setResetReason(e.target.value)} data-testid={`breaker-reason-${id}`} />
              <button
                type="button"
                disabled={reset.busy || blocked || !resetReason.trim()}
                title={!resetReason.trim() ? t('live.reasonRequired') : undefined}
                onClick={() =>
                  void reset.run(() => need(backend, 'resetBreaker')(id, { reason: resetReason.trim() }), t('live.campaigns.resetDone'), () => {
                    setResetReason('');
                    onChanged();
                  })
                }
                data-testid={`breaker-reset-${id}`}
              >
                {t('live.campaigns.reset')}
              </button>
            </div>
          ) : null}
          <ActionFeedback a={reset} testId={`breaker-action-${id}`} />
        </div>
      ) : (
        <div className="muted" data-testid={`breaker-${id}`}>
          {t('live.campaigns.noBreaker')}
        </div>
      )}

      {!closed ? (
        <div className="live-close">
          {!closing ? (
            <button type="button" className="danger" disabled={blocked} onClick={() => setClosing(true)} data-testid={`close-${id}`}>
              {t('live.campaigns.close')}
            </button>
          ) : (
            <div className="banner banner-warning" data-testid={`close-confirm-box-${id}`}>
              <p>{t('live.campaigns.closeConfirm', { id })}</p>
              <div className="live-inline">
                <input type="text" placeholder={t('live.reason')} value={closeReason} onChange={(e) => setCloseReason(e.target.value)} data-testid={`close-reason-${id}`} />
                <button
                  type="button"
                  className="danger"
                  disabled={close.busy || blocked || !closeReason.trim()}
                  title={!closeReason.trim() ? t('live.reasonRequired') : undefined}
                  onClick={() =>
                    void close.run(() => need(backend, 'closeCampaign')(id, { reason: closeReason.trim() }), t('live.campaigns.closeDone'), () => {
                      setClosing(false);
                      setCloseReason('');
                      onChanged();
                    })
                  }
                  data-testid={`close-confirm-${id}`}
                >
                  {t('live.campaigns.closeYes')}
                </button>
                <button type="button" onClick={() => setClosing(false)} data-testid={`close-cancel-${id}`}>
                  {t('live.campaigns.cancel')}
                </button>
              </div>
            </div>
          )}
        </div>
      ) : null}
      <ActionFeedback a={close} testId={`close-action-${id}`} />
    </div>
  );
}

// ---- alerts ----

/** An alert's value or threshold for people: rates as percentages, money as money, else as sent. */
export function alertFigure(rule: string, v: string): string {
  if ((RATE_RULES as readonly string[]).includes(rule)) {
    const n = Number(v);
    return Number.isFinite(n) ? `${formatCount(n * 100, { decimals: 2 })}%` : v;
  }
  if ((MONEY_RULES as readonly string[]).includes(rule)) return formatMoney(v);
  return v;
}

const SEVERITY_ORDER = { critical: 0, warning: 1 } as const;

export function AlertsPanel({ alerts }: { alerts: Loaded<Alert[]> }) {
  const { t } = useTranslation();
  return (
    <div className="live-alerts" data-testid="alerts">
      <h3>{t('live.alerts.title')}</h3>
      {alerts.state === 'loading' ? <div className="muted">{t('common.loading')}</div> : null}
      {alerts.state === 'unsupported' ? (
        <div className="muted" data-testid="alerts-unsupported">
          {t('live.alerts.unsupported')}
        </div>
      ) : null}
      {alerts.state === 'error' ? <ErrorBanner error={alerts.error} testId="alerts-error" /> : null}
      {valueOf(alerts) ? <AlertsList alerts={valueOf(alerts)!} /> : null}
    </div>
  );
}

export function AlertsList({ alerts }: { alerts: Alert[] }) {
  const { t } = useTranslation();
  if (alerts.length === 0) {
    return (
      <div className="banner banner-ok" data-testid="alerts-empty">
        {t('live.alerts.empty')}
      </div>
    );
  }
  const sorted = [...alerts].sort((a, b) => Number(b.active) - Number(a.active) || (SEVERITY_ORDER[a.severity] ?? 2) - (SEVERITY_ORDER[b.severity] ?? 2) || (a.since < b.since ? 1 : -1));
  return (
    <ul className="alert-list" data-testid="alert-list">
      {sorted.map((a) => (
        <li key={a.id} className={`alert alert-${a.severity}${a.active ? '' : ' alert-resolved'}`} data-testid={`alert-${a.id}`} data-rule={a.rule}>
          <div className="alert-head">
            <span className={a.severity === 'critical' ? 'badge badge-error' : 'badge badge-warning'}>{t(`live.alerts.severity.${a.severity}`, { defaultValue: a.severity })}</span>{' '}
            <b>{t(`live.alerts.rules.${a.rule}.title`, { defaultValue: a.rule })}</b>
            {a.target ? <span className="muted"> · {t('live.alerts.target', { target: a.target })}</span> : null}
            {!a.active ? <span className="badge"> {t('live.alerts.resolved')}</span> : null}
          </div>
          <div data-testid={`alert-figure-${a.id}`}>
            {t('live.alerts.figure', { value: alertFigure(a.rule, a.value), threshold: alertFigure(a.rule, a.threshold) })} · <span className="muted">{t('live.alerts.since', { at: formatTime(a.since) })}</span>
          </div>
          <div data-testid={`alert-meaning-${a.id}`}>
            <span className="field-label">{t('live.alerts.meaning')}:</span> {t(`live.alerts.rules.${a.rule}.meaning`, { defaultValue: '' })}
          </div>
          <div data-testid={`alert-action-${a.id}`}>
            <span className="field-label">{t('live.alerts.action')}:</span> {t(`live.alerts.rules.${a.rule}.action`, { defaultValue: '' })}
          </div>
        </li>
      ))}
    </ul>
  );
}

// ---- the control history ----

/** What else an entry of the history carries, in words. */
export function historyDetails(t: TFunction, e: ControlEntry): string {
  switch (e.action) {
    case 'pause':
      return e.scope ? t('live.history.scope', { scope: t(`live.journey.scopes.${e.scope}`) }) : '';
    case 'close':
      return e.released !== null ? t('live.history.released', { released: formatMoney(e.released) }) : '';
    case 'degrade': {
      const parts: string[] = [];
      if (e.offers) parts.push(t('live.history.offers', { v: onOff(t, e.offers) }));
      if (e.per_minute !== null) parts.push(t('live.history.touches', { v: t('live.degrade.perMinuteValue', { n: e.per_minute }) }));
      else if (e.touches) parts.push(t('live.history.touches', { v: onOff(t, e.touches) }));
      return parts.join(', ');
    }
    case 'guardrail_rollback':
      return t('live.history.rollback', {
        metric: e.metric ? t(`live.guardrails.metrics.${e.metric}`, { defaultValue: e.metric }) : '—',
        value: e.value ?? '—',
        max: e.max ?? '—',
        entries: e.entries === null ? '—' : formatCount(e.entries),
        version: e.version ?? '—',
      });
    default:
      return '';
  }
}

export function ControlHistory({ history }: { history: ControlEntry[] }) {
  const { t } = useTranslation();
  const rows = [...history].reverse();
  return (
    <div className="live-history">
      <h3>{t('live.history.title')}</h3>
      {rows.length === 0 ? (
        <div className="muted" data-testid="control-history-empty">
          {t('live.history.empty')}
        </div>
      ) : (
        <table className="release-table live-table" data-testid="control-history">
          <thead>
            <tr>
              <th>{t('live.history.col.action')}</th>
              <th>{t('live.history.col.target')}</th>
              <th>{t('live.history.col.who')}</th>
              <th>{t('live.history.col.when')}</th>
              <th>{t('live.history.col.why')}</th>
              <th>{t('live.history.col.details')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e, i) => (
              <tr key={i} data-testid={`history-row-${i}`} data-action={e.action}>
                <td>{t(`live.history.actions.${e.action}`, { defaultValue: e.action })}</td>
                <td>{e.target || t('live.engineWide')}</td>
                <td>{e.actor}</td>
                <td className="nowrap">{formatTime(e.at)}</td>
                <td>{e.reason}</td>
                <td>{historyDetails(t, e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

// ---- guardrails on the deploy form ----

export function GuardrailEditor({ rows, onChange }: { rows: GuardrailRow[]; onChange: (rows: GuardrailRow[]) => void }) {
  const { t } = useTranslation();
  const update = (i: number, p: Partial<GuardrailRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...p } : r)));
  const unused = GUARDRAIL_METRICS.find((m) => !rows.some((r) => r.metric === m)) ?? GUARDRAIL_METRICS[0];
  return (
    <div className="guardrails" data-testid="guardrails">
      <h4>{t('live.guardrails.title')}</h4>
      <p className="muted">{t('live.guardrails.intro')}</p>
      {rows.length === 0 ? (
        <div className="muted" data-testid="guardrails-none">
          {t('live.guardrails.none')}
        </div>
      ) : null}
      {rows.map((r, i) => {
        const bad = guardrailProblems(r);
        return (
          <div key={i} className="guardrail-row" data-testid={`guardrail-${i}`}>
            <Field label={t('live.guardrails.metric')} hint={t(`live.guardrails.hints.${r.metric}`)}>
              <select value={r.metric} title={t(`live.guardrails.hints.${r.metric}`)} onChange={(e) => update(i, { metric: e.target.value as GuardrailMetric })} data-testid={`guardrail-metric-${i}`}>
                {GUARDRAIL_METRICS.map((m) => (
                  <option key={m} value={m} title={t(`live.guardrails.hints.${m}`)}>
                    {t(`live.guardrails.metrics.${m}`)}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('live.guardrails.max')} error={bad.max ? <span data-testid={`guardrail-max-error-${i}`}>{t('live.guardrails.badMax')}</span> : undefined}>
              <input type="text" inputMode="decimal" className={bad.max ? 'invalid' : ''} value={r.max} placeholder={r.metric === 'cost_per_entry' ? '5.00' : '0.02'} onChange={(e) => update(i, { max: e.target.value })} data-testid={`guardrail-max-${i}`} />
            </Field>
            <Field label={t('live.guardrails.minEntries')} error={bad.minEntries ? <span data-testid={`guardrail-min-error-${i}`}>{t('live.guardrails.badMinEntries')}</span> : undefined}>
              <input type="text" inputMode="numeric" className={bad.minEntries ? 'invalid' : ''} value={r.minEntries} onChange={(e) => update(i, { minEntries: e.target.value })} data-testid={`guardrail-min-${i}`} />
            </Field>
            <button type="button" className="link" onClick={() => onChange(rows.filter((_, j) => j !== i))} data-testid={`guardrail-remove-${i}`}>
              {t('live.guardrails.remove')}
            </button>
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...rows, { metric: unused, max: '', minEntries: '100' }])} data-testid="guardrail-add">
        + {t('live.guardrails.add')}
      </button>
    </div>
  );
}
