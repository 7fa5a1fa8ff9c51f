// Placements (issue 19): the `trigger.placement` node's form and words, and the Design view's
// placement tester over a fake backend.

import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { i18n, initI18n, setLang } from '../i18n';
import { NodeForm } from '../panels/NodeForm';
import { DesignView } from '../views/DesignView';
import { nodeSummary } from '../canvas/JourneyNode';
import { diagText } from '../model/diagText';
import { kindText, reasonText } from '../model/vocab';
import { contextFromJson, contextFromRows, placementPath, placementProblem, placementsOf, testerRequestId } from '../model/placement';
import { BackendError, HttpBackend, TauriBackend, type Backend, type DecideAnswer, type DecideRequest } from '../backend';
import { editorStore } from '../store/editor';
import { sessionStore } from '../store/session';
import { placementStore } from '../store/placement';
import type { Journey, Workspace } from '../model/types';

beforeAll(() => {
  initI18n();
});
beforeEach(() => {
  setLang('en');
  placementStore.setState({ open: false, highlight: null });
});
afterEach(cleanup);

const doc = (): Workspace => ({
  schema: 'trellis/workspace@1',
  offers: [{ id: 'banner10', name: '首页满减券', kind: 'coupon', face_value: 10, min_spend: 100, stock: 100, per_user_limit: 1, valid_for: '7d' }],
  policy: { tz: 'Asia/Shanghai' },
  journeys: [
    {
      id: 'cart',
      nodes: [
        { id: 't', type: 'trigger.event', params: { event: 'add_to_cart' }, position: { x: 0, y: 0 } },
        { id: 'm', type: 'action.touch', params: { channels: ['push'], template: 'cart' }, position: { x: 300, y: 0 } },
      ],
      edges: [{ from: 't', port: 'out', to: 'm' }],
    },
    {
      id: 'home',
      nodes: [
        { id: 'p', type: 'trigger.placement', params: { placement: 'home_banner', where: { field: 'event.page', operator: 'eq', value: 'home' } }, position: { x: 0, y: 0 } },
        { id: 'c', type: 'condition', params: { when: { field: 'user.level', operator: 'eq', value: 'gold' } }, position: { x: 250, y: 0 } },
        { id: 'o', type: 'action.offer', params: { offer: 'banner10' }, position: { x: 500, y: 0 } },
        { id: 'f', type: 'action.touch', params: { channels: ['inbox'], template: 'welcome_back' }, position: { x: 500, y: 200 } },
        { id: 'x', type: 'trigger.event', params: { event: 'sign_in' }, position: { x: 0, y: 300 } },
        { id: 'w', type: 'wait.delay', params: { duration: '1d' }, position: { x: 250, y: 300 } },
      ],
      edges: [
        { from: 'p', port: 'out', to: 'c' },
        { from: 'c', port: 'yes', to: 'o' },
        { from: 'c', port: 'no', to: 'f' },
        { from: 'x', port: 'out', to: 'w' },
      ],
    },
    {
      id: 'search',
      nodes: [{ id: 'q', type: 'trigger.placement', params: { placement: 'search_top' } }],
      edges: [],
    },
  ],
});

function loadDoc(d: Workspace = doc()) {
  editorStore.getState().load(JSON.stringify(d, null, 2), 'placements.json');
}

const nodeOf = (j: number, id: string) => (editorStore.getState().doc.journeys[j] as Journey).nodes.find((n) => n.id === id)!;

/** Renders the node form of node `id` of the active journey afresh (after an edit). */
function showForm(id: string) {
  cleanup();
  const s = editorStore.getState();
  return render(<NodeForm node={nodeOf(s.active, id)} journey={s.active} doc={s.doc} diags={[]} />);
}

