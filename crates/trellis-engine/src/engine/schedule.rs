//! `trigger.schedule`: cron ticks in the policy's zone and the audience evaluated at each.

use super::*;

pub(crate) struct Schedule {
    pub(crate) journey: usize,
    pub(crate) node: usize,
    pub(crate) next: Option<Time>,
    pub(crate) last_local: Option<NaiveDateTime>,
    /// Per user, the audience's leaves over `user.*` facts as last evaluated, as a
    /// [`Memo`]'s (known, value) bits: a tick reads a profile again only where a leaf is not
    /// known. Cleared for a user whose attributes change; empty when the audience has more
    /// than 32 leaves.
    pub(crate) memo: Vec<[u32; 2]>,
}

impl Engine {
    /// Whether each user is in the audience of schedule `i` at `at`.
    ///
    /// Leaves over the user's attributes alone are kept per user between ticks (the schedule's
    /// `memo`), and leaves over neither the user nor their journey (`now.*`) are evaluated once
    /// per tick, so a tick reads a profile only when it changed or a leaf was never needed
    /// before. Evaluating a condition only reads, and reads only the user's own facts and the
    /// time, so on a large audience two threads share the users; the answers are the same in
    /// the same order, and the entries that follow are made one by one in user order.
    pub(crate) fn audience(&mut self, i: usize, at: Time) -> Vec<bool> {
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
        // Aggregates and segments are the user's own and move with the clock: neither kind of
        // memo.
        let tick_mask = cond
            .leaf_mask(|p| !matches!(root(p), "user" | "journey" | "agg" | "segment"))
            .unwrap_or(0);
        if user_mask != 0 {
            s.memo.resize(users.len(), [0, 0]);
        }
        let (keys, tz, aggs, segs) = (
            &self.keys,
            self.tz,
            &self.aggs.defs[..],
            &self.segs.defs[..],
        );
        let eval = |part: &[User], memo: &mut [[u32; 2]]| -> Vec<bool> {
            let cache = std::cell::RefCell::new(None);
            let mut tick = Memo::default();
            let mut memo = memo.iter_mut();
            part.iter()
                .map(|user| {
                    let facts = user_facts(user, aggs, segs, keys, tz, j, None, at, &cache);
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

    /// The next cron tick strictly after `after`, in local time, skipping DST gaps and firing a
    /// repeated local time once.
    pub(crate) fn next_tick(&self, i: usize, after: Time) -> Option<Time> {
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

    pub(crate) fn tick(&mut self, at: Time) {
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
}
