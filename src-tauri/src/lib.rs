//! The Trellis desktop shell (Tauri 2). Its commands are the ones `ui/README.md` lists, each a
//! thin call into trellis-api's `Service` (the bundled engine, run in-process as `trellis serve`
//! runs it) or, once the user points the app at a remote engine with `set_engine`, the same
//! route over HTTP. No operation is written here: validation, simulation, releases, reviews and
//! deployments all live in trellis-api.

pub mod drafts;
pub mod engine;
pub mod identity;
pub mod import;
pub mod settings;

use engine::{enc, Bundled, Remote};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{Manager, State};
use trellis_api::params::{
    self, CloseParams, DecisionsQuery, DeployParams, Params, PauseParams, ReleasesQuery,
    ResumeParams, ReviewParams, SampleQuery, SimulateParams, SubmitParams,
};
use trellis_api::wire::{EngineInfo, EngineMode, ImportProgress};
use trellis_api::{ApiError, Code, SimProgress};

/// A command's answer: the route's JSON, or the error body (`{ "error": { code, message, path } }`).
type Res = Result<Value, Value>;

pub struct AppState {
    bundled: Bundled,
    remote: tokio::sync::RwLock<Option<Remote>>,
    runs: std::sync::Mutex<HashMap<String, Arc<AtomicBool>>>,
    exports: PathBuf,
    settings: settings::Settings,
    /// The app data folder (the imported dataset is `sample/` in it).
    data: PathBuf,
    /// Which local user of the bundled engine the app acts as (`identity.rs`).
    acting: std::sync::RwLock<identity::Acting>,
}

impl AppState {
    fn acting(&self) -> identity::Acting {
        self.acting
            .read()
            .map(|a| *a)
            .unwrap_or(identity::Acting::Author)
    }

    /// The bundled engine's user the app acts as now.
    fn who(&self) -> &trellis_api::Principal {
        match self.acting() {
            identity::Acting::Author => &self.bundled.admin,
            identity::Acting::Reviewer => &self.bundled.reviewer,
        }
    }

    async fn remote(&self) -> Option<Remote> {
        self.remote.read().await.clone()
    }

