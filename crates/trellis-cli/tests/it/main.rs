//! The `trellis` binary as a user runs it: exit codes, output formats, rule evaluation.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn trellis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(args)
        .output()
        .expect("run trellis")
}

fn tmp(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trellis-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn validate_exit_codes() {
    let ok = trellis(&[
        "validate",
        root().join("samples/welcome.json").to_str().unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(
        serde_json::from_slice::<Value>(&ok.stdout).unwrap(),
        json!([])
    );

    let bad = trellis(&[
        "validate",
        root()
            .join("tests/data/validate/e_unreachable.json")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let diags: Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(diags[0]["code"], "E_UNREACHABLE");

    let warn = trellis(&[
        "validate",
        root()
            .join("tests/data/validate/w_budget_short.json")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(warn.status.code(), Some(0), "warnings alone exit 0");

    let not_json = trellis(&[
        "validate",
        root()
            .join("tests/data/validate/e_schema_not_json.json")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(
        not_json.status.code(),
        Some(1),
        "unparseable content is E_SCHEMA, exit 1"
    );

    let missing = trellis(&["validate", "/nonexistent/workspace.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
}

#[test]
fn validate_text_format_is_readable() {
    let out = trellis(&[
        "validate",
        "--format",
        "text",
        root()
            .join("tests/data/validate/e_dangling_edge_port.json")
            .to_str()
            .unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error[E_DANGLING_EDGE]"), "{text}");
    assert!(text.contains("edge #3"), "{text}");
    assert!(text.contains("1 error(s), 0 warning(s)"), "{text}");
}

#[test]
fn rules_eval_writes_one_line_per_fact() {
    let rules = tmp("rules.json", &json!({"rules": [
        {"rule_id": "new_user_coupon", "priority": 10, "mutex_group": "welcome",
         "condition": {"operator": "AND", "children": [
            {"field": "user.register_days", "operator": "lte", "value": 7},
            {"operator": "OR", "children": [
                {"field": "user.city", "operator": "in", "value": ["北京", "上海"]},
                {"field": "user.tags", "operator": "contains", "value": "high_value"}]},
            {"field": "cart.total_amount", "operator": "gte", "value": 300}]},
         "actions": [{"type": "coupon", "offer": "c30"}]},
        {"rule_id": "generic", "priority": 1, "mutex_group": "welcome",
         "condition": {"field": "cart.total_amount", "operator": "gte", "value": 100}},
        {"rule_id": "points", "priority": 5, "condition": {"field": "user.register_days", "operator": "exists", "value": true}}
    ]}).to_string());
    let facts = tmp("facts.jsonl", concat!(
        "{\"user\": {\"register_days\": 3, \"city\": \"上海\"}, \"cart\": {\"total_amount\": 399}}\n",
        "\n",
        "{\"user\": {\"register_days\": 30, \"city\": \"广州\"}, \"cart\": {\"total_amount\": 150}}\n",
        "not json\n",
        "{\"cart\": {\"total_amount\": 50}}\n"));
    let out_path = facts.with_file_name("out.jsonl");
    let out = trellis(&[
        "rules",
        "eval",
        rules.to_str().unwrap(),
        "--facts",
        facts.to_str().unwrap(),
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("evaluated 3 facts against 3 rules"),
        "{stderr}"
    );
    assert!(stderr.contains("line 4"), "{stderr}");
    let lines: Vec<Value> = std::fs::read_to_string(&out_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        json!({"matched": ["new_user_coupon", "points", "generic"], "winners": ["new_user_coupon", "points"]})
    );
    assert_eq!(
        lines[1],
        json!({"matched": ["points", "generic"], "winners": ["points", "generic"]})
    );
    assert!(lines[2]["error"].as_str().unwrap().starts_with("line 4"));
    assert_eq!(lines[3], json!({"matched": [], "winners": []}));
}

#[test]
fn rules_eval_reports_bad_rules_with_a_pointer() {
    let rules = tmp(
        "bad_rules.json",
        r#"{"rules": [{"rule_id": "a", "condition": {"field": "x", "operator": "in", "value": 3}}]}"#,
    );
    let facts = tmp("f.jsonl", "{}\n");
    let out = trellis(&[
        "rules",
        "eval",
        rules.to_str().unwrap(),
        "--facts",
        facts.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/rules/0/condition/value"));
}

#[test]
fn rules_explain_says_why_a_rule_missed() {
    let rules = tmp(
        "explain_rules.json",
        &json!({"rules": [
        {"rule_id": "vip", "condition": {"operator": "AND", "children": [
            {"field": "user.level", "operator": "gte", "value": 3},
            {"field": "user.city", "operator": "eq", "value": "北京"}]}}]})
        .to_string(),
    );
    let out = trellis(&[
        "rules",
        "explain",
        rules.to_str().unwrap(),
        "--fact",
        r#"{"user": {"level": 2, "city": "北京"}}"#,
        "--rule",
        "vip",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["matched"], false);
    assert_eq!(
        v[0]["condition"]["children"][0]["why"],
        "2 is not at least 3"
    );
    assert_eq!(v[0]["condition"]["children"][1]["result"], true);
}
mod ab;
mod attribution;
mod decide;
mod delivery;
mod hillstrom;
mod live;
mod openapi_props;
mod publish;
mod reads;
mod segments;
mod service;
mod snapshot;
mod trace;
mod uplift;
