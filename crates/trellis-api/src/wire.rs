//! The JSON shapes at the boundary: what the operations answer (and the desktop shell's own
//! commands answer), as serde types. The UI's TypeScript for them, `ui/src/generated/*.ts`, is
//! generated from these with ts-rs and checked in; `tests/ts_bindings.rs` fails when it drifts
//! (`TRELLIS_WRITE_TS=1 cargo test -p trellis-api --test ts_bindings` rewrites it).
//!
//! The workspace document, diagnostics, the report and decision records stay hand-written in
//! `ui/src/model/types.ts` (they keep unknown fields); fields holding them name those types
//! through the markers in [`ui`].

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// Stand-ins for types the UI declares by hand in `ui/src/model/types.ts`: a field
/// `#[ts(as = "ui::Workspace")]` becomes `Workspace`, imported from there.
pub mod ui {
    use std::path::PathBuf;
    use ts_rs::{Config, TS};

    macro_rules! hand_written {
        ($($name:ident),*) => {$(
            #[doc = concat!("`", stringify!($name), "` of `ui/src/model/types.ts`.")]
            pub struct $name;
            impl TS for $name {
                type WithoutGenerics = Self;
                type OptionInnerType = Self;
                fn name(_: &Config) -> String {
                    stringify!($name).to_owned()
                }
                fn inline(cfg: &Config) -> String {
                    Self::name(cfg)
                }
                fn output_path() -> Option<PathBuf> {
                    Some(PathBuf::from("model/types.ts"))
                }
            }
        )*};
    }
    hand_written!(Workspace, Diagnostic, Report, DecisionRecord);
}

/// The inside of every error answer, `{ "error": ApiErrorBody }` (a refused workspace adds
/// `diagnostics` beside `error`). The desktop shell's import adds the code `E_IMPORT`, with
/// `file`, `line` and `field`.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ApiErrorBody {
    pub code: crate::Code,
    pub message: String,
    /// A JSON pointer (or parameter name) saying where the input is wrong; empty: nowhere.
    pub path: String,
}

/// What a release is: `pending_review`, `approved` or `rejected` as stored, and for an approved
/// release what became of it once deployed live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "generated/")]
pub enum ReleaseStatus {
    PendingReview,
    Approved,
    Rejected,
    Deployed,
    Superseded,
    RolledBack,
}

impl ReleaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::PendingReview => "pending_review",
            ReleaseStatus::Approved => "approved",
            ReleaseStatus::Rejected => "rejected",
            ReleaseStatus::Deployed => "deployed",
            ReleaseStatus::Superseded => "superseded",
            ReleaseStatus::RolledBack => "rolled_back",
        }
    }

    pub fn parse(s: &str) -> Option<ReleaseStatus> {
        [
            ReleaseStatus::PendingReview,
            ReleaseStatus::Approved,
            ReleaseStatus::Rejected,
            ReleaseStatus::Deployed,
            ReleaseStatus::Superseded,
            ReleaseStatus::RolledBack,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "generated/")]
pub enum DeployMode {
    #[default]
    Live,
    Shadow,
}

impl DeployMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DeployMode::Live => "live",
            DeployMode::Shadow => "shadow",
        }
    }

    pub fn parse(s: &str) -> Option<DeployMode> {
        match s {
            "live" => Some(DeployMode::Live),
            "shadow" => Some(DeployMode::Shadow),
            _ => None,
        }
    }
}

/// A release in a list (`GET /v1/releases`).
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ReleaseSummary {
    pub release: String,
    pub version: i64,
    pub status: ReleaseStatus,
    pub author: String,
    /// RFC 3339.
    pub created_at: String,
    pub journeys: Vec<String>,
}

/// An approval or a rejection of a release.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct Review {
    pub reviewer: String,
    /// `approve` or `reject`.
    pub decision: String,
    pub comment: String,
    pub at: String,
}

/// One deployment row of a release: a deploy (or a rollout change) or a rollback.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct Deployment {
    pub journey: String,
    pub version: i64,
    pub rollout_percent: i64,
    pub mode: DeployMode,
    /// `deploy` or `rollback`.
    pub action: String,
    pub by: String,
    pub at: String,
}

