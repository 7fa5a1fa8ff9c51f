use crate::{cond, data};
use serde_json::Value;
use trellis_rules::{explain_condition, reference, CompiledCondition, Rule, RuleSet};

/// The case table's name for a test: lower case, spaces as underscores (`NOT of missing leaf`
/// is `not_of_missing_leaf`).
fn test_name(case: &str) -> String {
    case.to_lowercase().replace(' ', "_")
}

fn table() -> Value {
    serde_json::from_str(&std::fs::read_to_string(data("rules/cases.json")).unwrap()).unwrap()
}

/// One case of `tests/data/rules/cases.json`, found by its test name: the compiled condition,
/// the reference interpreter, `explain` and a one-rule set must all give its `expect`.
fn check(test: &str) {
    let doc = table();
    let fact = &doc["fact"];
    let found: Vec<&Value> = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| test_name(c["name"].as_str().unwrap()) == test)
        .collect();
    let [case] = found[..] else {
        panic!(
            "{} cases are named {test} in cases.json, not one",
            found.len()
        );
    };
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
    let mut failures = Vec::new();
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
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One test per case of the table, named after it; [`the_list_names_every_case_of_the_table`]
/// fails when the table and this list part.
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        const LISTED: &[&str] = &[$(stringify!($name)),*];
        mod case {
            $(
                #[test]
                fn $name() {
                    super::check(stringify!($name));
                }
            )*
        }
    };
}

cases! {
    eq_string_chinese,
    eq_string_other,
    eq_number_int_vs_float,
    eq_bool,
    eq_type_mismatch_string_vs_number,
    ne_same_type,
    ne_equal,
    ne_type_mismatch_is_false,
    ne_missing_is_false,
    gt_number,
    gt_equal,
    gte_equal,
    lt,
    lte_equal,
    lte_below,
    gt_string_lexicographic,
    gt_number_vs_string_mismatch,
    in_chinese_list,
    in_absent,
    in_element_of_other_type_never_matches,
    in_only_other_types,
    in_empty_list,
    not_in,
    not_in_present,
    not_in_mixed_types_is_false,
    not_in_empty_list,
    not_in_missing,
    contains_array,
    contains_array_absent,
    contains_substring,
    contains_number_in_string_array,
    contains_on_number,
    starts_with,
    starts_with_no,
    starts_with_on_number,
    between_inclusive_low,
    between_inclusive_high,
    between_outside,
    between_strings,
    between_type_mismatch,
    exists_true_present,
    exists_true_missing,
    exists_false_missing,
    exists_null_counts_missing,
    exists_false_on_null,
    null_fact_eq_is_false,
    missing_fact_gt_false,
    not_of_missing_leaf_is_true,
    not_of_type_mismatch_is_true,
    field_to_field_gte,
    field_to_field_lt,
    field_to_field_missing_other,
    field_to_field_in_array_fact,
    field_to_field_type_mismatch,
    array_index_path,
    array_index_out_of_range,
    path_through_scalar,
    big_integers_compare_exactly,
    seeds_rule,
    seeds_rule_passing,
    nested_not_or,
    double_not,
    or_all_false,
    and_with_not_of_and,
    deep_nesting,
}

#[test]
fn the_list_names_every_case_of_the_table() {
    let doc = table();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 60);
    let mut in_table: Vec<String> = cases
        .iter()
        .map(|c| test_name(c["name"].as_str().unwrap()))
        .collect();
    in_table.sort();
    let before = in_table.len();
    in_table.dedup();
    assert_eq!(in_table.len(), before, "two cases share a test name");
    let mut listed: Vec<String> = LISTED.iter().map(|s| s.to_string()).collect();
    listed.sort();
    let unlisted: Vec<&String> = in_table.iter().filter(|n| !listed.contains(n)).collect();
    let gone: Vec<&String> = listed.iter().filter(|n| !in_table.contains(n)).collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "cases.json and the list in cases.rs differ: add {unlisted:?} to `cases!`, remove {gone:?}"
    );
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
