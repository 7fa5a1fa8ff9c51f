//! The runtime: the engine (and, while a shadow deployment runs, its mirror) as a deterministic
//! fold over the journal. One process at a time holds the engine lease and applies new inputs;
//! whoever takes the lease first replays the journal, so a restart or a second process resumes
//! exactly where the last commit left off: nothing applied twice, nothing lost.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use trellis_engine::TimerChange;
use trellis_engine::{
    ts_string, Decision, DecisionKind, Deploy, DeployMode, Engine, Input, Options, Outcome,
};
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
    /// The journal entry of the newest snapshot this runtime wrote or was restored from.
    pub snapshot_seq: i64,
    /// Journal entries replayed when this runtime was built ([`Runtime::replay`]).
    pub replayed: u64,
    /// (journey, version) → campaign, for ledger legs.
    campaigns: HashMap<(String, u64), String>,
    /// (journey, version) → the release that deployed it live, for the deployment row of a
    /// guardrail's rollback.
    releases: HashMap<(String, u64), String>,
    funded: HashMap<String, i64>,
    /// Budget legs of the deploy or close being applied: (campaign, amount moved from the
    /// budget account to `available`, negative for a release, memo).
    pending_legs: Vec<(String, i64, &'static str)>,
    /// Deployment rows of the deploy or rollback being applied.
    pub pending_deploys: Vec<trellis_store::DeploymentRow>,
    /// Stock rows to set, from the deploy being applied.
    pending_stock: Vec<StockOp>,
    /// The schedule rows as last written: `journey/node` → next tick.
    schedule_rows: HashMap<String, Option<Time>>,
    /// Whether this runtime has written the timer rows afresh since it began to step (a new
    /// engine holder does it once, in its first batch).
    timers_synced: bool,
    /// The `decide` inputs this runtime applied in the last minute (input seq, and when, in
    /// order), for [`applied_decide`](Self::applied_decide).
    decided: std::collections::VecDeque<(Time, i64)>,
    decided_seqs: HashSet<i64>,
}

/// The outcome of applying one input.
pub struct Applied {
    pub result: Option<Value>,
}

