//! The journey engine. Deterministic: time comes only with the inputs (event timestamps and
//! `advance_to`), every tie is broken as `semantics.md` says, and ids are counters.

use crate::fast::{FastMap, FastSet, IdSet};
use crate::hash::{bucket_ppm, pick, pick_experiment};
use crate::input::{ts_string, Event, Profile};
use crate::report::Report;
use chrono::{
    DateTime, Datelike, Duration as ChronoDuration, NaiveDateTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use trellis_model::{
    decimal_string, AttributionModel, Channel, Journey, NodeKind, OfferKind, QuietMode, ReEntry,
    Workspace,
};
use trellis_rules::compile::Memo;
use trellis_rules::{CompiledCondition, Facts, FieldPath};

mod aggregates;
mod attribution;
mod brakes;
mod compile;
mod consent;
mod control;
mod decide;
mod entry;
mod facts;
mod guards;
mod ledger;
mod log;
mod measure;
mod nodes;
mod paths;
mod schedule;
mod segments;
mod snapshot;
mod state;
mod timers;
mod view;
mod walk;

pub use self::brakes::{BreakerNow, CampaignNow, PacingNow};
pub use self::control::{
    ControlError, ControlRecord, Controls, Degrade, PauseScope, Switch, TouchMode,
};
pub use self::decide::{AnswerKind, AnsweredOffer, PlacementAnswer};
pub use self::guards::{AlertSignal, GuardMetric, Guardrail};
pub use self::ledger::RedeemError;
pub use self::log::{
    Attributed, Decision, DecisionKind, ExitReason, Holdout, NoAnswer, RejectReason, SkipReason,
    SuppressReason,
};
pub use self::nodes::touch::{Channels, DeliveryFailure, Message, Recorded};
pub use self::segments::SegmentDetail;
pub use self::snapshot::{RestoreError, SNAPSHOT_FORMAT};
pub use self::timers::TimerChange;
use self::{
    brakes::Gate, compile::*, facts::*, guards::Seen, ledger::*, log::*, nodes::*, schedule::*,
    state::*, timers::*,
};

type Time = DateTime<Utc>;

/// The port a node leaves by.
type Port = Cow<'static, str>;

/// A whole rollout, in parts per million.
pub const PPM: u32 = 1_000_000;

/// Options of a run.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Options {
    /// Keep per-day budget burn in the report.
    pub burn_by_day: bool,
    /// A model of the workspace's `models` scored at every entry of a journey without a
    /// `gate.uplift`, as if a gate with `threshold` stood after its trigger (the sandbox's
    /// "attach a model": `docs/uplift.md`). It passes everyone; the report's `uplift` section
    /// says what such a gate would do, under the node key `entry`.
    #[serde(default)]
    pub attach_model: Option<AttachModel>,
}

/// See [`Options::attach_model`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AttachModel {
    pub model: String,
    pub threshold: f64,
}

/// Takes lines of the decision log as the engine writes them (see [`Engine::set_sink`]);
/// returns false when it has stopped.
pub type Sink = Box<dyn FnMut(&mut Vec<u8>) -> bool + Send>;

