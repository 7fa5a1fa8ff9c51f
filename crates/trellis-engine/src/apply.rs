//! Typed inputs and the one door into the engine: [`Engine::apply`]. The service journals each
//! input as its `kind` and `body` (JSON); [`Input::from_parts`] reads them back — every body the
//! service has written since it began, so an old journal replays — and [`Input::to_parts`]
//! writes them. A body that does not read is an [`InputError`] naming the kind and the field,
//! never a silent nothing.

use crate::engine::{
    ControlError, ControlRecord, DeliveryFailure, Engine, Guardrail, PauseScope, PlacementAnswer,
    RedeemError, Switch, TouchMode, PPM,
};
use crate::input::{parse_event, parse_profile, Event, Profile};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use trellis_model::Channel;

type Time = DateTime<Utc>;

/// One input, as the service journals it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A behaviour event (`runtime.md`, "Input data").
    Event(Event),
    /// A profile, replacing the user's attributes, contacts and consent.
    Profile(Profile),
    /// The clock moves to `until` (event clock), or to the input's time (wall clock: the body
    /// may have no `until`).
    Tick(Tick),
    /// An order redeems a coupon instance.
    Redeem(Redeem),
    /// A release goes live (or into shadow) for its journeys.
    Deploy(Box<Deploy>),
    /// A journey goes back to its previous version.
    Rollback(Rollback),
    /// The outbox gave up on a touch: fall back to the node's next channel.
    DeliveryFailed(DeliveryFailed),
    /// A journey is paused (docs/operations.md).
    Pause(Pause),
    /// A journey's pause is lifted.
    Resume(Resume),
    /// A campaign is closed for good and its unissued budget released.
    Close(Close),
    /// The degrade switch, engine-wide or for a campaign.
    Degrade(Degrade),
    /// A tripped breaker is reset.
    ResetBreaker(ResetBreaker),
    /// A page asks what to show at a placement (`POST /v1/decide`, docs/decide.md).
    Decide(Decide),
}

/// `decide`: `{ "request_id", "user_id", "placement", "context", "deadline"? }`. The deadline
/// is a time: a request applied at or after it runs nothing and answers `timeout`, on replay
/// too (the journal keeps the time each input applied at).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decide {
    pub request_id: String,
    pub user_id: String,
    pub placement: String,
    #[serde(default)]
    pub context: serde_json::Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_time")]
    pub deadline: Option<Time>,
}

/// `degrade`: `{ "campaign"?, "offers"?: "on" | "off", "touches"?: "on" | "off" | {
/// "per_minute": N }, "reason", "actor" }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Degrade {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offers: Option<Switch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub touches: Option<TouchMode>,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub actor: String,
}

/// `reset_breaker`: `{ "campaign", "reason", "actor" }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResetBreaker {
    pub campaign: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub actor: String,
}

/// `pause`: `{ "journey", "scope": "entries" | "all", "reason", "actor" }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub journey: String,
    pub scope: PauseScope,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub actor: String,
}

/// `resume`: `{ "journey", "reason", "actor" }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    pub journey: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub actor: String,
}

