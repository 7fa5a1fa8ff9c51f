//! Decisions out: the live decision log read in seq order, for the RabbitMQ publisher
//! (`--amqp-publish`, in trellis-server) and `GET /v1/decisions/stream` (Server-Sent Events).
//!
//! The decision log is the outbox: a batch's decisions are durable with their seqs when the
//! batch commits, so nothing is written twice to publish it. A publisher keeps a cursor (the
//! highest seq the broker confirmed) and moves it only after the confirms; a crash resends from
//! the cursor with the same message ids. See docs/publishing.md.

use crate::{wire, Result, Service};
use tokio::sync::watch;

/// The most records one read of the feed answers.
pub const FEED_PAGE: i64 = 1_000;

impl Service {
    /// Live decision records after `after` (exclusive), oldest first, at most `limit` (clamped
    /// to 1..[`FEED_PAGE`]). Each record is exactly what `GET /v1/decisions` answers for it; a
    /// stored record that is not JSON (written by hand) is left out there and here alike.
    pub async fn decision_feed(&self, after: i64, limit: i64) -> Result<Vec<wire::FeedItem>> {
        let rows = self
            .store
            .feed(after.max(0), limit.clamp(1, FEED_PAGE))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let record = serde_json::from_str(&r.record)
                    .inspect_err(|e| {
                        tracing::warn!(seq = r.seq, error = %e, "a decision record is not JSON; left out")
                    })
                    .ok()?;
                Some(wire::FeedItem {
                    seq: r.seq,
                    kind: r.kind,
                    user_id: r.user_id,
                    trace_id: r.trace_id,
                    record,
                })
            })
            .collect())
    }

    /// The publisher `name`'s cursor; made on first use with a fresh random stream name.
    pub async fn publish_cursor(&self, name: &str) -> Result<trellis_store::PublishCursor> {
        Ok(self
            .store
            .publish_cursor(name, &crate::trace::new_trace_id())
            .await?)
    }

    /// Moves the publisher `name`'s cursor on to `seq` once the broker confirmed everything up
    /// to it.
    pub async fn advance_publish_cursor(&self, name: &str, seq: i64) -> Result<()> {
        Ok(self.store.advance_publish_cursor(name, seq).await?)
    }

    /// Changes after every batch this process commits as the engine's holder: a tailer of the
    /// log waits on it (and polls as well, for batches another process committed).
    pub fn applied(&self) -> watch::Receiver<i64> {
        self.applied_tx.subscribe()
    }

    /// True once [`Service::stop`] was called: long-lived answers (the decision stream) end.
    pub fn is_stopping(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::SeqCst)
    }
}
