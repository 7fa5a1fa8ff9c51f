//! Hillstrom's e-mail experiment through the engine: `trellis sample --hillstrom` puts each of the
//! 64,000 customers in the arm the real experiment gave them, `trellis simulate` measures, and the
//! experiment report's figures are statsmodels' and scipy's on the same counts.
//!
//! The expected figures are those of `crates/trellis-stats/tests/it/hillstrom.rs`
//! (`scripts/stats_reference.py`), and for the split as configured (holdout 33.3333%, then 50/50)
//! `scripts/measure_reference.py`, which printed:
//!
//! ```text
//! // SRM against the configured split [0.333333, 0.3333335, 0.3333335]: chi2 = 0.20244923322471045, p = 0.9037300173114101
//! // users needed (both arms) for +10% at these sizes: nobs1 = 13761.053855460663, total = 27574.42374219384, ceil - (21306 + 21387) = -15118
//! ```

use super::*;

#[track_caller]
fn close(what: &str, actual: &Value, expected: f64) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {actual} is not a number"));
    assert!(
        (a - expected).abs() <= 1e-6 * expected.abs(),
        "{what}: {a} is not {expected} to 1e-6 relative"
    );
}

#[test]
fn the_experiment_report_reproduces_hillstroms_lift() {
    let dir = std::env::temp_dir().join(format!("trellis-hillstrom-{}", std::process::id()));
    let csv = root().join("tests/data/hillstrom/hillstrom.csv.gz");
    let out = trellis(&[
        "sample",
        "--hillstrom",
        csv.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let until = std::fs::read_to_string(dir.join("until")).unwrap();
    let report = dir.join("report.json");
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let out = trellis(&[
        "simulate",
        &p("workspace.json"),
        "--profiles",
        &p("profiles.jsonl"),
        "--events",
        &p("events.jsonl"),
        "--until",
        until.trim(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let x = &r["experiments"]["hillstrom_email"];
    assert_eq!(x["control"], "holdout");
    assert_eq!(x["window"], "14d");
    // The arms are Hillstrom's, customer for customer: No E-Mail, Womens, Mens.
    for (arm, users, visits) in [
        ("holdout", 21306, 2262),
        ("womens", 21387, 3238),
        ("mens", 21307, 3894),
    ] {
        assert_eq!(x["arms"][arm]["users"], users, "{arm}");
        assert_eq!(x["arms"][arm]["converters"], visits, "{arm}");
    }
    // Spend per customer, exact: 13908.33 and 23038.11 in the file.
    assert_eq!(x["arms"]["holdout"]["revenue"], "13908.33");
    assert_eq!(x["arms"]["womens"]["revenue"], "23038.11");

    let w = &x["vs_control"]["womens"]["conversion"];
    close("diff", &w["diff"], 0.045233106587052985);
    close("lift", &w["lift"], 0.42605507026691014);
    close("p_value", &w["p_value"], 3.1824031593349214e-44);
    close("ci_diff.lo", &w["ci_diff"][0], 0.03889382581264261);
    close("ci_diff.hi", &w["ci_diff"][1], 0.05157238736146336);
    close("ci_lift.lo", &w["ci_lift"][0], 0.35617122347245855);
    close("ci_lift.hi", &w["ci_lift"][1], 0.4995400493949955);
    close("power", &w["power"], 1.0);
    close("mde", &w["mde"], 0.008353716680847912);
    assert_eq!(w["users_needed"], 0, "these sizes already detect +10%");
    // Holm across Womens and Mens.
    close("womens p_holm", &w["p_value_holm"], 3.1824031593349214e-44);
    let m = &x["vs_control"]["mens"]["conversion"];
    close("mens lift", &m["lift"], 0.721404616781399);
    close("mens p_holm", &m["p_value_holm"], 1.1370330965604634e-111);
    // Spend per customer, Welch's t as scipy.
    let s = &x["vs_control"]["womens"]["revenue_per_user"];
    close("spend diff", &s["diff"], 0.4244122159365967);
    close("spend ci.lo", &s["ci_diff"][0], 0.1689567898837787);
    close("spend ci.hi", &s["ci_diff"][1], 0.6798676419894147);
    close("spend p", &s["p_value"], 0.0011293971023632495);
    close("spend df", &s["df"], 40064.88440653067);
    close(
        "incremental revenue",
        &x["vs_control"]["womens"]["incremental_revenue"]["value"],
        0.4244122159365967 * 21387.0,
    );
    assert!(
        x["vs_control"]["womens"]["incremental_roi"].is_null(),
        "an e-mail costs nothing here"
    );
    // The split as configured.
    close("srm chi2", &x["srm"]["chi2"], 0.20244923322471045);
    close("srm p", &x["srm"]["p_value"], 0.9037300173114101);
    assert_eq!(x["srm"]["mismatch"], false);
    // The journey's own measurement: everyone entered, no holdout of the journey itself.
    assert_eq!(
        r["incremental"]["hillstrom"]["arms"]["entered"]["users"],
        64000
    );
    std::fs::remove_dir_all(&dir).ok();
}
