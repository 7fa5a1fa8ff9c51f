//! Invariants over random workspaces and event streams: random journeys built from every kind
//! of flow and action node, random offers, budgets, caps and quiet hours. After every event:
//! reserved + spent within every budget; stock never negative; no instance id twice; no user in
//! one journey twice at once; no cap exceeded; per-user limits kept.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use trellis_engine::{parse_event, parse_profile, Engine, Options};

pub(crate) struct Gene<'a>(pub(crate) &'a [u32], pub(crate) usize);
impl Gene<'_> {
    fn next(&mut self, n: u32) -> u32 {
        let v = self.0[self.1 % self.0.len()];
        self.1 += 1;
        v % n.max(1)
    }
}

fn pick(g: &mut Gene, options: &[&str]) -> String {
    options[g.next(options.len() as u32) as usize].to_owned()
}

fn node_tree(
    g: &mut Gene,
    nodes: &mut Vec<Value>,
    edges: &mut Vec<Value>,
    from: (String, &str),
    depth: u32,
) {
    let id = format!("n{}", nodes.len());
    edges.push(json!({"from": from.0, "port": from.1, "to": id}));
    if depth == 0 {
        nodes.push(json!({"id": id, "type": "exit", "params": {}}));
        return;
    }
    let (node, ports): (Value, Vec<&str>) = match g.next(8) {
        0 => (
            json!({"id": id, "type": "condition", "params": {"when": {"field": "user.level", "operator": "gte", "value": g.next(4)}}}),
            vec!["yes", "no"],
        ),
        1 => (
            json!({"id": id, "type": "split.random", "params": {"branches": [{"port": "a", "percent": 50}, {"port": "b", "percent": 50}]}}),
            vec!["a", "b"],
        ),
        2 => (
            json!({"id": id, "type": "wait.delay", "params": {"duration": format!("{}m", g.next(90))}}),
            vec!["out"],
        ),
        3 => (
            json!({"id": id, "type": "wait.event", "params": {"event": "e2", "timeout": format!("{}m", 1 + g.next(60))}}),
            vec!["event", "timeout"],
        ),
        4 | 5 => (
            json!({"id": id, "type": "action.offer", "params": {"offer": pick(g, &["o1", "o2", "o3"])}}),
            vec!["issued", "rejected"],
        ),
        6 => {
            let chans = [["push", "sms"], ["sms", "inbox"], ["email", "push"]][g.next(3) as usize];
            (
                json!({"id": id, "type": "action.touch", "params": {"channels": chans, "template": "t"}}),
                vec!["sent", "suppressed"],
            )
        }
        _ => (
            json!({"id": id, "type": "action.points", "params": {"amount": 1 + g.next(9)}}),
            vec!["out"],
        ),
    };
    nodes.push(node);
    for p in ports {
        node_tree(g, nodes, edges, (id.clone(), p), depth - 1);
    }
}

