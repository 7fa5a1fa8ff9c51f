//! The runtime: the engine (and, while a shadow deployment runs, its mirror) as a deterministic
//! fold over the journal. One process at a time holds the engine lease and applies new inputs;
//! whoever takes the lease first replays the journal, so a restart or a second process resumes
//! exactly where the last commit left off: nothing applied twice, nothing lost.

use crate::now_utc;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use trellis_engine::TimerChange;
use trellis_engine::{
    parse_event, parse_profile, ts_string, Channels, Decision, DeliveryFailure, Engine, Message,
    Options, PPM,
};
use trellis_model::Channel;
use trellis_store::{
    Batch, DecisionRow, InstanceRow, JournalEntry, LedgerLeg, OutboxRow, StockOp, Store, TimerRow,
};

type Time = DateTime<Utc>;

/// How the service's clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// The wall clock: inputs apply at the time they are processed, and timers fire as it passes.
    Wall,
    /// Event time, as in the simulator: an event applies at its own timestamp (never before the
    /// engine's clock), and time moves on only with events or an explicit tick. For replaying
    /// history and for tests that compare the service with the simulator.
    Event,
}

/// What the outbox needs of a sent message beyond its decision: the address and the content.
#[derive(Debug, Clone)]
struct Sent {
    user_id: String,
    journey: String,
    node: String,
    channel: &'static str,
    to: Option<String>,
    content: Option<Value>,
}

type SentQueue = std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<Sent>>>;

/// Touches accepted for delivery by the outbox (written with their decision). The live engine's
/// messages are kept, in order, until their `touch.sent` decision is projected to an outbox row;
/// each successful `send` is followed by exactly one `touch.sent`.
struct Outboxed(Option<SentQueue>);

impl Channels for Outboxed {
    fn send(&mut self, msg: &Message<'_>) -> Result<(), String> {
        if let Some(q) = &self.0 {
            let key = match msg.channel {
                Channel::Push => Some("push"),
                Channel::Sms => Some("phone"),
                Channel::Email => Some("email"),
                Channel::Inbox | Channel::Webhook => None,
            };
            let to = key
                .and_then(|k| msg.contact.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let Ok(mut q) = q.lock() {
                q.push_back(Sent {
                    user_id: msg.user_id.to_owned(),
                    journey: msg.journey.to_owned(),
                    node: msg.node.to_owned(),
                    channel: msg.channel.as_str(),
                    to,
                    content: msg.content.cloned(),
                });
            }
        }
        Ok(())
    }
}

/// Money in 1/10,000 units, as the ledger keeps it.
pub fn units(d: Decimal) -> i64 {
    let scaled = (d * Decimal::from(10_000)).round();
    i64::try_from(scaled).unwrap_or(i64::MAX)
}

pub struct Runtime {
    pub engine: Engine,
    /// The engine with shadow deployments applied as if live; its decisions for shadowed journeys
    /// are logged, marked shadow, and nothing it decides is issued or sent.
    pub mirror: Option<Engine>,
    /// Journeys whose newest deployment is in shadow mode.
    pub shadowed: HashSet<String>,
    pub clock: ClockMode,
    pub proc_seq: i64,
    /// (journey, version) → campaign, for ledger legs.
    campaigns: HashMap<(String, u64), String>,
    funded: HashMap<String, i64>,
    /// Funding legs of the deploy being applied: (campaign, amount).
    pending_legs: Vec<(String, i64)>,
    /// Deployment rows of the deploy or rollback being applied.
    pub pending_deploys: Vec<trellis_store::DeploymentRow>,
    /// The live engine's sent messages, waiting for their outbox rows.
    sent: SentQueue,
    /// Stock rows to set, from the deploy being applied.
    pending_stock: Vec<StockOp>,
    /// The schedule rows as last written: `journey/node` → next tick.
    schedule_rows: HashMap<String, Option<Time>>,
    /// Whether this runtime has written the timer rows afresh since it began to step (a new
    /// engine holder does it once, in its first batch).
    timers_synced: bool,
}

/// The outcome of applying one input.
pub struct Applied {
    pub result: Option<Value>,
}

fn new_engine(sent: Option<SentQueue>) -> Engine {
    let mut e = Engine::new(trellis_model::Workspace::default(), Options::default());
    e.set_channels(Box::new(Outboxed(sent)));
    e.track_timers();
    e
}

/// A timer change as a row (`live` or `shadow` keys), or the key of a fired one.
fn timer_row(prefix: &str, c: TimerChange) -> Result<TimerRow, String> {
    match c {
        TimerChange::Set {
            key,
            due,
            kind,
            user,
            journey,
        } => Ok(TimerRow {
            key: format!("{prefix}:{key}"),
            due_ms: due.timestamp_millis(),
            due_at: ts_string(due),
            kind: kind.to_owned(),
            user_id: user.map(|u| u.to_string()),
            journey: journey.map(|j| j.to_string()),
        }),
        TimerChange::Done { key } => Err(format!("{prefix}:{key}")),
    }
}

impl Runtime {
    pub fn new(clock: ClockMode) -> Runtime {
        let sent = SentQueue::default();
        Runtime {
            engine: new_engine(Some(sent.clone())),
            sent,
            // Always on, so a shadow version sees the same history as the live one.
            mirror: Some(new_engine(None)),
            shadowed: HashSet::new(),
            clock,
            proc_seq: 0,
            campaigns: HashMap::new(),
            funded: HashMap::new(),
            pending_legs: Vec::new(),
            pending_deploys: Vec::new(),
            pending_stock: Vec::new(),
            schedule_rows: HashMap::new(),
            timers_synced: false,
        }
    }

