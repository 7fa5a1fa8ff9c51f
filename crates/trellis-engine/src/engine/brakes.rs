//! What holds money and messages back on a live campaign (docs/operations.md): pacing (at most
//! k/N of the budget committed by the start of period k of N), the breaker (money committed in a
//! rolling window; once tripped, nothing is issued until an approver resets it) and the touch
//! throttle of the degrade switch (at most N touches a minute; the rest deferred to the next
//! minute with room). The state is in [`Controls`](super::Controls), so it is in snapshots.

use super::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trellis_model::PacingPeriod;

/// A campaign's breaker: the money committed in its rolling window, and whether it tripped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BreakerState {
    /// (when, amount) of each commit still inside the window, oldest first.
    pub(crate) commits: VecDeque<(Time, Decimal)>,
    /// When it tripped, RFC 3339.
    pub(crate) tripped_at: Option<String>,
}

/// The throttle's bookings: touches let through or booked per minute, per scope (`""`
/// engine-wide, else the campaign), and the deferred touches that hold a booked minute.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Throttle {
    pub(crate) minutes: BTreeMap<String, BTreeMap<i64, u32>>,
    /// (user, journey version, minute booked).
    pub(crate) passes: Vec<(u32, u32, i64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Brakes {
    pub(crate) breakers: BTreeMap<String, BreakerState>,
    /// Campaign → pacing period k → money committed when last noted in it.
    pub(crate) burn: BTreeMap<String, BTreeMap<u32, Decimal>>,
    pub(crate) throttle: Throttle,
}

impl Brakes {
    /// Lifts a tripped breaker; false when it was not tripped.
    pub(crate) fn reset(&mut self, campaign: &str) -> bool {
        match self.breakers.get_mut(campaign) {
            Some(b) if b.tripped_at.is_some() => {
                b.tripped_at = None;
                b.commits.clear();
                true
            }
            _ => false,
        }
    }
}

/// What the throttle says to a touch.
pub(crate) enum Gate {
    Go,
    /// Touches are off: suppressed, reason `throttled`.
    Off,
    /// Deferred to the start of this minute.
    Defer(Time),
}

/// A campaign's pacing now: N periods, the current one (1-based, clamped to 1..=N) and the
/// money that may be committed by now (total·k/N, exact).
#[derive(Debug, Clone, PartialEq)]
pub struct PacingNow {
    pub period: PacingPeriod,
    pub periods: u32,
    pub index: u32,
    pub allowed: Decimal,
    /// Money committed as last noted in each period reached, by period.
    pub burn: Vec<(u32, Decimal)>,
}

/// A campaign's breaker now.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerNow {
    pub max_committed: Decimal,
    pub within: String,
    pub committed_in_window: Decimal,
    pub tripped_at: Option<String>,
}

/// What `GET /v1/control` shows of a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignNow {
    pub campaign: String,
    pub total: Decimal,
    pub committed: Decimal,
    pub start: Option<Time>,
    pub end: Option<Time>,
    pub pacing: Option<PacingNow>,
    pub breaker: Option<BreakerNow>,
}

/// N periods of `secs` over `[s, e)` and the current one at `now`, 1-based and clamped.
fn periods(s: Time, e: Time, secs: i64, now: Time) -> (u32, u32) {
    let span = (e - s).num_seconds().max(1);
    let n = ((span + secs - 1) / secs).clamp(1, u32::MAX as i64) as u32;
    let k = ((now - s).num_seconds().div_euclid(secs) + 1).clamp(1, n as i64) as u32;
    (n, k)
}

impl Engine {
    /// The latest deployed version of a campaign's journeys (their campaign terms agree).
    fn campaign_journey(&self, camp: &str) -> Option<&CJourney> {
        self.journeys
            .iter()
            .rev()
            .find(|c| c.campaign.as_deref() == Some(camp))
    }

