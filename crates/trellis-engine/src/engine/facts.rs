//! The facts a condition reads (`user.*`, `event.*`, `now.*`, `journey.*`), made lazily for
//! one evaluation.

use super::*;

/// The facts of one evaluation. Derived facts (`now.*`, `journey.entered_at`) are computed on
/// first use only: most conditions never read them.
pub(crate) struct Ctx<'a> {
    pub(crate) event: Option<&'a Event>,
    /// `event.type` and `event.ts` as JSON values, made on first use.
    pub(crate) event_head: std::cell::OnceCell<(Value, Value)>,
    pub(crate) attrs: &'a Attrs,
    pub(crate) keys: &'a Keys,
    pub(crate) tz: Tz,
    pub(crate) now: Time,
    /// The user's journey states and the journey: where `journey.entered_at` comes from.
    pub(crate) states: (&'a JStates, usize),
    pub(crate) now_local: std::cell::OnceCell<(Value, Value)>,
    /// The engine's cache of the last instant's local hour and weekday (a schedule tick asks the
    /// same for every user).
    pub(crate) cache: &'a std::cell::RefCell<Option<(Time, (Value, Value))>>,
    pub(crate) entered_at: std::cell::OnceCell<Option<Value>>,
    /// The workspace's aggregates and the user's state of them; their values at `now` are
    /// made on first read, each once (`agg_vals`, one slot per aggregate).
    pub(crate) aggs: (&'a [aggregates::CAgg], &'a [aggregates::AggState]),
    pub(crate) agg_vals: std::cell::OnceCell<Box<[std::cell::OnceCell<Option<Value>>]>>,
    /// The workspace's segments and the user's membership bits (`segment.<id>`).
    pub(crate) segs: (&'a [segments::CSeg], &'a [u64]),
}

impl Ctx<'_> {
    pub(crate) fn local(&self) -> &(Value, Value) {
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
            "event" => event_field(self.event?, &self.event_head, segs),
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
            "agg" if segs.len() == 2 => {
                let (defs, states) = self.aggs;
                let s = &segs[1];
                let i = defs
                    .iter()
                    .position(|d| d.id_hash == s.hash && d.def.id == s.key)?;
                let slots = self
                    .agg_vals
                    .get_or_init(|| (0..defs.len()).map(|_| Default::default()).collect());
                slots[i]
                    .get_or_init(|| {
                        states
                            .get(i)
                            .unwrap_or(&aggregates::AggState::Unset)
                            .value(&defs[i], self.now)
                    })
                    .as_ref()
            }
            "segment" if segs.len() == 2 => {
                let (defs, bits) = self.segs;
                segments::seg_fact(defs, bits, &segs[1])
            }
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

    fn now(&self) -> Option<Time> {
        Some(self.now)
    }
}

/// The facts of one user in journey `j`. A free function over the user's record, so that an
/// audience pass can read users from two threads (each with its own `cache`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn user_facts<'a>(
    user: &'a User,
    aggs: &'a [aggregates::CAgg],
    segs: &'a [segments::CSeg],
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
        aggs: (aggs, &user.aggs),
        agg_vals: std::cell::OnceCell::new(),
        segs: (segs, &user.seg_bits),
    }
}

impl Engine {
    /// The facts of user `u` in journey `j` (the instance's `entered_at` is looked up only if a
    /// condition reads it: a schedule tick asks every user).
    pub(crate) fn facts<'a>(
        &'a self,
        u: usize,
        j: usize,
        event: Option<&'a Event>,
        now: Time,
    ) -> Ctx<'a> {
        user_facts(
            &self.users[u],
            &self.aggs.defs,
            &self.segs.defs,
            &self.keys,
            self.tz,
            j,
            event,
            now,
            &self.local_cache,
        )
    }

    pub(crate) fn cond_ok(
        &self,
        u: usize,
        j: usize,
        node: usize,
        event: Option<&Event>,
        now: Time,
    ) -> bool {
        match &self.journeys[j].nodes[node].cond {
            None => true,
            Some(c) => c.eval(&self.facts(u, j, event, now)),
        }
    }
}

/// `event.type`, `event.ts` or `event.<prop>…` of `ev` (`segs` starts with `event`); the type and
/// the time as JSON values are made once, in `head`, when first read.
pub(crate) fn event_field<'a>(
    ev: &'a Event,
    head: &'a std::cell::OnceCell<(Value, Value)>,
    segs: &[trellis_rules::facts::Segment],
) -> Option<&'a Value> {
    let head = || {
        head.get_or_init(|| {
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
