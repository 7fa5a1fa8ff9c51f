//! `gate.uplift` (docs/uplift.md): users whose predicted uplift is at least the threshold pass;
//! a user whose features cannot be read fails, unscored; the report sums the predictions and
//! counts the quadrants exactly as the model scores each user.

use serde_json::{json, Value};
use trellis_engine::{parse_event, parse_profile, Engine, Options};
use trellis_uplift::{train, Cell, Table, TrainOptions, UpliftModel};

/// A model of a made-up experiment: the treatment helps the young (age < 30) and hurts the
/// old, and `vip` buyers buy anyway. Deterministic rows, so the model is the same every run.
fn model() -> UpliftModel {
    let mut csv = String::from("age,vip,t,y\n");
    for i in 0..2000u32 {
        let age = 18 + i.wrapping_mul(7919) % 50;
        let vip = u32::from(i % 5 == 0);
        let t = (i / 3) % 2;
        let r = i.wrapping_mul(2_654_435_761) % 100;
        let p = match (vip, t, age < 30) {
            (1, _, _) => 80,
            (0, 1, true) => 45,
            (0, 1, false) => 5,
            (0, 0, _) => 15,
            _ => 0,
        };
        csv.push_str(&format!("{age},{vip},{t},{}\n", u32::from(r < p)));
    }
    let table = Table::read(csv.as_bytes()).unwrap();
    let mut opts = TrainOptions::new("t", "y");
    opts.test_fraction = 0.0;
    train(&table, &opts).unwrap()
}

fn workspace(model: &UpliftModel, threshold: f64) -> Value {
    json!({"schema": "trellis/workspace@1",
        "offers": [{"id": "cash5", "kind": "cash", "face_value": 5}],
        "aggregates": [{"id": "visits", "event": "visit", "fn": "count"}],
        "models": [{"id": "m", "name": "young respond",
                    "features": {"vip": "user.vip"},
                    "artifact": serde_json::to_value(model).unwrap()}],
        "journeys": [{"id": "j", "entry": {"re_entry": "never"},
            "campaign": {"id": "c", "budget": {"total": 100000, "currency": "CNY"}},
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                      {"id": "g", "type": "gate.uplift", "params": {"model": "m", "threshold": threshold}},
                      {"id": "o", "type": "action.offer", "params": {"offer": "cash5"}},
                      {"id": "x", "type": "exit"}],
            "edges": [{"from": "t", "port": "out", "to": "g"},
                      {"from": "g", "port": "pass", "to": "o"},
                      {"from": "g", "port": "fail", "to": "x"}]}]})
}

#[test]
fn the_gate_passes_by_predicted_uplift_and_the_report_sums_the_predictions() {
    let m = model();
    let threshold = 0.1;
    let ws = trellis_model::Workspace::from_json(&workspace(&m, threshold)).unwrap();
    let mut engine = Engine::new(ws, Options::default());
    let (mut sum_all, mut sum_pass, mut passed, mut dogs, mut pers) = (0.0, 0.0, 0u64, 0u64, 0u64);
    let mut unscored = 0u64;
    for i in 0..120u32 {
        let user = format!("u{i}");
        let age = 18 + (i * 37) % 50;
        let vip = i % 4 == 0;
        // Every 10th user has no age: unscored, fails.
        let attrs = if i % 10 == 9 {
            json!({"vip": vip})
        } else {
            json!({"age": age, "vip": vip})
        };
        engine.add_profile(parse_profile(&json!({"user_id": user, "attrs": attrs})).unwrap());
        if i % 10 == 9 {
            unscored += 1;
        } else {
            let v = if vip { 1.0 } else { 0.0 };
            let p = m
                .score_with(|f| match f {
                    "age" => Some(Cell::Number(f64::from(age))),
                    "vip" => Some(Cell::Number(v)),
                    _ => None,
                })
                .unwrap();
            sum_all += p;
            if p >= threshold {
                passed += 1;
                sum_pass += p;
                pers += 1;
            } else if p < 0.0 {
                dogs += 1;
            }
        }
        let ev = json!({"event_id": format!("e{i}"), "user_id": user, "type": "visit",
                        "ts": "2026-11-02T10:00:00Z"});
        engine.handle(&parse_event(&ev).unwrap());
        engine.drain().for_each(drop);
    }
    assert!(
        passed > 10 && passed < 100,
        "the model separates users: {passed} passed"
    );
    assert!(dogs > 0, "the old are sleeping dogs");
    let r = engine.report_now();
    let g = &r.uplift["j"]["g"];
    assert_eq!(g.model, "m");
    assert_eq!((g.reached, g.passed, g.unscored), (120, passed, unscored));
    assert!((g.predicted_conversions_all - sum_all).abs() < 1e-9);
    assert!((g.predicted_conversions_gated - sum_pass).abs() < 1e-9);
    assert_eq!(g.quadrants.persuadables, pers);
    assert_eq!(g.quadrants.sleeping_dogs, dogs);
    let rest = g.quadrants.sure_things.unwrap_or(0) + g.quadrants.lost_causes.unwrap_or(0);
    assert_eq!(pers + dogs + rest, 120 - unscored);
    // Who passed got the offer; nobody else did.
    assert_eq!(r.journeys["j"].nodes["g"].ports["pass"], passed);
    assert_eq!(r.journeys["j"].nodes["g"].ports["fail"], 120 - passed);
    assert_eq!(r.offers["cash5"].issued, passed);
    // Cost: what the campaign committed (cash at issue), scaled to every scored user without it.
    let cost = rust_decimal::Decimal::from(5 * passed);
    assert_eq!(g.cost_gated, cost);
    assert_eq!(
        g.cost_all,
        (cost * rust_decimal::Decimal::from(120 - unscored) / rust_decimal::Decimal::from(passed))
            .round_dp(2)
    );
}