/// `close`: `{ "campaign", "reason", "actor" }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Close {
    pub campaign: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tick {
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_time")]
    pub until: Option<Time>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redeem {
    pub instance: String,
    pub order: String,
    /// The order's amount, exact (written as a string).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// Live or shadow (decisions logged, nothing issued or sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DeployMode {
    #[default]
    Live,
    Shadow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deploy {
    #[serde(default)]
    pub release: String,
    #[serde(default = "one")]
    pub version: u64,
    /// 1 to 100 (a value outside is brought inside, as the service always did).
    #[serde(default = "hundred")]
    pub rollout_percent: u64,
    #[serde(default)]
    pub mode: DeployMode,
    #[serde(default)]
    pub actor: String,
    /// The release's workspace document, read by `trellis_model`'s reader when applied.
    pub workspace: Value,
    /// Guardrails on the versions this deploy brings (docs/operations.md, "Guardrails").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardrails: Vec<Guardrail>,
}

fn one() -> u64 {
    1
}

fn hundred() -> u64 {
    100
}

impl Deploy {
    /// The release's workspace, read; why not, as the deploy's answer says it.
    pub fn read_workspace(&self) -> Result<trellis_model::Workspace, String> {
        trellis_model::Workspace::from_json(&self.workspace)
            .map_err(|_| "the release's workspace does not read".to_owned())
    }

    /// The rollout in percent, brought inside 1 to 100.
    pub fn percent(&self) -> u32 {
        self.rollout_percent.clamp(1, 100) as u32
    }

    /// The rollout in parts per million.
    pub fn rollout_ppm(&self) -> u32 {
        self.percent() * (PPM / 100)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollback {
    pub journey: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub release: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryFailed {
    /// The outbox row's key.
    #[serde(default)]
    pub outbox: String,
    pub user_id: String,
    pub journey: String,
    pub version: u64,
    pub node: String,
    #[serde(with = "channel_name")]
    pub channel: Channel,
    /// The time of the failed touch's `touch.sent`.
    #[serde(with = "time")]
    pub sent_at: Time,
    #[serde(default)]
    pub reason: String,
}

/// Times as RFC 3339 text, written as the decision log writes them.
mod time {
    use super::Time;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Time, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::input::ts_string(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        let s = String::deserialize(d)?;
        chrono::DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| serde::de::Error::custom(format!("{s:?} is not an RFC 3339 time: {e}")))
    }
}

mod opt_time {
    use super::Time;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<Time>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::time::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "super::time")] Time);
        Ok(Option::<W>::deserialize(d)?.map(|W(t)| t))
    }
}

mod channel_name {
    use serde::{Deserialize, Deserializer, Serializer};
    use trellis_model::Channel;

    pub fn serialize<S: Serializer>(c: &Channel, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Channel, D::Error> {
        let s = String::deserialize(d)?;
        Channel::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown channel {s:?}")))
    }
}

/// An input whose kind or body does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {kind:?} input does not read: {message}")]
pub struct InputError {
    pub kind: String,
    pub message: String,
}

impl Input {
    /// The journal's `kind` of this input.
    pub fn kind(&self) -> &'static str {
        match self {
            Input::Event(_) => "event",
            Input::Profile(_) => "profile",
            Input::Tick(_) => "tick",
            Input::Redeem(_) => "redeem",
            Input::Deploy(_) => "deploy",
            Input::Rollback(_) => "rollback",
            Input::DeliveryFailed(_) => "delivery_failed",
            Input::Pause(_) => "pause",
            Input::Resume(_) => "resume",
            Input::Close(_) => "close",
            Input::Degrade(_) => "degrade",
            Input::ResetBreaker(_) => "reset_breaker",
            Input::Decide(_) => "decide",
        }
    }

    /// Reads a journal entry: its kind and its body's JSON text.
    pub fn from_parts(kind: &str, body: &str) -> Result<Input, InputError> {
        let err = |message: String| InputError {
            kind: kind.to_owned(),
            message,
        };
        let v: Value = serde_json::from_str(body).map_err(|e| err(e.to_string()))?;
        Input::from_value(kind, v)
    }

