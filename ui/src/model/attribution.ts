// The attribution analysis of a report (docs/attribution.md, "In the report"): which steps of the
// users' paths each model credits. Attributed credit: an analysis, an upper bound, never
// incrementality (that is the measurement's, against a control group).

import type { TFunction } from 'i18next';
import type { PathAnalysis, Report } from './types';
import { channelText } from './vocab';

/** The models, in the order the chart and the CLI show them. */
export const MODELS = ['first', 'last', 'linear', 'u_shaped', 'time_decay', 'markov', 'shapley'] as const;
export type ModelName = (typeof MODELS)[number];

export type Scope = { kind: 'journey'; id: string } | { kind: 'workspace' };
export type Metric = 'conversions' | 'value';

/** The path table of a journey or of the workspace, or null when nobody on it was touched. */
export function analysisOf(report: Report | null | undefined, scope: Scope): PathAnalysis | null {
  const a = report?.attribution_analysis;
  if (!a) return null;
  const p = scope.kind === 'workspace' ? a.workspace : a.journeys?.[scope.id];
  return p && p.paths > 0 ? p : null;
}

/** The steps any model credits, by the credit the models give them together (largest first), then name. */
export function stepsOf(a: PathAnalysis, metric: Metric = 'conversions'): string[] {
  const total = new Map<string, number>();
  for (const m of Object.values(a.models)) {
    for (const [step, c] of Object.entries(m.channels)) {
      total.set(step, (total.get(step) ?? 0) + (metric === 'value' ? Number(c.value) : c.conversions));
    }
  }
  return [...total.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map(([s]) => s);
}

/** A step as a marketer reads it: a channel's name, or the offer's name (else its id). */
export function stepText(t: TFunction, step: string, offerNames?: Record<string, string>): string {
  if (step.startsWith('offer:')) {
    const id = step.slice('offer:'.length);
    return t('attribution.offerStep', { offer: offerNames?.[id] || id });
  }
  if (step === 'touch') return t('attribution.unknownStep');
  return channelText(t, step);
}

/** Credit of each step (rows, in `steps` order) under each model (columns, in MODELS order). */
export function creditTable(a: PathAnalysis, steps: string[], metric: Metric): number[][] {
  return steps.map((s) =>
    MODELS.map((m) => {
      const c = a.models[m]?.channels[s];
      if (!c) return 0;
      return metric === 'value' ? Number(c.value) : c.conversions;
    }),
  );
}

/** The Markov removal effects, largest first: the share of conversions lost without the step. */
export function removalEffects(a: PathAnalysis): { step: string; effect: number }[] {
  const re = a.models.markov?.removal_effect ?? {};
  return Object.entries(re)
    .map(([step, effect]) => ({ step, effect }))
    .sort((x, y) => y.effect - x.effect || (x.step < y.step ? -1 : 1));
}
