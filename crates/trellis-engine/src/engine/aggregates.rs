//! Aggregates (`docs/aggregates.md`): a value per user and aggregate over the user's events of
//! one type, kept incrementally. An event updates them before any journey sees it; a condition
//! reads one as `agg.<id>`, computed at the evaluation's time from the state kept here, without
//! looking at the user's history.
//!
//! Windowed state keeps what the window needs to be exact at its edge, `(t − window, t]`:
//! entries in time order (one per distinct timestamp for `count`, `sum` and `avg`; the
//! candidates of a monotonic queue for `min` and `max`; every matching value for `first`; the
//! last time of each value for `distinct`). Entries that left the window are dropped when the
//! user's next matching event arrives, and skipped when read before that.

use super::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trellis_model::{AggField, AggFn, Aggregate};

/// One aggregate, compiled.
pub(crate) struct CAgg {
    pub(crate) def: Aggregate,
    pub(crate) id_hash: u64,
    pub(crate) where_: Option<CompiledCondition>,
    /// The window in seconds; None for the whole history.
    pub(crate) window: Option<i64>,
}

impl CAgg {
    fn new(def: &Aggregate) -> CAgg {
        CAgg {
            id_hash: trellis_rules::facts::key_hash(&def.id),
            where_: def.where_.as_ref().map(CompiledCondition::new),
            window: def
                .window
                .as_ref()
                .map(|w| i64::try_from(w.seconds).unwrap_or(i64::MAX)),
            def: def.clone(),
        }
    }

    /// The state a user starts from.
    fn empty(&self) -> AggState {
        match self.def.func {
            AggFn::Count => AggState::Count {
                n: 0,
                ring: VecDeque::new(),
            },
            AggFn::Sum | AggFn::Avg => AggState::Sum {
                sum: Decimal::ZERO,
                n: 0,
                ring: VecDeque::new(),
            },
            AggFn::Min | AggFn::Max => AggState::Extreme {
                ring: VecDeque::new(),
            },
            AggFn::First => AggState::First {
                ring: VecDeque::new(),
            },
            AggFn::Last => AggState::Last { last: None },
            AggFn::Distinct => AggState::Distinct {
                seen: BTreeMap::new(),
            },
        }
    }
}

/// The workspace's aggregates and which event types update them.
#[derive(Default)]
pub(crate) struct Aggs {
    pub(crate) defs: Vec<CAgg>,
    pub(crate) by_event: FastMap<String, smallvec::SmallVec<[u32; 4]>>,
}

impl Aggs {
    pub(crate) fn new(defs: &[Aggregate]) -> Aggs {
        let mut a = Aggs {
            defs: defs.iter().map(CAgg::new).collect(),
            by_event: FastMap::new(),
        };
        a.index();
        a
    }

    fn index(&mut self) {
        self.by_event.clear();
        for (i, d) in self.defs.iter().enumerate() {
            self.by_event
                .entry(d.def.event.clone())
                .or_default()
                .push(i as u32);
        }
    }

    /// Merges a deployment's aggregates by id: a new id is added, one defined again alike is
    /// kept, one defined differently is replaced (its index is returned: every user's state of
    /// it starts empty). Aggregates the deployment does not name stay.
    pub(crate) fn merge(&mut self, defs: &[Aggregate]) -> Vec<usize> {
        let mut reset = Vec::new();
        for d in defs {
            match self.defs.iter().position(|c| c.def.id == d.id) {
                Some(i) if self.defs[i].def == *d => {}
                Some(i) => {
                    self.defs[i] = CAgg::new(d);
                    reset.push(i);
                }
                None => self.defs.push(CAgg::new(d)),
            }
        }
        self.index();
        reset
    }

    /// The index of `agg.<id>`'s aggregate, by the id's precomputed hash.
    pub(crate) fn find(&self, hash: u64, id: &str) -> Option<usize> {
        self.defs
            .iter()
            .position(|d| d.id_hash == hash && d.def.id == id)
    }
}

