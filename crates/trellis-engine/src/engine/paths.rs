//! The attribution analysis (`docs/attribution.md`, "In the report"): each user's paths of
//! touches and offers inside the policy's attribution window, counted per journey and across
//! journeys as they close, and the report's `attribution_analysis` section made from the counts
//! with trellis-attribution's models.
//!
//! The steps of a path are the user's attribution candidates (`User::touches`, which the
//! engine keeps anyway for its single attribution, pruned to the window), so the analysis keeps
//! no per-user state of its own but one bit per candidate: *taken*, set when a conversion's path
//! took it. A path closes:
//!
//! * at a conversion: the untaken candidates in (t − window, t] are its path (value: the
//!   conversion's revenue); none there: the conversion is *unattributed*;
//! * when candidates leave the window untaken (the engine prunes them at the user's next touch
//!   or conversion): those leaving together are one non-converting path;
//! * at the report: each user's untaken candidates are one non-converting path (counted for the
//!   report, not kept: the user may still convert).
//!
//! These are [`trellis_attribution::PathBuilder`]'s rules, but for one: the builder keeps touches
//! that left the window until the user's next conversion or the end, and makes them one path;
//! the engine, whose memory per user is bounded by the window, closes them as they leave it.

use super::*;
use crate::report::{AttributionAnalysis, ChannelCredit, ModelCredit, PathAnalysis, Unattributed};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trellis_attribution as ta;

/// A path's users: who converted (and their revenue) and who did not.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct Count {
    conversions: u64,
    non_conversions: u64,
    value: Decimal,
}

/// Path (its steps joined by `>`) → count.
type Table = BTreeMap<Box<str>, Count>;

/// The paths closed so far. Part of the engine's snapshot.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Paths {
    /// Per journey id (all versions): the journey's own steps of each path.
    journeys: BTreeMap<Box<str>, Table>,
    /// Across journeys: every step of each path.
    all: Table,
    /// Conversions no untaken candidate in the window preceded.
    unattributed: Count,
    /// The section last made, and the (decision seq, clock, deployments) it is of.
    #[serde(skip)]
    #[allow(clippy::type_complexity)]
    cache: std::cell::RefCell<Option<((u64, Option<Time>, usize), Option<AttributionAnalysis>)>>,
}

fn add(table: &mut Table, path: &str, converted: Option<Decimal>) {
    if !table.contains_key(path) {
        table.insert(path.into(), Count::default());
    }
    let c = table.get_mut(path).expect("inserted above");
    match converted {
        Some(v) => {
            c.conversions += 1;
            c.value += v;
        }
        None => c.non_conversions += 1,
    }
}

