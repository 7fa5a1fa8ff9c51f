//! Alerts (docs/operations.md, "Alerts"): the engine says which rules fire at its clock
//! ([`trellis_engine::Engine::alert_signals`]); this keeps since when each has fired, the ones
//! that stopped (the last [`KEEP_RESOLVED`]), and hands the newly firing ones to whoever
//! delivers them (`trellis serve --alert-webhook`).

use crate::{wire, ApiError, Code, Result, Service};
use std::collections::{BTreeMap, VecDeque};
use trellis_engine::AlertSignal;

/// Alerts that stopped firing, kept to be shown.
pub const KEEP_RESOLVED: usize = 50;

#[derive(Debug, Default)]
pub struct AlertBook {
    active: BTreeMap<String, wire::Alert>,
    resolved: VecDeque<wire::Alert>,
    /// Alerts that began firing and were not yet taken for delivery (the newest
    /// [`KEEP_PENDING`]), whoever read the rules first.
    pending: VecDeque<wire::Alert>,
}

/// Undelivered alerts kept for the webhook.
pub const KEEP_PENDING: usize = 1000;

impl AlertBook {
    /// Takes the rules firing at `now`: returns those that began firing.
    pub fn refresh(&mut self, signals: &[AlertSignal], now: &str) -> Vec<wire::Alert> {
        let mut fresh = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for s in signals {
            let id = format!("{}:{}", s.rule, s.target);
            seen.insert(id.clone());
            let value = s.value.normalize().to_string();
            let threshold = s.threshold.normalize().to_string();
            match self.active.get_mut(&id) {
                Some(a) => {
                    a.value = value;
                    a.threshold = threshold;
                    a.severity = s.severity.into();
                }
                None => {
                    let a = wire::Alert {
                        id: id.clone(),
                        rule: s.rule.into(),
                        severity: s.severity.into(),
                        target: s.target.clone(),
                        value,
                        threshold,
                        since: now.to_owned(),
                        active: true,
                    };
                    fresh.push(a.clone());
                    self.pending.push_back(a.clone());
                    if self.pending.len() > KEEP_PENDING {
                        self.pending.pop_front();
                    }
                    self.active.insert(id, a);
                }
            }
        }
        let gone: Vec<String> = self
            .active
            .keys()
            .filter(|k| !seen.contains(*k))
            .cloned()
            .collect();
        for k in gone {
            if let Some(mut a) = self.active.remove(&k) {
                a.active = false;
                self.resolved.push_front(a);
                self.resolved.truncate(KEEP_RESOLVED);
            }
        }
        fresh
    }

    /// The active alerts (critical first), then the resolved ones, newest first.
    pub fn list(&self) -> Vec<wire::Alert> {
        let mut active: Vec<wire::Alert> = self.active.values().cloned().collect();
        active.sort_by(|a, b| {
            (a.severity != "critical", &a.since, &a.id).cmp(&(
                b.severity != "critical",
                &b.since,
                &b.id,
            ))
        });
        active.extend(self.resolved.iter().cloned());
        active
    }

    pub fn active(&self) -> impl Iterator<Item = &wire::Alert> {
        self.active.values()
    }

    /// The alerts that began firing since last taken, oldest first.
    pub fn take_pending(&mut self) -> Vec<wire::Alert> {
        self.pending.drain(..).collect()
    }
}

impl Service {
    /// Reads the engine's alert rules now and updates the book: the alerts that began firing.
    pub async fn refresh_alerts(&self) -> Result<Vec<wire::Alert>> {
        let (signals, now) = {
            let rt = self.runtime.lock().await;
            let Some(rt) = rt.as_ref() else {
                return Err(ApiError::new(
                    Code::Unavailable,
                    "this process is not running the engine yet",
                ));
            };
            (
                rt.engine.alert_signals(),
                rt.engine
                    .now()
                    .map(trellis_engine::ts_string)
                    .unwrap_or_default(),
            )
        };
        let mut book = self.alerts.lock().unwrap_or_else(|e| e.into_inner());
        Ok(book.refresh(&signals, &now))
    }

    /// Reads the rules now, then takes the alerts that began firing since last taken (by this
    /// or by any other read of the rules): what the alert webhook delivers.
    pub async fn take_fresh_alerts(&self) -> Result<Vec<wire::Alert>> {
        self.refresh_alerts().await?;
        let mut book = self.alerts.lock().unwrap_or_else(|e| e.into_inner());
        Ok(book.take_pending())
    }

    /// `GET /v1/alerts`.
    pub async fn alerts(&self) -> Result<wire::AlertList> {
        self.refresh_alerts().await?;
        let book = self.alerts.lock().unwrap_or_else(|e| e.into_inner());
        Ok(wire::AlertList {
            alerts: book.list(),
        })
    }

    /// The active alerts as `(rule, target, severity)`, for the metrics.
    pub fn active_alerts(&self) -> Vec<(String, String, String)> {
        let book = self.alerts.lock().unwrap_or_else(|e| e.into_inner());
        book.active()
            .map(|a| (a.rule.clone(), a.target.clone(), a.severity.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn sig(rule: &'static str, target: &str) -> AlertSignal {
        AlertSignal {
            rule,
            target: target.into(),
            severity: "warning",
            value: Decimal::new(12, 1),
            threshold: Decimal::ONE,
        }
    }

    #[test]
    fn since_holds_while_firing_and_resolved_ones_are_kept() {
        let mut b = AlertBook::default();
        let f = b.refresh(&[sig("breaker_tripped", "c1")], "2026-01-01T00:00:00Z");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, "breaker_tripped:c1");
        // Still firing: not fresh again, and since stays.
        let f = b.refresh(
            &[sig("breaker_tripped", "c1"), sig("rejections_spiking", "")],
            "2026-01-01T00:05:00Z",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "rejections_spiking");
        let l = b.list();
        assert_eq!(l.len(), 2);
        assert!(l.iter().all(|a| a.active));
        let c1 = l.iter().find(|a| a.target == "c1").unwrap();
        assert_eq!(c1.since, "2026-01-01T00:00:00Z");
        // Stops firing: resolved, shown after the active ones.
        let f = b.refresh(&[sig("rejections_spiking", "")], "2026-01-01T00:10:00Z");
        assert!(f.is_empty());
        let l = b.list();
        assert_eq!(l.len(), 2);
        assert!(l[0].active);
        assert!(!l[1].active);
        assert_eq!(l[1].id, "breaker_tripped:c1");
        // Fires again: fresh, with a new since.
        let f = b.refresh(&[sig("breaker_tripped", "c1")], "2026-01-01T01:00:00Z");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].since, "2026-01-01T01:00:00Z");
        // Every alert that began firing waits for delivery once, in order.
        let p: Vec<(String, String)> = b
            .take_pending()
            .into_iter()
            .map(|a| (a.id, a.since))
            .collect();
        assert_eq!(
            p,
            [
                ("breaker_tripped:c1".into(), "2026-01-01T00:00:00Z".into()),
                ("rejections_spiking:".into(), "2026-01-01T00:05:00Z".into()),
                ("breaker_tripped:c1".into(), "2026-01-01T01:00:00Z".into()),
            ]
        );
        assert!(b.take_pending().is_empty());
    }
}