/// A user's state of one aggregate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) enum AggState {
    /// Not made yet (the user has had no event of the aggregate's type).
    #[default]
    Unset,
    /// `count`: the events in the ring (windowed) or ever.
    Count { n: u64, ring: VecDeque<(Time, u32)> },
    /// `sum` and `avg`: the values' sum and how many, over the ring (windowed) or ever.
    Sum {
        sum: Decimal,
        n: u64,
        ring: VecDeque<(Time, Decimal, u32)>,
    },
    /// `min` and `max`: windowed, a monotonic queue (times rising, values strictly rising for
    /// `min`, strictly falling for `max`), whose first entry inside the window is the answer;
    /// over the whole history, one entry.
    Extreme { ring: VecDeque<(Time, Decimal)> },
    /// `first`: windowed, every matching value in the window, oldest first; over the whole
    /// history, the first one.
    First { ring: VecDeque<(Time, Value)> },
    /// `last`: the latest matching value.
    Last { last: Option<(Time, Value)> },
    /// `distinct`: each value (by its typed key) and the last time it was seen.
    Distinct { seen: BTreeMap<Box<str>, Time> },
}

/// A JSON number or decimal string as an exact decimal (`Money`'s reading).
fn decimal_of(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(Decimal::from(i)),
            None => trellis_model::scalar::parse_decimal(&n.to_string()),
        },
        Value::String(s) => trellis_model::scalar::parse_decimal(s.trim()),
        _ => None,
    }
}

/// The values `sum`, `avg`, `min` and `max` take: below 10^18 in size (a larger one is left
/// out), so no sum of them leaves `Decimal`'s range.
fn in_range(v: &Decimal) -> bool {
    v.abs() < Decimal::from(1_000_000_000_000_000_000i64)
}

/// `distinct`'s key of a value: its type and its canonical text (numbers by their decimal
/// value, so `1` and `1.0` are one). Arrays, objects and nulls have none.
fn distinct_key(v: &Value) -> Option<Box<str>> {
    Some(
        match v {
            Value::String(s) => format!("s:{s}"),
            Value::Bool(b) => format!("b:{b}"),
            Value::Number(_) => format!("n:{}", decimal_string(decimal_of(v)?)),
            _ => return None,
        }
        .into(),
    )
}

/// The field of an event an aggregate reads; `None` when it is missing or null.
fn field_of<'e>(field: &AggField, ev: &'e Event) -> Option<&'e Value> {
    let AggField::Prop(path) = field else {
        return None;
    };
    let mut cur = ev.props.get(path.first()?)?;
    for seg in &path[1..] {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    (!cur.is_null()).then_some(cur)
}

/// Decimal to the JSON number a condition compares (an integer when it is one).
fn number(d: Decimal) -> Value {
    let d = d.normalize();
    if d.fract().is_zero() {
        if let Ok(i) = i64::try_from(d) {
            return Value::from(i);
        }
    }
    decimal_string(d)
        .parse::<serde_json::Number>()
        .map_or(Value::Null, Value::Number)
}