/// One release in full (`GET /v1/releases/{id}`).
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ReleaseDetail {
    #[serde(flatten)]
    pub head: ReleaseSummary,
    /// The workspace as submitted.
    #[ts(as = "ui::Workspace")]
    #[schema(value_type = Object)]
    pub workspace: serde_json::Value,
    #[ts(as = "Vec<ui::Diagnostic>")]
    #[schema(value_type = Vec<Object>)]
    pub diagnostics: serde_json::Value,
    /// The simulation summary submitted with it, if any.
    #[ts(type = "unknown")]
    pub summary: Option<serde_json::Value>,
    pub reviews: Vec<Review>,
    pub deployments: Vec<Deployment>,
    pub note: String,
}

/// The answer of a submitted release (`POST /v1/releases`).
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct SubmitResult {
    pub release: String,
    pub version: i64,
    pub status: ReleaseStatus,
    #[ts(as = "Vec<ui::Diagnostic>")]
    #[schema(value_type = Vec<Object>)]
    pub diagnostics: Vec<trellis_model::Diagnostic>,
}

/// A journey deployed at least once (`GET /v1/journeys`).
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct LiveJourney {
    pub id: String,
    pub version: i64,
    /// The release of the live version (none when only rollbacks are left of it).
    pub release: Option<String>,
    pub rollout_percent: i64,
    pub mode: DeployMode,
    pub deployed_at: String,
    /// The version a rollback would return to, if any.
    pub previous_version: Option<i64>,
    /// `deploy`, `rollback` or `guardrail_rollback` (the engine's own, docs/operations.md).
    pub last_action: String,
}

/// The answer of a sandbox simulation: the report and the first decision records.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct SimulateResult {
    #[ts(as = "ui::Report")]
    #[schema(value_type = Object)]
    pub report: trellis_engine::Report,
    #[ts(as = "Vec<ui::DecisionRecord>")]
    #[schema(value_type = Vec<Object>)]
    pub log: Vec<serde_json::Value>,
}

/// Progress of a sandbox simulation: `phase` is `generate` (making the sample users and their
/// activity: `done` of `total` users), `write` (writing the generated events: `done` of
/// `total`), `read` (reading the data, `total` 0) or `simulate` (`done` of `total` events
/// replayed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "generated/")]
pub struct SimProgress {
    pub done: u64,
    pub total: u64,
    #[ts(type = "\"generate\" | \"write\" | \"read\" | \"simulate\"")]
    pub phase: &'static str,
}

/// The answer of `POST /v1/validate`: every problem at once.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ValidateResult {
    #[ts(as = "Vec<ui::Diagnostic>")]
    #[schema(value_type = Vec<Object>)]
    pub diagnostics: Vec<trellis_model::Diagnostic>,
}

/// `GET /v1/releases`: newest first.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ReleaseList {
    pub releases: Vec<ReleaseSummary>,
}

/// The answer of an approval or a rejection: the release's new status (`approved` or
/// `rejected`).
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ReviewResult {
    pub release: String,
    pub status: ReleaseStatus,
}

/// The answer of a deploy, once the engine has applied it.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct DeployResult {
    pub release: String,
    pub version: i64,
    pub rollout_percent: u8,
    pub mode: DeployMode,
}

/// The answer of a rollback: the version now live.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct RollbackResult {
    pub journey: String,
    pub version: Option<i64>,
}

