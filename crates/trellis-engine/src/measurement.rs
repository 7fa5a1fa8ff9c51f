//! Outcome measurement against a control group (`docs/measurement.md`): the report sections
//! `incremental` (per journey) and `experiments` (per experiment), computed from each assigned
//! user's outcome in the analysis window. Pure: the engine collects the outcomes
//! (`engine/measure.rs`), this module turns them into figures with `trellis-stats`.

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trellis_stats::{
    compare_proportions, holm, incremental_roi, srm, total_users_for, welch, Alpha, Counts,
    MeanSummary, Moments, Power, Settings as TestSettings,
};

use crate::report::money;

/// One journey's or one experiment's measurement.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Measured {
    /// The analysis window as written in the policy (`"7d"`).
    pub window: String,
    /// The arm the others are compared with.
    pub control: String,
    pub arms: BTreeMap<String, ArmFigures>,
    /// Sample-ratio mismatch against the configured split; `None` when it cannot be checked.
    pub srm: Option<SrmFigures>,
    /// Each arm but the control against the control (arms without users left out).
    pub vs_control: BTreeMap<String, Comparison>,
    /// Cumulative figures per day (the policy's time zone), for the lift-over-time chart.
    pub daily: Vec<Day>,
    /// What a replay can say before launch (journeys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ArmFigures {
    pub users: u64,
    pub converters: u64,
    pub conversion_rate: Option<f64>,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub revenue: Decimal,
    pub revenue_per_user: Option<f64>,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub cost: Decimal,
    pub cost_per_user: Option<f64>,
    pub net_revenue_per_user: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SrmFigures {
    /// The configured share of each arm.
    pub expected: BTreeMap<String, f64>,
    pub chi2: f64,
    pub p_value: f64,
    /// p < 0.001: the assignment is not what was configured; distrust the comparison.
    pub mismatch: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Comparison {
    pub conversion: ConversionComparison,
    /// Welch's t on revenue per user; `None` while an arm has fewer than two users.
    pub revenue_per_user: Option<RevenueComparison>,
    pub incremental_conversions: Estimate,
    /// `None` with `revenue_per_user`.
    pub incremental_revenue: Option<Estimate>,
    /// `None` when the arm cost nothing.
    pub incremental_roi: Option<RoiEstimate>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ConversionComparison {
    pub diff: f64,
    pub ci_diff: [f64; 2],
    pub lift: Option<f64>,
    pub ci_lift: Option<[f64; 2]>,
    pub p_value: Option<f64>,
    /// Holm-corrected across the arms of one experiment.
    pub p_value_holm: Option<f64>,
    pub power: f64,
    /// The smallest absolute difference these sizes detect.
    pub mde: f64,
    /// More users (both arms, in the current ratio) needed to detect the policy's MDE.
    pub users_needed: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct RevenueComparison {
    pub diff: f64,
    pub ci_diff: Option<[f64; 2]>,
    pub p_value: Option<f64>,
    pub df: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Estimate {
    pub value: f64,
    pub ci: Option<[f64; 2]>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct RoiEstimate {
    pub value: f64,
    pub ci: Option<[f64; 2]>,
    /// How the interval was made: `"delta"`.
    pub method: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Day {
    pub day: String,
    pub arms: BTreeMap<String, DayArm>,
    pub vs_control: BTreeMap<String, DayLift>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DayArm {
    pub users: u64,
    pub converters: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DayLift {
    pub lift: Option<f64>,
    pub ci_lift: Option<[f64; 2]>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Plan {
    pub treated_users: u64,
    pub baseline_rate: Option<f64>,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub revenue: Decimal,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub cost: Decimal,
    /// cost / revenue: the relative lift in conversion at which incremental revenue covers cost.
    pub break_even_lift: Option<f64>,
    pub users_per_day: Option<f64>,
    pub holdouts: Vec<PlanRow>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PlanRow {
    pub percent: f64,
    pub users: Option<u64>,
    pub days: Option<f64>,
}

/// One assigned user's outcome in the analysis window.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The day of the assignment (the policy's time zone).
    pub assigned: NaiveDate,
    /// The day of the first conversion in the window, if any.
    pub converted: Option<NaiveDate>,
    pub revenue: Decimal,
    pub cost: Decimal,
}

/// An arm: its name, its configured share of users, its users' outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    pub name: String,
    pub expected: f64,
    pub outcomes: Vec<Outcome>,
}

/// How to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub window: String,
    pub alpha: Alpha,
    pub power: Power,
    /// Relative minimum detectable effect.
    pub mde: f64,
    /// Make the pre-launch plan (journeys), with the journey's own holdout percent if any.
    pub plan: Option<Option<f64>>,
    /// The last day of the run (the daily series runs to it).
    pub until: Option<NaiveDate>,
}

/// The holdout sizes a plan always shows, in percent.
pub const PLAN_HOLDOUTS: [f64; 4] = [5.0, 10.0, 20.0, 50.0];

/// Measures arms against the first (the control).
pub fn measure(arms: &[Arm], s: &Settings) -> Measured {
    let figures: BTreeMap<String, ArmFigures> = arms
        .iter()
        .map(|a| (a.name.clone(), arm_figures(&a.outcomes)))
        .collect();
    let control = arms.first();
    let mut vs_control = BTreeMap::new();
    if let Some(c) = control.filter(|c| !c.outcomes.is_empty()) {
        for a in arms.iter().skip(1).filter(|a| !a.outcomes.is_empty()) {
            if let Some(cmp) = compare(c, a, s) {
                vs_control.insert(a.name.clone(), cmp);
            }
        }
        // Holm across the arms compared (those with a p-value).
        let names: Vec<String> = vs_control
            .iter()
            .filter(|(_, c)| c.conversion.p_value.is_some())
            .map(|(n, _)| n.clone())
            .collect();
        let ps: Vec<f64> = names
            .iter()
            .filter_map(|n| vs_control.get(n).and_then(|c| c.conversion.p_value))
            .collect();
        if let Ok(adj) = holm(&ps) {
            for (n, p) in names.iter().zip(adj) {
                if let Some(c) = vs_control.get_mut(n) {
                    c.conversion.p_value_holm = Some(p);
                }
            }
        }
    }
    Measured {
        window: s.window.clone(),
        control: control.map(|c| c.name.clone()).unwrap_or_default(),
        arms: figures,
        srm: srm_figures(arms),
        vs_control,
        daily: daily(arms, s),
        plan: s.plan.map(|own| plan(arms, own, s)),
    }
}

fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

fn arm_figures(outcomes: &[Outcome]) -> ArmFigures {
    let users = outcomes.len() as u64;
    let converters = outcomes.iter().filter(|o| o.converted.is_some()).count() as u64;
    let revenue: Decimal = outcomes.iter().map(|o| o.revenue).sum();
    let cost: Decimal = outcomes.iter().map(|o| o.cost).sum();
    let per = |d: Decimal| (users > 0).then(|| to_f64(d / Decimal::from(users)));
    ArmFigures {
        users,
        converters,
        conversion_rate: (users > 0).then(|| converters as f64 / users as f64),
        revenue,
        revenue_per_user: per(revenue),
        cost,
        cost_per_user: per(cost),
        net_revenue_per_user: per(revenue - cost),
    }
}

fn pair(i: trellis_stats::Interval) -> [f64; 2] {
    [i.lo, i.hi]
}

fn compare(control: &Arm, arm: &Arm, s: &Settings) -> Option<Comparison> {
    let counts = |a: &Arm| Counts {
        conversions: a.outcomes.iter().filter(|o| o.converted.is_some()).count() as u64,
        n: a.outcomes.len() as u64,
    };
    let (cc, ac) = (counts(control), counts(arm));
    let t = compare_proportions(
        cc,
        ac,
        TestSettings {
            alpha: s.alpha,
            power: s.power,
            mde: None,
        },
    )
    .ok()?;
    let n_arm = ac.n as f64;
    let users_needed = {
        let pc = t.p_control;
        let share = cc.n as f64 / (cc.n + ac.n) as f64;
        total_users_for(pc, pc * (1.0 + s.mde), share, s.alpha, s.power)
            .filter(|n| n.is_finite() && *n <= 9.0e15)
            .map(|n| (n.ceil() as u64).saturating_sub(cc.n + ac.n))
    };
    let revenue = |a: &Arm| -> Vec<f64> { a.outcomes.iter().map(|o| to_f64(o.revenue)).collect() };
    let (rc, ra) = (revenue(control), revenue(arm));
    let ca: Vec<f64> = arm.outcomes.iter().map(|o| to_f64(o.cost)).collect();
    let summary = |xs: &[f64]| {
        let m = Moments::of(xs);
        MeanSummary {
            mean: m.mean,
            sd: m.sd(),
            n: m.n,
        }
    };
    let w = welch(summary(&rc), summary(&ra), s.alpha).ok();
    let revenue_per_user = w.as_ref().map(|w| RevenueComparison {
        diff: w.diff,
        ci_diff: w.ci_diff.map(pair),
        p_value: w.p_value,
        df: w.df,
    });
    let incremental_revenue = w.as_ref().map(|w| Estimate {
        value: w.diff * n_arm,
        ci: w.ci_diff.map(|i| [i.lo * n_arm, i.hi * n_arm]),
    });
    let incremental_roi = incremental_roi(&ra, &ca, &rc, s.alpha).map(|r| RoiEstimate {
        value: r.value,
        ci: r.ci.map(pair),
        method: r.method.to_owned(),
    });
    Some(Comparison {
        conversion: ConversionComparison {
            diff: t.diff,
            ci_diff: pair(t.ci_diff),
            lift: t.lift,
            ci_lift: t.ci_lift.map(pair),
            p_value: t.p_value,
            p_value_holm: t.p_value,
            power: t.power,
            mde: t.mde,
            users_needed,
        },
        revenue_per_user,
        incremental_conversions: Estimate {
            value: t.diff * n_arm,
            ci: Some([t.ci_diff.lo * n_arm, t.ci_diff.hi * n_arm]),
        },
        incremental_revenue,
        incremental_roi,
    })
}

fn srm_figures(arms: &[Arm]) -> Option<SrmFigures> {
    if arms.len() < 2
        || arms
            .iter()
            .any(|a| a.expected.is_nan() || a.expected <= 0.0)
    {
        return None;
    }
    let observed: Vec<u64> = arms.iter().map(|a| a.outcomes.len() as u64).collect();
    let split: Vec<f64> = arms.iter().map(|a| a.expected).collect();
    let r = srm(&observed, &split).ok()?;
    let total: f64 = split.iter().sum();
    Some(SrmFigures {
        expected: arms
            .iter()
            .map(|a| (a.name.clone(), a.expected / total))
            .collect(),
        chi2: r.chi2,
        p_value: r.p_value,
        mismatch: r.mismatch,
    })
}

/// Cumulative users and converters per arm at the end of each day, first assignment to `until`.
fn daily(arms: &[Arm], s: &Settings) -> Vec<Day> {
    let Some(first) = arms
        .iter()
        .flat_map(|a| a.outcomes.iter().map(|o| o.assigned))
        .min()
    else {
        return Vec::new();
    };
    let last = arms
        .iter()
        .flat_map(|a| {
            a.outcomes
                .iter()
                .flat_map(|o| std::iter::once(o.assigned).chain(o.converted))
        })
        .chain(s.until)
        .max()
        .unwrap_or(first);
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    // Per arm, counts per day index, then prefix sums.
    let index = |d: NaiveDate| (d - first).num_days().clamp(0, days.len() as i64 - 1) as usize;
    let cumulative: Vec<(Vec<u64>, Vec<u64>)> = arms
        .iter()
        .map(|a| {
            let mut users = vec![0u64; days.len()];
            let mut conv = vec![0u64; days.len()];
            for o in &a.outcomes {
                users[index(o.assigned)] += 1;
                if let Some(c) = o.converted {
                    conv[index(c)] += 1;
                }
            }
            for i in 1..days.len() {
                users[i] += users[i - 1];
                conv[i] += conv[i - 1];
            }
            (users, conv)
        })
        .collect();
    days.iter()
        .enumerate()
        .map(|(i, d)| {
            let arm_counts: Vec<DayArm> = cumulative
                .iter()
                .map(|(u, c)| DayArm {
                    users: u[i],
                    converters: c[i],
                })
                .collect();
            let mut vs_control = BTreeMap::new();
            if let Some(c) = arm_counts.first().filter(|c| c.users > 0) {
                for (a, ac) in arms.iter().zip(&arm_counts).skip(1) {
                    if ac.users == 0 {
                        continue;
                    }
                    let t = compare_proportions(
                        Counts {
                            conversions: c.converters,
                            n: c.users,
                        },
                        Counts {
                            conversions: ac.converters,
                            n: ac.users,
                        },
                        TestSettings {
                            alpha: s.alpha,
                            power: s.power,
                            mde: None,
                        },
                    );
                    if let Ok(t) = t {
                        vs_control.insert(
                            a.name.clone(),
                            DayLift {
                                lift: t.lift,
                                ci_lift: t.ci_lift.map(pair),
                            },
                        );
                    }
                }
            }
            Day {
                day: d.format("%Y-%m-%d").to_string(),
                arms: arms
                    .iter()
                    .map(|a| a.name.clone())
                    .zip(arm_counts)
                    .collect(),
                vs_control,
            }
        })
        .collect()
}

/// The pre-launch plan of a journey whose arms are `[held_out, entered]`.
fn plan(arms: &[Arm], own_percent: Option<f64>, s: &Settings) -> Plan {
    let treated: &[Outcome] = arms.get(1).map_or(&[], |a| &a.outcomes);
    let f = arm_figures(treated);
    let break_even_lift = (!f.revenue.is_zero())
        .then(|| to_f64(f.cost / f.revenue))
        .filter(|x| x.is_finite());
    let all: Vec<NaiveDate> = arms
        .iter()
        .flat_map(|a| a.outcomes.iter().map(|o| o.assigned))
        .collect();
    let users_per_day = match (all.iter().min(), all.iter().max()) {
        (Some(lo), Some(hi)) => Some(all.len() as f64 / ((*hi - *lo).num_days() + 1) as f64),
        _ => None,
    };
    let mut percents: Vec<f64> = PLAN_HOLDOUTS.to_vec();
    if let Some(p) = own_percent.filter(|p| *p > 0.0 && *p < 100.0) {
        if !percents.contains(&p) {
            percents.push(p);
            percents.sort_by(f64::total_cmp);
        }
    }
    let holdouts = percents
        .into_iter()
        .map(|percent| {
            let users = match (f.conversion_rate, break_even_lift) {
                (Some(p), Some(l)) if l > 0.0 => {
                    total_users_for(p, p * (1.0 + l), percent / 100.0, s.alpha, s.power)
                        .filter(|n| n.is_finite() && *n <= 9.0e15)
                        .map(|n| n.ceil() as u64)
                }
                _ => None,
            };
            let days = match (users, users_per_day) {
                (Some(n), Some(d)) if d > 0.0 => Some(n as f64 / d),
                _ => None,
            };
            PlanRow {
                percent,
                users,
                days,
            }
        })
        .collect();
    Plan {
        treated_users: f.users,
        baseline_rate: f.conversion_rate,
        revenue: f.revenue,
        cost: f.cost,
        break_even_lift,
        users_per_day,
        holdouts,
    }
}
