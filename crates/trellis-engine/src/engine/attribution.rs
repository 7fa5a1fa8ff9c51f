//! Attribution (`semantics.md`): each user's touch and offer candidates, and the conversion
//! that credits one of them (last or first touch inside the policy's window).

use super::*;

impl Engine {
    /// Remembers an attribution candidate, forgetting those the window can no longer reach.
    pub(crate) fn candidate(&mut self, u: usize, c: Candidate) {
        let from = back(c.at, self.policy.attribution_window_secs() as i64);
        if self.users[u].touches.first().is_some_and(|f| f.at <= from) {
            self.close_expired(u, from);
            self.users[u].touches.retain(|t| t.at > from);
        }
        push_tight(&mut self.users[u].touches, c);
    }

    /// A conversion event: redemption of the best coupon, then single attribution.
    pub(crate) fn convert(&mut self, u: usize, ev: &Event, now: Time) {
        let revenue = match ev.props.get(self.ws.policy().revenue_field()) {
            Some(v @ (Value::Number(_) | Value::String(_))) => trellis_model::Money::from_json(v)
                .map(|m| m.value)
                .unwrap_or_default(),
            _ => Decimal::ZERO,
        };
        let order = ev.event_id.clone().map_or(Value::Null, Value::from);
        // Redemption: the largest face value among usable coupons, ties to the earliest issued.
        let best = self.users[u]
            .coupons
            .iter()
            .copied()
            .filter(|&c| {
                let c = &self.coupons[c];
                c.active && c.expires_at > now && c.min_spend.is_none_or(|m| m <= revenue)
            })
            .max_by(|&a, &b| {
                self.coupons[a]
                    .face
                    .cmp(&self.coupons[b].face)
                    .then_with(|| b.cmp(&a))
            });
        if let Some(ci) = best {
            self.redeem_coupon(ci, order.clone(), now);
        }
        // Attribution.
        let from = back(now, self.ws.policy().attribution_window_secs() as i64);
        // The attribution analysis: the paths this conversion closes (`paths.rs`).
        if self.users[u].touches.first().is_some_and(|f| f.at <= from) {
            self.close_expired(u, from);
            self.users[u].touches.retain(|t| t.at > from);
        }
        self.close_converting(u, revenue);
        let user = &mut self.users[u];
        let cand = match self.ws.policy().attribution_model() {
            AttributionModel::LastTouch => user.touches.iter().max_by_key(|t| t.seq),
            AttributionModel::FirstTouch => user.touches.iter().min_by_key(|t| t.seq),
        };
        let attributed = cand.map(|t| {
            let cj = &self.journeys[t.journey as usize];
            Attributed {
                journey: cj.id.clone(),
                node: cj.nodes[t.node as usize].id.clone(),
                offer: t.offer,
            }
        });
        user.conversions.retain(|t| *t > from);
        push_tight(&mut user.conversions, now);
        self.measure_conversion(u, revenue, now);
        self.report.conversions.count += 1;
        self.report.conversions.revenue += revenue;
        if attributed.is_some() {
            self.report.conversions.attributed += 1;
            self.report.conversions.attributed_revenue += revenue;
        }
        self.emit(
            now,
            Some(u),
            None,
            None,
            DecisionKind::Conversion {
                event_id: Cow::Owned(order),
                revenue,
                attributed_to: attributed,
            },
        );
    }
}
