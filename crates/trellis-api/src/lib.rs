//! The operations of the engine service, transport-agnostic: the HTTP server, the CLI and the
//! desktop shell call these, so no operation is written twice. Every error is an [`ApiError`].

pub mod error;
pub mod metrics;
pub mod runtime;
pub mod trace;
pub mod wire;

pub use error::{ApiError, Code, Result};
pub use runtime::{ClockMode, Runtime};
pub use trellis_store::OutboxItem;
pub use wire::SimProgress;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex, Notify};
use tracing::Instrument;
use trellis_engine::ts_string;
use trellis_store::{NewInput, Store};

/// What became of each release deployed live, from the deployment rows in order: `deployed`
/// while it is the live version of one of its journeys, else `rolled_back` when a rollback took
/// it off last, else `superseded` (a newer release took its place). The stack per journey is
/// the engine's: a deploy of a new version pushes, a deploy of the current one only changes its
/// rollout, a rollback pops.
pub fn deployment_states(
    deps: &[trellis_store::DeploymentRow],
) -> std::collections::HashMap<String, &'static str> {
    use std::collections::HashMap;
    let mut stacks: HashMap<&str, Vec<(i64, &str)>> = HashMap::new();
    let mut off: HashMap<&str, &'static str> = HashMap::new();
    for d in deps.iter().filter(|d| d.mode == "live") {
        let stack = stacks.entry(d.journey.as_str()).or_default();
        match d.action.as_str() {
            "rollback" => {
                if let Some((_, r)) = stack.pop() {
                    off.insert(r, "rolled_back");
                }
            }
            _ if stack.last().is_some_and(|t| t.0 == d.version) => {}
            _ => {
                if let Some(&(_, r)) = stack.last() {
                    off.insert(r, "superseded");
                }
                stack.push((d.version, d.release_id.as_str()));
            }
        }
    }
    let mut states: HashMap<String, &'static str> =
        off.into_iter().map(|(r, s)| (r.to_owned(), s)).collect();
    for stack in stacks.values() {
        if let Some(&(_, r)) = stack.last() {
            states.insert(r.to_owned(), "deployed");
        }
    }
    states
}

pub fn now_utc() -> DateTime<Utc> {
    Utc::now()
}

/// The largest batch of events one request may carry.
pub const MAX_BATCH: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Operator,
    Approver,
    Ingest,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "operator" => Role::Operator,
            "approver" => Role::Approver,
            "ingest" => Role::Ingest,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Approver => "approver",
            Role::Ingest => "ingest",
            Role::Admin => "admin",
        }
    }
}

/// Who is calling, and in which trace.
#[derive(Debug, Clone)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// The caller's trace id (a transport sets it, e.g. from a `traceparent` header; see
    /// [`trace`]). Inputs the call appends carry it; without one each call gets a fresh id.
    pub trace: Option<String>,
}

impl Principal {
    /// The trace id of inputs this call appends: the caller's, else a fresh one.
    pub fn trace_id(&self) -> String {
        self.trace.clone().unwrap_or_else(trace::new_trace_id)
    }

    /// Requires `role` (admin may do everything).
    pub fn require(&self, role: Role) -> Result<()> {
        if self.role == role || self.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::new(
                Code::Forbidden,
                format!(
                    "this needs the {} role; the token {:?} has {}",
                    role.as_str(),
                    self.name,
                    self.role.as_str()
                ),
            ))
        }
    }
}

/// A new random token (hex of 24 bytes from the OS).
pub fn random_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut b = [0u8; 24];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(format!(
        "trl_{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

/// Runs `work` on a thread of its own at a lower CPU priority (nice +10 on Unix; the threads it
/// starts inherit it), and answers its result. Sandbox work (a simulation, an import) is long
/// and CPU-bound: on a small machine at normal priority its three threads would starve the
/// desktop app's window (frames of a second and more were measured on 2 cores) or the
/// service's ingest. At +10 it still gets every cycle nobody else wants.
pub async fn background<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("trellis-sandbox".into())
        .spawn(move || {
            lower_priority();
            let _ = tx.send(work());
        })
        .map_err(|e| ApiError::new(Code::Internal, format!("cannot start a thread: {e}")))?;
    rx.await.map_err(|_| {
        ApiError::new(
            Code::Internal,
            "the sandbox thread stopped without an answer",
        )
    })
}

#[cfg(unix)]
fn lower_priority() {
    // On Linux the nice value is the calling thread's. Failing to lower it is harmless.
    let _ = rustix::process::nice(10);
}
#[cfg(not(unix))]
fn lower_priority() {}

/// How many decision records a sandbox simulation answers (the first ones).
pub const SIM_LOG_RECORDS: usize = 20_000;

/// The simulation's decision log: a buffer that keeps the first [`SIM_LOG_RECORDS`] lines and
/// drops the rest (a million events make millions of records, gigabytes held for nothing), and
/// whose writes fail once `cancel` is set, which stops the simulator at its next write.
struct CancellableLog {
    buf: Vec<u8>,
    lines: usize,
    cancel: Arc<std::sync::atomic::AtomicBool>,
}

impl std::io::Write for CancellableLog {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.cancel.load(std::sync::atomic::Ordering::SeqCst) {
            // Not `Interrupted`: `write_all` retries that one forever.
            return Err(std::io::Error::other("cancelled"));
        }
        if self.lines < SIM_LOG_RECORDS {
            let mut rest = b;
            while self.lines < SIM_LOG_RECORDS && !rest.is_empty() {
                match rest.iter().position(|c| *c == b'\n') {
                    Some(i) => {
                        self.buf.extend_from_slice(&rest[..=i]);
                        self.lines += 1;
                        rest = &rest[i + 1..];
                    }
                    None => {
                        self.buf.extend_from_slice(rest);
                        rest = &[];
                    }
                }
            }
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Tokens seen, with their principal and expiry.
type TokenCache = std::collections::HashMap<String, (Principal, Option<DateTime<Utc>>)>;

/// Journal entries between snapshots of the runtime, unless set otherwise.
pub const DEFAULT_SNAPSHOT_EVERY: i64 = 100_000;

pub struct Service {
    pub store: Store,
    pub holder: String,
    clock: ClockMode,
    runtime: Mutex<Option<Runtime>>,
    leader: std::sync::atomic::AtomicBool,
    wake: Notify,
    applied_tx: watch::Sender<i64>,
    pub metrics: metrics::Metrics,
    tokens: std::sync::Mutex<TokenCache>,
    stop: std::sync::atomic::AtomicBool,
    appender: tokio::sync::mpsc::Sender<AppendJob>,
    /// Journal entries between snapshots of the runtime (0: none); see [`Service::set_snapshot_every`].
    snapshot_every: std::sync::atomic::AtomicI64,
}

/// Inputs of one request and where to send their sequence numbers.
type AppendJob = (
    Vec<NewInput>,
    tokio::sync::oneshot::Sender<trellis_store::Result<Vec<Option<i64>>>>,
);

/// Group commit: requests that arrive while a commit is on disk share the next one, so one fsync
/// acknowledges many requests. Order and idempotency are as if each committed alone.
async fn appender(store: Store, mut rx: tokio::sync::mpsc::Receiver<AppendJob>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut n = jobs[0].0.len();
        while n < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.0.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let all: Vec<NewInput> = jobs.iter().flat_map(|j| j.0.iter().cloned()).collect();
        let r = store.add_inputs(&all, &ts_string(now_utc())).await;
        match r {
            Ok(seqs) => {
                let mut it = seqs.into_iter();
                for (inputs, tx) in jobs {
                    let mine: Vec<Option<i64>> = it.by_ref().take(inputs.len()).collect();
                    let _ = tx.send(Ok(mine));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for (_, tx) in jobs {
                    let _ = tx.send(Err(trellis_store::Error::Conflict(msg.clone())));
                }
            }
        }
    }
}

/// An answer of one of the [`wire`] types, as JSON.
fn answer(v: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(v)
        .map_err(|e| ApiError::new(Code::Internal, format!("cannot write the answer: {e}")))
}

fn parse_json(body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(Code::BadRequest, format!("the body is not JSON: {e}")).at(format!(
            "line {}, column {}",
            e.line(),
            e.column()
        ))
    })
}

/// A deployment row's mode.
fn deploy_mode(d: &trellis_store::DeploymentRow) -> Result<wire::DeployMode> {
    wire::DeployMode::parse(&d.mode).ok_or_else(|| {
        ApiError::new(
            Code::Internal,
            format!(
                "a deployment of {} has an unknown mode {:?}",
                d.journey, d.mode
            ),
        )
    })
}

fn parse_time(s: &str, path: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            ApiError::new(
                Code::BadRequest,
                format!("{s:?} is not an RFC 3339 time: {e}"),
            )
            .at(path)
        })
}