    /// A campaign's breaker: (max committed, window seconds, window as written).
    pub(crate) fn campaign_breaker(&self, camp: &str) -> Option<(Decimal, i64, String)> {
        self.campaign_journey(camp).and_then(|c| c.breaker.clone())
    }

    pub(crate) fn breaker_tripped(&self, camp: &str) -> bool {
        !self.controls.brakes.breakers.is_empty()
            && self
                .controls
                .brakes
                .breakers
                .get(camp)
                .is_some_and(|b| b.tripped_at.is_some())
    }

    /// The money committed in `camp`'s breaker window ending at `now`.
    fn in_window(&self, camp: &str, within: i64, now: Time) -> Decimal {
        let from = back(now, within);
        self.controls
            .brakes
            .breakers
            .get(camp)
            .map(|b| {
                b.commits
                    .iter()
                    .filter(|(t, _)| *t > from)
                    .map(|(_, a)| *a)
                    .sum()
            })
            .unwrap_or_default()
    }

    /// Whether issuing `face` now would pass journey version `j`'s breaker; if so it trips
    /// (recorded in the controls' history by the engine) and the offer is refused.
    pub(crate) fn breaker_trips(&mut self, j: usize, camp: &str, face: Decimal, now: Time) -> bool {
        let Some((max, within, text)) = self.journeys[j].breaker.clone() else {
            return false;
        };
        let sum = self.in_window(camp, within, now) + face;
        if sum <= max {
            return false;
        }
        let at = ts_string(now);
        let b = self
            .controls
            .brakes
            .breakers
            .entry(camp.to_owned())
            .or_default();
        b.tripped_at = Some(at);
        let mut r = self.own_record(
            "breaker_trip",
            camp,
            format!(
                "{} committed within {text} would pass the breaker's {}",
                decimal_string(sum),
                decimal_string(max)
            ),
        );
        r.metric = Some("committed".into());
        r.value = Some(decimal_string(sum));
        r.max = Some(decimal_string(max));
        self.record_own(r);
        true
    }

    /// Notes money committed by journey version `j` for its breaker's window.
    pub(crate) fn note_commit(&mut self, j: usize, camp: &str, face: Decimal, now: Time) {
        let Some(within) = self.journeys[j].breaker.as_ref().map(|b| b.1) else {
            return;
        };
        let from = back(now, within);
        let b = self
            .controls
            .brakes
            .breakers
            .entry(camp.to_owned())
            .or_default();
        while b.commits.front().is_some_and(|(t, _)| *t <= from) {
            b.commits.pop_front();
        }
        b.commits.push_back((now, face));
    }

    /// Whether journey version `j`'s pacing lets `committed + face` be committed now.
    pub(crate) fn pacing_allows(
        &self,
        j: usize,
        total: Decimal,
        committed: Decimal,
        face: Decimal,
        now: Time,
    ) -> bool {
        let cj = &self.journeys[j];
        let (Some(p), (Some(s), Some(e))) = (cj.pacing, cj.window) else {
            return true;
        };
        let (n, k) = periods(s, e, p.seconds(), now);
        // committed + face ≤ total·k/N, without dividing.
        (committed + face) * Decimal::from(n) <= total * Decimal::from(k)
    }

    /// Notes the campaign's money committed in its current pacing period (the burn chart).
    pub(crate) fn note_pacing(&mut self, j: usize, now: Time) {
        let cj = &self.journeys[j];
        let (Some(p), (Some(s), Some(e)), Some(camp)) = (cj.pacing, cj.window, &cj.campaign) else {
            return;
        };
        let Some(l) = self.ledgers.get(camp) else {
            return;
        };
        let (_, k) = periods(s, e, p.seconds(), now);
        let committed = l.reserved + l.spent;
        self.controls
            .brakes
            .burn
            .entry(camp.clone())
            .or_default()
            .insert(k, committed);
    }

