import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

// ECharts needs a real canvas: the simulation view's charts are not what this file tests.
vi.mock('../views/Charts', () => ({ ReportCharts: () => null, SummaryCards: () => null }));
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { initI18n, setLang } from '../i18n';
import type { Backend, ReleaseDetail } from '../backend';
import { editorStore } from '../store/editor';
import { sessionStore } from '../store/session';
import { MonitorView, liveEventCommands } from '../views/MonitorView';
import { NodeDetail, pathUsers, usersAt } from '../views/NodeDetail';
import { SimulateView } from '../views/SimulateView';
import { DecisionTable } from '../views/DecisionLog';
import { setDisplayZone } from '../model/format';
import type { DecisionRecord, Journey, Report } from '../model/types';

beforeAll(() => {
  initI18n();
});
afterEach(cleanup);

const log: DecisionRecord[] = [
  { seq: 1, ts: '2026-11-02T01:00:00Z', user_id: 'u1', journey: 'welcome', version: null, node: 't', kind: 'journey.entered' },
  { seq: 2, ts: '2026-11-02T01:00:00Z', user_id: 'u1', journey: 'welcome', version: null, node: 'o', kind: 'offer.issued', offer: 'c20', amount: '20' },
  { seq: 3, ts: '2026-11-02T01:05:00Z', user_id: 'u2', journey: 'welcome', version: null, node: 'o', kind: 'offer.rejected', offer: 'c20', reason: 'budget' },
  { seq: 4, ts: '2026-11-02T02:00:00Z', user_id: 'u9', journey: null, version: null, node: null, kind: 'conversion', event_id: 'e0000055', revenue: '129' },
];

describe('user paths', () => {
  it('suggests users who went through a journey before those who only converted', () => {
    expect(pathUsers(log)).toEqual(['u1', 'u2', 'u9']);
    expect(usersAt(log, 'welcome', 'o')).toEqual(['u1', 'u2']);
  });

  it('reads a path in words and local times', async () => {
    await act(async () => setLang('zh'));
    setDisplayZone('Asia/Shanghai');
    editorStore.getState().loadTemplate('welcome');
    render(<DecisionTable records={log} />);
    const text = screen.getByTestId('decision-table').textContent ?? '';
    expect(text).toContain('2026-11-02 09:00:00');
    expect(text).toContain('权益被拒');
    expect(text).toContain('原因：预算不足');
    expect(text).toContain('收入：¥129');
    expect(text).not.toContain('revenue=129');
    expect(text).not.toContain('offer.rejected');
  });
});

describe('a node picked on the simulation canvas', () => {
  it('shows its counts per exit and the users who passed it, each opening their path', async () => {
    await act(async () => setLang('zh'));
    const journey: Journey = { id: 'welcome', nodes: [{ id: 'o', type: 'action.offer', label: '发券', params: { offer: 'c20' } }], edges: [] };
    const counts = { entered: 2, skipped: {}, exited: {}, nodes: { o: { entered: 2, ports: { issued: 1, rejected: 1 } } } };
    const opened: string[] = [];
    render(<NodeDetail journey={journey} node="o" counts={counts} log={log} onUser={(u) => opened.push(u)} onClose={() => {}} />);
    const c = screen.getByTestId('node-detail-counts').textContent ?? '';
    expect(c).toContain('2 个用户到达此节点');
    expect(c).toContain('从“已发放”离开：1');
    expect(c).toContain('(50%)');
    fireEvent.click(screen.getByTestId('node-user-u2'));
    expect(opened).toEqual(['u2']);
  });

  it('opens from a click on a node of the simulation canvas', async () => {
    await act(async () => setLang('en'));
    editorStore.getState().loadTemplate('welcome');
    const doc = editorStore.getState().doc;
    const j = doc.journeys[0]!;
    const first = j.nodes[0]!;
    const report = { input: { users: 2, events: 3, skipped_lines: 0 }, journeys: { [j.id]: { entered: 2, skipped: {}, exited: {}, nodes: { [first.id]: { entered: 2, ports: { out: 2 } } } } }, offers: {}, campaigns: {}, touches: { sent: {}, suppressed: {}, deferred: 0 }, conversions: { count: 0, revenue: '0', attributed: 0, attributed_revenue: '0' }, cost: '0', roi: null } as Report;
    const sim = sessionStore.getState().sim;
    sessionStore.setState({ backend: { kind: 'http', target: 'x' } as unknown as Backend, sim: { ...sim, status: 'done', doc, result: { report, log: [{ seq: 1, ts: '2026-11-02T01:00:00Z', user_id: 'u7', journey: j.id, version: null, node: first.id, kind: 'journey.entered' }] } } });
    render(<SimulateView />);
    expect(screen.queryByTestId('node-detail')).toBeNull();
    await act(async () => fireEvent.click(await screen.findByTestId(`node-${first.id}`)));
    expect(screen.getByTestId('node-detail-counts').textContent).toContain('2 users reached it');
    await act(async () => fireEvent.click(screen.getByTestId('node-user-u7')));
    expect((screen.getByTestId('path-user') as HTMLInputElement).value).toBe('u7');
    sessionStore.setState({ sim, backend: null });
  });
});

