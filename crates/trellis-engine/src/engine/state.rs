//! Per-user state: interned attribute keys and values, journey instances and their waiting,
//! pattern counts, sends, issued offers, coupons.

use super::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Inst {
    pub(crate) id: u64,
    pub(crate) entered_at: Time,
    pub(crate) node: usize,
    /// The event that started the instance (its conditions may read `event.*`), shared.
    pub(crate) event: Option<Arc<Event>>,
    pub(crate) waiting: Waiting,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Waiting {
    Running,
    Delay,
    Event,
    Deferral,
}

/// Attribute names, interned once for every user: a profile holds ids, not strings.
#[derive(Default)]
pub(crate) struct Keys {
    pub(crate) names: Vec<Box<str>>,
    pub(crate) index: FastMap<Box<str>, u32>,
    /// The id of each name by its [`key_hash`](trellis_rules::facts::key_hash), the hash
    /// compiled field paths carry. Two names of one hash (never seen, but possible) share a
    /// slot; the lookup then falls back to the name.
    pub(crate) by_hash: FastMap<u64, u32>,
}

impl Keys {
    pub(crate) fn id(&mut self, key: &str) -> u32 {
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
    pub(crate) fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
    /// The id of a name, found by its precomputed hash; None when no profile has it.
    pub(crate) fn find(&self, hash: u64, key: &str) -> Option<u32> {
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
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Attrs {
    pub(crate) ids: smallvec::SmallVec<[u32; 16]>,
    pub(crate) vals: Vec<Value>,
}

impl Attrs {
    pub(crate) fn from_map(keys: &mut Keys, m: Map<String, Value>) -> Attrs {
        let mut a = Attrs {
            ids: smallvec::SmallVec::with_capacity(m.len()),
            vals: Vec::with_capacity(m.len()),
        };
        for (k, v) in m {
            a.set(keys, &k, v);
        }
        a
    }
    pub(crate) fn get<'a>(&'a self, keys: &Keys, hash: u64, key: &str) -> Option<&'a Value> {
        let id = keys.find(hash, key)?;
        let at = self.ids.iter().position(|&i| i == id)?;
        self.vals.get(at)
    }
    pub(crate) fn set(&mut self, keys: &mut Keys, key: &str, v: Value) {
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
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &Value)> {
        self.ids.iter().copied().zip(&self.vals)
    }
}

/// A user's state per journey: a short list (users touch few journeys), scanned instead of
/// hashed. The journey numbers sit inline in the user's record, so asking about a journey the
/// user has no state in reads nothing more.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct JStates {
    pub(crate) keys: smallvec::SmallVec<[u32; 6]>,
    pub(crate) states: Vec<JState>,
}

impl JStates {
    pub(crate) fn get(&self, j: &usize) -> Option<&JState> {
        let i = self.keys.iter().position(|&k| k as usize == *j)?;
        self.states.get(i)
    }
    pub(crate) fn entry(&mut self, j: usize) -> &mut JState {
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
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &JState)> {
        self.keys.iter().map(|&k| k as usize).zip(&self.states)
    }
}

#[derive(Default, Serialize, Deserialize)]
pub(crate) struct JState {
    pub(crate) inside: Option<Inst>,
    pub(crate) ever_entered: bool,
    pub(crate) last_exit: Option<Time>,
    /// Matching event times per pattern trigger node.
    pub(crate) pattern: Vec<(usize, VecDeque<Time>)>,
}

/// An attribution candidate: a `touch.sent` or `offer.issued` record (seq, ts, journey, node,
/// whether an offer, else a touch) and, for the attribution analysis (`docs/attribution.md`),
/// the channel sent on and whether a conversion's path already took it; 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Candidate {
    pub(crate) seq: u64,
    pub(crate) at: Time,
    pub(crate) journey: u32,
    pub(crate) node: u32,
    pub(crate) offer: bool,
    /// Bits 0–6: a touch's channel, its index in [`Channel::ALL`] plus one (0: an offer, or a
    /// touch restored from a snapshot written before channels were kept); bit 7: taken.
    pub(crate) step: u8,
}

// Users keep many candidates: the channel and the bit fit in what was padding.
const _: () = assert!(std::mem::size_of::<Candidate>() == 32);

/// [`Candidate::step`]'s bit: a conversion's path took the candidate.
pub(crate) const TAKEN: u8 = 0x80;