    /// The bundled engine's call, or the same route on the remote engine when one is set.
    async fn route<T: serde::Serialize>(
        &self,
        local: impl Future<Output = trellis_api::Result<T>>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Res {
        match self.remote().await {
            Some(r) => r.call(method, path, body).await,
            None => answer(&local.await.map_err(|e| e.body())?),
        }
    }
}

/// A command's answer of one of trellis-api's `wire` types, as JSON.
fn answer(v: &impl serde::Serialize) -> Res {
    serde_json::to_value(v)
        .map_err(|e| ApiError::new(Code::Internal, format!("cannot write the answer: {e}")).body())
}

fn engine_info_of(mode: EngineMode, url: &str) -> Res {
    answer(&EngineInfo {
        mode,
        url: url.to_owned(),
    })
}

/// A command's arguments read into an operation's parameter struct, refused as the route
/// would refuse the same body.
fn read<P: Params>(v: Value) -> Result<P, Value> {
    params::from_value(v).map_err(|e| e.body())
}

// ---- the engine connection

#[tauri::command]
async fn engine_info(st: State<'_, AppState>) -> Res {
    match st.remote().await {
        Some(r) => {
            r.call("GET", "/healthz", None).await?;
            engine_info_of(EngineMode::Remote, &r.url)
        }
        None => {
            st.bundled.svc.health().await.map_err(|e| e.body())?;
            engine_info_of(EngineMode::Bundled, &st.bundled.url)
        }
    }
}

#[derive(Deserialize)]
struct SetEngineArgs {
    url: Option<String>,
    token: Option<String>,
}

#[tauri::command]
async fn set_engine(st: State<'_, AppState>, args: SetEngineArgs) -> Res {
    let unsaved =
        |e: String| ApiError::new(Code::Internal, format!("cannot save the setting: {e}")).body();
    let url = args.url.filter(|u| !u.trim().is_empty());
    let Some(url) = url else {
        st.settings.set_remote(None).map_err(unsaved)?;
        *st.remote.write().await = None;
        return engine_info_of(EngineMode::Bundled, &st.bundled.url);
    };
    let token = args.token.unwrap_or_default();
    let r = Remote::new(&url, &token).map_err(|e| e.body())?;
    // A route that needs the token: a wrong URL or token is refused here, not later.
    r.call("GET", "/v1/releases?status=pending_review", None)
        .await?;
    let url = r.url.clone();
    // Kept for the next start (local.db).
    st.settings
        .set_remote(Some((&url, token.trim())))
        .map_err(unsaved)?;
    *st.remote.write().await = Some(r);
    engine_info_of(EngineMode::Remote, &url)
}

/// Who the app is: on the bundled engine the local user it acts as (author or reviewer), on a
/// remote engine its URL (the token's name is not told to the app).
#[tauri::command]
async fn identity(st: State<'_, AppState>) -> Res {
    match st.remote().await {
        // The remote engine says who its token is; an engine that does not (an older one, or
        // none reachable now) leaves it unknown rather than failing the header.
        Some(r) => {
            let me = r.call("GET", "/v1/me", None).await.ok();
            answer(&identity::Identity::remote(&r.url, me.as_ref()))
        }
        None => answer(&identity::Identity::bundled(
            &st.bundled.url,
            st.acting(),
            st.who(),
        )),
    }
}

#[derive(Deserialize)]
struct SetIdentityArgs {
    acting: String,
}

/// Switches the bundled engine's user the app acts as: `author` or `reviewer`.
#[tauri::command]
async fn set_identity(st: State<'_, AppState>, args: SetIdentityArgs) -> Res {
    if st.remote().await.is_some() {
        return Err(ApiError::new(
            Code::BadRequest,
            "on a remote engine you are who your token says; switch only on the bundled engine",
        )
        .body());
    }
    let Some(acting) = identity::Acting::parse(&args.acting) else {
        return Err(ApiError::new(
            Code::BadRequest,
            "acting must be \"author\" or \"reviewer\"",
        )
        .at("acting")
        .body());
    };
    if let Ok(mut a) = st.acting.write() {
        *a = acting;
    }
    identity(st).await
}

// ---- validation and simulation

#[derive(Deserialize)]
struct WorkspaceArgs {
    workspace: Value,
}

#[tauri::command]
async fn validate(st: State<'_, AppState>, args: WorkspaceArgs) -> Res {
    let b = args.workspace.to_string().into_bytes();
    let svc = &st.bundled.svc;
    st.route(
        async { Ok(svc.validate(&b)) },
        "POST",
        "/v1/validate",
        Some(args.workspace),
    )
    .await
}

#[derive(Deserialize)]
struct SimulateArgs {
    workspace: Value,
    #[serde(default)]
    users: Value,
    #[serde(default)]
    days: Value,
    #[serde(default)]
    seed: Value,
    /// `"imported"`: replay the imported dataset (always in-process, also when a remote engine
    /// is set: the sandbox needs no engine state, and the data is on this machine); else
    /// generated sample data.
    #[serde(default)]
    source: Option<String>,
    run_id: String,
}

/// Polls a cancel flag (the remote case: dropping the request aborts it).
async fn cancelled(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tauri::command]
async fn simulate(
    st: State<'_, AppState>,
    args: SimulateArgs,
    on_progress: Channel<SimProgress>,
) -> Res {
    let body = json!({
        "workspace": args.workspace,
        "users": args.users,
        "days": args.days,
        "seed": args.seed,
    });
    let p: SimulateParams = read(body.clone())?;
    let flag = Arc::new(AtomicBool::new(false));
    if let Ok(mut runs) = st.runs.lock() {
        runs.insert(args.run_id.clone(), flag.clone());
    }
    let imported = args.source.as_deref() == Some("imported");
    let remote = if imported { None } else { st.remote().await };
    let r = match remote {
        _ if imported => st
            .bundled
            .svc
            .simulate_data(
                p,
                Some(import::dataset_dir(&st.data)),
                move |p| {
                    let _ = on_progress.send(p);
                },
                flag,
            )
            .await
            .map_err(|e| e.body())
            .and_then(|v| answer(&v)),
        Some(r) => {
            tokio::select! {
                r = r.call("POST", "/v1/simulate", Some(body)) => r,
                _ = cancelled(&flag) => Err(ApiError::new(Code::Cancelled, "the simulation was cancelled").body()),
            }
        }
        None => st
            .bundled
            .svc
            .simulate_with(
                p,
                move |p| {
                    // The window may have gone; the run goes on to its end or its cancel.
                    let _ = on_progress.send(p);
                },
                flag,
            )
            .await
            .map_err(|e| e.body())
            .and_then(|v| answer(&v)),
    };
    if let Ok(mut runs) = st.runs.lock() {
        runs.remove(&args.run_id);
    }
    r
}

#[derive(Deserialize)]
struct RunArgs {
    run_id: String,
}

#[tauri::command]
async fn cancel_simulation(st: State<'_, AppState>, args: RunArgs) -> Res {
    let flag = st
        .runs
        .lock()
        .ok()
        .and_then(|r| r.get(&args.run_id).cloned());
    if let Some(f) = &flag {
        f.store(true, Ordering::SeqCst);
    }
    Ok(json!({ "cancelled": flag.is_some() }))
}

// ---- sample data: import from files, or pull from the engine

#[derive(Deserialize)]
struct PreviewArgs {
    path: String,
}

/// The first rows of a file (CSV: its header too), for the column mapping.
#[tauri::command]
async fn preview_import(args: PreviewArgs) -> Res {
    tokio::task::spawn_blocking(move || import::preview(&args.path))
        .await
        .map_err(|e| ApiError::new(Code::Internal, e.to_string()).body())?
}

#[derive(Deserialize)]
struct ImportArgs {
    #[serde(default)]
    files: Value,
    run_id: String,
}

/// Runs `work` off the async threads, at the lower priority of sandbox work
/// (`trellis_api::background`), with a cancel flag registered under `run_id`
/// (`cancel_simulation` sets it).
async fn cancellable<F>(st: &AppState, run_id: &str, work: F) -> Res
where
    F: FnOnce(Arc<AtomicBool>) -> Res + Send + 'static,
{
    let flag = Arc::new(AtomicBool::new(false));
    if let Ok(mut runs) = st.runs.lock() {
        runs.insert(run_id.to_owned(), flag.clone());
    }
    let r = trellis_api::background(move || work(flag))
        .await
        .map_err(|e| e.body())
        .and_then(|r| r);
    if let Ok(mut runs) = st.runs.lock() {
        runs.remove(run_id);
    }
    r
}

/// Imports profiles and events from files into the sandbox's dataset, all or nothing, streaming
/// progress; a bad line is `E_IMPORT` naming the file, line and field.
#[tauri::command]
async fn import_sample(
    st: State<'_, AppState>,
    args: ImportArgs,
    on_progress: Channel<ImportProgress>,
) -> Res {
    let sources = import::sources(&args.files)?;
    let data = st.data.clone();
    cancellable(&st, &args.run_id, move |flag| {
        import::build(
            &data,
            &sources,
            "files",
            |p| {
                let _ = on_progress.send(ImportProgress {
                    done: p.done,
                    total: p.total,
                    rows: p.rows,
                });
            },
            &flag,
        )
    })
    .await
}

#[derive(Deserialize)]
struct PullArgs {
    #[serde(default)]
    events: Option<u64>,
    #[serde(default)]
    profiles: Option<u64>,
    run_id: String,
}

/// Pulls recent events and their users' profiles from the connected engine (`GET /v1/sample`)
/// into the sandbox's dataset.
#[tauri::command]
async fn pull_sample(
    st: State<'_, AppState>,
    args: PullArgs,
    on_progress: Channel<ImportProgress>,
) -> Res {
    let mut q = Map::new();
    for (k, v) in [("events", args.events), ("profiles", args.profiles)] {
        if let Some(n) = v {
            q.insert(k.to_owned(), Value::String(n.to_string()));
        }
    }
    let query: Vec<String> = q
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    let path = format!("/v1/sample?{}", query.join("&"));
    let b = &st.bundled;
    let from = match st.remote().await {
        Some(r) => r.url,
        None => b.url.clone(),
    };
    let _ = on_progress.send(ImportProgress {
        done: 0,
        total: 0,
        rows: 0,
    });
    let sq: SampleQuery = read(Value::Object(q))?;
    let sample = st
        .route(b.svc.recent_sample(&b.admin, sq), "GET", &path, None)
        .await?;
    let data = st.data.clone();
    cancellable(&st, &args.run_id, move |flag| {
        let sources = import::pulled_sources(&sample, &from);
        import::build(
            &data,
            &sources,
            "engine",
            |p| {
                let _ = on_progress.send(ImportProgress {
                    done: p.done,
                    total: p.total,
                    rows: p.rows,
                });
            },
            &flag,
        )
    })
    .await
}

/// What the imported dataset holds (`{ source, profiles, events, files, imported_at }`), or null.
#[tauri::command]
async fn dataset_info(st: State<'_, AppState>) -> Res {
    let data = st.data.clone();
    let info = tokio::task::spawn_blocking(move || import::info(&data))
        .await
        .map_err(|e| ApiError::new(Code::Internal, e.to_string()).body())?;
    answer(&info)
}

// ---- releases, reviews, deployments

#[derive(Deserialize)]
struct StatusArgs {
    status: Option<String>,
}

#[tauri::command]
async fn list_releases(st: State<'_, AppState>, args: StatusArgs) -> Res {
    let status = args.status.filter(|s| !s.is_empty());
    let path = match &status {
        Some(s) => format!("/v1/releases?status={}", enc(s)),
        None => "/v1/releases".to_owned(),
    };
    let svc = &st.bundled.svc;
    st.route(svc.releases(ReleasesQuery { status }), "GET", &path, None)
        .await
}

#[derive(Deserialize)]
struct IdArgs {
    id: String,
}

#[tauri::command]
async fn get_release(st: State<'_, AppState>, args: IdArgs) -> Res {
    let path = format!("/v1/releases/{}", enc(&args.id));
    st.route(st.bundled.svc.release(&args.id), "GET", &path, None)
        .await
}

#[tauri::command]
async fn submit_release(st: State<'_, AppState>, args: SubmitArgs) -> Res {
    // The workspace alone, or with the summary of its simulation (runtime.md's submit body).
    let body = match args.summary {
        Some(summary) => json!({ "workspace": args.workspace, "summary": summary }),
        None => args.workspace,
    };
    let p: SubmitParams = read(body.clone())?;
    let b2 = &st.bundled;
    st.route(
        b2.svc.submit_release(st.who(), p),
        "POST",
        "/v1/releases",
        Some(body),
    )
    .await
}

#[derive(Deserialize)]
struct SubmitArgs {
    workspace: Value,
    #[serde(default)]
    summary: Option<Value>,
}

#[derive(Deserialize)]
struct ReviewArgs {
    id: String,
    #[serde(default)]
    comment: Value,
}

async fn review(st: &AppState, args: ReviewArgs, approve: bool) -> Res {
    // The bundled reviewer's approval says it was the app's single user reviewing their own
    // release (only that engine's: a remote engine's reviewers are other people).
    let local_self_review =
        approve && st.acting() == identity::Acting::Reviewer && st.remote().await.is_none();
    let comment = if local_self_review {
        identity::noted_comment(&args.comment)
    } else {
        args.comment
    };
    let body = json!({ "comment": comment });
    let verb = if approve { "approve" } else { "reject" };
    let path = format!("/v1/releases/{}/{verb}", enc(&args.id));
    let p: ReviewParams = read(body.clone())?;
    let b = &st.bundled;
    st.route(
        b.svc.review(st.who(), &args.id, approve, p),
        "POST",
        &path,
        Some(body),
    )
    .await
}

#[tauri::command]
async fn approve_release(st: State<'_, AppState>, args: ReviewArgs) -> Res {
    review(&st, args, true).await
}

#[tauri::command]
async fn reject_release(st: State<'_, AppState>, args: ReviewArgs) -> Res {
    review(&st, args, false).await
}

#[derive(Deserialize)]
struct DeployArgs {
    id: String,
    #[serde(default)]
    rollout_percent: Value,
    #[serde(default)]
    mode: Value,
    /// Optional `[{ metric, max, min_entries }]` (docs/operations.md); left out of the body when absent.
    #[serde(default)]
    guardrails: Option<Value>,
}

#[tauri::command]
async fn deploy_release(st: State<'_, AppState>, args: DeployArgs) -> Res {
    let mut body = json!({ "rollout_percent": args.rollout_percent, "mode": args.mode });
    if let Some(g) = args.guardrails.filter(|g| !g.is_null()) {
        body["guardrails"] = g;
    }
    let path = format!("/v1/releases/{}/deploy", enc(&args.id));
    let p: DeployParams = read(body.clone())?;
    let b = &st.bundled;
    st.route(
        b.svc.deploy(st.who(), &args.id, p),
        "POST",
        &path,
        Some(body),
    )
    .await
}

#[tauri::command]
async fn rollback_journey(st: State<'_, AppState>, args: IdArgs) -> Res {
    let path = format!("/v1/journeys/{}/rollback", enc(&args.id));
    let b = &st.bundled;
    st.route(
        b.svc.rollback(st.who(), &args.id),
        "POST",
        &path,
        Some(json!({})),
    )
    .await
}

// ---- operating live journeys and campaigns (docs/operations.md)

#[derive(Deserialize)]
struct PauseArgs {
    id: String,
    #[serde(default)]
    scope: Value,
    #[serde(default)]
    reason: Value,
}

#[tauri::command]
async fn pause_journey(st: State<'_, AppState>, args: PauseArgs) -> Res {
    let body = json!({ "scope": args.scope, "reason": args.reason });
    let path = format!("/v1/journeys/{}/pause", enc(&args.id));
    let p: PauseParams = read(body.clone())?;
    let b = &st.bundled;
    st.route(
        b.svc.pause(st.who(), &args.id, p),
        "POST",
        &path,
        Some(body),
    )
    .await
}

#[derive(Deserialize)]
struct ReasonArgs {
    id: String,
    #[serde(default)]
    reason: Value,
}

#[tauri::command]
async fn resume_journey(st: State<'_, AppState>, args: ReasonArgs) -> Res {
    let body = json!({ "reason": args.reason });
    let path = format!("/v1/journeys/{}/resume", enc(&args.id));
    let p: ResumeParams = read(body.clone())?;
    let b = &st.bundled;
    st.route(
        b.svc.resume(st.who(), &args.id, p),
        "POST",
        &path,
        Some(body),
    )
    .await
}

#[tauri::command]
async fn close_campaign(st: State<'_, AppState>, args: ReasonArgs) -> Res {
    let body = json!({ "reason": args.reason });
    let path = format!("/v1/campaigns/{}/close", enc(&args.id));
    let p: CloseParams = read(body.clone())?;
    let b = &st.bundled;
    st.route(
        b.svc.close_campaign(st.who(), &args.id, p),
        "POST",
        &path,
        Some(body),
    )
    .await
}

#[tauri::command]
async fn control_state(st: State<'_, AppState>) -> Res {
    st.route(st.bundled.svc.controls(), "GET", "/v1/control", None)
        .await
}

#[derive(Deserialize)]
struct DegradeArgs {
    #[serde(default)]
    offers: Option<Value>,
    /// `"on"`, `"off"` or `{ "per_minute": N }`.
    #[serde(default)]
    touches: Option<Value>,
    /// Absent: engine-wide.
    #[serde(default)]
    campaign: Option<Value>,
    #[serde(default)]
    reason: Option<Value>,
}

/// The degrade switch (`POST /v1/control`): only the fields given are sent; the others keep
/// what is in force.
#[tauri::command]
async fn set_degrade(st: State<'_, AppState>, args: DegradeArgs) -> Res {
    let mut m = Map::new();
    for (k, v) in [
        ("offers", args.offers),
        ("touches", args.touches),
        ("campaign", args.campaign),
        ("reason", args.reason),
    ] {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            m.insert(k.to_owned(), v);
        }
    }
    let body = Value::Object(m);
    let p: params::DegradeParams = read(body.clone())?;
    let b = &st.bundled;
    st.route(
        b.svc.degrade(st.who(), p),
        "POST",
        "/v1/control",
        Some(body),
    )
    .await
}

