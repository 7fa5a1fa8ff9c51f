//! Engine state as data: [`Engine::snapshot`] writes everything a run has built up (users,
//! instances, timers, coupons, ledgers, stock, counters, the report, and the deployments it was
//! given); [`Engine::restore`] builds the same engine again. Compiled journeys are not data: a
//! restore compiles them again from the workspaces their deployments came with, in the same
//! order, then puts the state back. An engine restored from a snapshot and given the inputs
//! that came after it decides byte for byte what the engine that took the snapshot decides
//! (a property test over the simulator's scenarios and random workspaces checks it).

use super::*;
use serde::{Deserialize, Serialize};

/// The format of [`Snapshot`]; a restore refuses any other.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// A deployment as the engine was given it.
#[derive(Clone)]
pub(crate) struct Deployed {
    pub(crate) ws: Workspace,
    pub(crate) version: u64,
    pub(crate) rollout_ppm: u32,
}

/// A deployment as a snapshot keeps it: its workspace document, version and rollout.
#[derive(Deserialize)]
struct DeployedDoc {
    workspace: Value,
    version: u64,
    rollout_ppm: u32,
}

/// [`DeployedDoc`], written straight from the engine's copy of the workspace.
#[derive(Serialize)]
struct DeployedOut<'a> {
    workspace: &'a Workspace,
    version: u64,
    rollout_ppm: u32,
}

/// A journey version's counters (the compiled journey itself is rebuilt).
#[derive(Serialize, Deserialize)]
struct Counts {
    entered: u64,
    #[serde(default)]
    held_out: u64,
    skipped: Vec<(String, u64)>,
    exited: Vec<(String, u64)>,
    /// Per node: users who entered it, and who left by each port.
    nodes: Vec<(u64, Vec<(String, u64)>)>,
}

#[derive(Serialize, Deserialize)]
struct ScheduleState {
    next: Option<Time>,
    last_local: Option<NaiveDateTime>,
    memo: Vec<[u32; 2]>,
}

/// Everything an engine has built up, as data (JSON through serde), as read back.
#[derive(Deserialize)]
struct Snapshot {
    format: u32,
    options: Options,
    /// The workspace the engine was made with, and every deployment after, in order.
    base: Value,
    deploys: Vec<DeployedDoc>,
    lineages: Vec<(String, Vec<(usize, u32)>)>,
    counts: Vec<Counts>,
    keys: Vec<Box<str>>,
    users: Vec<User>,
    timers: Vec<(Time, u64, Timer)>,
    timer_seq: u64,
    schedules: Vec<ScheduleState>,
    coupons: Vec<Coupon>,
    stock: Vec<Option<u64>>,
    ledgers: std::collections::BTreeMap<String, Ledger>,
    hourly: Vec<(String, i64, Decimal)>,
    /// Event ids seen, in the order they came.
    seen_events: Vec<String>,
    now: Option<Time>,
    seq: u64,
    inst_seq: u64,
    report: Report,
    tracks_timers: bool,
    #[serde(default)]
    measures: super::measure::Measures,
    #[serde(default)]
    paths: super::paths::Paths,
    #[serde(default)]
    controls: super::control::Controls,
}

/// The same fields as [`Snapshot`], borrowed from the engine where they are big, for writing.
#[derive(Serialize)]
struct SnapshotOut<'a> {
    format: u32,
    options: &'a Options,
    base: &'a Workspace,
    deploys: Vec<DeployedOut<'a>>,
    lineages: Vec<(&'a str, &'a [(usize, u32)])>,
    counts: Vec<Counts>,
    keys: &'a [Box<str>],
    users: &'a [User],
    timers: Vec<&'a (Time, u64, Timer)>,
    timer_seq: u64,
    schedules: Vec<ScheduleState>,
    coupons: &'a [Coupon],
    stock: &'a [Option<u64>],
    ledgers: std::collections::BTreeMap<&'a str, &'a Ledger>,
    hourly: Vec<(&'a str, i64, Decimal)>,
    seen_events: Vec<&'a str>,
    now: Option<Time>,
    seq: u64,
    inst_seq: u64,
    report: &'a Report,
    tracks_timers: bool,
    measures: &'a super::measure::Measures,
    paths: &'a super::paths::Paths,
    controls: &'a super::control::Controls,
}

