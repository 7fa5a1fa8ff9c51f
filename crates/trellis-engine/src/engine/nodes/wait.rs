//! `wait.delay` and `wait.event`: the instance waits at the node on a timer (the delay, or the
//! event's timeout); the event itself is matched on arrival (`entry`).

use super::*;

impl Engine {
    pub(crate) fn wait_delay(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        secs: i64,
        now: Time,
    ) -> Option<Port> {
        self.wait(u, j, n, now + ChronoDuration::seconds(secs), Waiting::Delay);
        None
    }

    pub(crate) fn wait_event(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        timeout_secs: i64,
        now: Time,
    ) -> Option<Port> {
        self.wait(
            u,
            j,
            n,
            now + ChronoDuration::seconds(timeout_secs),
            Waiting::Event,
        );
        None
    }

    /// Parks the instance at node `n` until `due` (a wait, a timeout or a quiet-hours deferral).
    pub(crate) fn wait(&mut self, u: usize, j: usize, n: usize, due: Time, how: Waiting) {
        let Some(inst) = self.jstate(u, j).inside.as_mut() else {
            return;
        };
        inst.waiting = how;
        inst.node = n;
        let id = inst.id;
        self.schedule_timer(
            due,
            Timer::Resume {
                user: u as u32,
                journey: j as u32,
                inst: id,
                node: n as u32,
            },
        );
    }
}