    /// Reads a journal entry whose body is already JSON.
    pub fn from_value(kind: &str, v: Value) -> Result<Input, InputError> {
        let err = |message: String| InputError {
            kind: kind.to_owned(),
            message,
        };
        /// Reads a body, naming the field that is wrong (`/amount: …`).
        fn typed<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, String> {
            serde_path_to_error::deserialize(v).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if path == "." {
                    inner.to_string()
                } else {
                    format!("/{}: {inner}", path.replace('.', "/"))
                }
            })
        }
        Ok(match kind {
            "event" => Input::Event(parse_event(&v).map_err(err)?),
            "profile" => Input::Profile(parse_profile(&v).map_err(err)?),
            "tick" => Input::Tick(typed(v).map_err(err)?),
            "redeem" => Input::Redeem(typed(v).map_err(err)?),
            "deploy" => Input::Deploy(Box::new(typed(v).map_err(err)?)),
            "rollback" => Input::Rollback(typed(v).map_err(err)?),
            "delivery_failed" => Input::DeliveryFailed(typed(v).map_err(err)?),
            "pause" => Input::Pause(typed(v).map_err(err)?),
            "resume" => Input::Resume(typed(v).map_err(err)?),
            "close" => Input::Close(typed(v).map_err(err)?),
            "degrade" => Input::Degrade(typed(v).map_err(err)?),
            "reset_breaker" => Input::ResetBreaker(typed(v).map_err(err)?),
            "decide" => Input::Decide(typed(v).map_err(err)?),
            other => return Err(err(format!("unknown input kind {other:?}"))),
        })
    }

    /// The journal's kind and body.
    pub fn to_parts(&self) -> (&'static str, Value) {
        let body = match self {
            Input::Event(e) => e.to_json(),
            Input::Profile(p) => json!({
                "user_id": p.user_id, "attrs": p.attrs, "contact": p.contact, "consent": p.consent,
            }),
            Input::Tick(t) => serde_json::to_value(t).unwrap_or_default(),
            Input::Redeem(r) => serde_json::to_value(r).unwrap_or_default(),
            Input::Deploy(d) => serde_json::to_value(d).unwrap_or_default(),
            Input::Rollback(r) => serde_json::to_value(r).unwrap_or_default(),
            Input::DeliveryFailed(f) => serde_json::to_value(f).unwrap_or_default(),
            Input::Pause(p) => serde_json::to_value(p).unwrap_or_default(),
            Input::Resume(r) => serde_json::to_value(r).unwrap_or_default(),
            Input::Close(c) => serde_json::to_value(c).unwrap_or_default(),
            Input::Degrade(d) => serde_json::to_value(d).unwrap_or_default(),
            Input::ResetBreaker(r) => serde_json::to_value(r).unwrap_or_default(),
            Input::Decide(d) => serde_json::to_value(d).unwrap_or_default(),
        };
        (self.kind(), body)
    }

    /// The time the input carries, if any: an event's `ts`, a tick's `until`.
    pub fn own_time(&self) -> Option<Time> {
        match self {
            Input::Event(e) => Some(e.ts),
            Input::Tick(t) => t.until,
            _ => None,
        }
    }
}

/// What applying an input answered (beyond the decisions it made).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Nothing to answer (events, profiles, ticks).
    Done,
    /// A redemption: applied (`fresh`: false when the same order had redeemed it already), or
    /// refused.
    Redeemed(Result<bool, RedeemError>),
    /// The release's workspace did not read: nothing was deployed.
    NotDeployed(String),
    Deployed(u64),
    /// The journey's version after a rollback, or why there is none to go back to.
    RolledBack(Result<u64, String>),
    /// Whether the failed touch was found (a failure of an unknown touch changes nothing).
    DeliveryFailed(bool),
    /// A pause, resume or close: what was recorded, or why nothing was.
    Control(Result<Box<ControlRecord>, ControlError>),
    /// A placement request's answer.
    Decided(PlacementAnswer),
}