/// Why a snapshot could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the snapshot cannot be restored: {0}")]
pub struct RestoreError(pub String);

/// The `&'static str` a count is kept under, for a reason read back from a snapshot.
fn reason_name(s: &str) -> Option<&'static str> {
    SkipReason::ALL
        .iter()
        .map(|r| r.as_str())
        .chain(ExitReason::ALL.iter().map(|r| r.as_str()))
        .find(|n| *n == s)
}

impl Engine {
    /// The engine's state as data (JSON), appended to `out`. Decisions not yet drained are not
    /// part of it: take a snapshot between inputs, after [`drain`](Self::drain).
    pub fn write_snapshot(&self, out: &mut Vec<u8>) {
        let mut timers: Vec<&(Time, u64, Timer)> = self.timers.iter().map(|Reverse(t)| t).collect();
        timers.sort();
        let mut hourly: Vec<(&str, i64, Decimal)> = self
            .hourly
            .iter()
            .map(|((c, h), d)| (c.as_str(), *h, *d))
            .collect();
        hourly.sort();
        let s = SnapshotOut {
            format: SNAPSHOT_FORMAT,
            options: &self.options,
            base: &self.base,
            deploys: self
                .deploys
                .iter()
                .map(|d| DeployedOut {
                    workspace: &d.ws,
                    version: d.version,
                    rollout_ppm: d.rollout_ppm,
                })
                .collect(),
            lineages: self
                .lineages
                .iter()
                .map(|l| (&*l.id, l.stack.as_slice()))
                .collect(),
            counts: self
                .journeys
                .iter()
                .map(|cj| Counts {
                    entered: cj.counts.entered,
                    held_out: cj.counts.held_out,
                    skipped: cj
                        .counts
                        .skipped
                        .iter()
                        .map(|(k, v)| (k.to_string(), *v))
                        .collect(),
                    exited: cj
                        .counts
                        .exited
                        .iter()
                        .map(|(k, v)| (k.to_string(), *v))
                        .collect(),
                    nodes: cj
                        .nodes
                        .iter()
                        .map(|n| {
                            (
                                n.entered,
                                n.ports.iter().map(|(p, c)| (p.to_string(), *c)).collect(),
                            )
                        })
                        .collect(),
                })
                .collect(),
            keys: &self.keys.names,
            users: &self.users,
            timers,
            timer_seq: self.timer_seq,
            schedules: self
                .schedules
                .iter()
                .map(|s| ScheduleState {
                    next: s.next,
                    last_local: s.last_local,
                    memo: s.memo.clone(),
                })
                .collect(),
            coupons: &self.coupons,
            stock: &self.stock,
            ledgers: self.ledgers.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            hourly,
            seen_events: self.seen_events.ids_in_order(),
            now: self.now,
            seq: self.seq,
            inst_seq: self.inst_seq,
            report: &self.report,
            tracks_timers: self.timer_changes.is_some(),
            measures: &self.measures,
            paths: &self.paths,
            controls: &self.controls,
        };
        // Writing to a vector cannot fail, and every field serialises.
        let _ = serde_json::to_writer(&mut *out, &s);
    }

    /// An engine with the state of a snapshot written by
    /// [`write_snapshot`](Self::write_snapshot).
    pub fn restore_snapshot(bytes: &[u8]) -> Result<Engine, RestoreError> {
        let s: Snapshot = serde_json::from_slice(bytes)
            .map_err(|e| RestoreError(format!("it does not read: {e}")))?;
        Engine::restore(s)
    }