/// A pause, resume or close as the engine keeps it (docs/operations.md): what, on which
/// journey (pause, resume) or campaign (close), who (the caller's token name), when (the
/// engine's clock) and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ControlEntry {
    /// `pause`, `resume`, `close`, `degrade`, `breaker_trip`, `breaker_reset` or
    /// `guardrail_rollback`.
    pub action: String,
    /// The journey id, the campaign id, or `""` (a degrade engine-wide).
    pub target: String,
    /// A pause's scope: `entries` or `all`.
    pub scope: Option<String>,
    pub reason: String,
    /// Who: the caller, or `engine` for what the engine did by itself.
    pub actor: String,
    pub at: String,
    /// A close: the budget released (neither reserved nor spent then), exact.
    pub released: Option<String>,
    /// A degrade: offers `on` or `off` now.
    pub offers: Option<String>,
    /// A degrade: touches `on` or `off` now.
    pub touches: Option<String>,
    /// A degrade: touches throttled to this many a minute.
    pub per_minute: Option<u32>,
    /// A guardrail rollback (or a breaker trip: `committed`): the metric that tripped.
    pub metric: Option<String>,
    /// Its value then, exact.
    pub value: Option<String>,
    /// The limit it passed, exact.
    pub max: Option<String>,
    /// A guardrail rollback: the version's entries then.
    pub entries: Option<u64>,
    /// A guardrail rollback: the version rolled back.
    pub version: Option<u64>,
}

impl From<&trellis_engine::ControlRecord> for ControlEntry {
    fn from(r: &trellis_engine::ControlRecord) -> ControlEntry {
        ControlEntry {
            action: r.action.clone(),
            target: r.target.clone(),
            scope: r.scope.map(|s| s.as_str().to_owned()),
            reason: r.reason.clone(),
            actor: r.actor.clone(),
            at: r.at.clone(),
            released: r.released.clone(),
            offers: r.offers.map(|o| o.as_str().to_owned()),
            touches: r.touches.map(|t| t.word().to_owned()),
            per_minute: r.touches.and_then(|t| t.per_minute()),
            metric: r.metric.clone(),
            value: r.value.clone(),
            max: r.max.clone(),
            entries: r.entries,
            version: r.version,
        }
    }
}

/// The degrade switch in force, engine-wide (`campaign` null) or for a campaign.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct DegradeEntry {
    pub campaign: Option<String>,
    /// `on` or `off`.
    pub offers: String,
    /// `on` or `off`.
    pub touches: String,
    /// Touches throttled to this many a minute.
    pub per_minute: Option<u32>,
    pub reason: String,
    pub actor: String,
    pub at: String,
}

/// A campaign's pacing now.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct PacingState {
    /// `even`.
    pub mode: String,
    /// `day` or `hour`.
    pub period: String,
    /// N, the periods of the campaign window.
    pub periods: u32,
    /// k, the current period (1-based; 0 before the window).
    pub period_index: u32,
    /// The money that may be committed by now: total·k/N, exact (to the cent).
    pub allowed: String,
    /// The money committed as last noted in each period reached.
    pub burn: Vec<BurnPoint>,
}

#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct BurnPoint {
    pub period: u32,
    pub committed: String,
}

/// A campaign's breaker now.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct BreakerState {
    pub max_committed: String,
    /// The rolling window, as written (`1h`).
    pub within: String,
    pub committed_in_window: String,
    pub tripped: bool,
    pub tripped_at: Option<String>,
}

/// A campaign's money, pacing and breaker, for the Monitor.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct CampaignControl {
    pub campaign: String,
    pub total: String,
    pub committed: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub pacing: Option<PacingState>,
    pub breaker: Option<BreakerState>,
}

impl From<&trellis_engine::CampaignNow> for CampaignControl {
    fn from(c: &trellis_engine::CampaignNow) -> CampaignControl {
        let money = |d: rust_decimal::Decimal| d.normalize().to_string();
        CampaignControl {
            campaign: c.campaign.clone(),
            total: money(c.total),
            committed: money(c.committed),
            start: c.start.map(trellis_engine::ts_string),
            end: c.end.map(trellis_engine::ts_string),
            pacing: c.pacing.as_ref().map(|p| PacingState {
                mode: "even".into(),
                period: p.period.as_str().into(),
                periods: p.periods,
                period_index: p.index,
                allowed: money(p.allowed),
                burn: p
                    .burn
                    .iter()
                    .map(|(k, v)| BurnPoint {
                        period: *k,
                        committed: money(*v),
                    })
                    .collect(),
            }),
            breaker: c.breaker.as_ref().map(|b| BreakerState {
                max_committed: money(b.max_committed),
                within: b.within.clone(),
                committed_in_window: money(b.committed_in_window),
                tripped: b.tripped_at.is_some(),
                tripped_at: b.tripped_at.clone(),
            }),
        }
    }
}

