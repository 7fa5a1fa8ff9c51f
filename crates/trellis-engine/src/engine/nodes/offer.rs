//! `action.offer`: issue under stock, per-user limits, budget and hourly quota (`offer.issued`
//! or `offer.rejected` with its reason).

use super::*;

impl Engine {
    pub(crate) fn issue(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        offer_id: &str,
        now: Time,
    ) -> &'static str {
        let Some(r) = self.journeys[j].nodes[n].offer else {
            return "rejected";
        };
        let oi = r.index;
        let offer = r
            .terms
            .unwrap_or_else(|| OfferTerms::of(&self.ws.offers[oi]));
        // A placement request answers the instance the user already holds, issuing nothing.
        if self.deciding() {
            if let Some(ci) = self.held_instance(u, oi, now) {
                let c = &self.coupons[ci];
                let (instance, amount, expires_at) = (c.id.clone(), c.face, c.expires_at);
                self.emit(
                    now,
                    Some(u),
                    Some(j),
                    Some(n),
                    DecisionKind::OfferReused {
                        offer: offer_id.into(),
                        instance: instance.into(),
                        amount,
                        expires_at: Some(expires_at),
                    },
                );
                return "issued";
            }
        }
        let cj = &self.journeys[j];
        let camp = cj.campaign.clone().unwrap_or_default();
        let face = offer.face;
        let local_hour = {
            let l = now.with_timezone(&self.tz);
            // Hours of the policy zone, counted from the epoch in UTC seconds of their start, so an
            // hour repeated by a DST change is two hours.
            (now.timestamp() - i64::from(l.minute()) * 60 - i64::from(l.second())) / 3600
        };
        let reason = if !cj.campaign_active(now) || self.closed_campaign(j) {
            Some(RejectReason::CampaignInactive)
        } else if self.pause_of(j) == Some(PauseScope::All) {
            Some(RejectReason::Paused)
        } else if self.offers_degraded(j) {
            Some(RejectReason::Degraded)
        } else if self.breaker_tripped(&camp) {
            Some(RejectReason::Breaker)
        } else if issued_count(&self.users[u].issued, oi) >= offer.per_user_limit {
            Some(RejectReason::PerUserLimit)
        } else if self.stock[oi] == Some(0) {
            Some(RejectReason::Stock)
        } else if self
            .ledgers
            .get(&camp)
            .is_some_and(|l| l.reserved + l.spent + face > l.total)
        {
            Some(RejectReason::Budget)
        } else if self
            .ledgers
            .get(&camp)
            .is_some_and(|l| !self.pacing_allows(j, l.total, l.reserved + l.spent, face, now))
        {
            Some(RejectReason::Pacing)
        } else if cj.hourly_quota.is_some_and(|q| {
            let used = self
                .hourly
                .get(&(camp.clone(), local_hour))
                .copied()
                .unwrap_or_default();
            used + face > q
        }) {
            Some(RejectReason::HourlyQuota)
        } else if self.breaker_trips(j, &camp, face, now) {
            Some(RejectReason::Breaker)
        } else {
            None
        };
        if let Some(r) = reason {
            self.emit(
                now,
                Some(u),
                Some(j),
                Some(n),
                DecisionKind::OfferRejected {
                    offer: offer_id.into(),
                    reason: r,
                },
            );
            crate::report::bump(&mut self.report.offer(offer_id).rejected, r.as_str());
            let short = matches!(r, RejectReason::Stock | RejectReason::Budget);
            self.seen(Some(j), Seen::OfferRejected { short }, now);
            return "rejected";
        }
        if let Some(s) = self.stock[oi].as_mut() {
            *s -= 1;
        }
        let issued = &mut self.users[u].issued;
        match issued.iter_mut().find(|(o, _)| *o == oi) {
            Some((_, c)) => *c += 1,
            None => push_tight(issued, (oi, 1)),
        }
        *self.hourly.entry((camp.clone(), local_hour)).or_default() += face;
        self.note_commit(j, &camp, face, now);
        let coupon = offer.coupon;
        if let Some(l) = self.ledgers.get_mut(&camp) {
            if coupon {
                l.reserved += face;
            } else {
                l.spent += face;
            }
        }
        let ci = self.coupons.len();
        let id = format!("{offer_id}-{:06}", ci + 1);
        let expires_at = now + ChronoDuration::seconds(offer.valid_for_secs as i64);
        let from = back(now, self.ws.policy().attribution_window_secs() as i64);
        let prior = self.users[u].conversions.iter().any(|t| *t > from);
        self.coupons.push(Coupon {
            id: id.clone(),
            offer: oi,
            user: u,
            journey: j,
            node: n,
            face,
            min_spend: offer.min_spend,
            expires_at,
            active: coupon,
            prior_conversion: prior,
            redeemed_by: None,
        });
        self.coupon_index.insert(id.clone().into_boxed_str(), ci);
        let seq = self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            DecisionKind::OfferIssued {
                offer: offer_id.into(),
                instance: id.into(),
                amount: face,
                expires_at: coupon.then_some(expires_at),
            },
        );
        if coupon {
            push_tight(&mut self.users[u].coupons, ci);
            self.schedule_timer(expires_at, Timer::Expiry { coupon: ci as u32 });
        } else {
            self.report.cost += face;
            self.measure_cost(u, j, face, now);
        }
        self.candidate(u, Candidate::offer(seq, now, j, n));
        self.report.offer(offer_id).issued += 1;
        self.note_burn(&camp, now);
        self.note_pacing(j, now);
        self.seen(Some(j), Seen::OfferIssued { face, coupon }, now);
        "issued"
    }
}
