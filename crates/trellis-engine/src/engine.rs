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

type Time = DateTime<Utc>;

/// A whole rollout, in parts per million.
pub const PPM: u32 = 1_000_000;

/// One decision record (`runtime.md`, the decision log). Serialises in the log's field order;
/// ids are shared, so making a record allocates little.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub seq: u64,
    pub ts: Time,
    pub user_id: Option<Arc<str>>,
    pub journey: Option<Arc<str>>,
    pub version: Option<u64>,
    pub node: Option<Arc<str>>,
    pub kind: &'static str,
    pub extra: Vec<(&'static str, Value)>,
}

impl Decision {
    /// The record as a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }
}

impl Decision {
    /// Appends the record as one line of JSON, byte for byte what `serde_json` writes for it
    /// (without the newline): the decision log's hot path, written by hand.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        write_record(
            out,
            Head {
                seq: self.seq,
                ts: self.ts,
                user_id: self.user_id.as_deref(),
                journey: self.journey.as_deref(),
                version: self.version,
                node: self.node.as_deref(),
                kind: self.kind,
            },
            &self.extra,
            &mut TsText::default(),
        );
    }
}

/// The text of the last timestamp written: records come in time order, many at one instant.
#[derive(Default)]
struct TsText {
    at: Option<Time>,
    len: usize,
    text: [u8; 32],
}

impl TsText {
    fn write(&mut self, out: &mut Vec<u8>, t: Time) {
        if self.at == Some(t) {
            out.extend_from_slice(&self.text[..self.len]);
            return;
        }
        let start = out.len();
        crate::input::write_ts(out, t);
        let text = &out[start..];
        if text.len() <= self.text.len() {
            self.text[..text.len()].copy_from_slice(text);
            self.len = text.len();
            self.at = Some(t);
        }
    }
}

/// The fixed fields of a decision record, borrowed.
struct Head<'a> {
    seq: u64,
    ts: Time,
    user_id: Option<&'a str>,
    journey: Option<&'a str>,
    version: Option<u64>,
    node: Option<&'a str>,
    kind: &'static str,
}

/// A decision record as one line of JSON (without the newline), byte for byte what
/// `serde_json` writes for a [`Decision`].
fn write_record<X: ExtraValue>(
    out: &mut Vec<u8>,
    h: Head<'_>,
    extra: &[(&'static str, X)],
    ts: &mut TsText,
) {
    out.extend_from_slice(b"{\"seq\":");
    json_u64(out, h.seq);
    out.extend_from_slice(b",\"ts\":\"");
    ts.write(out, h.ts);
    out.extend_from_slice(b"\",\"user_id\":");
    json_opt_str(out, h.user_id);
    out.extend_from_slice(b",\"journey\":");
    json_opt_str(out, h.journey);
    out.extend_from_slice(b",\"version\":");
    match h.version {
        Some(v) => json_u64(out, v),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"node\":");
    json_opt_str(out, h.node);
    out.extend_from_slice(b",\"kind\":");
    // Kinds and field names are the engine's own identifiers: nothing to escape.
    raw_str(out, h.kind);
    for (k, v) in extra {
        out.push(b',');
        raw_str(out, k);
        out.push(b':');
        v.write(out);
    }
    out.push(b'}');
}

/// The value of an extra field of a decision, as JSON.
trait ExtraValue {
    fn write(&self, out: &mut Vec<u8>);
}

impl ExtraValue for Value {
    fn write(&self, out: &mut Vec<u8>) {
        json_value(out, self);
    }
}

/// A JSON value as `serde_json` writes it.
fn json_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::String(s) => json_str(out, s),
        Value::Null => out.extend_from_slice(b"null"),
        v => {
            // Writing to a vector cannot fail.
            let _ = serde_json::to_writer(&mut *out, v);
        }
    }
}

/// An extra field of a decision, borrowed where it can be: with a sink it is written as is,
/// without a JSON value made for it.
enum Extra<'a> {
    Str(&'a str),
    Strs(&'a [&'a str]),
}

impl ExtraValue for Extra<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Extra::Str(s) => json_str(out, s),
            Extra::Strs(list) => {
                out.push(b'[');
                for (i, s) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_str(out, s);
                }
                out.push(b']');
            }
        }
    }
}

impl Extra<'_> {
    fn into_value(self) -> Value {
        match self {
            Extra::Str(s) => Value::from(s),
            Extra::Strs(list) => Value::Array(list.iter().map(|&s| Value::from(s)).collect()),
        }
    }
}

/// A JSON string as `serde_json` writes it: as is, unless it has a byte that needs escaping.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        raw_str(out, s);
    }
}

fn raw_str(out: &mut Vec<u8>, s: &str) {
    debug_assert!(!needs_escape(s.as_bytes()));
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Whether a string has a control byte, a quote or a backslash, tested eight bytes at a time.
fn needs_escape(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(LO) & !x & HI;
    // A byte below 0x20 (with the high bit clear), a '"' or a '\\'.
    let bad = |w: [u8; 8]| {
        let x = u64::from_le_bytes(w);
        let control = x.wrapping_sub(LO * 0x20) & !x & HI;
        control | zero_byte(x ^ (LO * u64::from(b'"'))) | zero_byte(x ^ (LO * u64::from(b'\\')))
            != 0
    };
    let mut chunks = b.chunks_exact(8);
    for c in chunks.by_ref() {
        let w: [u8; 8] = c.try_into().unwrap_or([0; 8]);
        if bad(w) {
            return true;
        }
    }
    // The last bytes, padded with spaces (which need no escape), in one more word (byte by
    // byte: a copy of a length known only at run time would be a call to memcpy).
    let mut w = [b' '; 8];
    for (to, &b) in w.iter_mut().zip(chunks.remainder()) {
        *to = b;
    }
    bad(w)
}

fn json_u64(out: &mut Vec<u8>, v: u64) {
    let mut b = [0u8; 20];
    let mut i = b.len();
    let mut v = v;
    loop {
        i -= 1;
        b[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&b[i..]);
}

fn json_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

impl serde::Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(7 + self.extra.len()))?;
        m.serialize_entry("seq", &self.seq)?;
        m.serialize_entry("ts", &ts_string(self.ts))?;
        m.serialize_entry("user_id", &self.user_id.as_deref())?;
        m.serialize_entry("journey", &self.journey.as_deref())?;
        m.serialize_entry("version", &self.version)?;
        m.serialize_entry("node", &self.node.as_deref())?;
        m.serialize_entry("kind", self.kind)?;
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct CNode {
    kind: std::sync::Arc<NodeKind>,
    id: Arc<str>,
    cond: Option<CompiledCondition>,
    cases: Vec<CompiledCondition>,
    /// Outgoing edge per port name (a node has few ports: scanned, not hashed).
    next: Vec<(Box<str>, usize)>,
    /// Users who entered the node, and who left it by each port: the report's node counts,
    /// folded into the report when it is read (`sync_report`).
    entered: u64,
    ports: Vec<(Box<str>, u64)>,
}

impl CNode {
    fn next(&self, port: &str) -> Option<usize> {
        self.next
            .iter()
            .find(|(p, _)| &**p == port)
            .map(|&(_, n)| n)
    }
    fn count_port(&mut self, port: &str) {
        match self.ports.iter_mut().find(|(p, _)| &**p == port) {
            Some((_, c)) => *c += 1,
            None => self.ports.push((port.into(), 1)),
        }
    }
}

struct CJourney {
    idx: usize,
    /// The deployment lineage: every version of one journey id shares it.
    lineage: usize,
    /// The offer definitions of the release this version came with (versions are immutable);
    /// empty when the workspace's own apply. Stock, limits and budgets are shared by offer id.
    offers: Arc<Vec<trellis_model::Offer>>,
    id: Arc<str>,
    version: u64,
    priority: i64,
    mutex: Option<String>,
    campaign: Option<String>,
    window: (Option<Time>, Option<Time>),
    re_entry: ReEntry,
    goal: Option<String>,
    max_duration: Option<i64>,
    nodes: Vec<CNode>,
    triggers: Vec<usize>,
    /// The report's journey counts for this version, folded into the report when it is read.
    counts: JCounts,
    /// Whether a node after the trigger reads `event.*`: only then does an instance keep the
    /// event it entered (or last waited) on.
    keeps_event: bool,
    /// The event types it reacts to, by number: bit `i` for type `i` (all bits from type 64
    /// on).
    kinds: u64,
}

#[derive(Default)]
struct JCounts {
    entered: u64,
    skipped: Vec<(&'static str, u64)>,
    exited: Vec<(&'static str, u64)>,
}

/// Adds one to the count of `key` in a short list.
fn count(list: &mut Vec<(&'static str, u64)>, key: &'static str) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, c)) => *c += 1,
        None => list.push((key, 1)),
    }
}

/// The deployed versions of one journey id, oldest first. The last is current and takes the users
/// of its rollout; the one before takes everyone else; older ones only finish the users already in
/// them (a user finishes on the version they entered).
struct Lineage {
    id: Arc<str>,
    /// (journey index, rollout in ppm).
    stack: Vec<(usize, u32)>,
}

/// Whether a version of a journey takes a given user's entry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gate {
    Enter,
    /// Another version of the journey takes this user (or none does: the version is retired).
    Elsewhere,
    /// The user is outside the only version's rollout.
    Rollout,
}

/// Why a redemption was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    #[error("no offer instance {0:?}")]
    Unknown(String),
    #[error("offer instance {0:?} has expired")]
    Expired(String),
    #[error("offer instance {0:?} was already redeemed by order {1:?}")]
    AlreadyRedeemed(String, String),
    #[error("order amount {amount} is below the offer's min_spend {min_spend}")]
    MinSpend { amount: String, min_spend: String },
    #[error("offer instance {0:?} is not a coupon and cannot be redeemed")]
    NotACoupon(String),
}