#[tauri::command]
async fn reset_breaker(st: State<'_, AppState>, args: ReasonArgs) -> Res {
    let body = json!({ "reason": args.reason });
    let path = format!("/v1/campaigns/{}/breaker/reset", enc(&args.id));
    let p: params::ResetParams = read(body.clone())?;
    let b = &st.bundled;
    st.route(
        b.svc.reset_breaker(st.who(), &args.id, p),
        "POST",
        &path,
        Some(body),
    )
    .await
}

#[tauri::command]
async fn list_alerts(st: State<'_, AppState>) -> Res {
    st.route(st.bundled.svc.alerts(), "GET", "/v1/alerts", None)
        .await
}

// ---- placements (docs/decide.md)

#[derive(Deserialize)]
struct DecideArgs {
    #[serde(default)]
    request_id: Option<Value>,
    #[serde(default)]
    user_id: Option<Value>,
    #[serde(default)]
    placement: Option<Value>,
    #[serde(default)]
    context: Option<Value>,
    /// `?timeout_ms=`; absent: the engine's default.
    #[serde(default)]
    timeout_ms: Option<Value>,
}

/// A placement request (`POST /v1/decide?timeout_ms=`): the answer of the live journeys.
#[tauri::command]
async fn decide(st: State<'_, AppState>, args: DecideArgs) -> Res {
    let mut m = Map::new();
    for (k, v) in [
        ("request_id", args.request_id),
        ("user_id", args.user_id),
        ("placement", args.placement),
        ("context", args.context),
    ] {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            m.insert(k.to_owned(), v);
        }
    }
    let body = Value::Object(m);
    let timeout = match args.timeout_ms {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    }
    .filter(|s| !s.is_empty());
    let path = match &timeout {
        Some(t) => format!("/v1/decide?timeout_ms={}", enc(t)),
        None => "/v1/decide".to_owned(),
    };
    let p: params::DecideParams = read(body.clone())?;
    let q: params::DecideQuery = read(json!({ "timeout_ms": timeout }))?;
    let b = &st.bundled;
    st.route(b.svc.decide(st.who(), p, q), "POST", &path, Some(body))
        .await
}