    /// Moves the timers set and fired since the last call into the batch as row changes: the
    /// live engine's timers, the mirror's for shadowed journeys, and each schedule's next tick.
    /// A timer set and fired within the batch writes nothing. The first call of a runtime that
    /// steps writes every row afresh.
    fn take_timers(&mut self, b: &mut Batch) {
        let mut changes: Vec<Result<TimerRow, String>> = Vec::new();
        if !self.timers_synced {
            self.timers_synced = true;
            b.timers_reset = true;
            self.engine.take_timer_changes();
            changes.extend(
                self.engine
                    .pending_timers()
                    .into_iter()
                    .map(|c| timer_row("live", c)),
            );
            if let Some(m) = self.mirror.as_mut() {
                m.take_timer_changes();
                changes.extend(
                    m.pending_timers()
                        .into_iter()
                        .map(|c| timer_row("shadow", c)),
                );
            }
            self.schedule_rows.clear();
        } else {
            changes.extend(
                self.engine
                    .take_timer_changes()
                    .into_iter()
                    .map(|c| timer_row("live", c)),
            );
            if let Some(m) = self.mirror.as_mut() {
                changes.extend(
                    m.take_timer_changes()
                        .into_iter()
                        .map(|c| timer_row("shadow", c)),
                );
            }
        }
        let shadowed = &self.shadowed;
        let mut set: Vec<TimerRow> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        for c in changes {
            match c {
                // The mirror's timers matter only for journeys in shadow.
                Ok(row)
                    if row.key.starts_with("shadow:")
                        && !row.journey.as_ref().is_some_and(|j| shadowed.contains(j)) => {}
                Ok(row) => {
                    at.insert(row.key.clone(), set.len());
                    set.push(row);
                }
                Err(key) => match at.remove(&key) {
                    Some(i) => set[i].key.clear(),
                    None => b.timers_done.push(key),
                },
            }
        }
        b.timers_set
            .extend(set.into_iter().filter(|r| !r.key.is_empty()));
        let mut dues = self.engine.schedule_dues();
        if let Some(m) = &self.mirror {
            dues.extend(m.schedule_dues().into_iter().filter(|(k, _)| {
                k.split('/')
                    .next()
                    .is_some_and(|j| self.shadowed.contains(j))
            }));
        }
        for (k, next) in dues {
            if self.schedule_rows.get(&k) == Some(&next) {
                continue;
            }
            let key = format!("schedule:{k}");
            match next {
                Some(due) => b.timers_set.push(TimerRow {
                    key,
                    due_ms: due.timestamp_millis(),
                    due_at: ts_string(due),
                    kind: "schedule".into(),
                    user_id: None,
                    journey: k.split('/').next().map(str::to_owned),
                }),
                None => b.timers_done.push(key),
            }
            self.schedule_rows.insert(k, next);
        }
    }