impl Outcome {
    /// The answer as the journal keeps it (`result`), the same JSON the service has always
    /// written: `{"redeemed", "duplicate"}`, `{"deployed"}`, `{"version"}`, `{"read",
    /// "applied"}`, or `{"error": {"code", "message", "path"}}`.
    pub fn to_json(&self) -> Option<Value> {
        let error = |code: &str, message: String, path: &str| json!({ "error": { "code": code, "message": message, "path": path } });
        Some(match self {
            Outcome::Done => return None,
            Outcome::Redeemed(Ok(fresh)) => json!({ "redeemed": true, "duplicate": !fresh }),
            Outcome::Redeemed(Err(e)) => {
                let code = match e {
                    RedeemError::Unknown(_) => "E_NOT_FOUND",
                    RedeemError::MinSpend { .. } => "E_BAD_REQUEST",
                    _ => "E_CONFLICT",
                };
                error(code, e.to_string(), "/instance")
            }
            Outcome::NotDeployed(why) => error("E_SCHEMA", why.clone(), "/workspace"),
            Outcome::Deployed(v) => json!({ "deployed": v }),
            Outcome::RolledBack(Ok(v)) => json!({ "version": v }),
            Outcome::RolledBack(Err(e)) => error("E_NO_PREVIOUS", e.clone(), "/journey"),
            Outcome::DeliveryFailed(found) => json!({ "read": true, "applied": found }),
            Outcome::Decided(a) => a.to_json(),
            Outcome::Control(Ok(r)) => serde_json::to_value(r).unwrap_or_default(),
            Outcome::Control(Err(e)) => {
                let (code, path) = match e {
                    ControlError::UnknownJourney(_) => ("E_NOT_FOUND", "id"),
                    ControlError::UnknownCampaign(_) => ("E_NOT_FOUND", "id"),
                    ControlError::NotPaused(_)
                    | ControlError::AlreadyClosed(_)
                    | ControlError::NotTripped(_) => ("E_CONFLICT", "id"),
                    ControlError::NoBreaker(_) => ("E_CONFLICT", "id"),
                    ControlError::NothingToChange => ("E_BAD_REQUEST", ""),
                };
                error(code, e.to_string(), path)
            }
        })
    }
}

impl Engine {
    /// Applies one input at `at`: the one door the service's fold goes through. Decisions go
    /// where they always go ([`drain`](Engine::drain) or the sink); the answer comes back.
    /// An event is applied at `at` (the service's clock decides its time).
    pub fn apply(&mut self, input: &Input, at: Time) -> Outcome {
        match input {
            Input::Event(ev) => {
                if ev.ts == at {
                    self.handle(ev);
                } else {
                    let mut ev = ev.clone();
                    ev.ts = at;
                    self.handle(&ev);
                }
                Outcome::Done
            }
            Input::Profile(p) => {
                self.add_profile(p.clone());
                Outcome::Done
            }
            Input::Tick(_) => {
                self.advance_to(at);
                Outcome::Done
            }
            Input::Redeem(r) => Outcome::Redeemed(self.redeem(&r.instance, &r.order, r.amount, at)),
            Input::Deploy(d) => match d.read_workspace() {
                Ok(ws) => {
                    self.deploy(&ws, d.version, d.rollout_ppm());
                    let ids: Vec<String> = ws.journeys.iter().map(|j| j.id.clone()).collect();
                    self.watch(&ids, d.version, &d.guardrails);
                    Outcome::Deployed(d.version)
                }
                Err(why) => Outcome::NotDeployed(why),
            },
            Input::Rollback(r) => Outcome::RolledBack(self.rollback(&r.journey)),
            Input::DeliveryFailed(f) => {
                let failure = DeliveryFailure {
                    user_id: &f.user_id,
                    journey: &f.journey,
                    version: f.version,
                    node: &f.node,
                    channel: f.channel,
                    sent_at: f.sent_at,
                    reason: &f.reason,
                };
                Outcome::DeliveryFailed(self.delivery_failed(&failure, at))
            }
            Input::Pause(p) => Outcome::Control(
                self.pause(&p.journey, p.scope, &p.reason, &p.actor, at)
                    .map(Box::new),
            ),
            Input::Resume(r) => Outcome::Control(
                self.resume(&r.journey, &r.reason, &r.actor, at)
                    .map(Box::new),
            ),
            Input::Close(c) => Outcome::Control(
                self.close_campaign(&c.campaign, &c.reason, &c.actor, at)
                    .map(Box::new),
            ),
            Input::Degrade(d) => Outcome::Control(
                self.degrade(
                    d.campaign.as_deref(),
                    d.offers,
                    d.touches,
                    &d.reason,
                    &d.actor,
                    at,
                )
                .map(Box::new),
            ),
            Input::ResetBreaker(r) => Outcome::Control(
                self.reset_breaker(&r.campaign, &r.reason, &r.actor, at)
                    .map(Box::new),
            ),
            Input::Decide(d) => Outcome::Decided(self.decide(d, at)),
        }
    }
}
