// An in-memory stand-in for the shell's draft commands (local.db), with the same rules as
// src-tauri/src/drafts.rs: a save equal to the latest version is skipped; unknown names are
// E_NOT_FOUND; lists are newest first.

import type { InvokeFn } from '../backend';

interface Version {
  version: number;
  saved_at: string;
  text: string;
}

export function fakeDraftsInvoke() {
  const drafts = new Map<string, { versions: Version[]; saved_text: string | null; updated: number }>();
  const calls: [string, Record<string, unknown>][] = [];
  let tick = 0;
  const notFound = (name: string) => ({ error: { code: 'E_NOT_FOUND', message: `no draft named ${name}`, path: '/name' } });
  const invoke = (async (cmd: string, payload?: Record<string, unknown>) => {
    const a = (payload?.args ?? {}) as Record<string, unknown>;
    calls.push([cmd, a]);
    const name = String(a.name ?? '');
    const d = drafts.get(name);
    switch (cmd) {
      case 'engine_info':
        return { mode: 'bundled', url: 'http://127.0.0.1:1' };
      case 'save_draft': {
        const text = String(a.text);
        const entry = d ?? { versions: [], saved_text: null, updated: 0 };
        const latest = entry.versions[entry.versions.length - 1];
        entry.saved_text = (a.saved_text as string | null) ?? null;
        drafts.set(name, entry);
        if (latest && latest.text === text) return { name, version: latest.version, saved: false };
        tick += 1;
        const v = { version: (latest?.version ?? 0) + 1, saved_at: new Date(Date.UTC(2026, 0, 1, 0, tick)).toISOString(), text };
        entry.versions.push(v);
        entry.updated = tick;
        return { name, version: v.version, saved: true };
      }
      case 'list_drafts':
        return {
          drafts: [...drafts.entries()]
            .sort((x, y) => y[1].updated - x[1].updated)
            .map(([n, e]) => ({
              name: n,
              updated_at: e.versions[e.versions.length - 1]?.saved_at ?? '',
              versions: e.versions.length,
              latest: e.versions[e.versions.length - 1]?.version ?? 0,
            })),
        };
      case 'load_draft': {
        if (!d) throw notFound(name);
        const v = a.version === undefined ? d.versions[d.versions.length - 1] : d.versions.find((x) => x.version === a.version);
        if (!v) throw { error: { code: 'E_NOT_FOUND', message: 'no such version', path: '/version' } };
        return { name, version: v.version, saved_at: v.saved_at, text: v.text, saved_text: d.saved_text };
      }
      case 'draft_history':
        if (!d) throw notFound(name);
        return {
          name,
          versions: [...d.versions].reverse().map((v) => ({
            version: v.version,
            saved_at: v.saved_at,
            size: v.text.length,
            journeys: (JSON.parse(v.text) as { journeys?: unknown[] }).journeys?.length ?? 0,
            nodes: 0,
          })),
        };
      case 'delete_draft':
        if (!drafts.delete(name)) throw notFound(name);
        return { name, deleted: d?.versions.length ?? 0 };
      default:
        throw { error: { code: 'E_INTERNAL', message: `unexpected command ${cmd}`, path: '' } };
    }
  }) as InvokeFn;
  return { invoke, calls, drafts };
}
