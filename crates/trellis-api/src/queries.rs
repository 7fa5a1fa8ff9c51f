//! Reads: a user, the decision log, a journey's stats, a sample of recent live data, the ledger's
//! reconciliation, health and metrics.

use crate::{now_utc, parse_time, trace, ApiError, Code, Principal, Result, Role, Service};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

impl Service {
    pub async fn user(&self, user_id: &str) -> Result<Value> {
        let view = {
            let rt = self.runtime.lock().await;
            rt.as_ref().and_then(|r| r.engine.user_view(user_id))
        };
        let messages: Vec<Value> = self.store.messages_of(user_id, 50).await?.into_iter().map(|(c, t, p, s, at)| json!({
            "channel": c, "template": t, "payload": serde_json::from_str::<Value>(&p).unwrap_or(Value::Null), "status": s, "at": at,
        })).collect();
        let instances = self.store.instances_of(user_id).await?;
        if view.is_none() && messages.is_empty() && instances.is_empty() {
            return Err(
                ApiError::new(Code::NotFound, format!("no user {user_id:?}")).at("user_id"),
            );
        }
        let mut v = view.unwrap_or_else(|| json!({ "user_id": user_id }));
        v["inbox"] = json!(messages
            .iter()
            .filter(|m| m["channel"] == "inbox")
            .collect::<Vec<_>>());
        v["recent_touches"] = json!(messages);
        Ok(v)
    }

