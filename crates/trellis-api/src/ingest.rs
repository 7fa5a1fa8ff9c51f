//! Inputs in: events (HTTP and the RabbitMQ intake), profiles, redemptions and clock ticks,
//! appended durably by a group-committing appender; the operations that need the engine's
//! answer wait for it.

use crate::params::{Events, ProfileParams, RedeemParams, TickParams};
use crate::{now_utc, trace, wire, ApiError, Code, Principal, Result, Role, Service};
use serde_json::{json, Value};
use std::time::Duration;
use trellis_engine::ts_string;
use trellis_store::{NewInput, Store};

/// The largest batch of events one request may carry.
pub const MAX_BATCH: usize = 10_000;

/// Inputs of one request and where to send their sequence numbers.
pub(crate) type AppendJob = (
    Vec<NewInput>,
    tokio::sync::oneshot::Sender<trellis_store::Result<Vec<Option<i64>>>>,
);

/// Group commit: requests that arrive while a commit is on disk share the next one, so one fsync
/// acknowledges many requests. Order and idempotency are as if each committed alone.
pub(crate) async fn appender(store: Store, mut rx: tokio::sync::mpsc::Receiver<AppendJob>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut n = jobs[0].0.len();
        while n < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.0.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let all: Vec<NewInput> = jobs.iter().flat_map(|j| j.0.iter().cloned()).collect();
        let r = store.add_inputs(&all, &ts_string(now_utc())).await;
        match r {
            Ok(seqs) => {
                let mut it = seqs.into_iter();
                for (inputs, tx) in jobs {
                    let mine: Vec<Option<i64>> = it.by_ref().take(inputs.len()).collect();
                    let _ = tx.send(Ok(mine));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for (_, tx) in jobs {
                    let _ = tx.send(Err(trellis_store::Error::Conflict(msg.clone())));
                }
            }
        }
    }
}
impl Service {
    /// Appends inputs durably (group-committed with concurrent requests).
    pub(crate) async fn append(&self, inputs: Vec<NewInput>) -> Result<Vec<Option<i64>>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.appender
            .send((inputs, tx))
            .await
            .map_err(|_| ApiError::new(Code::Unavailable, "the service is stopping"))?;
        let r = rx
            .await
            .map_err(|_| ApiError::new(Code::Unavailable, "the service is stopping"))?;
        Ok(r?)
    }
}
impl Service {
    /// Appends one input durably; answers its seq, and whether it is new (false: its
    /// idempotency key was stored before, and the seq is that input's).
    pub(crate) async fn append_one(&self, input: NewInput) -> Result<(i64, bool)> {
        let key = input.ikey.clone();
        match self.append(vec![input]).await?.pop().flatten() {
            Some(s) => Ok((s, true)),
            None => match key {
                Some(k) => self
                    .store
                    .input_seq_by_key(&k)
                    .await?
                    .map(|s| (s, false))
                    .ok_or_else(|| ApiError::new(Code::Internal, "a duplicate input vanished")),
                None => Err(ApiError::new(Code::Internal, "an input was not stored")),
            },
        }
    }

    /// Appends one input and waits until the engine has applied it; answers its result.
    pub(crate) async fn apply_and_wait(&self, input: NewInput) -> Result<Value> {
        let (seq, fresh) = self.append_one(input).await?;
        let mut waiting = self.waiters.wait(seq);
        self.wake.notify_one();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(mut v) = waiting.result(&self.store).await? {
                if let Some(e) = v.get("error") {
                    // The engine's answer names its code (`Outcome::to_json`); one this release
                    // does not know is an internal error, not a guess.
                    let code =
                        serde_json::from_value::<Code>(e["code"].clone()).unwrap_or(Code::Internal);
                    return Err(
                        ApiError::new(code, e["message"].as_str().unwrap_or_default())
                            .at(e["path"].as_str().unwrap_or_default()),
                    );
                }
                if !fresh && v.get("duplicate").is_some() {
                    // A retry of a request already applied: the same answer, marked.
                    v["duplicate"] = Value::Bool(true);
                }
                return Ok(v);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(ApiError::new(
                    Code::Unavailable,
                    "the engine did not apply the request in time; it is stored and will apply",
                ));
            }
            waiting.settle(Duration::from_millis(100)).await;
        }
    }
}
impl Service {
    /// One event or an array of up to 10,000. All or nothing: one bad event refuses the batch.
    pub async fn ingest(&self, who: &Principal, events: Events) -> Result<wire::IngestResult> {
        who.require(Role::Ingest)?;
        self.ingest_events(events, who.trace.clone()).await
    }

