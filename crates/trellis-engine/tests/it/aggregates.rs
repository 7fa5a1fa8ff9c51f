//! Aggregates through the engine's public calls: the user view, snapshots, deployments that
//! define an aggregate again, and a schedule's audience reading one as the clock moves.

use serde_json::{json, Value};
use trellis_engine::{parse_event, Engine, Options};

fn at(t: &str) -> chrono::DateTime<chrono::Utc> {
    t.parse().unwrap()
}

fn ws(aggregates: Value, journeys: Value) -> trellis_model::Workspace {
    trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1",
        "aggregates": aggregates, "journeys": journeys}))
    .unwrap()
}

fn order(engine: &mut Engine, n: u32, user: &str, ts: &str, amount: Value) {
    let ev = parse_event(&json!({"event_id": format!("o{n}"), "user_id": user,
        "type": "order_paid", "ts": ts, "props": {"amount": amount}}))
    .unwrap();
    engine.handle(&ev);
}

fn spend_aggs() -> Value {
    json!([
        {"id": "spend_90d", "event": "order_paid", "fn": "sum", "field": "event.amount", "window": "90d"},
        {"id": "orders", "event": "order_paid", "fn": "count"},
        {"id": "last_order", "event": "order_paid", "fn": "last", "field": "ts"},
        {"id": "biggest", "event": "order_paid", "fn": "max", "field": "event.amount"}
    ])
}

#[test]
fn the_user_view_shows_aggregates_as_the_engine_sees_them_now_and_a_snapshot_keeps_them() {
    let mut e = Engine::new(ws(spend_aggs(), json!([])), Options::default());
    order(&mut e, 1, "u", "2026-08-01T00:00:00Z", json!("1000.10"));
    order(&mut e, 2, "u", "2026-10-01T00:00:00Z", json!(999.9));
    let view = e.user_view("u").unwrap();
    assert_eq!(
        view["aggregates"],
        json!({"spend_90d": 2000, "orders": 2, "last_order": "2026-10-01T00:00:00Z", "biggest": 1000.1})
    );
    // The clock moves past 90 days after the first order: it leaves the sum.
    e.advance_to(at("2026-10-30T00:00:01Z"));
    assert_eq!(
        e.user_view("u").unwrap()["aggregates"]["spend_90d"],
        json!(999.9)
    );
    let mut snap = Vec::new();
    e.write_snapshot(&mut snap);
    let mut r = Engine::restore_snapshot(&snap).unwrap();
    assert_eq!(
        r.user_view("u").unwrap()["aggregates"],
        e.user_view("u").unwrap()["aggregates"]
    );
    // Both go on alike.
    order(&mut e, 3, "u", "2026-11-01T00:00:00Z", json!(1));
    order(&mut r, 3, "u", "2026-11-01T00:00:00Z", json!(1));
    assert_eq!(
        r.user_view("u").unwrap()["aggregates"],
        e.user_view("u").unwrap()["aggregates"]
    );
    assert_eq!(
        e.user_view("u").unwrap()["aggregates"]["spend_90d"],
        json!(1000.9)
    );
    // A user with no order: count 0, the rest missing.
    order(
        &mut e,
        4,
        "other",
        "2026-11-01T00:00:00Z",
        json!("not money"),
    );
    assert_eq!(
        e.user_view("other").unwrap()["aggregates"],
        json!({"spend_90d": null, "orders": 1, "last_order": "2026-11-01T00:00:00Z", "biggest": null})
    );
}

#[test]
fn a_deployment_keeps_an_aggregate_defined_alike_and_restarts_one_defined_again() {
    let mut e = Engine::new(ws(spend_aggs(), json!([])), Options::default());
    order(&mut e, 1, "u", "2026-10-01T00:00:00Z", json!(10));
    order(&mut e, 2, "u", "2026-10-02T00:00:00Z", json!(20));
    let mut aggs = spend_aggs();
    // `orders` now counts only orders over 15: a new definition, counted from the deployment on.
    aggs[1]["where"] = json!({"field": "event.amount", "operator": "gt", "value": 15});
    e.deploy(&ws(aggs, json!([])), 2, 1_000_000);
    let a = &e.user_view("u").unwrap()["aggregates"];
    assert_eq!(
        (a["orders"].clone(), a["spend_90d"].clone()),
        (json!(0), json!(30))
    );
    order(&mut e, 3, "u", "2026-10-03T00:00:00Z", json!(10));
    order(&mut e, 4, "u", "2026-10-04T00:00:00Z", json!(16));
    let a = &e.user_view("u").unwrap()["aggregates"];
    assert_eq!(
        (a["orders"].clone(), a["spend_90d"].clone()),
        (json!(1), json!(56))
    );
    // And a restore, which deploys again in order, lands on the same state.
    let mut snap = Vec::new();
    e.write_snapshot(&mut snap);
    let r = Engine::restore_snapshot(&snap).unwrap();
    assert_eq!(
        r.user_view("u").unwrap()["aggregates"],
        e.user_view("u").unwrap()["aggregates"]
    );
}

#[test]
fn an_audience_reads_aggregates_at_each_tick_not_from_a_memo() {
    // Every hour, users with at least 2 orders in the last 2 hours.
    let journeys = json!([{"id": "hot", "entry": {"re_entry": "after_exit"}, "nodes": [
        {"id": "t", "type": "trigger.schedule", "params": {"cron": "0 * * * *",
            "audience": {"operator": "AND", "children": [
                {"field": "user.tier", "operator": "ne", "value": "banned"},
                {"field": "agg.recent", "operator": "gte", "value": 2}]}}},
        {"id": "x", "type": "exit", "params": {}}],
        "edges": [{"from": "t", "port": "out", "to": "x"}]}]);
    let aggs = json!([{"id": "recent", "event": "order_paid", "fn": "count", "window": "2h"}]);
    let mut e = Engine::new(ws(aggs, journeys), Options::default());
    e.add_profile(
        trellis_engine::parse_profile(&json!({"user_id": "u", "attrs": {"tier": "gold"}})).unwrap(),
    );
    e.add_profile(
        trellis_engine::parse_profile(&json!({"user_id": "v", "attrs": {"tier": "gold"}})).unwrap(),
    );
    e.start(at("2026-11-01T00:30:00Z"));
    order(&mut e, 1, "u", "2026-11-01T00:30:00Z", json!(1));
    order(&mut e, 2, "u", "2026-11-01T00:40:00Z", json!(1));
    e.advance_to(at("2026-11-01T04:00:00Z"));
    let entered: Vec<(String, String)> = e
        .drain()
        .map(|d| Value::Object(d.to_map()))
        .filter(|d| d["kind"] == "journey.entered")
        .map(|d| {
            (
                d["user_id"].as_str().unwrap().to_owned(),
                d["ts"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // 01:00 and 02:00 see both orders in (t − 2h, t]; at 03:00 both are out. v never orders.
    assert_eq!(
        entered,
        [
            ("u".to_owned(), "2026-11-01T01:00:00Z".to_owned()),
            ("u".to_owned(), "2026-11-01T02:00:00Z".to_owned())
        ]
    );
}