/// An engine for the service: touches are recorded as sent (the outbox delivers them, from the
/// `touch.sent` decision, which carries the address and the content).
fn new_engine() -> Engine {
    let mut e = Engine::new(trellis_model::Workspace::default(), Options::default());
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
        Runtime {
            engine: new_engine(),
            // Always on, so a shadow version sees the same history as the live one.
            mirror: Some(new_engine()),
            shadowed: HashSet::new(),
            clock,
            proc_seq: 0,
            snapshot_seq: 0,
            replayed: 0,
            campaigns: HashMap::new(),
            releases: HashMap::new(),
            funded: HashMap::new(),
            pending_legs: Vec::new(),
            pending_deploys: Vec::new(),
            pending_stock: Vec::new(),
            schedule_rows: HashMap::new(),
            timers_synced: false,
            decided: Default::default(),
            decided_seqs: HashSet::new(),
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
        // One row for the clock's next move of segment membership (`docs/segments.md`).
        dues.push(("segments".to_owned(), self.engine.segment_due()));
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
                    kind: if k == "segments" {
                        "segments"
                    } else {
                        "schedule"
                    }
                    .into(),
                    user_id: None,
                    journey: k.split_once('/').map(|(j, _)| j.to_owned()),
                }),
                None => b.timers_done.push(key),
            }
            self.schedule_rows.insert(k, next);
        }
    }

    /// The time an input applies at: the wall's on the wall clock; on the event clock an
    /// event's own time (a tick's `until`), never before the engine's clock.
    pub fn time_for(&self, input: &Input, wall: Time) -> Time {
        let now = self.engine.now();
        let t = match self.clock {
            ClockMode::Wall => wall,
            ClockMode::Event => input.own_time().or(now).unwrap_or(wall),
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
    pub fn apply(&mut self, input: &Input, at: Time, out: &mut Vec<(Decision, bool)>) -> Applied {
        let controls_before = self.engine.controls().history.len();
        let outcome = match input {
            Input::Event(_) | Input::Tick(_) | Input::Decide(_) => {
                if let Some(m) = self.mirror.as_mut() {
                    m.apply(input, at);
                }
                self.engine.apply(input, at)
            }
            Input::Profile(p) => {
                self.settle(at);
                if let Some(m) = self.mirror.as_mut() {
                    m.add_profile(p.clone());
                }
                self.engine.apply(input, at)
            }
            Input::Redeem(_) | Input::DeliveryFailed(_) => {
                if let Some(m) = self.mirror.as_mut() {
                    m.apply(input, at);
                }
                self.engine.apply(input, at)
            }
            Input::Deploy(d) => self.deploy(d, at),
            Input::Pause(_) | Input::Resume(_) | Input::Degrade(_) | Input::ResetBreaker(_) => {
                self.settle(at);
                if let Some(m) = self.mirror.as_mut() {
                    m.apply(input, at);
                }
                self.engine.apply(input, at)
            }
            Input::Close(c) => {
                self.settle(at);
                if let Some(m) = self.mirror.as_mut() {
                    m.apply(input, at);
                }
                let outcome = self.engine.apply(input, at);
                // The release: what was neither reserved nor spent goes back to the budget.
                if let Outcome::Control(Ok(r)) = &outcome {
                    let released = r
                        .released
                        .as_deref()
                        .and_then(|t| t.parse::<Decimal>().ok())
                        .map_or(0, units);
                    if released != 0 {
                        // Kept for the record: a closed campaign is never funded again.
                        *self.funded.entry(c.campaign.clone()).or_default() -= released;
                        self.pending_legs
                            .push((c.campaign.clone(), -released, "released"));
                    }
                }
                outcome
            }
            Input::Rollback(r) => {
                self.settle(at);
                let outcome = self.engine.apply(input, at);
                if let Some(m) = self.mirror.as_mut() {
                    m.apply(input, at);
                }
                self.shadowed.remove(&r.journey);
                if let Outcome::RolledBack(Ok(v)) = &outcome {
                    self.pending_deploys.push(trellis_store::DeploymentRow {
                        id: 0,
                        journey: r.journey.clone(),
                        release_id: r.release.clone().unwrap_or_default(),
                        version: *v as i64,
                        rollout_percent: 100,
                        mode: "live".into(),
                        action: "rollback".into(),
                        actor: r.actor.clone(),
                        at: ts_string(at),
                    });
                }
                outcome
            }
        };
        self.note_own_controls(controls_before, at);
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
        Applied {
            result: outcome.to_json(),
        }
    }

    /// What the engine did by itself while applying an input (the controls' history from
    /// `before` on): a guardrail's rollback goes to the deployments' history (and to the
    /// mirror), and every such control to the service's log.
    fn note_own_controls(&mut self, before: usize, at: Time) {
        let history = &self.engine.controls().history;
        if history.len() <= before {
            return;
        }
        let new: Vec<trellis_engine::ControlRecord> = history[before..]
            .iter()
            .filter(|r| r.actor == "engine")
            .cloned()
            .collect();
        for r in new {
            tracing::warn!(
                action = %r.action,
                target = %r.target,
                reason = %r.reason,
                "the engine applied a control by itself"
            );
            if r.action != "guardrail_rollback" {
                continue;
            }
            let Some(&(version, _)) = self.engine.deployments(&r.target).last() else {
                continue;
            };
            // Rolled back when the journey's live version is no longer the one guarded (a first
            // version stays live with its entries paused).
            if r.version != Some(version) {
                if let Some(m) = self.mirror.as_mut() {
                    let _ = m.rollback(&r.target);
                }
                let Some(release) = self.releases.get(&(r.target.clone(), version)).cloned() else {
                    tracing::error!(journey = %r.target, version, "no release is known for the version a guardrail rolled back to");
                    continue;
                };
                self.pending_deploys.push(trellis_store::DeploymentRow {
                    id: 0,
                    journey: r.target.clone(),
                    release_id: release,
                    version: version as i64,
                    rollout_percent: 100,
                    mode: "live".into(),
                    action: "guardrail_rollback".into(),
                    actor: "engine".into(),
                    at: ts_string(at),
                });
            }
        }
    }

    /// A deploy: live (funding the campaigns' ledgers with the change of their totals, setting
    /// stock rows) or into the shadow mirror.
    fn deploy(&mut self, d: &Deploy, at: Time) -> Outcome {
        let ws = match d.read_workspace() {
            Ok(ws) => ws,
            Err(why) => return Outcome::NotDeployed(why),
        };
        let (version, ppm) = (d.version, d.rollout_ppm());
        let shadow = d.mode == DeployMode::Shadow;
        self.settle(at);
        for j in &ws.journeys {
            if let Some(c) = &j.campaign {
                self.campaigns.insert((j.id.clone(), version), c.id.clone());
            }
        }
        if shadow {
            let m = self.mirror.get_or_insert_with(new_engine);
            m.deploy(&ws, version, ppm);
            for j in &ws.journeys {
                self.shadowed.insert(j.id.clone());
            }
        } else {
            // Funding: the ledger's budget account pays in the change of total.
            for j in &ws.journeys {
                if let Some(c) = &j.campaign {
                    // A closed campaign is not funded again.
                    if self.engine.campaign_closed(&c.id) {
                        continue;
                    }
                    let total = units(c.budget.total.value);
                    let had = self.funded.get(&c.id).copied().unwrap_or(0);
                    if total != had {
                        self.funded.insert(c.id.clone(), total);
                        self.pending_legs
                            .push((c.id.clone(), total - had, "funded"));
                    }
                }
            }
            self.engine.deploy(&ws, version, ppm);
            for j in &ws.journeys {
                self.releases
                    .insert((j.id.clone(), version), d.release.clone());
            }
            let ids: Vec<String> = ws.journeys.iter().map(|j| j.id.clone()).collect();
            self.engine.watch(&ids, version, &d.guardrails);
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
                release_id: d.release.clone(),
                version: version as i64,
                rollout_percent: i64::from(d.percent()),
                mode: if shadow { "shadow" } else { "live" }.into(),
                action: "deploy".into(),
                actor: d.actor.clone(),
                at: ts_string(at),
            });
        }
        Outcome::Deployed(version)
    }
}