#[test]
fn validation_names_the_model_and_its_features() {
    let m = model();
    let mut doc = workspace(&m, 0.1);
    doc["journeys"][0]["nodes"][1]["params"]["model"] = json!("nope");
    let (_, diags) = trellis_graph::validate_value(&doc);
    let d = diags.iter().find(|d| d.message.contains("nope")).unwrap();
    assert_eq!(d.path.as_deref(), Some("/journeys/0/nodes/1/params/model"));
    assert_eq!(d.node.as_deref(), Some("g"));

    let mut doc = workspace(&m, 0.1);
    doc["models"][0]["features"] = json!({"vip": "agg.nope", "age": "user.age"});
    let (_, diags) = trellis_graph::validate_value(&doc);
    assert!(
        diags
            .iter()
            .any(|d| d.path.as_deref() == Some("/models/0/features/vip")),
        "{diags:?}"
    );

    let mut doc = workspace(&m, 0.1);
    doc["models"][0]["artifact"]["format"] = json!("other/9");
    let (_, diags) = trellis_graph::validate_value(&doc);
    assert!(
        diags
            .iter()
            .any(|d| d.path.as_deref() == Some("/models/0/artifact")),
        "{diags:?}"
    );

    let mut doc = workspace(&m, 0.1);
    doc["journeys"][0]["nodes"][1]["params"]["threshold"] = json!(2);
    let (_, diags) = trellis_graph::validate_value(&doc);
    assert!(
        diags
            .iter()
            .any(|d| d.path.as_deref() == Some("/journeys/0/nodes/1/params/threshold")),
        "{diags:?}"
    );
    // And the workspace round-trips: the model is written back as it was read.
    let ws = trellis_model::Workspace::from_json(&workspace(&m, 0.1)).unwrap();
    let again = trellis_model::Workspace::from_json(&serde_json::to_value(&ws).unwrap()).unwrap();
    assert_eq!(ws, again);
}

/// A model attached to the run (`Options::attach_model`): a journey without a gate has every
/// entry scored under the node key `entry`, as if a gate at the threshold stood after its
/// trigger, while everyone goes on (the offer is issued to all); a journey with its own gate is
/// left to it.
#[test]
fn an_attached_model_scores_the_entries_of_journeys_without_a_gate() {
    let m = model();
    let mut doc = workspace(&m, 0.1);
    // The journey without its gate: trigger → offer.
    doc["journeys"][0]["nodes"] = json!([
        {"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
        {"id": "o", "type": "action.offer", "params": {"offer": "cash5"}}]);
    doc["journeys"][0]["edges"] = json!([{"from": "t", "port": "out", "to": "o"}]);
    let ws = trellis_model::Workspace::from_json(&doc).unwrap();
    let options = Options {
        attach_model: Some(trellis_engine::AttachModel {
            model: "m".into(),
            threshold: 0.1,
        }),
        ..Options::default()
    };
    let mut engine = Engine::new(ws, options);
    let (mut sum, mut over) = (0.0, 0u64);
    for i in 0..40u32 {
        let user = format!("u{i}");
        let age = 18 + (i * 13) % 50;
        engine.add_profile(
            parse_profile(&json!({"user_id": user, "attrs": {"age": age, "vip": false}})).unwrap(),
        );
        let p = m
            .score_with(|f| match f {
                "age" => Some(Cell::Number(f64::from(age))),
                _ => Some(Cell::Number(0.0)),
            })
            .unwrap();
        sum += p;
        over += u64::from(p >= 0.1);
        let ev = json!({"event_id": format!("e{i}"), "user_id": user, "type": "visit",
                        "ts": "2026-11-02T10:00:00Z"});
        engine.handle(&parse_event(&ev).unwrap());
        engine.drain().for_each(drop);
    }
    let r = engine.report_now();
    let g = &r.uplift["j"]["entry"];
    assert_eq!((g.reached, g.passed, g.unscored), (40, over, 0));
    assert!((g.predicted_conversions_all - sum).abs() < 1e-9);
    assert_eq!(
        r.offers["cash5"].issued, 40,
        "an attached model gates nobody"
    );

    // With the journey's own gate, the attached model keeps out.
    let ws = trellis_model::Workspace::from_json(&workspace(&m, 0.1)).unwrap();
    let mut engine = Engine::new(
        ws,
        Options {
            attach_model: Some(trellis_engine::AttachModel {
                model: "m".into(),
                threshold: 0.5,
            }),
            ..Options::default()
        },
    );
    engine.add_profile(
        parse_profile(&json!({"user_id": "a", "attrs": {"age": 20, "vip": false}})).unwrap(),
    );
    let ev =
        json!({"event_id": "e", "user_id": "a", "type": "visit", "ts": "2026-11-02T10:00:00Z"});
    engine.handle(&parse_event(&ev).unwrap());
    let r = engine.report_now();
    assert!(!r.uplift["j"].contains_key("entry"));
    assert_eq!(r.uplift["j"]["g"].reached, 1);
}
