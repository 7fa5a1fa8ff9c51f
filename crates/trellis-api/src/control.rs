//! Operations on live journeys and campaigns (docs/operations.md): pause, resume, close, and
//! what is in force. Each change is an input appended to the journal and applied by the engine
//! like a deploy, so it is deterministic, survives restarts and is in snapshots.

use crate::params::{CloseParams, DegradeParams, PauseParams, ResetParams, ResumeParams};
use crate::{wire, ApiError, Code, Principal, Result, Role, Service};
use serde_json::{json, Value};
use trellis_store::NewInput;

/// The engine's answer to a control input, as the journal keeps it.
fn entry(v: Value) -> Result<wire::ControlEntry> {
    serde_json::from_value::<trellis_engine::ControlRecord>(v)
        .map(|r| wire::ControlEntry::from(&r))
        .map_err(|e| ApiError::new(Code::Internal, format!("the engine's answer: {e}")))
}

impl Service {
    async fn control(
        &self,
        who: &Principal,
        kind: &str,
        body: Value,
    ) -> Result<wire::ControlEntry> {
        who.require(Role::Approver)?;
        let v = self
            .apply_and_wait(NewInput {
                kind: kind.into(),
                ikey: None,
                body: body.to_string(),
                trace_id: Some(who.trace_id()),
            })
            .await?;
        entry(v)
    }

    /// `POST /v1/journeys/{id}/pause` (approver).
    pub async fn pause(
        &self,
        who: &Principal,
        journey: &str,
        p: PauseParams,
    ) -> Result<wire::ControlEntry> {
        let body =
            json!({ "journey": journey, "scope": p.scope, "reason": p.reason, "actor": who.name });
        self.control(who, "pause", body).await
    }

    /// `POST /v1/journeys/{id}/resume` (approver).
    pub async fn resume(
        &self,
        who: &Principal,
        journey: &str,
        p: ResumeParams,
    ) -> Result<wire::ControlEntry> {
        let body = json!({ "journey": journey, "reason": p.reason, "actor": who.name });
        self.control(who, "resume", body).await
    }

    /// `POST /v1/campaigns/{id}/close` (approver).
    pub async fn close_campaign(
        &self,
        who: &Principal,
        campaign: &str,
        p: CloseParams,
    ) -> Result<wire::ControlEntry> {
        let body = json!({ "campaign": campaign, "reason": p.reason, "actor": who.name });
        self.control(who, "close", body).await
    }

    /// `POST /v1/control` (approver): the degrade switch, engine-wide or for a campaign.
    pub async fn degrade(&self, who: &Principal, p: DegradeParams) -> Result<wire::ControlEntry> {
        if p.offers.is_none() && p.touches.is_none() {
            return Err(ApiError::new(
                Code::BadRequest,
                "give offers (\"on\" | \"off\") or touches (\"on\" | \"off\" | { \"per_minute\": N })",
            )
            .at(""));
        }
        let body = json!({
            "campaign": p.campaign, "offers": p.offers, "touches": p.touches,
            "reason": p.reason, "actor": who.name,
        });
        self.control(who, "degrade", body).await
    }

    /// `POST /v1/campaigns/{id}/breaker/reset` (approver).
    pub async fn reset_breaker(
        &self,
        who: &Principal,
        campaign: &str,
        p: ResetParams,
    ) -> Result<wire::ControlEntry> {
        let body = json!({ "campaign": campaign, "reason": p.reason, "actor": who.name });
        self.control(who, "reset_breaker", body).await
    }

    /// `GET /v1/control`: the pauses and closes in force and their history.
    pub async fn controls(&self) -> Result<wire::ControlState> {
        let rt = self.runtime.lock().await;
        let Some(rt) = rt.as_ref() else {
            return Err(ApiError::new(
                Code::Unavailable,
                "this process is not running the engine yet",
            ));
        };
        let c = rt.engine.controls();
        Ok(wire::ControlState {
            paused: c.paused.values().map(wire::ControlEntry::from).collect(),
            closed: c.closed.values().map(wire::ControlEntry::from).collect(),
            history: c.history.iter().map(wire::ControlEntry::from).collect(),
            degrade: c
                .degrade
                .iter()
                .map(|(k, d)| wire::DegradeEntry {
                    campaign: (!k.is_empty()).then(|| k.clone()),
                    offers: d.offers.as_str().into(),
                    touches: d.touches.word().into(),
                    per_minute: d.touches.per_minute(),
                    reason: d.reason.clone(),
                    actor: d.actor.clone(),
                    at: d.at.clone(),
                })
                .collect(),
            campaigns: rt
                .engine
                .campaigns_now()
                .iter()
                .map(wire::CampaignControl::from)
                .collect(),
        })
    }
}
