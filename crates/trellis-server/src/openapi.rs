//! `/openapi.json`, generated from the route table below (the same table the tests check against
//! the router), so the document cannot name a route the service does not have.

use serde_json::{json, Map, Value};

/// Routes that append inputs: the inputs carry the request's trace id (its `traceparent`
/// header's trace-id when valid, else a fresh UUIDv7), and so does every decision they cause.
pub const TRACED: &[&str] = &[
    "/v1/events",
    "/v1/profiles/{user_id}",
    "/v1/offers/redeem",
    "/v1/releases/{id}/deploy",
    "/v1/journeys/{id}/rollback",
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
    ("post", "/v1/events", "ingest", "One event or an array of up to 10,000; idempotent by event_id; all in the request's trace, answered as trace_id", true, 202),
    ("put", "/v1/profiles/{user_id}", "ingest", "Create or replace a profile", true, 202),
    ("post", "/v1/offers/redeem", "ingest", "Redeem an offer instance for an order; the same instance and order twice redeem once", true, 200),
    ("get", "/v1/users/{user_id}", "any", "Journeys the user is in, offer instances, recent touches, inbox, points", false, 200),
    ("get", "/v1/decisions", "any", "Decision records in the order they were written, one page: { decisions, next } (?user_id=&journey=&since=&shadow=true&trace_id=&limit=1..10000, default 100; after=SEQ, exclusive: pass the page's next, null on the last page); each carries the trace_id of the input that caused it", false, 200),
    ("get", "/v1/stats/journeys/{id}", "any", "The simulator's report for a journey, from live data (with the shadow version's when one runs)", false, 200),
    ("post", "/v1/validate", "any", "Validate a workspace: { diagnostics }", true, 200),
    ("post", "/v1/simulate", "any", "A sandbox simulation on generated sample data: { workspace, users, days, seed } -> { report, log }", true, 200),
    ("post", "/v1/clock/tick", "admin", "Move the event clock on to { until } (event-clock mode)", true, 200),
    ("get", "/v1/ledger/reconcile", "admin", "The reconciliation query: budget = available + reserved + spent per campaign, from the double-entry ledger", false, 200),
    ("get", "/v1/sample", "admin", "Recent live data for a sandbox run, read-only: the newest events (?events=, default 10000) oldest first, and the latest profile of up to ?profiles= users, those events' users first: { profiles, events }", false, 200),
    ("get", "/healthz", "none", "Liveness and whether this process runs the engine", false, 200),
    ("get", "/metrics", "none", "Prometheus metrics", false, 200),
    ("get", "/openapi.json", "none", "This document", false, 200),
];

pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, role, summary, has_body, ok) in ROUTES {
        let mut params: Vec<Value> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if TRACED.contains(path) && *method != "get" {
            params.push(json!({ "name": "traceparent", "in": "header", "required": false,
                "description": "W3C Trace Context: the inputs (and their decisions) take its trace-id; a malformed one is ignored and a fresh UUIDv7 used",
                "schema": { "type": "string" } }));
        }
        let mut op = json!({
            "summary": summary,
            "x-role": role,
            "parameters": params,
            "responses": {
                ok.to_string(): { "description": "success", "content": { "application/json": { "schema": { "type": "object" } } } },
                "4XX": { "description": "bad input, auth or state", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
            },
        });
        if *role != "none" {
            op["security"] = json!([{ "bearer": [] }]);
        }
        if *has_body {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": ["object", "array"] } } } });
        }
        paths
            .entry(path.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|m| m.insert(method.to_string(), op));
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Trellis engine service", "version": "1",
            "description": "Every response has a traceresponse header (00-<trace_id>-<span_id>-01) naming the request's trace: its traceparent's trace-id when valid, else a fresh UUIDv7 as 32 lowercase hex. Inputs keep it; decision records carry it as trace_id." },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": { "Error": { "type": "object", "required": ["error"], "properties": { "error": {
                "type": "object", "required": ["code", "message", "path"],
                "properties": { "code": { "type": "string" }, "message": { "type": "string" }, "path": { "type": "string" } } } } } },
        },
    })
}
