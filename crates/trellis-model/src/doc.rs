//! The workspace document (`journey.md`) as typed data. Every object keeps the fields this
//! version does not know in `extra`, so a save never eats what a newer version wrote.

use crate::condition::Condition;
use crate::cron::Cron;
use crate::scalar::{Duration, Money, Percent, Timestamp};
use chrono_tz::Tz;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const WORKSPACE_SCHEMA: &str = "trellis/workspace@1";
pub const JOURNEY_SCHEMA: &str = "trellis/journey@1";

pub type Extra = Map<String, Value>;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Workspace {
    pub offers: Vec<Offer>,
    pub policy: Option<Policy>,
    /// Windowed aggregates over each user's events, read by conditions as `agg.<id>`
    /// (`docs/aggregates.md`).
    pub aggregates: Vec<Aggregate>,
    /// Named conditions over the profile and aggregates, read as `segment.<id>` and by
    /// `trigger.segment` (`docs/segments.md`).
    pub segments: Vec<Segment>,
    /// Uplift models that `gate.uplift` nodes read (`docs/uplift.md` "In a workspace").
    pub models: Vec<ModelDef>,
    pub journeys: Vec<Journey>,
    pub extra: Extra,
    /// The document was a single journey (`trellis/journey@1`); a save writes it back so.
    pub single_journey: bool,
}

impl Workspace {
    pub fn policy(&self) -> &Policy {
        static DEFAULT: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
        self.policy
            .as_ref()
            .unwrap_or_else(|| DEFAULT.get_or_init(Policy::default))
    }
    pub fn offer(&self, id: &str) -> Option<&Offer> {
        self.offers.iter().find(|o| o.id == id)
    }
    pub fn journey(&self, id: &str) -> Option<&Journey> {
        self.journeys.iter().find(|j| j.id == id)
    }
    pub fn aggregate(&self, id: &str) -> Option<&Aggregate> {
        self.aggregates.iter().find(|a| a.id == id)
    }
    pub fn model(&self, id: &str) -> Option<&ModelDef> {
        self.models.iter().find(|m| m.id == id)
    }
    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|a| a.id == id)
    }
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl Serialize for Workspace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.single_journey && self.journeys.len() == 1 {
            return self.journeys[0].serialize(s);
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("schema", WORKSPACE_SCHEMA)?;
        m.serialize_entry("offers", &self.offers)?;
        if let Some(p) = &self.policy {
            m.serialize_entry("policy", p)?;
        }
        if !self.aggregates.is_empty() {
            m.serialize_entry("aggregates", &self.aggregates)?;
        }
        if !self.segments.is_empty() {
            m.serialize_entry("segments", &self.segments)?;
        }
        if !self.models.is_empty() {
            m.serialize_entry("models", &self.models)?;
        }
        m.serialize_entry("journeys", &self.journeys)?;
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// What an aggregate computes over the matching events of its window (`docs/aggregates.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AggFn {
    Count,
    Sum,
    Min,
    Max,
    Avg,
    First,
    Last,
    Distinct,
}

impl AggFn {
    pub const ALL: [AggFn; 8] = [
        AggFn::Count,
        AggFn::Sum,
        AggFn::Min,
        AggFn::Max,
        AggFn::Avg,
        AggFn::First,
        AggFn::Last,
        AggFn::Distinct,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AggFn::Count => "count",
            AggFn::Sum => "sum",
            AggFn::Min => "min",
            AggFn::Max => "max",
            AggFn::Avg => "avg",
            AggFn::First => "first",
            AggFn::Last => "last",
            AggFn::Distinct => "distinct",
        }
    }
    pub fn parse(s: &str) -> Option<AggFn> {
        AggFn::ALL.into_iter().find(|f| f.as_str() == s)
    }
    /// Whether its values are numbers read from the field (`sum`, `min`, `max`, `avg`).
    pub fn numeric(self) -> bool {
        matches!(self, AggFn::Sum | AggFn::Min | AggFn::Max | AggFn::Avg)
    }
}

/// The field an aggregate reads from each matching event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AggField {
    /// The event's time (`"ts"`, also written `"event.ts"`).
    Ts,
    /// `event.<prop>[.<more>]`: the path inside the event's props, split on dots.
    Prop(Vec<String>),
}

