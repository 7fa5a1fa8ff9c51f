//! The alert rules (docs/operations.md, "Alerts") and a guardrail on a first version, on the
//! engine: each rule fires on the figures that should fire it, with the value and line it
//! names, and stays quiet below its minimum counts.

use rust_decimal::Decimal;
use serde_json::{json, Value};
use trellis_engine::{
    parse_event, parse_profile, AlertSignal, Channels, Engine, GuardMetric, Guardrail, Message,
    Options,
};

/// Push always fails; everything else is delivered.
struct PushDown;

impl Channels for PushDown {
    fn send(&mut self, msg: &Message<'_>) -> Result<(), String> {
        if msg.channel.as_str() == "push" {
            Err("provider down".into())
        } else {
            Ok(())
        }
    }
}

fn engine(ws: Value) -> Engine {
    Engine::new(
        trellis_model::Workspace::from_json(&ws).unwrap(),
        Options::default(),
    )
}

fn event(e: &mut Engine, id: &str, user: &str, kind: &str, ts: &str, props: Value) {
    let ev = parse_event(
        &json!({"event_id": id, "user_id": user, "type": kind, "ts": ts, "props": props}),
    )
    .unwrap();
    e.handle(&ev);
}

fn rules(e: &Engine) -> Vec<(&'static str, String, String, String)> {
    e.alert_signals()
        .into_iter()
        .map(
            |AlertSignal {
                 rule,
                 target,
                 value,
                 threshold,
                 ..
             }| { (rule, target, value.to_string(), threshold.to_string()) },
        )
        .collect()
}

fn touch_ws(channels: Value) -> Value {
    json!({"schema": "trellis/workspace@1", "offers": [],
        "journeys": [{"id": "j",
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "go"}},
                      {"id": "m", "type": "action.touch", "params": {"channels": channels, "template": "x"}}],
            "edges": [{"from": "t", "port": "out", "to": "m"}]}],
        "policy": {"tz": "UTC", "unsubscribe": {"event": "unsubscribe"}}})
}

#[test]
fn touch_failures_rising_fires_on_the_last_hours_rate_once_twenty_touches_were_tried() {
    let mut e = engine(touch_ws(json!(["push", "inbox"])));
    e.set_channels(Box::new(PushDown));
    // Nine users: 18 tries (push failed, inbox sent), under the minimum of 20.
    for i in 0..9 {
        let u = format!("u{i}");
        e.add_profile(parse_profile(&json!({"user_id": u, "contact": {"push": "tok"}})).unwrap());
        event(
            &mut e,
            &format!("e{i}"),
            &u,
            "go",
            "2026-11-01T10:00:00Z",
            json!({}),
        );
    }
    assert_eq!(rules(&e), []);
    // One more: 20 tries, 10 failed.
    e.add_profile(parse_profile(&json!({"user_id": "u9", "contact": {"push": "tok"}})).unwrap());
    event(&mut e, "e9", "u9", "go", "2026-11-01T10:30:00Z", json!({}));
    assert_eq!(
        rules(&e),
        [(
            "touch_failures_rising",
            String::new(),
            "0.5".into(),
            "0.05".into()
        )]
    );
    // The next hour starts empty: quiet again.
    e.advance_to("2026-11-01T11:00:00Z".parse().unwrap());
    assert_eq!(rules(&e), []);
}

#[test]
fn unsubscribe_rate_rising_counts_unsubscribes_against_touches_in_the_hour() {
    let mut e = engine(touch_ws(json!(["inbox"])));
    for i in 0..25 {
        event(
            &mut e,
            &format!("e{i}"),
            &format!("u{i}"),
            "go",
            "2026-11-01T10:00:00Z",
            json!({}),
        );
    }
    assert_eq!(rules(&e), []);
    for i in 0..5 {
        event(
            &mut e,
            &format!("x{i}"),
            &format!("u{i}"),
            "unsubscribe",
            "2026-11-01T10:10:00Z",
            json!({}),
        );
    }
    // 5 of 25 = 0.2, above max(1%, twice the previous day's 0).
    assert_eq!(
        rules(&e),
        [(
            "unsubscribe_rate_rising",
            String::new(),
            "0.2".into(),
            "0.01".into()
        )]
    );
}

