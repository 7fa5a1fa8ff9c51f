//! The engine service over HTTP: every route of `runtime.md`, bearer tokens with roles, the
//! spec's error shape, request metrics and spans, trace ids (W3C `traceparent`),
//! `/openapi.json`, and the outbox deliverer.

pub mod amqp;
pub mod deliver;
pub mod logging;
pub mod openapi;

use axum::body::{to_bytes, Body};
use axum::extract::{Extension, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use serde_json::{Map, Value};
use std::sync::Arc;
use tracing::Instrument;
use trellis_api::{ApiError, Code, Principal, Service};

/// The largest request body: a batch of 10,000 events fits with room.
pub const BODY_LIMIT: usize = 32 * 1024 * 1024;

type S = State<Arc<Service>>;

fn reply(r: Result<Value, ApiError>, ok: StatusCode) -> Response {
    match r {
        Ok(v) => (ok, [("content-type", "application/json")], v.to_string()).into_response(),
        Err(e) => error(e),
    }
}

fn error(e: ApiError) -> Response {
    let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [("content-type", "application/json")],
        e.body().to_string(),
    )
        .into_response()
}

async fn body(b: Body) -> Result<Vec<u8>, ApiError> {
    to_bytes(b, BODY_LIMIT)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| {
            ApiError::new(
                Code::TooLarge,
                format!("the body is over {BODY_LIMIT} bytes (or was cut off)"),
            )
        })
}

async fn who(svc: &Service, h: &HeaderMap) -> Result<Principal, ApiError> {
    svc.authenticate(h.get("authorization").and_then(|v| v.to_str().ok()))
        .await
}

/// The trace of a request: the caller's `traceparent` trace-id when valid, else a fresh one
/// (set by [`observe`] on every request).
#[derive(Debug, Clone)]
pub struct Trace(pub String);

macro_rules! authed {
    ($svc:expr, $h:expr, $ok:expr, |$p:ident| $call:expr) => {{
        match who(&$svc, &$h).await {
            Ok($p) => reply($call.await, $ok),
            Err(e) => error(e),
        }
    }};
    // A route that appends inputs: they carry the request's trace.
    ($svc:expr, $h:expr, $trace:expr, $ok:expr, |$p:ident| $call:expr) => {{
        match who(&$svc, &$h).await {
            Ok(mut $p) => {
                $p.trace = Some($trace.0.clone());
                reply($call.await, $ok)
            }
            Err(e) => error(e),
        }
    }};
}

async fn submit(State(s): S, h: HeaderMap, b: Body) -> Response {
    let b = match body(b).await {
        Ok(b) => b,
        Err(e) => return error(e),
    };
    authed!(s, h, StatusCode::CREATED, |p| s.submit_release(&p, &b))
}

async fn list_releases(State(s): S, h: HeaderMap, Query(q): Query<Map<String, Value>>) -> Response {
    let status = q.get("status").and_then(Value::as_str).map(str::to_owned);
    authed!(s, h, StatusCode::OK, |_p| s.releases(status.as_deref()))
}

async fn get_release(State(s): S, h: HeaderMap, Path(id): Path<String>) -> Response {
    authed!(s, h, StatusCode::OK, |_p| s.release(&id))
}

async fn approve(State(s): S, h: HeaderMap, Path(id): Path<String>, b: Body) -> Response {
    let b = match body(b).await {
        Ok(b) => b,
        Err(e) => return error(e),
    };
    authed!(s, h, StatusCode::OK, |p| s.review(&p, &id, true, &b))
}

async fn reject(State(s): S, h: HeaderMap, Path(id): Path<String>, b: Body) -> Response {
    let b = match body(b).await {
        Ok(b) => b,
        Err(e) => return error(e),
    };
    authed!(s, h, StatusCode::OK, |p| s.review(&p, &id, false, &b))
}

async fn deploy(
    State(s): S,
    Extension(tr): Extension<Trace>,
    h: HeaderMap,
    Path(id): Path<String>,
    b: Body,
) -> Response {
    let b = match body(b).await {
        Ok(b) => b,
        Err(e) => return error(e),
    };
    authed!(s, h, tr, StatusCode::OK, |p| s.deploy(&p, &id, &b))
}

