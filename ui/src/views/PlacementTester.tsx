// The placement tester on the Design view (issue 19 part 5, docs/decide.md): ask the engine what a
// page's slot would show a user, as the page asks it (`POST /v1/decide`), and see the answer in
// words and the way it took on the journey's canvas. The answer comes from the journeys live on
// the engine, not from the draft on the canvas.

import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { BackendError, isMissingRoute, unsupported, type Backend, type DecideAnswer, type DecideRequest } from '../backend';
import { ErrorBanner, Field, NumberInput, PickOrType, formatTime } from '../common/ui';
import { journeysOf, offersOf } from '../model/commands';
import { docCurrency, formatMoney, policyZone } from '../model/format';
import { isObject, str } from '../model/nodeTypes';
import {
  contextFromJson,
  contextFromRows,
  placementPath,
  placementProblem,
  placementsOf,
  testerRequestId,
  type ContextResult,
  type ContextRow,
} from '../model/placement';
import { channelText, reasonText } from '../model/vocab';
import type { Workspace } from '../model/types';
import { editorStore, useEditor } from '../store/editor';
import { placementStore } from '../store/placement';
import { useSession } from '../store/session';
import { NeedsEngine } from './EngineSettings';

/** The tester's default time limit: longer than the page's 200 ms, a person is waiting here. */
export const TESTER_TIMEOUT_MS = 1000;

/** A `none` answer's reason in words: the placement's own wording, else the log's. */
export function placementReasonText(t: TFunction, reason: string): string {
  return t(`placement.reasons.${reason}`, { defaultValue: '' }) || reasonText(t, reason);
}

/**
 * Whether an error means the engine (or the shell) has no placement route or command: a 404 over
 * HTTP, an unknown command in an older shell, or the fallback's "no such route" relayed by the
 * shell from a remote engine (no status then). `POST /v1/decide` itself never answers 404.
 */
function noPlacements(e: unknown): boolean {
  return e instanceof BackendError && (unsupported(e) || isMissingRoute(e) || e.status === 404 || (e.code === 'E_NOT_FOUND' && /no such route/i.test(e.message)));
}

/** The answer's way on the canvas of the open workspace: shown, or why not. */
type PathState = { state: 'shown'; journey: number } | { state: 'notInWorkspace' } | { state: 'nodeNotInDraft' } | { state: 'none' };

function pathOf(doc: Workspace, placement: string, a: DecideAnswer): { state: PathState; nodes: Set<string> } {
  if (!a.journey || !a.node) return { state: { state: 'none' }, nodes: new Set() };
  const journeys = journeysOf(doc);
  const index = journeys.findIndex((j) => j.id === a.journey);
  if (index < 0) return { state: { state: 'notInWorkspace' }, nodes: new Set() };
  const nodes = placementPath(journeys[index], placement, a.node);
  if (nodes.size === 0) return { state: { state: 'nodeNotInDraft' }, nodes };
  return { state: { state: 'shown', journey: index }, nodes };
}

/** Draws the answer's way on the canvas (its journey's tab, the way, the answering node selected). */
function showOnCanvas(doc: Workspace, placement: string, a: DecideAnswer): PathState {
  const { state, nodes } = pathOf(doc, placement, a);
  if (state.state !== 'shown' || !a.journey || !a.node) {
    placementStore.getState().setHighlight(null);
    return state;
  }
  placementStore.getState().setHighlight({ journey: a.journey, node: a.node, nodes: [...nodes] });
  editorStore.getState().focusNode(state.journey, a.node, [...nodes]);
  return state;
}

const rowsOf = (v: Record<string, unknown>): ContextRow[] => Object.entries(v).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) }));

function contextError(t: TFunction, r: ContextResult): string | null {
  if (r.ok) return null;
  if (r.error === 'badJson') return t('placement.tester.badJson', { message: r.detail ?? '' });
  if (r.error === 'duplicateKey') return t('placement.tester.duplicateKey', { key: r.detail ?? '' });
  return t('placement.tester.notObject');
}

