// Running live campaigns safely (issue 18, docs/operations.md): the shapes of the control routes
// and the pure helpers the Monitor's live controls use (pacing chart points, request bodies,
// guardrail validation).
//
// The answers' types below are hand-written to the exact shapes of the service's wire types
// (trellis_api::wire::{ControlEntry, ControlState, DegradeEntry, CampaignControl, Alert}); once
// ts-rs generates them into ui/src/generated/, these can be replaced by re-exports of those.

import type { DeployMode } from '../generated/DeployMode';

// ---- the answers ----

export const CONTROL_ACTIONS = ['pause', 'resume', 'close', 'degrade', 'breaker_trip', 'breaker_reset', 'guardrail_rollback'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

export type OnOff = 'on' | 'off';

export type ControlEntry = {
  action: ControlAction;
  /** A journey id, a campaign id, or '' for engine-wide. */
  target: string;
  scope: 'entries' | 'all' | null;
  reason: string;
  actor: string;
  at: string;
  released: string | null;
  // degrade
  offers: OnOff | null;
  touches: OnOff | null;
  per_minute: number | null;
  // guardrail_rollback: the figures that tripped it, the version rolled back
  metric: string | null;
  value: string | null;
  max: string | null;
  entries: number | null;
  version: number | null;
};

export type DegradeEntry = {
  /** null: engine-wide. */
  campaign: string | null;
  offers: OnOff;
  touches: OnOff;
  /** Touches throttled to N per minute when set. */
  per_minute: number | null;
  reason: string;
  actor: string;
  at: string;
};

export type Pacing = {
  mode: 'even';
  period: 'day' | 'hour';
  /** N. */
  periods: number;
  /** k, 1-based, 0 before start. */
  period_index: number;
  /** total·k/N. */
  allowed: string;
  /** Committed at the end of each period reached (the last one = now). */
  burn: { period: number; committed: string }[];
};

export type Breaker = {
  max_committed: string;
  /** e.g. "1h". */
  within: string;
  committed_in_window: string;
  tripped: boolean;
  tripped_at: string | null;
};

export type CampaignControl = {
  campaign: string;
  total: string;
  committed: string;
  start: string | null;
  end: string | null;
  pacing: Pacing | null;
  breaker: Breaker | null;
};

export type ControlState = {
  paused: ControlEntry[];
  closed: ControlEntry[];
  history: ControlEntry[];
  degrade: DegradeEntry[];
  campaigns: CampaignControl[];
};

export const ALERT_RULES = [
  'budget_burn_ahead',
  'redemption_rate_falling',
  'unsubscribe_rate_rising',
  'touch_failures_rising',
  'rejections_spiking',
  'ledger_unreconciled',
  'breaker_tripped',
  'guardrail_rolled_back',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export type Alert = {
  id: string;
  rule: AlertRule;
  severity: 'warning' | 'critical';
  target: string;
  value: string;
  threshold: string;
  since: string;
  active: boolean;
};

// ---- the requests ----

/** `POST /v1/control`: omitted fields keep what is in force; no `campaign` is engine-wide. */
export type DegradeRequest = {
  offers?: OnOff;
  touches?: OnOff | { per_minute: number };
  campaign?: string;
  reason?: string;
};

export const GUARDRAIL_METRICS = ['unsubscribe_rate', 'offer_rejected_rate', 'touch_failed_rate', 'cost_per_entry'] as const;
export type GuardrailMetric = (typeof GUARDRAIL_METRICS)[number];

/** One guardrail of a deploy body: `max` an exact decimal, `min_entries` a positive integer. */
export type Guardrail = { metric: GuardrailMetric; max: string; min_entries: number };

export type DeployRequest = { rollout_percent: number; mode: DeployMode; guardrails?: Guardrail[] };

// ---- reading an answer (older engines answer less) ----

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/**
 * `GET /v1/control` read leniently: an engine before the degrade switch and budgets answers only
 * `paused`, `closed` and `history`; the missing lists are empty. Entries keep what they have and
 * the new fields are null when absent.
 */
export function readControlState(v: unknown): ControlState {
  const o = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  const entry = (e: Partial<ControlEntry>): ControlEntry => ({
    action: e.action ?? ('pause' as ControlAction),
    target: e.target ?? '',
    scope: e.scope ?? null,
    reason: e.reason ?? '',
    actor: e.actor ?? '',
    at: e.at ?? '',
    released: e.released ?? null,
    offers: e.offers ?? null,
    touches: e.touches ?? null,
    per_minute: e.per_minute ?? null,
    metric: e.metric ?? null,
    value: e.value ?? null,
    max: e.max ?? null,
    entries: e.entries ?? null,
    version: e.version ?? null,
  });
  return {
    paused: arr<Partial<ControlEntry>>(o.paused).map(entry),
    closed: arr<Partial<ControlEntry>>(o.closed).map(entry),
    history: arr<Partial<ControlEntry>>(o.history).map(entry),
    degrade: arr<DegradeEntry>(o.degrade),
    campaigns: arr<CampaignControl>(o.campaigns),
  };
}

/** `GET /v1/alerts`'s list. */
export function readAlerts(v: unknown): Alert[] {
  const o = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  return arr<Alert>(o.alerts);
}

// ---- what is in force ----

/** The pause in force on a journey, if any. */
export function pauseOf(state: ControlState | null, journey: string): ControlEntry | null {
  return state?.paused.find((p) => p.target === journey) ?? null;
}

/** The degrade in force for a campaign (or engine-wide for null), if any. */
export function degradeOf(state: ControlState | null, campaign: string | null): DegradeEntry | null {
  return state?.degrade.find((d) => (d.campaign ?? null) === campaign) ?? null;
}

export function closedOf(state: ControlState | null, campaign: string): ControlEntry | null {
  return state?.closed.find((c) => c.target === campaign) ?? null;
}

// ---- the degrade form ----

export type TouchChoice = 'keep' | 'on' | 'off' | 'per_minute';
export type OfferChoice = 'keep' | 'on' | 'off';

export type DegradeForm = {
  /** '' = engine-wide. */
  campaign: string;
  offers: OfferChoice;
  touches: TouchChoice;
  /** The text typed for N per minute. */
  perMinute: string;
  reason: string;
};

export type DegradeProblem = 'nothing' | 'perMinute';

/** The body of `POST /v1/control` for a form, or what is wrong with it. */
export function degradeBody(f: DegradeForm): { body: DegradeRequest } | { problem: DegradeProblem } {
  const body: DegradeRequest = {};
  if (f.offers !== 'keep') body.offers = f.offers;
  if (f.touches === 'per_minute') {
    const t = f.perMinute.trim();
    if (!/^\d+$/.test(t) || Number(t) < 1) return { problem: 'perMinute' };
    body.touches = { per_minute: Number(t) };
  } else if (f.touches !== 'keep') body.touches = f.touches;
  if (body.offers === undefined && body.touches === undefined) return { problem: 'nothing' };
  if (f.campaign) body.campaign = f.campaign;
  if (f.reason.trim()) body.reason = f.reason.trim();
  return { body };
}

// ---- guardrails ----

export type GuardrailRow = { metric: GuardrailMetric; max: string; minEntries: string };
export type GuardrailProblems = { max?: 'decimal'; minEntries?: 'positive' };

/** An exact non-negative decimal, as the engine reads one ("0.02", "5", "5.00"). */
export const DECIMAL = /^\d+(\.\d+)?$/;

export function guardrailProblems(r: GuardrailRow): GuardrailProblems {
  const p: GuardrailProblems = {};
  if (!DECIMAL.test(r.max.trim())) p.max = 'decimal';
  const n = r.minEntries.trim();
  if (!/^\d+$/.test(n) || Number(n) < 1 || !Number.isSafeInteger(Number(n))) p.minEntries = 'positive';
  return p;
}

export function guardrailsValid(rows: GuardrailRow[]): boolean {
  return rows.every((r) => Object.keys(guardrailProblems(r)).length === 0);
}

/** The deploy body's `guardrails` (undefined when there are none). Assumes valid rows. */
export function guardrailsBody(rows: GuardrailRow[]): Guardrail[] | undefined {
  if (rows.length === 0) return undefined;
  return rows.map((r) => ({ metric: r.metric, max: r.max.trim(), min_entries: Number(r.minEntries.trim()) }));
}

// ---- the pacing chart ----

export type ChartBox = { width: number; height: number; left: number; right: number; top: number; bottom: number };

export const PACING_BOX: ChartBox = { width: 420, height: 200, left: 64, right: 12, top: 12, bottom: 36 };

export type Pt = { period: number; amount: number; x: number; y: number };

export type PacingGeometry = {
  /** Committed by the end of each period reached, from (0, 0). */
  burn: Pt[];
  /** The pacing line total·k/N for k = 0..N. */
  line: Pt[];
  /** The current period k on the x axis (null before start). */
  now: { period: number; x: number } | null;
  xTicks: { period: number; x: number }[];
  yTicks: { amount: number; y: number }[];
  yMax: number;
  /** Committed now above what the line allows now. */
  ahead: boolean;
  box: ChartBox;
};

const num = (s: string | number | null | undefined) => {
  const n = typeof s === 'number' ? s : Number(s ?? 0);
  return Number.isFinite(n) ? n : 0;
};

/** A round step (1, 2 or 5 × 10ⁿ) of at least `x`. */
export function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const e = 10 ** Math.floor(Math.log10(x));
  const f = x / e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/**
 * The points of a campaign's pacing chart: its burn (committed at the end of each period) against
 * the pacing line total·k/N, on periods 0..N and money 0..max(total, burn), in SVG coordinates of
 * `box` (y grows downwards). Null without pacing.
 */
export function pacingGeometry(c: CampaignControl, box: ChartBox = PACING_BOX): PacingGeometry | null {
  const p = c.pacing;
  if (!p || !(p.periods > 0)) return null;
  const n = p.periods;
  const total = num(c.total);
  const burnRaw = [...p.burn].sort((a, b) => a.period - b.period).map((b) => ({ period: b.period, amount: num(b.committed) }));
  const top = Math.max(total, ...burnRaw.map((b) => b.amount), 0);
  const step = niceStep(top / 4 || 1);
  const yMax = Math.max(step, Math.ceil(top / step) * step);
  const w = box.width - box.left - box.right;
  const h = box.height - box.top - box.bottom;
  const x = (k: number) => round2(box.left + (Math.min(Math.max(k, 0), n) / n) * w);
  const y = (v: number) => round2(box.top + h - (Math.max(v, 0) / yMax) * h);
  const pt = (period: number, amount: number): Pt => ({ period, amount, x: x(period), y: y(amount) });
  const line = Array.from({ length: n + 1 }, (_, k) => pt(k, (total * k) / n));
  const burn = [pt(0, 0), ...burnRaw.filter((b) => b.period > 0).map((b) => pt(b.period, b.amount))];
  const xStep = Math.max(1, Math.ceil(n / 8));
  const xTicks: { period: number; x: number }[] = [];
  for (let k = 0; k <= n; k += xStep) xTicks.push({ period: k, x: x(k) });
  if (xTicks[xTicks.length - 1]?.period !== n) xTicks.push({ period: n, x: x(n) });
  const yTicks: { amount: number; y: number }[] = [];
  for (let v = 0; v <= yMax + step / 2; v += step) yTicks.push({ amount: round2(v), y: y(v) });
  const k = p.period_index;
  const allowedNow = num(p.allowed);
  return {
    burn,
    line,
    now: k > 0 ? { period: k, x: x(k) } : null,
    xTicks,
    yTicks,
    yMax,
    ahead: k > 0 && num(c.committed) > allowedNow,
    box,
  };
}

/** Points as an SVG `points` attribute. */
export const svgPoints = (pts: { x: number; y: number }[]) => pts.map((p) => `${p.x},${p.y}`).join(' ');

/** A share committed of a total, 0..∞ (0 without a total). */
export function share(part: string | number, whole: string | number): number {
  const w = num(whole);
  return w > 0 ? num(part) / w : 0;
}

/** Rules whose value and threshold are rates (shown as percentages). */
export const RATE_RULES: readonly AlertRule[] = ['redemption_rate_falling', 'unsubscribe_rate_rising', 'touch_failures_rising', 'rejections_spiking'];
/** Rules whose value and threshold are money. */
export const MONEY_RULES: readonly AlertRule[] = ['budget_burn_ahead', 'ledger_unreconciled', 'breaker_tripped'];