/// An alert (docs/operations.md, "Alerts": what each means and what to do).
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct Alert {
    /// `rule:target`.
    pub id: String,
    /// `budget_burn_ahead`, `redemption_rate_falling`, `unsubscribe_rate_rising`,
    /// `touch_failures_rising`, `rejections_spiking`, `ledger_unreconciled`, `breaker_tripped`
    /// or `guardrail_rolled_back`.
    pub rule: String,
    /// `warning` or `critical`.
    pub severity: String,
    /// A campaign or journey id, or `""` for the engine.
    pub target: String,
    /// The figure that fired it, exact.
    pub value: String,
    /// The line it passed, exact.
    pub threshold: String,
    /// When it began firing (the engine's clock).
    pub since: String,
    /// False once it stopped firing (kept a while, newest first after the active ones).
    pub active: bool,
}

/// `GET /v1/alerts`.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct AlertList {
    pub alerts: Vec<Alert>,
}

/// `GET /v1/control`: the pauses and closes in force, and every one applied, oldest first.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ControlState {
    /// Paused journeys, by id.
    pub paused: Vec<ControlEntry>,
    /// Closed campaigns, by id.
    pub closed: Vec<ControlEntry>,
    pub history: Vec<ControlEntry>,
    /// The degrade switch in force (engine-wide first).
    pub degrade: Vec<DegradeEntry>,
    /// Every campaign's money, pacing and breaker.
    pub campaigns: Vec<CampaignControl>,
}

/// `GET /v1/journeys`.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct JourneyList {
    pub journeys: Vec<LiveJourney>,
}

/// The answer of `POST /v1/events`: events stored, events already stored (same `event_id`),
/// and the trace they belong to.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct IngestResult {
    pub accepted: u64,
    pub duplicates: u64,
    pub trace_id: String,
}

/// The answer of `PUT /v1/profiles/{user_id}`.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ProfileResult {
    pub user_id: String,
    pub accepted: bool,
    pub trace_id: String,
}

/// The answer of a redemption; `duplicate`: this instance and order were redeemed before.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct RedeemResult {
    pub instance: String,
    pub order: String,
    pub redeemed: bool,
    pub duplicate: Option<bool>,
}

/// The answer of a clock tick: the time the clock moved on to, as written.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct TickResult {
    pub until: String,
}

/// A message sent to a user (newest first).
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct Message {
    pub channel: String,
    pub template: String,
    #[ts(type = "unknown")]
    pub payload: serde_json::Value,
    pub status: String,
    pub at: String,
}

/// `GET /v1/users/{user_id}`: the engine's view of the user (`user_id`, `journeys`, `offers`,
/// `points`, … as the engine writes it; only `user_id` when the engine holds no state of theirs)
/// with the inbox and the recent touches.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct UserAnswer {
    #[serde(flatten)]
    #[ts(skip)]
    #[schema(value_type = Object)]
    pub view: serde_json::Map<String, serde_json::Value>,
    pub inbox: Vec<Message>,
    pub recent_touches: Vec<Message>,
}

/// `GET /v1/decisions`: one page of decision records and the cursor of the next (`null` on
/// the last page).
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct DecisionPage {
    #[ts(as = "Vec<ui::DecisionRecord>")]
    #[schema(value_type = Vec<Object>)]
    pub decisions: Vec<serde_json::Value>,
    pub next: Option<i64>,
}

/// One live decision record with its seq, as the decision feed reads it (`feed.rs`): the
/// publisher sends `record` as the message body (routing key `kind`), the stream as an event's
/// data (id `seq`, event `kind`). Not an answer of its own, so not in the TypeScript bindings.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    pub seq: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub trace_id: Option<String>,
    /// Exactly the record `GET /v1/decisions` answers.
    pub record: serde_json::Value,
}

