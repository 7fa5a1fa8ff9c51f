import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { initI18n, setLang } from '../i18n';
import { BackendError, HttpBackend, LOCAL_REVIEW_NOTE, type Backend, type Identity, type ReleaseDetail } from '../backend';
import { editorStore } from '../store/editor';
import { sessionStore } from '../store/session';
import { Review } from '../views/ReviewView';
import { IdentityBadge } from '../App';
import { approveBlocker, deployBlocker, submitBlocker } from '../model/identity';

beforeAll(() => {
  initI18n();
});
afterEach(cleanup);

const author: Identity = { engine: 'bundled', url: 'http://127.0.0.1:1', name: 'local-admin', role: 'admin', acting: 'author', can_switch: true };
const reviewer: Identity = { ...author, name: 'reviewer', role: 'approver', acting: 'reviewer' };

/** The bundled engine as the shell exposes it: two local users, the author may not approve. */
function fakeBundled() {
  let who = author;
  editorStore.getState().loadTemplate('welcome');
  const workspace = editorStore.getState().doc;
  const detail: ReleaseDetail = {
    release: 'r1',
    version: 3,
    status: 'pending_review',
    author: 'local-admin',
    created_at: '2026-12-01T10:00:00Z',
    journeys: ['welcome'],
    workspace,
    diagnostics: [],
    summary: null,
    reviews: [],
    deployments: [],
    note: '',
  };
  const calls: string[] = [];
  const backend = {
    kind: 'tauri',
    target: 'desktop',
    health: async () => true,
    identity: async () => who,
    setIdentity: async (a: 'author' | 'reviewer') => {
      who = a === 'author' ? author : reviewer;
      return who;
    },
    listReleases: async () => [{ ...detail }],
    getRelease: async () => ({ ...detail }),
    listJourneys: async () => [],
    approveRelease: async (_id: string, comment: string) => {
      calls.push(`approve as ${who.name}`);
      if (who.name === detail.author) throw new BackendError('E_SELF_APPROVAL', 'no');
      detail.status = 'approved';
      detail.reviews = [{ reviewer: who.name ?? '', decision: 'approve', comment: `${comment} ${LOCAL_REVIEW_NOTE}`.trim(), at: '2026-12-01T11:00:00Z' }];
    },
    deployRelease: async (_id: string, req: { rollout_percent: number; mode: string }) => {
      calls.push(`deploy ${req.rollout_percent}% ${req.mode}`);
      detail.status = 'deployed';
    },
  } as unknown as Backend;
  return { backend, calls };
}

