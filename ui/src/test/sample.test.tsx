// The sandbox's imported sample data (desktop app): the import form, its CSV column mapping, the
// progress over the Channel, the error naming file/line/field, the pull from the engine, and a
// simulation on the imported dataset. Over mocked Tauri IPC, with the shell's answers.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { Channel } from '@tauri-apps/api/core';
import { TauriBackend, type DatasetInfo, type ImportProgress } from '../backend';
import { initI18n, setLang } from '../i18n';
import { createSampleStore, defaultMapping, importErrorParts, sampleStore, suggestField } from '../store/sample';
import { SampleData } from '../views/SampleData';
import { SimulateView } from '../views/SimulateView';
import { sessionStore } from '../store/session';

beforeAll(() => {
  initI18n();
  setLang('en');
});
afterEach(() => {
  cleanup();
  clearMocks();
  sampleStore.setState({ dataset: null, status: 'idle', task: null, progress: null, error: null });
  sessionStore.getState().setBackend(null);
});

const dataset: DatasetInfo = { source: 'files', profiles: 2, events: 3, files: [{ name: '/d/events.csv', kind: 'events', records: 3 }] };

/** The shell's import commands: a CSV preview, an import that streams progress, a failing file. */
function shell(opts: { failOn?: string; initial?: DatasetInfo } = {}) {
  const calls: [string, Record<string, unknown>][] = [];
  let current: unknown = opts.initial ?? null;
  mockIPC((cmd, payload) => {
    const p = payload as Record<string, unknown>;
    const a = (p.args ?? {}) as Record<string, unknown>;
    calls.push([cmd, a]);
    switch (cmd) {
      case 'engine_info':
        return { mode: 'bundled', url: 'http://127.0.0.1:1' };
      case 'validate':
        return { diagnostics: [] };
      case 'dataset_info':
        return current;
      case 'preview_import':
        return String(a.path).endsWith('.csv')
          ? { path: a.path, format: 'csv', header: ['uid', 'type', 'ts', 'amount'], rows: [['u1', 'order', '2026-11-01T10:00:00Z', '12']], kind: 'events' }
          : { path: a.path, format: 'jsonl', header: [], rows: [['{"user_id":"u1"}']], kind: 'profiles' };
      case 'import_sample':
      case 'pull_sample': {
        const ch = p.onProgress as Channel<ImportProgress>;
        ch.onmessage({ done: 50, total: 100, rows: 2 });
        const files = (a.files ?? []) as { path: string }[];
        if (opts.failOn && files.some((f) => f.path === opts.failOn)) {
          throw { error: { code: 'E_IMPORT', message: 'x', path: '', file: opts.failOn, line: 7, field: 'ts (column 3 "ts")', reason: '"soon" is not an RFC 3339 time' } };
        }
        ch.onmessage({ done: 100, total: 100, rows: 5 });
        current = cmd === 'pull_sample' ? { ...dataset, source: 'engine' } : dataset;
        return current;
      }
      case 'simulate':
        return { report: { journeys: {} }, log: [] };
      default:
        return null;
    }
  });
  return { calls };
}

describe('column mapping suggestions', () => {
  it('keeps field names, knows a few aliases, and makes the rest props or attrs', () => {
    expect(suggestField('events', 'ts')).toBe('ts');
    expect(suggestField('events', 'uid')).toBe('user_id');
    expect(suggestField('events', 'timestamp')).toBe('ts');
    expect(suggestField('events', 'amount')).toBe('props.amount');
    expect(suggestField('events', 'props.sku')).toBe('props.sku');
    expect(suggestField('profiles', 'city')).toBe('attrs.city');
    expect(suggestField('profiles', 'consent.sms')).toBe('consent.sms');
    expect(defaultMapping('events', ['uid', 'order total'])).toEqual([
      { column: 'uid', field: 'user_id', type: 'auto' },
      { column: 'order total', field: 'props.order_total', type: 'auto' },
    ]);
  });

  it('reads file, line and field from an E_IMPORT error only', async () => {
    mockIPC(() => {
      throw { error: { code: 'E_IMPORT', message: 'm', path: '', file: 'a.csv', line: 3, field: 'ts', reason: 'bad' } };
    });
    const e = await new TauriBackend().importSample([{ path: 'a.csv', kind: 'events' }]).catch((x: unknown) => x);
    expect(importErrorParts(e)).toEqual({ file: 'a.csv', line: 3, field: 'ts', reason: 'bad' });
    expect(importErrorParts(new Error('x'))).toBeNull();
  });
});

