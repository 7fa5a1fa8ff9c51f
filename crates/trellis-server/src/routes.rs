//! The route table: every route's handler, each annotated with its OpenAPI operation (method,
//! path, parameters, request and response schemas, role). [`table`] registers them with
//! utoipa-axum, which builds the router and the OpenAPI document from the same list, so the
//! document cannot name a route the router does not have, nor miss one.
//!
//! A handler only reads its request (typed extractors: [`Caller`] for the bearer token and the
//! role, [`Json`]/[`Query`] for parameters) and calls one typed `Service` operation.

use crate::extract::{
    ok, Admin, Answer, Approver, Caller, Decide, HttpError, Ingest, Json, JsonOrEmpty, Operator,
    Query, RawBody, Reply,
};
use crate::openapi::ErrorResponse;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use trellis_api::params::{
    CloseParams, DecideParams, DecideQuery, DecisionStreamQuery, DecisionsQuery, DegradeParams,
    DeployParams, Events, PauseParams, ProfileParams, RedeemParams, ReleasesQuery, ResetParams,
    ResumeParams, ReviewParams, SampleQuery, SegmentQuery, SimulateParams, SubmitParams,
    TickParams,
};
use trellis_api::{wire, ApiError, Code, Service};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type S = State<Arc<Service>>;

/// Every route, in one list: the router and the OpenAPI document are both built from it.
pub fn table() -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .routes(routes!(submit, list_releases))
        .routes(routes!(get_release))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(deploy))
        .routes(routes!(journeys))
        .routes(routes!(rollback))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(close_campaign))
        .routes(routes!(control, degrade))
        .routes(routes!(reset_breaker))
        .routes(routes!(alerts))
        .routes(routes!(events))
        .routes(routes!(profile))
        .routes(routes!(redeem))
        .routes(routes!(decide))
        .routes(routes!(user))
        .routes(routes!(decisions))
        .routes(routes!(decision_stream))
        .routes(routes!(stats))
        .routes(routes!(experiment))
        .routes(routes!(segments))
        .routes(routes!(segment))
        .routes(routes!(validate))
        .routes(routes!(simulate))
        .routes(routes!(tick))
        .routes(routes!(reconcile))
        .routes(routes!(sample))
        .routes(routes!(me))
        .routes(routes!(healthz))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
}

/// Submit a workspace as a release (422 with diagnostics when it has errors)
#[utoipa::path(post, path = "/v1/releases", request_body = SubmitParams,
    responses((status = 201, description = "success", body = wire::SubmitResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("operator"))))]
async fn submit(
    State(s): S,
    Caller(p, ..): Caller<Operator>,
    Json(b): Json<SubmitParams>,
) -> Reply<wire::SubmitResult> {
    Ok(Answer(StatusCode::CREATED, s.submit_release(&p, b).await?))
}

/// List releases, newest first (?status=pending_review)
#[utoipa::path(get, path = "/v1/releases", params(ReleasesQuery),
    responses((status = 200, description = "success", body = wire::ReleaseList), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn list_releases(
    State(s): S,
    _: Caller,
    Query(q): Query<ReleasesQuery>,
) -> Reply<wire::ReleaseList> {
    ok(s.releases(q).await?)
}

/// A release, its workspace, reviews and deployments
#[utoipa::path(get, path = "/v1/releases/{id}", params(("id" = String, Path)),
    responses((status = 200, description = "success", body = wire::ReleaseDetail), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn get_release(State(s): S, _: Caller, Path(id): Path<String>) -> Reply<wire::ReleaseDetail> {
    ok(s.release(&id).await?)
}

/// Approve a release (never its author)
#[utoipa::path(post, path = "/v1/releases/{id}/approve", params(("id" = String, Path)),
    request_body = ReviewParams,
    responses((status = 200, description = "success", body = wire::ReviewResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("approver"))))]
async fn approve(
    State(s): S,
    Caller(p, ..): Caller<Approver>,
    Path(id): Path<String>,
    JsonOrEmpty(b): JsonOrEmpty<ReviewParams>,
) -> Reply<wire::ReviewResult> {
    ok(s.review(&p, &id, true, b).await?)
}

