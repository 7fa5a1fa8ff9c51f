// The one typed interface the UI talks to (GitButler's IBackend idea), with two implementations:
// HTTP `fetch` against the engine service (runtime.md) and Tauri `invoke` inside the desktop app.
// Both speak the same JSON; errors arrive as `{ error: { code, message, path } }` and become a
// `BackendError` whose `code` the UI matches on (never the message).

import { Channel, invoke } from '@tauri-apps/api/core';
import type { SimSummary } from './model/simSummary';
import { readSegmentDetail, readSegmentList, type SegmentDetail, type SegmentSummary } from './model/behaviour';
import type { DecisionRecord, Diagnostic, ExperimentStats, Report, Workspace } from './model/types';
import type { ApiErrorBody } from './generated/ApiErrorBody';
import type { DataKind } from './generated/DataKind';
import type { DecideAnswer } from './generated/DecideAnswer';
import type { DecideKind } from './generated/DecideKind';
import type { DecideOffer } from './generated/DecideOffer';
import type { DatasetFile } from './generated/DatasetFile';
import type { DatasetInfo } from './generated/DatasetInfo';
import type { DeployMode } from './generated/DeployMode';
import type { Deployment } from './generated/Deployment';
import type { DraftSummary } from './generated/DraftSummary';
import type { Me } from './generated/Me';
import type { DraftText } from './generated/DraftText';
import type { DraftVersion } from './generated/DraftVersion';
import type { EngineInfo } from './generated/EngineInfo';
import type { EngineMode } from './generated/EngineMode';
import type { ErrorCode } from './generated/ErrorCode';
import type { FileFormat } from './generated/FileFormat';
import type { ImportPreview } from './generated/ImportPreview';
import type { ImportProgress } from './generated/ImportProgress';
import type { LiveJourney } from './generated/LiveJourney';
import type { ReleaseDetail } from './generated/ReleaseDetail';
import type { ReleaseStatus } from './generated/ReleaseStatus';
import type { ReleaseSummary } from './generated/ReleaseSummary';
import type { Review } from './generated/Review';
import type { SimProgress } from './generated/SimProgress';
import type { SimulateResult } from './generated/SimulateResult';
import type { SubmitResult } from './generated/SubmitResult';
import { readAlerts, readControlState, type Alert, type ControlEntry, type ControlState, type DegradeRequest, type DeployRequest } from './model/control';

// ---- shapes ----

// The answers' shapes are generated from the Rust types that write them (trellis_api::wire, with
// ts-rs; see ui/README.md). The requests below stay hand-written: Rust reads them field by field
// (with an error path per field), so there is no Rust type to generate them from.
export type {
  ApiErrorBody,
  DataKind,
  DatasetFile,
  DecideAnswer,
  DecideKind,
  DecideOffer,
  DatasetInfo,
  DeployMode,
  Deployment,
  DraftSummary,
  DraftText,
  DraftVersion,
  EngineInfo,
  EngineMode,
  ErrorCode,
  FileFormat,
  ImportPreview,
  ImportProgress,
  LiveJourney,
  ReleaseDetail,
  ReleaseStatus,
  ReleaseSummary,
  Review,
  SimProgress,
  SimulateResult,
  SubmitResult,
};

export interface SimulateRequest {
  workspace: Workspace;
  users: number;
  days: number;
  seed: number;
  /** `imported`: replay the dataset imported into the desktop app (`import_sample`, `pull_sample`). */
  source?: 'generated' | 'imported';
  /** Attach a model of the workspace's `models` to the run (the report's `uplift.<journey>.entry`). */
  uplift_model?: string;
  uplift_threshold?: number;
}

/** What a CSV column becomes: a field path (`user_id`, `ts`, `props.amount`, `attrs.city`…; empty: left out). */
export interface ColumnMapping {
  column: string;
  field: string;
  type: 'auto' | 'string' | 'number' | 'boolean' | 'json';
}

/** One file to import into the sandbox's dataset. */
export interface ImportFile {
  path: string;
  kind: DataKind;
  /** CSV only; without it the header names the field paths. */
  mapping?: ColumnMapping[];
}

/** A placement request (`POST /v1/decide`, docs/decide.md): the same `request_id` answers the same. */
export interface DecideRequest {
  request_id: string;
  user_id: string;
  placement: string;
  /** The page's facts, read by conditions as `event.<key>`. */
  context: Record<string, unknown>;
}

