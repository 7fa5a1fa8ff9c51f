// Placements (issue 19, docs/decide.md): the slug a `trigger.placement` names, the placements a
// workspace answers, the context a tester sends, and the way through a journey to the node that
// answered a placement request.

import { edgesOf, journeysOf, nodesOf } from './commands';
import { isObject } from './nodeTypes';
import type { Journey, Workspace } from './types';

/** A placement id: `[a-z0-9_-]{1,64}` (the engine's `E_BAD_PARAM` otherwise). */
export const PLACEMENT_SLUG = /^[a-z0-9_-]{1,64}$/;

/** Why a placement id is not valid (`empty`, `bad`), or null when it is. */
export function placementProblem(v: unknown): 'empty' | 'bad' | null {
  if (typeof v !== 'string' || v === '') return 'empty';
  return PLACEMENT_SLUG.test(v) ? null : 'bad';
}

/** The placements the workspace's `trigger.placement` nodes name, sorted, each once. */
export function placementsOf(doc: Workspace | null | undefined): string[] {
  const out = new Set<string>();
  if (!doc) return [];
  for (const j of journeysOf(doc)) {
    for (const n of nodesOf(j)) {
      if (n.type === 'trigger.placement' && isObject(n.params) && typeof n.params.placement === 'string' && n.params.placement) out.add(n.params.placement);
    }
  }
  return [...out].sort();
}

/**
 * The nodes of `journey` on a way from one of its `trigger.placement` nodes for `placement` to
 * `node` (both included): reachable from such a trigger and leading to `node`. Empty when `node`
 * is not in the journey; just `node` when no such trigger leads to it (the draft differs from
 * the live version).
 */
export function placementPath(journey: Journey | undefined, placement: string, node: string): Set<string> {
  const nodes = nodesOf(journey);
  if (!nodes.some((n) => n.id === node)) return new Set();
  const next = new Map<string, string[]>();
  const prev = new Map<string, string[]>();
  for (const e of edgesOf(journey)) {
    const from = String(e.from);
    const to = String(e.to);
    next.set(from, [...(next.get(from) ?? []), to]);
    prev.set(to, [...(prev.get(to) ?? []), from]);
  }
  const walk = (start: string[], links: Map<string, string[]>) => {
    const seen = new Set(start);
    const todo = [...start];
    while (todo.length) {
      const id = todo.pop() as string;
      for (const n of links.get(id) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          todo.push(n);
        }
      }
    }
    return seen;
  };
  const triggers = nodes.filter((n) => n.type === 'trigger.placement' && isObject(n.params) && n.params.placement === placement).map((n) => n.id);
  const ahead = walk(triggers, next);
  if (!ahead.has(node)) return new Set([node]);
  const behind = walk([node], prev);
  return new Set([...ahead].filter((id) => behind.has(id)));
}

/** One row of the tester's context: a key and the value as typed (JSON when it reads as JSON, else text). */
export interface ContextRow {
  key: string;
  value: string;
}

/** A typed value: a number, boolean, null, array or object when it reads as JSON; else the text. */
export function rowValue(text: string): unknown {
  const s = text.trim();
  if (s === '') return '';
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/.test(s) || s.startsWith('{') || s.startsWith('[') || s.startsWith('"')) {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

export type ContextResult = { ok: true; value: Record<string, unknown> } | { ok: false; error: 'notObject' | 'badJson' | 'duplicateKey'; detail?: string };

/** The context of rows (rows without a key are left out). */
export function contextFromRows(rows: ContextRow[]): ContextResult {
  const out: Record<string, unknown> = {};
  for (const r of rows) {
    const key = r.key.trim();
    if (!key) continue;
    if (key in out) return { ok: false, error: 'duplicateKey', detail: key };
    out[key] = rowValue(r.value);
  }
  return { ok: true, value: out };
}

/** The context typed as JSON (empty text: `{}`). */
export function contextFromJson(text: string): ContextResult {
  if (!text.trim()) return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: 'badJson', detail: e instanceof Error ? e.message : String(e) };
  }
  return isObject(v) ? { ok: true, value: v } : { ok: false, error: 'notObject' };
}

/** A fresh request id for a tester's press (the same id would be answered the stored answer). */
export function testerRequestId(now: number = Date.now(), random: () => number = Math.random): string {
  return `tester-${now}-${Math.floor(random() * 0x100000000).toString(16).padStart(8, '0')}`;
}
