//! The operations of the engine service, transport-agnostic: the HTTP server, the CLI and the
//! desktop shell call these, so no operation is written twice. Every error is an [`ApiError`].
//!
//! One module per concern: [`auth`] (tokens, roles, the principal), [`releases`] (submit,
//! review, deploy, rollback), [`ingest`] (events, profiles, redemptions, ticks), [`queries`]
//! (users, decisions, stats, reconciliation, samples, health, metrics), [`sandbox`] (validate,
//! simulate), [`delivery`] (the outbox side), [`feed`] (the live decision log in seq order for
//! the RabbitMQ publisher and the SSE stream, and the publisher's cursor), [`engine_loop`] (the
//! lease and the batch loop), and [`runtime`] (the fold of the journal and its projection).
//! Here: the [`Service`] itself.
//!
//! Every operation takes a parameter struct of [`params`] (read from JSON by the transports,
//! refused with the operation's own error) and answers a [`wire`] type; JSON exists only at
//! the edges.

pub mod alerts;
pub mod auth;
pub mod control;
pub mod decide;
pub mod delivery;
pub mod engine_loop;
pub mod error;
pub mod feed;
pub mod ingest;
pub mod metrics;
pub mod params;
pub mod queries;
pub mod releases;
pub mod runtime;
pub mod sandbox;
pub mod trace;
mod waiters;
pub mod wire;

pub use auth::{random_token, Principal, Role};
pub use error::{ApiError, Code, Result};
pub use ingest::MAX_BATCH;
pub use releases::deployment_states;
pub use runtime::{ClockMode, Runtime};
pub use sandbox::{background, SIM_LOG_RECORDS};
pub use trellis_store::OutboxItem;
pub use wire::SimProgress;

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex, Notify};
use trellis_store::Store;

pub fn now_utc() -> DateTime<Utc> {
    Utc::now()
}

/// Journal entries between snapshots of the runtime, unless set otherwise.
pub const DEFAULT_SNAPSHOT_EVERY: i64 = 100_000;

/// The engine service: the store, the engine's runtime and what the operations share.
pub struct Service {
    pub store: Store,
    pub holder: String,
    clock: ClockMode,
    /// The engine's state. The batch loop holds it for the in-memory step only (never across a
    /// database commit), so reads do not wait for the database.
    runtime: Mutex<Option<Runtime>>,
    leader: std::sync::atomic::AtomicBool,
    wake: Notify,
    applied_tx: watch::Sender<i64>,
    /// Requests waiting for their input's result (`waiters.rs`).
    waiters: waiters::Waiters,
    pub metrics: metrics::Metrics,
    tokens: std::sync::Mutex<auth::TokenCache>,
    stop: std::sync::atomic::AtomicBool,
    appender: tokio::sync::mpsc::Sender<ingest::AppendJob>,
    /// Journal entries between snapshots of the runtime (0: none); see
    /// [`Service::set_snapshot_every`].
    snapshot_every: std::sync::atomic::AtomicI64,
    /// Since when each alert has fired, and those that stopped (`alerts.rs`).
    alerts: std::sync::Mutex<alerts::AlertBook>,
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
        tokio::spawn(ingest::appender(store.clone(), appender_rx));
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
            waiters: Default::default(),
            metrics: metrics::Metrics::default(),
            tokens: Default::default(),
            stop: false.into(),
            appender: appender_tx,
            snapshot_every: std::sync::atomic::AtomicI64::new(DEFAULT_SNAPSHOT_EVERY),
            alerts: Default::default(),
        }))
    }

    pub fn is_leader(&self) -> bool {
        self.leader.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }
}
