//! Timers: one heap ordered by (due, order set); the rows the service keeps of them
//! (`TimerChange`); firing a timer resumes, expires or falls back.

use super::*;

/// A timer's work. Indexes are kept in 32 bits, so that a heap entry (due time, order and
/// timer) takes 48 bytes: there is one for every instance's maximum duration and every wait.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub(crate) enum Timer {
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

/// `secs` seconds before `t`, or the earliest time there is (a window longer than the calendar
/// reaches everything).
pub(crate) fn back(t: Time, secs: i64) -> Time {
    t.checked_sub_signed(ChronoDuration::seconds(secs))
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC)
}

impl Engine {
    /// When the next timer, schedule tick or segment due falls due (the service ticks the
    /// clock then). A segment due may be a stale one (a tick then does nothing).
    pub fn next_due(&self) -> Option<Time> {
        let t = self.timers.peek().map(|Reverse((due, _, _))| *due);
        let s = self.schedules.iter().filter_map(|s| s.next).min();
        let g = self.segs.peek_due();
        [t, s, g].into_iter().flatten().min()
    }

    pub(crate) fn schedule_timer(&mut self, due: Time, t: Timer) {
        self.timer_seq += 1;
        self.note_timer(due, self.timer_seq, &t);
        self.timers.push(Reverse((due, self.timer_seq, t)));
    }

    /// Records a timer being set, when timers are tracked.
    pub(crate) fn note_timer(&mut self, due: Time, key: u64, t: &Timer) {
        if self.timer_changes.is_some() {
            let set = self.timer_row(due, key, t);
            if let Some(c) = self.timer_changes.as_mut() {
                c.push(set);
            }
        }
    }

    pub(crate) fn timer_row(&self, due: Time, key: u64, t: &Timer) -> TimerChange {
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

    pub(crate) fn fire(&mut self, t: Timer, now: Time) {
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
                        self.exit(user, journey, node, ExitReason::MaxDuration, now);
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
                let closed = camp
                    .as_ref()
                    .is_some_and(|c| self.controls.closed.contains_key(c));
                if let Some(l) = camp.as_ref().and_then(|c| self.ledgers.get_mut(c)) {
                    l.reserved -= face;
                    // A closed campaign's money comes back to nothing: it is released.
                    if closed {
                        l.total -= face;
                    }
                }
                self.emit(
                    now,
                    Some(user),
                    Some(j),
                    Some(n),
                    DecisionKind::OfferExpired {
                        instance: id.into(),
                        amount: face,
                    },
                );
                let oid = self.ws.offers[offer].id.clone();
                self.report.offer(&oid).expired += 1;
                if let Some(camp) = camp {
                    self.note_burn(&camp, now);
                    self.note_pacing(j, now);
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
}