#[derive(Clone)]
struct Inst {
    id: u64,
    entered_at: Time,
    node: usize,
    /// The event that started the instance (its conditions may read `event.*`), shared.
    event: Option<Arc<Event>>,
    waiting: Waiting,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiting {
    Running,
    Delay,
    Event,
    Deferral,
}

/// Attribute names, interned once for every user: a profile holds ids, not strings.
#[derive(Default)]
struct Keys {
    names: Vec<Box<str>>,
    index: FastMap<Box<str>, u32>,
    /// The id of each name by its [`key_hash`](trellis_rules::facts::key_hash), the hash
    /// compiled field paths carry. Two names of one hash (never seen, but possible) share a
    /// slot; the lookup then falls back to the name.
    by_hash: FastMap<u64, u32>,
}

impl Keys {
    fn id(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(key.into());
        self.index.insert(key.into(), i);
        self.by_hash
            .entry(trellis_rules::facts::key_hash(key))
            .or_insert(i);
        i
    }
    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
    /// The id of a name, found by its precomputed hash; None when no profile has it.
    fn find(&self, hash: u64, key: &str) -> Option<u32> {
        match self.by_hash.get(&hash) {
            Some(&i) if self.name(i) == key => Some(i),
            Some(_) => self.index.get(key).copied(),
            None => None,
        }
    }
}

/// A profile's attributes, compact: the key ids inline in the user's record and the values in a
/// list beside them, so finding a key reads the record a schedule tick walks through anyway (it
/// reads the attributes of every user, in order) and then the one value.
#[derive(Default)]
struct Attrs {
    ids: smallvec::SmallVec<[u32; 16]>,
    vals: Vec<Value>,
}

impl Attrs {
    fn from_map(keys: &mut Keys, m: Map<String, Value>) -> Attrs {
        let mut a = Attrs {
            ids: smallvec::SmallVec::with_capacity(m.len()),
            vals: Vec::with_capacity(m.len()),
        };
        for (k, v) in m {
            a.set(keys, &k, v);
        }
        a
    }
    fn get<'a>(&'a self, keys: &Keys, hash: u64, key: &str) -> Option<&'a Value> {
        let id = keys.find(hash, key)?;
        let at = self.ids.iter().position(|&i| i == id)?;
        self.vals.get(at)
    }
    fn set(&mut self, keys: &mut Keys, key: &str, v: Value) {
        let id = keys.id(key);
        match self.ids.iter().position(|&i| i == id) {
            Some(at) => self.vals[at] = v,
            None => {
                self.ids.push(id);
                // Profiles gain a key now and then: one more slot, not twice the room.
                self.vals.reserve_exact(1);
                self.vals.push(v);
            }
        }
    }
    fn iter(&self) -> impl Iterator<Item = (u32, &Value)> {
        self.ids.iter().copied().zip(&self.vals)
    }
}

/// A user's state per journey: a short list (users touch few journeys), scanned instead of
/// hashed. The journey numbers sit inline in the user's record, so asking about a journey the
/// user has no state in reads nothing more.
#[derive(Default)]
struct JStates {
    keys: smallvec::SmallVec<[u32; 6]>,
    states: Vec<JState>,
}

impl JStates {
    fn get(&self, j: &usize) -> Option<&JState> {
        let i = self.keys.iter().position(|&k| k as usize == *j)?;
        self.states.get(i)
    }
    fn entry(&mut self, j: usize) -> &mut JState {
        let i = match self.keys.iter().position(|&k| k as usize == j) {
            Some(i) => i,
            None => {
                // Users are in few journeys: grow one state at a time.
                self.states.reserve_exact(1);
                self.states.push(JState::default());
                self.keys.push(j as u32);
                self.states.len() - 1
            }
        };
        &mut self.states[i]
    }
    /// (journey, state) pairs, in the order the states were made.
    fn iter(&self) -> impl Iterator<Item = (usize, &JState)> {
        self.keys.iter().map(|&k| k as usize).zip(&self.states)
    }
}

#[derive(Default)]
struct JState {
    inside: Option<Inst>,
    ever_entered: bool,
    last_exit: Option<Time>,
    /// Matching event times per pattern trigger node.
    pattern: Vec<(usize, VecDeque<Time>)>,
}

/// An attribution candidate: (seq, ts, journey, node, whether an offer (else a touch)); 32
/// bytes.
type Candidate = (u64, Time, u32, u32, bool);

/// Pushes onto a per-user list, growing it by half instead of doubling: such lists stay short
/// and there are many of them, so the spare room doubling leaves would be most of their memory.
fn push_tight<T>(v: &mut Vec<T>, x: T) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 2).max(1));
    }
    v.push(x);
}

#[derive(Default)]
struct User {
    id: Arc<str>,
    /// The profile's contacts, for delivery (None when it has none; consent and contacts are
    /// summed up in `reach`).
    contact: Option<Box<Map<String, Value>>>,
    /// The channels the profile can be reached on ([`reach_of`]), one bit each.
    reach: u8,
    attrs: Attrs,
    points: i64,
    journeys: JStates,
    sends: Vec<(Time, Channel)>,
    /// Instances issued per offer index (a short list).
    issued: Vec<(usize, u32)>,
    coupons: Vec<usize>,
    /// (seq, ts, journey, node, kind) of touch.sent / offer.issued records, for attribution.
    touches: Vec<Candidate>,
    conversions: Vec<Time>,
}

struct Coupon {
    id: String,
    offer: usize,
    user: usize,
    /// The issuing journey and node (indexes; their ids and version come from there).
    journey: usize,
    node: usize,
    face: Decimal,
    min_spend: Option<Decimal>,
    expires_at: Time,
    active: bool,
    prior_conversion: bool,
    /// The order that redeemed it.
    redeemed_by: Option<Box<str>>,
}

/// A timer's work. Indexes are kept in 32 bits, so that a heap entry (due time, order and
/// timer) takes 48 bytes: there is one for every instance's maximum duration and every wait.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    /// A wait, timeout or deferral is over: resume the instance at the node.
    Resume {
        user: u32,
        journey: u32,
        inst: u64,
        node: u32,
    },
    MaxDuration {
        user: u32,
        journey: u32,
        inst: u64,
    },
    Expiry {
        coupon: u32,
    },
    /// A fallback after an asynchronous delivery failure, deferred by quiet hours: try the touch
    /// node's channels from index `from` on.
    Fallback {
        user: u32,
        journey: u32,
        node: u32,
        from: u32,
    },
}

const _: () = assert!(std::mem::size_of::<Reverse<(Time, u64, Timer)>>() <= 48);

struct Schedule {
    journey: usize,
    node: usize,
    next: Option<Time>,
    last_local: Option<NaiveDateTime>,
    /// Per user, the audience's leaves over `user.*` facts as last evaluated, as a
    /// [`Memo`]'s (known, value) bits: a tick reads a profile again only where a leaf is not
    /// known. Cleared for a user whose attributes change; empty when the audience has more
    /// than 32 leaves.
    memo: Vec<[u32; 2]>,
}

#[derive(Default, Clone)]
struct Ledger {
    total: Decimal,
    reserved: Decimal,
    spent: Decimal,
}

/// A message the engine hands to a channel.
#[derive(Debug)]
pub struct Message<'a> {
    pub user_id: &'a str,
    pub channel: Channel,
    pub template: &'a str,
    pub content: Option<&'a Value>,
    pub contact: &'a Map<String, Value>,
    pub journey: &'a str,
    pub node: &'a str,
    pub at: Time,
}

/// Where touches go. The simulator records them (nothing is delivered); the service delivers
/// them. A delivery that fails makes the engine fall back to the touch's next channel.
pub trait Channels: Send {
    fn send(&mut self, msg: &Message<'_>) -> Result<(), String>;
}

/// Records every touch as sent (the simulator's channels).
pub struct Recorded;

impl Channels for Recorded {
    fn send(&mut self, _msg: &Message<'_>) -> Result<(), String> {
        Ok(())
    }
}

/// A touch whose delivery failed after its retries (reported by the service's outbox, after the
/// touch was logged as sent): which touch, on which channel, and why.
#[derive(Debug, Clone)]
pub struct DeliveryFailure<'a> {
    pub user_id: &'a str,
    pub journey: &'a str,
    pub version: u64,
    pub node: &'a str,
    pub channel: Channel,
    /// The time of the failed touch's `touch.sent`.
    pub sent_at: Time,
    pub reason: &'a str,
}

/// Options of a run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Keep per-day budget burn in the report.
    pub burn_by_day: bool,
}

/// Takes lines of the decision log as the engine writes them (see [`Engine::set_sink`]);
/// returns false when it has stopped.
pub type Sink = Box<dyn FnMut(&mut Vec<u8>) -> bool + Send>;

struct LineSink {
    lines: Vec<u8>,
    ts: TsText,
    limit: usize,
    send: Sink,
}

pub struct Engine {
    ws: Workspace,
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
    options: Options,
}

/// A timer set or fired, as the service keeps it: a row with a due time. `key` is the timer's
/// place in the engine's order, the same on every replay of the same inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum TimerChange {
    Set {
        key: u64,
        due: Time,
        /// `resume` (a wait, timeout or deferral), `max_duration`, `expiry` or `fallback`.
        kind: &'static str,
        user: Option<Arc<str>>,
        journey: Option<Arc<str>>,
    },
    Done {
        key: u64,
    },
}

/// The facts of one evaluation. Derived facts (`now.*`, `journey.entered_at`) are computed on
/// first use only: most conditions never read them.
struct Ctx<'a> {
    event: Option<&'a Event>,
    /// `event.type` and `event.ts` as JSON values, made on first use.
    event_head: std::cell::OnceCell<(Value, Value)>,
    attrs: &'a Attrs,
    keys: &'a Keys,
    tz: Tz,
    now: Time,
    /// The user's journey states and the journey: where `journey.entered_at` comes from.
    states: (&'a JStates, usize),
    now_local: std::cell::OnceCell<(Value, Value)>,
    /// The engine's cache of the last instant's local hour and weekday (a schedule tick asks the
    /// same for every user).
    cache: &'a std::cell::RefCell<Option<(Time, (Value, Value))>>,
    entered_at: std::cell::OnceCell<Option<Value>>,
}

impl Ctx<'_> {
    fn local(&self) -> &(Value, Value) {
        self.now_local.get_or_init(|| {
            if let Some((t, v)) = &*self.cache.borrow() {
                if *t == self.now {
                    return v.clone();
                }
            }
            let l = self.now.with_timezone(&self.tz);
            let v = (
                Value::from(l.hour()),
                Value::from(l.weekday().num_days_from_sunday()),
            );
            *self.cache.borrow_mut() = Some((self.now, v.clone()));
            v
        })
    }
}