function Tester({ backend }: { backend: Backend }) {
  const { t } = useTranslation();
  const doc = useEditor((s) => s.doc);
  const placements = useMemo(() => placementsOf(doc), [doc]);
  const [placement, setPlacement] = useState(() => placements[0] ?? '');
  const [user, setUser] = useState('');
  const [mode, setMode] = useState<'rows' | 'json'>('rows');
  const [rows, setRows] = useState<ContextRow[]>([{ key: '', value: '' }]);
  const [json, setJson] = useState('{}');
  const [timeoutMs, setTimeoutMs] = useState<number | undefined>(TESTER_TIMEOUT_MS);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [noRoute, setNoRoute] = useState(false);
  const [result, setResult] = useState<{ req: DecideRequest; answer: DecideAnswer; path: PathState } | null>(null);
  const seq = useRef(0);

  // A placement added to the workspace while none was picked becomes the pick.
  useEffect(() => {
    if (!placement && placements[0]) setPlacement(placements[0]);
  }, [placements, placement]);

  const context = mode === 'rows' ? contextFromRows(rows) : contextFromJson(json);
  const ctxError = contextError(t, context);
  const placementBad = placementProblem(placement);

  const ask = async () => {
    if (busy) return;
    if (placementBad) return setProblem(t('placement.tester.needPlacement'));
    if (!user.trim()) return setProblem(t('placement.tester.needUser'));
    if (!context.ok) return setProblem(ctxError);
    setProblem(null);
    setError(null);
    setNoRoute(false);
    placementStore.getState().setHighlight(null);
    if (typeof backend.decide !== 'function') {
      setNoRoute(true);
      return;
    }
    const req: DecideRequest = { request_id: testerRequestId(), user_id: user.trim(), placement, context: context.value };
    const mine = ++seq.current;
    setBusy(true);
    try {
      const answer = await backend.decide(req, timeoutMs);
      if (mine !== seq.current) return;
      const path = showOnCanvas(editorStore.getState().doc, placement, answer);
      setResult({ req, answer, path });
    } catch (e) {
      if (mine !== seq.current) return;
      setResult(null);
      if (noPlacements(e)) setNoRoute(true);
      else setError(e);
    } finally {
      if (mine === seq.current) setBusy(false);
    }
  };

  const switchMode = (to: 'rows' | 'json') => {
    if (to === mode) return;
    if (to === 'json') {
      const r = contextFromRows(rows);
      if (r.ok) setJson(JSON.stringify(r.value, null, 2));
    } else {
      const r = contextFromJson(json);
      if (!r.ok) return setProblem(contextError(t, r));
      const next = rowsOf(r.value);
      setRows(next.length ? next : [{ key: '', value: '' }]);
    }
    setProblem(null);
    setMode(to);
  };

  const setRow = (i: number, patch: Partial<ContextRow>) => setRows(rows.map((r, k) => (k === i ? { ...r, ...patch } : r)));

  return (
    <div className="tester-body">
      <div className="banner banner-info" data-testid="tester-live-note">
        {t('placement.tester.live')}
      </div>
      <Field
        label={t('placement.tester.placement')}
        error={placement && placementBad ? t(`placement.form.${placementBad}`) : undefined}
        hint={placements.length === 0 ? t('placement.tester.noPlacements') : undefined}
      >
        <PickOrType value={placement} options={placements.map((p) => ({ value: p, label: p }))} onChange={setPlacement} otherLabel={t('placement.tester.other')} testId="tester-placement" />
      </Field>
      <Field label={t('placement.tester.user')}>
        <input
          type="text"
          value={user}
          placeholder={t('placement.tester.userPlaceholder')}
          data-testid="tester-user"
          onChange={(e) => setUser(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              void ask();
            }
          }}
        />
      </Field>
      <Field label={t('placement.tester.context')} hint={t('placement.tester.contextHint')} error={ctxError ?? undefined} group>
        <span className="chips" role="tablist">
          {(['rows', 'json'] as const).map((m) => (
            <button key={m} type="button" role="tab" aria-selected={mode === m} className={mode === m ? 'chip on' : 'chip'} onClick={() => switchMode(m)} data-testid={`tester-mode-${m}`}>
              {t(`placement.tester.${m}`)}
            </button>
          ))}
        </span>
        {mode === 'rows' ? (
          <div className="tester-rows">
            {rows.map((r, i) => (
              <div key={i} className="tester-row">
                <input type="text" value={r.key} placeholder={t('placement.tester.key')} aria-label={t('placement.tester.key')} data-testid={`tester-key-${i}`} onChange={(e) => setRow(i, { key: e.target.value })} />
                <input type="text" value={r.value} placeholder={t('placement.tester.value')} aria-label={t('placement.tester.value')} data-testid={`tester-value-${i}`} onChange={(e) => setRow(i, { value: e.target.value })} />
                <button type="button" className="danger" title={t('placement.tester.remove')} onClick={() => setRows(rows.length > 1 ? rows.filter((_, k) => k !== i) : [{ key: '', value: '' }])}>
                  ✕
                </button>
              </div>
            ))}
            <button type="button" onClick={() => setRows([...rows, { key: '', value: '' }])} data-testid="tester-add-row">
              + {t('placement.tester.addRow')}
            </button>
          </div>
        ) : (
          <textarea rows={5} spellCheck={false} value={json} className={ctxError ? 'invalid' : ''} data-testid="tester-json" onChange={(e) => setJson(e.target.value)} />
        )}
      </Field>
      <Field label={t('placement.tester.timeout')}>
        <NumberInput value={timeoutMs} integer optional min={0} max={10000} onChange={setTimeoutMs} testId="tester-timeout" />
      </Field>
      <div className="tester-actions">
        <button type="button" className="primary" disabled={busy} onClick={() => void ask()} data-testid="tester-ask">
          {t('placement.tester.ask')}
        </button>
        {busy ? (
          <span className="muted" role="status" data-testid="tester-asking">
            {t('placement.tester.asking')}
          </span>
        ) : null}
      </div>
      {problem ? (
        <div className="field-error" role="alert" data-testid="tester-problem">
          {problem}
        </div>
      ) : null}
      {noRoute ? (
        <div className="banner banner-info" data-testid="tester-unsupported">
          {t('placement.tester.unsupported')}
        </div>
      ) : null}
      <ErrorBanner error={error} testId="tester-error" />
      {result && !busy ? <Answer doc={doc} {...result} /> : null}
    </div>
  );
}

