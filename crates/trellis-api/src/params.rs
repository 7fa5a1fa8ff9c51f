//! What the operations take: one parameter struct per operation that has a body or a query,
//! read with serde. A value that does not read is refused as an [`ApiError`] with the code,
//! message and path the operation has always answered: each field's reader writes the message,
//! [`Params::field_path`] says how the field is named (a JSON pointer for a body, the bare name
//! for most query parameters), and [`Params::missing`] words a required field that is absent.
//! Reading never panics: every refusal is an error value.
//!
//! A transport reads its input with [`from_slice`] (a body), [`from_value`] (parsed JSON, e.g.
//! a desktop command's arguments) or [`refused`] (its own deserializer, e.g. a query string
//! through `serde_path_to_error`), then calls the typed operation.

use crate::{ApiError, Code, Result};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A parameter struct: how its fields are named in errors.
pub trait Params: DeserializeOwned {
    /// Where a field is, in an error's `path`: `/field` (a JSON pointer into the body) unless
    /// the operation has always said otherwise.
    fn field_path(field: &str) -> String {
        format!("/{field}")
    }

    /// The error for a required field that is absent.
    fn missing(field: &str) -> ApiError {
        ApiError::new(Code::BadRequest, format!("{field} is required")).at(Self::field_path(field))
    }
}

/// The body as JSON, or `E_BAD_REQUEST` naming the line and column where it stops reading.
pub fn parse_json(body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(Code::BadRequest, format!("the body is not JSON: {e}")).at(format!(
            "line {}, column {}",
            e.line(),
            e.column()
        ))
    })
}

/// Reads a body into `P`.
pub fn from_slice<P: Params>(body: &[u8]) -> Result<P> {
    from_value(parse_json(body)?)
}

/// Reads parsed JSON into `P`.
pub fn from_value<P: Params>(v: Value) -> Result<P> {
    serde_path_to_error::deserialize(v).map_err(|e| refused::<P>(e.path(), &e.inner().to_string()))
}

/// The error for input that did not read into `P`: where (`path`, as `serde_path_to_error`
/// found it) and serde's message (a field reader's message is the operation's own).
pub fn refused<P: Params>(path: &serde_path_to_error::Path, message: &str) -> ApiError {
    use serde_path_to_error::Segment;
    let segments: Vec<String> = path
        .iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect();
    if segments.is_empty() {
        // serde's own wording of an absent field: "missing field `name`".
        if let Some(field) = message
            .strip_prefix("missing field `")
            .and_then(|r| r.strip_suffix('`'))
        {
            return P::missing(field);
        }
        return ApiError::new(Code::BadRequest, message).at("");
    }
    let path = if segments.len() == 1 {
        P::field_path(&segments[0])
    } else {
        format!("/{}", segments.join("/"))
    };
    ApiError::new(Code::BadRequest, message).at(path)
}

/// Field readers: each takes any JSON value and refuses it with the operation's message.
pub(crate) mod de {
    use super::*;

    /// An integer in `min..=max` written as a JSON number; `null` is "not given" when
    /// `null_ok`.
    pub fn int<'de, D: Deserializer<'de>>(
        d: D,
        min: u64,
        max: u64,
        null_ok: bool,
        message: impl FnOnce() -> String,
    ) -> Result<Option<u64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null if null_ok => Ok(None),
            v => v
                .as_u64()
                .filter(|n| (min..=max).contains(n))
                .map(Some)
                .ok_or_else(|| D::Error::custom(message())),
        }
    }

    /// An integer in `min..=max` written as a JSON number or as decimal text (a query
    /// parameter); `null` is "not given", and so is empty text when `empty_ok`.
    pub fn int_or_text<'de, D: Deserializer<'de>>(
        d: D,
        min: i64,
        max: i64,
        empty_ok: bool,
        message: impl FnOnce() -> String,
    ) -> Result<Option<i64>, D::Error> {
        let n = match Value::deserialize(d)? {
            Value::Null => return Ok(None),
            Value::String(s) if s.is_empty() && empty_ok => return Ok(None),
            Value::String(s) => s.parse::<i64>().ok(),
            Value::Number(n) => n.as_i64(),
            _ => None,
        };
        n.filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| D::Error::custom(message()))
    }

    /// Text of a query parameter: a string, or a number or boolean as its JSON text; `null` and
    /// empty text are "not given".
    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s),
            v => Some(v.to_string()),
        })
    }

    /// An RFC 3339 time, refused as today: `"{s:?} is not an RFC 3339 time: {e}"`.
    pub fn time(s: &str) -> std::result::Result<DateTime<Utc>, String> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("{s:?} is not an RFC 3339 time: {e}"))
    }
}