export interface DecisionQuery {
  user_id?: string;
  journey?: string;
  since?: string;
  limit?: number;
  /** The cursor: the `next` of the page before (records after that seq). */
  after?: number;
}

/**
 * Who the app is (`identity`). On the bundled engine: the local user it acts as, `local-admin`
 * (role admin, the author) or `reviewer` (role approver), switchable; on a remote engine the
 * token's user and role, as its `GET /v1/me` answers (null when an older engine does not).
 */
export interface Identity {
  engine: 'bundled' | 'remote';
  url: string;
  name: string | null;
  role: 'admin' | 'approver' | 'operator' | 'ingest' | 'decide' | null;
  acting: 'author' | 'reviewer' | null;
  can_switch: boolean;
}

/** What the bundled reviewer's approval carries in its comment (src-tauri/src/identity.rs). */
export const LOCAL_REVIEW_NOTE = '[self-review on the local engine: the app\'s single user approved as its bundled reviewer]';

/** The engine's view of a user (`GET /v1/users/{id}`), as the engine writes it. */
export type UserState = Record<string, unknown>;

export interface Backend {
  readonly kind: 'http' | 'tauri';
  /** Where it talks to, for the status bar. */
  readonly target: string;
  health(): Promise<boolean>;
  validate(workspace: Workspace): Promise<Diagnostic[]>;
  simulate(
    req: SimulateRequest,
    opts?: { onProgress?: (p: SimProgress) => void; signal?: AbortSignal },
  ): Promise<SimulateResult>;
  listReleases(status?: ReleaseStatus): Promise<ReleaseSummary[]>;
  getRelease(id: string): Promise<ReleaseDetail>;
  /** Submits the workspace as a release, with the summary of its simulation when there is one. */
  submitRelease(workspace: Workspace, summary?: SimSummary): Promise<SubmitResult>;
  approveRelease(id: string, comment: string): Promise<void>;
  rejectRelease(id: string, comment: string): Promise<void>;
  /** `guardrails` (optional): the engine rolls the journey back when one is crossed (docs/operations.md). */
  deployRelease(id: string, req: DeployRequest): Promise<void>;
  rollbackJourney(journeyId: string): Promise<void>;
  listJourneys(): Promise<LiveJourney[]>;
  decisions(q: DecisionQuery): Promise<DecisionRecord[]>;
  journeyStats(journeyId: string): Promise<Report>;
  /** `GET /v1/experiments/{id}`: one experiment's arms against its control (docs/measurement.md). */
  experimentStats(experimentId: string): Promise<ExperimentStats>;
  getUser(userId: string): Promise<UserState>;
  /**
   * `GET /v1/segments` (Tauri `segment_sizes`): each segment's id, name and size, live. The raw
   * answer: read it with `loadSegments`, which also tells an engine without the route.
   */
  listSegments?(): Promise<unknown>;
  /** `GET /v1/segments/{id}` (Tauri `segment_detail` with `{ id }`): size, a sample of members, overlaps. Raw; see `loadSegment`. */
  getSegment?(id: string): Promise<unknown>;

  // ---- live controls (docs/operations.md; approver, except the reads). Optional: a fake or an
  // older shell may lack them, and the Monitor then says the engine has no live controls.

  /** `POST /v1/journeys/{id}/pause` (Tauri `pause_journey`). */
  pauseJourney?(journeyId: string, req: { scope: 'entries' | 'all'; reason: string }): Promise<ControlEntry>;
  /** `POST /v1/journeys/{id}/resume` (Tauri `resume_journey`). */
  resumeJourney?(journeyId: string, req: { reason: string }): Promise<ControlEntry>;
  /** `POST /v1/campaigns/{id}/close` (Tauri `close_campaign`). */
  closeCampaign?(campaign: string, req: { reason: string }): Promise<ControlEntry>;
  /** `GET /v1/control` (Tauri `control_state`), read with `readControlState`. */
  controlState?(): Promise<ControlState>;
  /** `POST /v1/control` (Tauri `set_degrade`): the degrade switch, engine-wide or for one campaign. */
  setDegrade?(req: DegradeRequest): Promise<ControlEntry>;
  /** `POST /v1/campaigns/{id}/breaker/reset` (Tauri `reset_breaker`). */
  resetBreaker?(campaign: string, req: { reason: string }): Promise<ControlEntry>;
  /** `GET /v1/alerts` (Tauri `list_alerts`): the alerts' list. */
  listAlerts?(): Promise<Alert[]>;