// ---- what the engine is doing

#[tauri::command]
async fn list_journeys(st: State<'_, AppState>) -> Res {
    st.route(st.bundled.svc.journeys(), "GET", "/v1/journeys", None)
        .await
}

#[derive(Deserialize)]
struct DecisionArgs {
    user_id: Option<Value>,
    journey: Option<Value>,
    since: Option<Value>,
    limit: Option<Value>,
    /// The cursor: the `next` of the page before.
    after: Option<Value>,
    /// One trace's records (docs/tracing.md).
    trace_id: Option<Value>,
}

#[tauri::command]
async fn list_decisions(st: State<'_, AppState>, args: DecisionArgs) -> Res {
    // The same query the HTTP route gets: string values, empty ones left out.
    let mut q = Map::new();
    for (k, v) in [
        ("user_id", args.user_id),
        ("journey", args.journey),
        ("since", args.since),
        ("limit", args.limit),
        ("after", args.after),
        ("trace_id", args.trace_id),
    ] {
        let s = match v {
            Some(Value::String(s)) => s,
            Some(Value::Null) | None => continue,
            Some(other) => other.to_string(),
        };
        if !s.is_empty() {
            q.insert(k.to_owned(), Value::String(s));
        }
    }
    let query: Vec<String> = q
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v.as_str().unwrap_or_default())))
        .collect();
    let path = format!("/v1/decisions?{}", query.join("&"));
    let dq: DecisionsQuery = read(Value::Object(q))?;
    st.route(st.bundled.svc.decisions(dq), "GET", &path, None)
        .await
}

