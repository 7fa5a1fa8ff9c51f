//! `trellis uplift train|score|evaluate` as a user runs them: a small synthetic experiment end to
//! end, the hand-checked vector of trellis-uplift's tests, and refused input.

use super::*;

/// 600 rows: age (numeric), city (a/b/c), t, y. Treatment raises the visit rate in city `a`
/// only, so a model should rank city `a` first. A fixed LCG makes it the same every run.
fn experiment() -> String {
    let mut state: u64 = 42;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let mut csv = String::from("age,city,t,y\n");
    for _ in 0..600 {
        let age = 18 + next() % 50;
        let city = ["a", "b", "c"][(next() % 3) as usize];
        let t = next() % 2;
        let rate = 10 + if t == 1 && city == "a" { 40 } else { 0 };
        let y = u64::from(next() % 100 < rate);
        csv.push_str(&format!("{age},{city},{t},{y}\n"));
    }
    csv
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn train_score_evaluate_end_to_end() {
    let text = experiment();
    let data = tmp("uplift_data.csv", &text);
    let model = data.with_file_name("uplift_model.json");
    let scores = data.with_file_name("uplift_scores.csv");
    for learner in ["two_model", "class_transformation"] {
        let out = trellis(&[
            "uplift",
            "train",
            data.to_str().unwrap(),
            "--treatment",
            "t",
            "--outcome",
            "y",
            "--learner",
            learner,
            "--out",
            model.to_str().unwrap(),
        ]);
        let stdout = ok(&out);
        assert!(
            stdout.starts_with(&format!("trained {learner} on 600 rows")),
            "{stdout}"
        );
        assert!(stdout.contains("hold-out: qini "), "{stdout}");
        let m: Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
        assert_eq!(m["format"], "trellis.uplift/1");
        assert_eq!(m["learner"], learner);
        assert_eq!(m["features"][0]["name"], "age");
        assert_eq!(m["features"][1]["kind"], "categorical");
        assert_eq!(m["training"]["rows"], 600);
        assert!(m["metrics"]["qini"].as_f64().unwrap() > 0.1, "{m}");
    }

    // Score the rows (the t and y columns are ignored), then evaluate them.
    ok(&trellis(&[
        "uplift",
        "score",
        model.to_str().unwrap(),
        data.to_str().unwrap(),
        "--out",
        scores.to_str().unwrap(),
    ]));
    let score_text = std::fs::read_to_string(&scores).unwrap();
    let lines: Vec<&str> = score_text.lines().collect();
    assert_eq!(lines.len(), 601);
    assert_eq!(lines[0], "score");
    // Rows in input order: every city-a row scores above every city-b row.
    let rows: Vec<&str> = text.lines().skip(1).collect();
    let score = |i: usize| lines[i + 1].parse::<f64>().unwrap();
    let min_a = (0..600)
        .filter(|&i| rows[i].contains(",a,"))
        .map(score)
        .fold(f64::INFINITY, f64::min);
    let max_b = (0..600)
        .filter(|&i| rows[i].contains(",b,"))
        .map(score)
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(min_a > max_b, "{min_a} > {max_b}");

    let mut eval = String::from("y,t,score\n");
    for (i, row) in rows.iter().enumerate() {
        let f: Vec<&str> = row.split(',').collect();
        eval.push_str(&format!("{},{},{}\n", f[3], f[2], lines[i + 1]));
    }
    let eval = tmp("uplift_eval.csv", &eval);
    let v: Value = serde_json::from_str(&ok(&trellis(&[
        "uplift",
        "evaluate",
        eval.to_str().unwrap(),
        "--json",
    ])))
    .unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["qini", "auuc", "uplift_at_k", "k", "rows", "curve"]);
    assert!(v["qini"].as_f64().unwrap() > 0.1, "{v}");
    assert_eq!(v["k"], 0.3);
    assert_eq!(v["rows"], 600);
    let curve = v["curve"].as_array().unwrap();
    assert_eq!(curve.len(), 101);
    assert_eq!(curve[0], json!([0.0, 0.0]));
    assert_eq!(curve[100][0], 1.0);
}

