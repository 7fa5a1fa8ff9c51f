// Uplift models in the app (docs/uplift.md): the workspace's `models` entries (a
// `trellis.uplift/1` artifact with an id, a name and where each feature is read from), the
// `gate.uplift` node's threshold in percentage points, and the simulator report's `uplift`
// section (each gate's PREDICTED figures with and without it, and its quadrants).
//
// Every shape is read through the tolerant readers below: a document or a report may hold
// anything, and a bad shape gives `null` or an empty list, never a crash.

import { isObject } from './nodeTypes';
import type { Workspace } from './types';

export const UPLIFT_FORMAT = 'trellis.uplift/1';

/** One entry of the workspace's `models` (trellis-model doc.rs `ModelDef`). Unknown keys survive a save. */
export interface ModelEntry {
  id: string;
  name?: string;
  /** Feature name → `user.<attr>` or `agg.<id>`; a feature not listed reads `user.<feature name>`. */
  features?: Record<string, string>;
  artifact: Record<string, unknown>;
  [extra: string]: unknown;
}

/** The order the CLI writes a model entry's keys in (doc.rs `ModelDef`'s `Serialize`). */
export const MODEL_KEY_ORDER = ['id', 'name', 'features', 'artifact'];

export const LEARNERS = ['two_model', 'class_transformation'] as const;
export type Learner = (typeof LEARNERS)[number];

export interface ModelFeature {
  name: string;
  kind: 'numeric' | 'categorical' | string;
  /** Categories of a categorical feature. */
  categories?: string[];
}

export interface ModelTraining {
  rows: number | null;
  treated: number | null;
  control: number | null;
  treated_rate: number | null;
  control_rate: number | null;
  c: number | null;
  split: { seed: number | null; test_fraction: number | null; train_rows: number | null; test_rows: number | null } | null;
}

export interface ModelMetrics {
  qini: number | null;
  auuc: number | null;
  uplift_at_k: number | null;
  k: number | null;
  /** `[share targeted, incremental responders]`, in share order; empty in an artifact written before it. */
  qini_curve: [number, number][];
}