/// Reject a release
#[utoipa::path(post, path = "/v1/releases/{id}/reject", params(("id" = String, Path)),
    request_body = ReviewParams,
    responses((status = 200, description = "success", body = wire::ReviewResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("approver"))))]
async fn reject(
    State(s): S,
    Caller(p, ..): Caller<Approver>,
    Path(id): Path<String>,
    JsonOrEmpty(b): JsonOrEmpty<ReviewParams>,
) -> Reply<wire::ReviewResult> {
    ok(s.review(&p, &id, false, b).await?)
}

/// Deploy an approved release: rollout_percent 1..100, mode live|shadow
#[utoipa::path(post, path = "/v1/releases/{id}/deploy",
    params(("id" = String, Path), crate::openapi::Traceparent),
    request_body = DeployParams,
    responses((status = 200, description = "success", body = wire::DeployResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("approver"))))]
async fn deploy(
    State(s): S,
    Caller(p, ..): Caller<Approver>,
    Path(id): Path<String>,
    Json(b): Json<DeployParams>,
) -> Reply<wire::DeployResult> {
    ok(s.deploy(&p, &id, b).await?)
}

/// Each journey's live version, rollout and mode
#[utoipa::path(get, path = "/v1/journeys",
    responses((status = 200, description = "success", body = wire::JourneyList), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn journeys(State(s): S, _: Caller) -> Reply<wire::JourneyList> {
    ok(s.journeys().await?)
}

/// Back to the previously deployed version
#[utoipa::path(post, path = "/v1/journeys/{id}/rollback",
    params(("id" = String, Path), crate::openapi::Traceparent),
    responses((status = 200, description = "success", body = wire::RollbackResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("approver"))))]
async fn rollback(
    State(s): S,
    Caller(p, ..): Caller<Approver>,
    Path(id): Path<String>,
) -> Reply<wire::RollbackResult> {
    ok(s.rollback(&p, &id).await?)
}

/// Pause a journey: scope entries (new entries skipped) or all (also offers and touches refused); reason kept with who and when (docs/operations.md)
#[utoipa::path(post, path = "/v1/journeys/{id}/pause",
    params(("id" = String, Path), crate::openapi::Traceparent),
    request_body = PauseParams,
    responses((status = 200, description = "success", body = wire::ControlEntry), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("approver"))))]
async fn pause(
    State(s): S,
    Caller(p, ..): Caller<Approver>,
    Path(id): Path<String>,
    Json(b): Json<PauseParams>,
) -> Reply<wire::ControlEntry> {
    ok(s.pause(&p, &id, b).await?)
}

/// Lift a journey's pause (409 when it is not paused)
#[utoipa::path(post, path = "/v1/journeys/{id}/resume",
    params(("id" = String, Path), crate::openapi::Traceparent),
    request_body = ResumeParams,
    responses((status = 200, description = "success", body = wire::ControlEntry), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("approver"))))]
async fn resume(
    State(s): S,
    Caller(p, ..): Caller<Approver>,
    Path(id): Path<String>,
    JsonOrEmpty(b): JsonOrEmpty<ResumeParams>,
) -> Reply<wire::ControlEntry> {
    ok(s.resume(&p, &id, b).await?)
}

/// Close a campaign for good: nothing issued or entered again (campaign_inactive), its unissued budget released in the ledger
#[utoipa::path(post, path = "/v1/campaigns/{id}/close",
    params(("id" = String, Path), crate::openapi::Traceparent),
    request_body = CloseParams,
    responses((status = 200, description = "success", body = wire::ControlEntry), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("approver"))))]
async fn close_campaign(
    State(s): S,
    Caller(p, ..): Caller<Approver>,
    Path(id): Path<String>,
    Json(b): Json<CloseParams>,
) -> Reply<wire::ControlEntry> {
    ok(s.close_campaign(&p, &id, b).await?)
}

/// The degrade switch, engine-wide or for a campaign: offers on/off (refused: degraded), touches on/off (suppressed: throttled) or {per_minute: N} (the rest deferred to the next minute with room)
#[utoipa::path(post, path = "/v1/control", params(crate::openapi::Traceparent),
    request_body = DegradeParams,
    responses((status = 200, description = "success", body = wire::ControlEntry), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("approver"))))]