// ---- sandbox

/// `POST /v1/simulate`: a sandbox simulation on generated sample data.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SimulateParams {
    /// The workspace document (validated; errors refuse the run with `E_VALIDATION`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub workspace: Value,
    /// Sample users, 1..200,000 (default 1,000).
    #[serde(default, deserialize_with = "users")]
    #[schema(minimum = 1, maximum = 200_000)]
    pub users: Option<u64>,
    /// Days of activity, 1..90 (default 7), after 90 days of order history (`order_paid`
    /// events that agree with the profiles, for behavioural aggregates).
    #[serde(default, deserialize_with = "days")]
    #[schema(minimum = 1, maximum = 90)]
    pub days: Option<u64>,
    /// The generator's seed, at least 1 (default 1).
    #[serde(default, deserialize_with = "seed")]
    #[schema(minimum = 1)]
    pub seed: Option<u64>,
    /// Attach one of the workspace's `models` to the run: every entry of a journey without a
    /// `gate.uplift` is scored, and the report's `uplift.<journey>.entry` says what a gate at
    /// `uplift_threshold` would do (docs/uplift.md). A model the workspace lacks: `E_BAD_REQUEST` at `uplift_model`.
    #[serde(default)]
    pub uplift_model: Option<String>,
    /// The would-be gate's threshold, from -1 to 1 (default 0.02).
    #[serde(default, deserialize_with = "threshold")]
    #[schema(minimum = -1, maximum = 1)]
    pub uplift_threshold: Option<f64>,
}

fn threshold<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite() && (-1.0..=1.0).contains(x))
            .map(Some)
            .ok_or_else(|| {
                serde::de::Error::custom("uplift_threshold must be a number from -1 to 1")
            }),
    }
}

fn users<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    de::int(d, 1, 200_000, true, || {
        "users must be an integer from 1 to 200000".into()
    })
}
fn days<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    de::int(d, 1, 90, true, || {
        "days must be an integer from 1 to 90".into()
    })
}
fn seed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    de::int(d, 1, u64::MAX, true, || {
        format!("seed must be an integer from 1 to {}", u64::MAX)
    })
}

impl Params for SimulateParams {}

// ---- releases

/// `POST /v1/releases`: the workspace itself, or `{ "workspace": …, "summary": … }` with the
/// summary of its simulation (an object with `workspace` and no `schema`).
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "Value")]
pub struct SubmitParams {
    pub workspace: Value,
    pub summary: Option<Value>,
}

impl From<Value> for SubmitParams {
    fn from(v: Value) -> SubmitParams {
        match v.get("workspace") {
            Some(w) if v.get("schema").is_none() => SubmitParams {
                workspace: w.clone(),
                summary: v.get("summary").cloned(),
            },
            _ => SubmitParams {
                workspace: v,
                summary: None,
            },
        }
    }
}

impl Params for SubmitParams {}

/// `GET /v1/releases`: `status` filters on the status shown.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReleasesQuery {
    /// `pending_review`, `approved`, `rejected`, `deployed`, `superseded` or `rolled_back`.
    #[serde(default, deserialize_with = "de::text")]
    pub status: Option<String>,
}

impl Params for ReleasesQuery {
    fn field_path(field: &str) -> String {
        field.to_owned()
    }
}