impl AggState {
    /// Takes one matching event at `t` (`x`: its field's value, when the aggregate has one);
    /// entries at or before the window's open edge at `t` leave first.
    fn add(&mut self, agg: &CAgg, t: Time, x: Option<&Value>) {
        let from = agg.window.map(|w| back(t, w));
        // What left the window leaves first, whether or not this event brings a value.
        if let Some(from) = from {
            self.evict(from);
        }
        let max = agg.def.func == AggFn::Max;
        match self {
            AggState::Unset => {}
            AggState::Count { n, ring } => {
                *n += 1;
                if from.is_some() {
                    match ring.back_mut() {
                        Some((bt, c)) if *bt == t => *c += 1,
                        _ => ring.push_back((t, 1)),
                    }
                }
            }
            AggState::Sum { sum, n, ring } => {
                let Some(v) = x.and_then(decimal_of).filter(in_range) else {
                    return;
                };
                let Some(s) = sum.checked_add(v) else { return };
                match ring.back_mut() {
                    Some((bt, bs, bn)) if from.is_some() && *bt == t => {
                        let Some(b) = bs.checked_add(v) else { return };
                        *bs = b;
                        *bn += 1;
                    }
                    _ if from.is_some() => ring.push_back((t, v, 1)),
                    _ => {}
                }
                *sum = s;
                *n += 1;
            }
            AggState::Extreme { ring } => {
                let Some(v) = x.and_then(decimal_of).filter(in_range) else {
                    return;
                };
                if from.is_none() {
                    match ring.front_mut() {
                        Some((_, b)) if (max && *b >= v) || (!max && *b <= v) => {}
                        Some(slot) => *slot = (t, v),
                        None => ring.push_back((t, v)),
                    }
                    return;
                }
                // An entry no later and no better than the new one can never be the answer.
                while ring
                    .back()
                    .is_some_and(|(_, b)| if max { *b <= v } else { *b >= v })
                {
                    ring.pop_back();
                }
                ring.push_back((t, v));
            }
            AggState::First { ring } => {
                let v = match (&agg.def.field, x) {
                    (Some(AggField::Ts), _) => Value::Null,
                    (_, Some(v)) => v.clone(),
                    _ => return,
                };
                if from.is_some() || ring.is_empty() {
                    ring.push_back((t, v));
                }
            }
            AggState::Last { last } => {
                let v = match (&agg.def.field, x) {
                    (Some(AggField::Ts), _) => Value::Null,
                    (_, Some(v)) => v.clone(),
                    _ => return,
                };
                *last = Some((t, v));
            }
            AggState::Distinct { seen } => {
                let Some(k) = x.and_then(distinct_key) else {
                    return;
                };
                seen.insert(k, t);
            }
        }
    }

    /// Drops the entries at or before `from` (they left the window).
    fn evict(&mut self, from: Time) {
        match self {
            AggState::Count { n, ring } => {
                while let Some(&(t, c)) = ring.front() {
                    if t > from {
                        break;
                    }
                    *n = n.saturating_sub(u64::from(c));
                    ring.pop_front();
                }
            }
            AggState::Sum { sum, n, ring } => {
                while let Some(&(t, s, c)) = ring.front() {
                    if t > from {
                        break;
                    }
                    *sum = sum.checked_sub(s).unwrap_or(*sum);
                    *n = n.saturating_sub(u64::from(c));
                    ring.pop_front();
                }
            }
            AggState::Extreme { ring } => {
                while ring.front().is_some_and(|(t, _)| *t <= from) {
                    ring.pop_front();
                }
            }
            AggState::First { ring } => {
                while ring.front().is_some_and(|(t, _)| *t <= from) {
                    ring.pop_front();
                }
            }
            AggState::Distinct { seen } => seen.retain(|_, t| *t > from),
            AggState::Unset | AggState::Last { .. } => {}
        }
    }

    /// The value at `now` (None: missing), as a condition reads it.
    pub(crate) fn value(&self, agg: &CAgg, now: Time) -> Option<Value> {
        let from = agg.window.map(|w| back(now, w));
        let inside = |t: &Time| from.is_none_or(|f| *t > f);
        let ts = agg.def.field == Some(AggField::Ts);
        let time_or = |t: Time, v: &Value| {
            if ts {
                Value::String(ts_string(t))
            } else {
                v.clone()
            }
        };
        match self {
            AggState::Unset => match agg.def.func {
                AggFn::Count | AggFn::Distinct => Some(Value::from(0u64)),
                _ => None,
            },
            AggState::Count { n, ring } => {
                let gone: u64 = ring
                    .iter()
                    .take_while(|(t, _)| !inside(t))
                    .map(|&(_, c)| u64::from(c))
                    .sum();
                Some(Value::from(n.saturating_sub(gone)))
            }
            AggState::Sum { sum, n, ring } => {
                let (mut s, mut k) = (*sum, *n);
                for (_, rs, rn) in ring.iter().take_while(|(t, ..)| !inside(t)) {
                    s = s.checked_sub(*rs).unwrap_or(s);
                    k = k.saturating_sub(u64::from(*rn));
                }
                if k == 0 {
                    return None;
                }
                if agg.def.func == AggFn::Avg {
                    s.checked_div(Decimal::from(k)).map(number)
                } else {
                    Some(number(s))
                }
            }
            AggState::Extreme { ring } => ring
                .iter()
                .find(|(t, _)| inside(t))
                .map(|&(_, v)| number(v)),
            AggState::First { ring } => ring
                .iter()
                .find(|(t, _)| inside(t))
                .map(|(t, v)| time_or(*t, v)),
            AggState::Last { last } => last
                .as_ref()
                .filter(|(t, _)| inside(t))
                .map(|(t, v)| time_or(*t, v)),
            AggState::Distinct { seen } => Some(Value::from(
                seen.values().filter(|t| inside(t)).count() as u64,
            )),
        }
    }