/** What the app shows about a model entry. */
export interface ModelSummary {
  id: string;
  name: string | null;
  format: string | null;
  learner: string | null;
  treatment: string | null;
  outcome: string | null;
  features: ModelFeature[];
  training: ModelTraining | null;
  /** Null when the artifact has none (nothing held out, or an arm missing from the hold-out). */
  metrics: ModelMetrics | null;
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const EMPTY: never[] = [];

/** The workspace's `models` (the entries that are objects). */
export function modelsOf(doc: Workspace): ModelEntry[] {
  return Array.isArray(doc.models) ? (doc.models as ModelEntry[]) : EMPTY;
}

/** A Qini curve: pairs of finite numbers, sorted by share. */
export function readCurve(v: unknown): [number, number][] {
  if (!Array.isArray(v)) return [];
  const out: [number, number][] = [];
  for (const p of v) {
    if (!Array.isArray(p) || p.length < 2) continue;
    const x = numOrNull(p[0]);
    const y = numOrNull(p[1]);
    if (x !== null && y !== null) out.push([x, y]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

export function readMetrics(v: unknown): ModelMetrics | null {
  if (!isObject(v)) return null;
  return { qini: numOrNull(v.qini), auuc: numOrNull(v.auuc), uplift_at_k: numOrNull(v.uplift_at_k), k: numOrNull(v.k), qini_curve: readCurve(v.qini_curve) };
}

function readTraining(v: unknown): ModelTraining | null {
  if (!isObject(v)) return null;
  const s = isObject(v.split) ? v.split : null;
  return {
    rows: numOrNull(v.rows),
    treated: numOrNull(v.treated),
    control: numOrNull(v.control),
    treated_rate: numOrNull(v.treated_rate),
    control_rate: numOrNull(v.control_rate),
    c: numOrNull(v.c),
    split: s ? { seed: numOrNull(s.seed), test_fraction: numOrNull(s.test_fraction), train_rows: numOrNull(s.train_rows), test_rows: numOrNull(s.test_rows) } : null,
  };
}

function readFeatures(v: unknown): ModelFeature[] {
  if (!Array.isArray(v)) return [];
  const out: ModelFeature[] = [];
  for (const f of v) {
    if (!isObject(f) || typeof f.name !== 'string') continue;
    const cats = Array.isArray(f.categories) ? f.categories.filter((c): c is string => typeof c === 'string') : undefined;
    out.push({ name: f.name, kind: typeof f.kind === 'string' ? f.kind : 'numeric', ...(cats ? { categories: cats } : {}) });
  }
  return out;
}

/** A models entry as the app shows it; null when it is not an object. */
export function readModel(entry: unknown): ModelSummary | null {
  if (!isObject(entry)) return null;
  const a = isObject(entry.artifact) ? entry.artifact : {};
  return {
    id: typeof entry.id === 'string' ? entry.id : '',
    name: strOrNull(entry.name),
    format: strOrNull(a.format),
    learner: strOrNull(a.learner),
    treatment: strOrNull(a.treatment),
    outcome: strOrNull(a.outcome),
    features: readFeatures(a.features),
    training: readTraining(a.training),
    metrics: readMetrics(a.metrics),
  };
}

/** Where feature `name` is read from: the entry's mapping, else `user.<name>`. */
export function featureField(entry: unknown, name: string): string {
  const f = isObject(entry) && isObject(entry.features) ? entry.features[name] : undefined;
  return typeof f === 'string' ? f : `user.${name}`;
}

/** Whether a mapping's field is one a model may read: `user.<attr>` or `agg.<id>`. */
export function isFeatureField(field: string): boolean {
  return /^user\..+/.test(field) || /^agg\..+/.test(field);
}

/**
 * The entry's mapping with feature `name` read from `field`. The default (`user.<name>`) is left
 * out of the document, as the CLI would write it; an empty mapping leaves `features` out.
 */
export function withFeatureField(entry: ModelEntry, name: string, field: string): ModelEntry {
  const current = isObject(entry.features) ? { ...(entry.features as Record<string, string>) } : {};
  if (field === `user.${name}` || field === '') delete current[name];
  else current[name] = field;
  return putModelKey(entry, 'features', Object.keys(current).length ? current : undefined);
}

/** Set (or remove with `undefined`) one key of an entry, a new key where the CLI puts it. */
export function putModelKey(entry: ModelEntry, key: string, value: unknown): ModelEntry {
  if (value === undefined) {
    if (!(key in entry)) return entry;
    const next = { ...entry };
    delete next[key];
    return next;
  }
  if (key in entry) return { ...entry, [key]: value };
  const rank = MODEL_KEY_ORDER.indexOf(key);
  const keys = Object.keys(entry);
  const before = rank < 0 ? -1 : keys.findIndex((k) => MODEL_KEY_ORDER.indexOf(k) > rank);
  if (before < 0) return { ...entry, [key]: value };
  const out: Record<string, unknown> = {};
  keys.forEach((k, i) => {
    if (i === before) out[key] = value;
    out[k] = entry[k];
  });
  return out as ModelEntry;
}

// ---- a model file ----

export type ModelFile =
  | { kind: 'artifact'; artifact: Record<string, unknown> }
  | { kind: 'entry'; entry: ModelEntry }
  | { kind: 'error'; reason: 'json' | 'shape' | 'format'; detail?: string };

/**
 * A file chosen to add a model: a `trellis.uplift/1` artifact (`trellis uplift train --out`; it
 * needs an id), or a whole `models` entry (`{ id, name?, features?, artifact }`). The engine
 * checks the artifact itself (E_SCHEMA at `/models/<i>/artifact`); here only its format.
 */
export function parseModelFile(text: string): ModelFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { kind: 'error', reason: 'json', detail: e instanceof Error ? e.message : String(e) };
  }
  if (!isObject(v)) return { kind: 'error', reason: 'shape' };
  if (isObject(v.artifact)) {
    if (v.artifact.format !== UPLIFT_FORMAT) return { kind: 'error', reason: 'format', detail: String(v.artifact.format ?? '') };
    return { kind: 'entry', entry: v as ModelEntry };
  }
  if (v.format === UPLIFT_FORMAT) return { kind: 'artifact', artifact: v };
  if (typeof v.format === 'string') return { kind: 'error', reason: 'format', detail: v.format };
  return { kind: 'error', reason: 'shape' };
}

/** An id for a model from a file name ("hillstrom.json" → "hillstrom"), unique among `taken`. */
export function suggestModelId(fileName: string, taken: Set<string>): string {
  const base =
    fileName
      .replace(/\.[^.]*$/, '')
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 60) || 'model';
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** A slug as the engine wants ids: a-z, 0-9, `_` and `-`, 1 to 64 characters. */
export const isSlug = (s: string) => /^[a-z0-9_-]{1,64}$/.test(s);

// ---- the threshold, in percentage points ----

const tidy = (x: number) => Number.parseFloat(x.toPrecision(12));

/** The node's `threshold` (an uplift, 0.02) as percentage points (2). */
export function thresholdToPoints(threshold: number): number {
  return tidy(threshold * 100);
}

/** Percentage points typed (2) as the node's `threshold` (0.02). */
export function pointsToThreshold(points: number): number {
  return tidy(points / 100);
}

/** The threshold is an uplift from -1 to 1 (-100 to 100 points). */
export const validThreshold = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= -1 && x <= 1;

// ---- the Qini chart ----

/** The random line: straight from (0, 0) to the curve's last point. */
export function randomLine(curve: [number, number][]): [number, number][] {
  const last = curve[curve.length - 1];
  if (!last) return [];
  return curve.map(([x]) => [x, last[0] > 0 ? (last[1] * x) / last[0] : 0]);
}

// ---- the report's `uplift` section ----

export interface Quadrants {
  persuadables: number;
  /** Null for a learner with no outcome probabilities (class transformation): see `neutral`. */
  sure_things: number | null;
  lost_causes: number | null;
  sleeping_dogs: number;
  neutral: number;
}

/** A `gate.uplift` node's figures (trellis-engine report.rs `GateFigures`). PREDICTIONS of the model. */
export interface GateFigures {
  journey: string;
  node: string;
  model: string;
  threshold: number | null;
  reached: number;
  passed: number;
  unscored: number;
  predicted_conversions_all: number;
  predicted_conversions_gated: number;
  /** Money as decimal text, as the engine writes it. */
  value_per_conversion: string;
  predicted_revenue_all: string;
  predicted_revenue_gated: string;
  cost_gated: string;
  cost_all: string;
  predicted_roi_gated: number | null;
  predicted_roi_all: number | null;
  quadrants: Quadrants;
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const money = (v: unknown): string => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '0');

function readQuadrants(v: unknown): Quadrants {
  const q = isObject(v) ? v : {};
  return {
    persuadables: count(q.persuadables),
    sure_things: numOrNull(q.sure_things),
    lost_causes: numOrNull(q.lost_causes),
    sleeping_dogs: count(q.sleeping_dogs),
    neutral: count(q.neutral),
  };
}

export function readGateFigures(journey: string, node: string, v: unknown): GateFigures | null {
  if (!isObject(v)) return null;
  return {
    journey,
    node,
    model: typeof v.model === 'string' ? v.model : '',
    threshold: numOrNull(v.threshold),
    reached: count(v.reached),
    passed: count(v.passed),
    unscored: count(v.unscored),
    predicted_conversions_all: count(v.predicted_conversions_all),
    predicted_conversions_gated: count(v.predicted_conversions_gated),
    value_per_conversion: money(v.value_per_conversion),
    predicted_revenue_all: money(v.predicted_revenue_all),
    predicted_revenue_gated: money(v.predicted_revenue_gated),
    cost_gated: money(v.cost_gated),
    cost_all: money(v.cost_all),
    predicted_roi_gated: numOrNull(v.predicted_roi_gated),
    predicted_roi_all: numOrNull(v.predicted_roi_all),
    quadrants: readQuadrants(v.quadrants),
  };
}

/** Every gate of `report.uplift` (journey, then node, in the report's order); [] when it has none. */
export function readUpliftReport(report: unknown): GateFigures[] {
  if (!isObject(report) || !isObject(report.uplift)) return [];
  const out: GateFigures[] = [];
  for (const [journey, gates] of Object.entries(report.uplift)) {
    if (!isObject(gates)) continue;
    for (const [node, v] of Object.entries(gates)) {
      const g = readGateFigures(journey, node, v);
      if (g) out.push(g);
    }
  }
  return out;
}

/** The quadrants to draw, in the literature's order; `neutral` only when the learner has it. */
export function quadrantRows(q: Quadrants): { key: keyof Quadrants; value: number }[] {
  const rows: { key: keyof Quadrants; value: number }[] = [{ key: 'persuadables', value: q.persuadables }];
  if (q.sure_things !== null) rows.push({ key: 'sure_things', value: q.sure_things });
  if (q.lost_causes !== null) rows.push({ key: 'lost_causes', value: q.lost_causes });
  rows.push({ key: 'sleeping_dogs', value: q.sleeping_dogs });
  if (q.neutral > 0 || q.sure_things === null || q.lost_causes === null) rows.push({ key: 'neutral', value: q.neutral });
  return rows;
}
