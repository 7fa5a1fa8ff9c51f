// The workspace document of shared/spec/journey.md, as the canvas reads and writes it.
// Hand-written, unlike src/generated/: each object carries an index signature so unknown fields survive a save, which no Rust type describes.
//
// Every object keeps the fields it does not know (the index signatures): a save must not lose
// them, and the order of keys is kept because the editor only ever updates objects by spreading
// the old object first.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const WORKSPACE_SCHEMA = 'trellis/workspace@1';
export const JOURNEY_SCHEMA = 'trellis/journey@1';

export interface Position {
  x: number;
  y: number;
  [extra: string]: unknown;
}

// ---- conditions (the rule DSL) ----

export const GROUP_OPERATORS = ['AND', 'OR', 'NOT'] as const;
export type GroupOperator = (typeof GROUP_OPERATORS)[number];

export const LEAF_OPERATORS = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'not_in',
  'contains',
  'starts_with',
  'between',
  'exists',
] as const;
export type LeafOperator = (typeof LEAF_OPERATORS)[number];

export interface ConditionGroup {
  operator: GroupOperator;
  children: Condition[];
  [extra: string]: unknown;
}

export interface FieldRef {
  field: string;
  [extra: string]: unknown;
}

export interface ConditionLeaf {
  field: string;
  operator: LeafOperator;
  value?: unknown;
  [extra: string]: unknown;
}

export type Condition = ConditionGroup | ConditionLeaf;

// ---- nodes ----