    /// The first instant after `now` at which the value may change with the clock alone: when
    /// the oldest entry inside the window at `now` leaves it (an entry at `t` is out from
    /// `t + window` on). None over the whole history, or with nothing inside the window.
    pub(crate) fn next_exit(&self, agg: &CAgg, now: Time) -> Option<Time> {
        let w = agg.window?;
        let from = back(now, w);
        let first = match self {
            AggState::Unset => None,
            AggState::Count { ring, .. } => ring.iter().map(|e| e.0).find(|t| *t > from),
            AggState::Sum { ring, .. } => ring.iter().map(|e| e.0).find(|t| *t > from),
            AggState::Extreme { ring } => ring.iter().map(|e| e.0).find(|t| *t > from),
            AggState::First { ring } => ring.iter().map(|e| e.0).find(|t| *t > from),
            AggState::Last { last } => last.as_ref().map(|e| e.0).filter(|t| *t > from),
            AggState::Distinct { seen } => seen.values().copied().filter(|t| *t > from).min(),
        }?;
        Some(
            first
                .checked_add_signed(ChronoDuration::seconds(w))
                .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC),
        )
    }

    /// Entries held (the memory bound's unit), for tests and benchmarks.
    pub(crate) fn entries(&self) -> usize {
        match self {
            AggState::Unset | AggState::Last { last: None } => 0,
            AggState::Last { .. } => 1,
            AggState::Count { ring, .. } => ring.len(),
            AggState::Sum { ring, .. } => ring.len(),
            AggState::Extreme { ring } => ring.len(),
            AggState::First { ring } => ring.len(),
            AggState::Distinct { seen } => seen.len(),
        }
    }
}

/// The facts an aggregate's `where` reads: the event alone.
struct EventFacts<'a> {
    ev: &'a Event,
    head: std::cell::OnceCell<(Value, Value)>,
}

impl Facts for EventFacts<'_> {
    fn get(&self, field: &FieldPath) -> Option<&Value> {
        let segs = &field.segments;
        if segs.first()?.key != "event" {
            return None;
        }
        super::facts::event_field(self.ev, &self.head, segs)
    }
    fn now(&self) -> Option<Time> {
        Some(self.ev.ts)
    }
}

impl Engine {
    /// Folds an event into user `u`'s aggregates of its type (before any journey sees it).
    /// Adds `ev` to user `u`'s aggregates of its type (those whose `where` it meets); true when
    /// one of them is read by a segment (membership may have moved).
    pub(crate) fn update_aggs(&mut self, u: usize, ev: &Event) -> bool {
        let Some(list) = self.aggs.by_event.get(ev.kind.as_str()) else {
            return false;
        };
        let reads = &self.segs.reads;
        let mut touched = false;
        let user = &mut self.users[u];
        for &a in list {
            let agg = &self.aggs.defs[a as usize];
            if let Some(w) = &agg.where_ {
                let facts = EventFacts {
                    ev,
                    head: std::cell::OnceCell::new(),
                };
                if !w.eval(&facts) {
                    continue;
                }
            }
            let a = a as usize;
            if user.aggs.len() <= a {
                user.aggs.resize(a + 1, AggState::Unset);
            }
            let st = &mut user.aggs[a];
            if *st == AggState::Unset {
                *st = agg.empty();
            }
            let x = agg.def.field.as_ref().and_then(|f| field_of(f, ev));
            st.add(agg, ev.ts, x);
            touched |= reads.get(a).copied().unwrap_or(false);
        }
        touched
    }