pub struct Engine {
    ws: Workspace,
    /// The workspace the engine was made with, and the deployments given since, in order: what
    /// a snapshot restores the compiled journeys from.
    base: Workspace,
    deploys: Vec<snapshot::Deployed>,
    channels: Box<dyn Channels>,
    policy: std::sync::Arc<trellis_model::Policy>,
    /// Event types any journey reacts to (triggers, patterns, waits, goals); others skip the
    /// journey pass entirely.
    interesting: FastMap<String, u32>,
    keys: Keys,
    local_cache: std::cell::RefCell<Option<(Time, (Value, Value))>>,
    tz: Tz,
    journeys: Vec<CJourney>,
    lineages: Vec<Lineage>,
    /// Journey indexes in priority order (higher first), then id.
    order: Vec<usize>,
    users: Vec<User>,
    user_index: FastMap<Box<str>, usize>,
    timers: BinaryHeap<Reverse<(Time, u64, Timer)>>,
    timer_seq: u64,
    schedules: Vec<Schedule>,
    coupons: Vec<Coupon>,
    coupon_index: FastMap<Box<str>, usize>,
    stock: Vec<Option<u64>>,
    ledgers: FastMap<String, Ledger>,
    hourly: FastMap<(String, i64), Decimal>,
    seen_events: IdSet,
    now: Option<Time>,
    seq: u64,
    inst_seq: u64,
    out: Vec<Decision>,
    /// Where decisions go as they are made, as log lines, when set (see
    /// [`set_sink`](Self::set_sink)).
    sink: Option<LineSink>,
    /// The sink said it had stopped.
    sink_stopped: bool,
    /// Timers set and fired since last taken, when the caller keeps them as rows (the
    /// service's `timers` table; see [`track_timers`](Self::track_timers)).
    timer_changes: Option<Vec<TimerChange>>,
    pub report: Report,
    /// What outcome measurement knows of its journeys and experiments.
    measures: measure::Measures,
    /// The attribution analysis's closed paths (`paths.rs`).
    paths: paths::Paths,
    /// The workspace's aggregates (every user's state of them is in their record).
    aggs: aggregates::Aggs,
    /// The workspace's segments and every user's membership of them.
    segs: segments::Segs,
    /// Pauses and closes in force, and their history (`control.rs`).
    controls: control::Controls,
    options: Options,
    /// [`Options::attach_model`]'s model, resolved from the workspace.
    attached: Option<(Arc<CGate>, f64)>,
    /// The placement request being answered (`decide.rs`), only while one is applied.
    deciding: Option<Box<decide::Deciding>>,
}

impl Engine {
    /// Builds an engine over a workspace that validated without errors.
    pub fn new(ws: Workspace, options: Options) -> Engine {
        let tz = ws.policy().tz();
        let mut journeys = Vec::new();
        for j in &ws.journeys {
            let mut cj = compile_journey(j);
            cj.resolve_offers(&ws.offers, &[]);
            cj.resolve_gates(&ws.models);
            journeys.push(cj);
        }
        let order = priority_order(&journeys);
        let mut ledgers = FastMap::new();
        let mut report = Report::default();
        for j in &ws.journeys {
            if let Some(c) = &j.campaign {
                ledgers.entry(c.id.clone()).or_insert(Ledger {
                    total: c.budget.total.value,
                    ..Ledger::default()
                });
                report.campaigns.entry(c.id.clone()).or_default();
            }
        }
        for o in &ws.offers {
            report.offers.entry(o.id.clone()).or_default();
        }
        let stock = ws.offers.iter().map(|o| o.stock).collect();
        let mut schedules = Vec::new();
        for &ji in &order {
            for &n in &journeys[ji].triggers {
                if matches!(
                    *journeys[ji].nodes[n].kind,
                    NodeKind::TriggerSchedule { .. }
                ) {
                    schedules.push(Schedule {
                        journey: ji,
                        node: n,
                        next: None,
                        last_local: None,
                        memo: Vec::new(),
                    });
                }
            }
        }
        let mut interesting = FastMap::new();
        for j in &mut journeys {
            j.add_interesting(&mut interesting);
        }
        let aggs = aggregates::Aggs::new(&ws.aggregates);
        let mut segs = segments::Segs::default();
        segs.merge(&ws.segments, &aggs);
        let mut e = Engine {
            channels: Box::new(Recorded),
            interesting,
            keys: Keys::default(),
            local_cache: std::cell::RefCell::new(None),
            policy: std::sync::Arc::new(ws.policy().clone()),
            base: ws.clone(),
            deploys: Vec::new(),
            ws,
            tz,
            journeys,
            lineages: Vec::new(),
            order,
            users: Vec::new(),
            user_index: FastMap::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            schedules,
            coupons: Vec::new(),
            coupon_index: FastMap::new(),
            stock,
            ledgers,
            hourly: FastMap::new(),
            seen_events: IdSet::default(),
            now: None,
            seq: 0,
            inst_seq: 0,
            out: Vec::new(),
            deciding: None,
            sink: None,
            sink_stopped: false,
            timer_changes: None,
            report,
            measures: measure::Measures::default(),
            paths: paths::Paths::default(),
            aggs,
            segs,
            controls: control::Controls::default(),
            attached: None,
            options,
        };
        e.attached = e.options.attach_model.as_ref().and_then(|a| {
            let m = e.ws.models.iter().find(|m| m.id == a.model)?;
            Some((Arc::new(CGate::of(m)), a.threshold))
        });
        for j in 0..e.journeys.len() {
            e.attach(j, PPM);
        }
        e.sync_report();
        e
    }