function Answer({ doc, req, answer: a, path }: { doc: Workspace; req: DecideRequest; answer: DecideAnswer; path: PathState }) {
  const { t } = useTranslation();
  const offer = a.offer;
  const offerName = offer ? offersOf(doc).find((o) => o.id === offer.id)?.name : undefined;
  const content = isObject(a.content) ? a.content : null;
  const where = a.journey ? t('placement.tester.where', { journey: a.journey, version: a.version ?? '?', node: a.node ?? '?' }) : t('placement.tester.noJourneyRan');
  return (
    <div className={`tester-answer decision-${a.decision}`} data-testid="tester-answer">
      <dl className="tester-facts">
        <dt>{t('placement.tester.decisionLabel')}</dt>
        <dd>
          <b data-testid="tester-decision">{t(`placement.tester.decision.${a.decision}`, { defaultValue: a.decision })}</b>
        </dd>
        {offer ? (
          <>
            <dt>{t('placement.tester.offer')}</dt>
            <dd data-testid="tester-offer">
              {typeof offerName === 'string' && offerName ? `${offerName} (${offer.id})` : offer.id}{' '}
              <span className={offer.reused ? 'badge badge-warning' : 'badge'} data-testid={offer.reused ? 'tester-reused' : 'tester-issued'}>
                {offer.reused ? t('placement.tester.reused') : t('placement.tester.issued')}
              </span>
            </dd>
            <dt>{t('placement.tester.amount')}</dt>
            <dd data-testid="tester-amount">{formatMoney(offer.amount, { currency: docCurrency(doc) })}</dd>
            <dt>{t('placement.tester.instance')}</dt>
            <dd>
              <code data-testid="tester-instance">{offer.instance}</code>
            </dd>
            <dt>{t('placement.tester.expires')}</dt>
            <dd data-testid="tester-expires">{offer.expires_at ? formatTime(offer.expires_at, policyZone(doc)) : t('placement.tester.noExpiry')}</dd>
          </>
        ) : null}
        {content ? (
          <>
            <dt>{t('placement.tester.channel')}</dt>
            <dd data-testid="tester-channel">{typeof content.channel === 'string' ? channelText(t, content.channel) : t('placement.tester.fallbackChannel')}</dd>
            <dt>{t('placement.tester.template')}</dt>
            <dd>
              <code>{str(content.template, '?')}</code>
            </dd>
            {content.content !== undefined && content.content !== null ? (
              <>
                <dt>{t('placement.tester.content')}</dt>
                <dd>
                  <pre className="tester-content" data-testid="tester-content">
                    {JSON.stringify(content.content, null, 2)}
                  </pre>
                </dd>
              </>
            ) : null}
          </>
        ) : null}
        {a.reason ? (
          <>
            <dt>{t('placement.tester.reason')}</dt>
            <dd data-testid="tester-reason">
              {placementReasonText(t, a.reason)} <code>{a.reason}</code>
            </dd>
          </>
        ) : null}
        <dt>{a.decision === 'none' ? t('placement.tester.refusedAt') : t('placement.tester.answeredBy')}</dt>
        <dd data-testid="tester-where">{where}</dd>
        <dt>{t('placement.tester.trace')}</dt>
        <dd>
          <code data-testid="tester-trace">{a.trace_id}</code>
        </dd>
        <dt>{t('placement.tester.requestId')}</dt>
        <dd>
          <code>{req.request_id}</code>
        </dd>
      </dl>
      <PathNote answer={a} placement={req.placement} path={path} />
    </div>
  );
}