#[tauri::command]
async fn journey_stats(st: State<'_, AppState>, args: IdArgs) -> Res {
    let path = format!("/v1/stats/journeys/{}", enc(&args.id));
    st.route(st.bundled.svc.stats(&args.id), "GET", &path, None)
        .await
}

/// Who the app is on its engine: `GET /v1/me` (the bundled engine: the local user it acts as).
#[tauri::command]
async fn me(st: State<'_, AppState>) -> Res {
    st.route(st.bundled.svc.me(st.who()), "GET", "/v1/me", None)
        .await
}

#[tauri::command]
async fn experiment_stats(st: State<'_, AppState>, args: IdArgs) -> Res {
    let path = format!("/v1/experiments/{}", enc(&args.id));
    st.route(st.bundled.svc.experiment(&args.id), "GET", &path, None)
        .await
}

#[tauri::command]
async fn segment_sizes(st: State<'_, AppState>) -> Res {
    st.route(st.bundled.svc.segments(), "GET", "/v1/segments", None)
        .await
}

#[derive(Deserialize)]
struct SegmentArgs {
    id: String,
    #[serde(default)]
    sample: Option<i64>,
}

#[tauri::command]
async fn segment_detail(st: State<'_, AppState>, args: SegmentArgs) -> Res {
    let mut q = serde_json::Map::new();
    let mut path = format!("/v1/segments/{}", enc(&args.id));
    if let Some(n) = args.sample {
        q.insert("sample".into(), Value::from(n));
        path.push_str(&format!("?sample={n}"));
    }
    let sq: trellis_api::params::SegmentQuery = read(Value::Object(q))?;
    st.route(st.bundled.svc.segment(&args.id, sq), "GET", &path, None)
        .await
}

