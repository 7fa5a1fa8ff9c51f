//! `/openapi.json`: an OpenAPI 3.1 document built by utoipa from the route table
//! ([`crate::routes::table`], the same list the router is built from), with the request and
//! response schemas of trellis-api's parameter and answer types.
//!
//! [`ROUTES`] and [`TRACED`] are the contract as a plain table (method, path, role, summary,
//! body, success status), for tests and readers; a test holds it equal to the document.

use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};

/// Routes that append inputs (their POST, PUT): the inputs carry the request's trace id (its `traceparent`
/// header's trace-id when valid, else a fresh UUIDv7), and so does every decision they cause.
pub const TRACED: &[&str] = &[
    "/v1/events",
    "/v1/profiles/{user_id}",
    "/v1/offers/redeem",
    "/v1/decide",
    "/v1/releases/{id}/deploy",
    "/v1/journeys/{id}/rollback",
    "/v1/journeys/{id}/pause",
    "/v1/journeys/{id}/resume",
    "/v1/campaigns/{id}/close",
    "/v1/campaigns/{id}/breaker/reset",
    "/v1/control",
    "/v1/clock/tick",
];

/// (method, path, role, summary, request body, success status).
pub const ROUTES: &[(&str, &str, &str, &str, bool, u16)] = &[
    ("post", "/v1/releases", "operator", "Submit a workspace as a release (422 with diagnostics when it has errors)", true, 201),
    ("get", "/v1/releases", "any", "List releases, newest first (?status=pending_review)", false, 200),
    ("get", "/v1/releases/{id}", "any", "A release, its workspace, reviews and deployments", false, 200),
    ("post", "/v1/releases/{id}/approve", "approver", "Approve a release (never its author)", true, 200),
    ("post", "/v1/releases/{id}/reject", "approver", "Reject a release", true, 200),
    ("post", "/v1/releases/{id}/deploy", "approver", "Deploy an approved release: rollout_percent 1..100, mode live|shadow", true, 200),
    ("get", "/v1/journeys", "any", "Each journey's live version, rollout and mode", false, 200),
    ("post", "/v1/journeys/{id}/rollback", "approver", "Back to the previously deployed version", false, 200),
    ("post", "/v1/journeys/{id}/pause", "approver", "Pause a journey: scope entries (new entries skipped) or all (also offers and touches refused); reason kept with who and when (docs/operations.md)", true, 200),
    ("post", "/v1/journeys/{id}/resume", "approver", "Lift a journey's pause (409 when it is not paused)", true, 200),
    ("post", "/v1/campaigns/{id}/close", "approver", "Close a campaign for good: nothing issued or entered again (campaign_inactive), its unissued budget released in the ledger", true, 200),
    ("get", "/v1/control", "any", "Pauses, closes, the degrade switch and every campaign's pacing and breaker in force, and every control applied (who, when, why), oldest first", false, 200),
    ("post", "/v1/control", "approver", "The degrade switch, engine-wide or for a campaign: offers on/off (refused: degraded), touches on/off (suppressed: throttled) or {per_minute: N} (the rest deferred to the next minute with room)", true, 200),
    ("post", "/v1/campaigns/{id}/breaker/reset", "approver", "Reset a campaign's tripped breaker: it issues again, its rolling window starts empty (409 when not tripped)", true, 200),
    ("get", "/v1/alerts", "any", "Alerts firing (critical first) and those that stopped, with since when (docs/operations.md, Alerts)", false, 200),
    ("post", "/v1/events", "ingest", "One event or an array of up to 10,000; idempotent by event_id; all in the request's trace, answered as trace_id", true, 202),
    ("put", "/v1/profiles/{user_id}", "ingest", "Create or replace a profile", true, 202),
    ("post", "/v1/offers/redeem", "ingest", "Redeem an offer instance for an order; the same instance and order twice redeem once", true, 200),
    ("post", "/v1/decide", "decide", "Answer a placement synchronously: the journeys with that placement run for the user until their first action; { decision: offer|content|none, offer, content, journey, version, node, reason, trace_id }; the same request_id answers the same; ?timeout_ms= (0..10000, default 200): the placement's fallback (its fallback content, else none; reason timeout) when no answer is ready by then, and nothing is issued for it afterwards (roles decide, ingest, admin; docs/decide.md)", true, 200),
    ("get", "/v1/users/{user_id}", "any", "Journeys the user is in, offer instances, recent touches, inbox, points", false, 200),
    ("get", "/v1/decisions", "any", "Decision records in the order they were written, one page: { decisions, next } (?user_id=&journey=&since=&shadow=true&trace_id=&limit=1..10000, default 100; after=SEQ, exclusive: pass the page's next, null on the last page); each carries the trace_id of the input that caused it", false, 200),
    ("get", "/v1/decisions/stream", "any", "The live decision log as Server-Sent Events, oldest first, then as it is written: each event is id SEQ, event KIND, data the record as GET /v1/decisions answers it (?after=SEQ, exclusive, default 0; a Last-Event-ID header wins); shadow records are not in it (docs/publishing.md)", false, 200),
    ("get", "/v1/stats/journeys/{id}", "any", "The simulator's report for a journey, from live data (with the shadow version's when one runs)", false, 200),
    ("get", "/v1/experiments/{id}", "any", "An experiment's arms against its control, from live data (docs/measurement.md)", false, 200),
    ("get", "/v1/segments", "any", "Each segment's id, name and size now, from bitmaps of the engine's users (docs/segments.md)", false, 200),
    ("get", "/v1/segments/{id}", "any", "A segment's size, up to ?sample= member ids (0..1000, default 20) and its overlap with every other segment (docs/segments.md)", false, 200),
    ("post", "/v1/validate", "any", "Validate a workspace: { diagnostics }", true, 200),
    ("post", "/v1/simulate", "any", "A sandbox simulation on generated sample data: { workspace, users, days, seed } -> { report, log }", true, 200),
    ("post", "/v1/clock/tick", "admin", "Move the event clock on to { until } (event-clock mode)", true, 200),
    ("get", "/v1/ledger/reconcile", "admin", "The reconciliation query: budget = available + reserved + spent per campaign, from the double-entry ledger", false, 200),
    ("get", "/v1/sample", "admin", "Recent live data for a sandbox run, read-only: the newest events (?events=, default 10000) oldest first, and the latest profile of up to ?profiles= users, those events' users first: { profiles, events }", false, 200),
    ("get", "/v1/me", "any", "Who the caller is: their token's name and role", false, 200),
    ("get", "/healthz", "none", "Liveness and whether this process runs the engine", false, 200),
    ("get", "/metrics", "none", "Prometheus metrics", false, 200),
    ("get", "/openapi.json", "none", "This document", false, 200),
];

