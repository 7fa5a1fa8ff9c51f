use serde_json::json;
use trellis_rules::{read_rules, reference::NaiveRules, RuleSet};

fn set(doc: &serde_json::Value) -> RuleSet {
    RuleSet::compile(read_rules(doc).unwrap())
}

#[test]
fn winners_are_the_highest_priority_per_mutex_group() {
    let doc = json!({"rules": [
        {"rule_id": "low", "priority": 1, "mutex_group": "g", "condition": {"field": "x", "operator": "gt", "value": 0}},
        {"rule_id": "high", "priority": 9, "mutex_group": "g", "condition": {"field": "x", "operator": "gt", "value": 0}},
        {"rule_id": "tie_b", "priority": 5, "mutex_group": "h", "condition": {"field": "x", "operator": "gt", "value": 0}},
        {"rule_id": "tie_a", "priority": 5, "mutex_group": "h", "condition": {"field": "x", "operator": "gt", "value": 0}},
        {"rule_id": "free", "priority": 3, "condition": {"field": "x", "operator": "gt", "value": 0}},
        {"rule_id": "miss", "priority": 99, "mutex_group": "g", "condition": {"field": "x", "operator": "lt", "value": 0}}
    ]});
    let out = set(&doc).eval(&json!({"x": 1}));
    assert_eq!(out.matched, ["high", "tie_a", "tie_b", "free", "low"]);
    assert_eq!(out.winners, ["high", "tie_a", "free"]);
    assert_eq!(
        NaiveRules::new(&doc).eval(&json!({"x": 1})),
        (out.matched, out.winners)
    );
    let none = set(&doc).eval(&json!({"y": 1}));
    assert!(none.matched.is_empty() && none.winners.is_empty());
}

#[test]
fn shared_leaves_are_interned_once() {
    let rules: Vec<_> = (0..100)
        .map(|i| json!({"rule_id": format!("r{i}"), "priority": i, "condition": {"operator": "AND", "children": [
            {"field": "user.register_days", "operator": "lte", "value": if i % 2 == 0 { 3 } else { 7 }},
            {"field": "cart.total_amount", "operator": "gte", "value": 300}
        ]}}))
        .collect();
    let s = set(&json!({ "rules": rules }));
    let (leaves, clauses, fields) = s.shape();
    assert_eq!((leaves, clauses, fields), (3, 3, 2));
}

#[test]
fn explain_names_the_rule_that_won_instead() {
    let doc = json!({"rules": [
        {"rule_id": "a", "priority": 1, "mutex_group": "g", "condition": {"field": "x", "operator": "exists", "value": true}},
        {"rule_id": "b", "priority": 2, "mutex_group": "g", "condition": {"field": "x", "operator": "exists", "value": true}}
    ]});
    let e = set(&doc).explain(&json!({"x": 1}), "a").unwrap();
    assert!(e.matched && !e.won);
    assert_eq!(e.lost_to.as_deref(), Some("b"));
}

#[test]
fn bad_rules_are_reported_with_pointers() {
    let errs = read_rules(&json!({"rules": [
        {"rule_id": "a", "condition": {"field": "x", "operator": "nope", "value": 1}},
        {"rule_id": "a", "priority": "high", "condition": {"field": "x", "operator": "eq", "value": 1}},
        {"priority": 1, "condition": {"operator": "NOT", "children": []}},
        "junk"
    ]})).unwrap_err();
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/rules/0/condition/operator",
            "/rules/1/rule_id",
            "/rules/1/priority",
            "/rules/2/rule_id",
            "/rules/2/condition/children",
            "/rules/3"
        ]
    );
    assert!(read_rules(&json!({"rule": []})).is_err());
}

#[test]
fn or_of_ands_beyond_the_cnf_limit_still_evaluates() {
    // 8 ANDs of 3 leaves ORed together: CNF would have 3^8 clauses, so the tree fallback runs.
    let ors: Vec<_> = (0..8)
        .map(|i| {
            json!({"operator": "AND", "children": [
            {"field": format!("a{i}"), "operator": "eq", "value": 1},
            {"field": format!("b{i}"), "operator": "eq", "value": 1},
            {"field": format!("c{i}"), "operator": "eq", "value": 1}]})
        })
        .collect();
    let doc =
        json!({"rules": [{"rule_id": "big", "condition": {"operator": "OR", "children": ors}}]});
    let s = set(&doc);
    assert_eq!(s.eval(&json!({"a5": 1, "b5": 1, "c5": 1})).matched, ["big"]);
    assert!(s
        .eval(&json!({"a5": 1, "b5": 1, "c4": 1}))
        .matched
        .is_empty());
}
