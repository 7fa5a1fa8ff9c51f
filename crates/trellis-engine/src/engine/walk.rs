//! Moving an instance: through a node, out by a port to the next node, and out of the
//! journey (with its exit reason).

use super::*;

impl Engine {
    pub(crate) fn pass(&mut self, _u: usize, j: usize, node: usize) {
        self.journeys[j].nodes[node].entered += 1;
    }

    /// Leaves `node` by `port` and runs on until the user waits or exits.
    pub(crate) fn leave(&mut self, u: usize, j: usize, node: usize, port: &str, now: Time) {
        let mut node = node;
        let mut port: Cow<'_, str> = Cow::Borrowed(port);
        for _ in 0..100_000 {
            self.journeys[j].nodes[node].count_port(&port);
            let Some(next) = self.journeys[j].nodes[node].next(&port) else {
                self.exit(u, j, node, ExitReason::Completed, now);
                return;
            };
            if let Some(i) = self.jstate(u, j).inside.as_mut() {
                i.node = next;
                i.waiting = Waiting::Running;
            }
            self.pass(u, j, next);
            match self.step(u, j, next, now) {
                Some(p) => {
                    node = next;
                    port = p;
                }
                None => return,
            }
        }
    }

    pub(crate) fn exit(&mut self, u: usize, j: usize, node: usize, reason: ExitReason, now: Time) {
        let st = self.jstate(u, j);
        if st.inside.take().is_none() {
            return;
        }
        st.last_exit = Some(now);
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(node),
            DecisionKind::JourneyExited { reason },
        );
        count(&mut self.journeys[j].counts.exited, reason.as_str());
    }
}