impl Facts for Ctx<'_> {
    fn get(&self, field: &FieldPath) -> Option<&Value> {
        let segs = &field.segments;
        let first = segs.first()?;
        match first.key.as_str() {
            "event" => {
                let ev = self.event?;
                let head = || {
                    self.event_head.get_or_init(|| {
                        (
                            Value::String(ev.kind.clone()),
                            Value::String(ts_string(ev.ts)),
                        )
                    })
                };
                match segs.get(1).map(|s| s.key.as_str()) {
                    Some("type") if segs.len() == 2 => Some(&head().0),
                    Some("ts") if segs.len() == 2 => Some(&head().1),
                    Some(_) => {
                        let v = ev.props.get(&segs[1].key)?;
                        trellis_rules::facts::lookup_segments(v, &segs[2..])
                    }
                    None => None,
                }
            }
            "user" => {
                let s = segs.get(1)?;
                let v = self.attrs.get(self.keys, s.hash, &s.key)?;
                if segs.len() == 2 {
                    (!v.is_null()).then_some(v)
                } else {
                    trellis_rules::facts::lookup_segments(v, &segs[2..])
                }
            }
            "now" if segs.len() == 2 => match segs[1].key.as_str() {
                "hour" => Some(&self.local().0),
                "weekday" => Some(&self.local().1),
                _ => None,
            },
            "journey" if segs.len() == 2 && segs[1].key == "entered_at" => self
                .entered_at
                .get_or_init(|| {
                    let (states, j) = self.states;
                    let inst = states.get(&j).and_then(|s| s.inside.as_ref());
                    inst.map(|i| Value::String(ts_string(i.entered_at)))
                })
                .as_ref(),
            _ => None,
        }
    }
}

fn parse_time(t: &Option<trellis_model::Timestamp>) -> Option<Time> {
    t.as_ref().map(|t| t.at)
}