#[derive(Deserialize)]
struct UserArgs {
    user_id: String,
}

#[tauri::command]
async fn get_user(st: State<'_, AppState>, args: UserArgs) -> Res {
    let path = format!("/v1/users/{}", enc(&args.user_id));
    st.route(st.bundled.svc.user(&args.user_id), "GET", &path, None)
        .await
}

// ---- files

#[derive(Deserialize)]
struct SaveArgs {
    name: String,
    text: String,
    /// The dialog's title, in the UI's language.
    #[serde(default)]
    title: Option<String>,
}

/// The arguments of a native dialog: its title, in the UI's language (GTK's own is English).
#[derive(Deserialize, Default)]
struct DialogArgs {
    #[serde(default)]
    title: Option<String>,
}

/// Export: a native save dialog (tauri-plugin-dialog) opening on the Downloads folder with
/// `name`; the text is written byte for byte where the user chooses (the dialog asks before
/// replacing a file). Answers the path, or null when the dialog was cancelled. With
/// `TRELLIS_EXPORT_DIR` set (the end-to-end test, scripted use) there is no dialog: the file goes
/// into that folder, never overwriting.
#[tauri::command]
async fn save_file(app: tauri::AppHandle, st: State<'_, AppState>, args: SaveArgs) -> Res {
    if let Some(dir) = std::env::var_os("TRELLIS_EXPORT_DIR").filter(|d| !d.is_empty()) {
        return save_into(Path::new(&dir), &args.name, &args.text)
            .map(|p| Value::String(p.display().to_string()))
            .map_err(|e| e.body());
    }
    use tauri_plugin_dialog::DialogExt;
    let dir = st.exports.clone();
    let name = safe_name(&args.name);
    let title = args.title.filter(|t| !t.trim().is_empty());
    let picked = tokio::task::spawn_blocking(move || {
        let mut dialog = app.dialog().file();
        if let Some(t) = title {
            dialog = dialog.set_title(t);
        }
        dialog
            .set_directory(&dir)
            .set_file_name(&name)
            .add_filter("JSON", &["json"])
            .blocking_save_file()
    })
    .await
    .map_err(|e| ApiError::new(Code::Internal, e.to_string()).body())?;
    let Some(path) = picked.and_then(|p| p.into_path().ok()) else {
        return Ok(Value::Null);
    };
    std::fs::write(&path, args.text.as_bytes()).map_err(|e| {
        ApiError::new(
            Code::Unavailable,
            format!("cannot write {}: {e}", path.display()),
        )
        .body()
    })?;
    Ok(Value::String(path.display().to_string()))
}