describe('the trigger.placement node', () => {
  beforeEach(() => editorStore.getState().newWorkspace());

  it('is created from the palette with a placement and one out port, and worded in zh and en', () => {
    const id = editorStore.getState().addNode('trigger.placement', { x: 0, y: 0 });
    const n = (editorStore.getState().doc.journeys[0] as Journey).nodes.find((x) => x.id === id)!;
    expect(n.params).toEqual({ placement: 'home_banner' });
    expect(nodeSummary(i18n.getFixedT('en'), n)).toBe('on placement home_banner');
    expect(nodeSummary(i18n.getFixedT('zh'), n)).toBe('资源位 home_banner 请求时');
    const withFallback = { ...n, params: { ...n.params, fallback: { template: 'banner_default' } } };
    expect(nodeSummary(i18n.getFixedT('en'), withFallback)).toBe('on placement home_banner · on timeout shows banner_default');
    expect(nodeSummary(i18n.getFixedT('zh'), withFallback)).toBe('资源位 home_banner 请求时 · 超时兜底 banner_default');
    const withWhere = { ...n, params: { placement: 'home_banner', where: { field: 'event.page', operator: 'eq', value: 'home' } } };
    expect(nodeSummary(i18n.getFixedT('en'), withWhere)).toMatch(/^on placement home_banner · if /);
    expect(i18n.getFixedT('zh')('nodeTypes.trigger.placement')).toBe('资源位触发');
  });

  it('edits the slug with inline validation, adds a condition on the context, keeps the key order', () => {
    const id = editorStore.getState().addNode('trigger.placement', { x: 0, y: 0 });
    const show = () => showForm(id);
    show();
    expect(screen.getByText(/event\.\* reads the context the page sends/)).toBeTruthy();
    expect(screen.getByTestId('placement-wait-rule').textContent).toMatch(/no wait/);
    fireEvent.change(screen.getByTestId('param-placement'), { target: { value: 'Home Banner' } });
    expect(nodeOf(0, id).params.placement).toBe('Home Banner');
    show();
    expect(screen.getByText('Use 1 to 64 of a-z, 0-9, _ and -.')).toBeTruthy();
    expect(screen.getByTestId('param-placement').className).toContain('invalid');
    fireEvent.change(screen.getByTestId('param-placement'), { target: { value: '' } });
    show();
    expect(screen.getByText('Enter the placement’s id.')).toBeTruthy();
    fireEvent.change(screen.getByTestId('param-placement'), { target: { value: 'cart_top' } });
    show();
    expect(screen.queryByText('Use 1 to 64 of a-z, 0-9, _ and -.')).toBeNull();
    fireEvent.click(screen.getByTestId('add-where'));
    const params = nodeOf(0, id).params;
    expect(Object.keys(params)).toEqual(['placement', 'where']);
    expect(params.where).toBeTruthy();
    // one undo per field
    editorStore.getState().undo();
    expect(nodeOf(0, id).params).toEqual({ placement: 'cart_top' });
  });

  it('adds, edits and removes the fallback a timeout shows, one undo per field', () => {
    const id = editorStore.getState().addNode('trigger.placement', { x: 0, y: 0 });
    const show = () => showForm(id);
    show();
    expect(screen.getByText(/a request that runs out of time shows nothing/)).toBeTruthy();
    fireEvent.click(screen.getByTestId('add-fallback'));
    expect(nodeOf(0, id).params.fallback).toEqual({ template: '' });
    show();
    expect(screen.getByText('The fallback needs a template.')).toBeTruthy();
    fireEvent.change(screen.getByTestId('param-fallback-template'), { target: { value: 'banner_default' } });
    expect(nodeOf(0, id).params.fallback).toEqual({ template: 'banner_default' });
    show();
    expect(screen.queryByText('The fallback needs a template.')).toBeNull();
    expect(screen.getByText(/decision content, reason timeout/)).toBeTruthy();
    editorStore.getState().undo();
    expect(nodeOf(0, id).params.fallback).toBeUndefined();
    editorStore.getState().redo();
    expect(nodeOf(0, id).params.fallback).toEqual({ template: 'banner_default' });
    show();
    fireEvent.click(screen.getByTestId('remove-fallback'));
    expect(nodeOf(0, id).params).toEqual({ placement: 'home_banner' });
    setLang('zh');
    show();
    expect(screen.getByText('+ 添加兜底内容')).toBeTruthy();
  });

  it('reads the slug as the engine does', () => {
    expect(placementProblem('home_banner')).toBeNull();
    expect(placementProblem('a-1')).toBeNull();
    expect(placementProblem('x'.repeat(64))).toBeNull();
    expect(placementProblem('x'.repeat(65))).toBe('bad');
    expect(placementProblem('Home')).toBe('bad');
    expect(placementProblem('')).toBe('empty');
    expect(placementProblem(undefined)).toBe('empty');
  });

  it('words E_PLACEMENT_WAIT naming the wait, and the new kinds and reasons', () => {
    const d = doc();
    const diag = { severity: 'error' as const, code: 'E_PLACEMENT_WAIT', journey: 'home', node: 'w', path: '/journeys/1/nodes/5', message: 'wait' };
    expect(diagText(i18n.getFixedT('zh'), diag, d)).toMatch(/^“等待时长 w”位于资源位触发与第一个动作之间/);
    expect(diagText(i18n.getFixedT('en'), diag, d)).toMatch(/^“Wait w” waits between a placement trigger and the first action/);
    expect(kindText(i18n.getFixedT('zh'), 'offer.reused')).toBe('沿用已有权益（用户已持有）');
    expect(reasonText(i18n.getFixedT('en'), 'no_journey')).toBe('no live journey answers this placement');
    expect(i18n.getFixedT('zh')('identity.roles.decide')).toBe('资源位请求');
  });
});

