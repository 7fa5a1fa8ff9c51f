//! Invariants on random workspaces and event streams: reserved + spent never exceeds a budget,
//! stock never negative, no instance id twice, no user inside one journey twice, no cap exceeded.

use proptest::prelude::*;
use serde_json::{json, Value};
use trellis_engine::{parse_event, Engine, Options};

fn workspace(budget: u32, stock: Option<u32>, face: u32, cap: u32, limit: u32) -> Value {
    let mut offer = json!({"id": "o", "kind": "coupon", "face_value": face, "valid_for": "2h", "per_user_limit": limit});
    if let Some(s) = stock {
        offer["stock"] = json!(s);
    }
    json!({"schema": "trellis/workspace@1", "offers": [offer, {"id": "cash", "kind": "cash", "face_value": 3}],
        "policy": {"freq_caps": [{"channel": "*", "max": cap, "window": "1h"}]},
        "journeys": [
          {"id": "a", "priority": 2, "mutex_group": "m", "campaign": {"id": "c", "budget": {"total": budget}, "hourly_quota": 40},
           "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "e1"}},
                     {"id": "o", "type": "action.offer", "params": {"offer": "o"}},
                     {"id": "w", "type": "wait.delay", "params": {"duration": "30m"}},
                     {"id": "m", "type": "action.touch", "params": {"channels": ["inbox"], "template": "x"}}],
           "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "w"}, {"from": "w", "port": "out", "to": "m"}]},
          {"id": "b", "priority": 1, "mutex_group": "m", "campaign": {"id": "c", "budget": {"total": budget}, "hourly_quota": 40},
           "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "e2"}},
                     {"id": "o", "type": "action.offer", "params": {"offer": "cash"}},
                     {"id": "m", "type": "action.touch", "params": {"channels": ["webhook"], "template": "y"}}],
           "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "m"}]}]})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn invariants_hold(budget in 0u32..60, stock in prop::option::of(0u32..8), face in 1u32..15, cap in 1u32..4, limit in 1u32..3,
                       events in prop::collection::vec((0u8..4, 0u8..6, 0u32..600), 1..80)) {
        let ws = trellis_model::Workspace::from_json(&workspace(budget, stock, face, cap, limit)).unwrap();
        let mut engine = Engine::new(ws, Options::default());
        let mut evs: Vec<_> = events.iter().enumerate().map(|(i, (kind, user, minute))| {
            let kind = ["e1", "e2", "order_paid", "e1"][*kind as usize];
            let ts = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap() + chrono::Duration::minutes(i64::from(*minute));
            parse_event(&json!({"event_id": format!("e{i}"), "user_id": format!("u{user}"), "type": kind, "ts": ts.to_rfc3339(), "props": {"amount": 100}})).unwrap()
        }).collect();
        evs.sort_by_key(|e| e.ts);
        let mut log = Vec::new();
        for e in &evs {
            engine.handle(e);
            log.extend(engine.drain().map(|d| d.to_map()));
            prop_assert!(engine.check_invariants().is_ok(), "{:?}", engine.check_invariants());
        }
        engine.finish(evs.last().unwrap().ts + chrono::Duration::hours(5));
        log.extend(engine.drain().map(|d| d.to_map()));
        prop_assert!(engine.check_invariants().is_ok());
        // Derived from the log: stock, per-user limit, caps, one instance per user and journey.
        let issued: Vec<&serde_json::Map<String, Value>> = log.iter().filter(|d| d["kind"] == "offer.issued" && d["offer"] == "o").collect();
        if let Some(s) = stock { prop_assert!(issued.len() as u32 <= s); }
        let mut per_user = std::collections::HashMap::new();
        for d in &issued { *per_user.entry(d["user_id"].as_str().unwrap()).or_insert(0u32) += 1; }
        prop_assert!(per_user.values().all(|n| *n <= limit));
        let mut inside = std::collections::HashSet::new();
        let mut sends: std::collections::HashMap<String, Vec<chrono::DateTime<chrono::FixedOffset>>> = Default::default();
        for d in &log {
            let key = (d["user_id"].as_str().unwrap_or("").to_owned(), d["journey"].as_str().unwrap_or("").to_owned());
            match d["kind"].as_str().unwrap() {
                "journey.entered" => prop_assert!(inside.insert(key), "entered twice: {:?}", d),
                "journey.exited" => { inside.remove(&key); }
                "touch.sent" => {
                    let t = chrono::DateTime::parse_from_rfc3339(d["ts"].as_str().unwrap()).unwrap();
                    let v = sends.entry(key.0).or_default();
                    v.push(t);
                    let n = v.iter().filter(|s| **s > t - chrono::Duration::hours(1)).count() as u32;
                    prop_assert!(n <= cap, "cap exceeded: {:?}", d);
                }
                _ => {}
            }
        }
    }
}