impl Engine {
    /// A candidate's step: its channel (`sms`), or `offer:<offer id>` (`>` in an id, which would
    /// split the path, becomes `_`); `touch` for a touch from a snapshot that kept no channel.
    fn step_name(&self, c: &Candidate) -> Cow<'_, str> {
        if c.offer {
            let node = &self.journeys[c.journey as usize].nodes[c.node as usize];
            return match &*node.kind {
                NodeKind::ActionOffer { offer } => {
                    Cow::Owned(format!("offer:{}", offer.replace('>', "_")))
                }
                _ => Cow::Borrowed("offer"),
            };
        }
        Cow::Borrowed(c.channel().map_or("touch", Channel::as_str))
    }

    /// Counts one path (candidates in time order) into `journeys` and `all`: converting with
    /// `value` when `converted`.
    fn count_path(
        &self,
        cands: &[Candidate],
        converted: Option<Decimal>,
        journeys: &mut BTreeMap<Box<str>, Table>,
        all: &mut Table,
    ) {
        let mut whole = String::new();
        let mut own: Vec<(&str, String)> = Vec::new();
        for c in cands {
            let step = self.step_name(c);
            let id = &*self.journeys[c.journey as usize].id;
            let path = match own.iter_mut().find(|(j, _)| *j == id) {
                Some((_, p)) => p,
                None => {
                    own.push((id, String::new()));
                    &mut own.last_mut().expect("pushed above").1
                }
            };
            for p in [&mut whole, path] {
                if !p.is_empty() {
                    p.push('>');
                }
                p.push_str(&step);
            }
        }
        add(all, &whole, converted);
        for (id, path) in own {
            if !journeys.contains_key(id) {
                journeys.insert(id.into(), Table::new());
            }
            add(
                journeys.get_mut(id).expect("inserted above"),
                &path,
                converted,
            );
        }
    }

    /// Closes the paths of candidates leaving user `u`'s window (those at or before `from`),
    /// untaken: one non-converting path. Called before they are pruned.
    pub(crate) fn close_expired(&mut self, u: usize, from: Time) {
        let gone: Vec<Candidate> = self.users[u]
            .touches
            .iter()
            .take_while(|t| t.at <= from)
            .filter(|t| !t.taken())
            .copied()
            .collect();
        if !gone.is_empty() {
            let mut p = std::mem::take(&mut self.paths);
            self.count_path(&gone, None, &mut p.journeys, &mut p.all);
            self.paths = p;
        }
    }

    /// A conversion worth `value` at user `u`, whose candidates are now all after `from`: the
    /// untaken ones are its path, and are taken.
    pub(crate) fn close_converting(&mut self, u: usize, value: Decimal) {
        // A refund-like negative revenue counts as 0 here (path values are not negative).
        let value = value.max(Decimal::ZERO);
        if self.users[u].touches.is_empty() {
            // Most conversions: a user never touched.
            self.paths.unattributed.conversions += 1;
            self.paths.unattributed.value += value;
            return;
        }
        let path: Vec<Candidate> = self.users[u]
            .touches
            .iter()
            .filter(|t| !t.taken())
            .copied()
            .collect();
        let mut p = std::mem::take(&mut self.paths);
        if path.is_empty() {
            p.unattributed.conversions += 1;
            p.unattributed.value += value;
        } else {
            self.count_path(&path, Some(value), &mut p.journeys, &mut p.all);
            for t in &mut self.users[u].touches {
                t.step |= TAKEN;
            }
        }
        self.paths = p;
    }

    /// The report's `attribution_analysis` section as of now (None when no path has a step).
    /// Kept until the engine decides something, its clock moves or a deployment comes.
    pub(crate) fn attribution_analysis(&self) -> Option<AttributionAnalysis> {
        let key = (self.seq, self.now, self.deploys.len());
        if let Some((k, v)) = &*self.paths.cache.borrow() {
            if *k == key {
                return v.clone();
            }
        }
        let v = self.analyse_now();
        *self.paths.cache.borrow_mut() = Some((key, v.clone()));
        v
    }

    fn analyse_now(&self) -> Option<AttributionAnalysis> {
        let mut journeys = self.paths.journeys.clone();
        let mut all = self.paths.all.clone();
        let mut pending = Vec::new();
        for user in &self.users {
            pending.clear();
            pending.extend(user.touches.iter().filter(|t| !t.taken()).copied());
            if !pending.is_empty() {
                self.count_path(&pending, None, &mut journeys, &mut all);
            }
        }
        if all.is_empty() {
            return None;
        }
        Some(AttributionAnalysis {
            journeys: journeys
                .iter()
                .map(|(id, t)| (id.to_string(), analyse(t)))
                .collect(),
            workspace: analyse(&all),
            unattributed: Unattributed {
                conversions: self.paths.unattributed.conversions,
                value: self.paths.unattributed.value,
            },
        })
    }
}

/// Every model over one table.
fn analyse(table: &Table) -> PathAnalysis {
    let rows: Vec<ta::PathRow> = table
        .iter()
        .map(|(path, c)| ta::PathRow {
            path: path.split('>').filter_map(ta::Channel::new).collect(),
            conversions: c.conversions,
            non_conversions: c.non_conversions,
            value: c.value,
        })
        .collect();
    let paths = rows.iter().map(|r| r.conversions + r.non_conversions).sum();
    // Rows are checked by construction (non-empty paths, values ≥ 0 on converting paths only);
    // only totals beyond u64 or Decimal could fail, and then the table is reported empty.
    let table = ta::PathTable::new(rows).unwrap_or_default();
    PathAnalysis {
        paths,
        conversions: table.conversions(),
        value: table.value(),
        models: ta::Model::ALL
            .into_iter()
            .map(|m| {
                let a = ta::attribute(&table, m);
                let credit = ModelCredit {
                    channels: a
                        .channels
                        .into_iter()
                        .map(|(c, k)| {
                            (
                                c.to_string(),
                                ChannelCredit {
                                    conversions: k.conversions,
                                    value: k.value,
                                },
                            )
                        })
                        .collect(),
                    removal_effect: a
                        .removal_effect
                        .map(|re| re.into_iter().map(|(c, x)| (c.to_string(), x)).collect()),
                };
                (m.name().to_owned(), credit)
            })
            .collect(),
    }
}
