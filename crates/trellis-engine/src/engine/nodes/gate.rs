//! `gate.uplift` (ports `pass`, `fail`): the model's predicted uplift for the user, read from
//! their facts (`user.<attr>`, `agg.<id>`) at this instant; at least `threshold` passes. A user
//! whose features cannot all be read fails, counted `unscored`. The report's `uplift` section
//! sums the predictions (docs/uplift.md "In the report").

use super::*;
use crate::report::{GateFigures, Report};
use trellis_uplift::Cell;

impl Engine {
    /// Each journey id's campaign (the latest version's).
    pub(crate) fn campaign_of(&self) -> HashMap<String, String> {
        self.journeys
            .iter()
            .filter_map(|j| Some((j.id.to_string(), j.campaign.clone()?)))
            .collect()
    }

    pub(crate) fn uplift_gate(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        threshold: f64,
        now: Time,
    ) -> Port {
        let gate = self.journeys[j].nodes[n].gate.clone();
        let node = self.journeys[j].nodes[n].id.clone();
        if self.score_gate(u, j, gate, threshold, &node, now) {
            "pass"
        } else {
            "fail"
        }
        .into()
    }

    /// The attached model ([`Options::attach_model`]) at an entry of journey `j`, if the journey
    /// has no gate of its own: counted under the node key `entry`.
    pub(crate) fn score_attached(&mut self, u: usize, j: usize, now: Time) {
        let Some((gate, threshold)) = self.attached.clone() else {
            return;
        };
        if self.journeys[j]
            .nodes
            .iter()
            .any(|n| matches!(&*n.kind, NodeKind::GateUplift { .. }))
        {
            return;
        }
        self.score_gate(u, j, Some(gate), threshold, "entry", now);
    }

    /// Scores user `u` with `gate`'s model and counts the prediction in the report under
    /// journey `j` and `node`; true when the predicted uplift is at least `threshold`.
    fn score_gate(
        &mut self,
        u: usize,
        j: usize,
        gate: Option<Arc<CGate>>,
        threshold: f64,
        node: &str,
        now: Time,
    ) -> bool {
        let prediction = gate.as_ref().and_then(|g| {
            let ev = self.inside(u, j).and_then(|i| i.event.clone());
            let facts = self.facts(u, j, ev.as_deref(), now);
            let values: Vec<Option<Value>> = g
                .fields
                .iter()
                .map(|(_, f)| facts.get(f).cloned())
                .collect();
            g.model
                .predict_with(|name| {
                    let i = g.fields.iter().position(|(f, _)| f == name)?;
                    match values[i].as_ref()? {
                        Value::Number(x) => x.as_f64().map(Cell::Number),
                        Value::Bool(b) => Some(Cell::Number(if *b { 1.0 } else { 0.0 })),
                        Value::String(s) => Some(Cell::Text(s)),
                        _ => None,
                    }
                })
                .ok()
        });
        let pass = prediction.is_some_and(|p| p.uplift >= threshold);
        let cj = &self.journeys[j];
        let figures = self
            .report
            .uplift
            .entry(cj.id.to_string())
            .or_default()
            .entry(node.to_owned())
            .or_default();
        if let Some(g) = &gate {
            if figures.model.is_empty() {
                figures.model = g.model_id.clone();
            }
        }
        figures.threshold = threshold;
        figures.reached += 1;
        match prediction {
            None => figures.unscored += 1,
            Some(p) => {
                figures.predicted_conversions_all += p.uplift;
                if pass {
                    figures.passed += 1;
                    figures.predicted_conversions_gated += p.uplift;
                }
                let q = &mut figures.quadrants;
                if p.uplift < 0.0 {
                    q.sleeping_dogs += 1;
                } else if p.uplift >= threshold {
                    q.persuadables += 1;
                } else {
                    let base = gate.as_ref().map_or(0.0, |g| g.model.training.control_rate);
                    match p.control {
                        Some(c) if c >= base => *q.sure_things.get_or_insert(0) += 1,
                        Some(_) => *q.lost_causes.get_or_insert(0) += 1,
                        None => q.neutral += 1,
                    }
                }
            }
        }
        pass
    }
}

/// Money and ROI of every gate, from the report's conversions (the value of one) and the money
/// the journey's campaign committed (reserved + spent: an issued coupon counts in full before it
/// is redeemed, so the ROI is a conservative one; a campaign shared by journeys counts whole).
pub(crate) fn finish_gates(r: &mut Report, campaign_of: impl Fn(&str) -> Option<String>) {
    use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
    let value = if r.conversions.count == 0 {
        Decimal::ZERO
    } else {
        (r.conversions.revenue / Decimal::from(r.conversions.count)).round_dp(2)
    };
    for (journey, gates) in &mut r.uplift {
        let cost = campaign_of(journey)
            .and_then(|c| r.campaigns.get(&c))
            .map_or(Decimal::ZERO, |c| c.reserved + c.spent);
        for g in gates.values_mut() {
            let GateFigures {
                reached,
                passed,
                unscored,
                ..
            } = *g;
            let money = |x: f64| Decimal::from_f64(x).unwrap_or_default() * value;
            g.value_per_conversion = value;
            g.predicted_revenue_all = money(g.predicted_conversions_all).round_dp(2);
            g.predicted_revenue_gated = money(g.predicted_conversions_gated).round_dp(2);
            g.cost_gated = cost;
            let scored = reached - unscored;
            g.cost_all = if passed == 0 {
                Decimal::ZERO
            } else {
                (cost * Decimal::from(scored) / Decimal::from(passed)).round_dp(2)
            };
            let roi = |rev: Decimal, cost: Decimal| {
                (!cost.is_zero())
                    .then(|| ((rev - cost) / cost).to_f64())
                    .flatten()
            };
            g.predicted_roi_gated = roi(g.predicted_revenue_gated, g.cost_gated);
            g.predicted_roi_all = roi(g.predicted_revenue_all, g.cost_all);
        }
    }
}