pub(crate) fn workspace(g: &mut Gene) -> Value {
    let offers = json!([
        {"id": "o1", "kind": "coupon", "face_value": 1 + g.next(20), "stock": g.next(12), "per_user_limit": 1 + g.next(2), "valid_for": format!("{}m", 30 + g.next(120)), "min_spend": g.next(150)},
        {"id": "o2", "kind": "cash", "face_value": format!("{}.5", g.next(5))},
        {"id": "o3", "kind": "coupon", "face_value": 1 + g.next(9)}
    ]);
    let journeys: Vec<Value> = (0..1 + g.next(3))
        .map(|k| {
            let mut nodes = vec![json!({"id": "t", "type": "trigger.event", "params": {"event": pick(g, &["e1", "e2", "e3"])}})];
            let mut edges = Vec::new();
            let depth = 1 + g.next(4);
            node_tree(g, &mut nodes, &mut edges, ("t".into(), "out"), depth);
            let mut j = json!({"id": format!("j{k}"), "priority": g.next(3), "nodes": nodes, "edges": edges,
                "campaign": {"id": format!("c{}", g.next(2)), "budget": {"total": 40}, "hourly_quota": 30},
                "entry": {"re_entry": pick(g, &["after_exit", "never"])},
                "exit": {"goal": {"event": "e4"}, "max_duration": format!("{}m", 30 + g.next(200))}});
            if g.next(2) == 0 {
                j["mutex_group"] = json!("m");
            }
            j
        })
        .collect();
    let mut policy = json!({"freq_caps": [{"channel": "*", "max": 1 + g.next(3), "window": "1h"}, {"channel": "sms", "max": 1, "window": "2h"}], "attribution": {"window": "1h"}});
    if g.next(2) == 0 {
        policy["quiet_hours"] =
            json!({"start": "01:00", "end": "03:00", "mode": pick(g, &["defer", "suppress"])});
    }
    json!({"schema": "trellis/workspace@1", "offers": offers, "policy": policy, "journeys": journeys})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn invariants_hold_on_random_workspaces(genes in prop::collection::vec(any::<u32>(), 64..256),
                                            events in prop::collection::vec((0u8..5, 0u8..5, 0u32..300), 1..60)) {
        let mut g = Gene(&genes, 0);
        let doc = workspace(&mut g);
        let (ws, diags) = trellis_graph::validate_value(&doc);
        // Campaigns shared by journeys are declared identically, so this must validate.
        prop_assert!(!diags.iter().any(|d| d.is_error()), "{:?}", diags);
        let ws = ws.unwrap();
        let caps: Vec<(Option<String>, usize, i64)> = ws.policy().freq_caps().iter().map(|c| (c.channel.map(|c| c.as_str().to_owned()), c.max as usize, c.window.seconds as i64)).collect();
        let mut engine = Engine::new(ws.clone(), Options::default());
        for u in 0..5 {
            engine.add_profile(parse_profile(&json!({"user_id": format!("u{u}"), "attrs": {"level": u % 4}, "contact": {"push": "t", "phone": if u % 2 == 0 { "1" } else { "" }}})).unwrap());
        }
        let base = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap();
        let mut evs: Vec<_> = events.iter().enumerate().map(|(i, (k, u, m))| {
            let kind = ["e1", "e2", "e3", "e4", "order_paid"][*k as usize];
            parse_event(&json!({"event_id": format!("x{i}"), "user_id": format!("u{u}"), "type": kind, "ts": (base + chrono::Duration::minutes(i64::from(*m))).to_rfc3339(), "props": {"amount": 100}})).unwrap()
        }).collect();
        evs.sort_by_key(|e| e.ts);
        let mut log: Vec<serde_json::Map<String, Value>> = Vec::new();
        for e in &evs {
            engine.handle(e);
            log.extend(engine.drain().map(|d| d.to_map()));
            prop_assert!(engine.check_invariants().is_ok(), "{:?}", engine.check_invariants());
        }
        engine.finish(evs.last().unwrap().ts + chrono::Duration::hours(6));
        log.extend(engine.drain().map(|d| d.to_map()));
        prop_assert!(engine.check_invariants().is_ok());
        for (id, c) in &engine.report.campaigns {
            prop_assert_eq!(c.budget, c.remaining + c.reserved + c.spent, "campaign {} does not balance", id);
        }
        let mut inside = HashSet::new();
        let mut instances = HashSet::new();
        let mut sends: HashMap<String, Vec<(chrono::DateTime<chrono::FixedOffset>, String)>> = HashMap::new();
        let mut issued: HashMap<(String, String), u32> = HashMap::new();
        let mut stock_used = 0u64;
        for d in &log {
            let user = d["user_id"].as_str().unwrap_or("").to_owned();
            let key = (user.clone(), d["journey"].as_str().unwrap_or("").to_owned());
            match d["kind"].as_str().unwrap() {
                "journey.entered" => prop_assert!(inside.insert(key), "entered twice at once: {:?}", d),
                "journey.exited" => prop_assert!(inside.remove(&key), "exited without being inside: {:?}", d),
                "offer.issued" => {
                    prop_assert!(instances.insert(d["instance"].as_str().unwrap().to_owned()), "instance twice: {:?}", d);
                    let offer = d["offer"].as_str().unwrap().to_owned();
                    if offer == "o1" { stock_used += 1; }
                    *issued.entry((user, offer)).or_default() += 1;
                }
                "touch.sent" => {
                    let t = chrono::DateTime::parse_from_rfc3339(d["ts"].as_str().unwrap()).unwrap();
                    let ch = d["channel"].as_str().unwrap().to_owned();
                    let v = sends.entry(user).or_default();
                    v.push((t, ch.clone()));
                    for (cap_ch, max, window) in &caps {
                        let n = v.iter().filter(|(s, c)| *s > t - chrono::Duration::seconds(*window) && cap_ch.as_ref().is_none_or(|x| *x == *c)).count();
                        prop_assert!(cap_ch.as_ref().is_some_and(|x| *x != ch) || n <= *max, "cap {:?} exceeded: {:?}", cap_ch, d);
                    }
                }
                _ => {}
            }
        }
        let o1 = ws.offer("o1").unwrap();
        prop_assert!(stock_used <= o1.stock.unwrap());
        for ((_, offer), n) in &issued {
            prop_assert!(*n <= ws.offer(offer).unwrap().per_user_limit());
        }
    }
}