impl AggField {
    /// Reads `"ts"`, `"event.ts"` or `"event.<prop>…"`.
    pub fn parse(s: &str) -> Result<AggField, String> {
        if s == "ts" || s == "event.ts" {
            return Ok(AggField::Ts);
        }
        let bad = || {
            format!("{s:?} is not an aggregate field: use \"ts\" or \"event.<prop>\" (e.g. \"event.amount\")")
        };
        let rest = s.strip_prefix("event.").ok_or_else(bad)?;
        let segs: Vec<String> = rest.split('.').map(str::to_owned).collect();
        if segs.iter().any(String::is_empty) {
            return Err(bad());
        }
        if segs.len() == 1 && segs[0] == "type" {
            return Err("event.type is the aggregate's own event: aggregate a prop or ts".into());
        }
        Ok(AggField::Prop(segs))
    }
    pub fn text(&self) -> String {
        match self {
            AggField::Ts => "ts".into(),
            AggField::Prop(p) => format!("event.{}", p.join(".")),
        }
    }
}

/// One entry of the workspace's `aggregates`: a value per user over their events of one type
/// (`docs/aggregates.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub id: String,
    pub event: String,
    /// A condition on `event.*` an event must meet to count.
    pub where_: Option<Condition>,
    pub func: AggFn,
    pub field: Option<AggField>,
    /// None: the user's whole history.
    pub window: Option<Duration>,
    /// The field as written (`"event.ts"` stays so).
    pub field_text: Option<String>,
    pub extra: Extra,
}

impl Serialize for Aggregate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("event", &self.event)?;
        if let Some(w) = &self.where_ {
            m.serialize_entry("where", w)?;
        }
        m.serialize_entry("fn", self.func.as_str())?;
        if let Some(f) = &self.field_text {
            m.serialize_entry("field", f)?;
        }
        if let Some(w) = &self.window {
            m.serialize_entry("window", w)?;
        }
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One entry of the workspace's `segments`: a named condition over a user's profile and
/// aggregates (`docs/segments.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub id: String,
    pub name: String,
    /// On `user.*`, `agg.<id>` and `segment.<id>` only.
    pub when: Condition,
    pub extra: Extra,
}

impl Serialize for Segment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("when", &self.when)?;
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One entry of the workspace's `models`: a trained uplift model (`trellis uplift train`'s
/// artifact, carried in the document so a release holds the model it was approved with) and
/// where each of its features is read from.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDef {
    pub id: String,
    pub name: Option<String>,
    pub artifact: trellis_uplift::UpliftModel,
    /// The artifact as the document wrote it: written back as it was, so a round trip keeps
    /// its bytes' numbers (`1` stays `1`, not `1.0`).
    pub artifact_json: Value,
    /// Feature name → the fact it reads (`user.<attr>`, `agg.<id>` or `segment.<id>`, which
    /// reads 1 for a member and 0 for not); a feature not listed reads `user.<feature name>`.
    pub features: BTreeMap<String, String>,
    pub extra: Extra,
}

impl ModelDef {
    /// The fact each of the model's features reads, in the model's order.
    pub fn feature_fields(&self) -> Vec<(String, String)> {
        self.artifact
            .features
            .iter()
            .map(|f| {
                let field = self
                    .features
                    .get(&f.name)
                    .cloned()
                    .unwrap_or_else(|| format!("user.{}", f.name));
                (f.name.clone(), field)
            })
            .collect()
    }
}

impl Serialize for ModelDef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        if let Some(n) = &self.name {
            m.serialize_entry("name", n)?;
        }
        if !self.features.is_empty() {
            m.serialize_entry("features", &self.features)?;
        }
        m.serialize_entry("artifact", &self.artifact_json)?;
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Which change of membership a `trigger.segment` fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentOn {
    Enter,
    Exit,
}