impl Engine {
    /// Builds an engine over a workspace that validated without errors.
    pub fn new(ws: Workspace, options: Options) -> Engine {
        let tz = ws.policy().tz();
        let mut journeys = Vec::new();
        for (idx, j) in ws.journeys.iter().enumerate() {
            journeys.push(compile_journey(idx, j));
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
        let mut e = Engine {
            channels: Box::new(Recorded),
            interesting,
            keys: Keys::default(),
            local_cache: std::cell::RefCell::new(None),
            policy: std::sync::Arc::new(ws.policy().clone()),
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
            sink: None,
            sink_stopped: false,
            timer_changes: None,
            report,
            options,
        };
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
        self.ws.policy = ws.policy.clone();
        self.policy = Arc::new(self.ws.policy().clone());
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
        let release_offers = Arc::new(ws.offers.clone());
        for j in &ws.journeys {
            if let Some(c) = &j.campaign {
                self.ledgers.entry(c.id.clone()).or_default().total = c.budget.total.value;
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
            let idx = self.ws.journeys.len();
            let mut cj = compile_journey(idx, &doc);
            cj.offers = release_offers.clone();
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

    /// Whether version `j` takes user `u`'s entry, by the rollout of `runtime.md`.
    fn gate(&self, u: usize, j: usize) -> Gate {
        let l = &self.lineages[self.journeys[j].lineage];
        let n = l.stack.len();
        let Some(&(cur, r)) = l.stack.last() else {
            return Gate::Elsewhere;
        };
        if n == 1 && cur == j && r >= PPM {
            return Gate::Enter;
        }
        let in_current = || r >= PPM || bucket_ppm(&l.id, &self.users[u].id) < r;
        if cur == j {
            if in_current() {
                Gate::Enter
            } else if n >= 2 {
                Gate::Elsewhere
            } else {
                Gate::Rollout
            }
        } else if n >= 2 && l.stack[n - 2].0 == j && !in_current() {
            Gate::Enter
        } else {
            Gate::Elsewhere
        }
    }

    /// When the next timer or schedule tick falls due (the service ticks the clock then).
    pub fn next_due(&self) -> Option<Time> {
        let t = self.timers.peek().map(|Reverse((due, _, _))| *due);
        let s = self.schedules.iter().filter_map(|s| s.next).min();
        match (t, s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The report so far, with campaign money and totals brought up to date.
    pub fn report_now(&mut self) -> Report {
        self.sync_report();
        let mut r = self.report.clone();
        r.finish();
        r
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
        }
    }

    /// Fires every timer and schedule tick due at or before `t`, in due order.
    pub fn advance_to(&mut self, t: Time) {
        self.start(t);
        loop {
            let next_timer = self.timers.peek().map(|Reverse((due, _, _))| *due);
            let next_tick = self.schedules.iter().filter_map(|s| s.next).min();
            let at = match (next_timer, next_tick) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => break,
            };
            if at > t {
                break;
            }
            self.now = Some(at);
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
    /// a journey reacts to, profile updates and the conversion event. For any other type,
    /// [`handle_passing_at`](Self::handle_passing_at) does all that
    /// [`handle_new_at`](Self::handle_new_at) would, without the event itself.
    pub fn acting_kinds(&self) -> FastSet<String> {
        let mut kinds: FastSet<String> = self.interesting.keys().cloned().collect();
        kinds.insert("profile_update".to_owned());
        kinds.insert(self.policy.conversion_event().to_owned());
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

    pub fn handle_new_at(&mut self, ev: &Event, at: usize) {
        let u = self.arrive(ev.ts, at, &ev.user_id);
        let now = ev.ts;
        if ev.kind == "profile_update" {
            for (k, v) in &ev.props {
                self.users[u].attrs.set(&mut self.keys, k, v.clone());
            }
            self.attrs_changed(u);
        }
        if ev.kind == self.policy.conversion_event() {
            self.convert(u, ev, now);
        }
        let Some(&kind) = self.interesting.get(ev.kind.as_str()) else {
            return;
        };
        // The event as the instances that enter on it keep it, made once if any does.
        let shared = std::cell::OnceCell::new();
        let shared = || shared.get_or_init(|| Arc::new(ev.clone())).clone();
        let mut entered_groups: FastSet<String> = FastSet::new();
        for oi in 0..self.order.len() {
            let j = self.order[oi];
            if !self.journeys[j].reacts_to(kind) {
                continue;
            }
            // Goal exit.
            if self.journeys[j].goal.as_deref() == Some(ev.kind.as_str()) {
                if let Some(inst) = self.inside(u, j) {
                    let node = inst.node;
                    self.exit(u, j, node, "goal", now);
                }
            }
            // A waiting wait.event.
            if let Some(inst) = self.inside(u, j) {
                if inst.waiting == Waiting::Event {
                    let node = inst.node;
                    if let NodeKind::WaitEvent { event, .. } = &*self.journeys[j].nodes[node].kind {
                        if *event == ev.kind && self.cond_ok(u, j, node, Some(ev), now) {
                            let keeps_event = self.journeys[j].keeps_event;
                            let st = self.jstate(u, j);
                            if let Some(i) = st.inside.as_mut() {
                                i.event = keeps_event.then(shared);
                                i.waiting = Waiting::Running;
                            }
                            self.leave(u, j, node, "event", now);
                        }
                    }
                }
            }
            // Triggers, on the version that takes this user.
            if self.gate(u, j) == Gate::Elsewhere {
                continue;
            }
            // Every pattern trigger sees the event, even once another trigger has fired on it:
            // its count and its `unless` must not depend on the order of the triggers. The
            // user enters by the first trigger that fires.
            let mut fired = None;
            for ti in 0..self.journeys[j].triggers.len() {
                let t = self.journeys[j].triggers[ti];
                let fires = match &*self.journeys[j].nodes[t].kind {
                    NodeKind::TriggerEvent { event, .. } => {
                        fired.is_none()
                            && *event == ev.kind
                            && self.cond_ok(u, j, t, Some(ev), now)
                    }
                    NodeKind::TriggerPattern {
                        event,
                        count,
                        within,
                        unless,
                        ..
                    } => {
                        let (event, count, within) = (event.clone(), *count, within.seconds as i64);
                        let unless_hit = unless.as_deref() == Some(ev.kind.as_str());
                        let matches = event == ev.kind && self.cond_ok(u, j, t, Some(ev), now);
                        let st = self.jstate(u, j);
                        let q = match st.pattern.iter().position(|(n, _)| *n == t) {
                            Some(i) => &mut st.pattern[i].1,
                            None => {
                                st.pattern.push((t, VecDeque::new()));
                                &mut st.pattern.last_mut().expect("just pushed").1
                            }
                        };
                        if unless_hit {
                            q.clear();
                        }
                        if matches {
                            q.push_back(now);
                            let from = back(now, within);
                            while q.front().is_some_and(|f| *f <= from) {
                                q.pop_front();
                            }
                            if q.len() as u32 >= count {
                                q.clear();
                                true
                            } else {
                                false
                            }
                        } else {
                            false
                        }
                    }
                    _ => false,
                };
                if fires && fired.is_none() {
                    fired = Some(t);
                }
            }
            if let Some(t) = fired {
                let event = self.journeys[j].keeps_event.then(shared);
                self.try_enter(u, j, t, event, now, &mut entered_groups);
            }
        }
    }

    /// Runs the clock on to `until` and closes the report.
    pub fn finish(&mut self, until: Time) {
        self.advance_to(until);
        self.sync_report();
        self.report.finish();
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

    /// The facts of user `u` in journey `j` (the instance's `entered_at` is looked up only if a
    /// condition reads it: a schedule tick asks every user).
    fn facts<'a>(&'a self, u: usize, j: usize, event: Option<&'a Event>, now: Time) -> Ctx<'a> {
        user_facts(
            &self.users[u],
            &self.keys,
            self.tz,
            j,
            event,
            now,
            &self.local_cache,
        )
    }

    /// Whether each user is in the audience of schedule `i` at `at`.
    ///
    /// Leaves over the user's attributes alone are kept per user between ticks (the schedule's
    /// `memo`), and leaves over neither the user nor their journey (`now.*`) are evaluated once
    /// per tick, so a tick reads a profile only when it changed or a leaf was never needed
    /// before. Evaluating a condition only reads, and reads only the user's own facts and the
    /// time, so on a large audience two threads share the users; the answers are the same in
    /// the same order, and the entries that follow are made one by one in user order.
    fn audience(&mut self, i: usize, at: Time) -> Vec<bool> {
        /// Below this many users one thread is quicker than two.
        const TWO_THREADS: usize = 20_000;
        let users = &self.users[..];
        let s = &mut self.schedules[i];
        let Some(cond) = &self.journeys[s.journey].nodes[s.node].cond else {
            return vec![true; users.len()];
        };
        let j = s.journey;
        fn root(p: &FieldPath) -> &str {
            p.segments.first().map_or("", |s| s.key.as_str())
        }
        let user_mask = match cond.leaf_count() {
            0..=32 => cond.leaf_mask(|p| root(p) == "user").unwrap_or(0),
            _ => 0,
        };
        let tick_mask = cond
            .leaf_mask(|p| !matches!(root(p), "user" | "journey"))
            .unwrap_or(0);
        if user_mask != 0 {
            s.memo.resize(users.len(), [0, 0]);
        }
        let (keys, tz) = (&self.keys, self.tz);
        let eval = |part: &[User], memo: &mut [[u32; 2]]| -> Vec<bool> {
            let cache = std::cell::RefCell::new(None);
            let mut tick = Memo::default();
            let mut memo = memo.iter_mut();
            part.iter()
                .map(|user| {
                    let facts = user_facts(user, keys, tz, j, None, at, &cache);
                    let kept = memo.next();
                    let mut m = kept.as_ref().map_or(Memo::default(), |k| Memo {
                        known: u64::from(k[0]),
                        value: u64::from(k[1]),
                    });
                    m = m.with(tick);
                    let Some(yes) = cond.eval_memo(&facts, &mut m) else {
                        return cond.eval(&facts);
                    };
                    tick = m.only(tick_mask);
                    if let Some(k) = kept {
                        let u = m.only(user_mask);
                        *k = [u.known as u32, u.value as u32];
                    }
                    yes
                })
                .collect()
        };
        if users.len() < TWO_THREADS {
            return eval(users, &mut s.memo);
        }
        let half = users.len() / 2;
        let (first, second) = users.split_at(half);
        let at_half = half.min(s.memo.len());
        let (m1, m2) = s.memo.split_at_mut(at_half);
        std::thread::scope(|scope| {
            let other = scope.spawn(|| eval(second, m2));
            let mut all = eval(first, m1);
            match other.join() {
                Ok(rest) => all.extend(rest),
                Err(panic) => std::panic::resume_unwind(panic),
            }
            all
        })
    }

    /// Forgets what schedules' audiences knew of user `u`'s attributes (they changed).
    fn attrs_changed(&mut self, u: usize) {
        for s in &mut self.schedules {
            if let Some(m) = s.memo.get_mut(u) {
                *m = [0, 0];
            }
        }
    }

    fn cond_ok(&self, u: usize, j: usize, node: usize, event: Option<&Event>, now: Time) -> bool {
        match &self.journeys[j].nodes[node].cond {
            None => true,
            Some(c) => c.eval(&self.facts(u, j, event, now)),
        }
    }

    fn emit(
        &mut self,
        now: Time,
        u: Option<usize>,
        journey: Option<usize>,
        node: Option<usize>,
        kind: &'static str,
        extra: Vec<(&'static str, Value)>,
    ) -> u64 {
        if self.sink.is_some() {
            return self.write_line(now, u, journey, node, kind, &extra);
        }
        self.seq += 1;
        let cj = journey.map(|j| &self.journeys[j]);
        self.out.push(Decision {
            seq: self.seq,
            ts: now,
            user_id: u.map(|u| self.users[u].id.clone()),
            journey: cj.map(|c| c.id.clone()),
            version: cj.map(|c| c.version),
            node: cj.and_then(|c| node.map(|n| c.nodes[n].id.clone())),
            kind,
            extra,
        });
        self.seq
    }

    /// [`emit`](Self::emit) for extras that may be borrowed: with a sink they go straight into
    /// the line (no value, no list made); without, they become the record's values.
    fn emit_ex<const N: usize>(
        &mut self,
        now: Time,
        u: Option<usize>,
        journey: Option<usize>,
        node: Option<usize>,
        kind: &'static str,
        extra: [(&'static str, Extra<'_>); N],
    ) -> u64 {
        if self.sink.is_none() {
            let extra = extra
                .into_iter()
                .map(|(k, x)| (k, x.into_value()))
                .collect();
            return self.emit(now, u, journey, node, kind, extra);
        }
        self.write_line(now, u, journey, node, kind, &extra)
    }

    /// Writes a decision straight into the sink's lines (no record, no shared ids to count),
    /// handing them on when they are full. Only with a sink.
    fn write_line<X: ExtraValue>(
        &mut self,
        now: Time,
        u: Option<usize>,
        journey: Option<usize>,
        node: Option<usize>,
        kind: &'static str,
        extra: &[(&'static str, X)],
    ) -> u64 {
        self.seq += 1;
        let Some(sink) = &mut self.sink else {
            return self.seq;
        };
        let cj = journey.map(|j| &self.journeys[j]);
        let head = Head {
            seq: self.seq,
            ts: now,
            user_id: u.map(|u| &*self.users[u].id),
            journey: cj.map(|c| &*c.id),
            version: cj.map(|c| c.version),
            node: cj.and_then(|c| node.map(|n| &*c.nodes[n].id)),
            kind,
        };
        write_record(&mut sink.lines, head, extra, &mut sink.ts);
        sink.lines.push(b'\n');
        if sink.lines.len() >= sink.limit {
            self.flush();
        }
        self.seq
    }

    fn schedule_timer(&mut self, due: Time, t: Timer) {
        self.timer_seq += 1;
        self.note_timer(due, self.timer_seq, &t);
        self.timers.push(Reverse((due, self.timer_seq, t)));
    }

    /// Records a timer being set, when timers are tracked.
    fn note_timer(&mut self, due: Time, key: u64, t: &Timer) {
        if self.timer_changes.is_some() {
            let set = self.timer_row(due, key, t);
            if let Some(c) = self.timer_changes.as_mut() {
                c.push(set);
            }
        }
    }

    fn timer_row(&self, due: Time, key: u64, t: &Timer) -> TimerChange {
        let (kind, user, journey) = match *t {
            Timer::Resume { user, journey, .. } => ("resume", Some(user as usize), Some(journey)),
            Timer::MaxDuration { user, journey, .. } => {
                ("max_duration", Some(user as usize), Some(journey))
            }
            Timer::Fallback { user, journey, .. } => {
                ("fallback", Some(user as usize), Some(journey))
            }
            Timer::Expiry { coupon } => {
                let c = self.coupons.get(coupon as usize);
                ("expiry", c.map(|c| c.user), c.map(|c| c.journey as u32))
            }
        };
        TimerChange::Set {
            key,
            due,
            kind,
            user: user.and_then(|u| self.users.get(u)).map(|u| u.id.clone()),
            journey: journey
                .and_then(|j| self.journeys.get(j as usize))
                .map(|j| j.id.clone()),
        }
    }

    /// Keeps the timers set and fired from now on, for [`take_timer_changes`]; the service
    /// writes them as rows with a due time.
    ///
    /// [`take_timer_changes`]: Self::take_timer_changes
    pub fn track_timers(&mut self) {
        self.timer_changes.get_or_insert_with(Vec::new);
    }

    /// The timers set and fired since the last call, in the order it happened.
    pub fn take_timer_changes(&mut self) -> Vec<TimerChange> {
        self.timer_changes
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Every timer waiting now (as `Set` changes, in due order), for writing the rows afresh.
    pub fn pending_timers(&self) -> Vec<TimerChange> {
        let mut v: Vec<&Reverse<(Time, u64, Timer)>> = self.timers.iter().collect();
        v.sort_by_key(|Reverse((due, key, _))| (*due, *key));
        v.into_iter()
            .map(|Reverse((due, key, t))| self.timer_row(*due, *key, t))
            .collect()
    }

    /// The next tick of each schedule trigger, as (`journey/node`, due).
    pub fn schedule_dues(&self) -> Vec<(String, Option<Time>)> {
        self.schedules
            .iter()
            .map(|s| {
                let j = &self.journeys[s.journey];
                (format!("{}/{}", j.id, j.nodes[s.node].id), s.next)
            })
            .collect()
    }

    /// The units of an offer's stock left; `None` when it has no stock (unlimited) or is
    /// unknown.
    pub fn stock_left(&self, offer: &str) -> Option<u64> {
        let i = self.ws.offers.iter().position(|o| o.id == offer)?;
        self.stock.get(i).copied().flatten()
    }

    fn try_enter(
        &mut self,
        u: usize,
        j: usize,
        trigger: usize,
        event: Option<Arc<Event>>,
        now: Time,
        entered_groups: &mut FastSet<String>,
    ) {
        let gate = self.gate(u, j);
        if gate == Gate::Elsewhere {
            return;
        }
        let cj = &self.journeys[j];
        let lin = cj.lineage;
        let reason = if gate == Gate::Rollout {
            Some("rollout")
        } else if !cj.campaign_active(now) {
            Some("campaign_inactive")
        } else {
            // Re-entry counts every version of the journey: one id, one user, one instance.
            let (mut inside, mut ever, mut last_exit) = (false, false, None::<Time>);
            for (oj, s) in self.users[u].journeys.iter() {
                if self.journeys[oj].lineage == lin {
                    inside |= s.inside.is_some();
                    ever |= s.ever_entered;
                    last_exit = last_exit.max(s.last_exit);
                }
            }
            let blocked = inside
                || match &cj.re_entry {
                    ReEntry::Never => ever,
                    ReEntry::AfterExit => false,
                    ReEntry::Cooldown(d) => last_exit
                        .is_some_and(|x| now < x + ChronoDuration::seconds(d.seconds as i64)),
                };
            if blocked {
                Some("re_entry")
            } else if let Some(g) = &cj.mutex {
                let busy = entered_groups.contains(g)
                    || self.users[u].journeys.iter().any(|(oj, s)| {
                        self.journeys[oj].lineage != lin
                            && s.inside.is_some()
                            && self.journeys[oj].mutex.as_ref() == Some(g)
                    });
                busy.then_some("mutex")
            } else {
                None
            }
        };
        if let Some(r) = reason {
            self.emit_ex(
                now,
                Some(u),
                Some(j),
                Some(trigger),
                "journey.skipped",
                [("reason", Extra::Str(r))],
            );
            count(&mut self.journeys[j].counts.skipped, r);
            return;
        }
        if let Some(g) = &self.journeys[j].mutex {
            entered_groups.insert(g.clone());
        }
        self.inst_seq += 1;
        let inst = Inst {
            id: self.inst_seq,
            entered_at: now,
            node: trigger,
            event,
            waiting: Waiting::Running,
        };
        let id = inst.id;
        let st = self.jstate(u, j);
        st.inside = Some(inst);
        st.ever_entered = true;
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(trigger),
            "journey.entered",
            vec![],
        );
        self.journeys[j].counts.entered += 1;
        // The maximum duration's timer takes its place in the timer order now, but goes into
        // the queue only if the instance is still inside after its first steps (most go
        // straight through, and their timer would only wait in the queue to do nothing). The
        // steps fire no timer, so the order of those that do fire is the same either way.
        let max_timer = self.journeys[j].max_duration.map(|max| {
            self.timer_seq += 1;
            (now + ChronoDuration::seconds(max), self.timer_seq)
        });
        self.pass(u, j, trigger);
        self.leave(u, j, trigger, "out", now);
        if let Some((due, seq)) = max_timer {
            if self.inside(u, j).is_some_and(|i| i.id == id) {
                let t = Timer::MaxDuration {
                    user: u as u32,
                    journey: j as u32,
                    inst: id,
                };
                self.note_timer(due, seq, &t);
                self.timers.push(Reverse((due, seq, t)));
            }
        }
    }

    fn pass(&mut self, _u: usize, j: usize, node: usize) {
        self.journeys[j].nodes[node].entered += 1;
    }

    /// Leaves `node` by `port` and runs on until the user waits or exits.
    fn leave(&mut self, u: usize, j: usize, node: usize, port: &str, now: Time) {
        let mut node = node;
        let mut port: Cow<'_, str> = Cow::Borrowed(port);
        for _ in 0..100_000 {
            self.journeys[j].nodes[node].count_port(&port);
            let Some(next) = self.journeys[j].nodes[node].next(&port) else {
                self.exit(u, j, node, "completed", now);
                return;
            };
            if let Some(i) = self.jstate(u, j).inside.as_mut() {
                i.node = next;
                i.waiting = Waiting::Running;
            }
            self.pass(u, j, next);
            match self.step(u, j, next, now) {
                Some(p) => {
                    node = next;
                    port = p;
                }
                None => return,
            }
        }
    }

    /// Executes a node; `Some(port)` to go on, `None` when the user now waits or left.
    fn step(&mut self, u: usize, j: usize, n: usize, now: Time) -> Option<Cow<'static, str>> {
        let kind = self.journeys[j].nodes[n].kind.clone();
        match &*kind {
            NodeKind::Condition { .. } => {
                let ev = self.inside(u, j).and_then(|i| i.event.clone());
                Some(
                    if self.cond_ok(u, j, n, ev.as_deref(), now) {
                        "yes"
                    } else {
                        "no"
                    }
                    .into(),
                )
            }
            NodeKind::Switch { cases } => {
                let ev = self.inside(u, j).and_then(|i| i.event.clone());
                let facts = self.facts(u, j, ev.as_deref(), now);
                let hit = self.journeys[j].nodes[n]
                    .cases
                    .iter()
                    .position(|c| c.eval(&facts));
                Some(hit.map_or(Cow::Borrowed("else"), |i| cases[i].port.clone().into()))
            }
            NodeKind::SplitRandom { branches, salt } => {
                let salt = salt.clone().unwrap_or_else(|| {
                    format!("{}:{}", self.journeys[j].id, self.journeys[j].nodes[n].id)
                });
                let b = bucket_ppm(&salt, &self.users[u].id);
                let ps: Vec<u32> = branches.iter().map(|b| b.percent.ppm).collect();
                Some(branches[pick(b, &ps)].port.clone().into())
            }
            NodeKind::SplitExperiment {
                experiment,
                variants,
                holdout_percent,
            } => {
                let b = bucket_ppm(experiment, &self.users[u].id);
                let ps: Vec<u32> = variants.iter().map(|b| b.percent.ppm).collect();
                let port = match pick_experiment(b, holdout_percent.map_or(0, |h| h.ppm), &ps) {
                    None => "holdout".to_owned(),
                    Some(i) => variants[i].port.clone(),
                };
                self.emit(
                    now,
                    Some(u),
                    Some(j),
                    Some(n),
                    "experiment.assigned",
                    vec![
                        ("experiment", experiment.clone().into()),
                        ("variant", port.clone().into()),
                    ],
                );
                Some(port.into())
            }
            NodeKind::WaitDelay { duration } => {
                self.wait(
                    u,
                    j,
                    n,
                    now + ChronoDuration::seconds(duration.seconds as i64),
                    Waiting::Delay,
                );
                None
            }
            NodeKind::WaitEvent { timeout, .. } => {
                self.wait(
                    u,
                    j,
                    n,
                    now + ChronoDuration::seconds(timeout.seconds as i64),
                    Waiting::Event,
                );
                None
            }
            NodeKind::ActionOffer { offer } => Some(self.issue(u, j, n, offer, now).into()),
            NodeKind::ActionTouch { .. } => self.touch(u, j, n, now),
            NodeKind::ActionPoints { amount, .. } => {
                self.users[u].points += amount;
                let balance = self.users[u].points;
                self.emit(
                    now,
                    Some(u),
                    Some(j),
                    Some(n),
                    "points.awarded",
                    vec![("amount", (*amount).into()), ("balance", balance.into())],
                );
                Some("out".into())
            }
            NodeKind::ActionUpdate { set } => {
                for (k, v) in set {
                    self.users[u].attrs.set(&mut self.keys, k, v.clone());
                }
                self.attrs_changed(u);
                self.emit(
                    now,
                    Some(u),
                    Some(j),
                    Some(n),
                    "profile.updated",
                    vec![("set", Value::Object(set.clone()))],
                );
                Some("out".into())
            }
            NodeKind::Exit => {
                self.exit(u, j, n, "completed", now);
                None
            }
            NodeKind::TriggerEvent { .. }
            | NodeKind::TriggerSchedule { .. }
            | NodeKind::TriggerPattern { .. } => Some("out".into()),
            NodeKind::Unknown { .. } | NodeKind::Invalid { .. } => {
                self.exit(u, j, n, "completed", now);
                None
            }
        }
    }

    fn wait(&mut self, u: usize, j: usize, n: usize, due: Time, how: Waiting) {
        let Some(inst) = self.jstate(u, j).inside.as_mut() else {
            return;
        };
        inst.waiting = how;
        inst.node = n;
        let id = inst.id;
        self.schedule_timer(
            due,
            Timer::Resume {
                user: u as u32,
                journey: j as u32,
                inst: id,
                node: n as u32,
            },
        );
    }

    fn exit(&mut self, u: usize, j: usize, node: usize, reason: &'static str, now: Time) {
        let st = self.jstate(u, j);
        if st.inside.take().is_none() {
            return;
        }
        st.last_exit = Some(now);
        self.emit_ex(
            now,
            Some(u),
            Some(j),
            Some(node),
            "journey.exited",
            [("reason", Extra::Str(reason))],
        );
        count(&mut self.journeys[j].counts.exited, reason);
    }

    fn fire(&mut self, t: Timer, now: Time) {
        match t {
            Timer::Resume {
                user,
                journey,
                inst,
                node,
            } => {
                let (user, journey, node) = (user as usize, journey as usize, node as usize);
                let Some(i) = self.inside(user, journey) else {
                    return;
                };
                if i.id != inst || i.node != node {
                    return;
                }
                match i.waiting {
                    Waiting::Delay => self.leave(user, journey, node, "out", now),
                    Waiting::Event => self.leave(user, journey, node, "timeout", now),
                    Waiting::Deferral => {
                        if let Some(p) = self.touch(user, journey, node, now) {
                            self.leave(user, journey, node, &p, now);
                        }
                    }
                    Waiting::Running => {}
                }
            }
            Timer::MaxDuration {
                user,
                journey,
                inst,
            } => {
                let (user, journey) = (user as usize, journey as usize);
                if let Some(i) = self.inside(user, journey) {
                    if i.id == inst {
                        let node = i.node;
                        self.exit(user, journey, node, "max_duration", now);
                    }
                }
            }
            Timer::Expiry { coupon } => {
                let c = &mut self.coupons[coupon as usize];
                if !c.active {
                    return;
                }
                c.active = false;
                let (face, offer, user, id) = (c.face, c.offer, c.user, c.id.clone());
                let (j, n) = (c.journey, c.node);
                let camp = self.journeys[j].campaign.clone();
                if let Some(l) = camp.as_ref().and_then(|c| self.ledgers.get_mut(c)) {
                    l.reserved -= face;
                }
                self.emit(
                    now,
                    Some(user),
                    Some(j),
                    Some(n),
                    "offer.expired",
                    vec![
                        ("instance", id.into()),
                        ("amount", decimal_string(face).into()),
                    ],
                );
                let oid = self.ws.offers[offer].id.clone();
                self.report.offer(&oid).expired += 1;
                if let Some(camp) = camp {
                    self.note_burn(&camp, now);
                }
            }
            Timer::Fallback {
                user,
                journey,
                node,
                from,
            } => {
                let (user, journey) = (user as usize, journey as usize);
                self.touch_from(user, journey, node as usize, from as usize, now);
            }
        }
    }

    fn issue(&mut self, u: usize, j: usize, n: usize, offer_id: &str, now: Time) -> &'static str {
        let Some(oi) = self.ws.offers.iter().position(|o| o.id == offer_id) else {
            return "rejected";
        };
        let cj = &self.journeys[j];
        let offer = cj
            .offers
            .iter()
            .find(|o| o.id == offer_id)
            .unwrap_or(&self.ws.offers[oi])
            .clone();
        let camp = cj.campaign.clone().unwrap_or_default();
        let face = offer.face_value.value;
        let local_hour = {
            let l = now.with_timezone(&self.tz);
            // Hours of the policy zone, counted from the epoch in UTC seconds of their start, so an
            // hour repeated by a DST change is two hours.
            (now.timestamp() - i64::from(l.minute()) * 60 - i64::from(l.second())) / 3600
        };
        let reason = if !cj.campaign_active(now) {
            Some("campaign_inactive")
        } else if issued_count(&self.users[u].issued, oi) >= offer.per_user_limit() {
            Some("per_user_limit")
        } else if self.stock[oi] == Some(0) {
            Some("stock")
        } else if self
            .ledgers
            .get(&camp)
            .is_some_and(|l| l.reserved + l.spent + face > l.total)
        {
            Some("budget")
        } else if let Some(q) = self.ws.journeys[cj.idx]
            .campaign
            .as_ref()
            .and_then(|c| c.hourly_quota)
        {
            let used = self
                .hourly
                .get(&(camp.clone(), local_hour))
                .copied()
                .unwrap_or_default();
            (used + face > q.value).then_some("hourly_quota")
        } else {
            None
        };
        if let Some(r) = reason {
            self.emit(
                now,
                Some(u),
                Some(j),
                Some(n),
                "offer.rejected",
                vec![("offer", offer_id.into()), ("reason", r.into())],
            );
            crate::report::bump(&mut self.report.offer(offer_id).rejected, r);
            return "rejected";
        }
        if let Some(s) = self.stock[oi].as_mut() {
            *s -= 1;
        }
        let issued = &mut self.users[u].issued;
        match issued.iter_mut().find(|(o, _)| *o == oi) {
            Some((_, c)) => *c += 1,
            None => push_tight(issued, (oi, 1)),
        }
        *self.hourly.entry((camp.clone(), local_hour)).or_default() += face;
        let coupon = offer.kind == OfferKind::Coupon;
        if let Some(l) = self.ledgers.get_mut(&camp) {
            if coupon {
                l.reserved += face;
            } else {
                l.spent += face;
            }
        }
        let ci = self.coupons.len();
        let id = format!("{offer_id}-{:06}", ci + 1);
        let expires_at = now + ChronoDuration::seconds(offer.valid_for_secs() as i64);
        let from = back(now, self.ws.policy().attribution_window_secs() as i64);
        let prior = self.users[u].conversions.iter().any(|t| *t > from);
        self.coupons.push(Coupon {
            id: id.clone(),
            offer: oi,
            user: u,
            journey: j,
            node: n,
            face,
            min_spend: offer.min_spend.map(|m| m.value),
            expires_at,
            active: coupon,
            prior_conversion: prior,
            redeemed_by: None,
        });
        self.coupon_index.insert(id.clone().into_boxed_str(), ci);
        let seq = self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            "offer.issued",
            vec![
                ("offer", offer_id.into()),
                ("instance", id.into()),
                ("amount", decimal_string(face).into()),
                (
                    "expires_at",
                    if coupon {
                        ts_string(expires_at).into()
                    } else {
                        Value::Null
                    },
                ),
            ],
        );
        if coupon {
            push_tight(&mut self.users[u].coupons, ci);
            self.schedule_timer(expires_at, Timer::Expiry { coupon: ci as u32 });
        } else {
            self.report.cost += face;
        }
        self.candidate(u, (seq, now, j as u32, n as u32, true));
        self.report.offer(offer_id).issued += 1;
        self.note_burn(&camp, now);
        "issued"
    }

    fn note_burn(&mut self, camp: &str, now: Time) {
        let Some(l) = self.ledgers.get(camp) else {
            return;
        };
        let committed = l.reserved + l.spent;
        let total = l.total;
        let cm = crate::report::slot(&mut self.report.campaigns, camp);
        if self.options.burn_by_day {
            let day = if (0..=9999).contains(&now.year()) {
                // The date of the timestamp's text (YYYY-MM-DD), without a format string.
                let mut text = Vec::with_capacity(32);
                crate::input::write_ts(&mut text, now);
                String::from_utf8_lossy(&text[..10]).into_owned()
            } else {
                now.format("%Y-%m-%d").to_string()
            };
            cm.committed_by_day.insert(day, decimal_string(committed));
        }
        if cm.exhausted_at.is_none() && committed >= total {
            cm.exhausted_at = Some(ts_string(now));
        }
    }

    fn reachable(&self, u: usize, ch: Channel) -> bool {
        self.users[u].reach & reach_bit(ch) != 0
    }

    fn sent_in(&self, u: usize, ch: Option<Channel>, window: i64, now: Time) -> u32 {
        let from = back(now, window);
        self.users[u]
            .sends
            .iter()
            .filter(|(t, c)| *t > from && ch.is_none_or(|x| x == *c))
            .count() as u32
    }

    /// A touch: quiet hours, then channels, then the `*` caps.
    fn touch(&mut self, u: usize, j: usize, n: usize, now: Time) -> Option<Cow<'static, str>> {
        self.touch_from(u, j, n, 0, now)
    }

    /// A touch trying its channels from index `start` on: 0 for the node itself, more for the
    /// fallback after an asynchronous delivery failure (which must not move the user, so quiet
    /// hours defer it with its own timer).
    fn touch_from(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        start: usize,
        now: Time,
    ) -> Option<Cow<'static, str>> {
        let kind = self.journeys[j].nodes[n].kind.clone();
        let NodeKind::ActionTouch {
            channels,
            template,
            content,
            ..
        } = &*kind
        else {
            return Some("suppressed".into());
        };
        let policy = self.policy.clone();
        if let Some(q) = &policy.quiet_hours {
            let tz = q.tz.unwrap_or(self.tz);
            let local = now.with_timezone(&tz);
            let m = (local.hour() * 60 + local.minute()) as u16;
            let (s, e) = (q.start.minute_of_day, q.end.minute_of_day);
            let inside = if s == e {
                false
            } else if s < e {
                s <= m && m < e
            } else {
                m >= s || m < e
            };
            if inside {
                if q.mode == QuietMode::Suppress {
                    return Some(self.suppress(u, j, n, "quiet_hours", now).into());
                }
                let mut date = local.date_naive();
                if m >= e {
                    date = date.succ_opt().unwrap_or(date);
                }
                let end_local = date
                    .and_hms_opt(u32::from(e / 60), u32::from(e % 60), 0)
                    .unwrap_or_default();
                let until = tz
                    .from_local_datetime(&end_local)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(now + ChronoDuration::hours(1));
                self.emit(
                    now,
                    Some(u),
                    Some(j),
                    Some(n),
                    "touch.deferred",
                    vec![("until", ts_string(until).into())],
                );
                self.report.touches.deferred += 1;
                if start == 0 {
                    self.wait(u, j, n, until, Waiting::Deferral);
                } else {
                    let t = Timer::Fallback {
                        user: u as u32,
                        journey: j as u32,
                        node: n as u32,
                        from: start as u32,
                    };
                    self.schedule_timer(until, t);
                }
                return None;
            }
        }
        let caps = policy.freq_caps();
        let all_cap_full = caps
            .iter()
            .filter(|c| c.channel.is_none())
            .any(|c| self.sent_in(u, None, c.window.seconds as i64, now) + 1 > c.max);
        let mut capped_reachable = false;
        let mut from = start;
        let (i, ch) = loop {
            let mut chosen = None;
            for (i, &ch) in channels.iter().enumerate().skip(from) {
                if !self.reachable(u, ch) {
                    continue;
                }
                let held = caps
                    .iter()
                    .filter(|c| c.channel == Some(ch))
                    .any(|c| self.sent_in(u, Some(ch), c.window.seconds as i64, now) + 1 > c.max);
                if held {
                    capped_reachable = true;
                    continue;
                }
                chosen = Some((i, ch));
                break;
            }
            let Some((i, ch)) = chosen else {
                let r = if capped_reachable {
                    "freq_cap"
                } else {
                    "no_channel"
                };
                return Some(self.suppress(u, j, n, r, now).into());
            };
            if all_cap_full {
                return Some(self.suppress(u, j, n, "freq_cap", now).into());
            }
            let msg = Message {
                user_id: &self.users[u].id,
                channel: ch,
                template: template.as_str(),
                content: content.as_ref(),
                contact: self.users[u].contact.as_deref().unwrap_or(&NO_CONTACT),
                journey: &self.journeys[j].id,
                node: &self.journeys[j].nodes[n].id,
                at: now,
            };
            match self.channels.send(&msg) {
                Ok(()) => break (i, ch),
                // A failed delivery falls back to the next channel of the list.
                Err(_) => {
                    crate::report::bump(&mut self.report.touches.failed, ch.as_str());
                    from = i + 1;
                }
            }
        };
        let mut tried: smallvec::SmallVec<[&str; 5]> = smallvec::SmallVec::new();
        tried.extend(channels[..i].iter().map(|c| c.as_str()));
        // Keep only what the longest cap window can still count.
        let longest = caps
            .iter()
            .map(|c| c.window.seconds as i64)
            .max()
            .unwrap_or(0);
        let from = back(now, longest);
        let user = &mut self.users[u];
        user.sends.retain(|(t, _)| *t > from);
        push_tight(&mut user.sends, (now, ch));
        let (channel, template, tried) = (
            ("channel", Extra::Str(ch.as_str())),
            ("template", Extra::Str(template.as_str())),
            ("tried", Extra::Strs(&tried)),
        );
        let seq = if start > 0 {
            let from = ("fallback_from", Extra::Str(channels[start - 1].as_str()));
            let extra = [channel, template, tried, from];
            self.emit_ex(now, Some(u), Some(j), Some(n), "touch.sent", extra)
        } else {
            let extra = [channel, template, tried];
            self.emit_ex(now, Some(u), Some(j), Some(n), "touch.sent", extra)
        };
        self.candidate(u, (seq, now, j as u32, n as u32, false));
        crate::report::bump(&mut self.report.touches.sent, ch.as_str());
        Some("sent".into())
    }

    /// Remembers an attribution candidate, forgetting those the window can no longer reach.
    fn candidate(&mut self, u: usize, c: Candidate) {
        let from = back(c.1, self.policy.attribution_window_secs() as i64);
        let list = &mut self.users[u].touches;
        if list.first().is_some_and(|f| f.1 <= from) {
            list.retain(|t| t.1 > from);
        }
        push_tight(list, c);
    }

    fn suppress(&mut self, u: usize, j: usize, n: usize, reason: &str, now: Time) -> &'static str {
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            "touch.suppressed",
            vec![("reason", reason.into())],
        );
        crate::report::bump(&mut self.report.touches.suppressed, reason);
        "suppressed"
    }

    /// Redeems coupon `ci` for an order: its reserved money becomes spent.
    fn redeem_coupon(&mut self, ci: usize, order: Value, now: Time) {
        let u = self.coupons[ci].user;
        let c = &mut self.coupons[ci];
        c.active = false;
        c.redeemed_by = Some(match &order {
            Value::String(s) => s.as_str().into(),
            _ => "".into(),
        });
        let (face, j, n, id, offer, prior) = (
            c.face,
            c.journey,
            c.node,
            c.id.clone(),
            c.offer,
            c.prior_conversion,
        );
        if let Some(l) = self.journeys[j]
            .campaign
            .as_ref()
            .and_then(|c| self.ledgers.get_mut(c))
        {
            l.reserved -= face;
            l.spent += face;
        }
        self.report.cost += face;
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            "offer.redeemed",
            vec![
                ("instance", id.into()),
                ("order", order.clone()),
                ("amount", decimal_string(face).into()),
            ],
        );
        let oid = self.ws.offers[offer].id.clone();
        self.report.offer(&oid).redeemed += 1;
        let s = &mut self.report.subsidised_conversions;
        s.redemptions += 1;
        if prior {
            s.by_prior_converters += 1;
            s.cost_to_prior_converters += face;
        }
    }

    /// Redeems an offer instance for an order (`POST /v1/offers/redeem`). The same instance and
    /// order again is a no-op answering `Ok(false)`.
    pub fn redeem(
        &mut self,
        instance: &str,
        order: &str,
        amount: Decimal,
        now: Time,
    ) -> Result<bool, RedeemError> {
        self.advance_to(now);
        let now = self.now.unwrap_or(now);
        let Some(&ci) = self.coupon_index.get(instance) else {
            return Err(RedeemError::Unknown(instance.to_owned()));
        };
        let c = &self.coupons[ci];
        if let Some(by) = &c.redeemed_by {
            return if &**by == order {
                Ok(false)
            } else {
                Err(RedeemError::AlreadyRedeemed(
                    instance.to_owned(),
                    by.to_string(),
                ))
            };
        }
        if self.ws.offers[c.offer].kind != OfferKind::Coupon {
            return Err(RedeemError::NotACoupon(instance.to_owned()));
        }
        if !c.active || c.expires_at <= now {
            return Err(RedeemError::Expired(instance.to_owned()));
        }
        if let Some(m) = c.min_spend.filter(|m| *m > amount) {
            return Err(RedeemError::MinSpend {
                amount: decimal_string(amount),
                min_spend: decimal_string(m),
            });
        }
        self.redeem_coupon(ci, Value::from(order), now);
        Ok(true)
    }

    /// A touch's delivery failed after the service's retries: logs `touch.failed` and falls back
    /// to the touch node's next channel after the failed one, through the same path as a touch
    /// (reachability and consent, caps, quiet hours), so the log then says `touch.sent` (with
    /// `fallback_from`), `touch.deferred` or `touch.suppressed` (`no_channel` when none is left).
    /// The failed send no longer counts as sent (caps, report). False, with nothing logged, when
    /// the user, the journey version or the node is unknown or the channel is not the node's.
    pub fn delivery_failed(&mut self, f: &DeliveryFailure<'_>, now: Time) -> bool {
        self.advance_to(now);
        let now = self.now.unwrap_or(now);
        let Some(&u) = self.user_index.get(f.user_id) else {
            return false;
        };
        let Some(j) = self
            .journeys
            .iter()
            .position(|c| &*c.id == f.journey && c.version == f.version)
        else {
            return false;
        };
        let Some(n) = self.journeys[j].nodes.iter().position(|x| &*x.id == f.node) else {
            return false;
        };
        let NodeKind::ActionTouch {
            channels, template, ..
        } = &*self.journeys[j].nodes[n].kind.clone()
        else {
            return false;
        };
        let Some(at) = channels.iter().position(|&c| c == f.channel) else {
            return false;
        };
        let sends = &mut self.users[u].sends;
        if let Some(k) = sends
            .iter()
            .position(|&(t, c)| t == f.sent_at && c == f.channel)
        {
            sends.remove(k);
        }
        let ch = f.channel.as_str();
        if let Some(c) = self.report.touches.sent.get_mut(ch) {
            *c = c.saturating_sub(1);
        }
        crate::report::bump(&mut self.report.touches.failed, ch);
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            "touch.failed",
            vec![
                ("channel", ch.into()),
                ("template", template.as_str().into()),
                ("reason", f.reason.into()),
            ],
        );
        self.touch_from(u, j, n, at + 1, now);
        true
    }

    /// What the engine holds about one user (`GET /v1/users/{id}`): the journeys they are in, their
    /// offer instances, recent sends and points. None for a user never seen.
    pub fn user_view(&self, user_id: &str) -> Option<Value> {
        let &u = self.user_index.get(user_id)?;
        let user = &self.users[u];
        let journeys: Vec<Value> = user
            .journeys
            .iter()
            .filter_map(|(j, s)| {
                let i = s.inside.as_ref()?;
                let cj = &self.journeys[j];
                Some(json!({
                    "journey": &*cj.id,
                    "version": cj.version,
                    "node": &*cj.nodes[i.node].id,
                    "entered_at": ts_string(i.entered_at),
                    "waiting": match i.waiting {
                        Waiting::Running => "running",
                        Waiting::Delay => "delay",
                        Waiting::Event => "event",
                        Waiting::Deferral => "deferral",
                    },
                }))
            })
            .collect();
        let offers: Vec<Value> = user
            .coupons
            .iter()
            .map(|&ci| {
                let c = &self.coupons[ci];
                let status = if c.redeemed_by.is_some() {
                    "redeemed"
                } else if c.active {
                    "active"
                } else {
                    "expired"
                };
                json!({
                    "instance": c.id,
                    "offer": self.ws.offers[c.offer].id,
                    "amount": decimal_string(c.face),
                    "expires_at": ts_string(c.expires_at),
                    "status": status,
                    "journey": &*self.journeys[c.journey].id,
                })
            })
            .collect();
        let sends: Vec<Value> = user
            .sends
            .iter()
            .rev()
            .take(50)
            .map(|(t, ch)| json!({ "ts": ts_string(*t), "channel": ch.as_str() }))
            .collect();
        let attrs: Map<String, Value> = user
            .attrs
            .iter()
            .map(|(k, v)| (self.keys.name(k).to_owned(), v.clone()))
            .collect();
        Some(json!({
            "user_id": user_id,
            "attrs": attrs,
            "points": user.points,
            "journeys": journeys,
            "offers": offers,
            "recent_sends": sends,
        }))
    }

    /// A conversion event: redemption of the best coupon, then single attribution.
    fn convert(&mut self, u: usize, ev: &Event, now: Time) {
        let revenue = match ev.props.get(self.ws.policy().revenue_field()) {
            Some(v @ (Value::Number(_) | Value::String(_))) => trellis_model::Money::from_json(v)
                .map(|m| m.value)
                .unwrap_or_default(),
            _ => Decimal::ZERO,
        };
        let order = ev.event_id.clone().map_or(Value::Null, Value::from);
        // Redemption: the largest face value among usable coupons, ties to the earliest issued.
        let best = self.users[u]
            .coupons
            .iter()
            .copied()
            .filter(|&c| {
                let c = &self.coupons[c];
                c.active && c.expires_at > now && c.min_spend.is_none_or(|m| m <= revenue)
            })
            .max_by(|&a, &b| {
                self.coupons[a]
                    .face
                    .cmp(&self.coupons[b].face)
                    .then_with(|| b.cmp(&a))
            });
        if let Some(ci) = best {
            self.redeem_coupon(ci, order.clone(), now);
        }
        // Attribution.
        let from = back(now, self.ws.policy().attribution_window_secs() as i64);
        let user = &mut self.users[u];
        user.touches.retain(|t| t.1 > from);
        let cand = match self.ws.policy().attribution_model() {
            AttributionModel::LastTouch => user.touches.iter().max_by_key(|t| t.0),
            AttributionModel::FirstTouch => user.touches.iter().min_by_key(|t| t.0),
        };
        let attributed = cand.map(|t| {
            let cj = &self.journeys[t.2 as usize];
            let kind = if t.4 { "offer" } else { "touch" };
            json!({ "journey": &*cj.id, "node": &*cj.nodes[t.3 as usize].id, "kind": kind })
        });
        user.conversions.retain(|t| *t > from);
        push_tight(&mut user.conversions, now);
        self.report.conversions.count += 1;
        self.report.conversions.revenue += revenue;
        if attributed.is_some() {
            self.report.conversions.attributed += 1;
            self.report.conversions.attributed_revenue += revenue;
        }
        self.emit(
            now,
            Some(u),
            None,
            None,
            "conversion",
            vec![
                ("event_id", order),
                ("revenue", decimal_string(revenue).into()),
                ("attributed_to", attributed.unwrap_or(Value::Null)),
            ],
        );
    }

    /// The next cron tick strictly after `after`, in local time, skipping DST gaps and firing a
    /// repeated local time once.
    fn next_tick(&self, i: usize, after: Time) -> Option<Time> {
        let s = &self.schedules[i];
        let NodeKind::TriggerSchedule { cron, .. } = &*self.journeys[s.journey].nodes[s.node].kind
        else {
            return None;
        };
        let mut t = after.with_second(0)?.with_nanosecond(0)? + ChronoDuration::minutes(1);
        // Search at most a bit over a year of minutes.
        for _ in 0..(366 * 24 * 60 + 120) {
            let local = t.with_timezone(&self.tz).naive_local();
            if cron.matches(&local) && s.last_local.is_none_or(|l| local > l) {
                return Some(t);
            }
            t += ChronoDuration::minutes(1);
        }
        None
    }

    fn tick(&mut self, at: Time) {
        let due: Vec<usize> = (0..self.schedules.len())
            .filter(|&i| self.schedules[i].next == Some(at))
            .collect();
        // Mutex groups entered at this tick, per user (only when ticks coincide).
        let mut entered: FastMap<usize, FastSet<String>> = FastMap::new();
        let several = due.len() > 1;
        for i in due {
            let (j, n) = (self.schedules[i].journey, self.schedules[i].node);
            self.schedules[i].last_local = Some(at.with_timezone(&self.tz).naive_local());
            let audience = self.audience(i, at);
            for (u, _) in audience.iter().enumerate().filter(|(_, &yes)| yes) {
                let mut groups = entered.remove(&u).unwrap_or_default();
                self.try_enter(u, j, n, None, at, &mut groups);
                if several && !groups.is_empty() {
                    entered.insert(u, groups);
                }
            }
            self.schedules[i].next = self.next_tick(i, at);
        }
    }

    /// Brings the report's campaign money and node counts up to date (they are kept where the
    /// engine updates them cheaply: the ledgers and the compiled nodes).
    fn sync_report(&mut self) {
        // Every version of a journey id counts in one entry of the report.
        for cj in &self.journeys {
            let rj = crate::report::slot(&mut self.report.journeys, &cj.id);
            rj.entered = 0;
            rj.skipped.clear();
            rj.exited.values_mut().for_each(|c| *c = 0);
            for n in &cj.nodes {
                let rn = crate::report::slot(&mut rj.nodes, &n.id);
                *rn = crate::report::NodeCounts::default();
            }
        }
        for cj in &self.journeys {
            let rj = crate::report::slot(&mut self.report.journeys, &cj.id);
            rj.entered += cj.counts.entered;
            for (k, c) in &cj.counts.skipped {
                *crate::report::slot(&mut rj.skipped, k) += c;
            }
            for (k, c) in &cj.counts.exited {
                *crate::report::slot(&mut rj.exited, k) += c;
            }
            for n in &cj.nodes {
                let rn = crate::report::slot(&mut rj.nodes, &n.id);
                rn.entered += n.entered;
                for (p, c) in &n.ports {
                    *crate::report::slot(&mut rn.ports, p) += c;
                }
            }
        }
        for (id, l) in &self.ledgers {
            let c = self.report.campaigns.entry(id.clone()).or_default();
            c.budget = l.total;
            c.reserved = l.reserved;
            c.spent = l.spent;
            c.remaining = l.total - l.reserved - l.spent;
        }
    }

    /// Invariant checks for tests: money never over budget, stock never negative.
    pub fn check_invariants(&self) -> Result<(), String> {
        for (id, l) in &self.ledgers {
            if l.reserved < Decimal::ZERO
                || l.spent < Decimal::ZERO
                || l.reserved + l.spent > l.total
            {
                return Err(format!(
                    "campaign {id}: reserved {} + spent {} vs budget {}",
                    l.reserved, l.spent, l.total
                ));
            }
        }
        let mut ids = HashSet::new();
        for c in &self.coupons {
            if !ids.insert(&c.id) {
                return Err(format!("instance {} issued twice", c.id));
            }
        }
        Ok(())
    }

    pub fn users_seen(&self) -> usize {
        self.users.len()
    }
}

/// `secs` seconds before `t`, or the earliest time there is (a window longer than the calendar
/// reaches everything).
fn back(t: Time, secs: i64) -> Time {
    t.checked_sub_signed(ChronoDuration::seconds(secs))
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC)
}

fn reach_bit(ch: Channel) -> u8 {
    1 << (ch as u8)
}

/// The channels a profile can be reached on: inbox and webhook always; push, SMS and email with
/// a contact (push token, phone, address) that is neither null nor empty, unless consent to
/// the channel is `false`.
fn reach_of(p: &Profile) -> u8 {
    let mut reach = reach_bit(Channel::Inbox) | reach_bit(Channel::Webhook);
    for (k, v) in &p.contact {
        if v.is_null() || v.as_str() == Some("") {
            continue;
        }
        reach |= match k.as_str() {
            "push" => reach_bit(Channel::Push),
            "phone" => reach_bit(Channel::Sms),
            "email" => reach_bit(Channel::Email),
            _ => 0,
        };
    }
    for (k, v) in &p.consent {
        if *v == Value::Bool(false) {
            reach &= !match k.as_str() {
                "push" => reach_bit(Channel::Push),
                "sms" => reach_bit(Channel::Sms),
                "email" => reach_bit(Channel::Email),
                _ => 0,
            };
        }
    }
    reach
}

/// The contacts of a profile that has none.
static NO_CONTACT: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

fn issued_count(issued: &[(usize, u32)], offer: usize) -> u32 {
    issued
        .iter()
        .find(|(o, _)| *o == offer)
        .map_or(0, |&(_, c)| c)
}

/// The facts of one user in journey `j`. A free function over the user's record, so that an
/// audience pass can read users from two threads (each with its own `cache`).
fn user_facts<'a>(
    user: &'a User,
    keys: &'a Keys,
    tz: Tz,
    j: usize,
    event: Option<&'a Event>,
    now: Time,
    cache: &'a std::cell::RefCell<Option<(Time, (Value, Value))>>,
) -> Ctx<'a> {
    Ctx {
        event,
        event_head: std::cell::OnceCell::new(),
        attrs: &user.attrs,
        keys,
        tz,
        now,
        states: (&user.journeys, j),
        now_local: std::cell::OnceCell::new(),
        cache,
        entered_at: std::cell::OnceCell::new(),
    }
}