    /// `GET /v1/decisions`: one page of decision records in the order they were written, and
    /// `next`, the cursor to pass as `after` for the page that follows (`null` on the last
    /// page). One row more than `limit` is read, so `next` is `null` exactly when nothing
    /// follows; pages are cut by seq, not time, so any number of records of one instant page.
    pub async fn decisions(&self, q: &Map<String, Value>) -> Result<Value> {
        let s = |k: &str| q.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        if let Some(since) = s("since") {
            parse_time(since, "since")?;
        }
        let limit = match s("limit") {
            None => 100,
            Some(l) => l
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=10_000).contains(l))
                .ok_or_else(|| {
                    ApiError::new(Code::BadRequest, "limit must be 1..10000").at("limit")
                })?,
        };
        let after = match s("after") {
            None => None,
            Some(a) => Some(a.parse::<i64>().ok().filter(|a| *a >= 0).ok_or_else(|| {
                ApiError::new(
                    Code::BadRequest,
                    "after must be a decision seq (a non-negative integer): the `next` of the page before",
                )
                .at("after")
            })?),
        };
        let trace_id = match s("trace_id") {
            Some(t) if !trace::is_trace_id(t) => {
                return Err(ApiError::new(
                    Code::BadRequest,
                    "trace_id must be 32 lowercase hex digits (a W3C trace-id)",
                )
                .at("trace_id"))
            }
            t => t,
        };
        let mut rows = self
            .store
            .decisions(&trellis_store::DecisionQuery {
                user: s("user_id"),
                journey: s("journey"),
                since: s("since"),
                shadow: s("shadow") == Some("true"),
                after,
                trace_id,
                limit: limit + 1,
            })
            .await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|(seq, _)| *seq)
        } else {
            None
        };
        let list: Vec<Value> = rows
            .iter()
            .filter_map(|(_, r)| serde_json::from_str(r).ok())
            .collect();
        Ok(json!({ "decisions": list, "next": next }))
    }

    pub async fn stats(&self, journey: &str) -> Result<Value> {
        let mut rt = self.runtime.lock().await;
        let Some(rt) = rt.as_mut() else {
            return Err(ApiError::new(
                Code::Unavailable,
                "this process is not running the engine yet",
            ));
        };
        if rt.engine.deployments(journey).is_empty() {
            return Err(ApiError::new(
                Code::NotFound,
                format!("journey {journey:?} is not deployed"),
            )
            .at("id"));
        }
        let report = rt.engine.report_now();
        let mut v = serde_json::to_value(&report).unwrap_or(Value::Null);
        if let Some(js) = v.get_mut("journeys").and_then(Value::as_object_mut) {
            js.retain(|k, _| k == journey);
        }
        v["versions"] = json!(rt
            .engine
            .deployments(journey)
            .iter()
            .map(|(v, r)| json!({ "version": v, "rollout_percent": r / 10_000 }))
            .collect::<Vec<_>>());
        if rt.shadowed.contains(journey) {
            if let Some(m) = rt.mirror.as_mut() {
                let sr = m.report_now();
                v["shadow"] = json!({ "journey": sr.journeys.get(journey), "offers": sr.offers, "touches": sr.touches });
            }
        }
        Ok(v)
    }

    /// A sample of recent live data for a sandbox run (admin: it holds people's data):
    /// `{ "profiles": [...], "events": [...] }` in the formats of `runtime.md`. The newest
    /// `events` events ingested (default 10,000, at most 100,000), oldest first, and the latest
    /// profile of up to `profiles` users (default 10,000, at most 100,000): first the users of
    /// those events, then the users whose profiles changed most recently. Read-only.
    pub async fn recent_sample(&self, who: &Principal, q: &Map<String, Value>) -> Result<Value> {
        who.require(Role::Admin)?;
        let limit = |k: &str| -> Result<i64> {
            match q.get(k) {
                None | Some(Value::Null) => Ok(10_000),
                Some(v) => v
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (0..=100_000).contains(n))
                    .ok_or_else(|| {
                        ApiError::new(
                            Code::BadRequest,
                            format!("{k} must be an integer from 0 to 100000"),
                        )
                        .at(format!("/{k}"))
                    }),
            }
        };
        let (n_events, n_profiles) = (limit("events")?, limit("profiles")?);
        let mut events: Vec<Value> = self
            .store
            .recent_inputs("event", n_events)
            .await?
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect();
        events.reverse();
        // Profiles replace each other whole: the newest body per user is the profile.
        let mut latest: std::collections::HashMap<String, Value> = Default::default();
        let mut order: Vec<String> = Vec::new();
        if n_profiles > 0 {
            let bodies = self
                .store
                .recent_inputs("profile", n_profiles.saturating_mul(4).max(1_000))
                .await?;
            for b in bodies {
                let Ok(v) = serde_json::from_str::<Value>(&b) else {
                    continue;
                };
                let Some(id) = v.get("user_id").and_then(Value::as_str).map(str::to_owned) else {
                    continue;
                };
                if let std::collections::hash_map::Entry::Vacant(e) = latest.entry(id) {
                    order.push(e.key().clone());
                    e.insert(v);
                }
            }
        }
        let mut profiles = Vec::new();
        let mut taken = std::collections::HashSet::new();
        let cap = usize::try_from(n_profiles).unwrap_or(0);
        let event_users = events
            .iter()
            .filter_map(|e| e.get("user_id").and_then(Value::as_str));
        for id in event_users.chain(order.iter().map(String::as_str)) {
            if profiles.len() >= cap {
                break;
            }
            if let Some(p) = latest.get(id) {
                if taken.insert(id.to_owned()) {
                    profiles.push(p.clone());
                }
            }
        }
        Ok(json!({ "profiles": profiles, "events": events }))
    }

    /// The reconciliation query over the double-entry ledger, per campaign:
    /// `budget = available + reserved + spent`, each account non-negative, and all legs summing
    /// to zero; beside it, the engine's own figures.
    pub async fn reconcile(&self, who: &Principal) -> Result<Value> {
        who.require(Role::Admin)?;
        let balances = self.store.reconcile().await?;
        let sum = self.store.ledger_sum().await?;
        let engine: Value = {
            let mut rt = self.runtime.lock().await;
            match rt.as_mut() {
                Some(rt) => {
                    serde_json::to_value(rt.engine.report_now().campaigns).unwrap_or(Value::Null)
                }
                None => Value::Null,
            }
        };
        let unit = Decimal::new(1, 4);
        let money = |u: i64| (Decimal::from(u) * unit).normalize().to_string();
        // The running balances the database holds (its second lock on the budget) must be the
        // ledger's sums, account by account.
        let held = self.store.balance_rows().await?;
        let mut summed: Vec<(String, String, i64)> = Vec::new();
        for b in &balances {
            for (account, v) in [
                ("available", b.available),
                ("budget", -b.budget),
                ("reserved", b.reserved),
                ("spent", b.spent),
            ] {
                if v != 0 {
                    summed.push((b.campaign.clone(), account.to_owned(), v));
                }
            }
        }
        let held_matches = held == summed;
        let list: Vec<Value> = balances.iter().map(|b| json!({
            "campaign": b.campaign, "budget": money(b.budget), "available": money(b.available),
            "reserved": money(b.reserved), "spent": money(b.spent), "balances": b.balances(),
        })).collect();
        let stock: Vec<Value> = self
            .store
            .stock_left()
            .await?
            .into_iter()
            .map(|(offer, left, shards)| json!({ "offer": offer, "left": left, "shards": shards }))
            .collect();
        let (timers, overdue) = self
            .store
            .timer_counts(now_utc().timestamp_millis())
            .await?;
        let ok = sum == 0 && held_matches && balances.iter().all(|b| b.balances());
        Ok(json!({
            "balanced": ok, "ledger_sum": sum, "campaigns": list, "engine": engine,
            "held_balances_match": held_matches, "stock": stock,
            "timers": { "waiting": timers, "due": overdue },
        }))
    }

    pub async fn health(&self) -> Result<Value> {
        self.store.ping().await?;
        Ok(json!({ "ok": true, "leader": self.is_leader(), "holder": self.holder }))
    }

    pub async fn metrics_text(&self) -> String {
        let budgets: Vec<(String, Decimal, Decimal)> = {
            let mut rt = self.runtime.lock().await;
            match rt.as_mut() {
                Some(rt) => rt
                    .engine
                    .report_now()
                    .campaigns
                    .iter()
                    .map(|(k, c)| (k.clone(), c.budget, c.reserved + c.spent))
                    .collect(),
                None => Vec::new(),
            }
        };
        self.metrics.render(&budgets, self.is_leader())
    }
}
