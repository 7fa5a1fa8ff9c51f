//! Placement requests (`POST /v1/decide`, docs/decide.md): a `decide` input journaled like any
//! other (durable before the answer; replay decides the same), answered by the engine with the
//! offer or content to show; the same `request_id` answers the same.
//!
//! Deadlines. The input carries its deadline as a time (the request's arrival plus
//! `timeout_ms`), and the engine refuses to run a request it applies at or after it. The engine
//! loop reads the wall clock for a batch only once it holds the runtime's lock, so when the
//! deadline has passed and, under that lock, the process running the engine has not applied the
//! request, it will apply it later than the deadline and run nothing: only then is `timeout`
//! answered before the engine's own answer. The journal keeps the time each input applied at,
//! so a replay refuses it again. Anywhere else (a follower process, a repeated request still
//! pending, the event clock) the caller waits for the engine's answer, which is never wrong.

use crate::params::{DecideParams, DecideQuery};
use crate::{now_utc, wire, ApiError, ClockMode, Code, Principal, Result, Role, Service};
use serde_json::{json, Value};
use std::time::Duration;
use trellis_engine::ts_string;
use trellis_store::NewInput;

/// `timeout_ms` when the caller gives none.
pub const DEFAULT_TIMEOUT_MS: i64 = 200;

/// How long a caller waits at most for an answer it may not cut short.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// The engine's stored answer as the wire type.
fn answer(v: Value) -> Result<wire::DecideAnswer> {
    serde_json::from_value(v)
        .map_err(|e| ApiError::new(Code::Internal, format!("the engine's answer: {e}")))
}

impl Service {
    /// `POST /v1/decide` (roles decide, ingest, admin).
    pub async fn decide(
        &self,
        who: &Principal,
        p: DecideParams,
        q: DecideQuery,
    ) -> Result<wire::DecideAnswer> {
        who.require(Role::Decide)?;
        let timeout = q.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS).max(0);
        let deadline = now_utc() + chrono::Duration::milliseconds(timeout);
        let wall = self.clock == ClockMode::Wall;
        let trace = who.trace_id();
        let mut body = json!({
            "request_id": p.request_id,
            "user_id": p.user_id,
            "placement": p.placement,
            "context": p.context,
        });
        if wall {
            body["deadline"] = Value::String(ts_string(deadline));
        }
        let (seq, fresh) = self
            .append_one(NewInput {
                kind: "decide".into(),
                ikey: Some(format!("decide:{}", p.request_id)),
                body: body.to_string(),
                trace_id: Some(trace.clone()),
            })
            .await?;
        let mut waiting = self.waiters.wait(seq);
        self.wake.notify_one();
        let give_up = tokio::time::Instant::now() + MAX_WAIT;
        let cut = tokio::time::Instant::now() + Duration::from_millis(timeout as u64);
        loop {
            if let Some(v) = waiting.result(&self.store).await? {
                if let Some(e) = v.get("error") {
                    return Err(ApiError::new(
                        Code::Internal,
                        e["message"].as_str().unwrap_or("the request did not apply"),
                    ));
                }
                return answer(v);
            }
            let now = tokio::time::Instant::now();
            if wall && fresh && now >= cut && now_utc() >= deadline {
                // Past the deadline: if this process runs the engine and has not applied the
                // request, it will apply it after the deadline and run nothing.
                let rt = self.runtime.lock().await;
                if let Some(rt) = rt
                    .as_ref()
                    .filter(|rt| self.is_leader() && !rt.applied_decide(seq))
                {
                    let mut v = rt.engine.timeout_answer(&p.placement).to_json();
                    v["trace_id"] = Value::String(trace);
                    return answer(v);
                }
            }
            if now > give_up {
                return Err(ApiError::new(
                    Code::Unavailable,
                    "the engine did not answer in time; the request is stored and will apply",
                ));
            }
            // Wake at the next commit, or at the deadline to look again.
            let wait = if now < cut {
                (cut - now).min(Duration::from_millis(100))
            } else {
                Duration::from_millis(50)
            };
            waiting.settle(wait).await;
        }
    }
}
