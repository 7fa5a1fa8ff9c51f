// Review and publish: submit the draft as a release; the approver's inbox with a visual diff
// against the live version; approve or reject with a comment; deploy with rollout % and mode;
// guardrails that roll a version back by themselves (docs/operations.md); roll back; the history
// of versions.

import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Backend, DeployMode, LiveJourney, ReleaseDetail, ReleaseSummary, SubmitResult } from '../backend';
import { BackendError } from '../backend';
import { WORKSPACE_SCHEMA, type Diagnostic, type Journey, type Workspace } from '../model/types';
import { useEditor } from '../store/editor';
import { useSession } from '../store/session';
import { Cards, ErrorBanner, Field, NumberInput, Section, formatTime, roiText, type CardSpec } from '../common/ui';
import { formatCount, formatMoney } from '../model/format';
import { NeedsEngine } from './EngineSettings';
import { DiffView } from './DiffView';
import { buildSimSummary, readSimSummary } from '../model/simSummary';
import { ReleaseMeasurement } from './ReleaseMeasurement';
import { ImplausibleNotes, RoiNote } from './Charts';
import { implausible } from '../model/plausibility';
import { approveBlocker, deployBlocker, submitBlocker } from '../model/identity';
import { BlockedReason, DeployButton, splitReviewNote } from './Identity';
import { DiagLines } from '../panels/DiagLine';
import { reasonText } from '../model/vocab';
import { GuardrailEditor } from './LiveControls';
import { guardrailsBody, guardrailsValid, type GuardrailRow } from '../model/control';

function useAsync<T>(load: (() => Promise<T>) | null, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!load) return;
    let live = true;
    setLoading(true);
    load()
      .then((d) => {
        if (live) {
          setData(d);
          setError(null);
        }
      })
      .catch((e: unknown) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((x) => x + 1), []);
  return { data, error, loading, reload };
}

function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return <span className={`badge status-${status}`}>{t(`review.statuses.${status}`, { defaultValue: status })}</span>;
}

export function SubmitCard({ backend, onSubmitted }: { backend: Backend; onSubmitted: () => void }) {
  const { t } = useTranslation();
  const doc = useEditor((s) => s.doc);
  const diagnostics = useSession((s) => s.diagnostics);
  const sim = useSession((s) => s.sim);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<SubmitResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [refused, setRefused] = useState<Diagnostic[]>([]);
  const identity = useSession((s) => s.identity);
  const cannotSubmit = submitBlocker(identity);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const report = sim.status === 'done' ? sim.result?.report : undefined;
  const entered = report ? Object.values(report.journeys).reduce((a, j) => a + j.entered, 0) : 0;
  // The summary goes with the release only if it is of this very document.
  const current = !!report && sim.doc === doc;
  const summary = current && report ? buildSimSummary(report, sim.params, sim.finishedAt || Date.now()) : undefined;
  return (
    <Section title={t('review.submitTitle')}>
      <p className="muted">{t('review.submitBody')}</p>
      {report ? (
        <p data-testid="submit-sim">
          {t('review.lastSim', { entered: formatCount(entered), conv: `${formatCount(report.conversions.attributed)} / ${formatCount(report.conversions.count)}`, cost: formatMoney(report.cost), roi: `${roiText(t, report.roi)} (${t('measure.roi.short')})` })}{' '}
          {current ? t('review.simAttached') : <span className="warn-text">{t('review.simStale')}</span>}
        </p>
      ) : (
        <p className="muted" data-testid="submit-sim">{t('review.noSim')}</p>
      )}
      {errors > 0 ? <div className="banner banner-warning">{t('review.blocked', { count: errors })}</div> : null}
      <button
        type="button"
        className="primary"
        disabled={busy || errors > 0 || !!cannotSubmit}
        data-testid="submit-release"
        onClick={async () => {
          setBusy(true);
          setError(null);
          setRefused([]);
          try {
            setResult(await backend.submitRelease(doc, summary));
            onSubmitted();
          } catch (e) {
            setError(e);
            if (e instanceof BackendError) setRefused(e.diagnostics);
          } finally {
            setBusy(false);
          }
        }}
      >
        {t('review.submit')}
      </button>
      <BlockedReason blocker={cannotSubmit} action="submit" />
      {result ? (
        <div className="banner banner-ok" data-testid="submit-result">
          {t('review.submitted', { release: result.release, version: result.version })}
        </div>
      ) : null}
      <ErrorBanner error={error} />
      {refused.length ? <DiagLines diags={refused} doc={doc} /> : null}
    </Section>
  );
}