/// Import's "Browse…": a native open dialog for data files; the chosen paths, or null.
#[tauri::command]
async fn pick_files(app: tauri::AppHandle, args: Option<DialogArgs>) -> Res {
    use tauri_plugin_dialog::DialogExt;
    let title = args
        .unwrap_or_default()
        .title
        .filter(|t| !t.trim().is_empty());
    let picked = tokio::task::spawn_blocking(move || {
        let mut dialog = app.dialog().file();
        if let Some(t) = title {
            dialog = dialog.set_title(t);
        }
        dialog
            .add_filter("JSON Lines, CSV", &["jsonl", "ndjson", "json", "csv"])
            .blocking_pick_files()
    })
    .await
    .map_err(|e| ApiError::new(Code::Internal, e.to_string()).body())?;
    Ok(match picked {
        None => Value::Null,
        Some(files) => Value::Array(
            files
                .into_iter()
                .filter_map(|f| f.into_path().ok())
                .map(|p| Value::String(p.display().to_string()))
                .collect(),
        ),
    })
}

/// A file name with no folder part, no leading dot and no control characters.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != ':')
        .collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() {
        "workspace.json".to_owned()
    } else {
        clean
    }
}

fn save_into(dir: &Path, name: &str, text: &str) -> Result<PathBuf, ApiError> {
    let fail = |e: std::io::Error| {
        ApiError::new(
            Code::Unavailable,
            format!("cannot save into {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let name = safe_name(name);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    for n in 0..1000 {
        let candidate = if n == 0 {
            dir.join(&name)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut f) => {
                use std::io::Write;
                f.write_all(text.as_bytes()).map_err(fail)?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(fail(e)),
        }
    }
    Err(ApiError::new(
        Code::Conflict,
        format!("{name} and 999 numbered copies exist already"),
    ))
}

// ---- drafts and their history (local.db)

// Their fields are read by hand, so a missing or mistyped one is an E_BAD_REQUEST naming it,
// as in the module's own checks, not a bare deserialisation message.

#[derive(Deserialize)]
struct SaveDraftArgs {
    #[serde(default)]
    name: Value,
    #[serde(default)]
    text: Value,
    #[serde(default)]
    saved_text: Value,
}

#[tauri::command]
async fn save_draft(st: State<'_, AppState>, args: SaveDraftArgs) -> Res {
    let name = drafts::string_arg(&args.name, "/name")?;
    let text = drafts::string_arg(&args.text, "/text")?;
    let saved = drafts::optional_string_arg(&args.saved_text, "/saved_text")?;
    st.settings
        .with_db(|db| drafts::save(db, name, text, saved))
        .map_err(|e| e.body())
}

#[tauri::command]
async fn list_drafts(st: State<'_, AppState>) -> Res {
    st.settings
        .with_db(|db| drafts::list(db))
        .map_err(|e| e.body())
}

#[derive(Deserialize)]
struct DraftArgs {
    #[serde(default)]
    name: Value,
    #[serde(default)]
    version: Value,
}

#[tauri::command]
async fn load_draft(st: State<'_, AppState>, args: DraftArgs) -> Res {
    let name = drafts::string_arg(&args.name, "/name")?;
    let version = drafts::version_arg(&args.version)?;
    st.settings
        .with_db(|db| drafts::load(db, name, version))
        .map_err(|e| e.body())
}

#[tauri::command]
async fn draft_history(st: State<'_, AppState>, args: DraftArgs) -> Res {
    let name = drafts::string_arg(&args.name, "/name")?;
    st.settings
        .with_db(|db| drafts::history(db, name))
        .map_err(|e| e.body())
}

#[tauri::command]
async fn delete_draft(st: State<'_, AppState>, args: DraftArgs) -> Res {
    let name = drafts::string_arg(&args.name, "/name")?;
    st.settings
        .with_db(|db| drafts::delete(db, name))
        .map_err(|e| e.body())
}

/// Starts the bundled engine, then the window.
pub fn run() -> Result<(), String> {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let dir = engine::data_dir(app.path().app_data_dir().ok())?;
            let bundled = tauri::async_runtime::block_on(Bundled::start(&dir))?;
            eprintln!(
                "trellis-app: bundled engine on {} (data and tokens in {})",
                bundled.url,
                dir.display()
            );
            let exports = app
                .path()
                .download_dir()
                .unwrap_or_else(|_| dir.join("exports"));
            let settings = settings::Settings::open(&dir)?;
            // The remote engine chosen last time, if any (the bundled one runs anyway, so
            // "use the bundled engine" needs no restart).
            let remote = settings
                .remote()
                .and_then(|(url, token)| Remote::new(&url, &token).ok());
            if let Some(r) = &remote {
                eprintln!("trellis-app: using the remote engine {}", r.url);
            }
            app.manage(AppState {
                bundled,
                remote: tokio::sync::RwLock::new(remote),
                runs: Default::default(),
                exports,
                settings,
                data: dir,
                acting: std::sync::RwLock::new(identity::Acting::Author),
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            engine_info,
            set_engine,
            identity,
            set_identity,
            validate,
            simulate,
            cancel_simulation,
            preview_import,
            import_sample,
            pull_sample,
            dataset_info,
            list_releases,
            get_release,
            submit_release,
            approve_release,
            reject_release,
            deploy_release,
            rollback_journey,
            pause_journey,
            resume_journey,
            close_campaign,
            control_state,
            set_degrade,
            reset_breaker,
            list_alerts,
            decide,
            list_journeys,
            list_decisions,
            journey_stats,
            me,
            experiment_stats,
            segment_sizes,
            segment_detail,
            get_user,
            save_file,
            pick_files,
            save_draft,
            list_drafts,
            load_draft,
            draft_history,
            delete_draft,
        ])
        .run(tauri::generate_context!())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_stay_in_the_folder() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("a\\b.json"), "b.json");
        assert_eq!(safe_name(".hidden"), "hidden");
        assert_eq!(safe_name(""), "workspace.json");
        assert_eq!(safe_name("旅程.json"), "旅程.json");
    }

    #[test]
    fn export_never_overwrites() {
        let dir = std::env::temp_dir().join(format!(
            "trellis-app-save-{}",
            trellis_api::random_token().unwrap_or_default()
        ));
        let a = save_into(&dir, "w.json", "1").ok();
        let b = save_into(&dir, "w.json", "2").ok();
        assert_eq!(a.as_deref(), Some(dir.join("w.json").as_path()));
        assert_eq!(b.as_deref(), Some(dir.join("w (1).json").as_path()));
        let text = std::fs::read_to_string(dir.join("w.json")).ok();
        assert_eq!(text.as_deref(), Some("1"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
