//! Operator controls on a live workspace (docs/operations.md): pausing a journey (its entries,
//! or everything it does), resuming it, and closing a campaign for good. They are inputs like
//! any other (`apply::Input::{Pause, Resume, Close}`), so they are in the journal, in
//! snapshots and in a simulator's `inputs.jsonl`; the engine keeps what is in force and the
//! history of who did what, when and why. The degrade switch (offers off, touches off or
//! throttled, engine-wide or per campaign) and a breaker's reset are controls too; what they
//! hold back is in `brakes.rs`, the guardrails of a rollout in `guards.rs`.

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

/// An on/off switch (the degrade switch's offers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    #[default]
    On,
    Off,
}

impl Switch {
    pub fn as_str(self) -> &'static str {
        match self {
            Switch::On => "on",
            Switch::Off => "off",
        }
    }
}

/// What touches may do under the degrade switch: `"on"`, `"off"` (suppressed, reason
/// `throttled`) or `{ "per_minute": N }` (at most N a minute; the rest deferred to the next
/// minute with room).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "TouchModeWire", into = "TouchModeWire")]
pub enum TouchMode {
    #[default]
    On,
    Off,
    PerMinute(u32),
}

impl TouchMode {
    /// `on` or `off` (a throttle is on, with its rate).
    pub fn word(self) -> &'static str {
        match self {
            TouchMode::Off => "off",
            _ => "on",
        }
    }

    pub fn per_minute(self) -> Option<u32> {
        match self {
            TouchMode::PerMinute(n) => Some(n),
            _ => None,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum TouchModeWire {
    Word(String),
    Throttle { per_minute: u32 },
}

impl TryFrom<TouchModeWire> for TouchMode {
    type Error = String;
    fn try_from(w: TouchModeWire) -> Result<TouchMode, String> {
        match w {
            TouchModeWire::Word(s) if s == "on" => Ok(TouchMode::On),
            TouchModeWire::Word(s) if s == "off" => Ok(TouchMode::Off),
            TouchModeWire::Word(s) => Err(format!(
                "touches {s:?} is not \"on\", \"off\" or {{ \"per_minute\": N }}"
            )),
            TouchModeWire::Throttle { per_minute: 0 } => {
                Err("per_minute must be at least 1 (use \"off\" for none)".into())
            }
            TouchModeWire::Throttle { per_minute } => Ok(TouchMode::PerMinute(per_minute)),
        }
    }
}

impl From<TouchMode> for TouchModeWire {
    fn from(t: TouchMode) -> TouchModeWire {
        match t {
            TouchMode::On => TouchModeWire::Word("on".into()),
            TouchMode::Off => TouchModeWire::Word("off".into()),
            TouchMode::PerMinute(n) => TouchModeWire::Throttle { per_minute: n },
        }
    }
}

/// The degrade switch in force for the engine (key `""`) or a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Degrade {
    pub offers: Switch,
    pub touches: TouchMode,
    pub reason: String,
    pub actor: String,
    pub at: String,
}

/// One control applied: what, to which journey or campaign, by whom, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRecord {
    /// `pause`, `resume`, `close`, `degrade`, `breaker_trip`, `breaker_reset` or
    /// `guardrail_rollback`.
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
    /// A degrade: the offers switch now in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offers: Option<Switch>,
    /// A degrade: the touches now in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub touches: Option<TouchMode>,
    /// A guardrail rollback: the metric that tripped (a breaker trip: `committed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Its value then, exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The limit it passed, exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// A guardrail rollback: the new version's entries then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
    /// A guardrail rollback: the version rolled back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

impl ControlRecord {
    fn new(action: &str, target: &str, reason: &str, actor: &str, at: String) -> ControlRecord {
        ControlRecord {
            action: action.to_owned(),
            target: target.to_owned(),
            scope: None,
            reason: reason.to_owned(),
            actor: actor.to_owned(),
            at,
            released: None,
            offers: None,
            touches: None,
            metric: None,
            value: None,
            max: None,
            entries: None,
            version: None,
        }
    }
}

/// The controls in force, and every control applied, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controls {
    /// Journey id → the pause in force.
    pub paused: BTreeMap<String, ControlRecord>,
    /// Campaign id → its close.
    pub closed: BTreeMap<String, ControlRecord>,
    pub history: Vec<ControlRecord>,
    /// The degrade switch in force: `""` engine-wide, else by campaign id.
    #[serde(default)]
    pub degrade: BTreeMap<String, Degrade>,
    /// Each campaign's breaker, pacing burn and throttle state (`brakes.rs`).
    #[serde(default)]
    pub(crate) brakes: super::brakes::Brakes,
    /// The guardrails watching rollouts, and the live counts alerts read (`guards.rs`).
    #[serde(default)]
    pub(crate) guards: super::guards::Guards,
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
    #[error("campaign {0:?} has no breaker")]
    NoBreaker(String),
    #[error("the breaker of campaign {0:?} is not tripped")]
    NotTripped(String),
    #[error("nothing to change: give offers or touches")]
    NothingToChange,
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
        let mut r = ControlRecord::new(
            action,
            target,
            reason,
            actor,
            self.now.map(ts_string).unwrap_or_default(),
        );
        r.scope = scope;
        r.released = released.map(decimal_string);
        self.controls.history.push(r.clone());
        r
    }

    /// Records a control the engine applied by itself (a breaker trip, a guardrail rollback).
    pub(crate) fn record_own(&mut self, r: ControlRecord) {
        self.controls.history.push(r);
    }

    /// A record stamped now, for [`record_own`](Self::record_own).
    pub(crate) fn own_record(&self, action: &str, target: &str, reason: String) -> ControlRecord {
        ControlRecord::new(
            action,
            target,
            &reason,
            "engine",
            self.now.map(ts_string).unwrap_or_default(),
        )
    }

    /// Whether `campaign` names a campaign some deployed journey belongs to.
    fn known_campaign(&self, campaign: &str) -> bool {
        self.ledgers.contains_key(campaign)
    }

    /// Sets the degrade switch engine-wide (`campaign` `None`) or for a campaign at `now`; what
    /// is not given keeps what is in force. Everything back on lifts it.
    pub fn degrade(
        &mut self,
        campaign: Option<&str>,
        offers: Option<Switch>,
        touches: Option<TouchMode>,
        reason: &str,
        actor: &str,
        now: Time,
    ) -> Result<ControlRecord, ControlError> {
        self.advance_to(now);
        if offers.is_none() && touches.is_none() {
            return Err(ControlError::NothingToChange);
        }
        let key = campaign.unwrap_or("");
        if let Some(c) = campaign {
            if !self.known_campaign(c) {
                return Err(ControlError::UnknownCampaign(c.to_owned()));
            }
        }
        let was = self.controls.degrade.get(key);
        let offers = offers.unwrap_or(was.map_or(Switch::On, |d| d.offers));
        let touches = touches.unwrap_or(was.map_or(TouchMode::On, |d| d.touches));
        let mut r = ControlRecord::new(
            "degrade",
            key,
            reason,
            actor,
            self.now.map(ts_string).unwrap_or_default(),
        );
        r.offers = Some(offers);
        r.touches = Some(touches);
        if offers == Switch::On && touches == TouchMode::On {
            self.controls.degrade.remove(key);
        } else {
            self.controls.degrade.insert(
                key.to_owned(),
                Degrade {
                    offers,
                    touches,
                    reason: r.reason.clone(),
                    actor: r.actor.clone(),
                    at: r.at.clone(),
                },
            );
        }
        self.controls.history.push(r.clone());
        Ok(r)
    }

    /// Whether offers are switched off for journey version `j` (engine-wide or its campaign).
    pub(crate) fn offers_degraded(&self, j: usize) -> bool {
        if self.controls.degrade.is_empty() {
            return false;
        }
        self.degrades_of(j).any(|d| d.offers == Switch::Off)
    }

    /// The degrade switches that apply to journey version `j`: engine-wide, then its
    /// campaign's, with their throttle keys.
    pub(crate) fn degrades_of(&self, j: usize) -> impl Iterator<Item = &Degrade> {
        let camp = self.journeys[j].campaign.as_deref();
        self.controls
            .degrade
            .get("")
            .into_iter()
            .chain(camp.and_then(|c| self.controls.degrade.get(c)))
    }

    /// Resets a tripped breaker at `now`: the campaign issues again, and its rolling window
    /// starts empty.
    pub fn reset_breaker(
        &mut self,
        campaign: &str,
        reason: &str,
        actor: &str,
        now: Time,
    ) -> Result<ControlRecord, ControlError> {
        self.advance_to(now);
        if !self.known_campaign(campaign) {
            return Err(ControlError::UnknownCampaign(campaign.to_owned()));
        }
        if self.campaign_breaker(campaign).is_none() {
            return Err(ControlError::NoBreaker(campaign.to_owned()));
        }
        if !self.controls.brakes.reset(campaign) {
            return Err(ControlError::NotTripped(campaign.to_owned()));
        }
        Ok(self.record("breaker_reset", campaign, None, reason, actor, None))
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
