//! Budgets, stock and coupons: the per-campaign ledger (total, reserved, spent), redemption,
//! and the hourly burn.

use super::*;

/// Why a redemption was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    #[error("no offer instance {0:?}")]
    Unknown(String),
    #[error("offer instance {0:?} has expired")]
    Expired(String),
    #[error("offer instance {0:?} was already redeemed by order {1:?}")]
    AlreadyRedeemed(String, String),
    #[error("order amount {amount} is below the offer's min_spend {min_spend}")]
    MinSpend { amount: String, min_spend: String },
    #[error("offer instance {0:?} is not a coupon and cannot be redeemed")]
    NotACoupon(String),
}

#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Ledger {
    pub(crate) total: Decimal,
    pub(crate) reserved: Decimal,
    pub(crate) spent: Decimal,
}

pub(crate) fn issued_count(issued: &[(usize, u32)], offer: usize) -> u32 {
    issued
        .iter()
        .find(|(o, _)| *o == offer)
        .map_or(0, |&(_, c)| c)
}

impl Engine {
    /// The units of an offer's stock left; `None` when it has no stock (unlimited) or is
    /// unknown.
    pub fn stock_left(&self, offer: &str) -> Option<u64> {
        let i = self.ws.offers.iter().position(|o| o.id == offer)?;
        self.stock.get(i).copied().flatten()
    }

    pub(crate) fn note_burn(&mut self, camp: &str, now: Time) {
        let Some(l) = self.ledgers.get(camp) else {
            return;
        };
        let committed = l.reserved + l.spent;
        let total = l.total;
        let cm = crate::report::slot(&mut self.report.campaigns, camp);
        if self.options.burn_by_day {
            let day = if (0..=9999).contains(&now.year()) {
                // The date of the timestamp's text (YYYY-MM-DD), without a format string.
                let mut text = Vec::with_capacity(32);
                crate::input::write_ts(&mut text, now);
                String::from_utf8_lossy(&text[..10]).into_owned()
            } else {
                now.format("%Y-%m-%d").to_string()
            };
            cm.committed_by_day.insert(day, decimal_string(committed));
        }
        // A closed campaign's total is what it committed: closing does not exhaust it.
        let closed = self.controls.closed.contains_key(camp);
        let cm = crate::report::slot(&mut self.report.campaigns, camp);
        if cm.exhausted_at.is_none() && committed >= total && !closed {
            cm.exhausted_at = Some(ts_string(now));
        }
    }

    /// Redeems coupon `ci` for an order: its reserved money becomes spent.
    pub(crate) fn redeem_coupon(&mut self, ci: usize, order: Value, now: Time) {
        let u = self.coupons[ci].user;
        let c = &mut self.coupons[ci];
        c.active = false;
        c.redeemed_by = Some(match &order {
            Value::String(s) => s.as_str().into(),
            _ => "".into(),
        });
        let (face, j, n, id, offer, prior) = (
            c.face,
            c.journey,
            c.node,
            c.id.clone(),
            c.offer,
            c.prior_conversion,
        );
        if let Some(l) = self.journeys[j]
            .campaign
            .as_ref()
            .and_then(|c| self.ledgers.get_mut(c))
        {
            l.reserved -= face;
            l.spent += face;
        }
        self.report.cost += face;
        self.measure_cost(u, j, face, now);
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            DecisionKind::OfferRedeemed {
                instance: id.into(),
                order: Cow::Borrowed(&order),
                amount: face,
            },
        );
        let oid = self.ws.offers[offer].id.clone();
        self.report.offer(&oid).redeemed += 1;
        self.seen(Some(j), Seen::Redeemed, now);
        let s = &mut self.report.subsidised_conversions;
        s.redemptions += 1;
        if prior {
            s.by_prior_converters += 1;
            s.cost_to_prior_converters += face;
        }
    }

    /// Redeems an offer instance for an order (`POST /v1/offers/redeem`). The same instance and
    /// order again is a no-op answering `Ok(false)`.
    pub fn redeem(
        &mut self,
        instance: &str,
        order: &str,
        amount: Decimal,
        now: Time,
    ) -> Result<bool, RedeemError> {
        self.advance_to(now);
        let now = self.now.unwrap_or(now);
        let Some(&ci) = self.coupon_index.get(instance) else {
            return Err(RedeemError::Unknown(instance.to_owned()));
        };
        let c = &self.coupons[ci];
        if let Some(by) = &c.redeemed_by {
            return if &**by == order {
                Ok(false)
            } else {
                Err(RedeemError::AlreadyRedeemed(
                    instance.to_owned(),
                    by.to_string(),
                ))
            };
        }
        if self.ws.offers[c.offer].kind != OfferKind::Coupon {
            return Err(RedeemError::NotACoupon(instance.to_owned()));
        }
        if !c.active || c.expires_at <= now {
            return Err(RedeemError::Expired(instance.to_owned()));
        }
        if let Some(m) = c.min_spend.filter(|m| *m > amount) {
            return Err(RedeemError::MinSpend {
                amount: decimal_string(amount),
                min_spend: decimal_string(m),
            });
        }
        self.redeem_coupon(ci, Value::from(order), now);
        Ok(true)
    }
}
