//! `action.points`: adds to the user's balance and logs `points.awarded`.

use super::*;

impl Engine {
    pub(crate) fn points(&mut self, u: usize, j: usize, n: usize, amount: i64, now: Time) -> Port {
        self.users[u].points += amount;
        let balance = self.users[u].points;
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            DecisionKind::PointsAwarded { amount, balance },
        );
        "out".into()
    }
}