describe('monitor before any live event', () => {
  it('says how live events arrive, with the exact commands', async () => {
    await act(async () => setLang('zh'));
    const cmds = liveEventCommands('http://127.0.0.1:4242/', 'register', new Date('2026-11-02T01:00:00.123Z'));
    expect(cmds.http).toBe(
      'curl -X POST http://127.0.0.1:4242/v1/events -H "Authorization: Bearer $TRELLIS_TOKEN" -H "Content-Type: application/json" -d \'{"event_id":"demo-1793581200123","user_id":"u000001","type":"register","ts":"2026-11-02T01:00:00Z"}\'',
    );
    expect(cmds.amqp).toContain('exchange=marketing.events routing_key=marketing.app.events');

    editorStore.getState().loadTemplate('welcome');
    const workspace = editorStore.getState().doc;
    const detail = { release: 'r1', version: 1, status: 'deployed', author: 'a', created_at: '', journeys: ['welcome'], workspace, diagnostics: [], summary: null, reviews: [], deployments: [], note: '' } as unknown as ReleaseDetail;
    const backend = {
      kind: 'tauri',
      target: 'desktop',
      listJourneys: async () => [{ id: workspace.journeys[0]!.id, version: 1, release: 'r1', rollout_percent: 100, mode: 'live', deployed_at: '' }],
      getRelease: async () => detail,
      journeyStats: async () => ({ journeys: {}, offers: {}, campaigns: {}, touches: { sent: {}, suppressed: {}, deferred: 0 }, conversions: { count: 0, revenue: '0', attributed: 0, attributed_revenue: '0' }, cost: '0', roi: null }),
      decisions: async () => [],
    } as unknown as Backend;
    sessionStore.setState({ backend, identity: { engine: 'bundled', url: 'http://127.0.0.1:4242', name: 'local-admin', role: 'admin', acting: 'author', can_switch: true } });
    render(<MonitorView />);
    const trigger = workspace.journeys[0]!.nodes.find((n) => n.type === 'trigger.event')?.params?.event as string;
    await waitFor(() => expect(screen.getByTestId('monitor-hint-http').textContent).toContain(`"type":"${trigger}"`));
    expect(screen.getByTestId('monitor-hint-http').textContent).toContain('http://127.0.0.1:4242/v1/events');
    expect(screen.getByTestId('monitor-hint').textContent).toContain('engine.json');
    // The live measurement sits under the log: this engine's stats carry no measurement (an
    // older engine), and the panel says so rather than showing nothing.
    const m = await screen.findByTestId('monitor-measurement');
    expect(m.querySelector('[data-testid=measurement-unavailable]')).not.toBeNull();
    sessionStore.setState({ backend: null, identity: null });
  });
});
