// The Monitor's live controls (issue 18 part 7, docs/operations.md) over a fake backend that keeps
// the control state in memory: pause and resume, the degrade switch's bodies, the breaker reset,
// the pacing chart's points, the alerts' meaning and action in zh and en, an engine without the
// routes, and the deploy form's guardrails.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { initI18n, setLang } from '../i18n';
import { BackendError, HttpBackend, TauriBackend, type Backend, type ReleaseDetail } from '../backend';
import { degradeBody, guardrailProblems, guardrailsBody, pacingGeometry, readControlState, svgPoints, type Alert, type CampaignControl, type ControlEntry, type ControlState, type DegradeRequest } from '../model/control';
import { AlertsList, LiveControls, PacingChart, historyDetails } from '../views/LiveControls';
import { Review } from '../views/ReviewView';
import { editorStore } from '../store/editor';
import { sessionStore } from '../store/session';
import { setDisplayZone } from '../model/format';
import { i18n } from '../i18n';
import { formatTime } from '../common/ui';

beforeAll(() => {
  initI18n();
  setDisplayZone('UTC');
});
afterEach(() => {
  cleanup();
  sessionStore.setState({ identity: null });
});

const entry = (p: Partial<ControlEntry>): ControlEntry => ({
  action: 'pause',
  target: '',
  scope: null,
  reason: '',
  actor: 'ann',
  at: '2026-11-02T01:00:00Z',
  released: null,
  offers: null,
  touches: null,
  per_minute: null,
  metric: null,
  value: null,
  max: null,
  entries: null,
  version: null,
  ...p,
});

const campaign = (p: Partial<CampaignControl> = {}): CampaignControl => ({
  campaign: 'c1',
  total: '1000',
  committed: '420',
  start: '2026-11-01T00:00:00Z',
  end: '2026-11-11T00:00:00Z',
  pacing: {
    mode: 'even',
    period: 'day',
    periods: 10,
    period_index: 3,
    allowed: '300',
    burn: [
      { period: 1, committed: '100' },
      { period: 2, committed: '250' },
      { period: 3, committed: '420' },
    ],
  },
  breaker: { max_committed: '200', within: '1h', committed_in_window: '230', tripped: true, tripped_at: '2026-11-03T08:00:00Z' },
  ...p,
});

const alerts: Alert[] = [
  { id: 'a1', rule: 'budget_burn_ahead', severity: 'warning', target: 'c1', value: '420', threshold: '300', since: '2026-11-03T08:00:00Z', active: true },
  { id: 'a2', rule: 'unsubscribe_rate_rising', severity: 'critical', target: 'welcome', value: '0.031', threshold: '0.02', since: '2026-11-03T09:00:00Z', active: true },
];

/** The engine's control state in memory, changed by the calls as the service would. */
function fakeLive(init: Partial<ControlState> = {}) {
  const calls: unknown[][] = [];
  const state: ControlState = { paused: [], closed: [], history: [], degrade: [], campaigns: [], ...init };
  const record = (e: ControlEntry) => {
    state.history.push(e);
    return e;
  };
  const backend = {
    kind: 'http',
    target: 'x',
    controlState: async () => JSON.parse(JSON.stringify(state)) as ControlState,
    listAlerts: async () => alerts,
    pauseJourney: async (id: string, req: { scope: 'entries' | 'all'; reason: string }) => {
      calls.push(['pause', id, req]);
      const e = entry({ action: 'pause', target: id, scope: req.scope, reason: req.reason });
      state.paused = [e];
      return record(e);
    },
    resumeJourney: async (id: string, req: { reason: string }) => {
      calls.push(['resume', id, req]);
      state.paused = state.paused.filter((p) => p.target !== id);
      return record(entry({ action: 'resume', target: id, reason: req.reason }));
    },
    setDegrade: async (req: DegradeRequest) => {
      calls.push(['degrade', req]);
      const touches = typeof req.touches === 'object' ? 'on' : (req.touches ?? 'on');
      const per = typeof req.touches === 'object' ? req.touches.per_minute : null;
      state.degrade = [...state.degrade.filter((d) => d.campaign !== (req.campaign ?? null)), { campaign: req.campaign ?? null, offers: req.offers ?? 'on', touches, per_minute: per, reason: req.reason ?? '', actor: 'ann', at: '2026-11-02T02:00:00Z' }];
      return record(entry({ action: 'degrade', target: req.campaign ?? '', offers: req.offers ?? null, touches: typeof req.touches === 'string' ? req.touches : null, per_minute: per, reason: req.reason ?? '' }));
    },
    resetBreaker: async (id: string, req: { reason: string }) => {
      calls.push(['reset', id, req]);
      state.campaigns = state.campaigns.map((c) => (c.campaign === id && c.breaker ? { ...c, breaker: { ...c.breaker, tripped: false, tripped_at: null } } : c));
      return record(entry({ action: 'breaker_reset', target: id, reason: req.reason }));
    },
    closeCampaign: async (id: string, req: { reason: string }) => {
      calls.push(['close', id, req]);
      const e = entry({ action: 'close', target: id, reason: req.reason, released: '580' });
      state.closed = [e];
      return record(e);
    },
  } as unknown as Backend;
  return { backend, calls, state };
}