/// `POST /v1/releases/{id}/approve` and `…/reject`: an optional comment (an empty body is
/// no comment).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReviewParams {
    #[serde(default, deserialize_with = "comment")]
    pub comment: Option<String>,
}

fn comment<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(D::Error::custom("comment must be a string")),
    }
}

impl Params for ReviewParams {}

/// `POST /v1/releases/{id}/deploy`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DeployParams {
    /// 1..100 (default 100).
    #[serde(default = "hundred", deserialize_with = "rollout")]
    #[schema(minimum = 1, maximum = 100, default = 100)]
    pub rollout_percent: u8,
    /// `live` (default) or `shadow`.
    #[serde(default, deserialize_with = "mode")]
    pub mode: crate::wire::DeployMode,
    /// Guardrails on the versions this deploy brings: a breach rolls the journey back by
    /// itself (docs/operations.md, "Guardrails").
    #[serde(default)]
    pub guardrails: Vec<GuardrailParams>,
}

/// One guardrail of a deploy: `{ "metric", "max", "min_entries" }`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardrailParams {
    /// `unsubscribe_rate`, `offer_rejected_rate`, `touch_failed_rate` or `cost_per_entry`.
    #[serde(deserialize_with = "guard_metric")]
    #[schema(value_type = String, example = "unsubscribe_rate")]
    pub metric: trellis_engine::GuardMetric,
    /// The most the metric may be: a number or an exact decimal string, 0 or above.
    #[serde(deserialize_with = "guard_max")]
    #[schema(value_type = String, example = "0.02")]
    pub max: rust_decimal::Decimal,
    /// The new version's entries needed before it is judged (default 1).
    #[serde(default = "one_entry", deserialize_with = "min_entries")]
    pub min_entries: u64,
}

impl GuardrailParams {
    pub fn rule(&self) -> trellis_engine::Guardrail {
        trellis_engine::Guardrail {
            metric: self.metric,
            max: self.max,
            min_entries: self.min_entries,
        }
    }
}

fn one_entry() -> u64 {
    1
}
fn guard_metric<'de, D: Deserializer<'de>>(d: D) -> Result<trellis_engine::GuardMetric, D::Error> {
    Value::deserialize(d)?
        .as_str()
        .and_then(trellis_engine::GuardMetric::parse)
        .ok_or_else(|| {
            D::Error::custom(
                "metric must be unsubscribe_rate, offer_rejected_rate, touch_failed_rate or cost_per_entry",
            )
        })
}
fn guard_max<'de, D: Deserializer<'de>>(d: D) -> Result<rust_decimal::Decimal, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => s.trim().parse::<rust_decimal::Decimal>().ok(),
        Value::Number(n) => n.to_string().parse::<rust_decimal::Decimal>().ok(),
        _ => None,
    }
    .filter(|x| !x.is_sign_negative())
    .ok_or_else(|| D::Error::custom("max must be a number 0 or above (\"0.02\", \"5.00\")"))
}
fn min_entries<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Value::deserialize(d)?
        .as_u64()
        .filter(|n| *n >= 1)
        .ok_or_else(|| D::Error::custom("min_entries must be an integer 1 or above"))
}

fn hundred() -> u8 {
    100
}
fn rollout<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let p = de::int(d, 1, 100, false, || {
        "rollout_percent must be an integer from 1 to 100".into()
    })?;
    Ok(p.and_then(|p| u8::try_from(p).ok()).unwrap_or(100))
}
fn mode<'de, D: Deserializer<'de>>(d: D) -> Result<crate::wire::DeployMode, D::Error> {
    Value::deserialize(d)?
        .as_str()
        .and_then(crate::wire::DeployMode::parse)
        .ok_or_else(|| D::Error::custom("mode must be \"live\" or \"shadow\""))
}

impl Params for DeployParams {}

// ---- operations (docs/operations.md)

