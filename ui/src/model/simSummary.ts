// The simulation summary that travels with a release (POST /v1/releases { workspace, summary }):
// what the sandbox run of exactly this document gave, so an approver sees its outcome next to the
// diff. Built from the report; read back defensively (a release may carry any JSON, or none).

import type { Json, MeasurementPlan, Report } from './types';
import { readPlan } from './measurement';

export const SIM_SUMMARY_SCHEMA = 'trellis/sim-summary@1';

export interface SimSummary {
  schema: typeof SIM_SUMMARY_SCHEMA;
  /** When the run finished (ISO 8601). */
  simulated_at: string;
  /** The sample it ran on: generated (users × days, seed) or the imported dataset. */
  data: { source: 'generated' | 'imported'; users?: number; days?: number; seed?: number };
  input: { users: number; events: number };
  journeys: Record<string, { entered: number; exited: Record<string, number> }>;
  offers: Record<string, { issued: number; rejected: Record<string, number> }>;
  campaigns: Record<string, { budget: string; spent: string; reserved: string; remaining: string; exhausted_at: string | null }>;
  touches: { sent: Record<string, number>; suppressed: Record<string, number>; deferred: number };
  conversions: { count: number; attributed: number; attributed_revenue: string };
  cost: string;
  roi: number | null;
  /**
   * Per journey, what the replay can say before launch (docs/measurement.md: the break-even lift
   * and the holdout plan). Absent when the engine sent no `incremental` section.
   */
  measurement?: Record<string, { window: string; plan: MeasurementPlan }>;
}

export function buildSimSummary(
  report: Report,
  params: { users: number; days: number; seed: number; source?: 'generated' | 'imported' },
  finishedAt: number,
): SimSummary {
  const source = params.source ?? 'generated';
  const journeys: SimSummary['journeys'] = {};
  for (const [id, j] of Object.entries(report.journeys ?? {})) journeys[id] = { entered: j.entered, exited: { ...j.exited } };
  const offers: SimSummary['offers'] = {};
  for (const [id, o] of Object.entries(report.offers ?? {})) offers[id] = { issued: o.issued, rejected: { ...o.rejected } };
  const campaigns: SimSummary['campaigns'] = {};
  for (const [id, c] of Object.entries(report.campaigns ?? {})) {
    campaigns[id] = { budget: c.budget, spent: c.spent, reserved: c.reserved, remaining: c.remaining, exhausted_at: c.exhausted_at ?? null };
  }
  let measurement: SimSummary['measurement'];
  if (report.incremental) {
    measurement = {};
    for (const [id, m] of Object.entries(report.incremental)) if (m.plan) measurement[id] = { window: m.window, plan: m.plan };
  }
  return {
    schema: SIM_SUMMARY_SCHEMA,
    simulated_at: new Date(finishedAt).toISOString(),
    data: source === 'generated' ? { source, users: params.users, days: params.days, seed: params.seed } : { source },
    input: { users: report.input?.users ?? 0, events: report.input?.events ?? 0 },
    journeys,
    offers,
    campaigns,
    touches: { sent: { ...report.touches.sent }, suppressed: { ...report.touches.suppressed }, deferred: report.touches.deferred },
    conversions: { count: report.conversions.count, attributed: report.conversions.attributed, attributed_revenue: report.conversions.attributed_revenue },
    cost: report.cost,
    roi: report.roi,
    ...(measurement ? { measurement } : {}),
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown, d = '0') => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : d);
const counts = (v: unknown): Record<string, number> => {
  const out: Record<string, number> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'number') out[k] = x;
  return out;
};
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** The figures an approver reads, from whatever a release carries; `null` when it is not a summary. */
export interface SummaryView {
  simulatedAt: string | null;
  data: SimSummary['data'] | null;
  users: number;
  events: number;
  entered: number;
  journeys: [string, number][];
  issued: number;
  rejected: number;
  rejectedBy: [string, number][];
  sent: number;
  suppressed: number;
  budgets: [string, { budget: string; spent: string; exhausted_at: string | null }][];
  conversions: number;
  attributed: number;
  revenue: string;
  cost: string;
  roi: number | null;
  /** Each journey's plan, or null when the summary carries no measurement (an older engine or app). */
  plans: Record<string, MeasurementPlan> | null;
}

export function readSimSummary(v: Json | unknown): SummaryView | null {
  if (!isObj(v) || v.schema !== SIM_SUMMARY_SCHEMA) return null;
  const journeys: [string, number][] = isObj(v.journeys) ? Object.entries(v.journeys).map(([id, j]) => [id, num(isObj(j) ? j.entered : 0)]) : [];
  const rejectedBy: Record<string, number> = {};
  let issued = 0;
  if (isObj(v.offers)) {
    for (const o of Object.values(v.offers)) {
      if (!isObj(o)) continue;
      issued += num(o.issued);
      for (const [reason, n] of Object.entries(counts(o.rejected))) rejectedBy[reason] = (rejectedBy[reason] ?? 0) + n;
    }
  }
  const touches = isObj(v.touches) ? v.touches : {};
  const conv = isObj(v.conversions) ? v.conversions : {};
  const input = isObj(v.input) ? v.input : {};
  const data = isObj(v.data) && (v.data.source === 'generated' || v.data.source === 'imported') ? (v.data as SimSummary['data']) : null;
  const budgets: SummaryView['budgets'] = isObj(v.campaigns)
    ? Object.entries(v.campaigns).map(([id, c]) => [
        id,
        { budget: str(isObj(c) ? c.budget : undefined), spent: str(isObj(c) ? c.spent : undefined), exhausted_at: isObj(c) && typeof c.exhausted_at === 'string' ? c.exhausted_at : null },
      ])
    : [];
  return {
    simulatedAt: typeof v.simulated_at === 'string' ? v.simulated_at : null,
    data,
    users: num(input.users),
    events: num(input.events),
    entered: journeys.reduce((a, [, n]) => a + n, 0),
    journeys,
    issued,
    rejected: sum(rejectedBy),
    rejectedBy: Object.entries(rejectedBy).sort((a, b) => b[1] - a[1]),
    sent: sum(counts(touches.sent)),
    suppressed: sum(counts(touches.suppressed)),
    budgets,
    conversions: num(conv.count),
    attributed: num(conv.attributed),
    revenue: str(conv.attributed_revenue),
    cost: str(v.cost),
    roi: typeof v.roi === 'number' && Number.isFinite(v.roi) ? v.roi : null,
    plans: readPlans(v.measurement),
  };
}

function readPlans(v: unknown): Record<string, MeasurementPlan> | null {
  if (!isObj(v)) return null;
  const out: Record<string, MeasurementPlan> = {};
  for (const [id, m] of Object.entries(v)) {
    const plan = readPlan(isObj(m) ? m.plan : undefined);
    if (plan) out[id] = plan;
  }
  return out;
}