    /// An engine with the state of `s`: the deployments compiled again in order, then every
    /// counter, user, timer and balance put back. Channels and sinks are the caller's to set.
    fn restore(s: Snapshot) -> Result<Engine, RestoreError> {
        if s.format != SNAPSHOT_FORMAT {
            return Err(RestoreError(format!(
                "format {} (this release reads {SNAPSHOT_FORMAT})",
                s.format
            )));
        }
        let read = |v: &Value, what: &str| {
            Workspace::from_json(v).map_err(|e| RestoreError(format!("{what} does not read: {e}")))
        };
        let mut e = Engine::new(read(&s.base, "the base workspace")?, s.options);
        for (i, d) in s.deploys.iter().enumerate() {
            let ws = read(&d.workspace, &format!("deployment {i}"))?;
            e.deploy(&ws, d.version, d.rollout_ppm);
        }
        let bad = |what: &str| RestoreError(format!("{what} does not match the deployments"));
        if s.counts.len() != e.journeys.len() || s.schedules.len() != e.schedules.len() {
            return Err(bad("the journeys or schedules"));
        }
        if s.stock.len() != e.stock.len() {
            return Err(bad("the offers"));
        }
        e.lineages = s
            .lineages
            .into_iter()
            .map(|(id, stack)| Lineage {
                id: id.into(),
                stack,
            })
            .collect();
        for (l, lineage) in e.lineages.iter().enumerate() {
            for &(j, _) in &lineage.stack {
                match e.journeys.get_mut(j) {
                    Some(cj) if *cj.id == *lineage.id => cj.lineage = l,
                    _ => return Err(bad("a lineage")),
                }
            }
        }
        for (cj, c) in e.journeys.iter_mut().zip(s.counts) {
            if c.nodes.len() != cj.nodes.len() {
                return Err(bad("a journey's nodes"));
            }
            cj.counts.entered = c.entered;
            cj.counts.held_out = c.held_out;
            let names =
                |list: Vec<(String, u64)>| -> Result<Vec<(&'static str, u64)>, RestoreError> {
                    list.into_iter()
                        .map(|(k, v)| {
                            reason_name(&k)
                                .map(|k| (k, v))
                                .ok_or_else(|| RestoreError(format!("unknown reason {k:?}")))
                        })
                        .collect()
                };
            cj.counts.skipped = names(c.skipped)?;
            cj.counts.exited = names(c.exited)?;
            for (n, (entered, ports)) in cj.nodes.iter_mut().zip(c.nodes) {
                n.entered = entered;
                n.ports = ports.into_iter().map(|(p, c)| (p.into(), c)).collect();
            }
        }
        e.keys = Keys::default();
        for k in &s.keys {
            e.keys.id(k);
        }
        if e.keys.names.len() != s.keys.len() {
            return Err(RestoreError("an attribute name is there twice".into()));
        }
        let users = s.users.len();
        e.user_index = FastMap::with_capacity(users);
        for (i, u) in s.users.iter().enumerate() {
            e.user_index.insert(u.id.as_ref().into(), i);
        }
        if e.user_index.len() != users {
            return Err(RestoreError("a user is there twice".into()));
        }
        e.users = s.users;
        e.timers = s.timers.into_iter().map(Reverse).collect();
        e.timer_seq = s.timer_seq;
        for (sch, st) in e.schedules.iter_mut().zip(s.schedules) {
            sch.next = st.next;
            sch.last_local = st.last_local;
            sch.memo = st.memo;
        }
        e.coupon_index = FastMap::with_capacity(s.coupons.len());
        for (i, c) in s.coupons.iter().enumerate() {
            e.coupon_index.insert(c.id.as_str().into(), i);
        }
        e.coupons = s.coupons;
        e.stock = s.stock;
        e.ledgers = s.ledgers.into_iter().collect();
        e.hourly = s.hourly.into_iter().map(|(c, h, d)| ((c, h), d)).collect();
        e.seen_events = IdSet::default();
        e.seen_events.reserve(s.seen_events.len());
        for id in &s.seen_events {
            e.seen_events.insert(id);
        }
        e.now = s.now;
        e.seq = s.seq;
        e.inst_seq = s.inst_seq;
        e.report = s.report;
        e.timer_changes = s.tracks_timers.then(Vec::new);
        e.measures = s.measures;
        e.paths = s.paths;
        e.controls = s.controls;
        e.seg_rebuild();
        *e.local_cache.borrow_mut() = None;
        Ok(e)
    }
}
