//! Read-only views: a user as the engine sees them, the report's counts, and the invariants
//! the tests check.

use super::*;

impl Engine {
    /// The report so far, with campaign money and totals brought up to date.
    pub fn report_now(&mut self) -> Report {
        self.sync_report();
        let mut r = self.report.clone();
        r.finish();
        (r.incremental, r.experiments) = self.measurement();
        r.aggregates = self.agg_distributions(self.now);
        let campaigns = self.campaign_of();
        nodes::gate::finish_gates(&mut r, |j| campaigns.get(j).cloned());
        r.attribution_analysis = self.attribution_analysis();
        r
    }

    /// What the engine holds about one user (`GET /v1/users/{id}`): the journeys they are in, their
    /// offer instances, recent sends and points. None for a user never seen.
    pub fn user_view(&self, user_id: &str) -> Option<Value> {
        let &u = self.user_index.get(user_id)?;
        let user = &self.users[u];
        let journeys: Vec<Value> = user
            .journeys
            .iter()
            .filter_map(|(j, s)| {
                let i = s.inside.as_ref()?;
                let cj = &self.journeys[j];
                Some(json!({
                    "journey": &*cj.id,
                    "version": cj.version,
                    "node": &*cj.nodes[i.node].id,
                    "entered_at": ts_string(i.entered_at),
                    "waiting": match i.waiting {
                        Waiting::Running => "running",
                        Waiting::Delay => "delay",
                        Waiting::Event => "event",
                        Waiting::Deferral => "deferral",
                    },
                }))
            })
            .collect();
        let offers: Vec<Value> = user
            .coupons
            .iter()
            .map(|&ci| {
                let c = &self.coupons[ci];
                let status = if c.redeemed_by.is_some() {
                    "redeemed"
                } else if c.active {
                    "active"
                } else {
                    "expired"
                };
                json!({
                    "instance": c.id,
                    "offer": self.ws.offers[c.offer].id,
                    "amount": decimal_string(c.face),
                    "expires_at": ts_string(c.expires_at),
                    "status": status,
                    "journey": &*self.journeys[c.journey].id,
                })
            })
            .collect();
        let sends: Vec<Value> = user
            .sends
            .iter()
            .rev()
            .take(50)
            .map(|(t, ch)| json!({ "ts": ts_string(*t), "channel": ch.as_str() }))
            .collect();
        let attrs: Map<String, Value> = user
            .attrs
            .iter()
            .map(|(k, v)| (self.keys.name(k).to_owned(), v.clone()))
            .collect();
        Some(json!({
            "user_id": user_id,
            "attrs": attrs,
            "points": user.points,
            "journeys": journeys,
            "offers": offers,
            "recent_sends": sends,
            "aggregates": self.agg_values(u, self.now.unwrap_or(chrono::DateTime::<Utc>::MIN_UTC)),
            "segments": self.user_segments(u),
        }))
    }

    /// Brings the report's campaign money and node counts up to date (they are kept where the
    /// engine updates them cheaply: the ledgers and the compiled nodes).
    pub(crate) fn sync_report(&mut self) {
        // Every version of a journey id counts in one entry of the report.
        for cj in &self.journeys {
            let rj = crate::report::slot(&mut self.report.journeys, &cj.id);
            rj.entered = 0;
            rj.held_out = 0;
            rj.skipped.clear();
            rj.exited.values_mut().for_each(|c| *c = 0);
            for n in &cj.nodes {
                let rn = crate::report::slot(&mut rj.nodes, &n.id);
                *rn = crate::report::NodeCounts::default();
            }
        }
        for cj in &self.journeys {
            let rj = crate::report::slot(&mut self.report.journeys, &cj.id);
            rj.entered += cj.counts.entered;
            rj.held_out += cj.counts.held_out;
            for (k, c) in &cj.counts.skipped {
                *crate::report::slot(&mut rj.skipped, k) += c;
            }
            for (k, c) in &cj.counts.exited {
                *crate::report::slot(&mut rj.exited, k) += c;
            }
            for n in &cj.nodes {
                let rn = crate::report::slot(&mut rj.nodes, &n.id);
                rn.entered += n.entered;
                for (p, c) in &n.ports {
                    *crate::report::slot(&mut rn.ports, p) += c;
                }
            }
        }
        self.seg_sync_report();
        for (id, l) in &self.ledgers {
            let c = self.report.campaigns.entry(id.clone()).or_default();
            c.budget = l.total;
            c.reserved = l.reserved;
            c.spent = l.spent;
            c.remaining = l.total - l.reserved - l.spent;
        }
    }

    /// Invariant checks for tests: money never over budget, stock never negative.
    pub fn check_invariants(&self) -> Result<(), String> {
        for (id, l) in &self.ledgers {
            if l.reserved < Decimal::ZERO
                || l.spent < Decimal::ZERO
                || l.reserved + l.spent > l.total
            {
                return Err(format!(
                    "campaign {id}: reserved {} + spent {} vs budget {}",
                    l.reserved, l.spent, l.total
                ));
            }
        }
        let mut ids = HashSet::new();
        for c in &self.coupons {
            if !ids.insert(&c.id) {
                return Err(format!("instance {} issued twice", c.id));
            }
        }
        Ok(())
    }
}
