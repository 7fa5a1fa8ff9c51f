//! Synthetic documents of any size, for benchmarks and load tests.

use serde_json::{json, Value};

/// A workspace with one journey of `n` nodes: a trigger, a chain of condition / offer / touch /
/// wait nodes whose side ports lead to one exit, and the exit. Valid and clean.
pub fn chain_workspace(n: usize) -> Value {
    let n = n.max(3);
    let mut nodes =
        vec![json!({"id": "t", "type": "trigger.event", "params": {"event": "add_to_cart"}})];
    let mut edges = Vec::new();
    let mut prev = ("t".to_string(), "out");
    for i in 0..n - 2 {
        let id = format!("n{i}");
        let (node, out, side) = match i % 4 {
            0 => (
                json!({"id": id, "type": "condition", "params": {"when": {"operator": "AND", "children": [
                {"field": "user.level", "operator": "gte", "value": i % 5}, {"field": "event.amount", "operator": "lt", "value": 1000}]}}}),
                "yes",
                Some("no"),
            ),
            1 => (
                json!({"id": id, "type": "action.offer", "params": {"offer": "c10"}}),
                "issued",
                Some("rejected"),
            ),
            2 => (
                json!({"id": id, "type": "action.touch", "params": {"channels": ["push", "sms"], "template": "t"}}),
                "sent",
                Some("suppressed"),
            ),
            _ => (
                json!({"id": id, "type": "wait.delay", "params": {"duration": "1h"}}),
                "out",
                None,
            ),
        };
        nodes.push(node);
        edges.push(json!({"from": prev.0, "port": prev.1, "to": id}));
        if let Some(p) = side {
            edges.push(json!({"from": id, "port": p, "to": "end"}));
        }
        prev = (id, out);
    }
    nodes.push(json!({"id": "end", "type": "exit", "params": {}}));
    edges.push(json!({"from": prev.0, "port": prev.1, "to": "end"}));
    json!({"schema": "trellis/workspace@1",
           "offers": [{"id": "c10", "kind": "coupon", "face_value": 10, "stock": 100}],
           "journeys": [{"id": "big", "campaign": {"id": "c", "budget": {"total": 5000}}, "nodes": nodes, "edges": edges}]})
}
