//! The outbox side: what the deliverer records of each attempt, and a final failure turned into
//! a `delivery_failed` input.

use crate::{now_utc, trace, OutboxItem, Result, Service};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use trellis_store::NewInput;

impl Service {
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

    /// Records one delivery attempt of an outbox row. A failure is retried with exponential
    /// backoff until `max_attempts`; the last one marks the row `failed` and, in the same
    /// transaction, appends a `delivery_failed` input keyed by the row (so exactly once), which
    /// the engine turns into a fallback to the touch's next channel.
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
}
