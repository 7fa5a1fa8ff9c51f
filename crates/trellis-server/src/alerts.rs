//! `trellis serve --alert-webhook URL`: every alert that begins firing is POSTed to the URL as
//! JSON (`{ "alert": { …as GET /v1/alerts lists it… }, "runbook": "docs/operations.md#…" }`),
//! retried with backoff until the URL answers 2xx. Only the leader delivers, so several
//! processes on one database send each alert once; after a restart an alert still firing is
//! sent again (at least once while it fires).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use trellis_api::{wire, Service};

/// How often the alert rules are read.
pub const POLL: Duration = Duration::from_secs(1);

/// The runbook's anchor for a rule.
pub fn runbook(rule: &str) -> String {
    format!("docs/operations.md#alert-{}", rule.replace('_', "-"))
}

pub async fn run(svc: Arc<Service>, url: String) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    // (alert, attempts so far, not before)
    let mut queue: VecDeque<(wire::Alert, u32, tokio::time::Instant)> = VecDeque::new();
    loop {
        tokio::time::sleep(POLL).await;
        if !svc.is_leader() {
            continue;
        }
        match svc.take_fresh_alerts().await {
            Ok(fresh) => {
                for a in fresh {
                    tracing::warn!(rule = %a.rule, target = %a.target, value = %a.value, threshold = %a.threshold, "alert");
                    queue.push_back((a, 0, tokio::time::Instant::now()));
                }
            }
            Err(e) => tracing::debug!(error = %e, "alerts not read"),
        }
        let now = tokio::time::Instant::now();
        let mut later = VecDeque::new();
        while let Some((a, tries, at)) = queue.pop_front() {
            if at > now {
                later.push_back((a, tries, at));
                continue;
            }
            let body = serde_json::json!({ "alert": a, "runbook": runbook(&a.rule) });
            let sent = client
                .post(&url)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => {}
                other => {
                    let why = match other {
                        Ok(r) => format!("HTTP {}", r.status()),
                        Err(e) => e.to_string(),
                    };
                    let wait = Duration::from_secs(1u64 << tries.min(6));
                    tracing::warn!(rule = %a.rule, error = %why, retry_in = ?wait, "the alert webhook refused an alert");
                    later.push_back((a, tries + 1, now + wait));
                }
            }
        }
        queue = later;
    }
}