/// trellis-uplift's tiny_no_ties vector (tests/it/metrics.rs derives it by hand): qini = −2/13,
/// auuc = −11/25, uplift@50% = −0.5.
#[test]
fn evaluate_prints_the_hand_checked_figures() {
    let scores = tmp(
        "uplift_tiny.csv",
        "y,t,score\n1,1,0.9\n0,1,0.8\n1,0,0.7\n0,0,0.6\n1,1,0.5\n0,0,0.4\n",
    );
    let v: Value = serde_json::from_str(&ok(&trellis(&[
        "uplift",
        "evaluate",
        scores.to_str().unwrap(),
        "--k",
        "0.5",
        "--json",
    ])))
    .unwrap();
    let close = |key: &str, expected: f64| {
        let a = v[key].as_f64().unwrap();
        assert!(
            (a - expected).abs() <= 1e-12,
            "{key}: {a} is not {expected}"
        );
    };
    close("qini", -2.0 / 13.0);
    close("auuc", -11.0 / 25.0);
    close("uplift_at_k", -0.5);
    // The Qini curve's points (0,0) (1,1) (2,1) (3,−1) (4,0) (5,0.5) (6,1), read at 50%: x = 3.
    assert_eq!(v["curve"][50], json!([0.5, -1.0]));

    let text = ok(&trellis(&[
        "uplift",
        "evaluate",
        scores.to_str().unwrap(),
        "--k",
        "0.5",
    ]));
    assert!(text.contains("qini         -0.153846"), "{text}");
    assert!(text.contains("uplift@50%   -0.500000"), "{text}");
    assert!(text.contains("Qini curve"), "{text}");
    assert!(
        text.contains("    100%         6        1.00        1.00"),
        "{text}"
    );
}

#[test]
fn bad_input_is_refused_with_line_and_column() {
    let data = tmp(
        "uplift_bad.csv",
        "age,city,t,y\n30,a,1,1\n40,b,0,0\n50,c,1,0\n60,a,2,1\n",
    );
    let out = trellis(&[
        "uplift",
        "train",
        data.to_str().unwrap(),
        "--treatment",
        "t",
        "--outcome",
        "y",
        "--out",
        data.with_file_name("never.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("uplift_bad.csv: line 5, column `t`: `2` is not 0 or 1"),
        "{stderr}"
    );
    assert!(!data.with_file_name("never.json").exists());

    // A model whose feature column is missing from the data to score.
    let good = tmp("uplift_good.csv", &experiment());
    let model = good.with_file_name("uplift_model2.json");
    ok(&trellis(&[
        "uplift",
        "train",
        good.to_str().unwrap(),
        "--treatment",
        "t",
        "--outcome",
        "y",
        "--features",
        "age,city",
        "--out",
        model.to_str().unwrap(),
    ]));
    let no_city = tmp("uplift_no_city.csv", "age,t\n30,1\n");
    let out = trellis(&[
        "uplift",
        "score",
        model.to_str().unwrap(),
        no_city.to_str().unwrap(),
        "--out",
        no_city.with_file_name("s.csv").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column `city` in the header"));

    // A score that is not a number; a missing `t` column; an impossible k; no such file.
    let bad_scores = tmp("uplift_bad_scores.csv", "y,t,score\n1,1,0.3\n0,0,high\n");
    let out = trellis(&["uplift", "evaluate", bad_scores.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("line 3, column `score`: `high` is not a finite number"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let no_t = tmp("uplift_no_t.csv", "y,score\n1,0.3\n");
    let out = trellis(&["uplift", "evaluate", no_t.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column `t`"));
    let out = trellis(&[
        "uplift",
        "evaluate",
        bad_scores.to_str().unwrap(),
        "--k",
        "1.5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = trellis(&["uplift", "evaluate", "/nonexistent/scores.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

/// `trellis simulate --uplift-model`: the scenario `uplift_gate`'s workspace without its gate;
/// the attached model scores every entry (`uplift.gated.entry`), nobody is gated (every entrant
/// gets the coupon), and a model the workspace lacks is refused by name.
#[test]
fn simulate_with_an_attached_model() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sim/uplift_gate");
    let mut ws: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("workspace.json")).unwrap()).unwrap();
    ws["journeys"][0]["nodes"] = serde_json::json!([
        {"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
        {"id": "o", "type": "action.offer", "params": {"offer": "c20"}}]);
    ws["journeys"][0]["edges"] = serde_json::json!([{"from": "t", "port": "out", "to": "o"}]);
    let path = crate::tmp("attach_ws.json", &ws.to_string());
    let report = crate::tmp("attach_report.json", "");
    let args = |model: &str| {
        vec![
            "simulate".to_owned(),
            path.display().to_string(),
            "--profiles".into(),
            dir.join("profiles.jsonl").display().to_string(),
            "--events".into(),
            dir.join("events.jsonl").display().to_string(),
            "--report".into(),
            report.display().to_string(),
            "--uplift-model".into(),
            model.into(),
            "--uplift-threshold".into(),
            "0.03".into(),
        ]
    };
    let a = args("visit_uplift");
    let out = crate::trellis(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let g = &r["uplift"]["gated"]["entry"];
    assert_eq!(g["reached"], 8, "{g}");
    assert_eq!(g["unscored"], 3, "{g}");
    assert_eq!(g["threshold"], 0.03);
    assert_eq!(r["offers"]["c20"]["issued"], 8, "nobody is gated");
    let a = args("nope");
    let out = crate::trellis(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"nope\""));
}
