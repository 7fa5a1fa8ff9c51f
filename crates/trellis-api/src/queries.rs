//! Reads: a user, the decision log, a journey's stats, a sample of recent live data, the ledger's
//! reconciliation, health and metrics.

use crate::params::{DecisionsQuery, SampleQuery, SegmentQuery};
use crate::{now_utc, wire, ApiError, Code, Principal, Result, Role, Service};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

impl Service {
    pub async fn user(&self, user_id: &str) -> Result<wire::UserAnswer> {
        let view = {
            let rt = self.runtime.lock().await;
            rt.as_ref().and_then(|r| r.engine.user_view(user_id))
        };
        let messages: Vec<wire::Message> = self
            .store
            .messages_of(user_id, 50)
            .await?
            .into_iter()
            .map(|(channel, template, p, status, at)| wire::Message {
                channel,
                template,
                payload: serde_json::from_str::<Value>(&p).unwrap_or(Value::Null),
                status,
                at,
            })
            .collect();
        let instances = self.store.instances_of(user_id).await?;
        if view.is_none() && messages.is_empty() && instances.is_empty() {
            return Err(
                ApiError::new(Code::NotFound, format!("no user {user_id:?}")).at("user_id"),
            );
        }
        let mut view = match view {
            Some(Value::Object(m)) => m,
            _ => Map::from_iter([("user_id".to_owned(), Value::from(user_id))]),
        };
        // The two lists follow the engine's view (they are not the engine's to write).
        view.remove("inbox");
        view.remove("recent_touches");
        Ok(wire::UserAnswer {
            view,
            inbox: messages
                .iter()
                .filter(|m| m.channel == "inbox")
                .cloned()
                .collect(),
            recent_touches: messages,
        })
    }