/** The live workspace for the journeys of a release: each journey from its live release. */
async function liveWorkspaceFor(backend: Backend, release: ReleaseDetail, live: LiveJourney[]): Promise<Workspace | undefined> {
  const ids = new Set((release.workspace.journeys ?? []).map((j) => j.id));
  const mine = live.filter((l): l is LiveJourney & { release: string } => ids.has(l.id) && l.release !== null);
  if (mine.length === 0) return undefined;
  const releases = new Map<string, ReleaseDetail>();
  for (const l of mine) if (!releases.has(l.release)) releases.set(l.release, await backend.getRelease(l.release));
  const journeys: Journey[] = [];
  for (const l of mine) {
    const j = releases.get(l.release)?.workspace.journeys?.find((x) => x.id === l.id);
    if (j) journeys.push(j);
  }
  const first = releases.get(mine[0]?.release ?? '')?.workspace;
  return { schema: WORKSPACE_SCHEMA, offers: first?.offers ?? [], policy: first?.policy ?? {}, journeys };
}

/** The simulation summary a release carries, for the approver: or a plain warning that it has none. */
export function SimSummaryCard({ summary }: { summary: unknown }) {
  const { t } = useTranslation();
  const v = readSimSummary(summary);
  if (!v) {
    return (
      <div className="banner banner-warning" data-testid="release-sim-summary" data-entered="">
        {t('review.simNone')}
      </div>
    );
  }
  const n = (x: number) => formatCount(x);
  const data =
    v.data?.source === 'generated'
      ? t('review.simGenerated', { users: n(v.data.users ?? 0), days: v.data.days ?? 0, seed: v.data.seed ?? 0 })
      : v.data?.source === 'imported'
        ? t('review.simImported')
        : '';
  const odd = implausible({ roi: v.roi, attributedRevenue: v.revenue, cost: v.cost, attributed: v.attributed, conversions: v.conversions, entered: v.entered, users: v.users });
  const has = (...f: string[]) => odd.some((i) => f.includes(i.figure));
  const cards: CardSpec[] = [
    [t('figures.entered'), n(v.entered), { hint: t('figures.enteredHint') }],
    [t('review.simOffers'), v.rejected ? `${n(v.issued)} / ${t('review.simRejected', { count: v.rejected })}` : n(v.issued)],
    [t('review.simTouches'), v.suppressed ? `${n(v.sent)} / ${t('review.simSuppressed', { count: v.suppressed })}` : n(v.sent)],
    [
      t('figures.conversions'),
      `${n(v.attributed)} / ${n(v.conversions)}`,
      {
        hint: t('figures.conversionsHint', { attributed: n(v.attributed), count: n(v.conversions), rest: n(v.conversions - v.attributed) }),
        sub: (
          <>
            {t('figures.conversionsSub')}
            <ImplausibleNotes items={odd} which={['attributed', 'conversions']} />
          </>
        ),
        warn: has('attributed', 'conversions'),
      },
    ],
    [t('figures.cost'), formatMoney(v.cost), { hint: t('figures.costHint') }],
    [t('measure.roi.label'), roiText(t, v.roi), { hint: t('measure.roi.tooltip'), sub: <ImplausibleNotes items={odd} which={['roi']} />, warn: has('roi') }],
  ];
  return (
    <div className="sim-summary" data-testid="release-sim-summary" data-entered={v.entered}>
      <div className="muted">
        {t('review.simOn', { users: n(v.users), events: n(v.events) })}
        {data ? ` · ${data}` : ''}
        {v.simulatedAt ? ` · ${formatTime(v.simulatedAt)}` : ''}
      </div>
      <Cards cards={cards} />
      <RoiNote />
      {v.journeys.length > 1 ? (
        <div className="muted">{v.journeys.map(([id, e]) => `${id}: ${n(e)}`).join(' · ')}</div>
      ) : null}
      {v.rejectedBy.length ? (
        <div className="muted" data-testid="release-sim-rejections">
          {t('review.simRejectedBy')}: {v.rejectedBy.map(([reason, c]) => `${reasonText(t, reason)} ${n(c)}`).join(' · ')}
        </div>
      ) : null}
      {v.budgets.map(([id, b]) => (
        <div key={id} className={b.exhausted_at ? 'warn-text' : 'muted'}>
          {t('review.simBudget', { id, spent: formatMoney(b.spent), budget: formatMoney(b.budget) })}
          {b.exhausted_at ? ` · ${t('sim.charts.exhausted', { at: formatTime(b.exhausted_at) })}` : ''}
        </div>
      ))}
    </div>
  );
}