async fn degrade(
    State(s): S,
    Caller(p, ..): Caller<Approver>,
    Json(b): Json<DegradeParams>,
) -> Reply<wire::ControlEntry> {
    ok(s.degrade(&p, b).await?)
}

/// Reset a campaign's tripped breaker: it issues again, its rolling window starts empty (409 when not tripped)
#[utoipa::path(post, path = "/v1/campaigns/{id}/breaker/reset",
    params(("id" = String, Path), crate::openapi::Traceparent),
    request_body = ResetParams,
    responses((status = 200, description = "success", body = wire::ControlEntry), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("approver"))))]
async fn reset_breaker(
    State(s): S,
    Caller(p, ..): Caller<Approver>,
    Path(id): Path<String>,
    Json(b): Json<ResetParams>,
) -> Reply<wire::ControlEntry> {
    ok(s.reset_breaker(&p, &id, b).await?)
}

/// Alerts firing (critical first) and those that stopped, with since when (docs/operations.md, Alerts)
#[utoipa::path(get, path = "/v1/alerts",
    responses((status = 200, description = "success", body = wire::AlertList), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn alerts(State(s): S, _: Caller) -> Reply<wire::AlertList> {
    ok(s.alerts().await?)
}

/// Pauses, closes, the degrade switch and every campaign's pacing and breaker in force, and every control applied (who, when, why), oldest first
#[utoipa::path(get, path = "/v1/control",
    responses((status = 200, description = "success", body = wire::ControlState), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn control(State(s): S, _: Caller) -> Reply<wire::ControlState> {
    ok(s.controls().await?)
}

/// One event or an array of up to 10,000; idempotent by event_id; all in the request's trace, answered as trace_id
#[utoipa::path(post, path = "/v1/events", params(crate::openapi::Traceparent),
    request_body = Events,
    responses((status = 202, description = "success", body = wire::IngestResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("ingest"))))]
async fn events(
    State(s): S,
    Caller(p, ..): Caller<Ingest>,
    Json(b): Json<Events>,
) -> Reply<wire::IngestResult> {
    Ok(Answer(StatusCode::ACCEPTED, s.ingest(&p, b).await?))
}

/// Create or replace a profile
#[utoipa::path(put, path = "/v1/profiles/{user_id}",
    params(("user_id" = String, Path), crate::openapi::Traceparent),
    request_body = ProfileParams,
    responses((status = 202, description = "success", body = wire::ProfileResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("ingest"))))]
async fn profile(
    State(s): S,
    Caller(p, ..): Caller<Ingest>,
    Path(id): Path<String>,
    Json(b): Json<ProfileParams>,
) -> Reply<wire::ProfileResult> {
    Ok(Answer(
        StatusCode::ACCEPTED,
        s.put_profile(&p, &id, b).await?,
    ))
}

/// Redeem an offer instance for an order; the same instance and order twice redeem once
#[utoipa::path(post, path = "/v1/offers/redeem", params(crate::openapi::Traceparent),
    request_body = RedeemParams,
    responses((status = 200, description = "success", body = wire::RedeemResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("ingest"))))]
async fn redeem(
    State(s): S,
    Caller(p, ..): Caller<Ingest>,
    Json(b): Json<RedeemParams>,
) -> Reply<wire::RedeemResult> {
    ok(s.redeem(&p, b).await?)
}

/// Answer a placement synchronously: the journeys with that placement run for the user until their first action; { decision: offer|content|none, offer, content, journey, version, node, reason, trace_id }; the same request_id answers the same; ?timeout_ms= (0..10000, default 200): the placement's fallback (its fallback content, else none; reason timeout) when no answer is ready by then, and nothing is issued for it afterwards (roles decide, ingest, admin; docs/decide.md)
#[utoipa::path(post, path = "/v1/decide", params(crate::openapi::Traceparent, DecideQuery),
    request_body = DecideParams,
    responses((status = 200, description = "success", body = wire::DecideAnswer), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("decide"))))]
async fn decide(
    State(s): S,
    Caller(p, ..): Caller<Decide>,
    Query(q): Query<DecideQuery>,
    Json(b): Json<DecideParams>,
) -> Reply<wire::DecideAnswer> {
    ok(s.decide(&p, b, q).await?)
}