    /// Empties every user's state of the aggregates at `indexes` (defined again by a
    /// deployment).
    pub(crate) fn reset_aggs(&mut self, indexes: &[usize]) {
        if indexes.is_empty() {
            return;
        }
        for user in &mut self.users {
            for &i in indexes {
                if let Some(st) = user.aggs.get_mut(i) {
                    *st = AggState::Unset;
                }
            }
        }
    }

    /// User `u`'s aggregates at `now`, by id, in the workspace's order (null: missing).
    pub(crate) fn agg_values(&self, u: usize, now: Time) -> Map<String, Value> {
        let user = &self.users[u];
        self.aggs
            .defs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let st = user.aggs.get(i).unwrap_or(&AggState::Unset);
                (d.def.id.clone(), st.value(d, now).unwrap_or(Value::Null))
            })
            .collect()
    }

    /// Entries user `u`'s aggregates hold (what their memory grows with).
    pub fn agg_entries(&self, user_id: &str) -> usize {
        self.user_index.get(user_id).map_or(0, |&u| {
            self.users[u].aggs.iter().map(AggState::entries).sum()
        })
    }

    /// User `user_id`'s aggregate `id` at `now`, as a condition reads it (None: missing, or no
    /// such user or aggregate).
    pub fn aggregate_value(&self, user_id: &str, id: &str, now: Time) -> Option<Value> {
        let &u = self.user_index.get(user_id)?;
        let i = self.aggs.find(trellis_rules::facts::key_hash(id), id)?;
        self.users[u]
            .aggs
            .get(i)
            .unwrap_or(&AggState::Unset)
            .value(&self.aggs.defs[i], now)
    }
}

/// Bucket edges of numeric values (`sum`, `avg`, `min`, `max`, and numeric `first`/`last`).
const NUMBER_EDGES: [i64; 13] = [
    0, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000,
];
/// Bucket edges of counts (`count`, `distinct`).
const COUNT_EDGES: [i64; 9] = [0, 1, 2, 3, 5, 10, 20, 50, 100];
/// Bucket edges of a time's age, in days (`first`/`last` of `ts`).
const AGE_DAYS: [i64; 7] = [0, 1, 7, 30, 90, 180, 365];
/// Values that are neither numbers nor times: the most common ones get a bucket each, the rest
/// one `…` bucket.
const TOP_VALUES: usize = 8;

/// What one user's value is, for the report's distribution.
enum Reading {
    Number(Decimal),
    Age(i64),
    Other(String),
}

impl Engine {
    /// Every aggregate's distribution over the users at `now` (the report's `aggregates`).
    /// One pass over the users per aggregate: for the report, not for a hot path.
    pub(crate) fn agg_distributions(
        &self,
        now: Option<Time>,
    ) -> BTreeMap<String, crate::report::AggDistribution> {
        let mut out = BTreeMap::new();
        let Some(now) = now else { return out };
        for (i, d) in self.aggs.defs.iter().enumerate() {
            let counts = matches!(d.def.func, AggFn::Count | AggFn::Distinct);
            let ts = d.def.field == Some(AggField::Ts);
            let mut missing = 0u64;
            let mut readings = Vec::with_capacity(self.users.len());
            for user in &self.users {
                let v = user.aggs.get(i).unwrap_or(&AggState::Unset).value(d, now);
                let r = match v {
                    None | Some(Value::Null) => {
                        missing += 1;
                        continue;
                    }
                    Some(v) if ts => match super::segments::instant(&v) {
                        Some(t) => Reading::Age((now - t).num_seconds()),
                        None => Reading::Other(v.to_string()),
                    },
                    Some(v) => match decimal_of(&v) {
                        Some(x) if !v.is_string() => Reading::Number(x),
                        _ => Reading::Other(match v {
                            Value::String(s) => s,
                            v => v.to_string(),
                        }),
                    },
                };
                readings.push(r);
            }
            let dist = crate::report::AggDistribution {
                users: readings.len() as u64,
                missing,
                buckets: buckets(&readings, counts),
            };
            out.insert(d.def.id.clone(), dist);
        }
        out
    }
}

