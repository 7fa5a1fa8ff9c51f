//! Segments (`docs/segments.md`): named conditions over a user's profile and aggregates. Each
//! user's membership is kept (a bit per segment in the user's record, and one `roaring` bitmap
//! of user numbers per segment for sizes and overlaps) and re-evaluated only when something it
//! reads may have changed: after an event that updates the user's aggregates or profile, after
//! a profile or an `action.update`, and when the clock reaches the user's **next due**: the
//! earliest instant at which a windowed aggregate a segment reads loses an entry, or an
//! `{ "ago": … }` leaf of a segment flips. Those dues sit in one heap ordered by (due, user
//! number), so a clock step looks at the users due then and at no one else.

use super::*;
use roaring::RoaringBitmap;
use trellis_model::{Condition, LeafOp, Operand, Segment, SegmentOn};

static TRUE: Value = Value::Bool(true);
static FALSE: Value = Value::Bool(false);

/// A user's membership: one bit per segment, by index (inline up to 64 segments).
pub(crate) type Bits = smallvec::SmallVec<[u64; 1]>;

fn bit(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

fn set_bit(bits: &mut Bits, i: usize, on: bool) {
    if bits.len() <= i / 64 {
        bits.resize(i / 64 + 1, 0);
    }
    if on {
        bits[i / 64] |= 1 << (i % 64);
    } else {
        bits[i / 64] &= !(1 << (i % 64));
    }
}

/// One segment, compiled.
pub(crate) struct CSeg {
    pub(crate) def: Segment,
    pub(crate) id_hash: u64,
    when: CompiledCondition,
    /// The `{ "ago": … }` leaves: (the fact, seconds, operator), for the next due.
    agos: Vec<(FieldPath, i64, LeafOp)>,
    /// The ids of the aggregates its `when` reads.
    agg_ids: Vec<String>,
    /// The ids of the segments its `when` reads.
    seg_ids: Vec<String>,
}

impl CSeg {
    fn new(def: &Segment) -> CSeg {
        fn walk(c: &Condition, s: &mut CSeg) {
            match c {
                Condition::Group { children, .. } => children.iter().for_each(|c| walk(c, s)),
                Condition::Leaf {
                    field, op, value, ..
                } => {
                    let other = match value {
                        Operand::Field(f) => Some(f.as_str()),
                        _ => None,
                    };
                    for f in std::iter::once(field.as_str()).chain(other) {
                        if let Some(id) = trellis_model::aggregate_ref(f) {
                            s.agg_ids.push(id.to_owned());
                        }
                        if let Some(id) = trellis_model::segment_ref(f) {
                            s.seg_ids.push(id.to_owned());
                        }
                    }
                    if let Operand::Ago(d) = value {
                        let secs = i64::try_from(d.seconds).unwrap_or(i64::MAX);
                        s.agos.push((FieldPath::new(field), secs, *op));
                    }
                }
            }
        }
        let mut s = CSeg {
            def: def.clone(),
            id_hash: trellis_rules::facts::key_hash(&def.id),
            when: CompiledCondition::new(&def.when),
            agos: Vec::new(),
            agg_ids: Vec::new(),
            seg_ids: Vec::new(),
        };
        walk(&def.when, &mut s);
        s
    }
}

/// The workspace's segments and every user's membership.
#[derive(Default)]
pub(crate) struct Segs {
    pub(crate) defs: Vec<CSeg>,
    /// The order segments are evaluated in: a segment after those its `when` reads (document
    /// order otherwise; a loop, which validation refuses, reads the earlier value).
    order: Vec<usize>,
    /// The windowed aggregates any segment reads (their entries leaving move membership).
    aggs: Vec<usize>,
    /// By aggregate index: whether any segment reads it (an event that updates none of these,
    /// and is not a profile update, cannot move membership).
    pub(crate) reads: Vec<bool>,
    /// Members of each segment, by user number.
    pub(crate) members: Vec<RoaringBitmap>,
    /// (due, user number): when a user's membership must be looked at again. A user's live
    /// entry is the one equal to their `seg_due`; others are stale and dropped when reached.
    due: BinaryHeap<Reverse<(Time, u32)>>,
}

impl Segs {
    pub(crate) fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Merges a deployment's segments by id: a new id is added, one defined again replaces the
    /// old definition at its index. Segments the deployment does not name stay.
    pub(crate) fn merge(&mut self, defs: &[Segment], aggs: &aggregates::Aggs) {
        for d in defs {
            match self.defs.iter().position(|c| c.def.id == d.id) {
                Some(i) if self.defs[i].def == *d => {}
                Some(i) => self.defs[i] = CSeg::new(d),
                None => {
                    self.defs.push(CSeg::new(d));
                    self.members.push(RoaringBitmap::new());
                }
            }
        }
        self.resolve(aggs);
    }

    /// The evaluation order and the aggregates read, after the definitions changed.
    fn resolve(&mut self, aggs: &aggregates::Aggs) {
        let n = self.defs.len();
        let index = |id: &str| self.defs.iter().position(|d| d.def.id == id);
        // Depth-first, dependencies first; a segment on a loop is placed when first met.
        let mut order = Vec::with_capacity(n);
        let mut state = vec![0u8; n]; // 0 new, 1 on the path, 2 placed
        fn visit(i: usize, deps: &[Vec<usize>], state: &mut [u8], order: &mut Vec<usize>) {
            if state[i] != 0 {
                return;
            }
            state[i] = 1;
            for &d in &deps[i] {
                visit(d, deps, state, order);
            }
            state[i] = 2;
            order.push(i);
        }
        let deps: Vec<Vec<usize>> = self
            .defs
            .iter()
            .map(|d| d.seg_ids.iter().filter_map(|id| index(id)).collect())
            .collect();
        for i in 0..n {
            visit(i, &deps, &mut state, &mut order);
        }
        self.order = order;
        let all: Vec<usize> = self
            .defs
            .iter()
            .flat_map(|d| d.agg_ids.iter())
            .filter_map(|id| aggs.find(trellis_rules::facts::key_hash(id), id))
            .collect();
        self.reads = vec![false; aggs.defs.len()];
        for &a in &all {
            self.reads[a] = true;
        }
        let mut read: Vec<usize> = all
            .into_iter()
            .filter(|&a| aggs.defs[a].window.is_some())
            .collect();
        read.sort_unstable();
        read.dedup();
        self.aggs = read;
    }

    /// The earliest due kept, live or stale.
    pub(crate) fn peek_due(&self) -> Option<Time> {
        self.due.peek().map(|Reverse((d, _))| *d)
    }

    /// The index of `segment.<id>`'s segment.
    pub(crate) fn find(&self, hash: u64, id: &str) -> Option<usize> {
        self.defs
            .iter()
            .position(|d| d.id_hash == hash && d.def.id == id)
    }
}

/// `segment.<id>` as a condition reads it: whether bit `i` is set, of the segment named so.
pub(crate) fn seg_fact<'a>(
    defs: &[CSeg],
    bits: &[u64],
    s: &trellis_rules::facts::Segment,
) -> Option<&'a Value> {
    let i = defs
        .iter()
        .position(|d| d.id_hash == s.hash && d.def.id == s.key)?;
    Some(if bit(bits, i) { &TRUE } else { &FALSE })
}