impl Runtime {
    /// Whether this runtime applied the `decide` input `seq` (in the last minute): the
    /// deadline's proof (`decide.rs`).
    pub fn applied_decide(&self, seq: i64) -> bool {
        self.decided_seqs.contains(&seq)
    }

    fn note_decide(&mut self, seq: i64, wall: Time) {
        let from = wall - chrono::Duration::seconds(60);
        while let Some(&(t, s)) = self.decided.front() {
            if t >= from {
                break;
            }
            self.decided.pop_front();
            self.decided_seqs.remove(&s);
        }
        self.decided.push_back((wall, seq));
        self.decided_seqs.insert(seq);
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
        // The log's line, with the service's fields after the engine's.
        let mut record = Vec::with_capacity(256);
        d.write_json(&mut record);
        record.pop(); // the closing brace
        if shadow {
            record.extend_from_slice(b",\"shadow\":true");
        }
        if let Some(t) = trace_id {
            record.extend_from_slice(b",\"trace_id\":");
            // Writing to a vector cannot fail.
            let _ = serde_json::to_writer(&mut record, t);
        }
        record.push(b'}');
        let user = d.user_id.as_deref().map(str::to_owned);
        if !shadow {
            let campaign = d.journey.as_deref().and_then(|j| {
                self.campaigns
                    .get(&(j.to_owned(), d.version.unwrap_or(1)))
                    .cloned()
            });
            let closed = campaign
                .as_deref()
                .is_some_and(|c| self.engine.campaign_closed(c));
            let mut legs = |instance: &str,
                            amount: Decimal,
                            from: &'static str,
                            to: &'static str,
                            memo: &'static str| {
                if let Some(c) = &campaign {
                    let amount = units(amount);
                    for (acct, amt) in [(from, -amount), (to, amount)] {
                        b.ledger.push(LedgerLeg {
                            proc_seq,
                            campaign: c.clone(),
                            account: acct,
                            amount: amt,
                            instance: Some(instance.to_owned()),
                            memo,
                        });
                    }
                }
            };
            match &d.kind {
                DecisionKind::OfferIssued {
                    offer,
                    instance,
                    amount,
                    expires_at,
                } => {
                    // A coupon (it expires) is reserved until redeemed; cash and points are spent.
                    let coupon = expires_at.is_some();
                    if coupon {
                        legs(instance, *amount, "available", "reserved", "issued");
                    } else {
                        legs(instance, *amount, "available", "spent", "issued");
                    }
                    if self.engine.stock_left(offer).is_some() {
                        b.stock.push(StockOp::Take {
                            offer: offer.to_string(),
                            instance: instance.to_string(),
                        });
                    }
                    b.instances.push(InstanceRow {
                        instance: instance.to_string(),
                        offer: offer.to_string(),
                        user_id: user.clone().unwrap_or_default(),
                        campaign: campaign.clone(),
                        amount: units(*amount),
                        status: if coupon { "active" } else { "granted" }.into(),
                        expires_at: expires_at.map(ts_string),
                        proc_seq,
                    });
                }
                DecisionKind::OfferRedeemed {
                    instance, amount, ..
                }
                | DecisionKind::OfferExpired { instance, amount } => {
                    let redeemed = matches!(d.kind, DecisionKind::OfferRedeemed { .. });
                    if redeemed {
                        legs(instance, *amount, "reserved", "spent", "redeemed");
                    } else {
                        legs(instance, *amount, "reserved", "available", "expired");
                        // A closed campaign's expired coupon is released at once.
                        if closed {
                            legs(instance, *amount, "available", "budget", "released");
                        }
                    }
                    b.instances.push(InstanceRow {
                        instance: instance.to_string(),
                        offer: String::new(),
                        user_id: user.clone().unwrap_or_default(),
                        campaign: campaign.clone(),
                        amount: units(*amount),
                        status: if redeemed { "redeemed" } else { "expired" }.into(),
                        expires_at: None,
                        proc_seq,
                    });
                }
                DecisionKind::TouchSent {
                    channel,
                    template,
                    to,
                    content,
                    ..
                } => {
                    let channel = channel.as_str().to_owned();
                    b.outbox.push(OutboxRow {
                        dedup: format!("touch-{}", d.seq),
                        user_id: user.clone().unwrap_or_default(),
                        template: template.to_string(),
                        payload: json!({
                            "user_id": user,
                            "channel": channel,
                            "template": template,
                            "journey": d.journey.as_deref(),
                            "version": d.version,
                            "node": d.node.as_deref(),
                            "ts": ts_string(d.ts),
                            "to": to,
                            "content": content,
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
            kind: d.kind.name().to_owned(),
            shadow,
            // The engine writes UTF-8 JSON.
            record: String::from_utf8(record).unwrap_or_default(),
            trace_id: trace_id.map(str::to_owned),
        });
    }

    /// Funding legs recorded while applying a deploy, moved into the batch.
    pub fn take_legs(&mut self, proc_seq: i64, b: &mut Batch) {
        for (campaign, amount, memo) in self.pending_legs.drain(..) {
            for (acct, amt) in [("budget", -amount), ("available", amount)] {
                b.ledger.push(LedgerLeg {
                    proc_seq,
                    campaign: campaign.clone(),
                    account: acct,
                    amount: amt,
                    instance: None,
                    memo,
                });
            }
        }
    }

    /// Applies journal rows written by the engine's holder (outputs are already stored).
    /// A row whose time does not read stops the replay with an error naming it: the fold never
    /// takes a time from anywhere but the journal. A row whose input does not read applies
    /// nothing, as it did when it was first applied (see [`Runtime::step`]).
    pub fn apply_journal(&mut self, rows: &[trellis_store::JournalRow]) -> Result<(), String> {
        let mut sink = Vec::new();
        for r in rows {
            let at = DateTime::parse_from_rfc3339(&r.at)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    format!(
                        "journal entry {} ({}) has a time {:?} that does not read: {e}",
                        r.proc_seq, r.kind, r.at
                    )
                })?;
            if let Ok(input) = Input::from_parts(&r.kind, r.body.as_deref().unwrap_or("null")) {
                self.apply(&input, at, &mut sink);
            }
            sink.clear();
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
        Ok(())
    }

    /// The runtime's state after its last journal entry, as a snapshot row: the engine's and
    /// the mirror's snapshots and the runtime's own maps. Taken between batches.
    pub fn snapshot(&self, at: Time) -> trellis_store::SnapshotRow {
        let text = |e: &Engine| {
            let mut out = Vec::new();
            e.write_snapshot(&mut out);
            // serde_json writes UTF-8.
            String::from_utf8(out).unwrap_or_default()
        };
        let mut shadowed: Vec<&String> = self.shadowed.iter().collect();
        shadowed.sort();
        let mut campaigns: Vec<(&str, u64, &str)> = self
            .campaigns
            .iter()
            .map(|((j, v), c)| (j.as_str(), *v, c.as_str()))
            .collect();
        campaigns.sort();
        let mut releases: Vec<(&str, u64, &str)> = self
            .releases
            .iter()
            .map(|((j, v), r)| (j.as_str(), *v, r.as_str()))
            .collect();
        releases.sort();
        let state = json!({
            "format": 1,
            "proc_seq": self.proc_seq,
            "shadowed": shadowed,
            "campaigns": campaigns,
            "releases": releases,
            "funded": self.funded.iter().collect::<std::collections::BTreeMap<_, _>>(),
            "schedule_rows": self.schedule_rows.iter().map(|(k, v)| (k, v.map(ts_string))).collect::<std::collections::BTreeMap<_, _>>(),
        });
        trellis_store::SnapshotRow {
            proc_seq: self.proc_seq,
            runtime: state.to_string(),
            engine: text(&self.engine),
            mirror: self.mirror.as_ref().map(text),
            created_at: ts_string(at),
        }
    }

    /// A runtime restored from a snapshot row, at its journal entry.
    pub fn from_snapshot(
        clock: ClockMode,
        s: &trellis_store::SnapshotRow,
    ) -> Result<Runtime, String> {
        #[derive(serde::Deserialize)]
        struct State {
            format: u32,
            proc_seq: i64,
            shadowed: Vec<String>,
            campaigns: Vec<(String, u64, String)>,
            #[serde(default)]
            releases: Vec<(String, u64, String)>,
            funded: HashMap<String, i64>,
            schedule_rows: HashMap<String, Option<Time>>,
        }
        let st: State = serde_json::from_str(&s.runtime)
            .map_err(|e| format!("snapshot {}: the runtime's state: {e}", s.proc_seq))?;
        if st.format != 1 || st.proc_seq != s.proc_seq {
            return Err(format!(
                "snapshot {}: format {} at entry {}",
                s.proc_seq, st.format, st.proc_seq
            ));
        }
        let mut rt = Runtime::new(clock);
        let engine = Engine::restore_snapshot(s.engine.as_bytes())
            .map_err(|e| format!("snapshot {}: the engine: {e}", s.proc_seq))?;
        rt.engine = engine;
        rt.mirror = match &s.mirror {
            Some(m) => {
                let m = Engine::restore_snapshot(m.as_bytes())
                    .map_err(|e| format!("snapshot {}: the mirror: {e}", s.proc_seq))?;
                Some(m)
            }
            None => None,
        };
        rt.shadowed = st.shadowed.into_iter().collect();
        rt.campaigns = st
            .campaigns
            .into_iter()
            .map(|(j, v, c)| ((j, v), c))
            .collect();
        rt.releases = st
            .releases
            .into_iter()
            .map(|(j, v, r)| ((j, v), r))
            .collect();
        rt.funded = st.funded;
        rt.schedule_rows = st.schedule_rows;
        rt.proc_seq = st.proc_seq;
        rt.snapshot_seq = st.proc_seq;
        Ok(rt)
    }

    /// Builds the runtime from the store: the newest snapshot (if there is one and it
    /// restores), then the journal after it.
    pub async fn replay(store: &Store, clock: ClockMode) -> trellis_store::Result<Runtime> {
        let mut rt = match store.latest_snapshot().await? {
            Some(s) => match Runtime::from_snapshot(clock, &s) {
                Ok(rt) => {
                    tracing::info!(
                        proc_seq = s.proc_seq,
                        "restored the runtime from its snapshot"
                    );
                    rt
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the snapshot does not restore: replaying the whole journal");
                    Runtime::new(clock)
                }
            },
            None => Runtime::new(clock),
        };
        loop {
            let rows = store.journal(rt.proc_seq, 5_000).await?;
            if rows.is_empty() {
                break;
            }
            rt.replayed += rows.len() as u64;
            rt.apply_journal(&rows)
                .map_err(trellis_store::Error::Conflict)?;
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
            let input = Input::from_parts(&i.kind, &i.body);
            let at = match &input {
                Ok(input) => self.time_for(input, wall),
                Err(_) => self.engine.now().unwrap_or(wall),
            };
            self.proc_seq += 1;
            let p = self.proc_seq;
            let trace_id = i
                .trace_id
                .clone()
                .unwrap_or_else(|| crate::trace::derived_trace_id(i.seq, &i.body));
            let result = match &input {
                Ok(input) => self.apply(input, at, &mut out).result,
                // Checked at ingest, so only a damaged row or a kind from a later release: it
                // applies nothing, and its journal entry says why.
                Err(e) => {
                    tracing::warn!(seq = i.seq, trace_id = %trace_id, error = %e, "input not applied");
                    Some(
                        json!({ "error": { "code": "E_BAD_REQUEST", "message": e.to_string(), "path": "" } }),
                    )
                }
            };
            tracing::debug!(
                seq = i.seq,
                proc_seq = p,
                kind = %i.kind,
                trace_id = %trace_id,
                decisions = out.len(),
                "input applied"
            );
            // A placement answer carries the trace of the request it answers, so a repeated
            // request_id gets the very same answer.
            let result = match (result, &input) {
                (Some(Value::Object(mut m)), Ok(Input::Decide(_))) => {
                    m.insert("trace_id".into(), Value::String(trace_id.clone()));
                    self.note_decide(i.seq, wall);
                    Some(Value::Object(m))
                }
                (r, _) => r,
            };
            let applied = Applied { result };
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
            if let Ok(Input::Profile(prof)) = &input {
                b.profiles
                    .push((prof.user_id.clone(), i.body.clone(), ts_string(at)));
            }
            answers.push((i.seq, applied.result));
        }
        // Timers fire through `tick` inputs, which the scheduler appends when it claims due
        // timer rows (`Store::claim_due_timers`); the rows change here, with the batch.
        self.take_timers(b);
        answers
    }
}