/// `POST /v1/journeys/{id}/pause`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PauseParams {
    /// `entries` (new entries are skipped, reason `paused`) or `all` (also the offers and
    /// touches of users inside are refused, reason `paused`).
    #[serde(deserialize_with = "scope")]
    #[schema(value_type = String, example = "entries")]
    pub scope: trellis_engine::PauseScope,
    /// Why, kept with who and when.
    #[serde(deserialize_with = "reason")]
    pub reason: String,
}

fn scope<'de, D: Deserializer<'de>>(d: D) -> Result<trellis_engine::PauseScope, D::Error> {
    Value::deserialize(d)?
        .as_str()
        .and_then(trellis_engine::PauseScope::parse)
        .ok_or_else(|| D::Error::custom("scope must be \"entries\" or \"all\""))
}

fn reason<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(D::Error::custom("reason must be a non-empty string")),
    }
}

fn optional_reason<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        _ => Err(D::Error::custom("reason must be a string")),
    }
}

impl Params for PauseParams {
    fn missing(field: &str) -> ApiError {
        let message = match field {
            "scope" => "scope must be \"entries\" or \"all\"".to_owned(),
            f => format!("{f} must be a non-empty string"),
        };
        ApiError::new(Code::BadRequest, message).at(Self::field_path(field))
    }
}

/// `POST /v1/journeys/{id}/resume`: an optional reason (an empty body is none).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ResumeParams {
    #[serde(default, deserialize_with = "optional_reason")]
    pub reason: String,
}

impl Params for ResumeParams {}

/// `POST /v1/campaigns/{id}/close`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CloseParams {
    /// Why, kept with who and when.
    #[serde(deserialize_with = "reason")]
    pub reason: String,
}

impl Params for CloseParams {
    fn missing(field: &str) -> ApiError {
        ApiError::new(
            Code::BadRequest,
            format!("{field} must be a non-empty string"),
        )
        .at(Self::field_path(field))
    }
}

/// `POST /v1/control`: the degrade switch.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DegradeParams {
    /// `on` or `off`; absent keeps what is in force.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "off")]
    pub offers: Option<trellis_engine::Switch>,
    /// `on`, `off` or `{ "per_minute": N }`; absent keeps what is in force.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub touches: Option<trellis_engine::TouchMode>,
    /// A campaign id; engine-wide without it.
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default, deserialize_with = "optional_reason")]
    pub reason: String,
}

impl Params for DegradeParams {}

/// `POST /v1/campaigns/{id}/breaker/reset`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ResetParams {
    /// Why, kept with who and when.
    #[serde(deserialize_with = "reason")]
    pub reason: String,
}

impl Params for ResetParams {
    fn missing(field: &str) -> ApiError {
        ApiError::new(
            Code::BadRequest,
            format!("{field} must be a non-empty string"),
        )
        .at(Self::field_path(field))
    }
}

// ---- ingest

/// `POST /v1/events`: one event object or an array of events, each as `runtime.md` writes it
/// (checked by the engine's reader when ingested, so an error names the event's index).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Value")]
pub struct Events {
    pub events: Vec<Value>,
    /// Whether they came as an array (errors then point at `/INDEX`).
    pub array: bool,
}

impl TryFrom<Value> for Events {
    type Error = String;
    fn try_from(v: Value) -> Result<Events, String> {
        match v {
            Value::Array(events) => Ok(Events {
                events,
                array: true,
            }),
            o @ Value::Object(_) => Ok(Events {
                events: vec![o],
                array: false,
            }),
            _ => Err("send one event object or an array of events".into()),
        }
    }
}

impl Params for Events {}

/// `PUT /v1/profiles/{user_id}`: the profile object (`attrs`, `contact`, `consent`, and
/// `user_id` when given, which must be the path's).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Value")]
pub struct ProfileParams {
    pub fields: Map<String, Value>,
}

impl TryFrom<Value> for ProfileParams {
    type Error = String;
    fn try_from(v: Value) -> Result<ProfileParams, String> {
        match v {
            Value::Object(fields) => Ok(ProfileParams { fields }),
            _ => Err("a profile must be a JSON object".into()),
        }
    }
}