/// A version of a journey live now, and its share of new entrants.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct VersionShare {
    pub version: u64,
    pub rollout_percent: u32,
}

/// The shadow version's figures beside the live ones.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ShadowStats {
    #[ts(type = "unknown")]
    pub journey: serde_json::Value,
    #[ts(type = "unknown")]
    pub offers: serde_json::Value,
    #[ts(type = "unknown")]
    pub touches: serde_json::Value,
}

/// `GET /v1/stats/journeys/{id}`: the simulator's report from live data, its `journeys` cut to
/// this journey, with the versions live and, while one runs, the shadow version's figures.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct JourneyStats {
    #[serde(flatten)]
    #[ts(skip)]
    #[schema(value_type = Object)]
    pub report: serde_json::Map<String, serde_json::Value>,
    pub versions: Vec<VersionShare>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub shadow: Option<ShadowStats>,
}

/// `GET /v1/experiments/{id}`: the experiment's measurement (`docs/measurement.md`): `window`,
/// `control`, `arms`, `srm`, `vs_control`, `daily`, beside its id.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct ExperimentReport {
    pub experiment: String,
    #[serde(flatten)]
    #[ts(skip)]
    #[schema(value_type = Object)]
    pub measured: serde_json::Map<String, serde_json::Value>,
}

/// One segment and how many users are in it now (`docs/segments.md`).
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct SegmentSize {
    pub id: String,
    pub name: String,
    #[ts(type = "number")]
    pub size: u64,
}

/// `GET /v1/segments`: every segment of the live engine, in the workspaces' order.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct SegmentList {
    pub segments: Vec<SegmentSize>,
}

/// Users in both of two segments.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct SegmentOverlap {
    pub segment: String,
    pub name: String,
    #[ts(type = "number")]
    pub both: u64,
}

/// `GET /v1/segments/{id}`: the segment's size, up to `?sample=` member ids (the first in the
/// engine's user order: profiles, then users first seen in events) and its overlap with every
/// other segment; counted on bitmaps of user numbers, not by a scan.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct SegmentDetail {
    pub id: String,
    pub name: String,
    #[ts(type = "number")]
    pub size: u64,
    pub sample: Vec<String>,
    pub overlaps: Vec<SegmentOverlap>,
}

/// `GET /v1/sample`: recent live data in the formats of `runtime.md`.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct Sample {
    #[ts(type = "Array<Record<string, unknown>>")]
    #[schema(value_type = Vec<Object>)]
    pub profiles: Vec<serde_json::Value>,
    #[ts(type = "Array<Record<string, unknown>>")]
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<serde_json::Value>,
}

/// One campaign of the ledger: amounts as decimal text.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct CampaignBalance {
    pub campaign: String,
    pub budget: String,
    pub available: String,
    pub reserved: String,
    pub spent: String,
    /// `budget = available + reserved + spent`, each account non-negative.
    pub balances: bool,
}

/// An offer's stock left, over its shards.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct StockLeft {
    pub offer: String,
    pub left: i64,
    pub shards: i64,
}

/// Timer rows waiting, and how many of them are due.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct TimerCounts {
    pub waiting: i64,
    pub due: i64,
}

/// `GET /v1/ledger/reconcile`: the reconciliation query, and the engine's own figures beside it.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct Reconciliation {
    pub balanced: bool,
    pub ledger_sum: i64,
    pub campaigns: Vec<CampaignBalance>,
    /// The engine's campaigns (`null` when this process does not run it yet).
    #[ts(type = "unknown")]
    pub engine: serde_json::Value,
    pub held_balances_match: bool,
    pub stock: Vec<StockLeft>,
    pub timers: TimerCounts,
}

/// `GET /v1/me`: the caller's token's user and role (any role may ask), so a client of a remote
/// engine can say who it acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct Me {
    /// The name the token was created with (`trellis token create --name`).
    pub name: String,
    pub role: crate::Role,
}

