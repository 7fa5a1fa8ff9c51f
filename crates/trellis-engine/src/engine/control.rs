//! Operator controls on a live workspace (docs/operations.md): pausing a journey (its entries,
//! or everything it does), resuming it, and closing a campaign for good. They are inputs like
//! any other (`apply::Input::{Pause, Resume, Close}`), so they are in the journal, in
//! snapshots and in a simulator's `inputs.jsonl`; the engine keeps what is in force and the
//! history of who did what, when and why.

use super::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a pause stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PauseScope {
    /// No new entries (`journey.skipped`, reason `paused`); users inside go on.
    Entries,
    /// No new entries, and the offers and touches of users inside are refused
    /// (`offer.rejected` / `touch.suppressed`, reason `paused`); they leave by the refused port.
    All,
}

impl PauseScope {
    pub fn as_str(self) -> &'static str {
        match self {
            PauseScope::Entries => "entries",
            PauseScope::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<PauseScope> {
        match s {
            "entries" => Some(PauseScope::Entries),
            "all" => Some(PauseScope::All),
            _ => None,
        }
    }
}

/// One control applied: what, to which journey or campaign, by whom, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRecord {
    /// `pause`, `resume` or `close`.
    pub action: String,
    /// The journey id (pause, resume) or the campaign id (close).
    pub target: String,
    /// A pause's scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<PauseScope>,
    pub reason: String,
    /// The caller's principal (the service) or whatever the scenario says (the simulator).
    pub actor: String,
    /// When it applied (the engine's clock), RFC 3339.
    pub at: String,
    /// A close: the campaign's budget released (what was neither reserved nor spent), exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<String>,
}

/// The controls in force, and every control applied, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controls {
    /// Journey id → the pause in force.
    pub paused: BTreeMap<String, ControlRecord>,
    /// Campaign id → its close.
    pub closed: BTreeMap<String, ControlRecord>,
    pub history: Vec<ControlRecord>,
}

/// Why a control was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("journey {0:?} is not deployed")]
    UnknownJourney(String),
    #[error("journey {0:?} is not paused")]
    NotPaused(String),
    #[error("no deployed journey belongs to campaign {0:?}")]
    UnknownCampaign(String),
    #[error("campaign {0:?} is closed already")]
    AlreadyClosed(String),
}

impl Engine {
    /// The controls in force and their history.
    pub fn controls(&self) -> &Controls {
        &self.controls
    }

    /// Whether campaign `camp` was closed.
    pub fn campaign_closed(&self, camp: &str) -> bool {
        self.controls.closed.contains_key(camp)
    }

    /// Whether journey version `j`'s campaign was closed.
    pub(crate) fn closed_campaign(&self, j: usize) -> bool {
        !self.controls.closed.is_empty()
            && self.journeys[j]
                .campaign
                .as_ref()
                .is_some_and(|c| self.controls.closed.contains_key(c))
    }

    /// The pause in force on journey version `j`'s journey (every version of it), if any.
    pub(crate) fn pause_of(&self, j: usize) -> Option<PauseScope> {
        if self.controls.paused.is_empty() {
            return None;
        }
        self.controls
            .paused
            .get(&*self.journeys[j].id)
            .and_then(|r| r.scope)
    }

    fn record(
        &mut self,
        action: &str,
        target: &str,
        scope: Option<PauseScope>,
        reason: &str,
        actor: &str,
        released: Option<Decimal>,
    ) -> ControlRecord {
        let r = ControlRecord {
            action: action.to_owned(),
            target: target.to_owned(),
            scope,
            reason: reason.to_owned(),
            actor: actor.to_owned(),
            at: self.now.map(ts_string).unwrap_or_default(),
            released: released.map(decimal_string),
        };
        self.controls.history.push(r.clone());
        r
    }

    /// Pauses a journey (every deployed version of it) at `now`; pausing a paused journey
    /// changes its scope.
    pub fn pause(
        &mut self,
        journey: &str,
        scope: PauseScope,
        reason: &str,
        actor: &str,
        now: Time,
    ) -> Result<ControlRecord, ControlError> {
        self.advance_to(now);
        if !self.lineages.iter().any(|l| &*l.id == journey) {
            return Err(ControlError::UnknownJourney(journey.to_owned()));
        }
        let r = self.record("pause", journey, Some(scope), reason, actor, None);
        self.controls.paused.insert(journey.to_owned(), r.clone());
        Ok(r)
    }

    /// Lifts a journey's pause at `now`.
    pub fn resume(
        &mut self,
        journey: &str,
        reason: &str,
        actor: &str,
        now: Time,
    ) -> Result<ControlRecord, ControlError> {
        self.advance_to(now);
        if !self.lineages.iter().any(|l| &*l.id == journey) {
            return Err(ControlError::UnknownJourney(journey.to_owned()));
        }
        if self.controls.paused.remove(journey).is_none() {
            return Err(ControlError::NotPaused(journey.to_owned()));
        }
        Ok(self.record("resume", journey, None, reason, actor, None))
    }

    /// Closes a campaign for good at `now`: its journeys enter nobody and issue nothing again
    /// (`campaign_inactive`), and the budget neither reserved nor spent is released: the
    /// campaign's total becomes what it committed (a coupon of it that expires later releases
    /// its money too). Returns the record, whose `released` is the money released now.
    pub fn close_campaign(
        &mut self,
        campaign: &str,
        reason: &str,
        actor: &str,
        now: Time,
    ) -> Result<ControlRecord, ControlError> {
        self.advance_to(now);
        if self.controls.closed.contains_key(campaign) {
            return Err(ControlError::AlreadyClosed(campaign.to_owned()));
        }
        let Some(l) = self.ledgers.get_mut(campaign) else {
            return Err(ControlError::UnknownCampaign(campaign.to_owned()));
        };
        let committed = l.reserved + l.spent;
        let released = (l.total - committed).max(Decimal::ZERO);
        l.total -= released;
        let r = self.record("close", campaign, None, reason, actor, Some(released));
        self.controls.closed.insert(campaign.to_owned(), r.clone());
        self.sync_report();
        Ok(r)
    }
}
