//! Guardrails on a rollout and the live counts alerts read (docs/operations.md). A deploy may
//! carry guardrails (`[{ metric, max, min_entries }]`); the engine counts the new version's
//! entries, offers, touches, unsubscribes and money from the deploy on, and when a metric passes
//! its max with at least `min_entries` entries, it rolls the journey back to its previous version
//! by itself (a first version, with nothing to go back to, has its entries paused instead) and
//! records it with the figures. Hourly counts of the whole engine feed the alert rules
//! ([`Engine::alert_signals`]).

use super::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a guardrail measures, over the new version's users since the deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardMetric {
    /// Unsubscribes attributed to a touch of the version ÷ its entries.
    UnsubscribeRate,
    /// Offers refused ÷ offers tried (issued + refused).
    OfferRejectedRate,
    /// Touches failed ÷ touches tried (sent or failed on sending).
    TouchFailedRate,
    /// Money committed (offers issued, at face) ÷ entries.
    CostPerEntry,
}

impl GuardMetric {
    pub const ALL: [GuardMetric; 4] = [
        GuardMetric::UnsubscribeRate,
        GuardMetric::OfferRejectedRate,
        GuardMetric::TouchFailedRate,
        GuardMetric::CostPerEntry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GuardMetric::UnsubscribeRate => "unsubscribe_rate",
            GuardMetric::OfferRejectedRate => "offer_rejected_rate",
            GuardMetric::TouchFailedRate => "touch_failed_rate",
            GuardMetric::CostPerEntry => "cost_per_entry",
        }
    }

    pub fn parse(s: &str) -> Option<GuardMetric> {
        GuardMetric::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// One guardrail of a deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guardrail {
    pub metric: GuardMetric,
    /// The most the metric may be, exact.
    #[serde(with = "rust_decimal::serde::str")]
    pub max: Decimal,
    /// The entries needed before it is judged.
    #[serde(default = "one")]
    pub min_entries: u64,
}

fn one() -> u64 {
    1
}

/// The counts of one guarded version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GuardCounts {
    pub(crate) entries: u64,
    pub(crate) offers_issued: u64,
    pub(crate) offers_rejected: u64,
    pub(crate) touches_tried: u64,
    pub(crate) touches_failed: u64,
    pub(crate) unsubscribes: u64,
    pub(crate) committed: Decimal,
}

impl GuardCounts {
    fn ratio(a: u64, b: u64) -> Decimal {
        if b == 0 {
            Decimal::ZERO
        } else {
            Decimal::from(a) / Decimal::from(b)
        }
    }

    pub(crate) fn value(&self, m: GuardMetric) -> Decimal {
        match m {
            GuardMetric::UnsubscribeRate => Self::ratio(self.unsubscribes, self.entries),
            GuardMetric::OfferRejectedRate => Self::ratio(
                self.offers_rejected,
                self.offers_issued + self.offers_rejected,
            ),
            GuardMetric::TouchFailedRate => Self::ratio(self.touches_failed, self.touches_tried),
            GuardMetric::CostPerEntry => {
                if self.entries == 0 {
                    Decimal::ZERO
                } else {
                    self.committed / Decimal::from(self.entries)
                }
            }
        }
    }
}

/// The guardrails watching one deployed version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Guard {
    pub(crate) journey: String,
    pub(crate) version: u64,
    pub(crate) rules: Vec<Guardrail>,
    pub(crate) since: String,
    pub(crate) counts: GuardCounts,
}

/// The engine's counts in one hour (UTC), for the alert rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HourCounts {
    pub(crate) touches_tried: u64,
    pub(crate) touches_failed: u64,
    pub(crate) unsubscribes: u64,
    pub(crate) offers_tried: u64,
    /// Refused for stock or budget.
    pub(crate) offers_short: u64,
    pub(crate) coupons_issued: u64,
    pub(crate) coupons_redeemed: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Guards {
    pub(crate) watching: Vec<Guard>,
    /// Hour (UTC, from the epoch) → counts; the last 48 hours are kept.
    pub(crate) hours: BTreeMap<i64, HourCounts>,
    /// The hour last counted in (its entry exists).
    #[serde(skip)]
    pub(crate) hour: Option<i64>,
}