    /// Events already parsed as JSON (the RabbitMQ intake comes in here). They all belong to
    /// `trace` (one request, one trace), else to one fresh trace id; the answer says which.
    pub async fn ingest_events(
        &self,
        events: Events,
        trace: Option<String>,
    ) -> Result<wire::IngestResult> {
        let trace = trace.unwrap_or_else(trace::new_trace_id);
        let Events {
            events: items,
            array,
        } = events;
        if items.len() > MAX_BATCH {
            return Err(ApiError::new(
                Code::TooLarge,
                format!("{} events in one batch; at most {MAX_BATCH}", items.len()),
            ));
        }
        let mut inputs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = if array {
                format!("/{i}")
            } else {
                String::new()
            };
            trellis_engine::parse_event(item)
                .map_err(|m| ApiError::new(Code::BadRequest, m).at(at.clone()))?;
            let ikey = match item.get("event_id") {
                Some(Value::String(s)) if !s.is_empty() => Some(format!("event:{s}")),
                None | Some(Value::Null) => None,
                Some(_) => {
                    return Err(ApiError::new(Code::BadRequest, "event_id must be a string")
                        .at(format!("{at}/event_id")))
                }
            };
            inputs.push(NewInput {
                kind: "event".into(),
                ikey,
                body: item.to_string(),
                trace_id: Some(trace.clone()),
            });
        }
        let seqs = self.append(inputs).await?;
        let accepted = seqs.iter().filter(|s| s.is_some()).count();
        let duplicates = seqs.len() - accepted;
        self.metrics.events(accepted as u64, duplicates as u64);
        self.wake.notify_one();
        tracing::debug!(accepted, duplicates, trace_id = %trace, "events stored");
        Ok(wire::IngestResult {
            accepted: accepted as u64,
            duplicates: duplicates as u64,
            trace_id: trace,
        })
    }

    pub async fn put_profile(
        &self,
        who: &Principal,
        user_id: &str,
        p: ProfileParams,
    ) -> Result<wire::ProfileResult> {
        who.require(Role::Ingest)?;
        let mut m = p.fields;
        match m.get("user_id") {
            None => {
                m.insert("user_id".into(), Value::from(user_id));
            }
            Some(Value::String(s)) if s == user_id => {}
            Some(_) => {
                return Err(ApiError::new(
                    Code::BadRequest,
                    format!("user_id in the body must be {user_id:?}, as in the path"),
                )
                .at("/user_id"))
            }
        }
        for k in ["attrs", "contact", "consent"] {
            if m.get(k).is_some_and(|x| !x.is_object()) {
                return Err(
                    ApiError::new(Code::BadRequest, format!("{k} must be an object"))
                        .at(format!("/{k}")),
                );
            }
        }
        let v = Value::Object(m);
        trellis_engine::parse_profile(&v).map_err(|e| ApiError::new(Code::BadRequest, e).at(""))?;
        let trace = who.trace_id();
        self.append(vec![NewInput {
            kind: "profile".into(),
            ikey: None,
            body: v.to_string(),
            trace_id: Some(trace.clone()),
        }])
        .await?;
        self.wake.notify_one();
        Ok(wire::ProfileResult {
            user_id: user_id.to_owned(),
            accepted: true,
            trace_id: trace,
        })
    }

    pub async fn redeem(&self, who: &Principal, p: RedeemParams) -> Result<wire::RedeemResult> {
        who.require(Role::Ingest)?;
        let RedeemParams {
            instance,
            order,
            amount,
        } = p;
        let r = self
            .apply_and_wait(NewInput {
                kind: "redeem".into(),
                ikey: Some(format!("redeem:{instance}:{order}")),
                body: json!({ "instance": instance, "order": order, "amount": amount.to_string() })
                    .to_string(),
                trace_id: Some(who.trace_id()),
            })
            .await?;
        Ok(wire::RedeemResult {
            instance,
            order,
            redeemed: true,
            duplicate: r["duplicate"].as_bool(),
        })
    }

    /// Moves the clock on to `until` (event clock), or fires what is due (wall clock).
    pub async fn tick(&self, who: &Principal, p: TickParams) -> Result<wire::TickResult> {
        who.require(Role::Admin)?;
        let until = p.until;
        self.apply_and_wait(NewInput {
            kind: "tick".into(),
            ikey: None,
            body: json!({ "until": until }).to_string(),
            trace_id: Some(who.trace_id()),
        })
        .await?;
        Ok(wire::TickResult { until })
    }
}