/// The buckets of a distribution's readings (see [`crate::report::AggBucket`]).
fn buckets(readings: &[Reading], counts: bool) -> Vec<crate::report::AggBucket> {
    use crate::report::AggBucket;
    let edges: Vec<Decimal> = if counts {
        COUNT_EDGES.iter().map(|&e| Decimal::from(e)).collect()
    } else {
        NUMBER_EDGES.iter().map(|&e| Decimal::from(e)).collect()
    };
    let ages: Vec<i64> = AGE_DAYS.iter().map(|d| d * 86_400).collect();
    // Slot k of `n`: below the first edge, between edges k−1 and k, above the last.
    let mut numbers = vec![0u64; edges.len() + 1];
    let mut by_age = vec![0u64; ages.len() + 1];
    let mut others: BTreeMap<&str, u64> = BTreeMap::new();
    for r in readings {
        match r {
            Reading::Number(x) => numbers[edges.partition_point(|e| e <= x)] += 1,
            Reading::Age(s) => by_age[ages.partition_point(|e| e <= s)] += 1,
            Reading::Other(s) => *others.entry(s.as_str()).or_default() += 1,
        }
    }
    let mut out = Vec::new();
    // `inclusive`: the values are integers, so `[3, 5)` reads "3–4" and `[3, 4)` reads "3".
    let mut push = |slots: &[u64], edge: &dyn Fn(usize) -> String, inclusive: bool| {
        let (Some(first), Some(last)) = (
            slots.iter().position(|&n| n > 0),
            slots.iter().rposition(|&n| n > 0),
        ) else {
            return;
        };
        for k in first..=last {
            let lo = (k > 0).then(|| edge(k - 1));
            let hi = (k < slots.len() - 1).then(|| edge(k));
            let label = match (&lo, &hi) {
                (Some(l), Some(h)) if inclusive => {
                    let top = h
                        .parse::<i64>()
                        .map_or_else(|_| h.clone(), |h| (h - 1).to_string());
                    if &top == l {
                        l.clone()
                    } else {
                        format!("{l}–{top}")
                    }
                }
                (Some(l), Some(h)) => format!("{l}–{h}"),
                (Some(l), None) => format!("≥{l}"),
                (None, Some(h)) => format!("<{h}"),
                (None, None) => String::new(),
            };
            out.push(AggBucket {
                label,
                lo,
                hi,
                users: slots[k],
            });
        }
    };
    push(&numbers, &|k| decimal_string(edges[k]), counts);
    push(&by_age, &|k| format!("{}d", AGE_DAYS[k]), false);
    let mut top: Vec<(&str, u64)> = others.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let rest: u64 = top.iter().skip(TOP_VALUES).map(|x| x.1).sum();
    for (v, n) in top.into_iter().take(TOP_VALUES) {
        out.push(AggBucket {
            label: v.to_string(),
            lo: None,
            hi: None,
            users: n,
        });
    }
    if rest > 0 {
        out.push(AggBucket {
            label: "…".into(),
            lo: None,
            hi: None,
            users: rest,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// The value at `now` recomputed from the whole history (`(ts, field value)` of every
    /// matching event up to `now`), the way `docs/aggregates.md` defines it.
    fn naive(agg: &CAgg, history: &[(Time, Option<Value>)], now: Time) -> Option<Value> {
        let inside: Vec<&(Time, Option<Value>)> = history
            .iter()
            .filter(|(t, _)| agg.window.is_none_or(|w| *t > back(now, w)))
            .collect();
        let ts = agg.def.field == Some(AggField::Ts);
        let nums: Vec<Decimal> = inside
            .iter()
            .filter_map(|(_, v)| v.as_ref().and_then(decimal_of).filter(in_range))
            .collect();
        let present: Vec<(Time, Value)> = inside
            .iter()
            .filter_map(|(t, v)| {
                if ts {
                    Some((*t, Value::String(ts_string(*t))))
                } else {
                    v.clone().map(|v| (*t, v))
                }
            })
            .collect();
        match agg.def.func {
            AggFn::Count => Some(Value::from(inside.len() as u64)),
            AggFn::Sum => (!nums.is_empty()).then(|| number(nums.iter().sum())),
            AggFn::Avg => (!nums.is_empty())
                .then(|| number(nums.iter().sum::<Decimal>() / Decimal::from(nums.len()))),
            AggFn::Min => nums.iter().min().map(|d| number(*d)),
            AggFn::Max => nums.iter().max().map(|d| number(*d)),
            AggFn::First => present.first().map(|(_, v)| v.clone()),
            AggFn::Last => present.last().map(|(_, v)| v.clone()),
            AggFn::Distinct => {
                let keys: std::collections::BTreeSet<Box<str>> = inside
                    .iter()
                    .filter_map(|(_, v)| v.as_ref().and_then(distinct_key))
                    .collect();
                Some(Value::from(keys.len() as u64))
            }
        }
    }

    fn values() -> Vec<Option<Value>> {
        vec![
            None,
            Some(json!(1)),
            Some(json!(2.5)),
            Some(json!("3.25")),
            Some(json!("abc")),
            Some(json!(-4)),
            Some(json!(0.1)),
            Some(json!(1.0)),
            Some(json!("1")),
            Some(json!(true)),
            Some(json!([1])),
            Some(json!("1e30")),
        ]
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// An event `gap` seconds after the clock, with value number `v`.
        Event(i64, usize),
        /// A read `gap` seconds after the clock.
        Read(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Gaps around the 60 s window's edge, and zero (several events at one instant).
        let gap = prop::sample::select(vec![0i64, 0, 1, 30, 59, 60, 61, 120]);
        prop_oneof![
            3 => (gap.clone(), 0..12usize).prop_map(|(g, v)| Op::Event(g, v)),
            1 => gap.prop_map(Op::Read),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn incremental_equals_a_recomputation_over_the_history(
            func in prop::sample::select(AggFn::ALL.to_vec()),
            windowed in any::<bool>(),
            on_ts in any::<bool>(),
            ops in prop::collection::vec(op(), 0..60),
        ) {
            let field = match func {
                AggFn::Count => None,
                AggFn::First | AggFn::Last if on_ts => Some("ts"),
                _ => Some("event.v"),
            };
            let mut def = json!({"id": "a", "event": "e", "fn": func.as_str()});
            if let Some(f) = field {
                def["field"] = json!(f);
            }
            if windowed {
                def["window"] = json!("60s");
            }
            let ws = trellis_model::Workspace::from_json(
                &json!({"schema": "trellis/workspace@1", "aggregates": [def], "journeys": []}),
            )
            .unwrap();
            let agg = CAgg::new(&ws.aggregates[0]);
            let vals = values();
            let mut st = agg.empty();
            let mut history: Vec<(Time, Option<Value>)> = Vec::new();
            let mut now: Time = "2026-11-01T00:00:00Z".parse().unwrap();
            for op in ops {
                let event = matches!(op, Op::Event(..));
                match op {
                    Op::Event(gap, v) => {
                        now += ChronoDuration::seconds(gap);
                        let x = vals[v].clone();
                        let x = if field == Some("ts") { None } else { x };
                        st.add(&agg, now, x.as_ref());
                        history.push((now, x));
                    }
                    Op::Read(gap) => now += ChronoDuration::seconds(gap),
                }
                prop_assert_eq!(st.value(&agg, now), naive(&agg, &history, now), "at {}", now);
                // The memory bound: after an event, a windowed state holds no more entries than
                // the window holds events; min, max, first and last over the whole history one.
                let in_window = history
                    .iter()
                    .filter(|(t, _)| agg.window.is_none_or(|w| *t > back(now, w)))
                    .count();
                if event && windowed {
                    prop_assert!(st.entries() <= in_window, "{} > {}", st.entries(), in_window);
                }
                if !windowed && matches!(func, AggFn::Min | AggFn::Max | AggFn::First | AggFn::Last) {
                    prop_assert!(st.entries() <= 1);
                }
            }
            // What a snapshot keeps reads back equal.
            let back_again: AggState =
                serde_json::from_str(&serde_json::to_string(&st).unwrap()).unwrap();
            prop_assert_eq!(back_again, st);
        }
    }

    #[test]
    fn windowed_state_holds_only_the_windows_events_after_an_update() {
        let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1",
            "aggregates": [{"id": "s", "event": "e", "fn": "sum", "field": "event.v", "window": "1h"}],
            "journeys": []}))
        .unwrap();
        let agg = CAgg::new(&ws.aggregates[0]);
        let mut st = agg.empty();
        let t0: Time = "2026-11-01T00:00:00Z".parse().unwrap();
        for i in 0..1000 {
            st.add(&agg, t0 + ChronoDuration::minutes(i), Some(&json!(1)));
        }
        // 60 minutes of events inside (t − 1h, t]: 60 entries, whatever came before.
        assert_eq!(st.entries(), 60);
        assert_eq!(
            st.value(&agg, t0 + ChronoDuration::minutes(999)),
            Some(json!(60))
        );
        // Read later, with no event since: the entries that left are skipped.
        assert_eq!(
            st.value(&agg, t0 + ChronoDuration::minutes(1029)),
            Some(json!(30))
        );
        assert_eq!(st.value(&agg, t0 + ChronoDuration::minutes(1059)), None);
    }

    /// Buckets are half-open `[lo, hi)`: 50 is in 50–100, 49.99 in 0–50; counts read as
    /// inclusive integer ranges; empty buckets between non-empty ones stay, outer ones go; ages
    /// are in days; other values are counted by value, the most common first.
    #[test]
    fn distribution_buckets() {
        let d = |s: &str| Reading::Number(s.parse::<Decimal>().unwrap());
        let b = buckets(&[d("49.99"), d("50"), d("0"), d("1999.99"), d("-3")], false);
        let got: Vec<(&str, u64)> = b.iter().map(|x| (x.label.as_str(), x.users)).collect();
        assert_eq!(
            got,
            [
                ("<0", 1),
                ("0–50", 2),
                ("50–100", 1),
                ("100–200", 0),
                ("200–500", 0),
                ("500–1000", 0),
                ("1000–2000", 1)
            ]
        );
        assert_eq!(
            (b[1].lo.as_deref(), b[1].hi.as_deref()),
            (Some("0"), Some("50"))
        );
        assert_eq!((b[0].lo.as_deref(), b[0].hi.as_deref()), (None, Some("0")));
        let c = buckets(&[d("3"), d("4"), d("1"), d("150")], true);
        let got: Vec<(&str, u64)> = c.iter().map(|x| (x.label.as_str(), x.users)).collect();
        assert_eq!(
            got,
            [
                ("1", 1),
                ("2", 0),
                ("3–4", 2),
                ("5–9", 0),
                ("10–19", 0),
                ("20–49", 0),
                ("50–99", 0),
                ("≥100", 1)
            ]
        );
        let a = buckets(
            &[
                Reading::Age(86_399),
                Reading::Age(86_400),
                Reading::Age(400 * 86_400),
            ],
            false,
        );
        let got: Vec<(&str, u64)> = a.iter().map(|x| (x.label.as_str(), x.users)).collect();
        assert_eq!(
            got,
            [
                ("0d–1d", 1),
                ("1d–7d", 1),
                ("7d–30d", 0),
                ("30d–90d", 0),
                ("90d–180d", 0),
                ("180d–365d", 0),
                ("≥365d", 1)
            ]
        );
        let mut others: Vec<Reading> = (0..12).map(|i| Reading::Other(format!("v{i}"))).collect();
        others.push(Reading::Other("v5".into()));
        let o = buckets(&others, false);
        assert_eq!(o.len(), TOP_VALUES + 1);
        assert_eq!((o[0].label.as_str(), o[0].users), ("v5", 2));
        assert_eq!(
            (o[TOP_VALUES].label.as_str(), o[TOP_VALUES].users),
            ("…", 4)
        );
        assert!(buckets(&[], true).is_empty());
    }
}
