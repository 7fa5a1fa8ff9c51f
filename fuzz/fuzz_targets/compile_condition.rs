//! Any bytes as a condition: read, compile, evaluate (compiled, reference, rule set, explain) and
//! analyse. No panic, and every evaluator agrees.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use trellis_model::condition::{read_condition, FieldScope};
use trellis_rules::{analysis, explain_condition, reference, CompiledCondition, Rule, RuleSet};

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else { return };
    let mut errors = Vec::new();
    let Some(c) = read_condition(&v, FieldScope::Any, &mut errors) else {
        assert!(!errors.is_empty());
        return;
    };
    let facts = [
        json!({}),
        json!({"a": 1, "b": "北京", "c": [1, "x"], "d": {"e": true}, "n": null}),
        json!({"a": "1", "b": 2.5, "c": "xyz", "d": [0]}),
    ];
    let compiled = CompiledCondition::new(&c);
    let set = RuleSet::compile(vec![Rule { id: "r".into(), priority: 0, mutex_group: None, condition: c.clone(), actions: None }]);
    let sat = analysis::satisfiability(&c);
    for f in &facts {
        let want = reference::eval(&v, f);
        assert_eq!(compiled.eval(f), want);
        assert_eq!(set.eval(f).matched.len() == 1, want);
        assert_eq!(explain_condition(&c, f).result(), want);
        match sat {
            analysis::Sat::Never => assert!(!want),
            analysis::Sat::Always => assert!(want),
            analysis::Sat::Maybe => {}
        }
    }
});
