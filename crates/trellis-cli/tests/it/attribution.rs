//! `trellis attribution` as a user runs it, on the table whose every figure is derived by hand in
//! crates/trellis-attribution/tests/it/hand.rs (Markov credits 3·RE/ΣRE = 51/67, 60/67, 90/67
//! with RE = 17/30, 2/3, 1; values rounded to cents with the exact-sum rule).

use crate::{tmp, trellis};
use serde_json::{json, Value};

const HAND: &str = "path,conversions,non_conversions,value\n\
                    A>B>C,1,1,30\n\
                    A>C,1,0,20\n\
                    B>B>C,1,1,10\n\
                    C,0,1,0\n\
                    A>B,0,1,0\n";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = trellis(&[&["attribution"], args].concat());
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn close(v: &Value, expected: f64) {
    let a = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((a - expected).abs() < 1e-9, "{a} is not {expected}");
}

#[test]
fn markov_json_has_credits_values_and_removal_effects() {
    let csv = tmp("attr_hand.csv", HAND);
    let (code, stdout, stderr) = run(&[csv.to_str().unwrap(), "--model", "markov", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["model", "channels", "removal_effect"]);
    assert_eq!(v["model"], "markov");
    for (c, conv, value) in [
        ("A", 51.0 / 67.0, "15.22"),
        ("B", 60.0 / 67.0, "17.91"),
        ("C", 90.0 / 67.0, "26.87"),
    ] {
        close(&v["channels"][c]["conversions"], conv);
        assert_eq!(v["channels"][c]["value"], value, "{c}");
    }
    close(&v["removal_effect"]["A"], 17.0 / 30.0);
    close(&v["removal_effect"]["B"], 2.0 / 3.0);
    close(&v["removal_effect"]["C"], 1.0);

    let (code, stdout, _) = run(&[csv.to_str().unwrap(), "--model", "u_shaped", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["model"], "u_shaped");
    assert!(v.get("removal_effect").is_none());
    close(&v["channels"]["A"]["conversions"], 0.9);
    assert_eq!(
        v["channels"]["C"],
        json!({"conversions": v["channels"]["C"]["conversions"], "value": "26"})
    );
    close(&v["channels"]["C"]["conversions"], 1.3);
}

#[test]
fn text_is_a_table_by_credit_with_its_caveat() {
    let csv = tmp("attr_hand_text.csv", HAND);
    let (code, stdout, _) = run(&[csv.to_str().unwrap(), "--model", "shapley"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("an analysis, not incrementality"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 conversions worth 60.00 over 5 paths and 3 channels"),
        "{stdout}"
    );
    // Shapley: C 4/3 first, then A and B 5/6 each (ties by value, then name).
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("channel"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["channel", "conversions", "share", "value"],
            vec!["C", "1.33", "44.4%", "26.66"],
            vec!["A", "0.83", "27.8%", "16.67"],
            vec!["B", "0.83", "27.8%", "16.67"],
            vec!["total", "3.00", "100.0%", "60.00"],
        ]
    );
    // The columns line up: every row is as wide as the header's.
    let widths: Vec<usize> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("channel"))
        .map(|l| l.chars().count())
        .collect();
    assert!(widths.iter().all(|w| *w == widths[0]), "{stdout}");
}

#[test]
fn all_models_side_by_side() {
    let csv = tmp("attr_hand_all.csv", HAND);
    let (code, stdout, _) = run(&[csv.to_str().unwrap(), "--model", "all", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let models: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        [
            "first",
            "last",
            "linear",
            "u_shaped",
            "time_decay",
            "markov",
            "shapley"
        ]
    );
    assert_eq!(v[0]["channels"]["A"]["value"], "50");
    assert_eq!(v[4]["channels"]["B"]["value"], "12.86");
    let (code, text, _) = run(&[csv.to_str().unwrap(), "--model", "all"]);
    assert_eq!(code, 0);
    let header = text.lines().find(|l| l.starts_with("conversions")).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        [
            "conversions",
            "first",
            "last",
            "linear",
            "u_shaped",
            "time_decay",
            "markov",
            "shapley"
        ]
    );
    // C leads overall (3 by last, 1.3 U-shaped, …); its linear credit 7/6.
    let c: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with('C'))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        c,
        ["C", "0.00", "3.00", "1.17", "1.30", "1.81", "1.34", "1.33"]
    );
}

