import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackendError, type Backend, type SimulateRequest } from '../backend';
import { createEditorStore } from '../store/editor';
import { createSessionStore, startLiveValidation } from '../store/session';
import type { Diagnostic, Workspace } from '../model/types';

function fakeBackend(overrides: Partial<Backend> = {}): Backend & { validated: Workspace[] } {
  const validated: Workspace[] = [];
  const notUsed = () => Promise.reject(new Error('not used'));
  return {
    kind: 'http',
    target: 'fake',
    validated,
    health: async () => true,
    validate: async (ws) => {
      validated.push(ws);
      return ws.journeys.flatMap((j) => (j.nodes.length === 0 ? [{ severity: 'error', code: 'E_NO_TRIGGER', journey: j.id } as Diagnostic] : []));
    },
    simulate: notUsed,
    listReleases: notUsed,
    getRelease: notUsed,
    submitRelease: notUsed,
    approveRelease: notUsed,
    rejectRelease: notUsed,
    deployRelease: notUsed,
    rollbackJourney: notUsed,
    listJourneys: notUsed,
    decisions: notUsed,
    journeyStats: notUsed,
    experimentStats: notUsed,
    getUser: notUsed,
    ...overrides,
  };
}

describe('live validation', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('validates once after edits settle and shows the diagnostics', async () => {
    const editor = createEditorStore();
    editor.getState().newWorkspace();
    const backend = fakeBackend();
    const session = createSessionStore({ backend, http: null });
    const stop = startLiveValidation(editor, session, 300);
    await vi.advanceTimersByTimeAsync(350);
    expect(backend.validated).toHaveLength(1);
    expect(session.getState().diagnostics.map((d) => d.code)).toEqual(['E_NO_TRIGGER']);
    editor.getState().addNode('trigger.event', { x: 0, y: 0 });
    editor.getState().addNode('exit', { x: 0, y: 0 });
    await vi.advanceTimersByTimeAsync(100);
    expect(backend.validated).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(backend.validated).toHaveLength(2);
    expect(backend.validated[1]).toBe(editor.getState().doc);
    expect(session.getState().diagnostics).toEqual([]);
    expect(session.getState().validation).toBe('ok');
    stop();
  });

  it('drops a stale answer that arrives after a newer one', async () => {
    vi.useRealTimers();
    const resolvers: ((d: Diagnostic[]) => void)[] = [];
    const backend = fakeBackend({ validate: () => new Promise((r) => resolvers.push(r)) });
    const session = createSessionStore({ backend, http: null });
    const ws: Workspace = { schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [] };
    const first = session.getState().validate(ws);
    const second = session.getState().validate(ws);
    resolvers[1]?.([{ severity: 'warning', code: 'W_NEW' }]);
    await second;
    resolvers[0]?.([{ severity: 'error', code: 'E_OLD' }]);
    await first;
    expect(session.getState().diagnostics.map((d) => d.code)).toEqual(['W_NEW']);
  });

  it('is offline without a backend, and reports an unreachable engine', async () => {
    vi.useRealTimers();
    const offline = createSessionStore({ backend: null, http: null });
    await offline.getState().validate({ schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [] });
    expect(offline.getState().validation).toBe('offline');
    const down = createSessionStore({
      backend: fakeBackend({ validate: () => Promise.reject(new BackendError('E_UNREACHABLE', 'no')) }),
      http: null,
    });
    await down.getState().validate({ schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [] });
    expect(down.getState().validation).toBe('error');
    expect(down.getState().health).toBe('down');
  });
});

describe('simulation', () => {
  it('streams progress and keeps the simulated document', async () => {
    let seen: SimulateRequest | undefined;
    const backend = fakeBackend({
      simulate: async (req, opts) => {
        seen = req;
        opts?.onProgress?.({ done: 5, total: 10, phase: 'simulate' });
        expect(session.getState().sim.progress).toEqual({ done: 5, total: 10, phase: 'simulate' });
        return { report: { journeys: {}, offers: {}, campaigns: {}, touches: { sent: {}, suppressed: {}, deferred: 0 }, conversions: { count: 0, revenue: '0', attributed: 0, attributed_revenue: '0' }, cost: '0', roi: null }, log: [] };
      },
    });
    const session = createSessionStore({ backend, http: null });
    const ws: Workspace = { schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [] };
    await session.getState().runSimulation(ws, { users: 10, days: 2, seed: 7 });
    expect(seen).toEqual({ workspace: ws, users: 10, days: 2, seed: 7 });
    expect(session.getState().sim.status).toBe('done');
    expect(session.getState().sim.doc).toBe(ws);
  });

  it('cancels through the abort signal', async () => {
    const backend = fakeBackend({
      simulate: (_req, opts) =>
        new Promise((_, reject) => opts?.signal?.addEventListener('abort', () => reject(new BackendError('E_CANCELLED', 'cancelled')))),
    });
    const session = createSessionStore({ backend, http: null });
    const run = session.getState().runSimulation({ schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [] }, { users: 1, days: 1, seed: 1 });
    expect(session.getState().sim.status).toBe('running');
    session.getState().cancelSimulation();
    await run;
    expect(session.getState().sim.status).toBe('cancelled');
    expect(session.getState().sim.error).toBeNull();
  });
});