function ReleasePanel({ backend, id, live, onChanged }: { backend: Backend; id: string; live: LiveJourney[]; onChanged: () => void }) {
  const { t } = useTranslation();
  const { data, error, loading, reload } = useAsync(async () => {
    const release = await backend.getRelease(id);
    const before = await liveWorkspaceFor(backend, release, live);
    return { release, before };
  }, [backend, id, live]);
  const [comment, setComment] = useState('');
  const [rollout, setRollout] = useState(100);
  const [mode, setMode] = useState<DeployMode>('live');
  const [guardrails, setGuardrails] = useState<GuardrailRow[]>([]);
  const guardsOk = guardrailsValid(guardrails);
  const [actionError, setActionError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const identity = useSession((s) => s.identity);

  const act = async (f: () => Promise<void>, done: string) => {
    setBusy(true);
    setActionError(null);
    setMessage(null);
    try {
      await f();
      setMessage(done);
      reload();
      onChanged();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  if (loading && !data) return <div className="muted">{t('common.loading')}</div>;
  if (error) return <ErrorBanner error={error} />;
  if (!data) return null;
  const r = data.release;
  return (
    <div className="release-panel" data-testid="release-panel">
      <div className="release-head">
        <h3>
          {t('review.release')} {r.release} · v{r.version} <StatusBadge status={r.status} />
        </h3>
        <div className="muted">
          {t('review.author')}: {r.author} · {formatTime(r.created_at)} · {t('review.journeys')}: {(r.journeys ?? []).join(', ')}
        </div>
      </div>
      <h4>{t('review.validationTitle')}</h4>
      {(r.diagnostics ?? []).length === 0 ? (
        <div className="muted" data-testid="release-diagnostics" data-count="0">
          {t('review.validationClean')}
        </div>
      ) : (
        <DiagLines diags={r.diagnostics} doc={r.workspace} testId="release-diagnostics" count />
      )}
      <h4>{t('review.simTitle')}</h4>
      <SimSummaryCard summary={r.summary} />
      <h4>{t('measure.review.title')}</h4>
      <ReleaseMeasurement backend={backend} release={r} before={data.before} live={live} />
      <h4>{t('review.diff')}</h4>
      <DiffView before={data.before} after={r.workspace} />
      <div className="release-actions">
        {r.status === 'pending_review' ? (
          <div className="review-form">
            <Field label={t('review.comment')}>
              <textarea rows={2} value={comment} onChange={(e) => setComment(e.target.value)} data-testid="review-comment" />
            </Field>
            <button type="button" className="primary" disabled={busy || !!approveBlocker(identity, r.author)} onClick={() => void act(() => backend.approveRelease(r.release, comment), t('review.approved'))} data-testid="approve">
              {t('review.approve')}
            </button>
            <button type="button" className="danger" disabled={busy} onClick={() => void act(() => backend.rejectRelease(r.release, comment), t('review.rejected'))} data-testid="reject">
              {t('review.reject')}
            </button>
            <BlockedReason blocker={approveBlocker(identity, r.author)} action="approve" />
          </div>
        ) : null}
        {r.status === 'approved' || r.status === 'deployed' ? (
          <div className="deploy-form">
            <h4>{t('review.deployTitle')}</h4>
            <p className="muted" data-testid="version-note">
              {t('review.versionNote', { version: r.version })}
            </p>
            <Field label={t('review.rollout')}>
              <NumberInput value={rollout} integer min={1} max={100} onChange={(v) => setRollout(Math.max(1, Math.min(100, v ?? 100)))} testId="rollout" />
            </Field>
            <Field label={t('review.mode')}>
              <select value={mode} onChange={(e) => setMode(e.target.value as DeployMode)} data-testid="deploy-mode">
                <option value="live">{t('review.modes.live')}</option>
                <option value="shadow">{t('review.modes.shadow')}</option>
              </select>
            </Field>
            <GuardrailEditor rows={guardrails} onChange={setGuardrails} />
            {!guardsOk ? (
              <div className="field-error" data-testid="guardrails-invalid">
                {t('live.guardrails.invalid')}
              </div>
            ) : null}
            <DeployButton
              version={r.version}
              journeys={r.journeys ?? []}
              rollout={rollout}
              mode={mode}
              disabled={busy || !!deployBlocker(identity) || !guardsOk}
              onDeploy={() => void act(() => backend.deployRelease(r.release, { rollout_percent: rollout, mode, guardrails: guardrailsBody(guardrails) }), t('review.deployed'))}
            />
            <BlockedReason blocker={deployBlocker(identity)} action="deploy" />
          </div>
        ) : null}
        {message ? <div className="banner banner-ok">{message}</div> : null}
        <ErrorBanner error={actionError} testId="action-error" />
      </div>
      <h4>{t('review.reviews')}</h4>
      {(r.reviews ?? []).length === 0 ? (
        <div className="muted">{t('review.noReviews')}</div>
      ) : (
        <ul className="reviews">
          {r.reviews.map((rv, i) => (
            <li key={i}>
              <b>{rv.reviewer}</b> {t(`identity.verdicts.${rv.decision}`, { defaultValue: rv.decision })} · {formatTime(rv.at)}
              {splitReviewNote(rv.comment).selfReview ? <span className="badge" data-testid="self-review">{t('identity.selfReview')}</span> : null}
              {splitReviewNote(rv.comment).text ? ` — ${splitReviewNote(rv.comment).text}` : ''}
            </li>
          ))}
        </ul>
      )}
      {r.deployments?.length ? (
        <ul className="reviews">
          {r.deployments.map((d, i) => (
            <li key={i}>
              {d.journey ?? ''} {d.rollout_percent}% {t(`deployConfirm.modes.${d.mode}`, { defaultValue: d.mode })} · {d.by ?? ''} · {formatTime(d.at)}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function ReleaseList({ releases, selected, onSelect, empty, testId }: { releases: ReleaseSummary[]; selected: string | null; onSelect: (id: string) => void; empty: string; testId: string }) {
  const { t } = useTranslation();
  if (releases.length === 0) return <div className="muted">{empty}</div>;
  return (
    <table className="release-table" data-testid={testId}>
      <thead>
        <tr>
          <th>{t('review.release')}</th>
          <th>{t('review.version')}</th>
          <th>{t('review.status')}</th>
          <th>{t('review.author')}</th>
          <th>{t('review.created')}</th>
          <th>{t('review.journeys')}</th>
        </tr>
      </thead>
      <tbody>
        {releases.map((r) => (
          <tr key={r.release} className={selected === r.release ? 'selected' : ''} onClick={() => onSelect(r.release)} data-testid={`release-${r.release}`}>
            <td>{r.release}</td>
            <td>v{r.version}</td>
            <td>
              <StatusBadge status={r.status} />
            </td>
            <td>{r.author}</td>
            <td className="nowrap">{formatTime(r.created_at)}</td>
            <td>{(r.journeys ?? []).join(', ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LiveTable({ backend, live, onChanged }: { backend: Backend; live: LiveJourney[]; onChanged: () => void }) {
  const { t } = useTranslation();
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  if (live.length === 0) return <div className="muted">{t('review.liveEmpty')}</div>;
  return (
    <>
      <table className="release-table" data-testid="live-table">
        <tbody>
          {live.map((l) => (
            <tr key={l.id}>
              <td>
                <b>{l.id}</b>
              </td>
              <td>v{l.version}</td>
              <td>{l.rollout_percent}%</td>
              <td>{t(`review.modes.${l.mode}`, { defaultValue: l.mode })}</td>
              <td className="nowrap">{formatTime(l.deployed_at)}</td>
              <td>
                <button
                  type="button"
                  data-testid={`rollback-${l.id}`}
                  onClick={async () => {
                    if (!window.confirm(t('review.confirmRollback', { id: l.id }))) return;
                    setError(null);
                    try {
                      await backend.rollbackJourney(l.id);
                      setMessage(t('review.rolledBack', { id: l.id }));
                      onChanged();
                    } catch (e) {
                      setError(e);
                    }
                  }}
                >
                  {t('review.rollback')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {message ? <div className="banner banner-ok">{message}</div> : null}
      <ErrorBanner error={error} />
    </>
  );
}

export function Review({ backend }: { backend: Backend }) {
  const { t } = useTranslation();
  const [selected, setSelected] = useState<string | null>(null);
  const pending = useAsync(() => backend.listReleases('pending_review'), [backend]);
  const all = useAsync(() => backend.listReleases(), [backend]);
  const live = useAsync(() => backend.listJourneys(), [backend]);
  const reloadAll = () => {
    pending.reload();
    all.reload();
    live.reload();
  };
  const history = [...(all.data ?? [])].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  return (
    <div className="review" data-testid="review-view">
      <div className="review-side">
        <SubmitCard backend={backend} onSubmitted={reloadAll} />
        <Section
          title={t('review.inbox')}
          actions={
            <button type="button" onClick={reloadAll} data-testid="refresh-releases">
              {t('review.refresh')}
            </button>
          }
        >
          <ErrorBanner error={pending.error} />
          <ReleaseList releases={pending.data ?? []} selected={selected} onSelect={setSelected} empty={t('review.inboxEmpty')} testId="inbox" />
        </Section>
        <Section title={t('review.live')}>
          <ErrorBanner error={live.error} />
          <LiveTable backend={backend} live={live.data ?? []} onChanged={reloadAll} />
        </Section>
        <Section title={t('review.history')}>
          <ErrorBanner error={all.error} />
          <ReleaseList releases={history} selected={selected} onSelect={setSelected} empty={t('review.historyEmpty')} testId="history" />
        </Section>
      </div>
      <div className="review-main">
        {selected ? <ReleasePanel key={selected} backend={backend} id={selected} live={live.data ?? []} onChanged={reloadAll} /> : <div className="empty-state">{t('review.select')}</div>}
      </div>
    </div>
  );
}

export function ReviewView() {
  const backend = useSession((s) => s.backend);
  return <NeedsEngine>{backend ? <Review backend={backend} /> : null}</NeedsEngine>;
}