describe('publishing alone on the bundled engine', () => {
  it('the author switches to the reviewer, approves, confirms and goes live; the header says who you are', async () => {
    await act(async () => setLang('zh'));
    const { backend, calls } = fakeBundled();
    await act(async () => sessionStore.getState().setBackend(backend));
    await waitFor(() => expect(sessionStore.getState().identity?.acting).toBe('author'));
    render(
      <>
        <IdentityBadge />
        <Review backend={backend} />
      </>,
    );
    expect(screen.getByTestId('identity').textContent).toContain('作者');
    expect(screen.getByTestId('identity').textContent).toContain('local-admin');
    expect(screen.getByTestId('identity').querySelector('[title]')?.getAttribute('title')).toContain('local-admin · 管理员');

    const row = (await screen.findAllByTestId('release-r1'))[0]!;
    await act(async () => fireEvent.click(row.querySelector('td')!));
    // The author's approve is disabled, with the reason and the way round.
    const approve = (await screen.findByTestId('approve')) as HTMLButtonElement;
    expect(approve.disabled).toBe(true);
    expect(screen.getByTestId('approve-reason').textContent).toContain('切换为审核人');
    expect(calls).toEqual([]);

    await act(async () => fireEvent.click(screen.getByTestId('approve-switch')));
    expect(screen.getByTestId('identity').textContent).toContain('审核人');
    expect(screen.getByTestId('identity').getAttribute('data-acting')).toBe('reviewer');
    expect((screen.getByTestId('approve') as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryByTestId('approve-reason')).toBeNull();

    await act(async () => fireEvent.click(screen.getByTestId('approve')));
    expect(calls).toEqual(['approve as reviewer']);
    // The review says it was a self-review on the local engine.
    await screen.findByTestId('self-review');
    expect(screen.getByTestId('self-review').textContent).toBe('本机引擎自审');

    // Deploy asks first, naming the version, the rollout and the mode.
    await act(async () => fireEvent.click(await screen.findByTestId('deploy')));
    expect(calls).toEqual(['approve as reviewer']);
    const text = screen.getByTestId('deploy-confirm-text').textContent ?? '';
    expect(text).toContain('v3');
    expect(text).toContain('100%');
    expect(screen.getByTestId('deploy-confirm').textContent).toContain('正式');
    await act(async () => fireEvent.click(screen.getByTestId('deploy-confirm')));
    expect(calls).toEqual(['approve as reviewer', 'deploy 100% live']);
  });

  it('cancelling the confirmation deploys nothing', async () => {
    await act(async () => setLang('en'));
    const { backend, calls } = fakeBundled();
    await act(async () => sessionStore.getState().setBackend(backend));
    await act(async () => sessionStore.getState().switchIdentity('reviewer'));
    render(<Review backend={backend} />);
    const row = (await screen.findAllByTestId('release-r1'))[0]!;
    await act(async () => fireEvent.click(row.querySelector('td')!));
    await act(async () => fireEvent.click(await screen.findByTestId('approve')));
    await act(async () => fireEvent.click(await screen.findByTestId('deploy')));
    await act(async () => fireEvent.click(screen.getByTestId('deploy-cancel')));
    expect(calls).toEqual(['approve as reviewer']);
    expect(screen.queryByTestId('deploy-confirm')).toBeNull();
  });
});

describe('what an identity may do', () => {
  it('never its own approval; roles as the engine requires them', () => {
    expect(approveBlocker(author, 'local-admin')).toEqual({ reason: 'own', canSwitch: true });
    expect(approveBlocker(reviewer, 'local-admin')).toBeNull();
    // on a remote engine the token's name is unknown: the engine decides
    expect(approveBlocker({ ...author, engine: 'remote', name: null, role: null, acting: null, can_switch: false }, 'x')).toBeNull();
    expect(approveBlocker({ ...reviewer, role: 'operator', name: 'op' }, 'x')).toMatchObject({ reason: 'role', role: 'operator' });
    expect(submitBlocker(reviewer)).toMatchObject({ reason: 'role', role: 'approver', canSwitch: true });
    expect(submitBlocker(author)).toBeNull();
    expect(deployBlocker({ ...author, role: 'operator' })).toMatchObject({ reason: 'role' });
    expect(deployBlocker(null)).toBeNull();
  });
});

describe('who you are on a remote engine', () => {
  /** A `trellis serve` that answers GET /v1/me for one token (or 404, like an engine before it). */
  function remote(me: unknown | null) {
    const seen: string[] = [];
    const fetchImpl = (async (url: string, init?: RequestInit) => {
      if (url.endsWith('/healthz')) return new Response(JSON.stringify({ ok: true, leader: true, holder: 'p1' }), { status: 200 });
      seen.push(`${init?.method} ${url} ${(init?.headers as Record<string, string> | undefined)?.Authorization}`);
      if (url.endsWith('/v1/me') && me !== null) return new Response(JSON.stringify(me), { status: 200 });
      return new Response(JSON.stringify({ error: { code: 'E_NOT_FOUND', message: 'no such route; see /openapi.json', path: null } }), { status: 404 });
    }) as typeof fetch;
    return { backend: new HttpBackend({ baseUrl: 'https://engine.example.com/', token: 'tok-olga' }, fetchImpl), seen };
  }

  it('the header names the token’s user and role, from GET /v1/me', async () => {
    await act(async () => setLang('zh'));
    const { backend, seen } = remote({ name: 'olga', role: 'approver' });
    const who = await backend.identity();
    expect(seen).toEqual(['GET https://engine.example.com/v1/me Bearer tok-olga']);
    seen.length = 0;
    expect(who).toEqual({ engine: 'remote', url: 'https://engine.example.com', name: 'olga', role: 'approver', acting: null, can_switch: false });
    await act(async () => sessionStore.getState().setBackend(backend));
    await waitFor(() => expect(sessionStore.getState().identity?.name).toBe('olga'));
    render(<IdentityBadge />);
    expect(screen.getByTestId('identity-name').textContent).toBe('olga');
    expect(screen.getByTestId('identity-role').textContent).toBe('审核人');
    expect(screen.getByTestId('identity').textContent).toContain('远程引擎');
    expect(screen.getByTestId('identity').textContent).not.toContain('以令牌对应的用户操作');
    expect(screen.getByTestId('identity').querySelector('[title]')?.getAttribute('title')).toContain('https://engine.example.com');
    expect(screen.queryByTestId('identity-switch')).toBeNull();
    // and what the review view may offer follows: olga may not approve her own release, with no switch
    expect(approveBlocker(who, 'olga')).toEqual({ reason: 'own', canSwitch: false });
    expect(approveBlocker(who, 'ivan')).toBeNull();
    cleanup();
    await act(async () => setLang('en'));
    render(<IdentityBadge />);
    expect(screen.getByTestId('identity').textContent).toContain('Remote engine');
    expect(screen.getByTestId('identity-role').textContent).toBe('approver');
  });

  it('an engine without /v1/me still connects; the header says only that it is remote', async () => {
    await act(async () => setLang('zh'));
    const { backend } = remote(null);
    expect(await backend.identity()).toMatchObject({ engine: 'remote', name: null, role: null });
    await act(async () => sessionStore.getState().setBackend(backend));
    await waitFor(() => expect(sessionStore.getState().identity?.engine).toBe('remote'));
    render(<IdentityBadge />);
    expect(screen.getByTestId('identity').textContent).toBe('远程引擎：以令牌对应的用户操作');
    expect(screen.queryByTestId('identity-name')).toBeNull();
  });
});