/// Something the engine saw that guardrails and alerts count.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seen {
    Entered,
    OfferIssued { face: Decimal, coupon: bool },
    OfferRejected { short: bool },
    TouchTried,
    TouchFailed,
    Unsubscribed,
    Redeemed,
}

/// An alert rule firing now, as the engine sees it; the service keeps since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSignal {
    /// `budget_burn_ahead`, `redemption_rate_falling`, `unsubscribe_rate_rising`,
    /// `touch_failures_rising`, `rejections_spiking`, `ledger_unreconciled`,
    /// `breaker_tripped` or `guardrail_rolled_back`.
    pub rule: &'static str,
    /// A campaign or journey id, or `""` for the engine.
    pub target: String,
    /// `warning` or `critical`.
    pub severity: &'static str,
    /// The figure that fired it, exact.
    pub value: Decimal,
    /// The line it passed, exact.
    pub threshold: Decimal,
}

/// The least a window needs before a rate in it is judged.
pub const ALERT_MIN_TOUCHES: u64 = 20;
pub const ALERT_MIN_OFFERS: u64 = 20;

impl Engine {
    /// Sets the guardrails of `version` of every journey a deploy brought at `version`.
    pub fn watch(&mut self, journeys: &[String], version: u64, rules: &[Guardrail]) {
        if rules.is_empty() {
            return;
        }
        let since = self.now.map(ts_string).unwrap_or_default();
        for id in journeys {
            let top = self
                .lineages
                .iter()
                .find(|l| &*l.id == id.as_str())
                .and_then(|l| l.stack.last())
                .map(|t| self.journeys[t.0].version);
            if top != Some(version) {
                continue;
            }
            let g = &mut self.controls.guards.watching;
            g.retain(|g| g.journey != *id);
            g.push(Guard {
                journey: id.clone(),
                version,
                rules: rules.to_vec(),
                since: since.clone(),
                counts: GuardCounts::default(),
            });
        }
    }

    /// Counts what was seen for journey version `j` (if any) at `now`: the hour's counts, and
    /// the guard of `j`, which may roll it back.
    pub(crate) fn seen(&mut self, j: Option<usize>, what: Seen, now: Time) {
        let hour = now.timestamp().div_euclid(3600);
        let g = &mut self.controls.guards;
        // The hot path: the same hour as the last count (one comparison, no map lookup).
        if g.hour != Some(hour) {
            let hours = &mut g.hours;
            if hours.len() > 48 {
                *hours = hours.split_off(&(hour - 47));
            }
            hours.entry(hour).or_default();
            g.hour = Some(hour);
        }
        let Some(h) = g.hours.get_mut(&hour) else {
            return;
        };
        match what {
            Seen::Entered => {}
            Seen::OfferIssued { coupon, .. } => {
                h.offers_tried += 1;
                if coupon {
                    h.coupons_issued += 1;
                }
            }
            Seen::OfferRejected { short } => {
                h.offers_tried += 1;
                if short {
                    h.offers_short += 1;
                }
            }
            Seen::TouchTried => h.touches_tried += 1,
            Seen::TouchFailed => h.touches_failed += 1,
            Seen::Unsubscribed => h.unsubscribes += 1,
            Seen::Redeemed => h.coupons_redeemed += 1,
        }
        let Some(j) = j else {
            return;
        };
        if self.controls.guards.watching.is_empty() {
            return;
        }
        let cj = &self.journeys[j];
        let Some(gi) = self
            .controls
            .guards
            .watching
            .iter()
            .position(|g| g.journey == *cj.id && g.version == cj.version)
        else {
            return;
        };
        let g = &mut self.controls.guards.watching[gi];
        let c = &mut g.counts;
        match what {
            Seen::Entered => c.entries += 1,
            Seen::OfferIssued { face, .. } => {
                c.offers_issued += 1;
                c.committed += face;
            }
            Seen::OfferRejected { .. } => c.offers_rejected += 1,
            Seen::TouchTried => c.touches_tried += 1,
            Seen::TouchFailed => c.touches_failed += 1,
            Seen::Unsubscribed => c.unsubscribes += 1,
            Seen::Redeemed => return,
        }
        let breach = g.rules.iter().find_map(|r| {
            let v = g.counts.value(r.metric);
            (g.counts.entries >= r.min_entries && v > r.max).then_some((r.clone(), v))
        });
        if let Some((rule, value)) = breach {
            let g = self.controls.guards.watching.remove(gi);
            self.guard_rollback(g, rule, value);
        }
    }

