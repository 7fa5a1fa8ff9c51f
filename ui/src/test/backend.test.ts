import { describe, expect, it } from 'vitest';
import { BackendError, HttpBackend, TauriBackend, toBackendError } from '../backend';
import type { Workspace } from '../model/types';

const ws: Workspace = { schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [] };

function fakeFetch(handler: (url: string, init: RequestInit) => Response) {
  const calls: { url: string; init: RequestInit }[] = [];
  const f = (async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init });
    return handler(url, init);
  }) as unknown as typeof fetch;
  return { f, calls };
}

const json = (body: unknown, status = 200, type = 'application/json') =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': type } });

describe('HttpBackend', () => {
  it('sends the bearer token and the workspace, and reads diagnostics', async () => {
    const { f, calls } = fakeFetch(() => json({ diagnostics: [{ severity: 'error', code: 'E_NO_TRIGGER', journey: 'j' }] }));
    const b = new HttpBackend({ baseUrl: 'http://127.0.0.1:8080/', token: 'tok' }, f);
    const d = await b.validate(ws);
    expect(d[0]?.code).toBe('E_NO_TRIGGER');
    expect(calls[0]?.url).toBe('http://127.0.0.1:8080/v1/validate');
    expect(calls[0]?.init.method).toBe('POST');
    expect((calls[0]?.init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(JSON.parse(calls[0]?.init.body as string)).toEqual(ws);
  });

  it('uses the routes of runtime.md', async () => {
    const { f, calls } = fakeFetch((url) => {
      if (url.includes('/v1/releases?')) return json({ releases: [] });
      if (url.endsWith('/v1/journeys')) return json({ journeys: [] });
      if (url.includes('/v1/decisions')) return json({ decisions: [] });
      return json({});
    });
    const b = new HttpBackend({ baseUrl: 'http://h', token: 't' }, f);
    await b.listReleases('pending_review');
    await b.approveRelease('r 1', 'ok');
    await b.rejectRelease('r1', 'no');
    await b.deployRelease('r1', { rollout_percent: 10, mode: 'shadow' });
    await b.rollbackJourney('cart');
    await b.listJourneys();
    await b.decisions({ journey: 'cart', limit: 50, user_id: '' });
    await b.journeyStats('cart');
    await b.getUser('u1');
    expect(calls.map((c) => `${c.init.method} ${c.url.replace('http://h', '')}`)).toEqual([
      'GET /v1/releases?status=pending_review',
      'POST /v1/releases/r%201/approve',
      'POST /v1/releases/r1/reject',
      'POST /v1/releases/r1/deploy',
      'POST /v1/journeys/cart/rollback',
      'GET /v1/journeys',
      'GET /v1/decisions?journey=cart&limit=50',
      'GET /v1/stats/journeys/cart',
      'GET /v1/users/u1',
    ]);
    expect(JSON.parse(calls[3]?.init.body as string)).toEqual({ rollout_percent: 10, mode: 'shadow' });
  });

  it('turns error bodies into coded errors, with diagnostics of a refused release', async () => {
    const { f } = fakeFetch(() =>
      json({ error: { code: 'E_VALIDATION', message: 'has errors', path: '' }, diagnostics: [{ severity: 'error', code: 'E_NO_TRIGGER' }] }, 422),
    );
    const b = new HttpBackend({ baseUrl: 'http://h', token: '' }, f);
    const err = await b.submitRelease(ws).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe('E_VALIDATION');
    expect((err as BackendError).status).toBe(422);
    expect((err as BackendError).diagnostics[0]?.code).toBe('E_NO_TRIGGER');
  });

  it('reports an unreachable service as E_UNREACHABLE', async () => {
    const f = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    const err = await new HttpBackend({ baseUrl: 'http://h', token: '' }, f).listJourneys().catch((e: unknown) => e);
    expect((err as BackendError).code).toBe('E_UNREACHABLE');
  });

  it('reads a streamed simulation with progress', async () => {
    const lines = [
      { progress: { done: 1, total: 4 } },
      { progress: { done: 4, total: 4 } },
      { result: { report: { cost: '0' }, log: [{ seq: 1 }] } },
    ];
    const { f } = fakeFetch(() => json(lines.map((l) => JSON.stringify(l)).join('\n'), 200, 'application/x-ndjson'));
    const seen: number[] = [];
    const r = await new HttpBackend({ baseUrl: 'http://h', token: '' }, f).simulate(
      { workspace: ws, users: 10, days: 1, seed: 1 },
      { onProgress: (p) => seen.push(p.done) },
    );
    expect(seen).toEqual([1, 4]);
    expect(r.log).toHaveLength(1);
  });
});

describe('TauriBackend', () => {
  it('invokes commands with one args object and normalises errors', async () => {
    const calls: [string, unknown][] = [];
    const inv = async <T,>(cmd: string, args?: Record<string, unknown>): Promise<T> => {
      calls.push([cmd, args]);
      if (cmd === 'approve_release') throw { code: 'E_SELF_APPROVAL', message: 'the author cannot approve' };
      if (cmd === 'list_journeys') return { journeys: [{ id: 'j' }] } as T;
      return {} as T;
    };
    const b = new TauriBackend(inv);
    expect(await b.listJourneys()).toEqual([{ id: 'j' }]);
    const err = await b.approveRelease('r1', 'fine').catch((e: unknown) => e);
    expect((err as BackendError).code).toBe('E_SELF_APPROVAL');
    await b.deployRelease('r1', { rollout_percent: 50, mode: 'live' });
    expect(calls).toEqual([
      ['list_journeys', { args: {} }],
      ['approve_release', { args: { id: 'r1', comment: 'fine' } }],
      ['deploy_release', { args: { id: 'r1', rollout_percent: 50, mode: 'live' } }],
    ]);
  });

  it('reads both error shapes', () => {
    expect(toBackendError({ error: { code: 'E_X', message: 'm', path: '/a' } }).path).toBe('/a');
    expect(toBackendError({ code: 'E_Y', message: 'm' }).code).toBe('E_Y');
    expect(toBackendError('boom', 500).code).toBe('E_HTTP_500');
  });
});