    /// Puts journey version `j` on top of its lineage's deployment stack.
    fn attach(&mut self, j: usize, rollout_ppm: u32) {
        let id = self.journeys[j].id.clone();
        let l = match self.lineages.iter().position(|l| l.id == id) {
            Some(l) => l,
            None => {
                self.lineages.push(Lineage {
                    id,
                    stack: Vec::new(),
                });
                self.lineages.len() - 1
            }
        };
        self.journeys[j].lineage = l;
        self.lineages[l].stack.push((j, rollout_ppm.min(PPM)));
    }

    /// Deploys the journeys of a workspace as `version`, to `rollout_ppm` of their users (the rest
    /// stay on the version deployed before, if any). Users already inside a journey finish on the
    /// version they entered. Offers are merged by id (a new stock counts the instances already
    /// issued), campaign budgets take the new totals, and the policy becomes the workspace's.
    /// Deploying the version that is already current only changes its rollout.
    pub fn deploy(&mut self, ws: &Workspace, version: u64, rollout_ppm: u32) {
        self.deploys.push(snapshot::Deployed {
            ws: ws.clone(),
            version,
            rollout_ppm,
        });
        self.ws.policy = ws.policy.clone();
        self.policy = Arc::new(self.ws.policy().clone());
        let reset = self.aggs.merge(&ws.aggregates);
        self.reset_aggs(&reset);
        for a in &ws.aggregates {
            match self.ws.aggregates.iter().position(|x| x.id == a.id) {
                Some(i) => self.ws.aggregates[i] = a.clone(),
                None => self.ws.aggregates.push(a.clone()),
            }
        }
        self.segs.merge(&ws.segments, &self.aggs);
        for s in &ws.segments {
            match self.ws.segments.iter().position(|x| x.id == s.id) {
                Some(i) => self.ws.segments[i] = s.clone(),
                None => self.ws.segments.push(s.clone()),
            }
        }
        self.tz = self.ws.policy().tz();
        *self.local_cache.borrow_mut() = None;
        for o in &ws.offers {
            match self.ws.offers.iter().position(|x| x.id == o.id) {
                Some(i) => {
                    let issued = self.report.offers.get(&o.id).map_or(0, |r| r.issued);
                    self.stock[i] = o.stock.map(|s| s.saturating_sub(issued));
                    self.ws.offers[i] = o.clone();
                }
                None => {
                    self.ws.offers.push(o.clone());
                    self.stock.push(o.stock);
                    self.report.offers.entry(o.id.clone()).or_default();
                }
            }
        }
        for j in &ws.journeys {
            if let Some(c) = &j.campaign {
                // A closed campaign keeps the total it was closed with.
                if !self.controls.closed.contains_key(&c.id) {
                    self.ledgers.entry(c.id.clone()).or_default().total = c.budget.total.value;
                }
                self.report.campaigns.entry(c.id.clone()).or_default();
            }
            let current = self
                .lineages
                .iter_mut()
                .find(|l| *l.id == *j.id)
                .and_then(|l| l.stack.last_mut());
            if let Some(top) = current {
                if self.journeys[top.0].version == version {
                    top.1 = rollout_ppm.min(PPM);
                    continue;
                }
            }
            let mut doc = j.clone();
            doc.version = Some(version);
            let mut cj = compile_journey(&doc);
            cj.resolve_offers(&self.ws.offers, &ws.offers);
            cj.resolve_gates(&ws.models);
            self.ws.journeys.push(doc);
            cj.add_interesting(&mut self.interesting);
            let ji = self.journeys.len();
            let sched: Vec<usize> = cj
                .triggers
                .iter()
                .copied()
                .filter(|&n| matches!(*cj.nodes[n].kind, NodeKind::TriggerSchedule { .. }))
                .collect();
            self.journeys.push(cj);
            self.attach(ji, rollout_ppm);
            for n in sched {
                self.schedules.push(Schedule {
                    journey: ji,
                    node: n,
                    next: None,
                    last_local: None,
                    memo: Vec::new(),
                });
            }
        }
        // The zone may have changed: every schedule's next tick is computed again.
        if let Some(now) = self.now {
            for i in 0..self.schedules.len() {
                self.schedules[i].next = self.next_tick(i, now);
            }
        }
        self.order = priority_order(&self.journeys);
        // Membership is established afresh (silently) under the deployed definitions.
        if let (false, Some(now)) = (self.segs.is_empty(), self.now) {
            self.seg_all(now);
        }
        self.sync_report();
    }

