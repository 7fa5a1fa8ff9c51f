//! Who enters: an arriving event's triggers (`trigger.event`, `trigger.pattern`), goals and
//! awaited events, the rollout gate, and the entry rules (campaign window, re-entry, mutex).

use super::*;

/// Whether a version of a journey takes a given user's entry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    Enter,
    /// Another version of the journey takes this user (or none does: the version is retired).
    Elsewhere,
    /// The user is outside the only version's rollout.
    Rollout,
}

impl Engine {
    /// Whether version `j` takes user `u`'s entry, by the rollout of `runtime.md`.
    pub(crate) fn gate(&self, u: usize, j: usize) -> Gate {
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

    pub fn handle_new_at(&mut self, ev: &Event, at: usize) {
        let u = self.arrive(ev.ts, at, &ev.user_id);
        let now = ev.ts;
        // Aggregates first: every journey sees them with this event counted.
        let touched = !self.aggs.defs.is_empty() && self.update_aggs(u, ev);
        if ev.kind == "profile_update" {
            for (k, v) in &ev.props {
                self.users[u].attrs.set(&mut self.keys, k, v.clone());
            }
            self.attrs_changed(u);
        }
        if self
            .policy
            .unsubscribe
            .as_ref()
            .is_some_and(|x| x.event == ev.kind)
        {
            self.unsubscribe(u, ev, now);
        }
        // Membership moves with the aggregates and profile just updated, before the journeys see
        // the event; the segment triggers fire after them.
        // Only when something a segment reads moved: a profile update, or an aggregate a
        // segment reads (the clock's moves come through the users' dues).
        let changes = if !self.segs.is_empty() && (ev.kind == "profile_update" || touched) {
            self.seg_update(u, now, false)
        } else {
            Vec::new()
        };
        if ev.kind == self.policy.conversion_event() {
            self.convert(u, ev, now);
        }
        let mut entered_groups: FastSet<String> = FastSet::new();
        if let Some(&kind) = self.interesting.get(ev.kind.as_str()) {
            self.journey_pass(u, ev, kind, &mut entered_groups);
        }
        if !changes.is_empty() {
            self.seg_fire(u, &changes, now, &mut entered_groups);
        }
    }

    /// The journeys' pass over an event of an interesting type `kind`: goals, waits, triggers.
    fn journey_pass(
        &mut self,
        u: usize,
        ev: &Event,
        kind: u32,
        entered_groups: &mut FastSet<String>,
    ) {
        let now = ev.ts;
        // The event as the instances that enter on it keep it, made once if any does.
        let shared = std::cell::OnceCell::new();
        let shared = || shared.get_or_init(|| Arc::new(ev.clone())).clone();
        for oi in 0..self.order.len() {
            let j = self.order[oi];
            if !self.journeys[j].reacts_to(kind) {
                continue;
            }
            // Goal exit.
            if self.journeys[j].goal.as_deref() == Some(ev.kind.as_str()) {
                if let Some(inst) = self.inside(u, j) {
                    let node = inst.node;
                    self.exit(u, j, node, ExitReason::Goal, now);
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
                        fired.is_none() && *event == ev.kind && self.cond_ok(u, j, t, Some(ev), now)
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
                self.try_enter(u, j, t, event, now, entered_groups);
            }
        }
    }

    pub(crate) fn try_enter(
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
            Some(SkipReason::Rollout)
        } else if !cj.campaign_active(now) || self.closed_campaign(j) {
            Some(SkipReason::CampaignInactive)
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
                Some(SkipReason::ReEntry)
            } else if let Some(g) = &cj.mutex {
                let busy = entered_groups.contains(g)
                    || self.users[u].journeys.iter().any(|(oj, s)| {
                        self.journeys[oj].lineage != lin
                            && s.inside.is_some()
                            && self.journeys[oj].mutex.as_ref() == Some(g)
                    });
                busy.then_some(SkipReason::Mutex)
            } else {
                None
            }
        };
        // A paused journey skips exactly the entries that would have happened.
        let reason = reason.or_else(|| self.pause_of(j).map(|_| SkipReason::Paused));
        if let Some(r) = reason {
            self.emit(
                now,
                Some(u),
                Some(j),
                Some(trigger),
                DecisionKind::JourneySkipped { reason: r },
            );
            count(&mut self.journeys[j].counts.skipped, r.as_str());
            return;
        }
        if let Some(g) = &self.journeys[j].mutex {
            entered_groups.insert(g.clone());
        }
        // The control groups: decided once the entry would happen, the global one first. A
        // held-out user counts as entered and left at once (re-entry, cooldown and the mutex
        // group see them as they would see a treated user), and gets nothing from the journey.
        let user_id = self.users[u].id.clone();
        let global = self.policy.global_holdout_percent.map_or(0, |p| p.ppm);
        let held = if global > 0 && bucket_ppm("global-holdout", &user_id) < global {
            Some(Holdout::Global)
        } else {
            let ppm = self.journeys[j].holdout_ppm;
            (ppm > 0 && bucket_ppm(&format!("holdout:{}", self.journeys[j].id), &user_id) < ppm)
                .then_some(Holdout::Journey)
        };
        if let Some(holdout) = held {
            let st = self.jstate(u, j);
            st.ever_entered = true;
            st.last_exit = Some(now);
            self.emit(
                now,
                Some(u),
                Some(j),
                Some(trigger),
                DecisionKind::JourneyHeldOut { holdout },
            );
            self.journeys[j].counts.held_out += 1;
            self.assign_journey(u, j, false, now);
            return;
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
            DecisionKind::JourneyEntered,
        );
        self.journeys[j].counts.entered += 1;
        self.seen(Some(j), Seen::Entered, now);
        self.assign_journey(u, j, true, now);
        if self.attached.is_some() {
            self.score_attached(u, j, now);
        }
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
}
