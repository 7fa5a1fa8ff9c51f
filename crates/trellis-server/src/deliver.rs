//! The outbox deliverer. Touches are written to the outbox in the same transaction as their
//! decision; this loop delivers them. `inbox` is delivered by being stored (the user view reads
//! it); `webhook`, `push`, `sms` and `email` go to configured HTTP providers as a JSON POST with
//! an `Idempotency-Key` header, with timeouts and retries with exponential backoff. Every attempt
//! leaves a receipt. A crash between the POST and its receipt re-sends with the same key, so a
//! provider that honours the key sees the message once.

use chrono::Duration as ChronoDuration;
use std::sync::Arc;
use std::time::Duration;
use trellis_api::{now_utc, Service};

/// Attempts before a delivery is marked failed.
pub const MAX_ATTEMPTS: i64 = 5;

pub async fn run(svc: Arc<Service>, providers: Vec<(String, String)>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    loop {
        if !svc.is_leader() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        let now = trellis_api::now_utc();
        let due = match svc.store.outbox_due(&ts(now), 200).await {
            Ok(d) => d,
            Err(e) => {
                eprintln!("trellis: outbox: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if due.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        for item in due {
            let url = providers
                .iter()
                .find(|(c, _)| *c == item.channel)
                .map(|(_, u)| u.clone());
            let outcome: Result<String, String> = if item.channel == "inbox" {
                Ok("stored in the inbox".into())
            } else if let Some(url) = url {
                match client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("idempotency-key", &item.dedup)
                    .body(item.payload.clone())
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => Ok(format!("HTTP {}", r.status().as_u16())),
                    Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
                    Err(e) => Err(format!("{e}")),
                }
            } else {
                Err(format!(
                    "no provider configured for channel {}",
                    item.channel
                ))
            };
            let at = now_utc();
            let r = match outcome {
                Ok(detail) => {
                    svc.store
                        .outbox_attempt(item.id, true, "delivered", &detail, &ts(at), &ts(at))
                        .await
                }
                Err(detail) => {
                    let attempts = item.attempts + 1;
                    let (status, next) = if attempts >= MAX_ATTEMPTS {
                        ("failed", at)
                    } else {
                        (
                            "pending",
                            at + ChronoDuration::milliseconds(200 * (1 << attempts)),
                        )
                    };
                    svc.store
                        .outbox_attempt(item.id, false, status, &detail, &ts(next), &ts(at))
                        .await
                }
            };
            if let Err(e) = r {
                eprintln!("trellis: outbox receipt: {e}");
            }
        }
    }
}

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