describe('placements of a workspace and the way to an answer', () => {
  it('lists the placements and finds the way from the trigger to the answering node', () => {
    expect(placementsOf(doc())).toEqual(['home_banner', 'search_top']);
    const home = doc().journeys[1];
    expect([...placementPath(home, 'home_banner', 'o')].sort()).toEqual(['c', 'o', 'p']);
    expect([...placementPath(home, 'home_banner', 'p')]).toEqual(['p']);
    // a node no placement trigger leads to: just itself; a node not in the draft: nothing
    expect([...placementPath(home, 'home_banner', 'w')]).toEqual(['w']);
    expect(placementPath(home, 'home_banner', 'gone').size).toBe(0);
  });

  it('reads the context from rows and from JSON', () => {
    expect(contextFromRows([{ key: 'page', value: 'home' }, { key: 'qty', value: '2' }, { key: '', value: 'x' }, { key: 'vip', value: 'true' }])).toEqual({ ok: true, value: { page: 'home', qty: 2, vip: true } });
    expect(contextFromRows([{ key: 'a', value: '1' }, { key: 'a', value: '2' }])).toEqual({ ok: false, error: 'duplicateKey', detail: 'a' });
    expect(contextFromJson('')).toEqual({ ok: true, value: {} });
    expect(contextFromJson('[1]')).toEqual({ ok: false, error: 'notObject' });
    expect(contextFromJson('{"page":')).toMatchObject({ ok: false, error: 'badJson' });
    expect(testerRequestId(1700000000000, () => 0.5)).toBe('tester-1700000000000-80000000');
  });
});

describe('the backends ask POST /v1/decide', () => {
  it('HTTP: the body and ?timeout_ms=', async () => {
    const answer: DecideAnswer = { decision: 'none', offer: null, content: null, journey: null, version: null, node: null, reason: 'no_journey', trace_id: 'tr' };
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify(answer), { status: 200 }));
    const b = new HttpBackend({ baseUrl: 'http://e/', token: 'k' }, fetchImpl as unknown as typeof fetch);
    const req: DecideRequest = { request_id: 'r1', user_id: 'u1', placement: 'home_banner', context: { page: 'home' } };
    expect(await b.decide(req, 500)).toEqual(answer);
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://e/v1/decide?timeout_ms=500');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual(req);
  });

  it('Tauri: the decide command with the body and timeout_ms', async () => {
    const invoke = vi.fn(async () => ({ decision: 'none' }));
    const b = new TauriBackend(invoke as never);
    await b.decide({ request_id: 'r1', user_id: 'u1', placement: 'p', context: {} }, 200);
    expect(invoke).toHaveBeenCalledWith('decide', { args: { request_id: 'r1', user_id: 'u1', placement: 'p', context: {}, timeout_ms: 200 } });
  });
});