#[test]
fn a_bad_file_names_the_line_and_column() {
    let csv = tmp(
        "attr_bad.csv",
        "path,conversions,non_conversions\nA>B,1,2\nA>>B,1,0\n",
    );
    let (code, stdout, stderr) = run(&[csv.to_str().unwrap(), "--model", "linear"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("attr_bad.csv: line 3, column 1 (`path`): touch 2 of the path is empty"),
        "{stderr}"
    );
    let csv = tmp("attr_no_col.csv", "path,conversions\nA,1\n");
    let (code, _, stderr) = run(&[csv.to_str().unwrap(), "--model", "first"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("line 1: the header has no column `non_conversions`"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["/nonexistent/paths.csv", "--model", "first"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");
    let (code, _, stderr) = run(&[csv.to_str().unwrap(), "--model", "nearest"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown model \"nearest\""), "{stderr}");
}

/// `--log`: the paths of a decision log. Two users: `a` is sent an sms, then a push, and
/// converts (100) a day later; `b` is issued a coupon and sent a push 8 days before converting
/// (50: outside the 7-day window, so that conversion has no path and its steps are one
/// non-converting path). Linear: sms and push share a's conversion, 0.5 and 50 each.
#[test]
fn a_decision_logs_paths() {
    let log = tmp(
        "attr_log.jsonl",
        &[
            json!({"seq": 1, "ts": "2026-11-01T10:00:00Z", "user_id": "a", "kind": "touch.sent", "channel": "sms"}),
            json!({"seq": 2, "ts": "2026-11-01T10:00:00Z", "user_id": "b", "kind": "offer.issued", "offer": "c30", "amount": "30"}),
            json!({"seq": 3, "ts": "2026-11-01T11:00:00Z", "user_id": "b", "kind": "touch.sent", "channel": "push"}),
            json!({"seq": 4, "ts": "2026-11-01T12:00:00Z", "user_id": "a", "kind": "touch.sent", "channel": "push"}),
            json!({"seq": 5, "ts": "2026-11-01T12:00:00Z", "user_id": "a", "kind": "journey.exited", "reason": "completed"}),
            json!({"seq": 6, "ts": "2026-11-02T12:00:00Z", "user_id": "a", "kind": "conversion", "revenue": "100"}),
            json!({"seq": 7, "ts": "2026-11-09T11:00:00Z", "user_id": "b", "kind": "conversion", "revenue": "50"}),
        ]
        .iter()
        .map(|v| format!("{v}\n"))
        .collect::<String>(),
    );
    let (code, stdout, stderr) = run(&[
        "--log",
        log.to_str().unwrap(),
        "--window",
        "7d",
        "--model",
        "linear",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    close(&v["channels"]["sms"]["conversions"], 0.5);
    close(&v["channels"]["push"]["conversions"], 0.5);
    assert_eq!(v["channels"]["sms"]["value"], "50");
    assert_eq!(v["channels"]["push"]["value"], "50");
    assert!(v["channels"]
        .get("offer:c30")
        .is_none_or(|c| c["conversions"] == 0.0));
    // A bad line is named.
    let bad = tmp(
        "attr_log_bad.jsonl",
        "{\"kind\": \"touch.sent\"}\nnot json\n",
    );
    let (code, _, stderr) = run(&[
        "--log",
        bad.to_str().unwrap(),
        "--window",
        "7d",
        "--model",
        "last",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("line 1"), "{stderr}");
    // --window is required with --log.
    let (code, _, _) = run(&["--log", log.to_str().unwrap(), "--model", "last"]);
    assert_ne!(code, 0);
}