/// Every error answer: `{ "error": { code, message, path } }`, and the diagnostics of a refused
/// workspace (`E_VALIDATION`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorResponse {
    error: trellis_api::wire::ApiErrorBody,
    #[schema(value_type = Option<Vec<Object>>)]
    diagnostics: Option<Vec<serde_json::Value>>,
}

/// The W3C trace header of a route that appends inputs.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct Traceparent {
    /// W3C Trace Context: the inputs (and their decisions) take its trace-id; a malformed one is ignored and a fresh UUIDv7 used
    traceparent: Option<String>,
}

/// The header an `EventSource` sends when it reconnects to a stream.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct LastEventId {
    /// The id (a decision seq) of the last event received: the stream resumes after it, whatever `after` says
    #[param(rename = "Last-Event-ID")]
    last_event_id: Option<String>,
}

/// The document before the routes are added: info, the bearer scheme.
pub fn base() -> OpenApi {
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Trellis engine service")
                .version("1")
                .description(Some("Every response has a traceresponse header (00-<trace_id>-<span_id>-01) naming the request's trace: its traceparent's trace-id when valid, else a fresh UUIDv7 as 32 lowercase hex. Inputs keep it; decision records carry it as trace_id. Errors are { error: { code, message, path } } with the codes of ErrorCode.")),
        )
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(
                    "bearer",
                    SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
                )
                .build(),
        ))
        .build();
    doc.openapi = utoipa::openapi::OpenApiVersion::Version31;
    doc
}

/// The document, built once from the route table.
pub fn document() -> OpenApi {
    crate::routes::table().split_for_parts().1
}

/// The document as served.
pub static DOCUMENT: LazyLock<Result<String, String>> =
    LazyLock::new(|| document().to_json().map_err(|e| e.to_string()));

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn doc() -> Value {
        serde_json::from_str(DOCUMENT.as_ref().expect("the document writes")).expect("JSON")
    }

    #[test]
    fn the_document_and_the_route_table_name_the_same_routes() {
        let d = doc();
        assert_eq!(d["openapi"], "3.1.0");
        let mut seen = 0;
        for (method, path, ops) in d["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(p, ops)| ops.as_object().unwrap().iter().map(move |(m, o)| (m, p, o)))
        {
            seen += 1;
            let row = ROUTES
                .iter()
                .find(|r| r.0 == method && r.1 == path)
                .unwrap_or_else(|| panic!("{method} {path} is not in ROUTES"));
            assert_eq!(ops["x-role"], row.2, "{method} {path}");
            assert_eq!(ops["summary"], row.3, "{method} {path}");
            assert_eq!(ops["requestBody"].is_object(), row.4, "{method} {path}");
            assert!(
                ops["responses"][row.5.to_string()].is_object(),
                "{method} {path}"
            );
            assert_eq!(
                ops["security"].is_array(),
                row.2 != "none",
                "{method} {path}"
            );
            let traced = ops["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["name"] == "traceparent" && p["in"] == "header")
            });
            // A read on a traced path (GET /v1/control) appends nothing.
            assert_eq!(
                traced,
                TRACED.contains(&path.as_str()) && method != "get",
                "{method} {path}"
            );
        }
        assert_eq!(seen, ROUTES.len());
    }

    #[test]
    fn every_schema_a_route_names_is_in_the_document() {
        let d = doc();
        let text = d.to_string();
        let schemas = d["components"]["schemas"].as_object().unwrap();
        for r in text.split("\"#/components/schemas/").skip(1) {
            let name = r.split('"').next().unwrap();
            assert!(
                schemas.contains_key(name),
                "{name} is referenced but missing"
            );
        }
        // Answers are typed, not "object".
        assert_eq!(
            d["paths"]["/v1/events"]["post"]["responses"]["202"]["content"]["application/json"]
                ["schema"]["$ref"],
            "#/components/schemas/IngestResult"
        );
        let params = d["paths"]["/v1/decisions"]["get"]["parameters"]
            .as_array()
            .unwrap();
        for name in [
            "user_id", "journey", "since", "shadow", "limit", "after", "trace_id",
        ] {
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "query"),
                "{name}"
            );
        }
        std::fs::write(
            std::env::temp_dir().join("trellis-openapi.json"),
            serde_json::to_string_pretty(&d).unwrap(),
        )
        .unwrap();
    }
}
