import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { Channel } from '@tauri-apps/api/core';
import { TauriBackend, createBackend, inTauri, type SimProgress } from '../backend';

afterEach(() => clearMocks());

describe('TauriBackend over mocked IPC', () => {
  it('is chosen inside the desktop app', () => {
    mockIPC(() => undefined);
    expect(inTauri()).toBe(true);
    expect(createBackend(null)).toBeInstanceOf(TauriBackend);
  });

  it('streams simulation progress through a Channel and passes a run id', async () => {
    const calls: [string, Record<string, unknown>][] = [];
    mockIPC((cmd, payload) => {
      const p = payload as Record<string, unknown>;
      calls.push([cmd, p]);
      if (cmd === 'simulate') {
        const ch = p.onProgress as Channel<SimProgress>;
        ch.onmessage({ done: 1, total: 3, phase: 'simulate' });
        ch.onmessage({ done: 3, total: 3, phase: 'simulate' });
        return { report: { cost: '0' }, log: [] };
      }
      return null;
    });
    const seen: number[] = [];
    const r = await new TauriBackend().simulate(
      { workspace: { schema: 'trellis/workspace@1', offers: [], policy: {}, journeys: [] }, users: 5, days: 1, seed: 2 },
      { onProgress: (p) => seen.push(p.done) },
    );
    expect(seen).toEqual([1, 3]);
    expect(r.log).toEqual([]);
    const args = calls[0]?.[1].args as Record<string, unknown>;
    expect(calls[0]?.[0]).toBe('simulate');
    expect(args).toMatchObject({ users: 5, days: 1, seed: 2 });
    expect(typeof args.run_id).toBe('string');
  });

  it('turns a rejected command into a coded error', async () => {
    mockIPC(() => {
      throw { code: 'E_FORBIDDEN', message: 'role' };
    });
    await expect(new TauriBackend().listJourneys()).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
  });
});
