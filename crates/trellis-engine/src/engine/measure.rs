//! Outcome measurement (`docs/measurement.md`): who was assigned to which arm of a journey (entered
//! or held out) or of an experiment (its holdout or a variant), and what each assigned user did in
//! the analysis window after: conversions, revenue, and what the journey spent on them. The
//! figures are made from this by [`crate::measurement`], for the report.

use super::*;
use crate::measurement::{self, Arm, Measured, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What is measured.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum SubjectKind {
    Journey,
    Experiment,
}

/// A journey (all its versions) or an experiment, with its arms as configured when its first
/// user was assigned; the first arm is the control.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Subject {
    pub(crate) kind: SubjectKind,
    pub(crate) id: Box<str>,
    pub(crate) arms: Vec<Box<str>>,
    /// The configured share of each arm (0 for an arm that appeared later, unconfigured).
    pub(crate) expected: Vec<f64>,
    /// A journey's own holdout percent, for its plan.
    pub(crate) own_percent: Option<f64>,
}

/// The report's `incremental` and `experiments` sections.
pub(crate) type Sections = (BTreeMap<String, Measured>, BTreeMap<String, Measured>);

/// Every subject measured so far, in the order first seen.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct Measures {
    pub(crate) subjects: Vec<Subject>,
    /// The sections last computed, and the (decision seq, clock, deployments) they are of.
    #[serde(skip)]
    #[allow(clippy::type_complexity)]
    pub(crate) cache: std::cell::RefCell<Option<((u64, Option<Time>, usize), Sections)>>,
}

/// A user's assignment to one arm of one subject, and their outcome since.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Assignment {
    pub(crate) subject: u32,
    pub(crate) arm: u16,
    /// The journey lineage whose entry or split assigned the user: its spending counts as cost.
    pub(crate) lineage: u32,
    pub(crate) at: Time,
    /// The first conversion in the window.
    pub(crate) converted: Option<Time>,
    pub(crate) revenue: Decimal,
    pub(crate) cost: Decimal,
}

/// The journey arms: the control first.
const HELD_OUT: usize = 0;
const ENTERED: usize = 1;

impl Engine {
    fn subject(&mut self, kind: SubjectKind, id: &str) -> Option<usize> {
        self.measures
            .subjects
            .iter()
            .position(|s| s.kind == kind && &*s.id == id)
    }

    /// Records that user `u` reached journey `j`'s entry and was held out or entered (the first
    /// time only counts).
    pub(crate) fn assign_journey(&mut self, u: usize, j: usize, entered: bool, now: Time) {
        let id = self.journeys[j].id.clone();
        let s = match self.subject(SubjectKind::Journey, &id) {
            Some(s) => s,
            None => {
                let g = self.policy.global_holdout_percent.map_or(0, |p| p.ppm) as f64 / 1e6;
                let h = self.journeys[j].holdout_ppm as f64 / 1e6;
                let held = g + (1.0 - g) * h;
                self.measures.subjects.push(Subject {
                    kind: SubjectKind::Journey,
                    id: (*id).into(),
                    arms: vec!["held_out".into(), "entered".into()],
                    expected: vec![held, 1.0 - held],
                    own_percent: (h > 0.0).then_some(h * 100.0),
                });
                self.measures.subjects.len() - 1
            }
        };
        let arm = if entered { ENTERED } else { HELD_OUT };
        self.assign(u, s, arm, self.journeys[j].lineage, now);
    }

