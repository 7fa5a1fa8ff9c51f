//! `condition` (ports `yes`, `no`) and `switch` (each case's port, `else`): the condition is
//! compiled once; it reads the event the instance entered (or last waited) on.

use super::*;

impl Engine {
    pub(crate) fn condition(&mut self, u: usize, j: usize, n: usize, now: Time) -> Port {
        let ev = self.inside(u, j).and_then(|i| i.event.clone());
        if self.cond_ok(u, j, n, ev.as_deref(), now) {
            "yes"
        } else {
            "no"
        }
        .into()
    }

    /// The first case that matches wins.
    pub(crate) fn switch(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        cases: &[trellis_model::Case],
        now: Time,
    ) -> Port {
        let ev = self.inside(u, j).and_then(|i| i.event.clone());
        let facts = self.facts(u, j, ev.as_deref(), now);
        let hit = self.journeys[j].nodes[n]
            .cases
            .iter()
            .position(|c| c.eval(&facts));
        hit.map_or(Cow::Borrowed("else"), |i| cases[i].port.clone().into())
    }
}