export const NODE_TYPES = [
  'trigger.event',
  'trigger.schedule',
  'trigger.pattern',
  'trigger.segment',
  'trigger.placement',
  'condition',
  'gate.uplift',
  'switch',
  'split.random',
  'split.experiment',
  'wait.delay',
  'wait.event',
  'action.offer',
  'action.touch',
  'action.points',
  'action.update',
  'exit',
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/** The engine's channels (trellis-model's `Channel::ALL`, in its order; translations.test.ts checks). */
export const CHANNELS = ['push', 'sms', 'email', 'inbox', 'webhook', 'wechat', 'miniprogram'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Branch {
  port: string;
  percent: number;
  [extra: string]: unknown;
}

export interface SwitchCase {
  port: string;
  when: Condition;
  [extra: string]: unknown;
}

/** The params each node type expects (what the editor creates; a read document may differ). */
export interface ParamsByType {
  'trigger.event': { event: string; where?: Condition };
  'trigger.schedule': { cron: string; audience: Condition };
  'trigger.pattern': {
    event: string;
    count: number;
    within: string;
    where?: Condition;
    unless?: string;
  };
  /** Fires when a user enters or leaves a segment (issue 20). */
  'trigger.segment': { segment: string; on: 'enter' | 'exit' };
  /** Answers a page's placement request (`POST /v1/decide`, docs/decide.md); `where` reads the request's context as `event.*`. */
  'trigger.placement': { placement: string; where?: Condition; fallback?: { template: string; content?: unknown } };
  condition: { when: Condition };
  /** Passes users whose predicted uplift (the model's) is at least `threshold`, -1…1 (docs/uplift.md). */
  'gate.uplift': { model: string; threshold: number };
  switch: { cases: SwitchCase[] };
  'split.random': { branches: Branch[]; salt?: string };
  'split.experiment': { experiment: string; variants: Branch[]; holdout_percent?: number };
  'wait.delay': { duration: string };
  'wait.event': { event: string; where?: Condition; timeout: string };
  'action.offer': { offer: string };
  'action.touch': { channels: Channel[]; template: string; content?: Record<string, unknown> };
  'action.points': { amount: number; reason?: string };
  'action.update': { set: Record<string, unknown> };
  exit: Record<string, never>;
}

/**
 * A node as stored. `type` is a string because a read document may name an unknown type
 * (E_UNKNOWN_NODE_TYPE); `params` is an open object for the same reason. Use `isNodeType` and
 * the readers in `nodeTypes.ts` to look inside.
 */
export interface JourneyNode {
  id: string;
  type: string;
  params: Record<string, unknown>;
  label?: string;
  position?: Position;
  [extra: string]: unknown;
}

export interface Edge {
  from: string;
  port: string;
  to: string;
  [extra: string]: unknown;
}

// ---- journey, offers, policy ----

export interface Budget {
  total: number | string;
  currency?: string;
  [extra: string]: unknown;
}

export interface Campaign {
  id: string;
  budget: Budget;
  starts_at?: string;
  ends_at?: string;
  hourly_quota?: number | string;
  /** Spreads the budget over the window: at most k/N committed by period k of N. */
  pacing?: { mode: 'even'; period: 'day' | 'hour'; [extra: string]: unknown };
  /** Trips when the money committed within `within` would pass `max_committed`. */
  breaker?: { max_committed: number | string; within: string; [extra: string]: unknown };
  [extra: string]: unknown;
}

export type ReEntry = 'never' | 'after_exit' | { cooldown: string; [extra: string]: unknown };

export interface Journey {
  schema?: string;
  id: string;
  name?: string;
  campaign?: Campaign;
  priority?: number;
  mutex_group?: string;
  entry?: { re_entry?: ReEntry; [extra: string]: unknown };
  exit?: {
    goal?: { event: string; [extra: string]: unknown };
    max_duration?: string;
    [extra: string]: unknown;
  };
  nodes: JourneyNode[];
  edges: Edge[];
  [extra: string]: unknown;
}

export const OFFER_KINDS = ['coupon', 'points', 'cash'] as const;
export type OfferKind = (typeof OFFER_KINDS)[number];

export interface Offer {
  id: string;
  kind: OfferKind | string;
  face_value: number | string;
  min_spend?: number | string;
  stock?: number;
  per_user_limit?: number;
  valid_for?: string;
  name?: string;
  [extra: string]: unknown;
}

export interface FreqCap {
  channel: string;
  max: number;
  window: string;
  [extra: string]: unknown;
}

export interface Policy {
  tz?: string;
  freq_caps?: FreqCap[];
  quiet_hours?: {
    start: string;
    end: string;
    mode: 'defer' | 'suppress';
    tz?: string;
    [extra: string]: unknown;
  };
  conversion?: { event?: string; revenue_field?: string; [extra: string]: unknown };
  attribution?: {
    window?: string;
    model?: 'last_touch' | 'first_touch';
    [extra: string]: unknown;
  };
  /** A workspace-wide control group, 0 ≤ p < 100 (docs/holdouts.md). */
  global_holdout_percent?: number;
  /** How outcomes are measured against control groups (docs/measurement.md). */
  measurement?: { window?: string; mde?: number; alpha?: number; power?: number; [extra: string]: unknown };
  [extra: string]: unknown;
}

export interface Workspace {
  schema: string;
  offers: Offer[];
  policy: Policy;
  journeys: Journey[];
  [extra: string]: unknown;
}

// ---- validation ----

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  code: string;
  journey?: string;
  node?: string;
  edge?: number;
  path?: string;
  message?: string;
}

// ---- runtime: report and decision log (runtime.md, semantics.md) ----

export interface NodeCounts {
  entered: number;
  ports: Record<string, number>;
}

export interface JourneyReport {
  entered: number;
  /** Users a holdout kept out (docs/holdouts.md); written only when not zero. */
  held_out?: number;
  skipped: Record<string, number>;
  exited: Record<string, number>;
  nodes: Record<string, NodeCounts>;
}

export interface OfferReport {
  issued: number;
  rejected: Record<string, number>;
  redeemed: number;
  expired: number;
}

export interface CampaignReport {
  budget: string;
  reserved: string;
  spent: string;
  remaining: string;
  committed_by_day?: Record<string, string>;
  exhausted_at?: string | null;
}

export interface Report {
  input?: { users: number; events: number; skipped_lines: number; duplicates?: number };
  journeys: Record<string, JourneyReport>;
  offers: Record<string, OfferReport>;
  campaigns: Record<string, CampaignReport>;
  touches: {
    sent: Record<string, number>;
    suppressed: Record<string, number>;
    deferred: number;
    failed?: Record<string, number>;
  };
  conversions: { count: number; revenue: string; attributed: number; attributed_revenue: string };
  cost: string;
  roi: number | null;
  subsidised_conversions?: {
    redemptions: number;
    by_prior_converters: number;
    cost_to_prior_converters: string;
    share: number | null;
  };
  /** What each journey adds against its control group (docs/measurement.md); absent from older engines. */
  incremental?: Record<string, JourneyIncremental>;
  /** Each `split.experiment`'s arms against its control (docs/measurement.md); absent from older engines. */
  experiments?: Record<string, ExperimentMeasurement>;
  /** Multi-touch attribution of the paths of touches and offers (docs/attribution.md, "In the report"): attributed credit, an analysis, not incrementality; absent when nobody was touched, and from older engines. */
  attribution_analysis?: AttributionAnalysis;
  [extra: string]: unknown;
}

// ---- attribution analysis (docs/attribution.md) ----

/** A channel's credit under one model: a share of conversions (fractional) and of their value (a decimal string). */
export interface ChannelCredit {
  conversions: number;
  value: string;
}

/** One model's credit per step (`sms`, `offer:<offer id>`…); `removal_effect` for `markov` only. */
export interface ModelCredit {
  channels: Record<string, ChannelCredit>;
  removal_effect?: Record<string, number>;
}

/** One path table (a journey's, or the workspace's across journeys) and every model's credit. */
export interface PathAnalysis {
  paths: number;
  conversions: number;
  value: string;
  models: Record<string, ModelCredit>;
}

export interface AttributionAnalysis {
  journeys: Record<string, PathAnalysis>;
  workspace: PathAnalysis;
  unattributed: { conversions: number; value: string };
}

// ---- measurement (docs/measurement.md, issue 16) ----
// A figure that does not exist is `null` (a per-user figure of an arm with no users, a lift when
// the control converted nobody, …); totals are decimal strings, everything else JSON numbers.

/** `[lo, hi]`: a 1 − α interval (α = policy.measurement.alpha, 0.05 by default). */
export type Interval = [number, number];

/** One arm's outcomes over the analysis window after each user's first assignment. */
export interface ArmStats {
  users: number;
  converters: number;
  conversion_rate: number | null;
  revenue: string;
  revenue_per_user: number | null;
  cost: string;
  cost_per_user: number | null;
  net_revenue_per_user: number | null;
  [extra: string]: unknown;
}

/** Sample-ratio-mismatch check: chi-squared of the arms' users against the configured split. */
export interface Srm {
  expected: Record<string, number>;
  chi2: number;
  p_value: number;
  /** p < 0.001: the split is not what was configured, so the comparison cannot be trusted. */
  mismatch: boolean;
  [extra: string]: unknown;
}

export interface ConversionComparison {
  diff: number;
  ci_diff: Interval;
  lift: number | null;
  ci_lift: Interval | null;
  p_value: number | null;
  p_value_holm: number | null;
  power: number | null;
  /** Absolute minimum detectable effect at these sizes. */
  mde: number | null;
  /** More users (both arms, current ratio) needed to detect policy.measurement.mde; 0 when there are enough. */
  users_needed: number | null;
  [extra: string]: unknown;
}

export interface ValueWithInterval {
  value: number | null;
  ci: Interval | null;
  [extra: string]: unknown;
}

/** One arm against the control. */
export interface ArmComparison {
  conversion: ConversionComparison;
  revenue_per_user?: { diff: number | null; ci_diff: Interval | null; p_value: number | null; df: number | null; [extra: string]: unknown };
  incremental_conversions?: ValueWithInterval;
  incremental_revenue?: ValueWithInterval;
  incremental_roi?: (ValueWithInterval & { method?: string }) | null;
  [extra: string]: unknown;
}

/** Cumulative figures by the end of one day (UTC). */
export interface DailyMeasurement {
  day: string;
  arms: Record<string, { users: number; converters: number; [extra: string]: unknown }>;
  vs_control: Record<string, { lift: number | null; ci_lift: Interval | null; [extra: string]: unknown }>;
  [extra: string]: unknown;
}

/** Users entering the journey (both arms) and days of traffic a holdout of `percent` needs to detect the break-even lift. */
export interface HoldoutPlanRow {
  percent: number;
  users: number | null;
  days: number | null;
  [extra: string]: unknown;
}

/** What a replay can say about a journey before launch. */
export interface MeasurementPlan {
  treated_users: number;
  baseline_rate: number | null;
  revenue: string;
  cost: string;
  /** cost / revenue: the relative lift in conversion at which incremental revenue covers the cost; null when the revenue is 0. */
  break_even_lift: number | null;
  users_per_day: number | null;
  holdouts: HoldoutPlanRow[];
  [extra: string]: unknown;
}

/** Arms against a control: the shape shared by a journey's and an experiment's measurement. */
export interface ArmsMeasurement {
  window: string;
  /** The control arm's name (`held_out` for a journey; `holdout` or the first variant for an experiment). */
  control: string;
  arms: Record<string, ArmStats>;
  srm: Srm | null;
  vs_control: Record<string, ArmComparison>;
  daily: DailyMeasurement[];
  [extra: string]: unknown;
}

export interface JourneyIncremental extends ArmsMeasurement {
  plan?: MeasurementPlan;
}

export type ExperimentMeasurement = ArmsMeasurement;

/** `GET /v1/experiments/{id}`. */
export type ExperimentStats = ExperimentMeasurement & { experiment: string };

export interface DecisionRecord {
  seq: number;
  ts: string;
  user_id: string;
  journey: string | null;
  version: number | null;
  node: string | null;
  kind: string;
  reason?: string;
  offer?: string;
  instance?: string;
  amount?: string | number;
  expires_at?: string | null;
  channel?: string;
  template?: string;
  tried?: string[];
  until?: string;
  experiment?: string;
  variant?: string;
  event_id?: string;
  revenue?: string;
  attributed_to?: { journey: string; node: string; kind: string } | null;
  [extra: string]: unknown;
}