/// Journeys the user is in, offer instances, recent touches, inbox, points
#[utoipa::path(get, path = "/v1/users/{user_id}", params(("user_id" = String, Path)),
    responses((status = 200, description = "success", body = wire::UserAnswer), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn user(State(s): S, _: Caller, Path(id): Path<String>) -> Reply<wire::UserAnswer> {
    ok(s.user(&id).await?)
}

/// Decision records in the order they were written, one page: { decisions, next } (?user_id=&journey=&since=&shadow=true&trace_id=&limit=1..10000, default 100; after=SEQ, exclusive: pass the page's next, null on the last page); each carries the trace_id of the input that caused it
#[utoipa::path(get, path = "/v1/decisions", params(DecisionsQuery),
    responses((status = 200, description = "success", body = wire::DecisionPage), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn decisions(
    State(s): S,
    _: Caller,
    Query(q): Query<DecisionsQuery>,
) -> Reply<wire::DecisionPage> {
    ok(s.decisions(q).await?)
}

/// The live decision log as Server-Sent Events, oldest first, then as it is written: each event is id SEQ, event KIND, data the record as GET /v1/decisions answers it (?after=SEQ, exclusive, default 0; a Last-Event-ID header wins); shadow records are not in it (docs/publishing.md)
#[utoipa::path(get, path = "/v1/decisions/stream", params(DecisionStreamQuery, crate::openapi::LastEventId),
    responses((status = 200, description = "text/event-stream: one event per live decision record, and a keep-alive comment every 15 s", content_type = "text/event-stream", body = String), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn decision_stream(
    State(s): S,
    _: Caller,
    headers: axum::http::HeaderMap,
    Query(q): Query<DecisionStreamQuery>,
) -> Result<Response, HttpError> {
    let after = q.start(headers.get("last-event-id").map(|v| v.as_bytes()))?;
    Ok(crate::stream::answer(s, after).into_response())
}

/// The simulator's report for a journey, from live data (with the shadow version's when one runs)
#[utoipa::path(get, path = "/v1/stats/journeys/{id}", params(("id" = String, Path)),
    responses((status = 200, description = "success", body = wire::JourneyStats), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse),
        (status = 503, body = ErrorResponse, description = "this process is not running the engine yet")),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn stats(State(s): S, _: Caller, Path(id): Path<String>) -> Reply<wire::JourneyStats> {
    ok(s.stats(&id).await?)
}

/// An experiment's arms against its control, from live data (docs/measurement.md)
#[utoipa::path(get, path = "/v1/experiments/{id}", params(("id" = String, Path)),
    responses((status = 200, description = "success", body = wire::ExperimentReport), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse),
        (status = 503, body = ErrorResponse, description = "this process is not running the engine yet")),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn experiment(
    State(s): S,
    _: Caller,
    Path(id): Path<String>,
) -> Reply<wire::ExperimentReport> {
    ok(s.experiment(&id).await?)
}

/// Each segment's id, name and size now, from bitmaps of the engine's users (docs/segments.md)
#[utoipa::path(get, path = "/v1/segments",
    responses((status = 200, description = "success", body = wire::SegmentList), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse),
        (status = 503, body = ErrorResponse, description = "this process is not running the engine yet")),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn segments(State(s): S, _: Caller) -> Reply<wire::SegmentList> {
    ok(s.segments().await?)
}

/// A segment's size, up to ?sample= member ids (0..1000, default 20) and its overlap with every other segment (docs/segments.md)
#[utoipa::path(get, path = "/v1/segments/{id}", params(("id" = String, Path), SegmentQuery),
    responses((status = 200, description = "success", body = wire::SegmentDetail), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse),
        (status = 503, body = ErrorResponse, description = "this process is not running the engine yet")),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn segment(
    State(s): S,
    _: Caller,
    Path(id): Path<String>,
    Query(q): Query<SegmentQuery>,
) -> Reply<wire::SegmentDetail> {
    ok(s.segment(&id, q).await?)
}

