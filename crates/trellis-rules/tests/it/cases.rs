use crate::{cond, data};
use serde_json::Value;
use trellis_rules::{explain_condition, reference, CompiledCondition, Rule, RuleSet};

#[test]
fn case_table() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(data("rules/cases.json")).unwrap()).unwrap();
    let fact = &doc["fact"];
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 60);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let expect = case["expect"].as_bool().unwrap();
        let c = cond(&case["condition"]);
        let compiled = CompiledCondition::new(&c).eval(fact);
        let naive = reference::eval(&case["condition"], fact);
        let explained = explain_condition(&c, fact).result();
        let set = RuleSet::compile(vec![Rule {
            id: "r".into(),
            priority: 0,
            mutex_group: None,
            condition: c,
            actions: None,
        }]);
        let in_set = set.eval(fact).matched == ["r"];
        for (how, got) in [
            ("compiled", compiled),
            ("reference", naive),
            ("explain", explained),
            ("rule set", in_set),
        ] {
            if got != expect {
                failures.push(format!("{name}: {how} gave {got}, expected {expect}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_operator_is_in_the_table() {
    let text = std::fs::read_to_string(data("rules/cases.json")).unwrap();
    for op in trellis_model::LeafOp::ALL {
        assert!(
            text.contains(&format!("\"operator\": \"{}\"", op.as_str())),
            "no case uses {}",
            op.as_str()
        );
    }
    for g in ["AND", "OR", "NOT"] {
        assert!(text.contains(&format!("\"operator\": \"{g}\"")));
    }
}

#[test]
fn explain_says_why() {
    let fact = serde_json::json!({"user": {"city": "北京", "level": 3}});
    let c = cond(&serde_json::json!({"operator": "AND", "children": [
        {"field": "user.city", "operator": "in", "value": ["上海"]},
        {"field": "user.level", "operator": "eq", "value": "3"},
        {"field": "user.age", "operator": "gt", "value": 18}
    ]}));
    let e = explain_condition(&c, &fact);
    assert!(!e.result());
    let v = serde_json::to_value(&e).unwrap();
    let whys: Vec<&str> = v["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["why"].as_str().unwrap())
        .collect();
    assert_eq!(whys[0], "\"北京\" is not in [\"上海\"]");
    assert!(
        whys[1].starts_with("type mismatch: user.level is a number"),
        "{}",
        whys[1]
    );
    assert_eq!(whys[2], "user.age is missing");
    assert_eq!(e.blockers().len(), 3);
}