impl Params for ProfileParams {}

/// `POST /v1/offers/redeem`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RedeemParams {
    #[serde(deserialize_with = "instance")]
    pub instance: String,
    #[serde(deserialize_with = "order")]
    pub order: String,
    /// A non-negative decimal, as a number or a string.
    #[serde(deserialize_with = "amount")]
    #[schema(value_type = String)]
    pub amount: Decimal,
}

fn non_empty<'de, D: Deserializer<'de>>(d: D, k: &str) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) if !s.is_empty() => Ok(s),
        _ => Err(D::Error::custom(format!("{k} must be a non-empty string"))),
    }
}
fn instance<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    non_empty(d, "instance")
}
fn order<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    non_empty(d, "order")
}
fn amount<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    match Value::deserialize(d)? {
        a @ (Value::Number(_) | Value::String(_)) => {
            trellis_model::Money::from_json(&a).map(|m| m.value).ok()
        }
        _ => None,
    }
    .filter(|a: &Decimal| !a.is_sign_negative())
    .ok_or_else(|| D::Error::custom("amount must be a non-negative decimal"))
}

impl Params for RedeemParams {
    fn missing(field: &str) -> ApiError {
        let message = match field {
            "amount" => "amount must be a non-negative decimal".to_owned(),
            f => format!("{f} must be a non-empty string"),
        };
        ApiError::new(Code::BadRequest, message).at(Self::field_path(field))
    }
}

/// `POST /v1/clock/tick`: move the clock on to `until`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TickParams {
    /// RFC 3339, kept as written.
    #[serde(deserialize_with = "until")]
    #[schema(format = DateTime)]
    pub until: String,
}

fn until<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => de::time(&s).map(|_| s).map_err(D::Error::custom),
        _ => Err(D::Error::custom("until must be an RFC 3339 time")),
    }
}

impl Params for TickParams {
    fn missing(field: &str) -> ApiError {
        ApiError::new(Code::BadRequest, "until must be an RFC 3339 time")
            .at(Self::field_path(field))
    }
}

/// `POST /v1/decide`: a placement request (docs/decide.md).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DecideParams {
    /// The caller's id of the request (1 to 200 characters): the same id answers the same.
    #[serde(deserialize_with = "request_id")]
    pub request_id: String,
    #[serde(deserialize_with = "decide_user")]
    pub user_id: String,
    /// The placement (resource slot) asked about: an id as `trigger.placement` names it.
    #[serde(deserialize_with = "placement")]
    pub placement: String,
    /// The page's facts, read by conditions as `event.<prop>`; default `{}`.
    #[serde(default, deserialize_with = "context")]
    #[schema(value_type = Object)]
    pub context: Map<String, Value>,
}

fn request_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) if !s.is_empty() && s.chars().count() <= 200 => Ok(s),
        _ => Err(D::Error::custom(
            "request_id must be a string of 1 to 200 characters",
        )),
    }
}
fn decide_user<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    non_empty(d, "user_id")
}
fn placement<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) if trellis_model::is_slug(&s) => Ok(s),
        _ => Err(D::Error::custom(
            "placement must be an id: 1 to 64 of a-z, 0-9, _ and -",
        )),
    }
}
fn context<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    match Value::deserialize(d)? {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(D::Error::custom("context must be an object")),
    }
}

impl Params for DecideParams {
    fn missing(field: &str) -> ApiError {
        let message = match field {
            "request_id" => "request_id must be a string of 1 to 200 characters".to_owned(),
            "placement" => "placement must be an id: 1 to 64 of a-z, 0-9, _ and -".to_owned(),
            f => format!("{f} must be a non-empty string"),
        };
        ApiError::new(Code::BadRequest, message).at(Self::field_path(field))
    }
}