async fn rollback(
    State(s): S,
    Extension(tr): Extension<Trace>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    authed!(s, h, tr, StatusCode::OK, |p| s.rollback(&p, &id))
}

async fn journeys(State(s): S, h: HeaderMap) -> Response {
    authed!(s, h, StatusCode::OK, |_p| s.journeys())
}

async fn events(State(s): S, Extension(tr): Extension<Trace>, h: HeaderMap, b: Body) -> Response {
    let b = match body(b).await {
        Ok(b) => b,
        Err(e) => return error(e),
    };
    authed!(s, h, tr, StatusCode::ACCEPTED, |p| s.ingest(&p, &b))
}

async fn profile(
    State(s): S,
    Extension(tr): Extension<Trace>,
    h: HeaderMap,
    Path(id): Path<String>,
    b: Body,
) -> Response {
    let b = match body(b).await {
        Ok(b) => b,
        Err(e) => return error(e),
    };
    authed!(s, h, tr, StatusCode::ACCEPTED, |p| s
        .put_profile(&p, &id, &b))
}

async fn redeem(State(s): S, Extension(tr): Extension<Trace>, h: HeaderMap, b: Body) -> Response {
    let b = match body(b).await {
        Ok(b) => b,
        Err(e) => return error(e),
    };
    authed!(s, h, tr, StatusCode::OK, |p| s.redeem(&p, &b))
}

async fn user(State(s): S, h: HeaderMap, Path(id): Path<String>) -> Response {
    authed!(s, h, StatusCode::OK, |_p| s.user(&id))
}

async fn decisions(State(s): S, h: HeaderMap, Query(q): Query<Map<String, Value>>) -> Response {
    authed!(s, h, StatusCode::OK, |_p| s.decisions(&q))
}

async fn sample(State(s): S, h: HeaderMap, Query(q): Query<Map<String, Value>>) -> Response {
    authed!(s, h, StatusCode::OK, |p| s.recent_sample(&p, &q))
}

async fn stats(State(s): S, h: HeaderMap, Path(id): Path<String>) -> Response {
    authed!(s, h, StatusCode::OK, |_p| s.stats(&id))
}

async fn validate(State(s): S, h: HeaderMap, b: Body) -> Response {
    let b = match body(b).await {
        Ok(b) => b,
        Err(e) => return error(e),
    };
    authed!(s, h, StatusCode::OK, |_p| async { Ok(s.validate(&b)) })
}

async fn simulate(State(s): S, h: HeaderMap, b: Body) -> Response {
    let b = match body(b).await {
        Ok(b) => b,
        Err(e) => return error(e),
    };
    authed!(s, h, StatusCode::OK, |_p| s.simulate(&b))
}

async fn tick(State(s): S, Extension(tr): Extension<Trace>, h: HeaderMap, b: Body) -> Response {
    let b = match body(b).await {
        Ok(b) => b,
        Err(e) => return error(e),
    };
    authed!(s, h, tr, StatusCode::OK, |p| s.tick(&p, &b))
}

async fn reconcile(State(s): S, h: HeaderMap) -> Response {
    authed!(s, h, StatusCode::OK, |p| s.reconcile(&p))
}

async fn healthz(State(s): S) -> Response {
    match s.health().await {
        Ok(v) => reply(Ok(v), StatusCode::OK),
        Err(e) => error(ApiError::new(Code::Unavailable, e.message)),
    }
}

async fn metrics(State(s): S) -> Response {
    (
        StatusCode::OK,
        [("content-type", "text/plain; version=0.0.4")],
        s.metrics_text().await,
    )
        .into_response()
}

async fn openapi() -> Response {
    reply(Ok(openapi::document()), StatusCode::OK)
}

async fn not_found() -> Response {
    error(ApiError::new(
        Code::NotFound,
        "no such route; see /openapi.json",
    ))
}