/// `GET /healthz`.
#[derive(Debug, Clone, Serialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct Health {
    pub ok: bool,
    /// Whether this process runs the engine.
    pub leader: bool,
    pub holder: String,
}

// ---- the desktop shell's own commands (src-tauri)

/// Which engine the desktop app talks to (`engine_info`, `set_engine`).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "generated/")]
pub struct EngineInfo {
    pub mode: EngineMode,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "generated/")]
pub enum EngineMode {
    Bundled,
    Remote,
}

/// What a data file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "generated/")]
pub enum DataKind {
    Profiles,
    Events,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "generated/")]
pub enum FileFormat {
    Csv,
    Jsonl,
}

/// The first rows of a file (`preview_import`), for the import form's column mapping.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "generated/")]
pub struct ImportPreview {
    pub path: String,
    pub format: FileFormat,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// A guess at what the file holds.
    pub kind: DataKind,
}

/// One file of the imported dataset.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export_to = "generated/")]
pub struct DatasetFile {
    pub name: String,
    pub kind: DataKind,
    pub records: u64,
}

/// The imported dataset (`dataset_info`, and the answer of an import or a pull).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export_to = "generated/")]
pub struct DatasetInfo {
    /// `files`, or the engine a sample was pulled from.
    pub source: String,
    pub profiles: u64,
    pub events: u64,
    pub files: Vec<DatasetFile>,
    /// RFC 3339; absent for a dataset described by an older build.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub imported_at: Option<String>,
}

impl Default for DatasetInfo {
    fn default() -> Self {
        DatasetInfo {
            source: "files".to_owned(),
            profiles: 0,
            events: 0,
            files: Vec::new(),
            imported_at: None,
        }
    }
}

/// Progress of an import: `done` of `total` bytes (0: not known yet), `rows` records so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "generated/")]
pub struct ImportProgress {
    pub done: u64,
    pub total: u64,
    pub rows: u64,
}

/// A draft kept in the desktop app's local.db (`list_drafts`).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "generated/")]
pub struct DraftSummary {
    pub name: String,
    pub updated_at: String,
    pub versions: i64,
    pub latest: i64,
}

/// One version in a draft's history (`draft_history`), newest first.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "generated/")]
pub struct DraftVersion {
    pub version: i64,
    pub saved_at: String,
    pub size: i64,
    pub journeys: i64,
    pub nodes: i64,
}

/// A draft's text at one version (`load_draft`); `saved_text` is the text last exported.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "generated/")]
pub struct DraftText {
    pub name: String,
    pub version: i64,
    pub saved_at: String,
    pub text: String,
    pub saved_text: Option<String>,
}

/// What a placement request answers (`POST /v1/decide`, docs/decide.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "generated/")]
pub enum DecideKind {
    Offer,
    Content,
    None,
}

/// The offer instance of an answer: issued for this request, or `reused` (the user already
/// held it, unexpired and unredeemed; nothing was issued).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct DecideOffer {
    /// The offer's id.
    pub id: String,
    pub instance: String,
    /// Face value, a decimal string.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    #[schema(value_type = String)]
    pub amount: rust_decimal::Decimal,
    /// RFC 3339; null for cash and points.
    pub expires_at: Option<String>,
    pub reused: bool,
}

/// The answer of `POST /v1/decide`: the same for the same `request_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export_to = "generated/")]
pub struct DecideAnswer {
    pub decision: DecideKind,
    pub offer: Option<DecideOffer>,
    /// The touch's `{ "channel", "template", "content" }` when the answer is content.
    #[ts(type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub content: Option<serde_json::Value>,
    /// The journey, version and node that answered (or refused first).
    pub journey: Option<String>,
    pub version: Option<u64>,
    pub node: Option<String>,
    /// Why the answer is `none` (`timeout`, `no_journey`, `no_action`, `held_out`,
    /// `deferred`, or a reason of `journey.skipped`, `offer.rejected`, `touch.suppressed`).
    pub reason: Option<String>,
    /// The trace of the request that was answered (the first one, for a repeated request_id).
    pub trace_id: String,
}