const show = (backend: Backend, journey = 'welcome') => render(<LiveControls backend={backend} journey={journey} campaign="c1" auto={false} tick={0} everyMs={5000} />);
const type = (id: string, v: string) => fireEvent.change(screen.getByTestId(id), { target: { value: v } });
const click = async (id: string) => act(async () => fireEvent.click(screen.getByTestId(id)));

describe('pause and resume', () => {
  it('pauses with a scope and a reason, shows the pause in force, then resumes', async () => {
    await act(async () => setLang('en'));
    const { backend, calls } = fakeLive();
    show(backend);
    await waitFor(() => expect(screen.getByTestId('pause-status').textContent).toContain('Running'));
    // no reason, no pause; nothing paused, no resume
    expect((screen.getByTestId('pause-button') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('resume-button') as HTMLButtonElement).disabled).toBe(true);
    type('pause-scope', 'all');
    type('pause-reason', 'stock check');
    await click('pause-button');
    expect(calls).toEqual([['pause', 'welcome', { scope: 'all', reason: 'stock check' }]]);
    await waitFor(() => expect(screen.getByTestId('pause-status').getAttribute('data-paused')).toBe('all'));
    const status = screen.getByTestId('pause-status').textContent ?? '';
    expect(status).toContain('Everything');
    expect(status).toContain('ann');
    expect(status).toContain(formatTime('2026-11-02T01:00:00Z'));
    expect(status).toContain('stock check');
    // the history has it, translated
    expect(screen.getByTestId('history-row-0').textContent).toContain('Pause');

    type('pause-reason', 'stock fine');
    await click('resume-button');
    expect(calls[1]).toEqual(['resume', 'welcome', { reason: 'stock fine' }]);
    await waitFor(() => expect(screen.getByTestId('pause-status').getAttribute('data-paused')).toBe(''));
    expect(screen.getByTestId('pause-status').textContent).toContain('Running');
  });

  it('zh: the pause in force in Chinese', async () => {
    await act(async () => setLang('zh'));
    const { backend } = fakeLive({ paused: [entry({ target: 'welcome', scope: 'entries', reason: '库存核对' })] });
    show(backend);
    await waitFor(() => expect(screen.getByTestId('pause-status').textContent).toContain('已暂停（仅暂停新进入）'));
    expect(screen.getByTestId('pause-status').textContent).toContain('库存核对');
  });
});