/// `POST /v1/decide?timeout_ms=`: how long the caller waits for the answer (0..10,000, default
/// 200). Errors name the parameter bare (`timeout_ms`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecideQuery {
    #[serde(default, deserialize_with = "timeout_ms")]
    #[param(minimum = 0, maximum = 10_000)]
    pub timeout_ms: Option<i64>,
}

fn timeout_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    de::int_or_text(d, 0, 10_000, true, || {
        "timeout_ms must be an integer from 0 to 10000".into()
    })
}

impl Params for DecideQuery {
    fn field_path(field: &str) -> String {
        field.to_owned()
    }
}

// ---- queries

/// `GET /v1/decisions`: one page of the decision log. Errors name the parameter bare (`limit`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionsQuery {
    #[serde(default, deserialize_with = "de::text")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "de::text")]
    pub journey: Option<String>,
    /// RFC 3339: records at or after.
    #[serde(default, deserialize_with = "since")]
    pub since: Option<String>,
    /// `true`: the shadow deployments' records.
    #[serde(default, deserialize_with = "shadow")]
    pub shadow: bool,
    /// 1..10,000 (default 100).
    #[serde(default, deserialize_with = "limit")]
    #[param(minimum = 1, maximum = 10_000)]
    pub limit: Option<i64>,
    /// The `next` of the page before (exclusive).
    #[serde(default, deserialize_with = "after")]
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// 32 lowercase hex digits (a W3C trace-id).
    #[serde(default, deserialize_with = "trace_id")]
    pub trace_id: Option<String>,
}

fn since<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match de::text(d)? {
        Some(s) => de::time(&s).map(|_| Some(s)).map_err(D::Error::custom),
        None => Ok(None),
    }
}
fn shadow<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(de::text(d)?.as_deref() == Some("true"))
}
fn limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    de::int_or_text(d, 1, 10_000, true, || "limit must be 1..10000".into())
}
fn after<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    de::int_or_text(d, 0, i64::MAX, true, || {
        "after must be a decision seq (a non-negative integer): the `next` of the page before"
            .into()
    })
}
fn trace_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match de::text(d)? {
        Some(t) if !crate::trace::is_trace_id(&t) => Err(D::Error::custom(
            "trace_id must be 32 lowercase hex digits (a W3C trace-id)",
        )),
        t => Ok(t),
    }
}

impl Params for DecisionsQuery {
    fn field_path(field: &str) -> String {
        field.to_owned()
    }
}

/// `GET /v1/decisions/stream`: the live decision log as Server-Sent Events, after `after`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionStreamQuery {
    /// Records after this seq (exclusive; default 0: from the first). A `Last-Event-ID` header
    /// (what an `EventSource` sends when it reconnects) wins over it.
    #[serde(default, deserialize_with = "after")]
    #[param(minimum = 0)]
    pub after: Option<i64>,
}

impl Params for DecisionStreamQuery {
    fn field_path(field: &str) -> String {
        field.to_owned()
    }
}

impl DecisionStreamQuery {
    /// The seq the stream starts after: the `Last-Event-ID` header's when there is one (an
    /// event's id is its seq), else `after`, else 0.
    pub fn start(&self, last_event_id: Option<&[u8]>) -> Result<i64, ApiError> {
        match last_event_id {
            None => Ok(self.after.unwrap_or(0)),
            Some(v) => std::str::from_utf8(v)
                .ok()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    ApiError::new(
                        Code::BadRequest,
                        "Last-Event-ID must be a decision seq (a non-negative integer): the id of the last event received",
                    )
                    .at("Last-Event-ID")
                }),
        }
    }
}

/// `GET /v1/sample`: how many of the newest events and latest profiles (each 0..100,000,
/// default 10,000).
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SampleQuery {
    #[serde(default, deserialize_with = "events")]
    #[param(minimum = 0, maximum = 100_000)]
    pub events: Option<i64>,
    #[serde(default, deserialize_with = "profiles")]
    #[param(minimum = 0, maximum = 100_000)]
    pub profiles: Option<i64>,
}