    /// Records an experiment's assignment of user `u` (by journey `j`'s split) to `port`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assign_experiment(
        &mut self,
        u: usize,
        j: usize,
        experiment: &str,
        variants: &[trellis_model::Branch],
        holdout_ppm: u32,
        port: &str,
        now: Time,
    ) {
        let s = match self.subject(SubjectKind::Experiment, experiment) {
            Some(s) => s,
            None => {
                let h = holdout_ppm as f64 / 1e6;
                let mut arms: Vec<Box<str>> = Vec::new();
                let mut expected = Vec::new();
                if holdout_ppm > 0 {
                    arms.push("holdout".into());
                    expected.push(h);
                }
                for v in variants {
                    arms.push(v.port.as_str().into());
                    expected.push((1.0 - h) * v.percent.ppm as f64 / 1e6);
                }
                self.measures.subjects.push(Subject {
                    kind: SubjectKind::Experiment,
                    id: experiment.into(),
                    arms,
                    expected,
                    own_percent: None,
                });
                self.measures.subjects.len() - 1
            }
        };
        let subject = &mut self.measures.subjects[s];
        let arm = match subject.arms.iter().position(|a| &**a == port) {
            Some(a) => a,
            None => {
                // A later version split differently: the arm is measured, not configured.
                subject.arms.push(port.into());
                subject.expected.push(0.0);
                subject.arms.len() - 1
            }
        };
        self.assign(u, s, arm, self.journeys[j].lineage, now);
    }

    fn assign(&mut self, u: usize, subject: usize, arm: usize, lineage: usize, now: Time) {
        let list = &mut self.users[u].assigned;
        if list.iter().any(|a| a.subject as usize == subject) {
            return;
        }
        push_tight(
            list,
            Assignment {
                subject: subject as u32,
                arm: arm as u16,
                lineage: lineage as u32,
                at: now,
                converted: None,
                revenue: Decimal::ZERO,
                cost: Decimal::ZERO,
            },
        );
    }

    /// A conversion of user `u`: it counts for every assignment whose window it falls in.
    pub(crate) fn measure_conversion(&mut self, u: usize, revenue: Decimal, now: Time) {
        let window = self.policy.analysis_window_secs() as i64;
        for a in &mut self.users[u].assigned {
            if now >= a.at && now <= forward(a.at, window) {
                a.converted.get_or_insert(now);
                a.revenue += revenue;
            }
        }
    }

    /// Money journey version `j` spent on user `u` (a redeemed coupon, cash or points at issue).
    pub(crate) fn measure_cost(&mut self, u: usize, j: usize, amount: Decimal, now: Time) {
        let window = self.policy.analysis_window_secs() as i64;
        let lineage = self.journeys[j].lineage as u32;
        for a in &mut self.users[u].assigned {
            if a.lineage == lineage && now >= a.at && now <= forward(a.at, window) {
                a.cost += amount;
            }
        }
    }

    /// The report's `incremental` (journeys) and `experiments` sections, as of now. Kept until
    /// the engine decides something, its clock moves or a deployment comes (every change to an
    /// assignment or an outcome comes with a decision), so reading the service's stats again
    /// costs a copy, not a pass over every user.
    pub(crate) fn measurement(&self) -> Sections {
        let key = (self.seq, self.now, self.deploys.len());
        if let Some((k, v)) = &*self.measures.cache.borrow() {
            if *k == key {
                return v.clone();
            }
        }
        let v = self.measure_now();
        *self.measures.cache.borrow_mut() = Some((key, v.clone()));
        v
    }

    fn measure_now(&self) -> Sections {
        let subjects = &self.measures.subjects;
        let mut outcomes: Vec<Vec<Vec<Outcome>>> = subjects
            .iter()
            .map(|s| vec![Vec::new(); s.arms.len()])
            .collect();
        let day = |t: Time| t.with_timezone(&self.tz).date_naive();
        for user in &self.users {
            for a in &user.assigned {
                if let Some(arm) = outcomes
                    .get_mut(a.subject as usize)
                    .and_then(|s| s.get_mut(a.arm as usize))
                {
                    arm.push(Outcome {
                        assigned: day(a.at),
                        converted: a.converted.map(day),
                        revenue: a.revenue,
                        cost: a.cost,
                    });
                }
            }
        }
        // Each arm in one order whatever order its users came in (the service and the
        // simulator may meet users in different orders): the same figures to the last bit.
        for arms in &mut outcomes {
            for arm in arms {
                arm.sort_unstable_by(|a, b| {
                    (a.assigned, a.converted, a.revenue, a.cost).cmp(&(
                        b.assigned,
                        b.converted,
                        b.revenue,
                        b.cost,
                    ))
                });
            }
        }
        let p = &self.policy;
        let settings = |plan: Option<Option<f64>>| measurement::Settings {
            window: p.analysis_window_text(),
            alpha: trellis_stats::Alpha::new(p.measurement_alpha()).unwrap_or_default(),
            power: trellis_stats::Power::new(p.measurement_power()).unwrap_or_default(),
            mde: p.measurement_mde(),
            plan,
            until: self.now.map(day),
        };
        let mut journeys = BTreeMap::new();
        let mut experiments = BTreeMap::new();
        for (s, arms) in subjects.iter().zip(outcomes) {
            let arms: Vec<Arm> = s
                .arms
                .iter()
                .zip(&s.expected)
                .zip(arms)
                .map(|((name, &expected), outcomes)| Arm {
                    name: name.to_string(),
                    expected,
                    outcomes,
                })
                .collect();
            match s.kind {
                SubjectKind::Journey => {
                    let m = measurement::measure(&arms, &settings(Some(s.own_percent)));
                    journeys.insert(s.id.to_string(), m);
                }
                SubjectKind::Experiment => {
                    let m = measurement::measure(&arms, &settings(None));
                    experiments.insert(s.id.to_string(), m);
                }
            }
        }
        (journeys, experiments)
    }
}

/// `t + secs`, saturating at the end of time.
fn forward(t: Time, secs: i64) -> Time {
    t.checked_add_signed(ChronoDuration::seconds(secs))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
