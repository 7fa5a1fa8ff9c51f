//! The compiled evaluators agree with the naive reference interpreter on random conditions and
//! facts.

use crate::cond;
use proptest::prelude::*;
use serde_json::{json, Value};
use trellis_rules::{read_rules, reference, reference::NaiveRules, CompiledCondition, RuleSet};

const FIELDS: [&str; 5] = ["a", "b", "u.c", "u.tags", "n"];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-3i64..4).prop_map(|n| json!(n)),
        prop_oneof![Just(0.5f64), Just(1.0), Just(-2.5)].prop_map(|f| json!(f)),
        prop_oneof![Just("北京"), Just("上海"), Just("a"), Just("ab"), Just("")]
            .prop_map(|s| json!(s)),
        any::<bool>().prop_map(|b| json!(b)),
    ]
}

fn fact_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => scalar(),
        1 => Just(Value::Null),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(Value::Array),
    ]
}

fn fact() -> impl Strategy<Value = Value> {
    (prop::collection::vec(prop::option::of(fact_value()), 5)).prop_map(|vals| {
        let mut root = json!({"u": {}});
        for (f, v) in FIELDS.iter().zip(vals) {
            let Some(v) = v else { continue };
            match f.split_once('.') {
                Some((a, b)) => root[a][b] = v,
                None => root[*f] = v,
            }
        }
        root
    })
}

fn leaf() -> impl Strategy<Value = Value> {
    let field = prop::sample::select(FIELDS.to_vec());
    let op = prop::sample::select(vec![
        "eq",
        "ne",
        "gt",
        "gte",
        "lt",
        "lte",
        "in",
        "not_in",
        "contains",
        "starts_with",
        "between",
        "exists",
    ]);
    (
        field,
        op,
        scalar(),
        scalar(),
        prop::collection::vec(scalar(), 0..4),
        prop::sample::select(FIELDS.to_vec()),
        0..5u8,
    )
        .prop_map(|(field, op, v1, v2, list, other, mode)| {
            let value = match op {
                "exists" => json!(v1.as_bool().unwrap_or(mode % 2 == 0)),
                _ if mode == 0 => json!({ "field": other }),
                "in" | "not_in" => Value::Array(list),
                "between" => json!([v1, v2]),
                "starts_with" => json!(v1.as_str().unwrap_or("a")),
                "gt" | "gte" | "lt" | "lte" if v1.is_boolean() => json!(1),
                _ => v1,
            };
            json!({ "field": field, "operator": op, "value": value })
        })
}

fn condition() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4)
                .prop_map(|c| json!({"operator": "AND", "children": c})),
            prop::collection::vec(inner.clone(), 1..4)
                .prop_map(|c| json!({"operator": "OR", "children": c})),
            inner.prop_map(|c| json!({"operator": "NOT", "children": [c]})),
        ]
    })
}

fn valid(c: &Value) -> bool {
    let mut e = Vec::new();
    trellis_model::condition::read_condition(c, trellis_model::FieldScope::Any, &mut e).is_some()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn compiled_condition_agrees_with_reference(c in condition(), facts in prop::collection::vec(fact(), 1..6)) {
        prop_assume!(valid(&c));
        let compiled = CompiledCondition::new(&cond(&c));
        for f in &facts {
            prop_assert_eq!(compiled.eval(f), reference::eval(&c, f), "condition {} fact {}", c, f);
        }
    }

    #[test]
    fn rule_set_agrees_with_naive_rules(conds in prop::collection::vec(condition(), 1..12), groups in prop::collection::vec(prop::option::of(0..3u8), 12), prios in prop::collection::vec(0..4i64, 12), facts in prop::collection::vec(fact(), 1..6)) {
        let rules: Vec<Value> = conds.iter().enumerate().filter(|(_, c)| valid(c)).map(|(i, c)| {
            let mut r = json!({"rule_id": format!("r{i}"), "priority": prios[i], "condition": c});
            if let Some(g) = groups[i] { r["mutex_group"] = json!(format!("g{g}")); }
            r
        }).collect();
        let doc = json!({ "rules": rules });
        let set = RuleSet::compile(read_rules(&doc).unwrap());
        let naive = NaiveRules::new(&doc);
        for f in &facts {
            let out = set.eval(f);
            prop_assert_eq!((out.matched, out.winners), naive.eval(f), "fact {}", f);
        }
    }

    #[test]
    fn never_and_always_are_sound(c in condition(), facts in prop::collection::vec(fact(), 1..8)) {
        prop_assume!(valid(&c));
        use trellis_rules::analysis::{satisfiability, Sat};
        match satisfiability(&cond(&c)) {
            Sat::Never => for f in &facts { prop_assert!(!reference::eval(&c, f), "claimed never: {} true on {}", c, f) },
            Sat::Always => for f in &facts { prop_assert!(reference::eval(&c, f), "claimed always: {} false on {}", c, f) },
            Sat::Maybe => {}
        }
    }
}