fn events<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    de::int_or_text(d, 0, 100_000, false, || {
        "events must be an integer from 0 to 100000".into()
    })
}
fn profiles<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    de::int_or_text(d, 0, 100_000, false, || {
        "profiles must be an integer from 0 to 100000".into()
    })
}

impl Params for SampleQuery {}

/// `GET /v1/segments/{id}`: how many member ids to sample (0..1,000, default 20).
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SegmentQuery {
    #[serde(default, deserialize_with = "sample_size")]
    #[param(minimum = 0, maximum = 1_000)]
    pub sample: Option<i64>,
}

fn sample_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    de::int_or_text(d, 0, 1_000, false, || {
        "sample must be an integer from 0 to 1000".into()
    })
}

impl Params for SegmentQuery {
    fn field_path(field: &str) -> String {
        field.to_owned()
    }
}

/// Schemas of the parameters that are JSON of a free shape (utoipa's derive cannot see through
/// `serde(from)`/`serde(try_from)`).
mod schemas {
    use super::{Events, ProfileParams, SubmitParams};
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
    use utoipa::openapi::RefOr;

    fn object(description: &str) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(description))
    }

    impl utoipa::PartialSchema for SubmitParams {
        fn schema() -> RefOr<Schema> {
            object("The workspace document (shared/spec/journey.md), or { workspace, summary } with the summary of its simulation").into()
        }
    }
    impl utoipa::ToSchema for SubmitParams {}

    impl utoipa::PartialSchema for Events {
        fn schema() -> RefOr<Schema> {
            let event =
                || object("An event (runtime.md): user_id, type, ts (RFC 3339), event_id, props");
            OneOfBuilder::new()
                .item(event())
                .item(
                    ArrayBuilder::new()
                        .items(event())
                        .max_items(Some(crate::MAX_BATCH)),
                )
                .into()
        }
    }
    impl utoipa::ToSchema for Events {}

    impl utoipa::PartialSchema for ProfileParams {
        fn schema() -> RefOr<Schema> {
            object(
                "A profile (runtime.md): attrs, contact, consent (objects), user_id as in the path",
            )
            .into()
        }
    }
    impl utoipa::ToSchema for ProfileParams {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refusal<P: Params + std::fmt::Debug>(v: Value) -> (Code, String, String) {
        let e = from_value::<P>(v).expect_err("refused");
        (e.code, e.message, e.path)
    }

    fn bad(message: &str, path: &str) -> (Code, String, String) {
        (Code::BadRequest, message.to_owned(), path.to_owned())
    }

    #[test]
    fn a_field_that_does_not_read_is_refused_as_the_operation_words_it() {
        let rollout = "rollout_percent must be an integer from 1 to 100";
        for v in [
            json!({"rollout_percent": 0}),
            json!({"rollout_percent": "50"}),
            json!({"rollout_percent": null}),
        ] {
            assert_eq!(refusal::<DeployParams>(v), bad(rollout, "/rollout_percent"));
        }
        assert_eq!(
            refusal::<DeployParams>(json!({"mode": "dark"})),
            bad("mode must be \"live\" or \"shadow\"", "/mode")
        );
        for (v, m, path) in [
            (
                json!({"reason": "r"}),
                "scope must be \"entries\" or \"all\"",
                "/scope",
            ),
            (
                json!({"scope": "some", "reason": "r"}),
                "scope must be \"entries\" or \"all\"",
                "/scope",
            ),
            (
                json!({"scope": "all"}),
                "reason must be a non-empty string",
                "/reason",
            ),
            (
                json!({"scope": "all", "reason": " "}),
                "reason must be a non-empty string",
                "/reason",
            ),
            (
                json!({"scope": "all", "reason": 3}),
                "reason must be a non-empty string",
                "/reason",
            ),
        ] {
            assert_eq!(refusal::<PauseParams>(v), bad(m, path));
        }
        let p = from_value::<PauseParams>(json!({"scope": "all", "reason": "incident"})).unwrap();
        assert_eq!(
            (p.scope, p.reason.as_str()),
            (trellis_engine::PauseScope::All, "incident")
        );
        assert_eq!(
            refusal::<CloseParams>(json!({})),
            bad("reason must be a non-empty string", "/reason")
        );
        assert_eq!(
            refusal::<ResumeParams>(json!({"reason": false})),
            bad("reason must be a string", "/reason")
        );
        let p = from_value::<DeployParams>(json!({})).unwrap();
        assert_eq!(
            (p.rollout_percent, p.mode),
            (100, crate::wire::DeployMode::Live)
        );
        assert_eq!(
            refusal::<TickParams>(json!({})),
            bad("until must be an RFC 3339 time", "/until")
        );
        let (_, m, path) = refusal::<TickParams>(json!({"until": "noon"}));
        assert!(m.starts_with("\"noon\" is not an RFC 3339 time"), "{m}");
        assert_eq!(path, "/until");
        assert_eq!(
            refusal::<RedeemParams>(json!({"instance": "i", "order": "o", "amount": "-1"})),
            bad("amount must be a non-negative decimal", "/amount")
        );
        assert_eq!(
            refusal::<RedeemParams>(json!({"order": "o", "amount": 1})),
            bad("instance must be a non-empty string", "/instance")
        );
        assert_eq!(
            refusal::<ReviewParams>(json!({"comment": 3})),
            bad("comment must be a string", "/comment")
        );
        assert_eq!(
            refusal::<SimulateParams>(json!({"users": 0})),
            bad("users must be an integer from 1 to 200000", "/users")
        );
        assert_eq!(
            refusal::<Events>(json!(5)),
            bad("send one event object or an array of events", "")
        );
        assert_eq!(
            refusal::<ProfileParams>(json!([])),
            bad("a profile must be a JSON object", "")
        );
    }

    #[test]
    fn query_parameters_keep_their_paths() {
        // The decision log names its parameters bare; the sample route as pointers.
        assert_eq!(
            refusal::<DecisionsQuery>(json!({"limit": "0"})),
            bad("limit must be 1..10000", "limit")
        );
        assert_eq!(refusal::<DecisionsQuery>(json!({"after": "-1"})).2, "after");
        assert_eq!(refusal::<DecisionsQuery>(json!({"since": "x"})).2, "since");
        assert_eq!(
            refusal::<DecisionsQuery>(json!({"trace_id": "NOT-HEX"})).2,
            "trace_id"
        );
        let q = from_value::<DecisionsQuery>(json!({"limit": "", "shadow": "true", "after": 7}))
            .unwrap();
        assert_eq!((q.limit, q.shadow, q.after), (None, true, Some(7)));
        assert_eq!(
            refusal::<SampleQuery>(json!({"events": ""})),
            bad("events must be an integer from 0 to 100000", "/events")
        );
        assert_eq!(
            from_value::<SampleQuery>(json!({"profiles": 5}))
                .unwrap()
                .profiles,
            Some(5)
        );
    }

    #[test]
    fn a_body_that_is_not_json_names_where_it_stops() {
        let e = from_slice::<DeployParams>(b"{\"mode\": ").expect_err("refused");
        assert_eq!(e.code, Code::BadRequest);
        assert!(
            e.message.starts_with("the body is not JSON"),
            "{}",
            e.message
        );
        assert!(e.path.starts_with("line 1, column"), "{}", e.path);
    }

    #[test]
    fn a_submitted_workspace_may_come_with_its_summary() {
        let ws = json!({"schema": "trellis/workspace@1", "journeys": []});
        let p = from_value::<SubmitParams>(ws.clone()).unwrap();
        assert_eq!((p.workspace, p.summary), (ws.clone(), None));
        let p =
            from_value::<SubmitParams>(json!({"workspace": ws, "summary": {"users": 3}})).unwrap();
        assert_eq!((p.workspace, p.summary), (ws, Some(json!({"users": 3}))));
    }
}