    /// Takes a journey back to the version deployed before its current one, for every new entrant
    /// (users inside the current version finish there). Returns the version now live.
    pub fn rollback(&mut self, journey_id: &str) -> Result<u64, String> {
        let Some(l) = self.lineages.iter_mut().find(|l| &*l.id == journey_id) else {
            return Err(format!("journey {journey_id:?} is not deployed"));
        };
        if l.stack.len() < 2 {
            return Err(format!(
                "journey {journey_id:?} has no earlier version to roll back to"
            ));
        }
        l.stack.pop();
        let top = l.stack.last_mut().expect("two or more");
        top.1 = PPM;
        Ok(self.journeys[top.0].version)
    }

    /// The deployed versions of a journey, oldest first, as (version, rollout ppm).
    /// The experiments the `split.experiment` nodes of any version of a journey assign to, in
    /// node order, each once.
    pub fn experiments_of(&self, journey_id: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for cj in self.journeys.iter().filter(|cj| &*cj.id == journey_id) {
            for n in &cj.nodes {
                if let NodeKind::SplitExperiment { experiment, .. } = &*n.kind {
                    if !out.iter().any(|e| e == experiment) {
                        out.push(experiment.clone());
                    }
                }
            }
        }
        out
    }

    pub fn deployments(&self, journey_id: &str) -> Vec<(u64, u32)> {
        self.lineages
            .iter()
            .find(|l| &*l.id == journey_id)
            .map(|l| {
                l.stack
                    .iter()
                    .map(|&(j, r)| (self.journeys[j].version, r))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The engine's clock: the time of the last input (None before the first).
    pub fn now(&self) -> Option<Time> {
        self.now
    }

    /// Replaces the channels touches are delivered through (the default records them).
    pub fn set_channels(&mut self, channels: Box<dyn Channels>) {
        self.channels = channels;
    }

    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// Makes room for `users` users and `events` event ids up front (a hint: nothing breaks
    /// when more come), so a large run does not grow its tables step by step.
    pub fn reserve(&mut self, users: usize, events: usize) {
        self.users.reserve(users.saturating_sub(self.users.len()));
        self.user_index
            .reserve(users.saturating_sub(self.user_index.len()));
        self.seen_events.reserve(events);
    }

    /// Adds (or replaces) a profile. Profile order is the order users are visited at a schedule tick.
    pub fn add_profile(&mut self, p: Profile) {
        let u = self.user(&p.user_id);
        let mut p = p;
        self.users[u].attrs = Attrs::from_map(&mut self.keys, std::mem::take(&mut p.attrs));
        self.users[u].reach = reach_of(&p);
        self.users[u].contact = (!p.contact.is_empty()).then(|| Box::new(p.contact));
        self.attrs_changed(u);
        if let (false, Some(now)) = (self.segs.is_empty(), self.now) {
            self.seg_changed(u, now);
        }
    }

    fn user(&mut self, id: &str) -> usize {
        if let Some(&u) = self.user_index.get(id) {
            return u;
        }
        let u = self.users.len();
        self.users.push(User {
            id: Arc::from(id),
            reach: reach_of(&Profile::default()),
            ..User::default()
        });
        self.user_index.insert(id.into(), u);
        // A user's first membership is an empty user's (before the clock starts: at its start).
        if let (false, Some(now)) = (self.segs.is_empty(), self.now) {
            self.seg_update(u, now, true);
        }
        u
    }

    /// The ids of the users the engine knows, in the order it numbers them (profiles, then
    /// users first seen in events).
    pub fn user_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.users.iter().map(|u| &*u.id)
    }

    /// Decisions made since the last call, in order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Decision> {
        self.out.drain(..)
    }

    /// Writes decisions as they are made as lines of the decision log (what
    /// [`Decision::write_json`] writes, one a line) instead of keeping them for
    /// [`drain`](Self::drain), and hands `sink` the lines whenever they pass `limit` bytes and
    /// on [`flush`](Self::flush). `sink` takes the bytes it is given (it may swap in an empty
    /// buffer) and returns false when it has stopped (a log that cannot be written). A schedule
    /// tick over many users makes many decisions at once: this way they are never all held.
    pub fn set_sink(&mut self, limit: usize, sink: Sink) {
        self.flush();
        self.sink = Some(LineSink {
            lines: Vec::with_capacity(limit.saturating_add(4096)),
            ts: TsText::default(),
            limit: limit.max(1),
            send: sink,
        });
        self.sink_stopped = false;
    }

    /// Removes the sink (dropping it), after handing it what waits.
    pub fn take_sink(&mut self) -> Option<Sink> {
        self.flush();
        self.sink.take().map(|s| s.send)
    }

    /// Hands the waiting lines to the sink, if there is one. False once the sink has stopped
    /// (what it was not given is then dropped).
    pub fn flush(&mut self) -> bool {
        if let Some(sink) = &mut self.sink {
            if self.sink_stopped {
                sink.lines.clear();
            } else if !sink.lines.is_empty() && !(sink.send)(&mut sink.lines) {
                self.sink_stopped = true;
                sink.lines.clear();
            }
        }
        !self.sink_stopped
    }

    /// Starts the clock (the earliest event, or `--until` when there are none).
    pub fn start(&mut self, t: Time) {
        if self.now.is_none() {
            self.now = Some(t);
            for i in 0..self.schedules.len() {
                let first = self.next_tick(i, t - ChronoDuration::minutes(1));
                self.schedules[i].next = first;
            }
            if !self.segs.is_empty() {
                self.seg_all(t);
            }
        }
    }

    /// Fires every timer and schedule tick due at or before `t`, in due order.
    pub fn advance_to(&mut self, t: Time) {
        self.start(t);
        loop {
            let next_timer = self.timers.peek().map(|Reverse((due, _, _))| *due);
            let next_tick = self.schedules.iter().filter_map(|s| s.next).min();
            let next_seg = if self.segs.is_empty() {
                None
            } else {
                self.seg_next_due()
            };
            let Some(at) = [next_timer, next_tick, next_seg]
                .into_iter()
                .flatten()
                .min()
            else {
                break;
            };
            if at > t {
                break;
            }
            self.now = Some(at);
            // Membership the clock moves comes first: what fires at this instant sees it.
            if next_seg == Some(at) {
                self.seg_clock(at);
            }
            // Timers due at this instant, including those set meanwhile, in the order set.
            while let Some(Reverse((due, _, _))) = self.timers.peek() {
                if *due != at {
                    break;
                }
                let Some(Reverse((_, key, timer))) = self.timers.pop() else {
                    break;
                };
                if let Some(c) = self.timer_changes.as_mut() {
                    c.push(TimerChange::Done { key });
                }
                self.fire(timer, at);
            }
            if next_tick == Some(at) {
                self.tick(at);
            }
        }
        self.now = Some(self.now.map_or(t, |n| n.max(t)));
    }

    /// Handles one event (timers and ticks due at or before it fire first). Returns false for a
    /// duplicate `event_id`.
    pub fn handle(&mut self, ev: &Event) -> bool {
        if let Some(id) = &ev.event_id {
            if !self.seen_events.insert(id) {
                self.duplicate();
                return false;
            }
        }
        self.handle_new(ev);
        true
    }

    /// Counts an input event that repeats the `event_id` of one handled before, when the
    /// caller keeps the set of ids seen (the simulator does it on its reader thread).
    pub fn duplicate(&mut self) {
        self.report.input.events += 1;
        self.report.input.duplicates += 1;
    }

    /// Handles an event whose `event_id` the caller has found new (see
    /// [`duplicate`](Self::duplicate)); the engine's own set of ids is left alone.
    pub fn handle_new(&mut self, ev: &Event) {
        self.handle_new_at(ev, usize::MAX);
    }

    /// [`handle_new`](Self::handle_new) for the user at `at` in [`user_ids`](Self::user_ids),
    /// found by the caller (the simulator's reader thread keeps that numbering ahead of the
    /// engine: profiles first, then each user an event brings, in event order). Any `at` past
    /// the users there are is a user not seen yet (or not numbered): the engine looks them up.
    /// The event types whose events do more than move the clock and bring their user: those
    /// a journey reacts to, those an aggregate counts, profile updates and the conversion
    /// event. For any other type,
    /// [`handle_passing_at`](Self::handle_passing_at) does all that
    /// [`handle_new_at`](Self::handle_new_at) would, without the event itself.
    pub fn acting_kinds(&self) -> FastSet<String> {
        let mut kinds: FastSet<String> = self.interesting.keys().cloned().collect();
        kinds.extend(self.aggs.by_event.keys().cloned());
        kinds.insert("profile_update".to_owned());
        kinds.insert(self.policy.conversion_event().to_owned());
        if let Some(u) = &self.policy.unsubscribe {
            kinds.insert(u.event.clone());
        }
        kinds
    }

    /// [`handle_new_at`](Self::handle_new_at) for an event of a type not among
    /// [`acting_kinds`](Self::acting_kinds): the clock moves to `ts`, and a user not seen
    /// before (`at` past the users there are) is added as `user_id`.
    pub fn handle_passing_at(&mut self, ts: Time, at: usize, user_id: &str) {
        self.arrive(ts, at, user_id);
    }

    /// What every new event does first: it is counted, the clock moves to it, and its user
    /// is found (number `at`, see [`handle_new_at`](Self::handle_new_at)) or added.
    fn arrive(&mut self, ts: Time, at: usize, user_id: &str) -> usize {
        self.report.input.events += 1;
        self.advance_to(ts);
        if at < self.users.len() {
            debug_assert_eq!(&*self.users[at].id, user_id, "user number {at}");
            at
        } else {
            self.user(user_id)
        }
    }

    /// Runs the clock on to `until` and closes the report.
    pub fn finish(&mut self, until: Time) {
        self.advance_to(until);
        // The closed report is the report as of now, with every derived section.
        self.report = self.report_now();
    }

    fn inside(&self, u: usize, j: usize) -> Option<&Inst> {
        self.users[u]
            .journeys
            .get(&j)
            .and_then(|s| s.inside.as_ref())
    }

    fn jstate(&mut self, u: usize, j: usize) -> &mut JState {
        self.users[u].journeys.entry(j)
    }

    /// Forgets what schedules' audiences knew of user `u`'s attributes (they changed).
    fn attrs_changed(&mut self, u: usize) {
        for s in &mut self.schedules {
            if let Some(m) = s.memo.get_mut(u) {
                *m = [0, 0];
            }
        }
    }

    /// When the clock next moves a user's segment membership (the service ticks then).
    pub fn segment_due(&mut self) -> Option<Time> {
        self.seg_next_due()
    }

    pub fn users_seen(&self) -> usize {
        self.users.len()
    }
}