/// A time fact as an instant (an RFC 3339 string), as `ago` leaves read it.
pub(crate) fn instant(v: &Value) -> Option<Time> {
    let Value::String(s) = v else { return None };
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A membership change: the segment's index and which way.
pub(crate) type Change = (u32, SegmentOn);

impl Engine {
    /// User `u`'s membership at `now` (every segment, dependencies first) and the next instant
    /// it could change without an input: the earliest exit of an entry from a window a segment
    /// reads, or flip of an `ago` leaf, after `now`.
    fn seg_eval(&self, u: usize, now: Time) -> (Bits, Option<Time>) {
        let user = &self.users[u];
        let mut bits: Bits = Bits::new();
        let mut due: Option<Time> = None;
        let mut sooner = |t: Time| {
            if t > now && due.is_none_or(|d| t < d) {
                due = Some(t);
            }
        };
        for &i in &self.segs.order {
            let seg = &self.segs.defs[i];
            let yes = {
                let mut facts = self.facts(u, usize::MAX, None, now);
                facts.segs = (&self.segs.defs, &bits);
                let yes = seg.when.eval(&facts);
                for (path, secs, op) in &seg.agos {
                    let Some(x) = facts.get(path).and_then(instant) else {
                        continue;
                    };
                    let edge = x
                        .checked_add_signed(ChronoDuration::seconds(*secs))
                        .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC);
                    // `gt`/`lte` flip at x + d; `gte`/`lt` at the first instant after it.
                    sooner(match op {
                        LeafOp::Gte | LeafOp::Lt => edge + ChronoDuration::nanoseconds(1),
                        _ => edge,
                    });
                }
                yes
            };
            set_bit(&mut bits, i, yes);
        }
        for &a in &self.segs.aggs {
            if let Some(st) = user.aggs.get(a) {
                if let Some(t) = st.next_exit(&self.aggs.defs[a], now) {
                    sooner(t);
                }
            }
        }
        (bits, due)
    }

    /// Evaluates user `u`'s segments at `now`, keeps the membership and the next due, and
    /// returns the changes in segment order. `silent`: a user's first membership (at the
    /// clock's start, when first seen, at a deployment), which is not counted as a change.
    pub(crate) fn seg_update(&mut self, u: usize, now: Time, silent: bool) -> Vec<Change> {
        let (bits, due) = self.seg_eval(u, now);
        let mut changes = Vec::new();
        let old = std::mem::take(&mut self.users[u].seg_bits);
        for i in 0..self.segs.defs.len() {
            let (was, is) = (bit(&old, i), bit(&bits, i));
            if was == is {
                continue;
            }
            if is {
                self.segs.members[i].insert(u as u32);
            } else {
                self.segs.members[i].remove(u as u32);
            }
            if !silent {
                let on = if is {
                    SegmentOn::Enter
                } else {
                    SegmentOn::Exit
                };
                let c = crate::report::slot(&mut self.report.segments, &self.segs.defs[i].def.id);
                match on {
                    SegmentOn::Enter => c.entered += 1,
                    SegmentOn::Exit => c.exited += 1,
                }
                changes.push((i as u32, on));
            }
        }
        let user = &mut self.users[u];
        user.seg_bits = bits;
        if user.seg_due != due {
            user.seg_due = due;
            if let Some(d) = due {
                self.segs.due.push(Reverse((d, u as u32)));
            }
        }
        changes
    }

    /// Fires the `trigger.segment` nodes of the changes: for each change in segment order, the
    /// journeys in priority order, each by its first trigger on that segment and direction.
    pub(crate) fn seg_fire(
        &mut self,
        u: usize,
        changes: &[Change],
        now: Time,
        groups: &mut FastSet<String>,
    ) {
        for &(si, on) in changes {
            for oi in 0..self.order.len() {
                let j = self.order[oi];
                if self.gate(u, j) == entry::Gate::Elsewhere {
                    continue;
                }
                let id = &self.segs.defs[si as usize].def.id;
                let cj = &self.journeys[j];
                let t = cj.triggers.iter().copied().find(|&t| {
                    matches!(&*cj.nodes[t].kind,
                        NodeKind::TriggerSegment { segment, on: o } if segment == id && *o == on)
                });
                if let Some(t) = t {
                    self.try_enter(u, j, t, None, now, groups);
                }
            }
        }
    }

    /// Re-evaluates user `u` at `now` and fires what changed (a profile, an `action.update`).
    pub(crate) fn seg_changed(&mut self, u: usize, now: Time) {
        let changes = self.seg_update(u, now, false);
        if !changes.is_empty() {
            let mut groups = FastSet::new();
            self.seg_fire(u, &changes, now, &mut groups);
        }
    }

    /// Every known user's membership at `now`, silently (the clock's start, a deployment).
    pub(crate) fn seg_all(&mut self, now: Time) {
        for u in 0..self.users.len() {
            self.seg_update(u, now, true);
        }
    }

    /// The earliest live due, dropping stale entries on top.
    pub(crate) fn seg_next_due(&mut self) -> Option<Time> {
        while let Some(&Reverse((d, u))) = self.segs.due.peek() {
            if self
                .users
                .get(u as usize)
                .is_some_and(|x| x.seg_due == Some(d))
            {
                return Some(d);
            }
            self.segs.due.pop();
        }
        None
    }

    /// The clock at `at`: every user due then is evaluated, in user number order, and their
    /// changes fire.
    pub(crate) fn seg_clock(&mut self, at: Time) {
        while let Some(&Reverse((d, u))) = self.segs.due.peek() {
            if d > at {
                break;
            }
            self.segs.due.pop();
            let u = u as usize;
            if self.users.get(u).is_none_or(|x| x.seg_due != Some(d)) {
                continue;
            }
            self.users[u].seg_due = None;
            self.seg_changed(u, at);
        }
    }

    /// After a restore: the bitmaps and the heap again, from the users' records.
    pub(crate) fn seg_rebuild(&mut self) {
        for m in &mut self.segs.members {
            m.clear();
        }
        self.segs.due.clear();
        for (u, user) in self.users.iter().enumerate() {
            for (i, m) in self.segs.members.iter_mut().enumerate() {
                if bit(&user.seg_bits, i) {
                    m.insert(u as u32);
                }
            }
            if let Some(d) = user.seg_due {
                self.segs.due.push(Reverse((d, u as u32)));
            }
        }
    }

    /// Brings the report's segment sizes up to date.
    pub(crate) fn seg_sync_report(&mut self) {
        for (d, m) in self.segs.defs.iter().zip(&self.segs.members) {
            crate::report::slot(&mut self.report.segments, &d.def.id).size = m.len();
        }
    }

    /// The ids of the segments user `u` is in, in the workspace's order.
    pub(crate) fn user_segments(&self, u: usize) -> Vec<String> {
        let bits = &self.users[u].seg_bits;
        self.segs
            .defs
            .iter()
            .enumerate()
            .filter(|(i, _)| bit(bits, *i))
            .map(|(_, d)| d.def.id.clone())
            .collect()
    }

    /// Each segment: (id, name, size), in the workspace's order.
    pub fn segment_sizes(&self) -> Vec<(String, String, u64)> {
        self.segs
            .defs
            .iter()
            .zip(&self.segs.members)
            .map(|(d, m)| (d.def.id.clone(), d.def.name.clone(), m.len()))
            .collect()
    }

    /// One segment: its size, up to `sample` member ids (the first in user number order:
    /// profiles, then users first seen in events) and its overlap with every other segment
    /// (members of both), from the bitmaps. None for an unknown id.
    pub fn segment_detail(&self, id: &str, sample: usize) -> Option<SegmentDetail> {
        let i = self.segs.find(trellis_rules::facts::key_hash(id), id)?;
        let m = &self.segs.members[i];
        let d = &self.segs.defs[i].def;
        Some(SegmentDetail {
            id: d.id.clone(),
            name: d.name.clone(),
            size: m.len(),
            sample: m
                .iter()
                .take(sample)
                .filter_map(|u| self.users.get(u as usize).map(|x| x.id.to_string()))
                .collect(),
            overlaps: self
                .segs
                .defs
                .iter()
                .zip(&self.segs.members)
                .enumerate()
                .filter(|(k, _)| *k != i)
                .map(|(_, (o, om))| (o.def.id.clone(), o.def.name.clone(), m.intersection_len(om)))
                .collect(),
        })
    }

    /// Whether user `user_id` is in segment `id` now (None: no such user or segment).
    pub fn in_segment(&self, user_id: &str, id: &str) -> Option<bool> {
        let &u = self.user_index.get(user_id)?;
        let i = self.segs.find(trellis_rules::facts::key_hash(id), id)?;
        Some(bit(&self.users[u].seg_bits, i))
    }

    /// Every segment's membership of user `user_id` evaluated afresh at `now`, ignoring what
    /// is kept (the property test's oracle).
    pub fn segments_recomputed(&self, user_id: &str, now: Time) -> Option<Vec<bool>> {
        let &u = self.user_index.get(user_id)?;
        let (bits, _) = self.seg_eval(u, now);
        Some((0..self.segs.defs.len()).map(|i| bit(&bits, i)).collect())
    }

    /// User `user_id`'s kept membership, by segment index.
    pub fn segments_kept(&self, user_id: &str) -> Option<Vec<bool>> {
        let &u = self.user_index.get(user_id)?;
        let bits = &self.users[u].seg_bits;
        Some((0..self.segs.defs.len()).map(|i| bit(bits, i)).collect())
    }
}

/// A segment's size, a sample of its members and its overlaps (see
/// [`Engine::segment_detail`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentDetail {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub sample: Vec<String>,
    /// (other segment's id, its name, members of both).
    pub overlaps: Vec<(String, String, u64)>,
}