    /// `GET /v1/decisions`: one page of decision records in the order they were written, and
    /// `next`, the cursor to pass as `after` for the page that follows (`null` on the last
    /// page). One row more than `limit` is read, so `next` is `null` exactly when nothing
    /// follows; pages are cut by seq, not time, so any number of records of one instant page.
    pub async fn decisions(&self, q: DecisionsQuery) -> Result<wire::DecisionPage> {
        let limit = q.limit.unwrap_or(100);
        let mut rows = self
            .store
            .decisions(&trellis_store::DecisionQuery {
                user: q.user_id.as_deref(),
                journey: q.journey.as_deref(),
                since: q.since.as_deref(),
                shadow: q.shadow,
                after: q.after,
                trace_id: q.trace_id.as_deref(),
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
        Ok(wire::DecisionPage {
            decisions: list,
            next,
        })
    }

    pub async fn stats(&self, journey: &str) -> Result<wire::JourneyStats> {
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
        let mut report = match serde_json::to_value(&report) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        if let Some(js) = report.get_mut("journeys").and_then(Value::as_object_mut) {
            js.retain(|k, _| k == journey);
        }
        // Measurement: this journey's, and the experiments its splits assign to.
        if let Some(m) = report.get_mut("incremental").and_then(Value::as_object_mut) {
            m.retain(|k, _| k == journey);
        }
        // Attribution analysis: this journey's paths, and the workspace's across journeys (like
        // the report's touches and conversions, which the stats carry whole).
        if let Some(m) = report
            .get_mut("attribution_analysis")
            .and_then(|a| a.get_mut("journeys"))
            .and_then(Value::as_object_mut)
        {
            m.retain(|k, _| k == journey);
        }
        // Uplift gates: this journey's (`docs/uplift.md`); aggregates stay whole (the users').
        if let Some(m) = report.get_mut("uplift").and_then(Value::as_object_mut) {
            m.retain(|k, _| k == journey);
        }
        let experiments = rt.engine.experiments_of(journey);
        if let Some(m) = report.get_mut("experiments").and_then(Value::as_object_mut) {
            m.retain(|k, _| experiments.contains(k));
        }
        report.remove("versions");
        report.remove("shadow");
        let versions = rt
            .engine
            .deployments(journey)
            .iter()
            .map(|&(version, r)| wire::VersionShare {
                version,
                rollout_percent: r / 10_000,
            })
            .collect();
        let mut shadow = None;
        if rt.shadowed.contains(journey) {
            if let Some(m) = rt.mirror.as_mut() {
                let sr = m.report_now();
                let json = |v: serde_json::Result<Value>| v.unwrap_or(Value::Null);
                shadow = Some(wire::ShadowStats {
                    journey: json(serde_json::to_value(sr.journeys.get(journey))),
                    offers: json(serde_json::to_value(&sr.offers)),
                    touches: json(serde_json::to_value(&sr.touches)),
                });
            }
        }
        Ok(wire::JourneyStats {
            report,
            versions,
            shadow,
        })
    }

    /// `GET /v1/experiments/{id}`: an experiment's arms against its control, from live data.
    pub async fn experiment(&self, id: &str) -> Result<wire::ExperimentReport> {
        let mut rt = self.runtime.lock().await;
        let Some(rt) = rt.as_mut() else {
            return Err(ApiError::new(
                Code::Unavailable,
                "this process is not running the engine yet",
            ));
        };
        let mut report = rt.engine.report_now();
        let Some(m) = report.experiments.remove(id) else {
            return Err(ApiError::new(
                Code::NotFound,
                format!(
                    "experiment {id:?} has assigned no user yet (or no deployed journey has it)"
                ),
            )
            .at("id"));
        };
        Ok(wire::ExperimentReport {
            experiment: id.to_owned(),
            measured: match serde_json::to_value(&m) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            },
        })
    }

    /// `GET /v1/segments`: each segment's id, name and size, from the live engine's bitmaps.
    pub async fn segments(&self) -> Result<wire::SegmentList> {
        let rt = self.runtime.lock().await;
        let Some(rt) = rt.as_ref() else {
            return Err(ApiError::new(
                Code::Unavailable,
                "this process is not running the engine yet",
            ));
        };
        Ok(wire::SegmentList {
            segments: rt
                .engine
                .segment_sizes()
                .into_iter()
                .map(|(id, name, size)| wire::SegmentSize { id, name, size })
                .collect(),
        })
    }

    /// `GET /v1/segments/{id}`: size, a sample of members (`sample`, default 20) and the
    /// overlap with every other segment.
    pub async fn segment(&self, id: &str, q: SegmentQuery) -> Result<wire::SegmentDetail> {
        let rt = self.runtime.lock().await;
        let Some(rt) = rt.as_ref() else {
            return Err(ApiError::new(
                Code::Unavailable,
                "this process is not running the engine yet",
            ));
        };
        let n = usize::try_from(q.sample.unwrap_or(20)).unwrap_or(0);
        let Some(d) = rt.engine.segment_detail(id, n) else {
            return Err(
                ApiError::new(Code::NotFound, format!("no segment {id:?} is deployed")).at("id"),
            );
        };
        Ok(wire::SegmentDetail {
            id: d.id,
            name: d.name,
            size: d.size,
            sample: d.sample,
            overlaps: d
                .overlaps
                .into_iter()
                .map(|(segment, name, both)| wire::SegmentOverlap {
                    segment,
                    name,
                    both,
                })
                .collect(),
        })
    }

    /// A sample of recent live data for a sandbox run (admin: it holds people's data):
    /// `{ "profiles": [...], "events": [...] }` in the formats of `runtime.md`. The newest
    /// `events` events ingested (default 10,000, at most 100,000), oldest first, and the latest
    /// profile of up to `profiles` users (default 10,000, at most 100,000): first the users of
    /// those events, then the users whose profiles changed most recently. Read-only.
    pub async fn recent_sample(&self, who: &Principal, q: SampleQuery) -> Result<wire::Sample> {
        who.require(Role::Admin)?;
        let (n_events, n_profiles) = (q.events.unwrap_or(10_000), q.profiles.unwrap_or(10_000));
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
        Ok(wire::Sample { profiles, events })
    }

    /// The reconciliation query over the double-entry ledger, per campaign:
    /// `budget = available + reserved + spent`, each account non-negative, and all legs summing
    /// to zero; beside it, the engine's own figures.
    pub async fn reconcile(&self, who: &Principal) -> Result<wire::Reconciliation> {
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
        let campaigns: Vec<wire::CampaignBalance> = balances
            .iter()
            .map(|b| wire::CampaignBalance {
                campaign: b.campaign.clone(),
                budget: money(b.budget),
                available: money(b.available),
                reserved: money(b.reserved),
                spent: money(b.spent),
                balances: b.balances(),
            })
            .collect();
        let stock: Vec<wire::StockLeft> = self
            .store
            .stock_left()
            .await?
            .into_iter()
            .map(|(offer, left, shards)| wire::StockLeft {
                offer,
                left,
                shards,
            })
            .collect();
        let (timers, overdue) = self
            .store
            .timer_counts(now_utc().timestamp_millis())
            .await?;
        let ok = sum == 0 && held_matches && balances.iter().all(|b| b.balances());
        Ok(wire::Reconciliation {
            balanced: ok,
            ledger_sum: sum,
            campaigns,
            engine,
            held_balances_match: held_matches,
            stock,
            timers: wire::TimerCounts {
                waiting: timers,
                due: overdue,
            },
        })
    }

    pub async fn health(&self) -> Result<wire::Health> {
        self.store.ping().await?;
        Ok(wire::Health {
            ok: true,
            leader: self.is_leader(),
            holder: self.holder.clone(),
        })
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
        let _ = self.refresh_alerts().await;
        let mut out = self.metrics.render(&budgets, self.is_leader());
        self.render_live(&mut out).await;
        out
    }

    /// The live-control gauges: each campaign's pacing line and breaker, the degrade switch and
    /// the active alerts (docs/operations.md, "Alerts").
    async fn render_live(&self, out: &mut String) {
        use std::fmt::Write;
        let (campaigns, degrade) = {
            let rt = self.runtime.lock().await;
            match rt.as_ref() {
                Some(rt) => (
                    rt.engine.campaigns_now(),
                    rt.engine
                        .controls()
                        .degrade
                        .iter()
                        .map(|(k, d)| (k.clone(), d.offers, d.touches))
                        .collect::<Vec<_>>(),
                ),
                None => return,
            }
        };
        let _ = writeln!(out, "# HELP trellis_pacing_allowed Money a paced campaign may have committed by now (total*k/N).\n# TYPE trellis_pacing_allowed gauge");
        for c in &campaigns {
            if let Some(p) = &c.pacing {
                let _ = writeln!(
                    out,
                    "trellis_pacing_allowed{{campaign=\"{}\"}} {}",
                    c.campaign, p.allowed
                );
            }
        }
        let _ = writeln!(out, "# HELP trellis_breaker_tripped 1 while a campaign's breaker is tripped.\n# TYPE trellis_breaker_tripped gauge");
        let _ = writeln!(out, "# HELP trellis_breaker_committed Money committed in the breaker's rolling window.\n# TYPE trellis_breaker_committed gauge");
        for c in &campaigns {
            if let Some(b) = &c.breaker {
                let _ = writeln!(
                    out,
                    "trellis_breaker_tripped{{campaign=\"{}\"}} {}",
                    c.campaign,
                    u8::from(b.tripped_at.is_some())
                );
                let _ = writeln!(
                    out,
                    "trellis_breaker_committed{{campaign=\"{}\"}} {}",
                    c.campaign, b.committed_in_window
                );
            }
        }
        let _ = writeln!(out, "# HELP trellis_degraded 1 while the degrade switch has offers off or touches off or throttled (campaign \"\" is engine-wide).\n# TYPE trellis_degraded gauge");
        for (k, o, t) in &degrade {
            let _ = writeln!(
                out,
                "trellis_degraded{{campaign=\"{k}\",what=\"offers\"}} {}",
                u8::from(*o == trellis_engine::Switch::Off)
            );
            let _ = writeln!(
                out,
                "trellis_degraded{{campaign=\"{k}\",what=\"touches\"}} {}",
                u8::from(*t != trellis_engine::TouchMode::On)
            );
        }
        let _ = writeln!(out, "# HELP trellis_alert_active 1 for each alert firing, by rule, target and severity.\n# TYPE trellis_alert_active gauge");
        for (rule, target, severity) in self.active_alerts() {
            let _ = writeln!(
                out,
                "trellis_alert_active{{rule=\"{rule}\",target=\"{target}\",severity=\"{severity}\"}} 1"
            );
        }
    }
}