/// Metrics, a span and a log line per request, and its trace: the caller's `traceparent`
/// trace-id when the header is valid (a malformed one is ignored), else a fresh UUIDv7. Inputs
/// the request appends carry that id; the answer names it in a `traceresponse` header.
async fn observe(State(s): S, mut req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let trace = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(trellis_api::trace::parse_traceparent)
        .unwrap_or_else(trellis_api::trace::new_trace_id);
    req.extensions_mut().insert(Trace(trace.clone()));
    let span = tracing::info_span!(
        "http.request",
        method = %method,
        route = %route,
        trace_id = %trace,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    s.metrics
        .request(&format!("{method} {route}"), status, elapsed);
    span.record("status", status);
    span.record("latency_ms", (elapsed.as_secs_f64() * 1e6).round() / 1e3);
    span.in_scope(|| {
        // Probes and scrapes come every few seconds: below the default level.
        if route == "/healthz" || route == "/metrics" {
            tracing::debug!("request");
        } else if status >= 500 {
            tracing::error!("request");
        } else {
            tracing::info!("request");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&trellis_api::trace::traceparent(&trace)) {
        res.headers_mut().insert("traceresponse", v);
    }
    res
}

/// The router over a service.
pub fn app(svc: Arc<Service>) -> Router {
    Router::new()
        .route("/v1/releases", post(submit).get(list_releases))
        .route("/v1/releases/{id}", get(get_release))
        .route("/v1/releases/{id}/approve", post(approve))
        .route("/v1/releases/{id}/reject", post(reject))
        .route("/v1/releases/{id}/deploy", post(deploy))
        .route("/v1/journeys", get(journeys))
        .route("/v1/journeys/{id}/rollback", post(rollback))
        .route("/v1/events", post(events))
        .route("/v1/profiles/{user_id}", put(profile))
        .route("/v1/offers/redeem", post(redeem))
        .route("/v1/users/{user_id}", get(user))
        .route("/v1/decisions", get(decisions))
        .route("/v1/stats/journeys/{id}", get(stats))
        .route("/v1/validate", post(validate))
        .route("/v1/simulate", post(simulate))
        .route("/v1/clock/tick", post(tick))
        .route("/v1/ledger/reconcile", get(reconcile))
        .route("/v1/sample", get(sample))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(svc.clone(), observe))
        .with_state(svc)
}

/// Options of `trellis serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub db: String,
    pub listen: String,
    pub clock: trellis_api::ClockMode,
    /// Provider URLs per channel (webhook-shaped POSTs): `webhook`, `push`, `sms`, `email`.
    pub providers: Vec<(String, String)>,
    /// Send `email` touches over SMTP (else to the `email` HTTP provider, if any).
    pub smtp: Option<deliver::Smtp>,
    /// Consume events from RabbitMQ too.
    pub amqp: Option<String>,
    /// Print the bound address on stdout (`listening on ADDR`) once ready.
    pub announce: bool,
    /// Journal entries between snapshots of the engine's state (0: never).
    pub snapshot_every: i64,
}

/// Runs the service until Ctrl-C or SIGTERM.
pub async fn serve(o: ServeOptions) -> anyhow::Result<()> {
    let svc = Service::open(&o.db, o.clock)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    svc.set_snapshot_every(o.snapshot_every);
    let listener = tokio::net::TcpListener::bind(&o.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", o.listen))?;
    if o.announce {
        println!("listening on {}", listener.local_addr()?);
    }
    let shutdown = async {
        let term = async {
            #[cfg(unix)]
            if let Ok(mut t) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                t.recv().await;
            }
        };
        tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term => {} }
    };
    run(svc, listener, o.providers, o.smtp, o.amqp, shutdown).await
}

/// Runs an opened service on a bound listener until `shutdown` resolves: the engine loop, the
/// outbox deliverer, the AMQP intake when asked, and the HTTP routes. `trellis serve` and the
/// desktop app's bundled engine both run this.
pub async fn run(
    svc: Arc<Service>,
    listener: tokio::net::TcpListener,
    providers: Vec<(String, String)>,
    smtp: Option<deliver::Smtp>,
    amqp: Option<String>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let engine = tokio::spawn(svc.clone().run());
    let scheduler = tokio::spawn(svc.clone().schedule());
    let deliverer = tokio::spawn(deliver::run(svc.clone(), providers, smtp));
    let intake = amqp.map(|u| tokio::spawn(amqp::run(svc.clone(), u)));
    let s2 = svc.clone();
    axum::serve(listener, app(svc.clone()))
        .with_graceful_shutdown(async move {
            shutdown.await;
            s2.stop();
        })
        .await?;
    svc.stop();
    let _ = engine.await;
    deliverer.abort();
    scheduler.abort();
    if let Some(i) = intake {
        i.abort();
    }
    Ok(())
}