/// Journey indexes in priority order (higher first), then id, then deployment order.
fn priority_order(journeys: &[CJourney]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..journeys.len()).collect();
    order.sort_by(|&a, &b| {
        journeys[b]
            .priority
            .cmp(&journeys[a].priority)
            .then_with(|| journeys[a].id.cmp(&journeys[b].id))
            .then_with(|| a.cmp(&b))
    });
    order
}

impl CJourney {
    /// Adds the event types this journey reacts to (triggers, patterns, waits, its goal) to
    /// `set`, which numbers them, and notes their numbers in [`kinds`](Self::kinds).
    fn add_interesting(&mut self, set: &mut FastMap<String, u32>) {
        let mut names: Vec<&String> = self.goal.iter().collect();
        for n in &self.nodes {
            match &*n.kind {
                NodeKind::TriggerEvent { event, .. } | NodeKind::WaitEvent { event, .. } => {
                    names.push(event);
                }
                NodeKind::TriggerPattern { event, unless, .. } => {
                    names.push(event);
                    names.extend(unless);
                }
                _ => {}
            }
        }
        for name in names {
            let next = set.len() as u32;
            let id = *set.entry(name.clone()).or_insert(next);
            self.kinds |= 1u64.checked_shl(id).unwrap_or(u64::MAX);
        }
    }

