//! One file per node kind (as GoRules zen keeps its nodes): [`Engine::step`] runs the node a
//! user stands on and answers the port to leave by, or `None` when the user now waits or left.

use super::*;

mod condition;
pub(crate) mod gate;
mod offer;
mod points;
mod split;
pub(crate) mod touch;
mod update;
mod wait;

pub(crate) use self::touch::*;

impl Engine {
    /// Executes a node; `Some(port)` to go on, `None` when the user now waits or left.
    pub(crate) fn step(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        now: Time,
    ) -> Option<Cow<'static, str>> {
        let kind = self.journeys[j].nodes[n].kind.clone();
        match &*kind {
            NodeKind::Condition { .. } => Some(self.condition(u, j, n, now)),
            NodeKind::GateUplift { threshold, .. } => {
                Some(self.uplift_gate(u, j, n, *threshold, now))
            }
            NodeKind::Switch { cases } => Some(self.switch(u, j, n, cases, now)),
            NodeKind::SplitRandom { branches, salt } => {
                Some(self.split_random(u, j, n, branches, salt.as_deref()))
            }
            NodeKind::SplitExperiment {
                experiment,
                variants,
                holdout_percent,
            } => Some(self.split_experiment(
                u,
                j,
                n,
                experiment,
                variants,
                holdout_percent.map_or(0, |h| h.ppm),
                now,
            )),
            NodeKind::WaitDelay { duration } => {
                self.wait_delay(u, j, n, duration.seconds as i64, now)
            }
            NodeKind::WaitEvent { timeout, .. } => {
                self.wait_event(u, j, n, timeout.seconds as i64, now)
            }
            NodeKind::ActionOffer { offer } => Some(self.issue(u, j, n, offer, now).into()),
            NodeKind::ActionTouch { .. } => self.touch(u, j, n, now),
            NodeKind::ActionPoints { amount, .. } => Some(self.points(u, j, n, *amount, now)),
            NodeKind::ActionUpdate { set } => Some(self.update(u, j, n, set, now)),
            NodeKind::Exit => {
                self.exit(u, j, n, ExitReason::Completed, now);
                None
            }
            NodeKind::TriggerEvent { .. }
            | NodeKind::TriggerSchedule { .. }
            | NodeKind::TriggerPattern { .. }
            | NodeKind::TriggerSegment { .. }
            | NodeKind::TriggerPlacement { .. } => Some("out".into()),
            NodeKind::Unknown { .. } | NodeKind::Invalid { .. } => {
                self.exit(u, j, n, ExitReason::Completed, now);
                None
            }
        }
    }
}