/// Validate a workspace: { diagnostics }
#[utoipa::path(post, path = "/v1/validate",
    request_body(content = Object, description = "A workspace document (shared/spec/journey.md); a body that is not JSON is a diagnostic, not an error"),
    responses((status = 200, description = "success", body = wire::ValidateResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn validate(State(s): S, _: Caller, RawBody(b): RawBody) -> Reply<wire::ValidateResult> {
    ok(s.validate(&b))
}

/// A sandbox simulation on generated sample data: { workspace, users, days, seed } -> { report, log }
#[utoipa::path(post, path = "/v1/simulate", request_body = SimulateParams,
    responses((status = 200, description = "success", body = wire::SimulateResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn simulate(
    State(s): S,
    _: Caller,
    Json(b): Json<SimulateParams>,
) -> Reply<wire::SimulateResult> {
    ok(s.simulate(b).await?)
}

/// Move the event clock on to { until } (event-clock mode)
#[utoipa::path(post, path = "/v1/clock/tick", params(crate::openapi::Traceparent),
    request_body = TickParams,
    responses((status = 200, description = "success", body = wire::TickResult), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("admin"))))]
async fn tick(
    State(s): S,
    Caller(p, ..): Caller<Admin>,
    Json(b): Json<TickParams>,
) -> Reply<wire::TickResult> {
    ok(s.tick(&p, b).await?)
}

/// The reconciliation query: budget = available + reserved + spent per campaign, from the double-entry ledger
#[utoipa::path(get, path = "/v1/ledger/reconcile",
    responses((status = 200, description = "success", body = wire::Reconciliation), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("admin"))))]
async fn reconcile(State(s): S, Caller(p, ..): Caller<Admin>) -> Reply<wire::Reconciliation> {
    ok(s.reconcile(&p).await?)
}

/// Recent live data for a sandbox run, read-only: the newest events (?events=, default 10000) oldest first, and the latest profile of up to ?profiles= users, those events' users first: { profiles, events }
#[utoipa::path(get, path = "/v1/sample", params(SampleQuery),
    responses((status = 200, description = "success", body = wire::Sample), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("admin"))))]
async fn sample(
    State(s): S,
    Caller(p, ..): Caller<Admin>,
    Query(q): Query<SampleQuery>,
) -> Reply<wire::Sample> {
    ok(s.recent_sample(&p, q).await?)
}

/// Who the caller is: their token's name and role
#[utoipa::path(get, path = "/v1/me",
    responses((status = 200, description = "success", body = wire::Me), (status = "4XX", description = "refused: bad input (400), token (401), role (403), not found (404), state (409), too large (413), workspace errors (422, with diagnostics)", body = ErrorResponse)),
    security(("bearer" = [])), extensions(("x-role" = json!("any"))))]
async fn me(State(s): S, Caller(p, ..): Caller) -> Reply<wire::Me> {
    ok(s.me(&p).await?)
}

/// Liveness and whether this process runs the engine
#[utoipa::path(get, path = "/healthz",
    responses((status = 200, description = "success", body = wire::Health), (status = 503, description = "the database does not answer", body = ErrorResponse)),
    extensions(("x-role" = json!("none"))))]
async fn healthz(State(s): S) -> Reply<wire::Health> {
    match s.health().await {
        Ok(v) => ok(v),
        Err(e) => Err(HttpError(ApiError::new(Code::Unavailable, e.message))),
    }
}

/// Prometheus metrics
#[utoipa::path(get, path = "/metrics",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain; version=0.0.4", body = String)),
    extensions(("x-role" = json!("none"))))]
async fn metrics(State(s): S) -> Response {
    (
        StatusCode::OK,
        [("content-type", "text/plain; version=0.0.4")],
        s.metrics_text().await,
    )
        .into_response()
}

/// This document
#[utoipa::path(get, path = "/openapi.json",
    responses((status = 200, description = "success", body = Object, description = "OpenAPI 3.1")),
    extensions(("x-role" = json!("none"))))]
async fn openapi() -> Response {
    match crate::openapi::DOCUMENT.as_ref() {
        Ok(text) => (
            StatusCode::OK,
            [("content-type", "application/json")],
            text.clone(),
        )
            .into_response(),
        Err(e) => HttpError(ApiError::new(Code::Internal, e.clone())).into_response(),
    }
}

/// Any other path.
pub async fn not_found() -> HttpError {
    HttpError(ApiError::new(
        Code::NotFound,
        "no such route; see /openapi.json",
    ))
}
