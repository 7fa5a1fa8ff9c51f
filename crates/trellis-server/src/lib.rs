//! The engine service over HTTP: every route of `runtime.md`, bearer tokens with roles, the
//! spec's error shape, request metrics and spans, trace ids (W3C `traceparent`),
//! `/openapi.json`, the outbox deliverer, and decisions out (`publish`: RabbitMQ; `stream`:
//! `GET /v1/decisions/stream`, Server-Sent Events).
//!
//! `routes`: the route table (handlers with their OpenAPI operations; the router and the
//! document are built from it). `extract`: typed extractors (`Caller`, `Json`, `Query`) and the
//! error response. `openapi`: the document's base and the contract table the tests read.

pub mod alerts;
pub mod amqp;
pub mod deliver;
pub mod extract;
pub mod logging;
pub mod openapi;
pub mod publish;
pub mod routes;
pub mod stream;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use std::sync::Arc;
use tracing::Instrument;
use trellis_api::Service;

pub use extract::{Trace, BODY_LIMIT};

type S = State<Arc<Service>>;

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

/// The router over a service, from the route table ([`routes::table`]).
pub fn app(svc: Arc<Service>) -> Router {
    let (router, _) = routes::table().split_for_parts();
    router
        .fallback(routes::not_found)
        .layer(axum::middleware::from_fn_with_state(svc.clone(), observe))
        .with_state(svc)
}

/// Options of `trellis serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub db: String,
    pub listen: String,
    pub clock: trellis_api::ClockMode,
    /// Provider URLs per channel (webhook-shaped POSTs): `webhook`, `push`, `sms`, `email`,
    /// `wechat`, `miniprogram`.
    pub providers: Vec<(String, String)>,
    /// Send `email` touches over SMTP (else to the `email` HTTP provider, if any).
    pub smtp: Option<deliver::Smtp>,
    /// Consume events from RabbitMQ too.
    pub amqp: Option<String>,
    /// Publish every committed live decision to RabbitMQ (`publish::run`).
    pub amqp_publish: Option<String>,
    /// Print the bound address on stdout (`listening on ADDR`) once ready.
    pub announce: bool,
    /// Journal entries between snapshots of the engine's state (0: never).
    pub snapshot_every: i64,
    /// POST each alert that begins firing to this URL (`alerts::run`).
    pub alert_webhook: Option<String>,
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
    let alerts = o
        .alert_webhook
        .map(|u| tokio::spawn(alerts::run(svc.clone(), u)));
    let publisher = o
        .amqp_publish
        .map(|u| tokio::spawn(publish::run(svc.clone(), u)));
    let r = run(svc, listener, o.providers, o.smtp, o.amqp, shutdown).await;
    if let Some(a) = alerts {
        a.abort();
    }
    if let Some(p) = publisher {
        p.abort();
    }
    r
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