function PathNote({ answer: a, placement, path }: { answer: DecideAnswer; placement: string; path: PathState }) {
  const { t } = useTranslation();
  if (path.state === 'none') return null;
  if (path.state === 'notInWorkspace') {
    return (
      <div className="field-hint" data-testid="tester-path-note">
        {t('placement.tester.notInWorkspace', { journey: a.journey })}
      </div>
    );
  }
  if (path.state === 'nodeNotInDraft') {
    return (
      <div className="field-hint" data-testid="tester-path-note">
        {t('placement.tester.nodeNotInDraft', { node: a.node, journey: a.journey })}
      </div>
    );
  }
  return (
    <div className="field-hint tester-path" data-testid="tester-path-note">
      {t('placement.tester.shown', { node: a.node })}{' '}
      <button type="button" className="link" onClick={() => showOnCanvas(editorStore.getState().doc, placement, a)} data-testid="tester-show-path">
        {t('placement.tester.showPath')}
      </button>{' '}
      <button type="button" className="link" onClick={() => placementStore.getState().setHighlight(null)} data-testid="tester-clear">
        {t('placement.tester.clear')}
      </button>
    </div>
  );
}

/** The tester's panel: over the Design view's canvas, beside the toolbar that opens it. */
export function PlacementTester() {
  const { t } = useTranslation();
  const backend = useSession((s) => s.backend);
  return (
    <section className="placement-tester" role="dialog" aria-label={t('placement.tester.title')} data-testid="placement-tester">
      <div className="tester-head">
        <h3>{t('placement.tester.title')}</h3>
        <button type="button" className="link" onClick={() => placementStore.getState().setOpen(false)} title={t('placement.tester.close')} aria-label={t('placement.tester.close')} data-testid="tester-close">
          ✕
        </button>
      </div>
      <NeedsEngine>{backend ? <Tester backend={backend} /> : null}</NeedsEngine>
    </section>
  );
}