    /// What the throttle of the degrade switch says to user `u`'s touch in journey version
    /// `j` at `now`. A touch let through takes a place in this minute in every throttle that
    /// applies; one deferred books a place in the first minute with room in all of them.
    pub(crate) fn touch_gate(&mut self, u: usize, j: usize, now: Time) -> Gate {
        if self.controls.degrade.is_empty() {
            return Gate::Go;
        }
        let camp = self.journeys[j].campaign.clone().unwrap_or_default();
        let mut limits: Vec<(String, u32)> = Vec::new();
        for (key, d) in &self.controls.degrade {
            if !key.is_empty() && *key != camp {
                continue;
            }
            match d.touches {
                TouchMode::On => {}
                TouchMode::Off => return Gate::Off,
                TouchMode::PerMinute(n) => limits.push((key.clone(), n)),
            }
        }
        if limits.is_empty() {
            return Gate::Go;
        }
        let minute = now.timestamp().div_euclid(60);
        let t = &mut self.controls.brakes.throttle;
        // A deferred touch comes back in the minute it booked: its place is taken already.
        let (uu, jj) = (u as u32, j as u32);
        if let Some(i) = t.passes.iter().position(|p| p.0 == uu && p.1 == jj) {
            let booked = t.passes.swap_remove(i).2;
            if booked == minute {
                return Gate::Go;
            }
        }
        t.passes.retain(|p| p.2 >= minute);
        for (key, _) in &limits {
            let m = t.minutes.entry(key.clone()).or_default();
            *m = m.split_off(&minute);
        }
        let mut at = minute;
        loop {
            let full = limits.iter().find_map(|(key, n)| {
                let used = t.minutes.get(key).and_then(|m| m.get(&at)).copied();
                (used.unwrap_or(0) >= *n).then_some(())
            });
            if full.is_none() {
                break;
            }
            at += 1;
        }
        for (key, _) in &limits {
            *t.minutes
                .entry(key.clone())
                .or_default()
                .entry(at)
                .or_default() += 1;
        }
        if at == minute {
            return Gate::Go;
        }
        t.passes.push((uu, jj, at));
        Gate::Defer(DateTime::<Utc>::from_timestamp(at * 60, 0).unwrap_or(now))
    }

    /// Every campaign's money, pacing and breaker now (`GET /v1/control`).
    pub fn campaigns_now(&self) -> Vec<CampaignNow> {
        let now = self.now.unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut ids: Vec<&String> = self.ledgers.keys().collect();
        ids.sort();
        ids.into_iter()
            .map(|id| {
                let l = &self.ledgers[id];
                let cj = self.campaign_journey(id);
                let (start, end) = cj.map_or((None, None), |c| c.window);
                let committed = l.reserved + l.spent;
                let pacing = cj.and_then(|c| {
                    let (p, s, e) = (c.pacing?, c.window.0?, c.window.1?);
                    let (n, k) = periods(s, e, p.seconds(), now);
                    let k = if now < s { 0 } else { k };
                    Some(PacingNow {
                        period: p,
                        periods: n,
                        index: k,
                        allowed: (l.total * Decimal::from(k) / Decimal::from(n)).round_dp(2),
                        burn: self
                            .controls
                            .brakes
                            .burn
                            .get(id)
                            .map(|b| b.iter().map(|(k, v)| (*k, *v)).collect())
                            .unwrap_or_default(),
                    })
                });
                let breaker = cj
                    .and_then(|c| c.breaker.clone())
                    .map(|(max, within, text)| BreakerNow {
                        max_committed: max,
                        within: text,
                        committed_in_window: self.in_window(id, within, now),
                        tripped_at: self
                            .controls
                            .brakes
                            .breakers
                            .get(id)
                            .and_then(|b| b.tripped_at.clone()),
                    });
                CampaignNow {
                    campaign: id.clone(),
                    total: l.total,
                    committed,
                    start,
                    end,
                    pacing,
                    breaker,
                }
            })
            .collect()
    }
}