  /**
   * `POST /v1/decide?timeout_ms=` (Tauri `decide`): what the live journeys answer a placement
   * request (docs/decide.md). Optional like the live controls: an older shell lacks it.
   */
  decide?(req: DecideRequest, timeoutMs?: number): Promise<DecideAnswer>;
}

// ---- errors ----

/** Codes produced on this side; the service's own codes pass through as they are. */
export const CLIENT_CODES = {
  unreachable: 'E_UNREACHABLE',
  cancelled: 'E_CANCELLED',
  badResponse: 'E_BAD_RESPONSE',
} as const;

export class BackendError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly path?: string,
    readonly status?: number,
    /** The whole error body (a refused release carries its `diagnostics`). */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'BackendError';
  }

  get diagnostics(): Diagnostic[] {
    const b = this.body;
    if (typeof b === 'object' && b !== null && 'diagnostics' in b && Array.isArray(b.diagnostics)) {
      return b.diagnostics as Diagnostic[];
    }
    return [];
  }
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Turn an error body (`{error:{...}}` or a bare `{code,message}`) into a BackendError. */
export function toBackendError(body: unknown, status?: number): BackendError {
  const outer = obj(body);
  const inner = obj(outer?.error) ?? outer;
  if (inner && typeof inner.code === 'string') {
    const message = typeof inner.message === 'string' ? inner.message : inner.code;
    const path = typeof inner.path === 'string' ? inner.path : undefined;
    return new BackendError(inner.code, message, path, status, body);
  }
  if (typeof body === 'string') return new BackendError(`E_HTTP_${status ?? 0}`, body, undefined, status, body);
  return new BackendError(`E_HTTP_${status ?? 0}`, `HTTP ${status ?? '?'}`, undefined, status, body);
}

function field<T>(body: unknown, key: string): T {
  const o = obj(body);
  if (!o || !(key in o)) throw new BackendError(CLIENT_CODES.badResponse, `the answer lacks "${key}"`);
  return o[key] as T;
}

// ---- HTTP ----

export interface HttpConfig {
  baseUrl: string;
  token: string;
}

export class HttpBackend implements Backend {
  readonly kind = 'http';
  readonly target: string;
  private readonly base: string;