describe('the import form', () => {
  it('previews a CSV, maps its columns, imports with progress and shows the dataset', async () => {
    const { calls } = shell();
    const api = new TauriBackend();
    render(<SampleData api={api} />);
    expect(screen.getByTestId('dataset-summary').dataset.events).toBe('0');
    fireEvent.change(screen.getByTestId('import-kind-1'), { target: { value: 'events' } });
    fireEvent.change(screen.getByTestId('import-path-1'), { target: { value: '/d/events.csv' } });
    fireEvent.click(screen.getByTestId('import-preview-1'));
    await waitFor(() => expect(screen.getByTestId('import-mapping-1')).toBeTruthy());
    expect((screen.getByTestId('import-field-1-uid') as HTMLInputElement).value).toBe('user_id');
    expect((screen.getByTestId('import-field-1-amount') as HTMLInputElement).value).toBe('props.amount');
    fireEvent.change(screen.getByTestId('import-field-1-amount'), { target: { value: 'props.total' } });
    fireEvent.change(screen.getByTestId('import-type-1-amount'), { target: { value: 'number' } });
    fireEvent.click(screen.getByTestId('import-run'));
    await waitFor(() => expect(screen.getByTestId('dataset-summary').dataset.events).toBe('3'));
    const call = calls.find((c) => c[0] === 'import_sample');
    expect(call?.[1].files).toEqual([
      {
        path: '/d/events.csv',
        kind: 'events',
        mapping: [
          { column: 'uid', field: 'user_id', type: 'auto' },
          { column: 'type', field: 'type', type: 'auto' },
          { column: 'ts', field: 'ts', type: 'auto' },
          { column: 'amount', field: 'props.total', type: 'number' },
        ],
      },
    ]);
    expect(typeof call?.[1].run_id).toBe('string');
    expect(sampleStore.getState().progress).toEqual({ done: 100, total: 100, rows: 5 });
    expect(screen.getByTestId('dataset-summary').textContent).toContain('2 profiles, 3 events');
  });

  it('shows a bad line with its file, line and field, and keeps the previous data', async () => {
    shell({ failOn: '/d/bad.csv', initial: { ...dataset, events: 9 } });
    const api = new TauriBackend();
    render(<SampleData api={api} />);
    await waitFor(() => expect(screen.getByTestId('dataset-summary').dataset.events).toBe('9'));
    fireEvent.change(screen.getByTestId('import-path-1'), { target: { value: '/d/bad.csv' } });
    fireEvent.click(screen.getByTestId('import-run'));
    const err = await screen.findByTestId('import-error');
    expect(err.dataset.file).toBe('/d/bad.csv');
    expect(err.dataset.line).toBe('7');
    expect(err.textContent).toContain('/d/bad.csv, line 7, field ts (column 3 "ts")');
    expect(err.textContent).toContain('"soon" is not an RFC 3339 time');
    expect(err.textContent).toContain('previous data is unchanged');
    expect(sampleStore.getState().dataset?.events).toBe(9);
    expect(screen.getByTestId('dataset-summary').dataset.events).toBe('9');
  });

  it('pulls a sample from the engine with the counts asked for', async () => {
    const { calls } = shell();
    render(<SampleData api={new TauriBackend()} />);
    fireEvent.change(screen.getByTestId('pull-events'), { target: { value: '500' } });
    fireEvent.blur(screen.getByTestId('pull-events'));
    fireEvent.click(screen.getByTestId('pull-run'));
    await waitFor(() => expect(screen.getByTestId('dataset-summary').textContent).toContain('Pulled from the engine'));
    const call = calls.find((c) => c[0] === 'pull_sample');
    expect(call?.[1]).toMatchObject({ events: 500, profiles: 10000 });
  });

  it('refuses a second import while one runs, and cancel stops it', async () => {
    const store = createSampleStore();
    let release: (v: unknown) => void = () => undefined;
    const api = {
      importSample: () => new Promise((r) => (release = r)),
    } as unknown as TauriBackend;
    const first = store.getState().importFiles(api, [{ path: 'a', kind: 'events' }]);
    expect(await store.getState().importFiles(api, [{ path: 'b', kind: 'events' }])).toBe(false);
    store.getState().cancel();
    release(dataset);
    expect(await first).toBe(false);
    expect(store.getState().status).toBe('cancelled');
    expect(store.getState().dataset).toBeNull();
  });
});

describe('simulating on the imported data', () => {
  it('sends source: imported, and needs a dataset with events first', async () => {
    const { calls } = shell();
    sessionStore.getState().setBackend(new TauriBackend());
    render(<SimulateView />);
    fireEvent.click(await screen.findByTestId('sim-source-imported'));
    expect((screen.getByTestId('sim-run') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId('import-path-1'), { target: { value: '/d/events.jsonl' } });
    fireEvent.click(screen.getByTestId('import-run'));
    await waitFor(() => expect((screen.getByTestId('sim-run') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId('sim-run'));
    await waitFor(() => expect(calls.some((c) => c[0] === 'simulate')).toBe(true));
    expect(calls.find((c) => c[0] === 'simulate')?.[1]).toMatchObject({ source: 'imported' });
  });
});

describe('the progress of a generated run', () => {
  it('shows the making of the users, the writing of the sample data, then the replay', () => {
    shell();
    sessionStore.getState().setBackend(new TauriBackend());
    const sim = sessionStore.getState().sim;
    sessionStore.setState({ sim: { ...sim, status: 'running', progress: { done: 300, total: 1000, phase: 'generate' } } });
    render(<SimulateView />);
    expect(screen.getByTestId('sim-progress').textContent).toContain('Generating the sample users: 30%');
    expect(screen.getByTestId('sim-progress').querySelector('.progress-bar')?.getAttribute('style')).toContain('width: 30%');
    act(() => sessionStore.setState({ sim: { ...sessionStore.getState().sim, progress: { done: 50, total: 200, phase: 'write' } } }));
    expect(screen.getByTestId('sim-progress').textContent).toContain('Preparing the sample data: 25%');
    act(() => sessionStore.setState({ sim: { ...sessionStore.getState().sim, progress: { done: 0, total: 0, phase: 'read' } } }));
    expect(screen.getByTestId('sim-progress').textContent).toContain('Reading the sample data');
    act(() => sessionStore.setState({ sim: { ...sessionStore.getState().sim, progress: { done: 1500, total: 3000, phase: 'simulate' } } }));
    expect(screen.getByTestId('sim-progress').textContent).toContain('1,500 / 3,000 events');
    act(() => sessionStore.setState({ sim: { ...sessionStore.getState().sim, status: 'idle', progress: null } }));
  });
});