describe('the placement tester', () => {
  const offerAnswer: DecideAnswer = {
    decision: 'offer',
    offer: { id: 'banner10', instance: 'banner10-000001', amount: '10', expires_at: '2026-12-13T10:00:00.123Z', reused: true },
    content: null,
    journey: 'home',
    version: 3,
    node: 'o',
    reason: null,
    trace_id: '01a24b88cab171deb89db1cc4984a1c0',
  };
  const noneAnswer: DecideAnswer = { decision: 'none', offer: null, content: null, journey: 'home', version: 3, node: 'p', reason: 'mutex', trace_id: 'tr2' };

  function fake(answer: DecideAnswer | (() => Promise<DecideAnswer>)) {
    const calls: { req: DecideRequest; timeoutMs: number | undefined }[] = [];
    const backend = {
      kind: 'http',
      target: 'fake',
      decide: vi.fn(async (req: DecideRequest, timeoutMs?: number) => {
        calls.push({ req, timeoutMs });
        return typeof answer === 'function' ? answer() : answer;
      }),
    } as unknown as Backend;
    return { backend, calls };
  }

  function open(backend: Backend | null) {
    loadDoc();
    placementStore.setState({ open: false, highlight: null });
    sessionStore.setState({ backend });
    render(<DesignView />);
    fireEvent.click(screen.getByTestId('placement-tester-open'));
    return screen.getByTestId('placement-tester');
  }

  afterEach(() => sessionStore.setState({ backend: null }));

  it('needs an engine', () => {
    const panel = open(null);
    expect(within(panel).getByTestId('connect-engine')).toBeTruthy();
  });

  it('sends the placement, the user and the parsed context, shows an offer and its way on the canvas', async () => {
    const { backend, calls } = fake(offerAnswer);
    const panel = open(backend);
    expect(within(panel).getByTestId('tester-live-note').textContent).toMatch(/live on the engine, not from this draft/);
    // the workspace's placements, the first picked
    const pick = within(panel).getByTestId('tester-placement-pick') as HTMLSelectElement;
    expect([...pick.options].map((o) => o.value)).toContain('search_top');
    expect(pick.value).toBe('home_banner');
    fireEvent.change(within(panel).getByTestId('tester-key-0'), { target: { value: 'page' } });
    fireEvent.change(within(panel).getByTestId('tester-value-0'), { target: { value: 'home' } });
    fireEvent.click(within(panel).getByTestId('tester-add-row'));
    fireEvent.change(within(panel).getByTestId('tester-key-1'), { target: { value: 'qty' } });
    fireEvent.change(within(panel).getByTestId('tester-value-1'), { target: { value: '2' } });
    fireEvent.change(within(panel).getByTestId('tester-user'), { target: { value: ' u1 ' } });
    await act(async () => {
      fireEvent.keyDown(within(panel).getByTestId('tester-user'), { key: 'Enter' });
    });
    expect(calls).toHaveLength(1);
    const { req, timeoutMs } = calls[0]!;
    expect(req).toMatchObject({ user_id: 'u1', placement: 'home_banner', context: { page: 'home', qty: 2 } });
    expect(req.request_id).toMatch(/^tester-\d+-[0-9a-f]{8}$/);
    expect(timeoutMs).toBe(1000);
    expect(within(panel).getByTestId('tester-decision').textContent).toBe('Show an offer');
    expect(within(panel).getByTestId('tester-amount').textContent).toBe('¥10');
    expect(within(panel).getByTestId('tester-reused').textContent).toMatch(/reused/);
    expect(within(panel).getByTestId('tester-offer').textContent).toContain('首页满减券 (banner10)');
    expect(within(panel).getByTestId('tester-instance').textContent).toBe('banner10-000001');
    expect(within(panel).getByTestId('tester-expires').textContent).toMatch(/2026/);
    expect(within(panel).getByTestId('tester-trace').textContent).toBe(offerAnswer.trace_id);
    expect(within(panel).getByTestId('tester-where').textContent).toBe('journey home v3, node o');
    // the canvas shows journey home, the way p → c → o, the answering node selected
    expect(editorStore.getState().active).toBe(1);
    expect(editorStore.getState().selection.nodes).toEqual(['o']);
    expect(placementStore.getState().highlight).toEqual({ journey: 'home', node: 'o', nodes: expect.arrayContaining(['p', 'c', 'o']) });
    // The canvas is asked to fit the way (not only to center the answering node).
    expect(editorStore.getState().focusRequest).toMatchObject({ node: 'o', around: expect.arrayContaining(['p', 'c', 'o']) });
    await act(async () => {});
    const node = (id: string) => screen.getByTestId(`node-${id}`);
    expect(node('o').className).toContain('on-path');
    expect(node('p').className).toContain('on-path');
    expect(node('f').className).toContain('dim');
    expect(node('x').className).toContain('dim');
    expect(within(panel).getByTestId('tester-path-note').textContent).toMatch(/placement trigger/);
    // a second press is a new request id; closing takes the marks away
    await act(async () => {
      fireEvent.click(within(panel).getByTestId('tester-ask'));
    });
    expect(calls[1]!.req.request_id).not.toBe(req.request_id);
    fireEvent.click(within(panel).getByTestId('tester-close'));
    expect(placementStore.getState().highlight).toBeNull();
    expect(screen.queryByTestId('placement-tester')).toBeNull();
    expect(node('f').className).not.toContain('dim');
  });

  for (const lng of ['zh', 'en'] as const) {
    it(`${lng}: a none answer with its reason in words`, async () => {
      setLang(lng);
      const { backend } = fake(noneAnswer);
      const panel = open(backend);
      fireEvent.change(within(panel).getByTestId('tester-user'), { target: { value: 'u2' } });
      await act(async () => {
        fireEvent.click(within(panel).getByTestId('tester-ask'));
      });
      expect(within(panel).getByTestId('tester-decision').textContent).toBe(lng === 'zh' ? '不展示' : 'Show nothing');
      expect(within(panel).getByTestId('tester-reason').textContent).toContain(lng === 'zh' ? '已在同一互斥组的其他旅程中' : 'in another journey of its mutex group');
      expect(screen.getByTestId('node-p').className).toContain('on-path');
    });
  }

  it('words the placement’s own reasons, and a journey not in the workspace', async () => {
    setLang('zh');
    const { backend } = fake({ ...noneAnswer, journey: 'elsewhere', node: 'z', reason: 'no_action' });
    const panel = open(backend);
    fireEvent.change(within(panel).getByTestId('tester-user'), { target: { value: 'u3' } });
    await act(async () => {
      fireEvent.click(within(panel).getByTestId('tester-ask'));
    });
    expect(within(panel).getByTestId('tester-reason').textContent).toContain('用户进入了旅程，但旅程结束时既未发券也未发消息。');
    expect(within(panel).getByTestId('tester-where').textContent).toContain('elsewhere');
    expect(within(panel).getByTestId('tester-path-note').textContent).toContain('旅程 elsewhere 不在当前工作区中');
    expect(placementStore.getState().highlight).toBeNull();
  });

  it('shows a placement’s fallback content on a timeout as the fallback, not as a message sent', async () => {
    const { backend } = fake({
      decision: 'content',
      offer: null,
      content: { channel: null, template: 'banner_default', content: { title: '欢迎' } },
      journey: 'home',
      version: 3,
      node: 'p',
      reason: 'timeout',
      trace_id: 'tr3',
    });
    const panel = open(backend);
    fireEvent.change(within(panel).getByTestId('tester-user'), { target: { value: 'u4' } });
    await act(async () => {
      fireEvent.click(within(panel).getByTestId('tester-ask'));
    });
    expect(within(panel).getByTestId('tester-decision').textContent).toBe('Show content');
    expect(within(panel).getByTestId('tester-channel').textContent).toBe('the placement’s fallback (no message sent)');
    expect(within(panel).getByTestId('tester-content').textContent).toContain('欢迎');
    expect(within(panel).getByTestId('tester-reason').textContent).toContain('did not answer within the time limit');
  });

  it('sends JSON context, refuses what does not parse, shows progress, and says when the engine is too old', async () => {
    let release: (a: DecideAnswer) => void = () => undefined;
    const { backend, calls } = fake(() => new Promise<DecideAnswer>((r) => (release = r)));
    const panel = open(backend);
    fireEvent.click(within(panel).getByTestId('tester-mode-json'));
    fireEvent.change(within(panel).getByTestId('tester-json'), { target: { value: '{"page": ' } });
    expect(within(panel).getByText(/The context is not valid JSON/)).toBeTruthy();
    fireEvent.change(within(panel).getByTestId('tester-user'), { target: { value: 'u1' } });
    fireEvent.click(within(panel).getByTestId('tester-ask'));
    expect(calls).toHaveLength(0);
    fireEvent.change(within(panel).getByTestId('tester-json'), { target: { value: '{"page": "home", "sku": "A-1"}' } });
    await act(async () => {
      fireEvent.click(within(panel).getByTestId('tester-ask'));
    });
    expect(within(panel).getByTestId('tester-asking')).toBeTruthy();
    expect((within(panel).getByTestId('tester-ask') as HTMLButtonElement).disabled).toBe(true);
    expect(calls[0]!.req.context).toEqual({ page: 'home', sku: 'A-1' });
    await act(async () => release({ ...offerAnswer, offer: { ...offerAnswer.offer!, reused: false } }));
    expect(within(panel).queryByTestId('tester-asking')).toBeNull();
    expect(within(panel).getByTestId('tester-issued')).toBeTruthy();
    cleanup();

    const old = {
      kind: 'http',
      target: 'fake',
      decide: vi.fn(async () => {
        throw new BackendError('E_HTTP_404', 'no such route', undefined, 404);
      }),
    } as unknown as Backend;
    const panel2 = open(old);
    fireEvent.change(within(panel2).getByTestId('tester-user'), { target: { value: 'u1' } });
    await act(async () => {
      fireEvent.click(within(panel2).getByTestId('tester-ask'));
    });
    expect(within(panel2).getByTestId('tester-unsupported').textContent).toMatch(/does not answer placements yet/);
    cleanup();

    const refused = {
      kind: 'http',
      target: 'fake',
      decide: vi.fn(async () => {
        throw new BackendError('E_FORBIDDEN', 'this needs the decide role', undefined, 403);
      }),
    } as unknown as Backend;
    const panel3 = open(refused);
    fireEvent.change(within(panel3).getByTestId('tester-user'), { target: { value: 'u1' } });
    await act(async () => {
      fireEvent.click(within(panel3).getByTestId('tester-ask'));
    });
    expect(within(panel3).getByTestId('tester-error').textContent).toMatch(/role/);
  });
});