describe('the degrade switch', () => {
  it('sends engine-wide and per-campaign bodies, per_minute as an object, and shows what is in force', async () => {
    await act(async () => setLang('en'));
    const { backend, calls } = fakeLive({ campaigns: [campaign()] });
    show(backend);
    await screen.findByTestId('degrade-none');
    // the order of risk control and what each setting does
    expect(screen.getByTestId('degrade-order').textContent).toContain('roll the rules back');
    const explain = screen.getByTestId('degrade-explain').textContent ?? '';
    expect(explain).toContain('“degraded”');
    expect(explain).toContain('“throttled”');
    expect(explain).toContain('next free minute');

    // nothing chosen: said, nothing sent
    await click('degrade-apply');
    expect(screen.getByTestId('degrade-problem').textContent).toContain('Choose a change');
    expect(calls).toEqual([]);

    type('degrade-offers', 'off');
    type('degrade-reason', 'incident 42');
    await click('degrade-apply');
    expect(calls[0]).toEqual(['degrade', { offers: 'off', reason: 'incident 42' }]);
    await waitFor(() => expect(screen.getByTestId('degrade-engine').textContent).toContain('off'));
    expect(screen.getByTestId('degrade-engine').textContent).toContain('Engine-wide');

    type('degrade-target', 'c1');
    type('degrade-offers', 'keep');
    type('degrade-touches', 'per_minute');
    type('degrade-per-minute', '0');
    await click('degrade-apply');
    expect(screen.getByTestId('degrade-problem').textContent).toContain('at least 1');
    expect(calls).toHaveLength(1);
    type('degrade-per-minute', '30');
    await click('degrade-apply');
    expect(calls[1]).toEqual(['degrade', { touches: { per_minute: 30 }, campaign: 'c1' }]);
    await waitFor(() => expect(screen.getByTestId('degrade-c1').textContent).toContain('30 per minute'));

    type('degrade-touches', 'off');
    await click('degrade-apply');
    expect(calls[2]).toEqual(['degrade', { touches: 'off', campaign: 'c1' }]);
  });

  it('builds the bodies as the route reads them', () => {
    const f = { campaign: '', offers: 'keep' as const, touches: 'keep' as const, perMinute: '', reason: '' };
    expect(degradeBody(f)).toEqual({ problem: 'nothing' });
    expect(degradeBody({ ...f, offers: 'on', touches: 'on', reason: '  ok ' })).toEqual({ body: { offers: 'on', touches: 'on', reason: 'ok' } });
    expect(degradeBody({ ...f, touches: 'per_minute', perMinute: '2.5' })).toEqual({ problem: 'perMinute' });
    expect(degradeBody({ ...f, touches: 'per_minute', perMinute: '12', campaign: 'c9' })).toEqual({ body: { touches: { per_minute: 12 }, campaign: 'c9' } });
  });

  it('HTTP and Tauri send the same bodies to their route and command', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const f = (async (url: string, init: RequestInit = {}) => {
      calls.push({ url, init });
      return new Response(url.endsWith('/v1/alerts') ? JSON.stringify({ alerts }) : url.endsWith('/v1/control') && init.method === 'GET' ? JSON.stringify({ paused: [], closed: [], history: [] }) : JSON.stringify(entry({})), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    const h = new HttpBackend({ baseUrl: 'http://h', token: 't' }, f);
    await h.pauseJourney('j 1', { scope: 'entries', reason: 'r' });
    await h.resumeJourney('j', { reason: '' });
    await h.closeCampaign('c1', { reason: 'end' });
    await h.setDegrade({ touches: { per_minute: 5 }, campaign: 'c1' });
    await h.resetBreaker('c1', { reason: 'ok' });
    expect(await h.listAlerts()).toEqual(alerts);
    // an engine before the degrade switch answers less; the lists it lacks are empty
    expect(await h.controlState()).toEqual({ paused: [], closed: [], history: [], degrade: [], campaigns: [] });
    await h.deployRelease('r1', { rollout_percent: 10, mode: 'live', guardrails: [{ metric: 'cost_per_entry', max: '5.00', min_entries: 50 }] });
    expect(calls.map((c) => `${c.init.method} ${c.url.replace('http://h', '')}`)).toEqual([
      'POST /v1/journeys/j%201/pause',
      'POST /v1/journeys/j/resume',
      'POST /v1/campaigns/c1/close',
      'POST /v1/control',
      'POST /v1/campaigns/c1/breaker/reset',
      'GET /v1/alerts',
      'GET /v1/control',
      'POST /v1/releases/r1/deploy',
    ]);
    expect(JSON.parse(calls[3]!.init.body as string)).toEqual({ touches: { per_minute: 5 }, campaign: 'c1' });
    expect(JSON.parse(calls[7]!.init.body as string)).toEqual({ rollout_percent: 10, mode: 'live', guardrails: [{ metric: 'cost_per_entry', max: '5.00', min_entries: 50 }] });

    const invoked: [string, unknown][] = [];
    const tb = new TauriBackend(async <T,>(cmd: string, args?: Record<string, unknown>) => {
      invoked.push([cmd, args]);
      return (cmd === 'list_alerts' ? { alerts: [] } : cmd === 'control_state' ? {} : entry({})) as T;
    });
    await tb.pauseJourney('j', { scope: 'all', reason: 'r' });
    await tb.setDegrade({ offers: 'off' });
    await tb.resetBreaker('c1', { reason: 'ok' });
    await tb.closeCampaign('c1', { reason: 'end' });
    await tb.resumeJourney('j', { reason: '' });
    expect(await tb.listAlerts()).toEqual([]);
    expect((await tb.controlState()).campaigns).toEqual([]);
    await tb.deployRelease('r1', { rollout_percent: 50, mode: 'live' });
    expect(invoked).toEqual([
      ['pause_journey', { args: { id: 'j', scope: 'all', reason: 'r' } }],
      ['set_degrade', { args: { offers: 'off' } }],
      ['reset_breaker', { args: { id: 'c1', reason: 'ok' } }],
      ['close_campaign', { args: { id: 'c1', reason: 'end' } }],
      ['resume_journey', { args: { id: 'j', reason: '' } }],
      ['list_alerts', { args: {} }],
      ['control_state', { args: {} }],
      ['deploy_release', { args: { id: 'r1', rollout_percent: 50, mode: 'live' } }],
    ]);
  });
});

describe('campaign cards', () => {
  it('resets a tripped breaker with a reason', async () => {
    await act(async () => setLang('en'));
    const { backend, calls } = fakeLive({ campaigns: [campaign()] });
    show(backend);
    const card = await screen.findByTestId('campaign-c1');
    expect(within(card).getByTestId('budget-c1').textContent).toContain('42.0%');
    expect(screen.getByTestId('breaker-c1').getAttribute('data-tripped')).toBe('true');
    expect(screen.getByTestId('breaker-c1').textContent).toContain(`Tripped at ${formatTime('2026-11-03T08:00:00Z')}`);
    expect(screen.getByTestId('breaker-c1').textContent).toContain('in the last 1h');
    expect((screen.getByTestId('breaker-reset-c1') as HTMLButtonElement).disabled).toBe(true);
    type('breaker-reason-c1', 'spike understood');
    await click('breaker-reset-c1');
    expect(calls).toEqual([['reset', 'c1', { reason: 'spike understood' }]]);
    await waitFor(() => expect(screen.getByTestId('breaker-c1').getAttribute('data-tripped')).toBe('false'));
    expect(screen.getByTestId('breaker-c1').textContent).toContain('OK');
  });

  it('closes a campaign only after a confirmation with a reason', async () => {
    await act(async () => setLang('en'));
    const { backend, calls } = fakeLive({ campaigns: [campaign()] });
    show(backend);
    await screen.findByTestId('campaign-c1');
    await click('close-c1');
    expect(calls).toEqual([]);
    expect(screen.getByTestId('close-confirm-box-c1').textContent).toContain('cannot be undone');
    await click('close-cancel-c1');
    expect(screen.queryByTestId('close-confirm-box-c1')).toBeNull();
    await click('close-c1');
    type('close-reason-c1', 'ended early');
    await click('close-confirm-c1');
    expect(calls).toEqual([['close', 'c1', { reason: 'ended early' }]]);
    await waitFor(() => expect(screen.getByTestId('closed-c1').textContent).toContain('ended early'));
    expect(screen.getByTestId('closed-c1').textContent).toContain('580');
  });

  it('computes the pacing chart’s burn and line points', () => {
    const g = pacingGeometry(campaign())!;
    // box 420×200, plot from x 64 to 408 and y 12 to 164; money 0..1000
    expect(g.yMax).toBe(1000);
    expect(g.line).toHaveLength(11);
    expect(g.line[0]).toEqual({ period: 0, amount: 0, x: 64, y: 164 });
    expect(g.line[1]).toEqual({ period: 1, amount: 100, x: 98.4, y: 148.8 });
    expect(g.line[10]).toEqual({ period: 10, amount: 1000, x: 408, y: 12 });
    expect(g.burn.map((p) => [p.period, p.amount, p.x, p.y])).toEqual([
      [0, 0, 64, 164],
      [1, 100, 98.4, 148.8],
      [2, 250, 132.8, 126],
      [3, 420, 167.2, 100.16],
    ]);
    expect(g.now).toEqual({ period: 3, x: 167.2 });
    expect(g.ahead).toBe(true);
    expect(g.xTicks.map((t) => t.period)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(g.yTicks.map((t) => t.amount)).toEqual([0, 500, 1000]);
    // behind the line, and a burn above the total widens the axis
    expect(pacingGeometry(campaign({ committed: '250' }))!.ahead).toBe(false);
    expect(pacingGeometry(campaign({ pacing: { ...campaign().pacing!, burn: [{ period: 1, committed: '1300' }] } }))!.yMax).toBe(1500);
    expect(pacingGeometry(campaign({ pacing: null }))).toBeNull();
  });

  it('draws those points with labelled axes and a legend, or says there is no pacing', async () => {
    await act(async () => setLang('en'));
    const c = campaign();
    const g = pacingGeometry(c)!;
    render(<PacingChart c={c} />);
    expect(screen.getByTestId('pacing-burn-c1').getAttribute('points')).toBe(svgPoints(g.burn));
    expect(screen.getByTestId('pacing-burn-c1').getAttribute('points')).toBe('64,164 98.4,148.8 132.8,126 167.2,100.16');
    expect(screen.getByTestId('pacing-line-c1').getAttribute('points')).toBe(svgPoints(g.line));
    expect(screen.getByTestId('pacing-xlabel-c1').textContent).toBe('Period (days)');
    expect(screen.getByTestId('pacing-ylabel-c1').textContent).toBe('Committed');
    expect(screen.getAllByTestId('pacing-xtick-c1').map((e) => e.textContent)).toEqual(['0', '2', '4', '6', '8', '10']);
    expect(screen.getAllByTestId('pacing-ytick-c1').map((e) => e.textContent)).toEqual(['¥0', '¥500', '¥1,000']);
    const legend = screen.getByTestId('pacing-legend-c1').textContent ?? '';
    expect(legend).toContain('Committed (end of each period)');
    expect(legend).toContain('Pacing line (total × k / N)');
    cleanup();
    await act(async () => setLang('zh'));
    render(<PacingChart c={{ ...c, pacing: null }} />);
    expect(screen.getByTestId('pacing-empty-c1').textContent).toContain('未设匀速投放');
  });
});

describe('alerts', () => {
  it('each alert with its meaning and suggested action, in zh and in en', async () => {
    await act(async () => setLang('zh'));
    render(<AlertsList alerts={alerts} />);
    // critical first
    const items = screen.getByTestId('alert-list').querySelectorAll('li');
    expect(items[0]?.getAttribute('data-testid')).toBe('alert-a2');
    expect(screen.getByTestId('alert-a1').textContent).toContain('预算消耗快于进度');
    expect(screen.getByTestId('alert-meaning-a1').textContent).toContain('预算消耗快于进度线');
    expect(screen.getByTestId('alert-action-a1').textContent).toContain('设置匀速投放或降低每小时配额');
    expect(screen.getByTestId('alert-a2').textContent).toContain('严重');
    expect(screen.getByTestId('alert-figure-a2').textContent).toContain('3.1%');
    expect(screen.getByTestId('alert-figure-a2').textContent).toContain('2%');
    expect(screen.getByTestId('alert-figure-a1').textContent).toContain('¥420');
    cleanup();
    await act(async () => setLang('en'));
    render(<AlertsList alerts={alerts} />);
    expect(screen.getByTestId('alert-meaning-a1').textContent).toContain('The budget is burning faster than its line');
    expect(screen.getByTestId('alert-action-a1').textContent).toContain('Check the offer’s targeting; set pacing or lower the hourly quota; pause entries if needed.');
    expect(screen.getByTestId('alert-action-a2').textContent).toContain('throttle touches');
    expect(screen.getByTestId('alert-a2').textContent).toContain('Critical');
    cleanup();
    render(<AlertsList alerts={[]} />);
    expect(screen.getByTestId('alerts-empty').textContent).toBe('No alerts.');
  });

  it('every rule, action and metric has words in both languages', () => {
    for (const lng of ['zh', 'en'] as const) {
      for (const r of ['budget_burn_ahead', 'redemption_rate_falling', 'unsubscribe_rate_rising', 'touch_failures_rising', 'rejections_spiking', 'ledger_unreconciled', 'breaker_tripped', 'guardrail_rolled_back']) {
        for (const k of ['title', 'meaning', 'action']) expect(i18n.exists(`live.alerts.rules.${r}.${k}`, { lng }), `${lng} ${r}.${k}`).toBe(true);
      }
      for (const a of ['pause', 'resume', 'close', 'degrade', 'breaker_trip', 'breaker_reset', 'guardrail_rollback']) expect(i18n.exists(`live.history.actions.${a}`, { lng })).toBe(true);
      for (const m of ['unsubscribe_rate', 'offer_rejected_rate', 'touch_failed_rate', 'cost_per_entry']) {
        expect(i18n.exists(`live.guardrails.metrics.${m}`, { lng })).toBe(true);
        expect(i18n.exists(`live.guardrails.hints.${m}`, { lng })).toBe(true);
      }
      for (const r of ['degraded', 'throttled', 'pacing', 'breaker']) expect(i18n.exists(`vocab.reasons.${r}`, { lng }) && i18n.exists(`reasons.${r}`, { lng }), r).toBe(true);
    }
  });

  it('an engine without the routes is told gently, not as an error', async () => {
    await act(async () => setLang('en'));
    const missing = async () => {
      throw new BackendError('E_NOT_FOUND', 'no such route; see /openapi.json', undefined, 404);
    };
    const backend = { kind: 'http', target: 'x', controlState: missing, listAlerts: missing } as unknown as Backend;
    show(backend);
    await waitFor(() => expect(screen.getByTestId('live-unsupported').textContent).toContain('does not support live controls yet'));
    expect(screen.getByTestId('alerts-unsupported')).toBeTruthy();
    expect(screen.queryByTestId('live-error')).toBeNull();
    expect(screen.queryByTestId('error-banner')).toBeNull();
    cleanup();
    // a backend without the methods at all (an older shell) reads the same
    show({ kind: 'tauri', target: 'desktop' } as unknown as Backend);
    await screen.findByTestId('live-unsupported');
  });

  it('a degrade the engine does not have (405 on /v1/control) is told gently', async () => {
    await act(async () => setLang('en'));
    const { backend } = fakeLive();
    (backend as unknown as Record<string, unknown>).setDegrade = async () => {
      throw new BackendError('E_HTTP_405', 'HTTP 405', undefined, 405);
    };
    show(backend);
    await screen.findByTestId('degrade-none');
    type('degrade-offers', 'off');
    await click('degrade-apply');
    expect(screen.getByTestId('degrade-action-unsupported').textContent).toContain('does not support this control yet');
    expect(screen.queryByTestId('degrade-action-error')).toBeNull();
  });
});

describe('the control history', () => {
  it('lists each control newest first, with a guardrail rollback’s figures', async () => {
    await act(async () => setLang('en'));
    const history = [
      entry({ action: 'degrade', target: '', offers: 'off', reason: 'incident' }),
      entry({ action: 'guardrail_rollback', target: 'welcome', actor: 'engine', reason: 'guardrail', metric: 'unsubscribe_rate', value: '0.031', max: '0.02', entries: 1200, version: 4 }),
    ];
    const { backend } = fakeLive({ history });
    show(backend);
    const row = await screen.findByTestId('history-row-0');
    expect(row.getAttribute('data-action')).toBe('guardrail_rollback');
    expect(row.textContent).toContain('Guardrail rollback');
    expect(row.textContent).toContain('Unsubscribe rate 0.031 > max 0.02 after 1,200 entries; v4 rolled back');
    expect(screen.getByTestId('history-row-1').textContent).toContain('Engine-wide');
    expect(screen.getByTestId('history-row-1').textContent).toContain('offers off');
    const zh = i18n.getFixedT('zh');
    expect(historyDetails(zh, history[1]!)).toBe('1,200 次进入后退订率为 0.031，超过上限 0.02；已回滚 v4');
  });

  it('reads an older engine’s answer without the new fields', () => {
    const s = readControlState({ paused: [{ action: 'pause', target: 'j', scope: 'all', reason: 'r', actor: 'a', at: 't', released: null }], closed: [], history: [] });
    expect(s.paused[0]).toMatchObject({ target: 'j', offers: null, per_minute: null, version: null });
    expect(s.degrade).toEqual([]);
    expect(s.campaigns).toEqual([]);
  });
});

describe('guardrails on the deploy form', () => {
  it('validate max and min_entries inline', () => {
    expect(guardrailProblems({ metric: 'unsubscribe_rate', max: '0.02', minEntries: '100' })).toEqual({});
    expect(guardrailProblems({ metric: 'unsubscribe_rate', max: '-1', minEntries: '0' })).toEqual({ max: 'decimal', minEntries: 'positive' });
    expect(guardrailProblems({ metric: 'cost_per_entry', max: '5.', minEntries: '1.5' })).toEqual({ max: 'decimal', minEntries: 'positive' });
    expect(guardrailsBody([])).toBeUndefined();
    expect(guardrailsBody([{ metric: 'cost_per_entry', max: ' 5.00 ', minEntries: '20' }])).toEqual([{ metric: 'cost_per_entry', max: '5.00', min_entries: 20 }]);
  });

  it('are sent with the deploy once valid', async () => {
    await act(async () => setLang('en'));
    editorStore.getState().loadTemplate('welcome');
    const workspace = editorStore.getState().doc;
    const detail = { release: 'r1', version: 3, status: 'approved', author: 'someone', created_at: '2026-12-01T10:00:00Z', journeys: ['welcome'], workspace, diagnostics: [], summary: null, reviews: [], deployments: [], note: '' } as unknown as ReleaseDetail;
    const deployed: unknown[] = [];
    const backend = {
      kind: 'http',
      target: 'x',
      listReleases: async () => [{ ...detail }],
      getRelease: async () => ({ ...detail }),
      listJourneys: async () => [],
      deployRelease: async (id: string, req: unknown) => {
        deployed.push([id, req]);
      },
    } as unknown as Backend;
    render(<Review backend={backend} />);
    const row = (await screen.findAllByTestId('release-r1'))[0]!;
    await act(async () => fireEvent.click(row.querySelector('td')!));
    await screen.findByTestId('guardrails-none');
    await click('guardrail-add');
    // a new row needs its max: said inline, and deploy waits
    expect(screen.getByTestId('guardrail-max-error-0').textContent).toContain('non-negative decimal');
    expect((screen.getByTestId('deploy') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('guardrails-invalid')).toBeTruthy();
    // each metric explained
    expect(screen.getByTestId('guardrail-0').textContent).toContain('Unsubscribes attributed to the new version ÷ its entries');
    type('guardrail-max-0', '0.02');
    type('guardrail-min-0', '0');
    expect(screen.getByTestId('guardrail-min-error-0').textContent).toContain('at least 1');
    type('guardrail-min-0', '200');
    await click('guardrail-add');
    type('guardrail-metric-1', 'cost_per_entry');
    expect(screen.getByTestId('guardrail-1').textContent).toContain('Money committed ÷ entries');
    type('guardrail-max-1', '5.00');
    type('guardrail-min-1', '50');
    expect(screen.queryByTestId('guardrails-invalid')).toBeNull();
    await click('deploy');
    await click('deploy-confirm');
    await waitFor(() => expect(deployed).toHaveLength(1));
    expect(deployed[0]).toEqual([
      'r1',
      {
        rollout_percent: 100,
        mode: 'live',
        guardrails: [
          { metric: 'unsubscribe_rate', max: '0.02', min_entries: 200 },
          { metric: 'cost_per_entry', max: '5.00', min_entries: 50 },
        ],
      },
    ]);
  });
});
