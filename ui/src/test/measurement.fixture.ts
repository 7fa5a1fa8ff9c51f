// A report in the shape of docs/measurement.md: a journey with a holdout (its plan, its arms, the
// SRM check, daily cumulative lift) and an experiment with a holdout and two variants.

import type { ArmsMeasurement, ArmStats, JourneyIncremental, Journey, Report } from '../model/types';

export const arm = (users: number, converters: number, revenue: number, cost: number): ArmStats => ({
  users,
  converters,
  conversion_rate: users ? converters / users : null,
  revenue: revenue.toFixed(2),
  revenue_per_user: users ? revenue / users : null,
  cost: cost.toFixed(2),
  cost_per_user: users ? cost / users : null,
  net_revenue_per_user: users ? (revenue - cost) / users : null,
});

export const welcomeIncremental = (): JourneyIncremental => ({
  window: '7d',
  control: 'held_out',
  arms: { entered: arm(900, 90, 9000, 450), held_out: arm(100, 8, 640, 0) },
  srm: { expected: { entered: 0.9, held_out: 0.1 }, chi2: 0.1, p_value: 0.75, mismatch: false },
  vs_control: {
    entered: {
      conversion: { diff: 0.02, ci_diff: [-0.03, 0.07], lift: 0.25, ci_lift: [-0.2, 0.9], p_value: 0.5, p_value_holm: 0.5, power: 0.1, mde: 0.08, users_needed: 12000 },
      revenue_per_user: { diff: 1.5, ci_diff: [-1.0, 4.0], p_value: 0.3, df: 120.5 },
      incremental_conversions: { value: 18.0, ci: [-27.0, 63.0] },
      incremental_revenue: { value: 1350.0, ci: [-900.0, 3600.0] },
      incremental_roi: { value: 2.0, ci: [-3.0, 7.0], method: 'delta' },
    },
  },
  daily: [
    { day: '2026-11-01', arms: { entered: { users: 100, converters: 5 }, held_out: { users: 11, converters: 0 } }, vs_control: { entered: { lift: null, ci_lift: null } } },
    { day: '2026-11-02', arms: { entered: { users: 300, converters: 20 }, held_out: { users: 33, converters: 2 } }, vs_control: { entered: { lift: 0.1, ci_lift: [-0.5, 1.2] } } },
    { day: '2026-11-03', arms: { entered: { users: 900, converters: 90 }, held_out: { users: 100, converters: 8 } }, vs_control: { entered: { lift: 0.25, ci_lift: [-0.2, 0.9] } } },
  ],
  plan: {
    treated_users: 900,
    baseline_rate: 0.1,
    revenue: '9000.00',
    cost: '450.00',
    break_even_lift: 0.05,
    users_per_day: 30.0,
    holdouts: [
      { percent: 5, users: 123456, days: 4115.2 },
      { percent: 10, users: 65000, days: 2166.7 },
      { percent: 20, users: 36500, days: 1216.7 },
      { percent: 50, users: 23400, days: 780.0 },
    ],
  },
});

export const experiment = (): ArmsMeasurement => ({
  window: '7d',
  control: 'holdout',
  arms: { holdout: arm(100, 10, 1000, 0), a: arm(450, 60, 6000, 200), b: arm(450, 50, 5000, 0) },
  srm: { expected: { holdout: 0.1, a: 0.45, b: 0.45 }, chi2: 1.2, p_value: 0.55, mismatch: false },
  vs_control: {
    a: {
      conversion: { diff: 0.0333, ci_diff: [0.001, 0.066], lift: 0.333, ci_lift: [0.01, 0.8], p_value: 0.02, p_value_holm: 0.04, power: 0.6, mde: 0.07, users_needed: 0 },
      incremental_roi: { value: 1.5, ci: [0.2, 2.8], method: 'delta' },
    },
    b: {
      conversion: { diff: 0.0111, ci_diff: [-0.02, 0.04], lift: 0.111, ci_lift: [-0.3, 0.7], p_value: 0.6, p_value_holm: 0.6, power: 0.08, mde: 0.07, users_needed: 40000 },
      incremental_roi: null,
    },
  },
  daily: [],
});

export const welcomeJourney = (): Journey => ({
  id: 'welcome',
  name: 'Welcome',
  entry: { holdout_percent: 10 },
  nodes: [
    { id: 't', type: 'trigger.event', params: { event: 'signup' } },
    { id: 'x', type: 'split.experiment', params: { experiment: 'welcome_copy', variants: [{ port: 'a', percent: 50 }, { port: 'b', percent: 50 }], holdout_percent: 10 } },
  ],
  edges: [],
});

export const baseReport = (): Report => ({
  input: { users: 1000, events: 5000, skipped_lines: 0 },
  journeys: { welcome: { entered: 900, held_out: 100, skipped: {}, exited: {}, nodes: {} } },
  offers: {},
  campaigns: {},
  touches: { sent: {}, suppressed: {}, deferred: 0 },
  conversions: { count: 98, revenue: '9640.00', attributed: 90, attributed_revenue: '9000.00' },
  cost: '450.00',
  roi: 19,
});

export const measuredReport = (): Report => ({
  ...baseReport(),
  incremental: { welcome: welcomeIncremental() },
  experiments: { welcome_copy: experiment() },
});