fn offer_ws(offer: Value, campaign: Value) -> Value {
    json!({"schema": "trellis/workspace@1", "offers": [offer],
        "journeys": [{"id": "j", "campaign": campaign,
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "go"}},
                      {"id": "o", "type": "action.offer", "params": {"offer": "o1"}}],
            "edges": [{"from": "t", "port": "out", "to": "o"}]}],
        "policy": {"tz": "UTC"}})
}

#[test]
fn rejections_spiking_counts_stock_and_budget_refusals() {
    let mut e = engine(offer_ws(
        json!({"id": "o1", "kind": "cash", "face_value": "1", "stock": 5}),
        json!({"id": "c", "budget": {"total": 1000}}),
    ));
    for i in 0..30 {
        event(
            &mut e,
            &format!("e{i}"),
            &format!("u{i}"),
            "go",
            "2026-11-01T10:00:00Z",
            json!({}),
        );
    }
    // 25 of 30 refused for stock.
    assert_eq!(
        rules(&e),
        [(
            "rejections_spiking",
            String::new(),
            "0.833333".into(),
            "0.2".into()
        )]
    );
}

#[test]
fn budget_burn_ahead_compares_with_the_straight_line_over_the_window() {
    let mut e = engine(offer_ws(
        json!({"id": "o1", "kind": "cash", "face_value": "10"}),
        json!({"id": "c", "budget": {"total": 100}, "starts_at": "2026-11-01T00:00:00Z", "ends_at": "2026-11-11T00:00:00Z"}),
    ));
    // Half a day of ten: the line is at 5; 10 committed is 200% of it: critical.
    event(&mut e, "e1", "a", "go", "2026-11-01T12:00:00Z", json!({}));
    let s = e.alert_signals();
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(
        (s[0].rule, s[0].target.as_str(), s[0].severity),
        ("budget_burn_ahead", "c", "critical")
    );
    assert_eq!(
        (s[0].value, s[0].threshold),
        (Decimal::from(10), "5.5".parse().unwrap())
    );
    // Two days in: the line is at 20; 10 committed is under it.
    e.advance_to("2026-11-03T00:00:00Z".parse().unwrap());
    assert_eq!(rules(&e), []);
    // 30 committed at 2 days 6 hours: line 22.5, warning line 24.75, critical above 33.75.
    event(&mut e, "e2", "b", "go", "2026-11-03T06:00:00Z", json!({}));
    event(&mut e, "e3", "c", "go", "2026-11-03T06:00:00Z", json!({}));
    let s = e.alert_signals();
    assert_eq!(
        (s[0].rule, s[0].severity, s[0].threshold),
        ("budget_burn_ahead", "warning", "24.75".parse().unwrap())
    );
}

