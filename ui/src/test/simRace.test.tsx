// Issue 15: a cancelled simulation that ends late must not touch the run started after it.
//
// Cancel answers at once in the UI (the Run button comes back), but the cancelled run's promise
// settles only when the shell's sandbox thread notices the cancel flag and stops. When the user
// (or the e2e test) runs again at once and the new, small run ends first, the old run's late
// "cancelled" used to overwrite the new run's state: status "cancelled" with the new result still
// in it. The Simulate canvas drew the new counts (it reads the result), while the Review card,
// which only takes the report of a finished run, said "No simulation yet" and sent no summary.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, cleanup, render, screen } from '@testing-library/react';
import { initI18n, setLang } from '../i18n';
import { BackendError, type Backend, type SimProgress, type SimulateRequest, type SimulateResult } from '../backend';
import { editorStore } from '../store/editor';
import { createSessionStore, sessionStore } from '../store/session';
import type { Report, Workspace } from '../model/types';
import type { SimSummary } from '../model/simSummary';
import { SubmitCard } from '../views/ReviewView';

beforeAll(() => {
  initI18n();
  setLang('en');
});
afterEach(cleanup);

const report: Report = {
  input: { users: 300, events: 2100, skipped_lines: 0 },
  journeys: { journey_1: { entered: 47, skipped: {}, exited: {}, nodes: {} } },
  offers: {},
  campaigns: {},
  touches: { sent: { push: 47 }, suppressed: {}, deferred: 0 },
  conversions: { count: 3, revenue: '30.00', attributed: 1, attributed_revenue: '10.00' },
  cost: '0.47',
  roi: null,
};

interface Call {
  req: SimulateRequest;
  opts: { onProgress?: (p: SimProgress) => void; signal?: AbortSignal };
  resolve(r: SimulateResult): void;
  reject(e: unknown): void;
}

/** A backend whose simulations end only when the test says so, as the shell's do: a cancel sets
 * a flag, and the run's promise rejects whenever its thread gets to look at it. */
function slowBackend(): { backend: Backend; calls: Call[] } {
  const calls: Call[] = [];
  const notUsed = () => Promise.reject(new Error('not used'));
  const backend: Backend = {
    kind: 'http',
    target: 'fake',
    health: async () => true,
    validate: async () => [],
    simulate: (req, opts = {}) =>
      new Promise<SimulateResult>((resolve, reject) => {
        calls.push({ req, opts, resolve, reject });
      }),
    listReleases: notUsed,
    getRelease: notUsed,
    submitRelease: async (_ws: Workspace, _summary?: SimSummary) => ({ release: 'r1', version: 1, status: 'pending_review', diagnostics: [] }),
    approveRelease: notUsed,
    rejectRelease: notUsed,
    deployRelease: notUsed,
    rollbackJourney: notUsed,
    listJourneys: notUsed,
    decisions: notUsed,
    journeyStats: notUsed,
    experimentStats: notUsed,
    getUser: notUsed,
  };
  return { backend, calls };
}

const cancelledError = () => new BackendError('E_CANCELLED', 'the simulation was cancelled');
const big = { users: 20000, days: 30, seed: 1 };
const small = { users: 300, days: 7, seed: 1 };

describe('a cancelled simulation that ends late', () => {
  it('leaves the next run finished, and its summary goes with the release', async () => {
    editorStore.getState().loadTemplate('welcome');
    const doc = editorStore.getState().doc;
    const { backend, calls } = slowBackend();
    const before = sessionStore.getState();
    sessionStore.setState({ backend, diagnostics: [] });
    try {
      const first = sessionStore.getState().runSimulation(doc, big);
      sessionStore.getState().cancelSimulation();
      expect(sessionStore.getState().sim.status).toBe('cancelled');
      expect(calls[0]?.opts.signal?.aborted).toBe(true);

      // Run again at once; the small run ends before the big one has noticed its cancel.
      const second = sessionStore.getState().runSimulation(doc, small);
      expect(calls).toHaveLength(2);
      calls[1]?.resolve({ report, log: [] });
      await second;
      expect(sessionStore.getState().sim.status).toBe('done');

      // Now the cancelled run's thread stops, and its promise rejects.
      calls[0]?.reject(cancelledError());
      await first;

      // What the user sees on the Review tab: the run's summary, attached (not "No simulation yet").
      render(<SubmitCard backend={backend} onSubmitted={() => {}} />);
      expect(screen.getByTestId('submit-sim').textContent).toContain('47 journey entries');
      expect(screen.getByTestId('submit-sim').textContent).toContain('Its summary goes with the release.');
      const sim = sessionStore.getState().sim;
      expect(sim.status).toBe('done');
      expect(sim.result?.report.journeys.journey_1?.entered).toBe(47);
      expect(sim.params).toEqual(small);
    } finally {
      sessionStore.setState({ backend: before.backend, diagnostics: before.diagnostics, sim: before.sim });
    }
  });

  it('does not stop, or write its progress into, the run after it', async () => {
    const ws: Workspace = { schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [] };
    const { backend, calls } = slowBackend();
    const session = createSessionStore({ backend, http: null });
    const first = session.getState().runSimulation(ws, big);
    session.getState().cancelSimulation();
    const second = session.getState().runSimulation(ws, small);
    calls[1]?.opts.onProgress?.({ done: 1, total: 10, phase: 'simulate' });

    // The old run still reports progress until it stops, then ends, while the new one runs.
    calls[0]?.opts.onProgress?.({ done: 900, total: 1000, phase: 'simulate' });
    calls[0]?.reject(cancelledError());
    await first;
    expect(session.getState().sim.status).toBe('running');
    expect(session.getState().sim.progress).toEqual({ done: 1, total: 10, phase: 'simulate' });
    expect(session.getState().sim.params).toEqual(small);

    // Cancel still reaches the run in progress.
    session.getState().cancelSimulation();
    expect(calls[1]?.opts.signal?.aborted).toBe(true);
    expect(session.getState().sim.status).toBe('cancelled');
    calls[1]?.reject(cancelledError());
    await second;
    expect(session.getState().sim.status).toBe('cancelled');
    expect(session.getState().sim.result).toBeNull();
  });

  it('an answer that arrives after its cancel is dropped', async () => {
    const ws: Workspace = { schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [] };
    const { backend, calls } = slowBackend();
    const session = createSessionStore({ backend, http: null });
    const run = session.getState().runSimulation(ws, big);
    session.getState().cancelSimulation();
    await act(async () => {
      calls[0]?.resolve({ report, log: [] });
      await run;
    });
    expect(session.getState().sim.status).toBe('cancelled');
    expect(session.getState().sim.result).toBeNull();
  });
});
