//! The engine loop: the lease, replay and following the journal, the batch loop that steps the
//! runtime and commits each batch fenced by the lease, and the wall-clock scheduler.

use crate::{now_utc, ClockMode, Runtime, Service};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

impl Service {
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
                    Ok(false) => self.follow_closely(Duration::from_millis(250)).await,
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
            // The in-memory step is done: reads (users, stats, reconcile, metrics) need not wait
            // for the database. Nothing else steps the runtime meanwhile (this loop is its one
            // writer, and it waits for the commit before the next batch); the commit is fenced
            // by the lease as before. A read may see the batch while it commits; if the commit
            // fails, the runtime is thrown away below and rebuilt from the journal.
            drop(guard);
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
                    self.waiters.hand(&batch.journal);
                    self.metrics.batch(&batch, started.elapsed());
                    self.applied_tx.send_modify(|v| *v += 1);
                    self.snapshot_if_due(false).await;
                }
                Err(e) => {
                    // The runtime is ahead of the database: throw it away and replay.
                    span.in_scope(|| {
                        tracing::error!(error = %e, "committing a batch failed; replaying the journal")
                    });
                    self.lose_lease().await;
                }
            }
        }
        // A clean stop leaves a snapshot of where it stopped, for a quick start next time.
        if self.is_leader() {
            self.snapshot_if_due(true).await;
        }
        let _ = self.store.release_lease(&self.holder).await;
    }

    /// Writes a snapshot of the runtime every `n` journal entries (and when the engine loop
    /// stops), so a restart or takeover replays only the entries after it; 0 turns it off.
    pub fn set_snapshot_every(&self, n: i64) {
        self.snapshot_every
            .store(n.max(0), std::sync::atomic::Ordering::SeqCst);
    }

    /// After a committed batch (the runtime is then exactly the committed state: this loop is
    /// its one writer), takes a snapshot when `--snapshot-every` entries have passed since the
    /// last one, or on `stopping` when any have; a failure to save is logged (the journal still
    /// holds everything, a restart just replays more of it).
    async fn snapshot_if_due(&self, stopping: bool) {
        let every = self
            .snapshot_every
            .load(std::sync::atomic::Ordering::SeqCst);
        if every <= 0 {
            return;
        }
        let snap = {
            let mut guard = self.runtime.lock().await;
            guard
                .as_mut()
                .filter(|rt| {
                    let since = rt.proc_seq - rt.snapshot_seq;
                    since >= every || (stopping && since > 0)
                })
                .map(|rt| {
                    rt.snapshot_seq = rt.proc_seq;
                    rt.snapshot(now_utc())
                })
        };
        let Some(snap) = snap else { return };
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
                span.in_scope(|| tracing::info!("snapshot saved"));
            }
            Err(e) => span.in_scope(|| tracing::error!(error = %e, "saving a snapshot failed")),
        }
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

    /// A follower's wait between two tries for the lease (`span`): idle until woken, or, while
    /// requests here wait for the leader's answers, following the journal every few
    /// milliseconds, so they are answered as soon as the leader's batch is committed (not at
    /// the next try).
    async fn follow_closely(&self, span: Duration) {
        let until = tokio::time::Instant::now() + span;
        loop {
            let now = tokio::time::Instant::now();
            if now >= until || self.stop.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            if self.waiters.is_empty() {
                let _ = tokio::time::timeout(until - now, self.wake.notified()).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            if let Err(e) = self.follow().await {
                tracing::error!(error = %e, "following the journal failed");
                return;
            }
        }
    }

    async fn lose_lease(&self) {
        self.leader
            .store(false, std::sync::atomic::Ordering::SeqCst);
        *self.runtime.lock().await = None;
    }

    /// Applies journal entries written since the runtime's last one (building it on first use).
    /// The runtime's lock is held only to apply what was read, never across a database read.
    async fn follow(&self) -> trellis_store::Result<()> {
        let from = self.runtime.lock().await.as_ref().map(|rt| rt.proc_seq);
        let Some(mut from) = from else {
            let rt = Runtime::replay(&self.store, self.clock).await?;
            self.metrics.rebuilt(rt.snapshot_seq, rt.replayed);
            *self.runtime.lock().await = Some(rt);
            return Ok(());
        };
        loop {
            let rows = self.store.journal(from, 5_000).await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut guard = self.runtime.lock().await;
            // This loop is the runtime's one writer; a runtime dropped meanwhile is rebuilt on
            // the next call.
            let Some(rt) = guard.as_mut().filter(|rt| rt.proc_seq == from) else {
                return Ok(());
            };
            rt.apply_journal(&rows)
                .map_err(trellis_store::Error::Conflict)?;
            from = rt.proc_seq;
            drop(guard);
            self.waiters.hand_rows(&rows);
        }
    }
}