    /// The time an input applies at.
    pub fn time_for(&self, kind: &str, body: &Value, wall: Time) -> Time {
        let now = self.engine.now();
        let t = match self.clock {
            ClockMode::Wall => wall,
            ClockMode::Event => match kind {
                "event" | "tick" => body
                    .get(if kind == "tick" { "until" } else { "ts" })
                    .and_then(Value::as_str)
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|| now.unwrap_or(wall)),
                _ => now.unwrap_or(wall),
            },
        };
        now.map_or(t, |n| n.max(t))
    }

    /// Moves the clocks to `at` — on the event clock only once events have started it, so a
    /// deploy or profile before the first event does not set the clock to the wall's time.
    fn settle(&mut self, at: Time) {
        if self.clock == ClockMode::Wall || self.engine.now().is_some() {
            self.engine.advance_to(at);
            if let Some(m) = self.mirror.as_mut() {
                m.advance_to(at);
            }
        }
    }

    /// Applies one input at `at` to the engine (and the mirror). Decisions go to `out` with their
    /// shadow flag; `at` must come from [`Runtime::time_for`] or the journal.
    pub fn apply(
        &mut self,
        kind: &str,
        body: &Value,
        at: Time,
        out: &mut Vec<(Decision, bool)>,
    ) -> Applied {
        let result = match kind {
            "event" => {
                if let Ok(mut ev) = parse_event(body) {
                    ev.ts = at;
                    self.engine.handle(&ev);
                    if let Some(m) = self.mirror.as_mut() {
                        m.handle(&ev);
                    }
                }
                None
            }
            "profile" => {
                if let Ok(p) = parse_profile(body) {
                    self.settle(at);
                    if let Some(m) = self.mirror.as_mut() {
                        m.add_profile(p.clone());
                    }
                    self.engine.add_profile(p);
                }
                None
            }
            "tick" => {
                self.engine.advance_to(at);
                if let Some(m) = self.mirror.as_mut() {
                    m.advance_to(at);
                }
                None
            }
            "redeem" => {
                let instance = body["instance"].as_str().unwrap_or_default();
                let order = body["order"].as_str().unwrap_or_default();
                let amount = body["amount"]
                    .as_str()
                    .and_then(|s| s.parse::<Decimal>().ok())
                    .unwrap_or_default();
                let r = self.engine.redeem(instance, order, amount, at);
                if let Some(m) = self.mirror.as_mut() {
                    let _ = m.redeem(instance, order, amount, at);
                }
                Some(match r {
                    Ok(fresh) => json!({ "redeemed": true, "duplicate": !fresh }),
                    Err(e) => {
                        let code = match e {
                            trellis_engine::RedeemError::Unknown(_) => "E_NOT_FOUND",
                            trellis_engine::RedeemError::MinSpend { .. } => "E_BAD_REQUEST",
                            _ => "E_CONFLICT",
                        };
                        json!({ "error": { "code": code, "message": e.to_string(), "path": "/instance" } })
                    }
                })
            }
            "deploy" => {
                let ws = trellis_model::Workspace::from_json(&body["workspace"]).ok();
                let version = body["version"].as_u64().unwrap_or(1);
                let percent = body["rollout_percent"]
                    .as_u64()
                    .unwrap_or(100)
                    .clamp(1, 100);
                let ppm = (percent as u32) * (PPM / 100);
                let shadow = body["mode"] == "shadow";
                match ws {
                    Some(ws) => {
                        self.settle(at);
                        for j in &ws.journeys {
                            if let Some(c) = &j.campaign {
                                self.campaigns.insert((j.id.clone(), version), c.id.clone());
                            }
                        }
                        if shadow {
                            let m = self.mirror.get_or_insert_with(|| new_engine(None));
                            m.deploy(&ws, version, ppm);
                            for j in &ws.journeys {
                                self.shadowed.insert(j.id.clone());
                            }
                        } else {
                            // Funding: the ledger's budget account pays in the change of total.
                            for j in &ws.journeys {
                                if let Some(c) = &j.campaign {
                                    let total = units(c.budget.total.value);
                                    let had = self.funded.get(&c.id).copied().unwrap_or(0);
                                    if total != had {
                                        self.funded.insert(c.id.clone(), total);
                                        self.pending_legs.push((c.id.clone(), total - had));
                                    }
                                }
                            }
                            self.engine.deploy(&ws, version, ppm);
                            if let Some(m) = self.mirror.as_mut() {
                                m.deploy(&ws, version, ppm);
                            }
                            for o in &ws.offers {
                                self.pending_stock.push(StockOp::Set {
                                    offer: o.id.clone(),
                                    left: self
                                        .engine
                                        .stock_left(&o.id)
                                        .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
                                });
                            }
                            for j in &ws.journeys {
                                self.shadowed.remove(&j.id);
                            }
                        }
                        for j in &ws.journeys {
                            self.pending_deploys.push(trellis_store::DeploymentRow {
                                id: 0,
                                journey: j.id.clone(),
                                release_id: body["release"].as_str().unwrap_or_default().into(),
                                version: version as i64,
                                rollout_percent: percent as i64,
                                mode: if shadow { "shadow" } else { "live" }.into(),
                                action: "deploy".into(),
                                actor: body["actor"].as_str().unwrap_or_default().into(),
                                at: ts_string(at),
                            });
                        }
                        Some(json!({ "deployed": version }))
                    }
                    None => Some(
                        json!({ "error": { "code": "E_SCHEMA", "message": "the release's workspace does not read", "path": "/workspace" } }),
                    ),
                }
            }
            "delivery_failed" => {
                // The outbox gave up on a touch: the engine falls back to its next channel.
                let (ok, found) = match delivery_failure(body) {
                    Some(f) => {
                        let found = self.engine.delivery_failed(&f, at);
                        if let Some(m) = self.mirror.as_mut() {
                            let _ = m.delivery_failed(&f, at);
                        }
                        (true, found)
                    }
                    None => (false, false),
                };
                Some(json!({ "read": ok, "applied": found }))
            }
            "rollback" => {
                let journey = body["journey"].as_str().unwrap_or_default();
                self.settle(at);
                let r = self.engine.rollback(journey);
                if let Some(m) = self.mirror.as_mut() {
                    let _ = m.rollback(journey);
                }
                self.shadowed.remove(journey);
                if let Ok(v) = &r {
                    self.pending_deploys.push(trellis_store::DeploymentRow {
                        id: 0,
                        journey: journey.to_owned(),
                        release_id: body["release"].as_str().unwrap_or_default().into(),
                        version: *v as i64,
                        rollout_percent: 100,
                        mode: "live".into(),
                        action: "rollback".into(),
                        actor: body["actor"].as_str().unwrap_or_default().into(),
                        at: ts_string(at),
                    });
                }
                Some(match r {
                    Ok(v) => json!({ "version": v }),
                    Err(e) => {
                        json!({ "error": { "code": "E_NO_PREVIOUS", "message": e, "path": "/journey" } })
                    }
                })
            }
            _ => None,
        };
        for d in self.engine.drain() {
            out.push((d, false));
        }
        if let Some(m) = self.mirror.as_mut() {
            for d in m.drain() {
                if d.journey
                    .as_deref()
                    .is_some_and(|j| self.shadowed.contains(j))
                {
                    out.push((d, true));
                }
            }
        }
        Applied { result }
    }
}