    /// Whether the journey reacts to event type number `kind` (see
    /// [`add_interesting`](Self::add_interesting)); past 64 types, any may.
    fn reacts_to(&self, kind: u32) -> bool {
        self.kinds & 1u64.checked_shl(kind).unwrap_or(u64::MAX) != 0
    }

    /// Campaign windows are `[starts_at, ends_at)`; they apply to entries and offers.
    fn campaign_active(&self, now: Time) -> bool {
        self.window.0.is_none_or(|s| now >= s) && self.window.1.is_none_or(|e| now < e)
    }
}

fn compile_journey(idx: usize, j: &Journey) -> CJourney {
    let index: HashMap<&str, usize> = j
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut nodes: Vec<CNode> = j
        .nodes
        .iter()
        .map(|n| {
            // A switch's conditions are its cases; every other node has at most one.
            let cond = match &n.kind {
                NodeKind::Switch { .. } => None,
                k => k
                    .conditions()
                    .first()
                    .map(|(c, _)| CompiledCondition::new(c)),
            };
            let cases = match &n.kind {
                NodeKind::Switch { cases } => cases
                    .iter()
                    .map(|c| CompiledCondition::new(&c.when))
                    .collect(),
                _ => Vec::new(),
            };
            CNode {
                kind: std::sync::Arc::new(n.kind.clone()),
                id: Arc::from(n.id.as_str()),
                cond,
                cases,
                next: Vec::new(),
                entered: 0,
                ports: Vec::new(),
            }
        })
        .collect();
    for e in &j.edges {
        if let (Some(&f), Some(&t)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            if nodes[f].next(&e.port).is_none() {
                nodes[f].next.push((e.port.as_str().into(), t));
            }
        }
    }
    let triggers = (0..nodes.len())
        .filter(|&i| nodes[i].kind.is_trigger())
        .collect();
    let keeps_event = nodes.iter().filter(|n| !n.kind.is_trigger()).any(|n| {
        n.cond.iter().chain(&n.cases).any(|c| {
            c.fields()
                .paths
                .iter()
                .any(|p| p.segments.first().is_some_and(|s| s.key == "event"))
        })
    });
    CJourney {
        idx,
        lineage: usize::MAX,
        offers: Arc::new(Vec::new()),
        id: Arc::from(j.id.as_str()),
        version: j.version(),
        priority: j.priority(),
        mutex: j.mutex_group.clone(),
        campaign: j.campaign.as_ref().map(|c| c.id.clone()),
        window: (
            j.campaign.as_ref().and_then(|c| parse_time(&c.starts_at)),
            j.campaign.as_ref().and_then(|c| parse_time(&c.ends_at)),
        ),
        re_entry: j.re_entry(),
        goal: j
            .exit
            .as_ref()
            .and_then(|x| x.goal.as_ref())
            .map(|g| g.event.clone()),
        max_duration: j
            .exit
            .as_ref()
            .and_then(|x| x.max_duration.as_ref())
            .map(|d| d.seconds as i64),
        nodes,
        triggers,
        counts: JCounts::default(),
        keeps_event,
        kinds: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn needs_escape_finds_every_byte_that_needs_it() {
        for len in 0..20 {
            for pos in 0..len {
                for bad in (0u8..0x20).chain([b'"', b'\\']) {
                    let mut v = vec![b'a'; len];
                    v[pos] = bad;
                    assert!(needs_escape(&v), "{bad:#x} at {pos} of {len}");
                }
                for good in (0x20u8..=0xff).filter(|&c| c != b'"' && c != b'\\') {
                    let mut v = vec![b'a'; len];
                    v[pos] = good;
                    assert!(!needs_escape(&v), "{good:#x} at {pos} of {len}");
                }
            }
        }
    }

    #[test]
    fn write_json_writes_what_serde_json_writes() {
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 2, 3, 4).unwrap();
        let odd = "tab\there \"quoted\" back\\slash \u{1} 成都 \u{7f}";
        let records = [
            Decision {
                seq: 1,
                ts: t,
                user_id: Some(Arc::from("u1")),
                journey: Some(Arc::from("j")),
                version: Some(3),
                node: Some(Arc::from("n")),
                kind: "touch.sent",
                extra: vec![
                    ("channel", "push".into()),
                    ("tried", json!(["sms", odd])),
                    ("amount", json!("10.50")),
                ],
            },
            Decision {
                seq: u64::MAX,
                ts: t + ChronoDuration::nanoseconds(1_500),
                user_id: Some(Arc::from(odd)),
                journey: None,
                version: None,
                node: None,
                kind: "conversion",
                extra: vec![
                    ("event_id", Value::Null),
                    ("revenue", odd.into()),
                    (
                        "attributed_to",
                        json!({"journey": "j", "n": 1.5, "deep": {"x": [true, null]}}),
                    ),
                    ("set", json!({})),
                ],
            },
        ];
        for d in &records {
            let mut ours = Vec::new();
            d.write_json(&mut ours);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(d).unwrap()
            );
        }
    }
}
