// The session store: which backend the UI talks to, live validation results and the sandbox
// simulation. Kept apart from the editor store: none of it is part of the document or its undo.

import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import {
  BackendError,
  CLIENT_CODES,
  createBackend,
  inTauri,
  type Backend,
  type HttpConfig,
  type Identity,
  type SimProgress,
  type SimulateResult,
} from '../backend';
import type { Diagnostic, Workspace } from '../model/types';
import type { EditorState } from './editor';

const SETTINGS_KEY = 'trellis.engine';

export type View = 'design' | 'simulate' | 'review' | 'monitor';

export interface SimParams {
  users: number;
  days: number;
  seed: number;
  /** Generated sample data, or the dataset imported into the desktop app. */
  source?: 'generated' | 'imported';
  /** A model of the workspace scored at every entry of journeys without a gate (docs/uplift.md). */
  uplift_model?: string;
}

export interface SimState {
  status: 'idle' | 'running' | 'done' | 'error' | 'cancelled';
  progress: SimProgress | null;
  result: SimulateResult | null;
  error: BackendError | null;
  /** The document that was simulated (counts belong to it, not to later edits). */
  doc: Workspace | null;
  params: SimParams;
  startedAt: number;
  finishedAt: number;
}

export interface SessionState {
  view: View;
  http: HttpConfig | null;
  backend: Backend | null;
  health: 'none' | 'checking' | 'ok' | 'down';
  settingsOpen: boolean;

  diagnostics: Diagnostic[];
  validation: 'idle' | 'pending' | 'ok' | 'offline' | 'error';
  validationError: BackendError | null;
  /** The document the diagnostics belong to. */
  validatedDoc: Workspace | null;

  sim: SimState;

  /** Who the app is on its engine (desktop app); null when it cannot say (a browser, no engine). */
  identity: Identity | null;
  loadIdentity(): Promise<void>;
  /** Desktop, bundled engine: act as its author or its reviewer. */
  switchIdentity(acting: 'author' | 'reviewer'): Promise<void>;

  setView(v: View): void;
  setHttp(cfg: HttpConfig | null): void;
  setBackend(b: Backend | null): void;
  openSettings(open: boolean): void;
  checkHealth(): Promise<void>;
  validate(doc: Workspace): Promise<void>;
  runSimulation(doc: Workspace, params: SimParams): Promise<void>;
  cancelSimulation(): void;
  clearSimulation(): void;
}

function loadSettings(): HttpConfig | null {
  const env = import.meta.env as Record<string, string | undefined>;
  try {
    const raw = globalThis.localStorage?.getItem(SETTINGS_KEY);
    if (raw) {
      const v = JSON.parse(raw) as Partial<HttpConfig>;
      if (typeof v.baseUrl === 'string') return { baseUrl: v.baseUrl, token: typeof v.token === 'string' ? v.token : '' };
    }
  } catch {
    // unreadable settings: start unconfigured
  }
  if (env.VITE_TRELLIS_URL) return { baseUrl: env.VITE_TRELLIS_URL, token: env.VITE_TRELLIS_TOKEN ?? '' };
  return null;
}

function saveSettings(cfg: HttpConfig | null) {
  try {
    if (cfg) globalThis.localStorage?.setItem(SETTINGS_KEY, JSON.stringify(cfg));
    else globalThis.localStorage?.removeItem(SETTINGS_KEY);
  } catch {
    // storage unavailable: settings last for this session only
  }
}

let validationSeq = 0;