impl SegmentOn {
    pub fn as_str(self) -> &'static str {
        match self {
            SegmentOn::Enter => "enter",
            SegmentOn::Exit => "exit",
        }
    }
    pub fn parse(s: &str) -> Option<SegmentOn> {
        match s {
            "enter" => Some(SegmentOn::Enter),
            "exit" => Some(SegmentOn::Exit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OfferKind {
    Coupon,
    Points,
    Cash,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offer {
    pub id: String,
    pub kind: OfferKind,
    pub face_value: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_spend: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_user_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_for: Option<Duration>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Offer {
    pub fn per_user_limit(&self) -> u32 {
        self.per_user_limit.unwrap_or(1)
    }
    pub fn valid_for_secs(&self) -> u64 {
        self.valid_for.as_ref().map_or(7 * 86_400, |d| d.seconds)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Push,
    Sms,
    Email,
    Inbox,
    Webhook,
    /// A WeChat official account (服务号) template message, to `contact.wechat_openid`.
    Wechat,
    /// A WeChat mini-program (小程序) subscribe message (订阅消息), to `contact.mp_openid`, only
    /// with the user's subscription: `consent.miniprogram: true`.
    Miniprogram,
}

impl Channel {
    /// Every channel, in the order of their reachability bits (the engine keeps a user's as one
    /// `u8`: new channels go at the end, so a snapshot's bits keep their meaning).
    pub const ALL: [Channel; 7] = [
        Channel::Push,
        Channel::Sms,
        Channel::Email,
        Channel::Inbox,
        Channel::Webhook,
        Channel::Wechat,
        Channel::Miniprogram,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Push => "push",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Inbox => "inbox",
            Channel::Webhook => "webhook",
            Channel::Wechat => "wechat",
            Channel::Miniprogram => "miniprogram",
        }
    }
    /// The channels' names for an error message: `push, sms, …, wechat or miniprogram`.
    pub fn names() -> String {
        let n: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        match n.split_last() {
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

fn ser_tz<S: Serializer>(tz: &Option<Tz>, s: S) -> Result<S::Ok, S::Error> {
    match tz {
        Some(t) => s.serialize_str(t.name()),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Policy {
    #[serde(serialize_with = "ser_tz", skip_serializing_if = "Option::is_none")]
    pub tz: Option<Tz>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freq_caps: Option<Vec<FreqCap>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion: Option<Conversion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
    /// The workspace's global control group: users whose `"global-holdout"` bucket falls under
    /// it enter no journey (`journey.held_out`, `holdout: "global"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_holdout_percent: Option<Percent>,
    /// How outcomes are measured against control groups (`docs/measurement.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measurement: Option<Measurement>,
    /// Which event revokes a user's consent (`docs/operations.md` "Unsubscribe").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsubscribe: Option<Unsubscribe>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `policy.unsubscribe`: an event of type `event` sets the user's consent to false for the
/// channel its prop `channel_field` names (every channel that takes consent when the policy has
/// no `channel_field` or the event lacks the prop).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unsubscribe {
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_field: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Policy {
    pub fn tz(&self) -> Tz {
        self.tz.unwrap_or(Tz::UTC)
    }
    pub fn freq_caps(&self) -> &[FreqCap] {
        self.freq_caps.as_deref().unwrap_or(&[])
    }
    pub fn conversion_event(&self) -> &str {
        self.conversion
            .as_ref()
            .and_then(|c| c.event.as_deref())
            .unwrap_or("order_paid")
    }
    pub fn revenue_field(&self) -> &str {
        self.conversion
            .as_ref()
            .and_then(|c| c.revenue_field.as_deref())
            .unwrap_or("amount")
    }
    pub fn attribution_window_secs(&self) -> u64 {
        self.attribution
            .as_ref()
            .and_then(|a| a.window.as_ref())
            .map_or(7 * 86_400, |d| d.seconds)
    }
    /// The analysis window of outcome measurement: `measurement.window`, else the attribution
    /// window.
    pub fn analysis_window_secs(&self) -> u64 {
        self.measurement
            .as_ref()
            .and_then(|m| m.window.as_ref())
            .map_or_else(|| self.attribution_window_secs(), |d| d.seconds)
    }
    /// The analysis window as written (`"7d"`), for reports.
    pub fn analysis_window_text(&self) -> String {
        match self.measurement.as_ref().and_then(|m| m.window.as_ref()) {
            Some(d) => d.text.clone(),
            None => self
                .attribution
                .as_ref()
                .and_then(|a| a.window.as_ref())
                .map_or_else(|| "7d".to_owned(), |d| d.text.clone()),
        }
    }
    /// The relative minimum detectable effect (default 0.1).
    pub fn measurement_mde(&self) -> f64 {
        self.measurement.as_ref().and_then(|m| m.mde).unwrap_or(0.1)
    }
    /// The significance level of measurement tests (default 0.05).
    pub fn measurement_alpha(&self) -> f64 {
        self.measurement
            .as_ref()
            .and_then(|m| m.alpha)
            .unwrap_or(0.05)
    }
    /// The power measurement plans aim for (default 0.8).
    pub fn measurement_power(&self) -> f64 {
        self.measurement
            .as_ref()
            .and_then(|m| m.power)
            .unwrap_or(0.8)
    }
    pub fn attribution_model(&self) -> AttributionModel {
        self.attribution
            .as_ref()
            .and_then(|a| a.model)
            .unwrap_or(AttributionModel::LastTouch)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FreqCap {
    /// `None` is `"*"`: every channel together.
    #[serde(serialize_with = "ser_cap_channel")]
    pub channel: Option<Channel>,
    pub max: u32,
    pub window: Duration,
    #[serde(flatten)]
    pub extra: Extra,
}

fn ser_cap_channel<S: Serializer>(c: &Option<Channel>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.map_or("*", Channel::as_str))
}

/// A local wall-clock time `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    pub minute_of_day: u16,
}

impl LocalTime {
    pub fn parse(s: &str) -> Result<LocalTime, String> {
        let bad = || format!("{s:?} is not a time of day; write \"HH:MM\" (e.g. \"22:00\")");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u16 = h.parse().map_err(|_| bad())?;
        let m: u16 = m.parse().map_err(|_| bad())?;
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok(LocalTime {
            minute_of_day: h * 60 + m,
        })
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!(
            "{:02}:{:02}",
            self.minute_of_day / 60,
            self.minute_of_day % 60
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuietMode {
    Defer,
    Suppress,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuietHours {
    pub start: LocalTime,
    pub end: LocalTime,
    pub mode: QuietMode,
    #[serde(serialize_with = "ser_tz", skip_serializing_if = "Option::is_none")]
    pub tz: Option<Tz>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversion {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue_field: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributionModel {
    LastTouch,
    FirstTouch,
}

/// `policy.measurement` (`docs/measurement.md`): the analysis window and the test settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    /// Relative minimum detectable effect, finite, not 0, above −1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mde: Option<f64>,
    /// In (0, 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// In (0, 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power: Option<f64>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<AttributionModel>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Journey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<Campaign>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutex_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<Entry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<Exit>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Journey {
    pub fn priority(&self) -> i64 {
        self.priority.unwrap_or(0)
    }
    pub fn version(&self) -> u64 {
        self.version.unwrap_or(1)
    }
    pub fn re_entry(&self) -> ReEntry {
        self.entry
            .as_ref()
            .and_then(|e| e.re_entry.clone())
            .unwrap_or(ReEntry::AfterExit)
    }
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Campaign {
    pub id: String,
    pub budget: Budget,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hourly_quota: Option<Money>,
    /// Spreads the budget over the campaign's window (docs/operations.md, "Pacing").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pacing: Option<Pacing>,
    /// Trips when the money committed in a rolling window would pass a limit
    /// (docs/operations.md, "Breakers").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker: Option<Breaker>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `trigger.placement`'s `fallback`: `{ "template": "…", "content": any JSON }`, the content a
/// page shows when its request times out (answered as `content`, with reason `timeout`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlacementFallback {
    pub template: String,
    pub content: Option<Value>,
}

/// `pacing`: `{ "mode": "even", "period": "day" | "hour" }`. By the start of period k of the N
/// periods of the campaign window (counted from `starts_at`), at most k/N of the budget is
/// committed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pacing {
    pub mode: PacingMode,
    pub period: PacingPeriod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PacingMode {
    Even,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PacingPeriod {
    Day,
    Hour,
}

impl PacingPeriod {
    pub fn seconds(self) -> i64 {
        match self {
            PacingPeriod::Day => 86_400,
            PacingPeriod::Hour => 3_600,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PacingPeriod::Day => "day",
            PacingPeriod::Hour => "hour",
        }
    }
}

/// `breaker`: `{ "max_committed": amount, "within": duration }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breaker {
    pub max_committed: Money,
    pub within: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Budget {
    pub total: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReEntry {
    Never,
    AfterExit,
    Cooldown(Duration),
}

impl Serialize for ReEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ReEntry::Never => s.serialize_str("never"),
            ReEntry::AfterExit => s.serialize_str("after_exit"),
            ReEntry::Cooldown(d) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("cooldown", d)?;
                m.end()
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub re_entry: Option<ReEntry>,
    /// The journey's control group: users whose `"holdout:<journey id>"` bucket falls under it
    /// do not enter (`journey.held_out`, `holdout: "journey"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holdout_percent: Option<Percent>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    pub event: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exit {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<Goal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<Duration>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub from: String,
    pub port: String,
    pub to: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    pub label: Option<String>,
    /// Canvas position, kept as written (`{ "x": 0, "y": 0 }`).
    pub position: Option<Value>,
    /// Params this version does not know.
    pub params_extra: Extra,
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub port: String,
    pub when: Condition,
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub port: String,
    pub percent: Percent,
    pub extra: Extra,
}

/// Every node type of `journey.md`'s table, with typed params.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    TriggerEvent {
        event: String,
        where_: Option<Condition>,
    },
    TriggerSchedule {
        cron: Cron,
        audience: Condition,
    },
    TriggerPattern {
        event: String,
        count: u32,
        within: Duration,
        where_: Option<Condition>,
        unless: Option<String>,
    },
    /// Fires when the user enters (or exits) a segment (`docs/segments.md`).
    TriggerSegment {
        segment: String,
        on: SegmentOn,
    },
    /// Fires when a page asks what to show at a resource slot: `POST /v1/decide` with this
    /// `placement` (`docs/decide.md`); `where` reads the request's `context` as `event.*`.
    TriggerPlacement {
        placement: String,
        where_: Option<Condition>,
        /// What the placement answers when a request's deadline passes before the engine's
        /// answer (`docs/decide.md`, "Deadlines"); without it a timeout answers `none`.
        fallback: Option<PlacementFallback>,
    },
    Condition {
        when: Condition,
    },
    /// Passes users whose predicted uplift (the model's) is at least `threshold`
    /// (`docs/uplift.md` "gate.uplift").
    GateUplift {
        model: String,
        threshold: f64,
    },
    Switch {
        cases: Vec<Case>,
    },
    SplitRandom {
        branches: Vec<Branch>,
        salt: Option<String>,
    },
    SplitExperiment {
        experiment: String,
        variants: Vec<Branch>,
        holdout_percent: Option<Percent>,
    },
    WaitDelay {
        duration: Duration,
    },
    WaitEvent {
        event: String,
        where_: Option<Condition>,
        timeout: Duration,
    },
    ActionOffer {
        offer: String,
    },
    ActionTouch {
        channels: Vec<Channel>,
        template: String,
        content: Option<Value>,
    },
    ActionPoints {
        amount: i64,
        reason: Option<String>,
    },
    ActionUpdate {
        set: Map<String, Value>,
    },
    Exit,
    /// A type this version does not know (a newer version's node): kept as written.
    Unknown {
        type_name: String,
        params: Value,
    },
    /// A known type whose params did not read; only ever next to `E_BAD_PARAM` diagnostics.
    Invalid {
        type_name: String,
        params: Value,
    },
}

pub const NODE_TYPES: [&str; 17] = [
    "trigger.event",
    "trigger.schedule",
    "trigger.pattern",
    "trigger.segment",
    "trigger.placement",
    "condition",
    "gate.uplift",
    "switch",
    "split.random",
    "split.experiment",
    "wait.delay",
    "wait.event",
    "action.offer",
    "action.touch",
    "action.points",
    "action.update",
    "exit",
];

impl NodeKind {
    /// The conditions inside the params, each with its pointer suffix from the node
    /// (`/params/when`, `/params/cases/0/when`, ...).
    pub fn conditions(&self) -> Vec<(&Condition, String)> {
        match self {
            NodeKind::TriggerEvent {
                where_: Some(c), ..
            }
            | NodeKind::TriggerPattern {
                where_: Some(c), ..
            }
            | NodeKind::TriggerPlacement {
                where_: Some(c), ..
            }
            | NodeKind::WaitEvent {
                where_: Some(c), ..
            } => {
                vec![(c, "/params/where".into())]
            }
            NodeKind::TriggerSchedule { audience, .. } => {
                vec![(audience, "/params/audience".into())]
            }
            NodeKind::Condition { when } => vec![(when, "/params/when".into())],
            NodeKind::Switch { cases } => cases
                .iter()
                .enumerate()
                .map(|(i, c)| (&c.when, format!("/params/cases/{i}/when")))
                .collect(),
            _ => vec![],
        }
    }

    pub fn type_name(&self) -> &str {
        match self {
            NodeKind::TriggerEvent { .. } => "trigger.event",
            NodeKind::TriggerSchedule { .. } => "trigger.schedule",
            NodeKind::TriggerPattern { .. } => "trigger.pattern",
            NodeKind::TriggerSegment { .. } => "trigger.segment",
            NodeKind::TriggerPlacement { .. } => "trigger.placement",
            NodeKind::Condition { .. } => "condition",
            NodeKind::GateUplift { .. } => "gate.uplift",
            NodeKind::Switch { .. } => "switch",
            NodeKind::SplitRandom { .. } => "split.random",
            NodeKind::SplitExperiment { .. } => "split.experiment",
            NodeKind::WaitDelay { .. } => "wait.delay",
            NodeKind::WaitEvent { .. } => "wait.event",
            NodeKind::ActionOffer { .. } => "action.offer",
            NodeKind::ActionTouch { .. } => "action.touch",
            NodeKind::ActionPoints { .. } => "action.points",
            NodeKind::ActionUpdate { .. } => "action.update",
            NodeKind::Exit => "exit",
            NodeKind::Unknown { type_name, .. } | NodeKind::Invalid { type_name, .. } => type_name,
        }
    }

    pub fn is_trigger(&self) -> bool {
        match self {
            NodeKind::Unknown { .. } => false,
            k => k.type_name().starts_with("trigger."),
        }
    }

    pub fn is_wait(&self) -> bool {
        match self {
            NodeKind::Unknown { .. } => false,
            k => k.type_name().starts_with("wait."),
        }
    }

    /// The output ports, in table order; `None` when they cannot be known (unknown type or
    /// params that did not read).
    pub fn ports(&self) -> Option<Vec<&str>> {
        Some(match self {
            NodeKind::TriggerEvent { .. }
            | NodeKind::TriggerSchedule { .. }
            | NodeKind::TriggerPattern { .. }
            | NodeKind::TriggerSegment { .. }
            | NodeKind::TriggerPlacement { .. }
            | NodeKind::WaitDelay { .. }
            | NodeKind::ActionPoints { .. }
            | NodeKind::ActionUpdate { .. } => vec!["out"],
            NodeKind::Condition { .. } => vec!["yes", "no"],
            NodeKind::GateUplift { .. } => vec!["pass", "fail"],
            NodeKind::Switch { cases } => cases
                .iter()
                .map(|c| c.port.as_str())
                .chain(["else"])
                .collect(),
            NodeKind::SplitRandom { branches, .. } => {
                branches.iter().map(|b| b.port.as_str()).collect()
            }
            NodeKind::SplitExperiment { variants, .. } => variants
                .iter()
                .map(|b| b.port.as_str())
                .chain(["holdout"])
                .collect(),
            NodeKind::WaitEvent { .. } => vec!["event", "timeout"],
            NodeKind::ActionOffer { .. } => vec!["issued", "rejected"],
            NodeKind::ActionTouch { .. } => vec!["sent", "suppressed"],
            NodeKind::Exit => vec![],
            NodeKind::Unknown { .. } | NodeKind::Invalid { .. } => return None,
        })
    }

    /// The params object as the document writes it (without unknown params).
    pub fn params(&self) -> Value {
        fn cond(c: &Option<Condition>, m: &mut Map<String, Value>, key: &str) {
            if let Some(c) = c {
                m.insert(key.into(), c.to_value());
            }
        }
        fn branches(bs: &[Branch]) -> Value {
            Value::Array(
                bs.iter()
                    .map(|b| {
                        let mut m = Map::new();
                        m.insert("port".into(), b.port.clone().into());
                        m.insert(
                            "percent".into(),
                            serde_json::to_value(b.percent).unwrap_or_default(),
                        );
                        m.extend(b.extra.clone());
                        Value::Object(m)
                    })
                    .collect(),
            )
        }
        let mut m = Map::new();
        let s = |v: &str| Value::String(v.to_owned());
        match self {
            NodeKind::TriggerEvent { event, where_ } => {
                m.insert("event".into(), s(event));
                cond(where_, &mut m, "where");
            }
            NodeKind::TriggerSchedule { cron, audience } => {
                m.insert("cron".into(), s(&cron.text));
                m.insert("audience".into(), audience.to_value());
            }
            NodeKind::TriggerPattern {
                event,
                count,
                within,
                where_,
                unless,
            } => {
                m.insert("event".into(), s(event));
                m.insert("count".into(), (*count).into());
                m.insert("within".into(), s(&within.text));
                cond(where_, &mut m, "where");
                if let Some(u) = unless {
                    m.insert("unless".into(), s(u));
                }
            }
            NodeKind::TriggerSegment { segment, on } => {
                m.insert("segment".into(), s(segment));
                m.insert("on".into(), s(on.as_str()));
            }
            NodeKind::TriggerPlacement {
                placement,
                where_,
                fallback,
            } => {
                m.insert("placement".into(), s(placement));
                cond(where_, &mut m, "where");
                if let Some(f) = fallback {
                    let mut fm = Map::new();
                    fm.insert("template".into(), s(&f.template));
                    if let Some(c) = &f.content {
                        fm.insert("content".into(), c.clone());
                    }
                    m.insert("fallback".into(), Value::Object(fm));
                }
            }
            NodeKind::Condition { when } => {
                m.insert("when".into(), when.to_value());
            }
            NodeKind::GateUplift { model, threshold } => {
                m.insert("model".into(), s(model));
                m.insert(
                    "threshold".into(),
                    serde_json::Number::from_f64(*threshold).map_or(Value::Null, Value::Number),
                );
            }
            NodeKind::Switch { cases } => {
                let cs = cases
                    .iter()
                    .map(|c| {
                        let mut cm = Map::new();
                        cm.insert("port".into(), s(&c.port));
                        cm.insert("when".into(), c.when.to_value());
                        cm.extend(c.extra.clone());
                        Value::Object(cm)
                    })
                    .collect();
                m.insert("cases".into(), Value::Array(cs));
            }
            NodeKind::SplitRandom { branches: bs, salt } => {
                m.insert("branches".into(), branches(bs));
                if let Some(salt) = salt {
                    m.insert("salt".into(), s(salt));
                }
            }
            NodeKind::SplitExperiment {
                experiment,
                variants,
                holdout_percent,
            } => {
                m.insert("experiment".into(), s(experiment));
                m.insert("variants".into(), branches(variants));
                if let Some(h) = holdout_percent {
                    m.insert(
                        "holdout_percent".into(),
                        serde_json::to_value(h).unwrap_or_default(),
                    );
                }
            }
            NodeKind::WaitDelay { duration } => {
                m.insert("duration".into(), s(&duration.text));
            }
            NodeKind::WaitEvent {
                event,
                where_,
                timeout,
            } => {
                m.insert("event".into(), s(event));
                cond(where_, &mut m, "where");
                m.insert("timeout".into(), s(&timeout.text));
            }
            NodeKind::ActionOffer { offer } => {
                m.insert("offer".into(), s(offer));
            }
            NodeKind::ActionTouch {
                channels,
                template,
                content,
            } => {
                m.insert(
                    "channels".into(),
                    Value::Array(channels.iter().map(|c| s(c.as_str())).collect()),
                );
                m.insert("template".into(), s(template));
                if let Some(c) = content {
                    m.insert("content".into(), c.clone());
                }
            }
            NodeKind::ActionPoints { amount, reason } => {
                m.insert("amount".into(), (*amount).into());
                if let Some(r) = reason {
                    m.insert("reason".into(), s(r));
                }
            }
            NodeKind::ActionUpdate { set } => {
                m.insert("set".into(), Value::Object(set.clone()));
            }
            NodeKind::Exit => {}
            NodeKind::Unknown { params, .. } | NodeKind::Invalid { params, .. } => {
                return params.clone()
            }
        }
        Value::Object(m)
    }
}

impl Node {
    pub fn ports(&self) -> Option<Vec<&str>> {
        self.kind.ports()
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("type", self.kind.type_name())?;
        let mut params = self.kind.params();
        if let Value::Object(p) = &mut params {
            for (k, v) in &self.params_extra {
                p.insert(k.clone(), v.clone());
            }
        }
        m.serialize_entry("params", &params)?;
        if let Some(l) = &self.label {
            m.serialize_entry("label", l)?;
        }
        if let Some(p) = &self.position {
            m.serialize_entry("position", p)?;
        }
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}