impl Service {
    /// Opens the store and starts nothing; call [`Service::run`] to run the engine loop.
    pub async fn open(db: &str, clock: ClockMode) -> Result<Arc<Service>> {
        let store = Store::open(db).await.map_err(|e| {
            ApiError::new(
                Code::Unavailable,
                format!("cannot open the database {db}: {e}"),
            )
        })?;
        let holder = format!(
            "{}-{}",
            std::process::id(),
            random_token().unwrap_or_default().get(4..12).unwrap_or("x")
        );
        let (applied_tx, _) = watch::channel(0);
        let (appender_tx, appender_rx) = tokio::sync::mpsc::channel(4096);
        tokio::spawn(appender(store.clone(), appender_rx));
        if store.kind() == trellis_store::DbKind::Sqlite {
            let s = store.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if let Err(e) = s.checkpoint_inputs().await {
                        tracing::warn!(error = %e, "checkpointing the inputs file failed");
                    }
                }
            });
        }
        Ok(Arc::new(Service {
            store,
            holder,
            clock,
            runtime: Mutex::new(None),
            leader: false.into(),
            wake: Notify::new(),
            applied_tx,
            metrics: metrics::Metrics::default(),
            tokens: Default::default(),
            stop: false.into(),
            appender: appender_tx,
            snapshot_every: std::sync::atomic::AtomicI64::new(DEFAULT_SNAPSHOT_EVERY),
        }))
    }

    /// Appends inputs durably (group-committed with concurrent requests).
    async fn append(&self, inputs: Vec<NewInput>) -> Result<Vec<Option<i64>>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.appender
            .send((inputs, tx))
            .await
            .map_err(|_| ApiError::new(Code::Unavailable, "the service is stopping"))?;
        let r = rx
            .await
            .map_err(|_| ApiError::new(Code::Unavailable, "the service is stopping"))?;
        Ok(r?)
    }

    pub fn is_leader(&self) -> bool {
        self.leader.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }

    // ---- tokens

    pub async fn create_token(
        &self,
        role: &str,
        name: &str,
        ttl: Option<chrono::Duration>,
    ) -> Result<String> {
        if Role::parse(role).is_none() {
            return Err(ApiError::new(
                Code::BadRequest,
                format!("unknown role {role:?}: operator, approver, ingest or admin"),
            )
            .at("role"));
        }
        let token = random_token()
            .map_err(|e| ApiError::new(Code::Internal, format!("no randomness: {e}")))?;
        let now = now_utc();
        let expires = ttl.map(|d| ts_string(now + d));
        self.store
            .create_token(&token, name, role, &ts_string(now), expires.as_deref())
            .await?;
        Ok(token)
    }

    /// The principal of a bearer token.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Principal> {
        let Some(h) = header else {
            return Err(ApiError::new(
                Code::Unauthorized,
                "missing Authorization: Bearer TOKEN",
            ));
        };
        let Some(token) = h.strip_prefix("Bearer ").map(str::trim) else {
            return Err(ApiError::new(
                Code::Unauthorized,
                "the Authorization header must be Bearer TOKEN",
            ));
        };
        let cached = self.tokens.lock().ok().and_then(|m| m.get(token).cloned());
        let (p, exp) = match cached {
            Some(c) => c,
            None => {
                let Some(row) = self.store.token(token).await? else {
                    return Err(ApiError::new(Code::Unauthorized, "unknown token"));
                };
                let role = Role::parse(&row.role).ok_or_else(|| {
                    ApiError::new(Code::Unauthorized, "the token's role is unknown")
                })?;
                let exp = row
                    .expires_at
                    .as_deref()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc));
                let p = Principal {
                    name: row.name,
                    role,
                    trace: None,
                };
                if let Ok(mut m) = self.tokens.lock() {
                    if m.len() > 10_000 {
                        m.clear();
                    }
                    m.insert(token.to_owned(), (p.clone(), exp));
                }
                (p, exp)
            }
        };
        if exp.is_some_and(|e| e <= now_utc()) {
            return Err(ApiError::new(Code::Unauthorized, "the token has expired"));
        }
        Ok(p)
    }

    // ---- validation and releases

    pub fn validate(&self, body: &[u8]) -> Value {
        let (_, diags) = trellis_graph::validate_bytes(body);
        json!({ "diagnostics": diags })
    }

    /// A sandbox simulation on generated sample data (`{workspace, users, days, seed}` →
    /// `{report, log}`), off the async threads. The log is cut at 20,000 records.
    pub async fn simulate(&self, body: &[u8]) -> Result<Value> {
        self.simulate_with(body, |_| {}, Arc::default()).await
    }

    /// [`Service::simulate`] that reports progress (at most about 200 times per run) and stops
    /// with `E_CANCELLED` soon after `cancel` is set.
    pub async fn simulate_with(
        &self,
        body: &[u8],
        progress: impl FnMut(SimProgress) + Send + 'static,
        cancel: Arc<std::sync::atomic::AtomicBool>,
    ) -> Result<Value> {
        self.simulate_data(body, None, progress, cancel).await
    }

    /// [`Service::simulate_with`] on the dataset in `data` (`profiles.jsonl` and `events.jsonl`,
    /// as `trellis_sim::import::build_dataset` writes them) instead of generated sample data;
    /// `users`, `days` and `seed` are then not read. For the desktop app's imported data only:
    /// no route takes a path.
    pub async fn simulate_data(
        &self,
        body: &[u8],
        data: Option<std::path::PathBuf>,
        mut progress: impl FnMut(SimProgress) + Send + 'static,
        cancel: Arc<std::sync::atomic::AtomicBool>,
    ) -> Result<Value> {
        let v = parse_json(body)?;
        let num = |k: &str, d: u64, max: u64| -> Result<u64> {
            match v.get(k) {
                None | Some(Value::Null) => Ok(d),
                Some(x) => x.as_u64().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                    ApiError::new(
                        Code::BadRequest,
                        format!("{k} must be an integer from 1 to {max}"),
                    )
                    .at(format!("/{k}"))
                }),
            }
        };
        let users = num("users", 1_000, 200_000)? as usize;
        let days = num("days", 7, 90)? as u32;
        let seed = num("seed", 1, u64::MAX)?;
        let (ws, diags) = trellis_graph::validate_value(v.get("workspace").unwrap_or(&Value::Null));
        let Some(ws) = ws.filter(|_| !diags.iter().any(|d| d.is_error())) else {
            let mut e = ApiError::new(Code::Validation, "the workspace has validation errors")
                .at("/workspace");
            e.diagnostics = Some(Box::new(
                serde_json::to_value(&diags).unwrap_or(Value::Null),
            ));
            return Err(e);
        };
        background(move || -> Result<Value> {
            let internal = |e: String| ApiError::new(Code::Internal, e);
            let dir = std::env::temp_dir().join(format!(
                "trellis-sim-{}",
                random_token().map_err(|e| internal(e.to_string()))?
            ));
            let spec = trellis_sample::SampleSpec {
                users,
                days,
                seed,
                start: trellis_sample::SampleSpec::default_start(),
            };
            let cancelled = || ApiError::new(Code::Cancelled, "the simulation was cancelled");
            let stopped = || cancel.load(std::sync::atomic::Ordering::SeqCst);
            let read = match &data {
                None => trellis_sample::generate_to_dir_steps(&spec, &dir, |stage, done, total| {
                    progress(SimProgress {
                        done: done as u64,
                        total: total as u64,
                        phase: match stage {
                            trellis_sample::Stage::Users => "generate",
                            trellis_sample::Stage::Write => "write",
                        },
                    });
                    !stopped()
                })
                .map_err(|e| e.to_string())
                .and_then(|_| {
                    progress(SimProgress {
                        done: 0,
                        total: 0,
                        phase: "read",
                    });
                    trellis_sim::read_input(&dir.join("profiles.jsonl"), &dir.join("events.jsonl"))
                        .map_err(|e| e.to_string())
                }),
                Some(d) => {
                    progress(SimProgress {
                        done: 0,
                        total: 0,
                        phase: "read",
                    });
                    trellis_sim::read_input(&d.join("profiles.jsonl"), &d.join("events.jsonl"))
                        .map_err(|e| e.to_string())
                }
            };
            if stopped() {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(cancelled());
            }
            let input = read.map_err(|e| {
                let _ = std::fs::remove_dir_all(&dir);
                internal(e)
            })?;
            let mut log = CancellableLog {
                buf: Vec::new(),
                lines: 0,
                cancel: cancel.clone(),
            };
            let mut step = usize::MAX;
            let run = trellis_sim::simulate(ws, input, None, Some(&mut log), |done, total| {
                // About 200 reports per run, whatever its size.
                let s = done.saturating_mul(200) / total.max(1);
                if s != step || done == total {
                    step = s;
                    progress(SimProgress {
                        done: done as u64,
                        total: total as u64,
                        phase: "simulate",
                    });
                }
            });
            let _ = std::fs::remove_dir_all(&dir);
            if stopped() {
                return Err(cancelled());
            }
            let report = run.map_err(|e| internal(e.to_string()))?;
            let log = log.buf;
            let records: Vec<Value> = log
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .take(SIM_LOG_RECORDS)
                .filter_map(|l| serde_json::from_slice(l).ok())
                .collect();
            answer(&wire::SimulateResult {
                report,
                log: records,
            })
        })
        .await?
    }

    pub async fn submit_release(&self, who: &Principal, body: &[u8]) -> Result<Value> {
        who.require(Role::Operator)?;
        let v = parse_json(body)?;
        // The workspace itself, or { "workspace": …, "summary": … } with a simulation summary.
        let (ws_value, summary) = match v.get("workspace") {
            Some(w) if v.get("schema").is_none() => (w.clone(), v.get("summary").cloned()),
            _ => (v, None),
        };
        let (ws, diags) = trellis_graph::validate_value(&ws_value);
        let diag_json = serde_json::to_value(&diags).unwrap_or(Value::Null);
        let errors = diags.iter().filter(|d| d.is_error()).count();
        let Some(ws) = ws.filter(|_| errors == 0) else {
            let first = diags.iter().find(|d| d.is_error());
            let mut e = ApiError::new(
                Code::Validation,
                format!(
                    "the workspace has {errors} validation error(s); the first: {}",
                    first.map_or(String::new(), |d| d.message.clone())
                ),
            )
            .at(first.and_then(|d| d.path.clone()).unwrap_or_default());
            e.diagnostics = Some(Box::new(diag_json));
            return Err(e);
        };
        let journeys: Vec<&str> = ws.journeys.iter().map(|j| j.id.as_str()).collect();
        let id = format!("rel_{}", &random_token().unwrap_or_default()[4..20]);
        let version = self
            .store
            .insert_release(&trellis_store::NewRelease {
                id: &id,
                author: &who.name,
                workspace: &ws_value.to_string(),
                journeys: &json!(journeys).to_string(),
                diagnostics: &diag_json.to_string(),
                summary: summary.map(|s| s.to_string()).as_deref(),
                at: &ts_string(now_utc()),
            })
            .await?;
        answer(&wire::SubmitResult {
            release: id,
            version,
            status: wire::ReleaseStatus::PendingReview,
            diagnostics: diags,
        })
    }

    fn release_summary(
        r: &trellis_store::ReleaseRow,
        states: &std::collections::HashMap<String, &'static str>,
    ) -> Result<wire::ReleaseSummary> {
        // An approved release shows what became of it once deployed live.
        let status = match states.get(&r.id) {
            Some(s) if r.status == "approved" => s,
            _ => r.status.as_str(),
        };
        Ok(wire::ReleaseSummary {
            release: r.id.clone(),
            version: r.version,
            status: wire::ReleaseStatus::parse(status).ok_or_else(|| {
                ApiError::new(
                    Code::Internal,
                    format!("release {} has an unknown status {status:?}", r.id),
                )
            })?,
            author: r.author.clone(),
            created_at: r.created_at.clone(),
            journeys: serde_json::from_str(&r.journeys).unwrap_or_default(),
        })
    }

    pub async fn release(&self, id: &str) -> Result<Value> {
        let Some(r) = self.store.release(id).await? else {
            return Err(ApiError::new(Code::NotFound, format!("no release {id:?}")).at("id"));
        };
        let reviews: Vec<wire::Review> = self
            .store
            .reviews(id)
            .await?
            .into_iter()
            .map(|r| wire::Review {
                reviewer: r.reviewer,
                decision: r.verdict,
                comment: r.comment,
                at: r.at,
            })
            .collect();
        let deps = self.store.deployments().await?;
        let states = deployment_states(&deps);
        let deployments = deps
            .into_iter()
            .filter(|d| d.release_id == id)
            .map(|d| {
                Ok(wire::Deployment {
                    mode: deploy_mode(&d)?,
                    journey: d.journey,
                    version: d.version,
                    rollout_percent: d.rollout_percent,
                    action: d.action,
                    by: d.actor,
                    at: d.at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        answer(&wire::ReleaseDetail {
            head: Self::release_summary(&r, &states)?,
            workspace: serde_json::from_str(&r.workspace).unwrap_or(Value::Null),
            diagnostics: serde_json::from_str(&r.diagnostics).unwrap_or(Value::Null),
            summary: r
                .summary
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            reviews,
            deployments,
            note: "Versions are immutable. Users already inside a journey finish on the version they entered; new entrants follow the rollout.".to_owned(),
        })
    }

    /// The releases, newest first; `status` filters on the status shown (`deployed`,
    /// `superseded` and `rolled_back` are what became of an approved release).
    pub async fn releases(&self, status: Option<&str>) -> Result<Value> {
        let rows = self.store.releases(None).await?;
        let states = deployment_states(&self.store.deployments().await?);
        let mut list = Vec::new();
        for r in &rows {
            let r = Self::release_summary(r, &states)?;
            if status.is_none_or(|s| r.status.as_str() == s) {
                list.push(r);
            }
        }
        Ok(json!({ "releases": answer(&list)? }))
    }

    pub async fn review(
        &self,
        who: &Principal,
        id: &str,
        approve: bool,
        body: &[u8],
    ) -> Result<Value> {
        who.require(Role::Approver)?;
        let v = if body.is_empty() {
            json!({})
        } else {
            parse_json(body)?
        };
        let comment = match v.get("comment") {
            None | Some(Value::Null) => "",
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                return Err(
                    ApiError::new(Code::BadRequest, "comment must be a string").at("/comment")
                )
            }
        };
        let Some(r) = self.store.release(id).await? else {
            return Err(ApiError::new(Code::NotFound, format!("no release {id:?}")).at("id"));
        };
        if approve && r.author == who.name {
            return Err(ApiError::new(
                Code::SelfApproval,
                format!(
                    "{} wrote release {id} and cannot approve it; another approver must",
                    who.name
                ),
            ));
        }
        let verdict = if approve { "approve" } else { "reject" };
        if !self
            .store
            .review(id, &who.name, verdict, comment, &ts_string(now_utc()))
            .await?
        {
            return Err(ApiError::new(
                Code::Conflict,
                format!("release {id} is {}, not pending review", r.status),
            ));
        }
        Ok(json!({ "release": id, "status": if approve { "approved" } else { "rejected" } }))
    }

    /// Appends one input and waits until the engine has applied it; answers its result.
    async fn apply_and_wait(&self, input: NewInput) -> Result<Value> {
        let key = input.ikey.clone();
        let fresh = self.append(vec![input]).await?.pop().flatten();
        let seq =
            match fresh {
                Some(s) => s,
                None => match key {
                    Some(k) => self.store.input_seq_by_key(&k).await?.ok_or_else(|| {
                        ApiError::new(Code::Internal, "a duplicate input vanished")
                    })?,
                    None => return Err(ApiError::new(Code::Internal, "an input was not stored")),
                },
            };
        self.wake.notify_one();
        let mut rx = self.applied_tx.subscribe();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(r) = self.store.result_of(seq).await? {
                let v: Value = r
                    .as_deref()
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or(Value::Null);
                if let Some(e) = v.get("error") {
                    // The engine's answer names its code (`Outcome::to_json`); one this release
                    // does not know is an internal error, not a guess.
                    let code =
                        serde_json::from_value::<Code>(e["code"].clone()).unwrap_or(Code::Internal);
                    return Err(
                        ApiError::new(code, e["message"].as_str().unwrap_or_default())
                            .at(e["path"].as_str().unwrap_or_default()),
                    );
                }
                let mut v = v;
                if fresh.is_none() && v.get("duplicate").is_some() {
                    // A retry of a request already applied: the same answer, marked.
                    v["duplicate"] = Value::Bool(true);
                }
                return Ok(v);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(ApiError::new(
                    Code::Unavailable,
                    "the engine did not apply the request in time; it is stored and will apply",
                ));
            }
            let _ = tokio::time::timeout(Duration::from_millis(100), rx.changed()).await;
        }
    }

    pub async fn deploy(&self, who: &Principal, id: &str, body: &[u8]) -> Result<Value> {
        who.require(Role::Approver)?;
        let v = parse_json(body)?;
        let percent = match v.get("rollout_percent") {
            None => 100,
            Some(p) => match p.as_u64() {
                Some(p @ 1..=100) => p,
                _ => {
                    return Err(ApiError::new(
                        Code::BadRequest,
                        "rollout_percent must be an integer from 1 to 100",
                    )
                    .at("/rollout_percent"))
                }
            },
        };
        let mode = match v.get("mode").map(|m| m.as_str()) {
            None => "live",
            Some(Some(m @ ("live" | "shadow"))) => m,
            Some(_) => {
                return Err(
                    ApiError::new(Code::BadRequest, "mode must be \"live\" or \"shadow\"")
                        .at("/mode"),
                )
            }
        };
        let Some(r) = self.store.release(id).await? else {
            return Err(ApiError::new(Code::NotFound, format!("no release {id:?}")).at("id"));
        };
        if r.status != "approved" {
            return Err(ApiError::new(
                Code::NotApproved,
                format!(
                    "release {id} is {}; only approved releases deploy",
                    r.status
                ),
            ));
        }
        let ws: Value = serde_json::from_str(&r.workspace).unwrap_or(Value::Null);
        self.apply_and_wait(NewInput {
            kind: "deploy".into(),
            ikey: None,
            body: json!({ "release": id, "version": r.version, "rollout_percent": percent, "mode": mode, "actor": who.name, "workspace": ws }).to_string(),
            trace_id: Some(who.trace_id()),
        })
        .await?;
        Ok(json!({ "release": id, "version": r.version, "rollout_percent": percent, "mode": mode }))
    }

    pub async fn rollback(&self, who: &Principal, journey: &str) -> Result<Value> {
        who.require(Role::Approver)?;
        let deps = self.store.deployments().await?;
        if !deps.iter().any(|d| d.journey == journey) {
            return Err(ApiError::new(
                Code::NotFound,
                format!("journey {journey:?} was never deployed"),
            )
            .at("id"));
        }
        // The deployment stack as the engine keeps it: a deploy pushes (or changes the rollout
        // of the current version), a rollback pops.
        let mut stack: Vec<(i64, String)> = Vec::new();
        for d in deps
            .iter()
            .filter(|d| d.journey == journey && d.mode == "live")
        {
            match d.action.as_str() {
                "rollback" => {
                    stack.pop();
                }
                _ if stack.last().is_some_and(|t| t.0 == d.version) => {}
                _ => stack.push((d.version, d.release_id.clone())),
            }
        }
        let Some((_, release)) = stack.len().checked_sub(2).map(|i| stack[i].clone()) else {
            return Err(ApiError::new(
                Code::NoPrevious,
                format!("journey {journey:?} has no earlier version to roll back to"),
            ));
        };
        let v = self
            .apply_and_wait(NewInput {
                kind: "rollback".into(),
                ikey: None,
                body: json!({ "journey": journey, "actor": who.name, "release": release })
                    .to_string(),
                trace_id: Some(who.trace_id()),
            })
            .await?;
        Ok(json!({ "journey": journey, "version": v["version"] }))
    }

    pub async fn journeys(&self) -> Result<Value> {
        let deps = self.store.deployments().await?;
        let mut by: std::collections::BTreeMap<String, Vec<&trellis_store::DeploymentRow>> =
            Default::default();
        for d in &deps {
            by.entry(d.journey.clone()).or_default().push(d);
        }
        let mut out = Vec::new();
        for (j, rows) in by {
            let last = rows[rows.len() - 1];
            // The release of the live version (a rollback row names the version it restored).
            let release = rows
                .iter()
                .rev()
                .find(|d| d.version == last.version && d.action == "deploy")
                .map(|d| d.release_id.clone());
            let previous = rows
                .iter()
                .rev()
                .map(|d| d.version)
                .find(|v| *v != last.version);
            out.push(wire::LiveJourney {
                id: j,
                version: last.version,
                release,
                rollout_percent: last.rollout_percent,
                mode: deploy_mode(last)?,
                deployed_at: last.at.clone(),
                previous_version: previous,
                last_action: last.action.clone(),
            });
        }
        Ok(json!({ "journeys": answer(&out)? }))
    }

    // ---- ingest

    /// One event or an array of up to 10,000. All or nothing: one bad event refuses the batch.
    pub async fn ingest(&self, who: &Principal, body: &[u8]) -> Result<Value> {
        who.require(Role::Ingest)?;
        self.ingest_json(parse_json(body)?, who.trace.clone()).await
    }

    /// Events already parsed as JSON (the RabbitMQ intake comes in here). They all belong to
    /// `trace` (one request, one trace), else to one fresh trace id; the answer says which.
    pub async fn ingest_json(&self, v: Value, trace: Option<String>) -> Result<Value> {
        let trace = trace.unwrap_or_else(trace::new_trace_id);
        let (items, array) = match v {
            Value::Array(a) => (a, true),
            o @ Value::Object(_) => (vec![o], false),
            _ => {
                return Err(ApiError::new(
                    Code::BadRequest,
                    "send one event object or an array of events",
                )
                .at(""))
            }
        };
        if items.len() > MAX_BATCH {
            return Err(ApiError::new(
                Code::TooLarge,
                format!("{} events in one batch; at most {MAX_BATCH}", items.len()),
            ));
        }
        let mut inputs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = if array {
                format!("/{i}")
            } else {
                String::new()
            };
            trellis_engine::parse_event(item)
                .map_err(|m| ApiError::new(Code::BadRequest, m).at(at.clone()))?;
            let ikey = match item.get("event_id") {
                Some(Value::String(s)) if !s.is_empty() => Some(format!("event:{s}")),
                None | Some(Value::Null) => None,
                Some(_) => {
                    return Err(ApiError::new(Code::BadRequest, "event_id must be a string")
                        .at(format!("{at}/event_id")))
                }
            };
            inputs.push(NewInput {
                kind: "event".into(),
                ikey,
                body: item.to_string(),
                trace_id: Some(trace.clone()),
            });
        }
        let seqs = self.append(inputs).await?;
        let accepted = seqs.iter().filter(|s| s.is_some()).count();
        let duplicates = seqs.len() - accepted;
        self.metrics.events(accepted as u64, duplicates as u64);
        self.wake.notify_one();
        tracing::debug!(accepted, duplicates, trace_id = %trace, "events stored");
        Ok(json!({ "accepted": accepted, "duplicates": duplicates, "trace_id": trace }))
    }

    pub async fn put_profile(&self, who: &Principal, user_id: &str, body: &[u8]) -> Result<Value> {
        who.require(Role::Ingest)?;
        let mut v = parse_json(body)?;
        let Value::Object(m) = &mut v else {
            return Err(ApiError::new(Code::BadRequest, "a profile must be a JSON object").at(""));
        };
        match m.get("user_id") {
            None => {
                m.insert("user_id".into(), Value::from(user_id));
            }
            Some(Value::String(s)) if s == user_id => {}
            Some(_) => {
                return Err(ApiError::new(
                    Code::BadRequest,
                    format!("user_id in the body must be {user_id:?}, as in the path"),
                )
                .at("/user_id"))
            }
        }
        for k in ["attrs", "contact", "consent"] {
            if m.get(k).is_some_and(|x| !x.is_object()) {
                return Err(
                    ApiError::new(Code::BadRequest, format!("{k} must be an object"))
                        .at(format!("/{k}")),
                );
            }
        }
        trellis_engine::parse_profile(&v).map_err(|e| ApiError::new(Code::BadRequest, e).at(""))?;
        let trace = who.trace_id();
        self.append(vec![NewInput {
            kind: "profile".into(),
            ikey: None,
            body: v.to_string(),
            trace_id: Some(trace.clone()),
        }])
        .await?;
        self.wake.notify_one();
        Ok(json!({ "user_id": user_id, "accepted": true, "trace_id": trace }))
    }

    pub async fn redeem(&self, who: &Principal, body: &[u8]) -> Result<Value> {
        who.require(Role::Ingest)?;
        let v = parse_json(body)?;
        let text = |k: &str| -> Result<String> {
            match v.get(k) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                _ => Err(ApiError::new(
                    Code::BadRequest,
                    format!("{k} must be a non-empty string"),
                )
                .at(format!("/{k}"))),
            }
        };
        let instance = text("instance")?;
        let order = text("order")?;
        let amount = match v.get("amount") {
            Some(a @ (Value::Number(_) | Value::String(_))) => {
                trellis_model::Money::from_json(a).map(|m| m.value).ok()
            }
            _ => None,
        }
        .filter(|a: &Decimal| !a.is_sign_negative())
        .ok_or_else(|| {
            ApiError::new(Code::BadRequest, "amount must be a non-negative decimal").at("/amount")
        })?;
        let r = self
            .apply_and_wait(NewInput {
                kind: "redeem".into(),
                ikey: Some(format!("redeem:{instance}:{order}")),
                body: json!({ "instance": instance, "order": order, "amount": amount.to_string() })
                    .to_string(),
                trace_id: Some(who.trace_id()),
            })
            .await?;
        Ok(
            json!({ "instance": instance, "order": order, "redeemed": true, "duplicate": r["duplicate"] }),
        )
    }

    /// Moves the clock on to `until` (event clock), or fires what is due (wall clock).
    pub async fn tick(&self, who: &Principal, body: &[u8]) -> Result<Value> {
        who.require(Role::Admin)?;
        let v = parse_json(body)?;
        let until = v.get("until").and_then(Value::as_str).ok_or_else(|| {
            ApiError::new(Code::BadRequest, "until must be an RFC 3339 time").at("/until")
        })?;
        parse_time(until, "/until")?;
        self.apply_and_wait(NewInput {
            kind: "tick".into(),
            ikey: None,
            body: json!({ "until": until }).to_string(),
            trace_id: Some(who.trace_id()),
        })
        .await?;
        Ok(json!({ "until": until }))
    }

    // ---- reads

    pub async fn user(&self, user_id: &str) -> Result<Value> {
        let view = {
            let rt = self.runtime.lock().await;
            rt.as_ref().and_then(|r| r.engine.user_view(user_id))
        };
        let messages: Vec<Value> = self.store.messages_of(user_id, 50).await?.into_iter().map(|(c, t, p, s, at)| json!({
            "channel": c, "template": t, "payload": serde_json::from_str::<Value>(&p).unwrap_or(Value::Null), "status": s, "at": at,
        })).collect();
        let instances = self.store.instances_of(user_id).await?;
        if view.is_none() && messages.is_empty() && instances.is_empty() {
            return Err(
                ApiError::new(Code::NotFound, format!("no user {user_id:?}")).at("user_id"),
            );
        }
        let mut v = view.unwrap_or_else(|| json!({ "user_id": user_id }));
        v["inbox"] = json!(messages
            .iter()
            .filter(|m| m["channel"] == "inbox")
            .collect::<Vec<_>>());
        v["recent_touches"] = json!(messages);
        Ok(v)
    }

    /// `GET /v1/decisions`: one page of decision records in the order they were written, and
    /// `next`, the cursor to pass as `after` for the page that follows (`null` on the last
    /// page). One row more than `limit` is read, so `next` is `null` exactly when nothing
    /// follows; pages are cut by seq, not time, so any number of records of one instant page.
    pub async fn decisions(&self, q: &Map<String, Value>) -> Result<Value> {
        let s = |k: &str| q.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        if let Some(since) = s("since") {
            parse_time(since, "since")?;
        }
        let limit = match s("limit") {
            None => 100,
            Some(l) => l
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=10_000).contains(l))
                .ok_or_else(|| {
                    ApiError::new(Code::BadRequest, "limit must be 1..10000").at("limit")
                })?,
        };
        let after = match s("after") {
            None => None,
            Some(a) => Some(a.parse::<i64>().ok().filter(|a| *a >= 0).ok_or_else(|| {
                ApiError::new(
                    Code::BadRequest,
                    "after must be a decision seq (a non-negative integer): the `next` of the page before",
                )
                .at("after")
            })?),
        };
        let trace_id = match s("trace_id") {
            Some(t) if !trace::is_trace_id(t) => {
                return Err(ApiError::new(
                    Code::BadRequest,
                    "trace_id must be 32 lowercase hex digits (a W3C trace-id)",
                )
                .at("trace_id"))
            }
            t => t,
        };
        let mut rows = self
            .store
            .decisions(&trellis_store::DecisionQuery {
                user: s("user_id"),
                journey: s("journey"),
                since: s("since"),
                shadow: s("shadow") == Some("true"),
                after,
                trace_id,
                limit: limit + 1,
            })
            .await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|(seq, _)| *seq)
        } else {
            None
        };
        let list: Vec<Value> = rows
            .iter()
            .filter_map(|(_, r)| serde_json::from_str(r).ok())
            .collect();
        Ok(json!({ "decisions": list, "next": next }))
    }

    pub async fn stats(&self, journey: &str) -> Result<Value> {
        let mut rt = self.runtime.lock().await;
        let Some(rt) = rt.as_mut() else {
            return Err(ApiError::new(
                Code::Unavailable,
                "this process is not running the engine yet",
            ));
        };
        if rt.engine.deployments(journey).is_empty() {
            return Err(ApiError::new(
                Code::NotFound,
                format!("journey {journey:?} is not deployed"),
            )
            .at("id"));
        }
        let report = rt.engine.report_now();
        let mut v = serde_json::to_value(&report).unwrap_or(Value::Null);
        if let Some(js) = v.get_mut("journeys").and_then(Value::as_object_mut) {
            js.retain(|k, _| k == journey);
        }
        v["versions"] = json!(rt
            .engine
            .deployments(journey)
            .iter()
            .map(|(v, r)| json!({ "version": v, "rollout_percent": r / 10_000 }))
            .collect::<Vec<_>>());
        if rt.shadowed.contains(journey) {
            if let Some(m) = rt.mirror.as_mut() {
                let sr = m.report_now();
                v["shadow"] = json!({ "journey": sr.journeys.get(journey), "offers": sr.offers, "touches": sr.touches });
            }
        }
        Ok(v)
    }

    /// A sample of recent live data for a sandbox run (admin: it holds people's data):
    /// `{ "profiles": [...], "events": [...] }` in the formats of `runtime.md`. The newest
    /// `events` events ingested (default 10,000, at most 100,000), oldest first, and the latest
    /// profile of up to `profiles` users (default 10,000, at most 100,000): first the users of
    /// those events, then the users whose profiles changed most recently. Read-only.
    pub async fn recent_sample(&self, who: &Principal, q: &Map<String, Value>) -> Result<Value> {
        who.require(Role::Admin)?;
        let limit = |k: &str| -> Result<i64> {
            match q.get(k) {
                None | Some(Value::Null) => Ok(10_000),
                Some(v) => v
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (0..=100_000).contains(n))
                    .ok_or_else(|| {
                        ApiError::new(
                            Code::BadRequest,
                            format!("{k} must be an integer from 0 to 100000"),
                        )
                        .at(format!("/{k}"))
                    }),
            }
        };
        let (n_events, n_profiles) = (limit("events")?, limit("profiles")?);
        let mut events: Vec<Value> = self
            .store
            .recent_inputs("event", n_events)
            .await?
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect();
        events.reverse();
        // Profiles replace each other whole: the newest body per user is the profile.
        let mut latest: std::collections::HashMap<String, Value> = Default::default();
        let mut order: Vec<String> = Vec::new();
        if n_profiles > 0 {
            let bodies = self
                .store
                .recent_inputs("profile", n_profiles.saturating_mul(4).max(1_000))
                .await?;
            for b in bodies {
                let Ok(v) = serde_json::from_str::<Value>(&b) else {
                    continue;
                };
                let Some(id) = v.get("user_id").and_then(Value::as_str).map(str::to_owned) else {
                    continue;
                };
                if let std::collections::hash_map::Entry::Vacant(e) = latest.entry(id) {
                    order.push(e.key().clone());
                    e.insert(v);
                }
            }
        }
        let mut profiles = Vec::new();
        let mut taken = std::collections::HashSet::new();
        let cap = usize::try_from(n_profiles).unwrap_or(0);
        let event_users = events
            .iter()
            .filter_map(|e| e.get("user_id").and_then(Value::as_str));
        for id in event_users.chain(order.iter().map(String::as_str)) {
            if profiles.len() >= cap {
                break;
            }
            if let Some(p) = latest.get(id) {
                if taken.insert(id.to_owned()) {
                    profiles.push(p.clone());
                }
            }
        }
        Ok(json!({ "profiles": profiles, "events": events }))
    }

    /// The reconciliation query over the double-entry ledger, per campaign:
    /// `budget = available + reserved + spent`, each account non-negative, and all legs summing
    /// to zero; beside it, the engine's own figures.
    pub async fn reconcile(&self, who: &Principal) -> Result<Value> {
        who.require(Role::Admin)?;
        let balances = self.store.reconcile().await?;
        let sum = self.store.ledger_sum().await?;
        let engine: Value = {
            let mut rt = self.runtime.lock().await;
            match rt.as_mut() {
                Some(rt) => {
                    serde_json::to_value(rt.engine.report_now().campaigns).unwrap_or(Value::Null)
                }
                None => Value::Null,
            }
        };
        let unit = Decimal::new(1, 4);
        let money = |u: i64| (Decimal::from(u) * unit).normalize().to_string();
        // The running balances the database holds (its second lock on the budget) must be the
        // ledger's sums, account by account.
        let held = self.store.balance_rows().await?;
        let mut summed: Vec<(String, String, i64)> = Vec::new();
        for b in &balances {
            for (account, v) in [
                ("available", b.available),
                ("budget", -b.budget),
                ("reserved", b.reserved),
                ("spent", b.spent),
            ] {
                if v != 0 {
                    summed.push((b.campaign.clone(), account.to_owned(), v));
                }
            }
        }
        let held_matches = held == summed;
        let list: Vec<Value> = balances.iter().map(|b| json!({
            "campaign": b.campaign, "budget": money(b.budget), "available": money(b.available),
            "reserved": money(b.reserved), "spent": money(b.spent), "balances": b.balances(),
        })).collect();
        let stock: Vec<Value> = self
            .store
            .stock_left()
            .await?
            .into_iter()
            .map(|(offer, left, shards)| json!({ "offer": offer, "left": left, "shards": shards }))
            .collect();
        let (timers, overdue) = self
            .store
            .timer_counts(now_utc().timestamp_millis())
            .await?;
        let ok = sum == 0 && held_matches && balances.iter().all(|b| b.balances());
        Ok(json!({
            "balanced": ok, "ledger_sum": sum, "campaigns": list, "engine": engine,
            "held_balances_match": held_matches, "stock": stock,
            "timers": { "waiting": timers, "due": overdue },
        }))
    }

    pub async fn health(&self) -> Result<Value> {
        self.store.ping().await?;
        Ok(json!({ "ok": true, "leader": self.is_leader(), "holder": self.holder }))
    }

    pub async fn metrics_text(&self) -> String {
        let budgets: Vec<(String, Decimal, Decimal)> = {
            let mut rt = self.runtime.lock().await;
            match rt.as_mut() {
                Some(rt) => rt
                    .engine
                    .report_now()
                    .campaigns
                    .iter()
                    .map(|(k, c)| (k.clone(), c.budget, c.reserved + c.spent))
                    .collect(),
                None => Vec::new(),
            }
        };
        self.metrics.render(&budgets, self.is_leader())
    }

    // ---- delivery

    /// Records one delivery attempt of an outbox row. A failure is retried with exponential
    /// backoff until `max_attempts`; the last one marks the row `failed` and, in the same
    /// transaction, appends a `delivery_failed` input keyed by the row (so exactly once), which
    /// the engine turns into a fallback to the touch's next channel.
    /// The key of the `delivery_failed` input for an outbox row.
    fn failure_key(item: &OutboxItem) -> String {
        format!("delivery_failed:{}", item.dedup)
    }

    /// Whether the engine was already told that this delivery failed for good: the process
    /// stopped after recording the failure and before marking the row (the two are separate
    /// writes on SQLite). The row is then marked `failed` without another attempt, so the
    /// message never goes out on both its channel and the fallback.
    pub async fn delivery_given_up(&self, item: &OutboxItem) -> Result<bool> {
        if !self.store.input_exists(&Self::failure_key(item)).await? {
            return Ok(false);
        }
        let now = now_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.store
            .outbox_attempt(
                item.id,
                false,
                "failed",
                "the failure was recorded before a restart; not attempted again",
                &now,
                &now,
                None,
            )
            .await?;
        Ok(true)
    }

    pub async fn delivery_attempt(
        &self,
        item: &OutboxItem,
        outcome: std::result::Result<String, String>,
        max_attempts: i64,
    ) -> Result<()> {
        let at = now_utc();
        let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        match outcome {
            Ok(detail) => {
                let now = stamp(at);
                self.store
                    .outbox_attempt(item.id, true, "delivered", &detail, &now, &now, None)
                    .await?;
            }
            Err(detail) => {
                let attempts = item.attempts + 1;
                if attempts < max_attempts {
                    let next = at + chrono::Duration::milliseconds(200 * (1 << attempts.min(20)));
                    self.store
                        .outbox_attempt(
                            item.id,
                            false,
                            "pending",
                            &detail,
                            &stamp(next),
                            &stamp(at),
                            None,
                        )
                        .await?;
                } else {
                    let p: Value = serde_json::from_str(&item.payload).unwrap_or(Value::Null);
                    let input = NewInput {
                        kind: "delivery_failed".into(),
                        ikey: Some(Self::failure_key(item)),
                        body: json!({
                            "outbox": item.dedup,
                            "user_id": item.user_id,
                            "journey": p["journey"],
                            "version": p["version"],
                            "node": p["node"],
                            "channel": item.channel,
                            "sent_at": p["ts"],
                            "reason": format!("{detail} (after {attempts} attempts)"),
                        })
                        .to_string(),
                        // The fallback belongs to the trace of the touch that failed.
                        trace_id: p["trace_id"]
                            .as_str()
                            .filter(|t| trace::is_trace_id(t))
                            .map(str::to_owned),
                    };
                    let now = stamp(at);
                    self.store
                        .outbox_attempt(item.id, false, "failed", &detail, &now, &now, Some(&input))
                        .await?;
                    self.wake.notify_one();
                }
            }
        }
        Ok(())
    }

    // ---- the engine loop

    /// Writes a snapshot of the runtime every `n` journal entries (and when the engine loop
    /// stops), so a restart or takeover replays only the entries after it; 0 turns it off.
    pub fn set_snapshot_every(&self, n: i64) {
        self.snapshot_every
            .store(n.max(0), std::sync::atomic::Ordering::SeqCst);
    }

    /// Saves a snapshot taken under the runtime's lock; a failure is logged (the journal still
    /// holds everything, a restart just replays more of it).
    async fn save_snapshot(&self, snap: trellis_store::SnapshotRow) {
        let span = tracing::info_span!(
            "engine.snapshot",
            proc_seq = snap.proc_seq,
            bytes = snap.engine.len()
        );
        match self
            .store
            .save_snapshot(&snap)
            .instrument(span.clone())
            .await
        {
            Ok(()) => {
                self.metrics.snapshot_written();
                span.in_scope(|| tracing::info!("snapshot saved"))
            }
            Err(e) => span.in_scope(|| tracing::error!(error = %e, "saving a snapshot failed")),
        }
    }

    /// Runs the engine loop until [`Service::stop`]: takes the lease when free, replays the
    /// journal, then applies new inputs in batches. Without the lease it follows the journal, so
    /// reads stay fresh and a takeover is immediate.
    pub async fn run(self: Arc<Self>) {
        const TTL_MS: i64 = 5_000;
        let mut watermark = 0i64;
        let mut last_renew = std::time::Instant::now();
        let margin = if self.store.kind() == trellis_store::DbKind::Postgres {
            1_000
        } else {
            0
        };
        while !self.stop.load(std::sync::atomic::Ordering::SeqCst) {
            let now_ms = now_utc().timestamp_millis();
            if !self.is_leader() {
                // Follow the journal; try to take the lease.
                if let Err(e) = self.follow().await {
                    tracing::error!(error = %e, "following the journal failed");
                }
                match self.store.acquire_lease(&self.holder, now_ms, TTL_MS).await {
                    Ok(true) => {
                        if let Err(e) = self.follow().await {
                            tracing::error!(error = %e, "catching up with the journal failed");
                            let _ = self.store.release_lease(&self.holder).await;
                            continue;
                        }
                        watermark = self.store.first_pending_seq().await.unwrap_or(0);
                        self.leader.store(true, std::sync::atomic::Ordering::SeqCst);
                        last_renew = std::time::Instant::now();
                        tracing::info!(holder = %self.holder, from_seq = watermark, "this process runs the engine");
                    }
                    Ok(false) => {
                        let _ =
                            tokio::time::timeout(Duration::from_millis(250), self.wake.notified())
                                .await;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "taking the engine lease failed");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
                continue;
            }
            let pending = match self
                .store
                .pending_inputs((watermark - margin).max(0), 2_000)
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "reading inputs failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            let started = std::time::Instant::now();
            let mut batch = trellis_store::Batch::default();
            let mut guard = self.runtime.lock().await;
            let Some(rt) = guard.as_mut() else {
                self.leader
                    .store(false, std::sync::atomic::Ordering::SeqCst);
                continue;
            };
            let wall = now_utc();
            // One span per batch of inputs (a batch of timer rows only has no seqs).
            let span = tracing::info_span!(
                "engine.batch",
                size = pending.len(),
                first_seq = pending.first().map(|p| p.seq),
                last_seq = pending.last().map(|p| p.seq),
                decisions = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            span.in_scope(|| rt.step(&pending, wall, &mut batch));
            let timers_only =
                batch.timers_reset || !batch.timers_set.is_empty() || !batch.timers_done.is_empty();
            if batch.journal.is_empty() && !timers_only {
                drop(guard);
                if last_renew.elapsed() > Duration::from_millis(1_000) {
                    match self.store.acquire_lease(&self.holder, now_ms, TTL_MS).await {
                        Ok(true) => last_renew = std::time::Instant::now(),
                        _ => self.lose_lease().await,
                    }
                }
                let _ = tokio::time::timeout(Duration::from_millis(50), self.wake.notified()).await;
                continue;
            }
            let committed = self
                .store
                .commit_batch(&self.holder, now_ms + TTL_MS, &batch)
                .instrument(span.clone())
                .await;
            span.record("decisions", batch.decisions.len());
            span.record(
                "latency_ms",
                (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            );
            match committed {
                Ok(()) => {
                    if !pending.is_empty() {
                        span.in_scope(|| tracing::info!("batch committed"));
                    }
                    last_renew = std::time::Instant::now();
                    if margin == 0 {
                        if let Some(m) = pending.iter().map(|p| p.seq).max() {
                            watermark = m + 1;
                        }
                    } else if let Some(m) = pending.iter().map(|p| p.seq).min() {
                        watermark = watermark.max(m);
                    }
                    self.metrics.batch(&batch, started.elapsed());
                    let every = self
                        .snapshot_every
                        .load(std::sync::atomic::Ordering::SeqCst);
                    let snap = (every > 0 && rt.proc_seq - rt.snapshot_seq >= every).then(|| {
                        rt.snapshot_seq = rt.proc_seq;
                        rt.snapshot(now_utc())
                    });
                    drop(guard);
                    self.applied_tx.send_modify(|v| *v += 1);
                    if let Some(snap) = snap {
                        self.save_snapshot(snap).await;
                    }
                }
                Err(e) => {
                    // The runtime is ahead of the database: throw it away and replay.
                    span.in_scope(|| {
                        tracing::error!(error = %e, "committing a batch failed; replaying the journal")
                    });
                    *guard = None;
                    drop(guard);
                    self.lose_lease().await;
                }
            }
        }
        // A clean stop leaves a snapshot of where it stopped, for a quick start next time.
        if self.is_leader()
            && self
                .snapshot_every
                .load(std::sync::atomic::Ordering::SeqCst)
                > 0
        {
            let snap = match self.runtime.lock().await.as_mut() {
                Some(rt) if rt.proc_seq > rt.snapshot_seq => {
                    rt.snapshot_seq = rt.proc_seq;
                    Some(rt.snapshot(now_utc()))
                }
                _ => None,
            };
            if let Some(snap) = snap {
                self.save_snapshot(snap).await;
            }
        }
        let _ = self.store.release_lease(&self.holder).await;
    }

    /// The scheduler, run by every process on the wall clock: claims timer rows that fell due
    /// (several processes take different rows; see `Store::claim_due_timers`) and appends a
    /// `tick` input for them, which the engine's holder applies like any other input. A claim
    /// runs out after `HOLD_MS`: a row the engine has not fired by then (its claimer died before
    /// the tick was stored) is claimed again.
    pub async fn schedule(self: Arc<Self>) {
        const HOLD_MS: i64 = 10_000;
        if self.clock != ClockMode::Wall {
            return;
        }
        while !self.stop.load(std::sync::atomic::Ordering::SeqCst) {
            let now = now_utc();
            match self
                .store
                .claim_due_timers(
                    now.timestamp_millis(),
                    HOLD_MS,
                    1_000,
                    &now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                )
                .await
            {
                Ok(keys) if !keys.is_empty() => {
                    self.metrics.timers_claimed(keys.len());
                    self.wake.notify_one();
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "claiming due timers failed"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn lose_lease(&self) {
        self.leader
            .store(false, std::sync::atomic::Ordering::SeqCst);
        *self.runtime.lock().await = None;
    }

    /// Applies journal entries written since the runtime's last one (building it on first use).
    async fn follow(&self) -> trellis_store::Result<()> {
        let mut guard = self.runtime.lock().await;
        if guard.is_none() {
            let rt = Runtime::replay(&self.store, self.clock).await?;
            self.metrics.rebuilt(rt.snapshot_seq, rt.replayed);
            *guard = Some(rt);
            return Ok(());
        }
        let rt = guard.as_mut().expect("set above");
        loop {
            let rows = self.store.journal(rt.proc_seq, 5_000).await?;
            if rows.is_empty() {
                return Ok(());
            }
            rt.apply_journal(&rows)
                .map_err(trellis_store::Error::Conflict)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_sandbox_log_keeps_the_first_records_and_stops_when_cancelled() {
        let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut log = CancellableLog {
            buf: Vec::new(),
            lines: 0,
            cancel: cancel.clone(),
        };
        // Lines arrive in writes that split them anywhere.
        let text: String = (0..SIM_LOG_RECORDS + 5_000)
            .map(|i| format!("{{\"seq\":{i}}}\n"))
            .collect();
        for chunk in text.as_bytes().chunks(7) {
            assert!(log.write_all(chunk).is_ok());
        }
        let kept = String::from_utf8(log.buf.clone()).unwrap_or_default();
        assert_eq!(kept.lines().count(), SIM_LOG_RECORDS);
        assert!(kept.ends_with(&format!("{{\"seq\":{}}}\n", SIM_LOG_RECORDS - 1)));
        cancel.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(log.write_all(b"{}\n").is_err());
    }

    #[tokio::test]
    async fn background_work_answers_from_a_thread_of_its_own() {
        let here = std::thread::current().id();
        let there = background(move || std::thread::current().id()).await;
        assert!(there.is_ok_and(|t| t != here));
    }
}