    /// A guardrail tripped: back to the previous version, or entries paused when there is none.
    fn guard_rollback(&mut self, g: Guard, rule: Guardrail, value: Decimal) {
        let shown = value.round_dp(6).normalize();
        let what = format!(
            "{} {} > max {} over {} entries of version {}",
            rule.metric.as_str(),
            decimal_string(shown),
            decimal_string(rule.max),
            g.counts.entries,
            g.version
        );
        let reason = match self.rollback(&g.journey) {
            Ok(v) => format!("guardrail: {what}; back to version {v}"),
            Err(_) => {
                let reason = format!("guardrail: {what}; no earlier version, entries paused");
                let mut p = self.own_record("pause", &g.journey, reason.clone());
                p.scope = Some(PauseScope::Entries);
                self.controls.paused.insert(g.journey.clone(), p);
                reason
            }
        };
        let mut r = self.own_record("guardrail_rollback", &g.journey, reason);
        r.metric = Some(rule.metric.as_str().into());
        r.value = Some(decimal_string(shown));
        r.max = Some(decimal_string(rule.max));
        r.entries = Some(g.counts.entries);
        r.version = Some(g.version);
        self.record_own(r);
    }

    /// The alert rules that fire at the engine's clock (docs/operations.md, "Alerts").
    pub fn alert_signals(&self) -> Vec<AlertSignal> {
        let Some(now) = self.now else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let d = |x: &str| x.parse::<Decimal>().unwrap_or_default();
        // Budget burning ahead of its line: committed above 110% of its pacing line (k/N of the
        // budget, for a paced campaign) or else of the straight line from the window's start to
        // its end (critical above 150%), once 5% of the budget is committed.
        for c in self.campaigns_now() {
            if self.controls.closed.contains_key(&c.campaign) {
                continue;
            }
            if let (Some(s), Some(e)) = (c.start, c.end) {
                if now > s && now < e && c.total > Decimal::ZERO {
                    let f = Decimal::from((now - s).num_seconds())
                        / Decimal::from((e - s).num_seconds().max(1));
                    let line = match &c.pacing {
                        Some(p) => p.allowed,
                        None => c.total * f,
                    };
                    let warn = line * d("1.1");
                    if c.committed > warn && c.committed >= c.total * d("0.05") {
                        out.push(AlertSignal {
                            rule: "budget_burn_ahead",
                            target: c.campaign.clone(),
                            severity: if c.committed > line * d("1.5") {
                                "critical"
                            } else {
                                "warning"
                            },
                            value: c.committed,
                            threshold: warn.round_dp(2),
                        });
                    }
                }
            }
            if let Some(b) = &c.breaker {
                if b.tripped_at.is_some() {
                    out.push(AlertSignal {
                        rule: "breaker_tripped",
                        target: c.campaign.clone(),
                        severity: "critical",
                        value: b.committed_in_window,
                        threshold: b.max_committed,
                    });
                }
            }
        }
        // Rates: the last hour against max(floor, twice the 24 hours before it).
        let hour = now.timestamp().div_euclid(3600);
        let hours = &self.controls.guards.hours;
        let sum = |from: i64, to: i64| {
            let mut s = HourCounts::default();
            for (_, h) in hours.range(from..=to) {
                s.touches_tried += h.touches_tried;
                s.touches_failed += h.touches_failed;
                s.unsubscribes += h.unsubscribes;
                s.offers_tried += h.offers_tried;
                s.offers_short += h.offers_short;
                s.coupons_issued += h.coupons_issued;
                s.coupons_redeemed += h.coupons_redeemed;
            }
            s
        };
        let last = sum(hour, hour);
        let before = sum(hour - 24, hour - 1);
        let rate = |a: u64, b: u64| GuardCounts::ratio(a, b);
        let mut rising =
            |rule: &'static str, a: u64, b: u64, a0: u64, b0: u64, floor: &str, min: u64| {
                if b < min {
                    return;
                }
                let now_rate = rate(a, b);
                let line = d(floor).max(rate(a0, b0) * Decimal::TWO);
                if now_rate > line {
                    out.push(AlertSignal {
                        rule,
                        target: String::new(),
                        severity: "warning",
                        value: now_rate.round_dp(6).normalize(),
                        threshold: line.round_dp(6).normalize(),
                    });
                }
            };
        rising(
            "unsubscribe_rate_rising",
            last.unsubscribes,
            last.touches_tried,
            before.unsubscribes,
            before.touches_tried,
            "0.01",
            ALERT_MIN_TOUCHES,
        );
        rising(
            "touch_failures_rising",
            last.touches_failed,
            last.touches_tried,
            before.touches_failed,
            before.touches_tried,
            "0.05",
            ALERT_MIN_TOUCHES,
        );
        rising(
            "rejections_spiking",
            last.offers_short,
            last.offers_tried,
            before.offers_short,
            before.offers_tried,
            "0.2",
            ALERT_MIN_OFFERS,
        );
        // Redemption falling: the last 24 hours' redeemed ÷ issued below half the 24 hours
        // before, with enough coupons issued in both.
        let recent = sum(hour - 23, hour);
        let earlier = sum(hour - 47, hour - 24);
        if recent.coupons_issued >= ALERT_MIN_OFFERS && earlier.coupons_issued >= ALERT_MIN_OFFERS {
            let now_rate = rate(recent.coupons_redeemed, recent.coupons_issued);
            let line = rate(earlier.coupons_redeemed, earlier.coupons_issued) / Decimal::TWO;
            if now_rate < line {
                out.push(AlertSignal {
                    rule: "redemption_rate_falling",
                    target: String::new(),
                    severity: "warning",
                    value: now_rate.round_dp(6).normalize(),
                    threshold: line.round_dp(6).normalize(),
                });
            }
        }
        // The ledger against the coupons: reserved equals the face of the live coupons of each
        // campaign, and nothing is over budget.
        let mut live: BTreeMap<&str, Decimal> = BTreeMap::new();
        for c in self.coupons.iter().filter(|c| c.active) {
            if let Some(camp) = self.journeys[c.journey].campaign.as_deref() {
                *live.entry(camp).or_default() += c.face;
            }
        }
        for (id, l) in &self.ledgers {
            let held = live.get(id.as_str()).copied().unwrap_or_default();
            if l.reserved != held
                || l.reserved < Decimal::ZERO
                || l.spent < Decimal::ZERO
                || l.reserved + l.spent > l.total
            {
                out.push(AlertSignal {
                    rule: "ledger_unreconciled",
                    target: id.clone(),
                    severity: "critical",
                    value: l.reserved + l.spent,
                    threshold: l.total,
                });
            }
        }
        // A guardrail rolled a journey back in the last 24 hours.
        let day_ago = back(now, 86_400);
        for r in self
            .controls
            .history
            .iter()
            .filter(|r| r.action == "guardrail_rollback")
        {
            let at = DateTime::parse_from_rfc3339(&r.at).map(|t| t.with_timezone(&Utc));
            if at.is_ok_and(|t| t > day_ago) {
                out.push(AlertSignal {
                    rule: "guardrail_rolled_back",
                    target: r.target.clone(),
                    severity: "warning",
                    value: r.value.as_deref().map(d).unwrap_or_default(),
                    threshold: r.max.as_deref().map(d).unwrap_or_default(),
                });
            }
        }
        out.sort_by(|a, b| (a.rule, &a.target).cmp(&(b.rule, &b.target)));
        out.dedup_by(|a, b| a.rule == b.rule && a.target == b.target);
        out
    }
}
