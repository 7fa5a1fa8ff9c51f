import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { initI18n, setLang } from '../i18n';
import { HttpBackend, type Backend } from '../backend';
import { editorStore } from '../store/editor';
import { sessionStore } from '../store/session';
import { SIM_SUMMARY_SCHEMA, buildSimSummary, readSimSummary } from '../model/simSummary';
import type { Report, Workspace } from '../model/types';
import { Review, SimSummaryCard, SubmitCard } from '../views/ReviewView';
import type { ReleaseDetail } from '../backend';
import type { SimSummary } from '../model/simSummary';

beforeAll(() => {
  initI18n();
  setLang('en');
});
afterEach(cleanup);

const report: Report = {
  input: { users: 300, events: 4210, skipped_lines: 0 },
  journeys: {
    cart: { entered: 120, skipped: {}, exited: { completed: 100, goal: 20 }, nodes: {} },
    vip: { entered: 7, skipped: {}, exited: {}, nodes: {} },
  },
  offers: {
    c10: { issued: 40, rejected: { budget_exhausted: 5, per_user_limit: 2 }, redeemed: 9, expired: 0 },
    c20: { issued: 3, rejected: { budget_exhausted: 1 }, redeemed: 0, expired: 0 },
  },
  campaigns: { spring: { budget: '500.00', reserved: '0.00', spent: '430.00', remaining: '70.00', exhausted_at: '2026-11-03T10:00:00Z' } },
  touches: { sent: { push: 50, sms: 10 }, suppressed: { quiet_hours: 4, freq_cap: 3 }, deferred: 2 },
  conversions: { count: 30, revenue: '3000.00', attributed: 12, attributed_revenue: '1200.50' },
  cost: '430.00',
  roi: 1.79,
};

