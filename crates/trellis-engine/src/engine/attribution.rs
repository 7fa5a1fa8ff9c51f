//! Attribution (`semantics.md`): each user's touch and offer candidates, and the conversion
//! that credits one of them (last or first touch inside the policy's window).

use super::*;

impl Engine {
    /// Remembers an attribution candidate, forgetting those the window can no longer reach.
    pub(crate) fn candidate(&mut self, u: usize, c: Candidate) {
        let from = back(c.1, self.policy.attribution_window_secs() as i64);
        let list = &mut self.users[u].touches;
        if list.first().is_some_and(|f| f.1 <= from) {
            list.retain(|t| t.1 > from);
        }
        push_tight(list, c);
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
        let user = &mut self.users[u];
        user.touches.retain(|t| t.1 > from);
        let cand = match self.ws.policy().attribution_model() {
            AttributionModel::LastTouch => user.touches.iter().max_by_key(|t| t.0),
            AttributionModel::FirstTouch => user.touches.iter().min_by_key(|t| t.0),
        };
        let attributed = cand.map(|t| {
            let cj = &self.journeys[t.2 as usize];
            Attributed {
                journey: cj.id.clone(),
                node: cj.nodes[t.3 as usize].id.clone(),
                offer: t.4,
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