export function createSessionStore(initial?: { backend?: Backend | null; http?: HttpConfig | null }): StoreApi<SessionState> {
  const http = initial?.http !== undefined ? initial.http : loadSettings();
  const backend = initial?.backend !== undefined ? initial.backend : createBackend(http);
  // The simulation `sim` belongs to: each run takes the next number, and a cancel moves past the
  // cancelled one. A run whose number is no longer current (cancelled, or followed by another)
  // changes nothing when it ends or reports progress. The UI lets the user run again as soon as
  // they cancel, but the cancelled run ends only when the shell's sandbox thread sees its cancel
  // flag: that late "cancelled" must not land on the newer run (it used to overwrite a finished
  // run's status, so the canvas showed its counts while Review said "No simulation yet").
  let simRun = 0;
  let simAbort: AbortController | null = null;
  return createStore<SessionState>()((set, get) => ({
    view: 'design',
    http,
    backend,
    identity: null,
    health: backend ? 'checking' : 'none',
    settingsOpen: false,
    diagnostics: [],
    validation: backend ? 'idle' : 'offline',
    validationError: null,
    validatedDoc: null,
    sim: {
      status: 'idle',
      progress: null,
      result: null,
      error: null,
      doc: null,
      params: { users: 2000, days: 14, seed: 1 },
      startedAt: 0,
      finishedAt: 0,
    },

    setView(view) {
      set({ view });
    },

    setHttp(cfg) {
      saveSettings(cfg);
      get().setBackend(createBackend(cfg));
      set({ http: cfg });
    },

    setBackend(b) {
      set({
        backend: b,
        identity: null,
        health: b ? 'checking' : 'none',
        validation: b ? 'idle' : 'offline',
        diagnostics: b ? get().diagnostics : [],
        validatedDoc: null,
      });
      if (b) void get().checkHealth();
    },

    openSettings(settingsOpen) {
      set({ settingsOpen });
    },

    async checkHealth() {
      const b = get().backend;
      if (!b) {
        set({ health: 'none' });
        return;
      }
      set({ health: 'checking' });
      const ok = await b.health();
      if (get().backend === b) set({ health: ok ? 'ok' : 'down' });
      if (ok) await get().loadIdentity();
    },

    async loadIdentity() {
      const b = get().backend;
      const who = b as (Backend & { identity?: () => Promise<Identity> }) | null;
      if (!who || typeof who.identity !== 'function') {
        set({ identity: null });
        return;
      }
      try {
        const identity = await who.identity();
        if (get().backend === b) set({ identity });
      } catch {
        if (get().backend === b) set({ identity: null });
      }
    },

    async switchIdentity(acting) {
      const b = get().backend as (Backend & { setIdentity?: (a: 'author' | 'reviewer') => Promise<Identity> }) | null;
      if (!b || typeof b.setIdentity !== 'function') return;
      const identity = await b.setIdentity(acting);
      if (get().backend === b) set({ identity });
    },

    async validate(doc) {
      const b = get().backend;
      if (!b) {
        set({ validation: 'offline', diagnostics: [], validatedDoc: null });
        return;
      }
      const seq = ++validationSeq;
      set({ validation: 'pending' });
      try {
        const diagnostics = await b.validate(doc);
        if (seq !== validationSeq) return;
        set({ diagnostics, validation: 'ok', validationError: null, validatedDoc: doc, health: 'ok' });
      } catch (e) {
        if (seq !== validationSeq) return;
        const err = e instanceof BackendError ? e : new BackendError('E_INTERNAL', String(e));
        set({
          validation: 'error',
          validationError: err,
          ...(err.code === CLIENT_CODES.unreachable ? { health: 'down' as const } : {}),
        });
      }
    },

    async runSimulation(doc, params) {
      const b = get().backend;
      if (!b || get().sim.status === 'running') return;
      const run = ++simRun;
      const current = () => run === simRun;
      const abort = new AbortController();
      simAbort = abort;
      const signal = abort.signal;
      set({
        sim: { status: 'running', progress: null, result: null, error: null, doc, params, startedAt: Date.now(), finishedAt: 0 },
      });
      try {
        const result = await b.simulate(
          { workspace: doc, ...params },
          {
            signal,
            onProgress: (progress) => {
              if (current() && get().sim.status === 'running') set({ sim: { ...get().sim, progress } });
            },
          },
        );
        if (!current() || signal.aborted) return;
        // The result and its status in one update: `sim.result` is only ever a finished run's.
        set({ sim: { ...get().sim, status: 'done', result, finishedAt: Date.now() } });
      } catch (e) {
        if (!current()) return;
        const err = e instanceof BackendError ? e : new BackendError('E_INTERNAL', String(e));
        const cancelled = signal.aborted || err.code === CLIENT_CODES.cancelled;
        set({ sim: { ...get().sim, status: cancelled ? 'cancelled' : 'error', error: cancelled ? null : err, finishedAt: Date.now() } });
      } finally {
        if (simAbort === abort) simAbort = null;
      }
    },

    cancelSimulation() {
      simAbort?.abort();
      simAbort = null;
      simRun += 1;
      if (get().sim.status === 'running') set({ sim: { ...get().sim, status: 'cancelled', finishedAt: Date.now() } });
    },

    clearSimulation() {
      simAbort?.abort();
      simAbort = null;
      simRun += 1;
      set({ sim: { ...get().sim, status: 'idle', result: null, error: null, progress: null, doc: null } });
    },
  }));
}

export const sessionStore = createSessionStore();

export function useSession<T>(selector: (s: SessionState) => T): T {
  return useStore(sessionStore, selector);
}

/** Validate the document shortly after it stops changing. Returns the unsubscribe function. */
export function startLiveValidation(
  editor: StoreApi<EditorState>,
  session: StoreApi<SessionState> = sessionStore,
  delayMs = 400,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void session.getState().validate(editor.getState().doc), delayMs);
  };
  schedule();
  const unEditor = editor.subscribe((s, prev) => {
    if (s.doc !== prev.doc) schedule();
  });
  const unSession = session.subscribe((s, prev) => {
    if (s.backend !== prev.backend) schedule();
  });
  return () => {
    if (timer) clearTimeout(timer);
    unEditor();
    unSession();
  };
}

export function backendKindLabel(): 'tauri' | 'browser' {
  return inTauri() ? 'tauri' : 'browser';
}