describe('the simulation summary sent with a release', () => {
  it('keeps the figures an approver reads, and reads them back', () => {
    const s = buildSimSummary(report, { users: 300, days: 7, seed: 1 }, Date.UTC(2026, 11, 1, 12));
    expect(s.schema).toBe(SIM_SUMMARY_SCHEMA);
    expect(s.data).toEqual({ source: 'generated', users: 300, days: 7, seed: 1 });
    expect(s.simulated_at).toBe('2026-12-01T12:00:00.000Z');
    // it survives the trip through JSON (the engine stores it as text)
    const v = readSimSummary(JSON.parse(JSON.stringify(s)));
    expect(v?.simulatedAt).toBe('2026-12-01T12:00:00.000Z');
    expect(v?.data).toEqual({ source: 'generated', users: 300, days: 7, seed: 1 });
    expect(v?.entered).toBe(127);
    expect(v?.issued).toBe(43);
    expect(v?.rejected).toBe(8);
    expect(v?.rejectedBy).toEqual([
      ['budget_exhausted', 6],
      ['per_user_limit', 2],
    ]);
    expect(v?.sent).toBe(60);
    expect(v?.suppressed).toBe(7);
    expect(v?.cost).toBe('430.00');
    expect(v?.revenue).toBe('1200.50');
    expect(v?.budgets).toEqual([['spring', { budget: '500.00', spent: '430.00', exhausted_at: '2026-11-03T10:00:00Z' }]]);
    // an imported run says so and carries no generator settings
    expect(buildSimSummary(report, { users: 1, days: 1, seed: 1, source: 'imported' }, 0).data).toEqual({ source: 'imported' });
  });

  it('is not made up from something else', () => {
    for (const x of [null, undefined, 'text', 3, [], {}, { schema: 'other' }]) expect(readSimSummary(x)).toBeNull();
    // a summary with odd fields reads as zeros, not as an exception
    const v = readSimSummary({ schema: SIM_SUMMARY_SCHEMA, journeys: { a: 'x' }, offers: [1], touches: { sent: { push: 'many' } } });
    expect(v?.entered).toBe(0);
    expect(v?.sent).toBe(0);
  });

  it('goes to the engine beside the workspace, and is left out when there is none', async () => {
    const bodies: unknown[] = [];
    const f = (async (_url: string, init: RequestInit = {}) => {
      bodies.push(JSON.parse(init.body as string));
      return new Response(JSON.stringify({ release: 'r1', version: 1, status: 'pending_review', diagnostics: [] }), { headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    const b = new HttpBackend({ baseUrl: 'http://h', token: 't' }, f);
    const ws: Workspace = { schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [] };
    const s = buildSimSummary(report, { users: 300, days: 7, seed: 1 }, 0);
    await b.submitRelease(ws, s);
    await b.submitRelease(ws);
    expect(bodies[0]).toEqual({ workspace: ws, summary: JSON.parse(JSON.stringify(s)) });
    expect(bodies[1]).toEqual(ws);
  });

  it('is shown to the approver, or its absence is', () => {
    const s = buildSimSummary(report, { users: 300, days: 7, seed: 1 }, 0);
    render(<SimSummaryCard summary={s} />);
    const card = screen.getByTestId('release-sim-summary');
    expect(card.getAttribute('data-entered')).toBe('127');
    expect(card.textContent).toContain('300 users and 4,210 events');
    expect(card.textContent).toContain('generated sample: 300 users × 7 days, seed 1');
    expect(card.textContent).toContain('43 / 8 rejected');
    expect(card.textContent).toContain('budget_exhausted 6');
    expect(card.textContent).toContain('Campaign spring: ¥430 spent of ¥500');
    cleanup();
    render(<SimSummaryCard summary={null} />);
    expect(screen.getByTestId('release-sim-summary').textContent).toContain('No simulation summary was sent');
  });
});

describe('submitting a draft', () => {
  it('sends the summary of a simulation of this very document, and not of an earlier one', async () => {
    editorStore.getState().loadTemplate('welcome');
    const doc = editorStore.getState().doc;
    const sent: (SimSummary | undefined)[] = [];
    const backend = {
      submitRelease: async (_ws: Workspace, summary?: SimSummary) => {
        sent.push(summary);
        return { release: 'r1', version: 1, status: 'pending_review', diagnostics: [] };
      },
    } as unknown as Backend;
    const sim = sessionStore.getState().sim;
    sessionStore.setState({
      diagnostics: [],
      sim: { ...sim, status: 'done', doc, result: { report, log: [] }, params: { users: 300, days: 7, seed: 1 }, finishedAt: Date.UTC(2026, 11, 1) },
    });
    render(<SubmitCard backend={backend} onSubmitted={() => {}} />);
    expect(screen.getByTestId('submit-sim').textContent).toContain('Its summary goes with the release.');
    await act(async () => fireEvent.click(screen.getByTestId('submit-release')));
    expect(sent[0]?.journeys.cart?.entered).toBe(120);
    expect(sent[0]?.simulated_at).toBe('2026-12-01T00:00:00.000Z');
    // an edit after the run: the summary no longer belongs to the document
    act(() => editorStore.getState().apply((d) => ({ ...d, offers: [] })));
    expect(screen.getByTestId('submit-sim').textContent).toContain('simulate again');
    await act(async () => fireEvent.click(screen.getByTestId('submit-release')));
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBeUndefined();
    sessionStore.setState({ sim });
  });
});

describe('the release an approver opens', () => {
  it('shows its validation, its simulation summary and what a new version means for users inside', async () => {
    editorStore.getState().loadTemplate('welcome');
    const workspace = editorStore.getState().doc;
    const head = { release: 'r9', version: 4, status: 'approved' as const, author: 'olga', created_at: '2026-12-01T10:00:00Z', journeys: ['welcome'] };
    const detail: ReleaseDetail = {
      ...head,
      workspace,
      diagnostics: [{ severity: 'warning', code: 'W_UNREACHABLE_NODE', journey: 'welcome', node: 'n7', message: 'nothing leads here' }],
      summary: buildSimSummary(report, { users: 300, days: 7, seed: 1 }, 0),
      reviews: [],
      deployments: [],
      note: '',
    };
    const backend = {
      listReleases: async () => [head],
      getRelease: async () => detail,
      listJourneys: async () => [],
    } as unknown as Backend;
    render(<Review backend={backend} />);
    // in the history (and the inbox, were it pending)
    const row = (await screen.findAllByTestId('release-r9'))[0]!;
    await act(async () => fireEvent.click(row.querySelector('td')!));
    const diags = await screen.findByTestId('release-diagnostics');
    expect(diags.getAttribute('data-count')).toBe('1');
    expect(diags.textContent).toContain('W_UNREACHABLE_NODE');
    expect(screen.getByTestId('release-sim-summary').getAttribute('data-entered')).toBe('127');
    expect(screen.getByTestId('version-note').textContent).toContain('Users already inside a journey finish on the version they entered');
    expect(screen.getByTestId('version-note').textContent).toContain('Version 4');
  });
});
