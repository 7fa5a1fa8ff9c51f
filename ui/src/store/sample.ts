// The sandbox's own sample data in the desktop app: files imported from disk (JSON Lines or CSV)
// or a sample pulled from the connected engine. The shell parses and checks them off the UI
// thread (`import_sample`, `pull_sample`), streams progress, and keeps one dataset that a
// simulation with `source: 'imported'` replays. A failed import leaves the previous dataset.

import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import {
  BackendError,
  CLIENT_CODES,
  type ColumnMapping,
  type DataKind,
  type DatasetInfo,
  type ImportFile,
  type ImportProgress,
  type TauriBackend,
} from '../backend';

export interface SampleState {
  dataset: DatasetInfo | null;
  status: 'idle' | 'running' | 'done' | 'error' | 'cancelled';
  /** What is running: an import of files or a pull from the engine. */
  task: 'import' | 'pull' | null;
  progress: ImportProgress | null;
  error: BackendError | null;
  loadDataset(api: TauriBackend): Promise<void>;
  importFiles(api: TauriBackend, files: ImportFile[]): Promise<boolean>;
  pull(api: TauriBackend, req: { events: number; profiles: number }): Promise<boolean>;
  cancel(): void;
}

let abort: AbortController | null = null;

export function createSampleStore(): StoreApi<SampleState> {
  return createStore<SampleState>()((set, get) => {
    const run = async (task: 'import' | 'pull', work: (opts: { onProgress: (p: ImportProgress) => void; signal: AbortSignal }) => Promise<DatasetInfo>) => {
      if (get().status === 'running') return false;
      abort = new AbortController();
      const signal = abort.signal;
      set({ status: 'running', task, progress: null, error: null });
      try {
        const dataset = await work({
          signal,
          onProgress: (progress) => {
            if (get().status === 'running') set({ progress });
          },
        });
        if (signal.aborted) return false;
        set({ status: 'done', dataset, task: null });
        return true;
      } catch (e) {
        const err = e instanceof BackendError ? e : new BackendError('E_INTERNAL', String(e));
        const cancelled = signal.aborted || err.code === CLIENT_CODES.cancelled;
        set({ status: cancelled ? 'cancelled' : 'error', error: cancelled ? null : err, task: null });
        return false;
      } finally {
        abort = null;
      }
    };
    return {
      dataset: null,
      status: 'idle',
      task: null,
      progress: null,
      error: null,
      async loadDataset(api) {
        try {
          set({ dataset: await api.datasetInfo() });
        } catch {
          set({ dataset: null });
        }
      },
      importFiles(api, files) {
        return run('import', (opts) => api.importSample(files, opts));
      },
      pull(api, req) {
        return run('pull', (opts) => api.pullSample(req, opts));
      },
      cancel() {
        abort?.abort();
        if (get().status === 'running') set({ status: 'cancelled', task: null });
      },
    };
  });
}

export const sampleStore = createSampleStore();

export function useSample<T>(selector: (s: SampleState) => T): T {
  return useStore(sampleStore, selector);
}

/** The field a CSV column most likely is: its header when that names a field, else a prop (events) or an attribute (profiles). */
export function suggestField(kind: DataKind, column: string): string {
  const c = column.trim();
  const top = kind === 'events' ? ['event_id', 'user_id', 'type', 'ts'] : ['user_id'];
  if (top.includes(c)) return c;
  const prefixes = kind === 'events' ? ['props.'] : ['attrs.', 'contact.', 'consent.'];
  if (prefixes.some((p) => c.startsWith(p) && c.length > p.length)) return c;
  const aliases: Record<string, string> = kind === 'events'
    ? { user: 'user_id', uid: 'user_id', userid: 'user_id', event: 'type', event_type: 'type', time: 'ts', timestamp: 'ts', id: 'event_id' }
    : { user: 'user_id', uid: 'user_id', userid: 'user_id', id: 'user_id' };
  const alias = aliases[c.toLowerCase()];
  if (alias) return alias;
  const name = c.replace(/\s+/g, '_');
  return name ? `${kind === 'events' ? 'props' : 'attrs'}.${name}` : '';
}

/** The default mapping of a CSV header. */
export function defaultMapping(kind: DataKind, header: string[]): ColumnMapping[] {
  return header.map((column) => ({ column, field: suggestField(kind, column), type: 'auto' }));
}

/** "file, line 3, field ts: why" from an `E_IMPORT` error (null for other errors). */
export function importErrorParts(e: unknown): { file: string; line: number; field: string | null; reason: string } | null {
  if (!(e instanceof BackendError) || e.code !== 'E_IMPORT') return null;
  const body = e.body as { error?: { file?: unknown; line?: unknown; field?: unknown; reason?: unknown } } | undefined;
  const inner = body?.error ?? (e.body as Record<string, unknown> | undefined);
  if (!inner) return null;
  const x = inner as { file?: unknown; line?: unknown; field?: unknown; reason?: unknown };
  return {
    file: typeof x.file === 'string' ? x.file : '',
    line: typeof x.line === 'number' ? x.line : 0,
    field: typeof x.field === 'string' ? x.field : null,
    reason: typeof x.reason === 'string' ? x.reason : e.message,
  };
}