impl Runtime {
    /// Ledger legs, instance rows and outbox rows for a decision, added to the batch. `trace_id`
    /// is the trace of the input that caused it: the record carries it (the simulator's log has
    /// no such field), and so does an outbox row's payload, for the delivery's `traceparent`.
    pub fn project(
        &mut self,
        d: &Decision,
        shadow: bool,
        proc_seq: i64,
        trace_id: Option<&str>,
        b: &mut Batch,
    ) {
        let mut record = d.to_map();
        if shadow {
            record.insert("shadow".into(), Value::Bool(true));
        }
        if let Some(t) = trace_id {
            record.insert("trace_id".into(), Value::from(t));
        }
        let get = |k: &str| record.get(k).cloned().unwrap_or(Value::Null);
        let user = d.user_id.as_deref().map(str::to_owned);
        if !shadow {
            let campaign = d.journey.as_deref().and_then(|j| {
                self.campaigns
                    .get(&(j.to_owned(), d.version.unwrap_or(1)))
                    .cloned()
            });
            let amount = get("amount")
                .as_str()
                .and_then(|s| s.parse::<Decimal>().ok())
                .map(units)
                .unwrap_or(0);
            let instance = get("instance").as_str().map(str::to_owned);
            let mut legs = |from: &'static str, to: &'static str, memo: &'static str| {
                if let Some(c) = &campaign {
                    for (acct, amt) in [(from, -amount), (to, amount)] {
                        b.ledger.push(LedgerLeg {
                            proc_seq,
                            campaign: c.clone(),
                            account: acct,
                            amount: amt,
                            instance: instance.clone(),
                            memo,
                        });
                    }
                }
            };
            match d.kind {
                "offer.issued" => {
                    let coupon = !get("expires_at").is_null();
                    if coupon {
                        legs("available", "reserved", "issued");
                    } else {
                        legs("available", "spent", "issued");
                    }
                    let offer = get("offer").as_str().unwrap_or_default().to_owned();
                    if self.engine.stock_left(&offer).is_some() {
                        b.stock.push(StockOp::Take {
                            offer,
                            instance: instance.clone().unwrap_or_default(),
                        });
                    }
                    b.instances.push(InstanceRow {
                        instance: instance.clone().unwrap_or_default(),
                        offer: get("offer").as_str().unwrap_or_default().to_owned(),
                        user_id: user.clone().unwrap_or_default(),
                        campaign: campaign.clone(),
                        amount,
                        status: if coupon { "active" } else { "granted" }.into(),
                        expires_at: get("expires_at").as_str().map(str::to_owned),
                        proc_seq,
                    });
                }
                "offer.redeemed" | "offer.expired" => {
                    let redeemed = d.kind == "offer.redeemed";
                    if redeemed {
                        legs("reserved", "spent", "redeemed");
                    } else {
                        legs("reserved", "available", "expired");
                    }
                    b.instances.push(InstanceRow {
                        instance: instance.clone().unwrap_or_default(),
                        offer: String::new(),
                        user_id: user.clone().unwrap_or_default(),
                        campaign: campaign.clone(),
                        amount,
                        status: if redeemed { "redeemed" } else { "expired" }.into(),
                        expires_at: None,
                        proc_seq,
                    });
                }
                "touch.sent" => {
                    let channel = get("channel").as_str().unwrap_or_default().to_owned();
                    let sent = self.sent.lock().ok().and_then(|mut q| q.pop_front());
                    // The message the engine sent for this decision (they come in one order).
                    let sent = sent.filter(|m| {
                        user.as_deref() == Some(m.user_id.as_str())
                            && d.journey.as_deref() == Some(m.journey.as_str())
                            && d.node.as_deref() == Some(m.node.as_str())
                            && m.channel == channel
                    });
                    b.outbox.push(OutboxRow {
                        dedup: format!("touch-{}", d.seq),
                        user_id: user.clone().unwrap_or_default(),
                        template: get("template").as_str().unwrap_or_default().to_owned(),
                        payload: json!({
                            "user_id": user,
                            "channel": channel,
                            "template": get("template"),
                            "journey": get("journey"),
                            "version": get("version"),
                            "node": get("node"),
                            "ts": get("ts"),
                            "to": sent.as_ref().and_then(|m| m.to.clone()),
                            "content": sent.and_then(|m| m.content),
                            "trace_id": trace_id,
                        })
                        .to_string(),
                        channel,
                        at: ts_string(d.ts),
                    });
                }
                _ => {}
            }
        }
        b.decisions.push(DecisionRow {
            proc_seq,
            ts: ts_string(d.ts),
            user_id: user,
            journey: d.journey.as_deref().map(str::to_owned),
            kind: d.kind.to_owned(),
            shadow,
            record: Value::Object(record).to_string(),
            trace_id: trace_id.map(str::to_owned),
        });
    }

    /// Funding legs recorded while applying a deploy, moved into the batch.
    pub fn take_legs(&mut self, proc_seq: i64, b: &mut Batch) {
        for (campaign, amount) in self.pending_legs.drain(..) {
            for (acct, amt) in [("budget", -amount), ("available", amount)] {
                b.ledger.push(LedgerLeg {
                    proc_seq,
                    campaign: campaign.clone(),
                    account: acct,
                    amount: amt,
                    instance: None,
                    memo: "funded",
                });
            }
        }
    }

    /// Applies journal rows written by the engine's holder (outputs are already stored).
    pub fn apply_journal(&mut self, rows: &[trellis_store::JournalRow]) {
        let mut sink = Vec::new();
        for r in rows {
            let body: Value = r
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str(b).ok())
                .unwrap_or_else(|| Value::Object(Map::new()));
            let at = DateTime::parse_from_rfc3339(&r.at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|_| now_utc());
            self.apply(&r.kind, &body, at, &mut sink);
            sink.clear();
            self.forget_sent();
            self.pending_legs.clear();
            self.pending_deploys.clear();
            self.pending_stock.clear();
            // Stored already by the holder that applied these rows.
            self.engine.take_timer_changes();
            if let Some(m) = self.mirror.as_mut() {
                m.take_timer_changes();
            }
            self.proc_seq = r.proc_seq;
        }
    }

    /// Replays the journal from the store into a fresh runtime.
    pub async fn replay(store: &Store, clock: ClockMode) -> trellis_store::Result<Runtime> {
        let mut rt = Runtime::new(clock);
        loop {
            let rows = store.journal(rt.proc_seq, 5_000).await?;
            if rows.is_empty() {
                break;
            }
            rt.apply_journal(&rows);
        }
        Ok(rt)
    }

    /// Applies inputs (and, on the wall clock, a tick when something fell due) and writes them as
    /// one fenced batch. Returns the number of journal entries written.
    pub fn step(
        &mut self,
        inputs: &[trellis_store::InputRow],
        wall: Time,
        b: &mut Batch,
    ) -> Vec<(i64, Option<Value>)> {
        let mut answers = Vec::new();
        let mut out = Vec::new();
        for i in inputs {
            let body: Value = serde_json::from_str(&i.body).unwrap_or(Value::Null);
            let at = self.time_for(&i.kind, &body, wall);
            self.proc_seq += 1;
            let p = self.proc_seq;
            let trace_id = i
                .trace_id
                .clone()
                .unwrap_or_else(|| crate::trace::derived_trace_id(i.seq, &i.body));
            let applied = self.apply(&i.kind, &body, at, &mut out);
            tracing::debug!(
                seq = i.seq,
                proc_seq = p,
                kind = %i.kind,
                trace_id = %trace_id,
                decisions = out.len(),
                "input applied"
            );
            let result = applied.result.as_ref().map(|v| v.to_string());
            b.journal.push(JournalEntry {
                proc_seq: p,
                input_seq: Some(i.seq),
                kind: i.kind.clone(),
                at: ts_string(at),
                result: result.clone(),
            });
            self.take_legs(p, b);
            b.deployments.append(&mut self.pending_deploys);
            b.stock.append(&mut self.pending_stock);
            for (d, shadow) in out.drain(..) {
                self.project(&d, shadow, p, Some(&trace_id), b);
            }
            if i.kind == "profile" {
                if let Some(u) = body["user_id"].as_str() {
                    b.profiles
                        .push((u.to_owned(), i.body.clone(), ts_string(at)));
                }
            }
            self.forget_sent();
            answers.push((i.seq, applied.result));
        }
        // Timers fire through `tick` inputs, which the scheduler appends when it claims due
        // timer rows (`Store::claim_due_timers`); the rows change here, with the batch.
        self.take_timers(b);
        answers
    }

    /// Drops sent messages whose decisions are not projected here (replay; stored already).
    fn forget_sent(&self) {
        if let Ok(mut q) = self.sent.lock() {
            q.clear();
        }
    }
}

/// The body of a `delivery_failed` input: `{outbox, user_id, journey, version, node, channel,
/// sent_at, reason}` (written by the outbox deliverer from the failed row's payload).
fn delivery_failure(body: &Value) -> Option<DeliveryFailure<'_>> {
    Some(DeliveryFailure {
        user_id: body["user_id"].as_str()?,
        journey: body["journey"].as_str()?,
        version: body["version"].as_u64()?,
        node: body["node"].as_str()?,
        channel: Channel::parse(body["channel"].as_str()?)?,
        sent_at: DateTime::parse_from_rfc3339(body["sent_at"].as_str()?)
            .ok()?
            .with_timezone(&Utc),
        reason: body["reason"].as_str().unwrap_or_default(),
    })
}