  constructor(
    private readonly cfg: HttpConfig,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {
    this.base = cfg.baseUrl.replace(/\/+$/, '');
    this.target = this.base;
  }

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.cfg.token) headers.Authorization = `Bearer ${this.cfg.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      const init: RequestInit = { method, headers };
      if (body !== undefined) init.body = JSON.stringify(body);
      if (signal) init.signal = signal;
      res = await this.fetchImpl(`${this.base}${path}`, init);
    } catch (e) {
      if (signal?.aborted) throw new BackendError(CLIENT_CODES.cancelled, 'cancelled');
      throw new BackendError(CLIENT_CODES.unreachable, e instanceof Error ? e.message : String(e));
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      throw toBackendError(parsed, res.status);
    }
    return res;
  }

  private async json(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const res = await this.send(method, path, body, signal);
    const text = await res.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new BackendError(CLIENT_CODES.badResponse, 'the answer is not JSON', undefined, res.status);
    }
  }

  async health(): Promise<boolean> {
    try {
      const res = await this.fetchImpl(`${this.base}/healthz`);
      return res.ok;
    } catch {
      return false;
    }
  }

  async validate(workspace: Workspace): Promise<Diagnostic[]> {
    return field<Diagnostic[]>(await this.json('POST', '/v1/validate', workspace), 'diagnostics');
  }

  /**
   * `POST /v1/simulate`. A plain JSON answer is `{report, log}`. An `application/x-ndjson` answer
   * streams `{"progress": {...}}` lines and ends with `{"result": {report, log}}` (or
   * `{"error": {...}}`), which lets the service report progress over plain HTTP.
   */
  async simulate(
    req: SimulateRequest,
    opts: { onProgress?: (p: SimProgress) => void; signal?: AbortSignal } = {},
  ): Promise<SimulateResult> {
    const res = await this.send('POST', '/v1/simulate', req, opts.signal);
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('ndjson') || !res.body) {
      const body: unknown = JSON.parse(await res.text());
      return { report: field<Report>(body, 'report'), log: field<DecisionRecord[]>(body, 'log') };
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let result: SimulateResult | undefined;
    const handle = (line: string) => {
      if (!line.trim()) return;
      const msg = obj(JSON.parse(line));
      if (!msg) return;
      if (msg.progress) opts.onProgress?.(msg.progress as SimProgress);
      else if (msg.error) throw toBackendError(msg, res.status);
      else if (msg.result) result = msg.result as SimulateResult;
    };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          handle(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          nl = buf.indexOf('\n');
        }
      }
      handle(buf);
    } catch (e) {
      if (opts.signal?.aborted) throw new BackendError(CLIENT_CODES.cancelled, 'cancelled');
      throw e;
    }
    if (!result) throw new BackendError(CLIENT_CODES.badResponse, 'the simulation stream ended without a result');
    return result;
  }

  async listReleases(status?: ReleaseStatus): Promise<ReleaseSummary[]> {
    const q = status ? `?status=${encodeURIComponent(status)}` : '';
    return field<ReleaseSummary[]>(await this.json('GET', `/v1/releases${q}`), 'releases');
  }

  async getRelease(id: string): Promise<ReleaseDetail> {
    return (await this.json('GET', `/v1/releases/${encodeURIComponent(id)}`)) as ReleaseDetail;
  }

  async submitRelease(workspace: Workspace, summary?: SimSummary): Promise<SubmitResult> {
    return (await this.json('POST', '/v1/releases', summary ? { workspace, summary } : workspace)) as SubmitResult;
  }

  async approveRelease(id: string, comment: string): Promise<void> {
    await this.json('POST', `/v1/releases/${encodeURIComponent(id)}/approve`, { comment });
  }

  async rejectRelease(id: string, comment: string): Promise<void> {
    await this.json('POST', `/v1/releases/${encodeURIComponent(id)}/reject`, { comment });
  }

  async deployRelease(id: string, req: DeployRequest): Promise<void> {
    await this.json('POST', `/v1/releases/${encodeURIComponent(id)}/deploy`, deployBody(req));
  }

  async rollbackJourney(journeyId: string): Promise<void> {
    await this.json('POST', `/v1/journeys/${encodeURIComponent(journeyId)}/rollback`, {});
  }

  async listJourneys(): Promise<LiveJourney[]> {
    return field<LiveJourney[]>(await this.json('GET', '/v1/journeys'), 'journeys');
  }

  async decisions(q: DecisionQuery): Promise<DecisionRecord[]> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
    const qs = params.toString();
    return field<DecisionRecord[]>(await this.json('GET', `/v1/decisions${qs ? `?${qs}` : ''}`), 'decisions');
  }

  async journeyStats(journeyId: string): Promise<Report> {
    return (await this.json('GET', `/v1/stats/journeys/${encodeURIComponent(journeyId)}`)) as Report;
  }

  /** Who the token is: `GET /v1/me`. */
  async me(): Promise<Me> {
    return (await this.json('GET', '/v1/me')) as Me;
  }

  /** The token's user on this engine, for the header; unknown when the engine has no `/v1/me`. */
  async identity(): Promise<Identity> {
    const who: Identity = { engine: 'remote', url: this.base, name: null, role: null, acting: null, can_switch: false };
    try {
      const me = await this.me();
      return { ...who, name: typeof me.name === 'string' ? me.name : null, role: me.role ?? null };
    } catch (e) {
      // an older engine (404) still works; a bad token or no engine is for the status to say
      if (e instanceof BackendError && e.code === 'E_NOT_FOUND') return who;
      throw e;
    }
  }

  async experimentStats(experimentId: string): Promise<ExperimentStats> {
    return (await this.json('GET', `/v1/experiments/${encodeURIComponent(experimentId)}`)) as ExperimentStats;
  }

  async getUser(userId: string): Promise<UserState> {
    return (await this.json('GET', `/v1/users/${encodeURIComponent(userId)}`)) as UserState;
  }

  listSegments(): Promise<unknown> {
    return this.json('GET', '/v1/segments');
  }

  getSegment(id: string): Promise<unknown> {
    return this.json('GET', `/v1/segments/${encodeURIComponent(id)}`);
  }

  async pauseJourney(journeyId: string, req: { scope: 'entries' | 'all'; reason: string }): Promise<ControlEntry> {
    return (await this.json('POST', `/v1/journeys/${encodeURIComponent(journeyId)}/pause`, req)) as ControlEntry;
  }

  async resumeJourney(journeyId: string, req: { reason: string }): Promise<ControlEntry> {
    return (await this.json('POST', `/v1/journeys/${encodeURIComponent(journeyId)}/resume`, req)) as ControlEntry;
  }

  async closeCampaign(campaign: string, req: { reason: string }): Promise<ControlEntry> {
    return (await this.json('POST', `/v1/campaigns/${encodeURIComponent(campaign)}/close`, req)) as ControlEntry;
  }

  async controlState(): Promise<ControlState> {
    return readControlState(await this.json('GET', '/v1/control'));
  }

  async setDegrade(req: DegradeRequest): Promise<ControlEntry> {
    return (await this.json('POST', '/v1/control', req)) as ControlEntry;
  }

  async resetBreaker(campaign: string, req: { reason: string }): Promise<ControlEntry> {
    return (await this.json('POST', `/v1/campaigns/${encodeURIComponent(campaign)}/breaker/reset`, req)) as ControlEntry;
  }

  async listAlerts(): Promise<Alert[]> {
    return readAlerts(await this.json('GET', '/v1/alerts'));
  }

  async decide(req: DecideRequest, timeoutMs?: number): Promise<DecideAnswer> {
    const q = timeoutMs === undefined ? '' : `?timeout_ms=${encodeURIComponent(String(timeoutMs))}`;
    return (await this.json('POST', `/v1/decide${q}`, req)) as DecideAnswer;
  }
}

// ---- Tauri ----

/**
 * Each command takes one argument, `args`, holding the same JSON as the HTTP body plus the path
 * parameters (so the Rust side declares one serde struct per command), and answers with the
 * same JSON as the HTTP route. `simulate` also takes `onProgress`, a Channel of SimProgress, and
 * a `run_id` in its args that `cancel_simulation` names.
 */
export type InvokeFn = <T>(cmd: string, args?: Record<string, unknown>) => Promise<T>;

let runSeq = 0;

export class TauriBackend implements Backend {
  readonly kind = 'tauri';
  readonly target = 'desktop';

  constructor(private readonly invokeImpl: InvokeFn = (cmd, args) => invoke(cmd, args)) {}

  private async call<T>(cmd: string, args: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<T> {
    try {
      return await this.invokeImpl<T>(cmd, { args, ...extra });
    } catch (e) {
      if (e instanceof BackendError) throw e;
      throw toBackendError(typeof e === 'string' ? safeParse(e) : e);
    }
  }

  async health(): Promise<boolean> {
    try {
      await this.engineInfo();
      return true;
    } catch {
      return false;
    }
  }

  /** Who the app is on its engine (name, role; on the bundled engine author or reviewer). */
  identity(): Promise<Identity> {
    return this.call('identity', {});
  }

  /** `GET /v1/me` through the shell: the bundled engine's user the app acts as, or the remote token's. */
  me(): Promise<Me> {
    return this.call('me', {});
  }

  /** On the bundled engine: act as its author (`local-admin`) or its reviewer (`reviewer`). */
  setIdentity(acting: 'author' | 'reviewer'): Promise<Identity> {
    return this.call('set_identity', { acting });
  }

  /** Which engine the shell talks to: the bundled `trellis serve` or a remote service. */
  engineInfo(): Promise<EngineInfo> {
    return this.call('engine_info', {});
  }

  /** Save a file through the shell's save dialog (a webview does not download blobs). Answers the path, or null when cancelled. */
  saveFile(name: string, text: string, title?: string): Promise<string | null> {
    return this.call('save_file', title ? { name, text, title } : { name, text });
  }

  /** A native open dialog for data files: the chosen paths, or null when cancelled. */
  pickFiles(title?: string): Promise<string[] | null> {
    return this.call('pick_files', title ? { title } : {});
  }

  // ---- sample data for the sandbox: import from files, pull from the engine

  previewImport(path: string): Promise<ImportPreview> {
    return this.call('preview_import', { path });
  }

  /** Imports files into the dataset, all or nothing (`E_IMPORT` names the file, line and field). */
  importSample(files: ImportFile[], opts: { onProgress?: (p: ImportProgress) => void; signal?: AbortSignal } = {}): Promise<DatasetInfo> {
    return this.cancellable('import_sample', { files }, opts);
  }

  /** Pulls recent events and their users' profiles from the connected engine into the dataset. */
  pullSample(
    req: { events: number; profiles: number },
    opts: { onProgress?: (p: ImportProgress) => void; signal?: AbortSignal } = {},
  ): Promise<DatasetInfo> {
    return this.cancellable('pull_sample', req, opts);
  }

  datasetInfo(): Promise<DatasetInfo | null> {
    return this.call('dataset_info', {});
  }

  private async cancellable<T, P>(
    cmd: string,
    args: Record<string, unknown>,
    opts: { onProgress?: (p: P) => void; signal?: AbortSignal },
  ): Promise<T> {
    runSeq += 1;
    const runId = `${cmd}_${Date.now()}_${runSeq}`;
    const channel = new Channel<P>((p) => opts.onProgress?.(p));
    const onAbort = () => {
      void this.call('cancel_simulation', { run_id: runId }).catch(() => undefined);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.call<T>(cmd, { ...args, run_id: runId }, { onProgress: channel });
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Point the shell at a remote service (`url` and `token`), or back at the bundled one (`null`). */
  async setEngine(remote: HttpConfig | null): Promise<void> {
    await this.call('set_engine', remote ? { url: remote.baseUrl, token: remote.token } : { url: null, token: null });
  }

  // ---- drafts and their history, in the shell's local.db

  /** Appends `text` as the next version of draft `name` (skipped when equal to the latest). */
  saveDraft(name: string, text: string, savedText?: string): Promise<{ name: string; version: number; saved: boolean }> {
    return this.call('save_draft', { name, text, saved_text: savedText ?? null });
  }

  async listDrafts(): Promise<DraftSummary[]> {
    return field<DraftSummary[]>(await this.call('list_drafts', {}), 'drafts');
  }

  /** A draft at `version`, or at its latest version. */
  loadDraft(name: string, version?: number): Promise<DraftText> {
    return this.call('load_draft', version === undefined ? { name } : { name, version });
  }

  async draftHistory(name: string): Promise<DraftVersion[]> {
    return field<DraftVersion[]>(await this.call('draft_history', { name }), 'versions');
  }

  async deleteDraft(name: string): Promise<void> {
    await this.call('delete_draft', { name });
  }

  async validate(workspace: Workspace): Promise<Diagnostic[]> {
    return field<Diagnostic[]>(await this.call('validate', { workspace }), 'diagnostics');
  }

  async simulate(
    req: SimulateRequest,
    opts: { onProgress?: (p: SimProgress) => void; signal?: AbortSignal } = {},
  ): Promise<SimulateResult> {
    return this.cancellable<SimulateResult, SimProgress>('simulate', { ...req }, opts);
  }

  async listReleases(status?: ReleaseStatus): Promise<ReleaseSummary[]> {
    return field<ReleaseSummary[]>(await this.call('list_releases', status ? { status } : {}), 'releases');
  }

  getRelease(id: string): Promise<ReleaseDetail> {
    return this.call('get_release', { id });
  }

  submitRelease(workspace: Workspace, summary?: SimSummary): Promise<SubmitResult> {
    return this.call('submit_release', summary ? { workspace, summary } : { workspace });
  }

  async approveRelease(id: string, comment: string): Promise<void> {
    await this.call('approve_release', { id, comment });
  }

  async rejectRelease(id: string, comment: string): Promise<void> {
    await this.call('reject_release', { id, comment });
  }

  async deployRelease(id: string, req: DeployRequest): Promise<void> {
    await this.call('deploy_release', { id, ...deployBody(req) });
  }

  async rollbackJourney(journeyId: string): Promise<void> {
    await this.call('rollback_journey', { id: journeyId });
  }

  async listJourneys(): Promise<LiveJourney[]> {
    return field<LiveJourney[]>(await this.call('list_journeys', {}), 'journeys');
  }

  async decisions(q: DecisionQuery): Promise<DecisionRecord[]> {
    return field<DecisionRecord[]>(await this.call('list_decisions', { ...q }), 'decisions');
  }

  journeyStats(journeyId: string): Promise<Report> {
    return this.call('journey_stats', { id: journeyId });
  }

  /** The shell's `experiment_stats` command: `GET /v1/experiments/{id}` of the engine it talks to. */
  experimentStats(experimentId: string): Promise<ExperimentStats> {
    return this.call('experiment_stats', { id: experimentId });
  }

  getUser(userId: string): Promise<UserState> {
    return this.call('get_user', { user_id: userId });
  }

  listSegments(): Promise<unknown> {
    return this.call('segment_sizes', {});
  }

  getSegment(id: string): Promise<unknown> {
    return this.call('segment_detail', { id });
  }

  pauseJourney(journeyId: string, req: { scope: 'entries' | 'all'; reason: string }): Promise<ControlEntry> {
    return this.call('pause_journey', { id: journeyId, ...req });
  }

  resumeJourney(journeyId: string, req: { reason: string }): Promise<ControlEntry> {
    return this.call('resume_journey', { id: journeyId, ...req });
  }

  closeCampaign(campaign: string, req: { reason: string }): Promise<ControlEntry> {
    return this.call('close_campaign', { id: campaign, ...req });
  }

  async controlState(): Promise<ControlState> {
    return readControlState(await this.call('control_state', {}));
  }

  setDegrade(req: DegradeRequest): Promise<ControlEntry> {
    return this.call('set_degrade', { ...req });
  }

  resetBreaker(campaign: string, req: { reason: string }): Promise<ControlEntry> {
    return this.call('reset_breaker', { id: campaign, ...req });
  }

  async listAlerts(): Promise<Alert[]> {
    return readAlerts(await this.call('list_alerts', {}));
  }

  decide(req: DecideRequest, timeoutMs?: number): Promise<DecideAnswer> {
    return this.call('decide', timeoutMs === undefined ? { ...req } : { ...req, timeout_ms: timeoutMs });
  }
}

/** A deploy's body: `guardrails` only when there are some (an older engine reads the rest). */
function deployBody(req: DeployRequest): DeployRequest {
  const { guardrails, ...rest } = req;
  return guardrails && guardrails.length ? { ...rest, guardrails } : rest;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return { code: 'E_INTERNAL', message: s };
  }
}

// ---- segments (issue 20): the routes are not final; every read of them goes through here ----

/**
 * Whether an error means the engine lacks the route or command altogether (an engine before
 * segments): the service's fallback 404 ("no such route"), a bare 404, or Tauri's unknown command.
 */
export function isMissingRoute(e: unknown): boolean {
  if (!(e instanceof BackendError)) return false;
  if (e.status === 404 && (e.code === 'E_HTTP_404' || /no such route/i.test(e.message))) return true;
  return /command\s+\S+\s+not found|unknown command|not allowed|not found in/i.test(e.message) && e.status === undefined;
}

/**
 * Whether an error means the engine has no live-control route or command (an engine older than
 * the live controls): a missing route or command, or 405 (the path exists for another method, as
 * `/v1/control` does for GET on an engine without the degrade switch).
 */
export function unsupported(e: unknown): boolean {
  if (!(e instanceof BackendError)) return false;
  return isMissingRoute(e) || e.status === 405 || e.code === 'E_HTTP_405';
}

/** What the UI can say about live segment figures. */
export type Live<T> = { state: 'ok'; value: T } | { state: 'unavailable' } | { state: 'error'; error: BackendError };

function asBackendError(e: unknown): BackendError {
  return e instanceof BackendError ? e : new BackendError('E_INTERNAL', e instanceof Error ? e.message : String(e));
}

/** `GET /v1/segments` read as `SegmentSummary[]`; `unavailable` when the engine has no such route (any 404 here). */
export async function loadSegments(b: Backend): Promise<Live<SegmentSummary[]>> {
  if (typeof b.listSegments !== 'function') return { state: 'unavailable' };
  try {
    return { state: 'ok', value: readSegmentList(await b.listSegments()) };
  } catch (e) {
    const err = asBackendError(e);
    if (isMissingRoute(err) || err.status === 404) return { state: 'unavailable' };
    return { state: 'error', error: err };
  }
}

/** `GET /v1/segments/{id}` read as a `SegmentDetail`; `unavailable` when the engine has no such route. */
export async function loadSegment(b: Backend, id: string): Promise<Live<SegmentDetail>> {
  if (typeof b.getSegment !== 'function') return { state: 'unavailable' };
  try {
    return { state: 'ok', value: readSegmentDetail(await b.getSegment(id), id) };
  } catch (e) {
    const err = asBackendError(e);
    if (isMissingRoute(err)) return { state: 'unavailable' };
    return { state: 'error', error: err };
  }
}

// ---- choosing one ----

export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

/** Inside the desktop app: Tauri. In a browser: HTTP when a service URL is set, else none. */
export function createBackend(http: HttpConfig | null): Backend | null {
  if (inTauri()) return new TauriBackend();
  if (http && http.baseUrl.trim()) return new HttpBackend(http);
  return null;
}