impl Candidate {
    pub(crate) fn touch(seq: u64, at: Time, j: usize, n: usize, channel: Channel) -> Candidate {
        let code = Channel::ALL
            .iter()
            .position(|&c| c == channel)
            .map_or(0, |i| i as u8 + 1);
        Candidate {
            seq,
            at,
            journey: j as u32,
            node: n as u32,
            offer: false,
            step: code,
        }
    }
    pub(crate) fn offer(seq: u64, at: Time, j: usize, n: usize) -> Candidate {
        Candidate {
            seq,
            at,
            journey: j as u32,
            node: n as u32,
            offer: true,
            step: 0,
        }
    }
    pub(crate) fn channel(&self) -> Option<Channel> {
        let code = (self.step & !TAKEN) as usize;
        code.checked_sub(1)
            .and_then(|i| Channel::ALL.get(i).copied())
    }
    pub(crate) fn taken(&self) -> bool {
        self.step & TAKEN != 0
    }
}

// A candidate is written as the array `[seq, ts, journey, node, offer, step]`; snapshots written
// before `step` existed have the first five, and read back with `step` 0.
impl Serialize for Candidate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (
            self.seq,
            self.at,
            self.journey,
            self.node,
            self.offer,
            self.step,
        )
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Candidate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Candidate, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Candidate;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an attribution candidate [seq, ts, journey, node, offer, step?]")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Candidate, A::Error> {
                use serde::de::Error;
                let missing = |i| A::Error::invalid_length(i, &self);
                Ok(Candidate {
                    seq: a.next_element()?.ok_or_else(|| missing(0))?,
                    at: a.next_element()?.ok_or_else(|| missing(1))?,
                    journey: a.next_element()?.ok_or_else(|| missing(2))?,
                    node: a.next_element()?.ok_or_else(|| missing(3))?,
                    offer: a.next_element()?.ok_or_else(|| missing(4))?,
                    step: a.next_element()?.unwrap_or(0),
                })
            }
        }
        d.deserialize_seq(V)
    }
}

/// Pushes onto a per-user list, growing it by half instead of doubling: such lists stay short
/// and there are many of them, so the spare room doubling leaves would be most of their memory.
pub(crate) fn push_tight<T>(v: &mut Vec<T>, x: T) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 2).max(1));
    }
    v.push(x);
}

#[derive(Default, Serialize, Deserialize)]
pub(crate) struct User {
    pub(crate) id: Arc<str>,
    /// The profile's contacts, for delivery (None when it has none; consent and contacts are
    /// summed up in `reach`).
    pub(crate) contact: Option<Box<Map<String, Value>>>,
    /// The channels the profile can be reached on ([`reach_of`]), one bit each.
    pub(crate) reach: u8,
    pub(crate) attrs: Attrs,
    pub(crate) points: i64,
    pub(crate) journeys: JStates,
    pub(crate) sends: Vec<(Time, Channel)>,
    /// Instances issued per offer index (a short list).
    pub(crate) issued: Vec<(usize, u32)>,
    pub(crate) coupons: Vec<usize>,
    /// (seq, ts, journey, node, kind) of touch.sent / offer.issued records, for attribution.
    pub(crate) touches: Vec<Candidate>,
    pub(crate) conversions: Vec<Time>,
    /// Outcome measurement: the journeys and experiments the user was assigned to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) assigned: Vec<super::measure::Assignment>,
    /// The user's state of each aggregate, by the aggregate's index (made on the user's first
    /// event of its type; `docs/aggregates.md`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) aggs: Vec<super::aggregates::AggState>,
    /// The segments the user is in, one bit per segment index (`docs/segments.md`).
    #[serde(default, skip_serializing_if = "smallvec::SmallVec::is_empty")]
    pub(crate) seg_bits: super::segments::Bits,
    /// When the clock next may move the user's membership without an input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) seg_due: Option<Time>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Coupon {
    pub(crate) id: String,
    pub(crate) offer: usize,
    pub(crate) user: usize,
    /// The issuing journey and node (indexes; their ids and version come from there).
    pub(crate) journey: usize,
    pub(crate) node: usize,
    pub(crate) face: Decimal,
    pub(crate) min_spend: Option<Decimal>,
    pub(crate) expires_at: Time,
    pub(crate) active: bool,
    pub(crate) prior_conversion: bool,
    /// The order that redeemed it.
    pub(crate) redeemed_by: Option<Box<str>>,
}
