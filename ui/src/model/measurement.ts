// Reading the measurement sections of a report (docs/measurement.md): the settings that shape
// them, the experiments a journey runs, per-arm intervals for the charts, and defensive readers
// for what travels as opaque JSON (a release's summary, an older engine's answer).

import { formatCount } from './format';
import type { ArmsMeasurement, HoldoutPlanRow, Interval, Journey, MeasurementPlan, Workspace } from './types';

export interface MeasurementSettings {
  /** Two-sided significance level: intervals are 1 − alpha. */
  alpha: number;
  /** Relative minimum detectable effect that `users_needed` aims for. */
  mde: number;
  /** Power that `users_needed` and the holdout plan aim for. */
  power: number;
}

export const DEFAULT_SETTINGS: MeasurementSettings = { alpha: 0.05, mde: 0.1, power: 0.8 };

const inUnit = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1 ? v : d);

/** `policy.measurement` with its defaults (a bad value is the engine's diagnostic; here it falls back). */
export function settingsOf(ws: Workspace | null | undefined): MeasurementSettings {
  const m = ws?.policy?.measurement;
  return {
    alpha: inUnit(m?.alpha, DEFAULT_SETTINGS.alpha),
    mde: typeof m?.mde === 'number' && Number.isFinite(m.mde) && m.mde > 0 ? m.mde : DEFAULT_SETTINGS.mde,
    power: inUnit(m?.power, DEFAULT_SETTINGS.power),
  };
}

/** The confidence level of the intervals as a percentage label ("95"). */
export function levelOf(alpha: number): string {
  const l = (1 - alpha) * 100;
  return Number.isInteger(Math.round(l * 10) / 10) ? String(Math.round(l)) : l.toFixed(1);
}

/** The experiment ids the `split.experiment` nodes of a journey assign, in node order. */
export function experimentsOf(journey: Journey | null | undefined): string[] {
  const out: string[] = [];
  for (const n of journey?.nodes ?? []) {
    const id = n.type === 'split.experiment' ? n.params?.experiment : undefined;
    if (typeof id === 'string' && id && !out.includes(id)) out.push(id);
  }
  return out;
}

/** The journey's own holdout percent (entry.holdout_percent), if any. */
export function journeyHoldout(journey: Journey | null | undefined): number | null {
  const h = journey?.entry?.holdout_percent;
  return typeof h === 'number' && h > 0 ? h : null;
}

/** Whether the control arm has users: only then can anything be compared. */
export function hasControl(m: ArmsMeasurement | null | undefined): boolean {
  return !!m && (m.arms?.[m.control]?.users ?? 0) > 0;
}

/** The arms in display order: the control first, then the others as the engine lists them. */
export function armOrder(m: ArmsMeasurement): string[] {
  const names = Object.keys(m.arms ?? {});
  return names.includes(m.control) ? [m.control, ...names.filter((n) => n !== m.control)] : names;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9 after refinement). */
export function normInv(p: number): number {
  if (!(p > 0 && p < 1)) return Number.NaN;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
}

/**
 * Wilson score interval of an arm's conversion rate at 1 − alpha: what the per-arm bars show
 * (the engine reports intervals of the comparison, not of each arm). Null without users.
 */
export function wilson(converters: number, users: number, alpha: number): Interval | null {
  if (!(users > 0)) return null;
  const z = normInv(1 - alpha / 2);
  const p = converters / users;
  const z2 = z * z;
  const den = 1 + z2 / users;
  const mid = (p + z2 / (2 * users)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / users + z2 / (4 * users * users))) / den;
  return [Math.max(0, mid - half), Math.min(1, mid + half)];
}

// ---- reading what travels as opaque JSON ----

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A plan from any JSON, or null when it is not one (a release's summary is free-form). */
export function readPlan(v: unknown): MeasurementPlan | null {
  if (!isObj(v) || !Array.isArray(v.holdouts)) return null;
  const holdouts: HoldoutPlanRow[] = [];
  for (const h of v.holdouts) {
    if (!isObj(h) || typeof h.percent !== 'number') continue;
    holdouts.push({ percent: h.percent, users: numOrNull(h.users), days: numOrNull(h.days) });
  }
  return {
    treated_users: numOrNull(v.treated_users) ?? 0,
    baseline_rate: numOrNull(v.baseline_rate),
    revenue: typeof v.revenue === 'string' ? v.revenue : String(numOrNull(v.revenue) ?? 0),
    cost: typeof v.cost === 'string' ? v.cost : String(numOrNull(v.cost) ?? 0),
    break_even_lift: numOrNull(v.break_even_lift),
    users_per_day: numOrNull(v.users_per_day),
    holdouts,
  };
}

/** An arms measurement from any JSON (an engine answer), or null when it lacks the contract's core. */
export function readArms(v: unknown): ArmsMeasurement | null {
  if (!isObj(v) || typeof v.control !== 'string' || !isObj(v.arms)) return null;
  return {
    ...v,
    window: typeof v.window === 'string' ? v.window : '',
    control: v.control,
    arms: v.arms as ArmsMeasurement['arms'],
    srm: isObj(v.srm) ? (v.srm as unknown as ArmsMeasurement['srm']) : null,
    vs_control: isObj(v.vs_control) ? (v.vs_control as ArmsMeasurement['vs_control']) : {},
    daily: Array.isArray(v.daily) ? (v.daily as ArmsMeasurement['daily']) : [],
  };
}

// ---- numbers as text ----

const MINUS = '\u2212';

/** A share as a percentage: 0.1234 → "12.3%" (two decimals under 1%). */
export function pct(x: number, digits?: number): string {
  const d = digits ?? (Math.abs(x) < 0.01 && x !== 0 ? 2 : 1);
  const s = (x * 100).toFixed(d);
  return `${s.startsWith('-') ? MINUS + s.slice(1) : s}%`;
}

/** A change as a signed percentage: 0.25 → "+25.0%". */
export function signedPct(x: number, digits?: number): string {
  const s = pct(x, digits);
  return x > 0 ? `+${s}` : s;
}

/** An absolute difference of rates in percentage points: 0.02 → "+2.00 pp". */
export function pp(x: number): string {
  const s = (x * 100).toFixed(2);
  return `${x > 0 ? '+' : ''}${s.startsWith('-') ? MINUS + s.slice(1) : s} pp`;
}

/** A plain signed number with `digits` decimals and thousands separators. */
export function signedNum(x: number, digits = 1): string {
  const s = Math.abs(x).toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${x < 0 ? MINUS : x > 0 ? '+' : ''}${s}`;
}

export function pValue(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** A p-value after "p" in a sentence: "= 0.750" or "< 0.001". */
export function pIs(p: number): string {
  return p < 0.001 ? '< 0.001' : `= ${p.toFixed(3)}`;
}

export function int(x: number): string {
  return formatCount(Math.round(x));
}

/** Days of traffic: one decimal under 10 days, whole days above. */
export function days(x: number): string {
  return x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString();
}