#[test]
fn redemption_rate_falling_compares_the_last_day_with_the_day_before() {
    let mut e = engine(offer_ws(
        json!({"id": "o1", "kind": "coupon", "face_value": "1", "valid_for": "7d"}),
        json!({"id": "c", "budget": {"total": 1000}}),
    ));
    // Day one: 20 coupons, 10 redeemed.
    for i in 0..20 {
        event(
            &mut e,
            &format!("a{i}"),
            &format!("a{i}"),
            "go",
            "2026-11-01T10:00:00Z",
            json!({}),
        );
    }
    let instances: Vec<String> = e
        .drain()
        .map(|d| Value::Object(d.to_map()))
        .filter(|d| d["kind"] == "offer.issued")
        .filter_map(|d| d["instance"].as_str().map(str::to_owned))
        .collect();
    for (k, inst) in instances.iter().take(10).enumerate() {
        let at = "2026-11-01T11:00:00Z".parse().unwrap();
        e.redeem(inst, &format!("order{k}"), Decimal::from(5), at)
            .unwrap();
    }
    // Day two: 20 coupons, 2 redeemed: 0.1 against half of 0.5.
    for i in 0..20 {
        event(
            &mut e,
            &format!("b{i}"),
            &format!("b{i}"),
            "go",
            "2026-11-02T10:00:00Z",
            json!({}),
        );
    }
    let instances: Vec<String> = e
        .drain()
        .map(|d| Value::Object(d.to_map()))
        .filter(|d| d["kind"] == "offer.issued")
        .filter_map(|d| d["instance"].as_str().map(str::to_owned))
        .collect();
    for (k, inst) in instances.iter().take(2).enumerate() {
        let at = "2026-11-02T11:00:00Z".parse().unwrap();
        e.redeem(inst, &format!("late{k}"), Decimal::from(5), at)
            .unwrap();
    }
    assert_eq!(
        rules(&e),
        [(
            "redemption_rate_falling",
            String::new(),
            "0.1".into(),
            "0.25".into()
        )]
    );
}

#[test]
fn a_ledger_that_does_not_match_its_coupons_is_unreconciled() {
    let mut e = engine(offer_ws(
        json!({"id": "o1", "kind": "coupon", "face_value": "3", "valid_for": "7d"}),
        json!({"id": "c", "budget": {"total": 100}}),
    ));
    event(&mut e, "e1", "a", "go", "2026-11-01T10:00:00Z", json!({}));
    assert_eq!(rules(&e), []);
    // A state where reserved money is not the live coupons' face (as a corrupted store would
    // restore it).
    let mut out = Vec::new();
    e.write_snapshot(&mut out);
    let mut snap: Value = serde_json::from_slice(&out).unwrap();
    snap["ledgers"]["c"]["reserved"] = json!("7");
    let bad = Engine::restore_snapshot(snap.to_string().as_bytes()).unwrap();
    assert_eq!(
        rules(&bad),
        [("ledger_unreconciled", "c".into(), "7".into(), "100".into())]
    );
}

#[test]
fn a_guardrail_on_a_first_version_pauses_its_entries() {
    let mut e = engine(offer_ws(
        json!({"id": "o1", "kind": "cash", "face_value": "5"}),
        json!({"id": "c", "budget": {"total": 100}}),
    ));
    let base = e.deployments("j");
    assert_eq!(base.len(), 1, "{base:?}");
    e.watch(
        &["j".to_owned()],
        base[0].0,
        &[Guardrail {
            metric: GuardMetric::CostPerEntry,
            max: Decimal::from(2),
            min_entries: 1,
        }],
    );
    event(&mut e, "e1", "a", "go", "2026-11-01T10:00:00Z", json!({}));
    event(&mut e, "e2", "b", "go", "2026-11-01T10:05:00Z", json!({}));
    let log: Vec<Value> = e.drain().map(|d| Value::Object(d.to_map())).collect();
    let b: Vec<(&Value, &Value)> = log
        .iter()
        .filter(|d| d["user_id"] == "b")
        .map(|d| (&d["kind"], &d["reason"]))
        .collect();
    assert_eq!(
        b,
        [(&json!("journey.skipped"), &json!("paused"))],
        "{log:?}"
    );
    let c = e.controls();
    assert_eq!(c.paused["j"].actor, "engine");
    let g = c.history.last().unwrap();
    assert_eq!(
        (
            g.action.as_str(),
            g.metric.as_deref(),
            g.value.as_deref(),
            g.max.as_deref(),
            g.entries
        ),
        (
            "guardrail_rollback",
            Some("cost_per_entry"),
            Some("5"),
            Some("2"),
            Some(1)
        )
    );
    assert!(g.reason.contains("no earlier version"), "{}", g.reason);
    assert_eq!(
        rules(&e),
        [("guardrail_rolled_back", "j".into(), "5".into(), "2".into())]
    );
}
