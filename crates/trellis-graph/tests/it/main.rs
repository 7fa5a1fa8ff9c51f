//! Data-driven validation tests: every document under `tests/data/validate/` beside its expected
//! diagnostics (`NAME.expect.json`; regenerate with `BLESS=1` and review the diff), and the
//! bundled samples valid, clean and lossless on a round trip.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use trellis_graph::validate_bytes;
use trellis_model::{Code, Diagnostic, Workspace};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Diagnostics without their messages (those are for people and may be reworded).
fn shape(diags: &[Diagnostic]) -> Value {
    Value::Array(
        diags
            .iter()
            .map(|d| {
                let mut v = serde_json::to_value(d).unwrap();
                let m = v.as_object_mut().unwrap();
                assert!(
                    !m.remove("message").unwrap().as_str().unwrap().is_empty(),
                    "empty message in {d:?}"
                );
                v
            })
            .collect(),
    )
}

fn check(path: &Path, expect_path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).unwrap();
    let (_, diags) = validate_bytes(&bytes);
    let got = shape(&diags);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(
            expect_path,
            serde_json::to_string_pretty(&got).unwrap() + "\n",
        )
        .unwrap();
        return Ok(());
    }
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string(expect_path).map_err(|_| {
            format!(
                "{}: no {} (run with BLESS=1)",
                path.display(),
                expect_path.display()
            )
        })?)
        .unwrap();
    if got != want {
        return Err(format!(
            "{}:\n  want {}\n  got  {}\n  messages: {:#?}",
            path.display(),
            want,
            got,
            diags.iter().map(|d| d.to_string()).collect::<Vec<_>>()
        ));
    }
    Ok(())
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("tests/data/validate"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p.to_string_lossy().ends_with(".expect.json")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn validation_cases_match_their_expectations() {
    let failures: Vec<String> = cases()
        .iter()
        .filter_map(|p| check(p, &p.with_extension("expect.json")).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_code_of_the_spec_is_triggered_by_some_case() {
    let mut seen = std::collections::HashSet::new();
    for p in cases() {
        let (_, diags) = validate_bytes(&std::fs::read(&p).unwrap());
        seen.extend(diags.iter().map(|d| d.code));
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !seen.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "codes no case triggers: {missing:?}");
}

#[test]
fn a_file_that_is_not_utf8_is_e_schema_at_the_root() {
    let (ws, diags) = validate_bytes(b"{\"schema\": \"trellis/workspace@1\", \"x\": \"\xff\xfe\"}");
    assert!(ws.is_none());
    assert_eq!(
        shape(&diags),
        json!([{"severity": "error", "code": "E_SCHEMA", "path": ""}])
    );
    assert!(diags[0].message.contains("UTF-8"));
}

#[test]
fn every_error_of_a_broken_document_is_reported_at_once() {
    let doc = json!({"schema": "trellis/workspace@1",
        "offers": [{"id": "Bad Id", "kind": "voucher", "face_value": -1}],
        "policy": {"tz": "Mars/Olympus", "quiet_hours": {"start": "25:00", "end": "08:00"}},
        "journeys": [{"id": "j", "nodes": [
            {"id": "t", "type": "trigger.event", "params": {}},
            {"id": "w", "type": "wait.delay", "params": {"duration": "soon"}},
            {"id": "x", "type": "teleport", "params": {}}
        ], "edges": [{"from": "t", "port": "out", "to": "w"}, {"from": "w", "port": "out", "to": "nowhere"}, {"from": "t"}]}]});
    let (_, diags) = trellis_graph::validate_value(&doc);
    let got: Vec<(String, String)> = diags
        .iter()
        .map(|d| (d.code.to_string(), d.path.clone().unwrap_or_default()))
        .collect();
    let want = [
        ("E_SCHEMA", "/offers/0/id"),
        ("E_SCHEMA", "/offers/0/kind"),
        ("E_SCHEMA", "/offers/0/face_value"),
        ("E_SCHEMA", "/policy/quiet_hours/start"),
        ("E_SCHEMA", "/policy/tz"),
        ("E_BAD_PARAM", "/journeys/0/nodes/0/params/event"),
        ("E_BAD_PARAM", "/journeys/0/nodes/1/params/duration"),
        ("E_SCHEMA", "/journeys/0/edges/2/port"),
        ("E_SCHEMA", "/journeys/0/edges/2/to"),
        ("E_UNKNOWN_NODE_TYPE", "/journeys/0/nodes/2/type"),
        ("E_DANGLING_EDGE", "/journeys/0/edges/1/to"),
        ("E_UNREACHABLE", "/journeys/0/nodes/2"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want, "{diags:#?}");
}

fn samples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

#[test]
fn samples_are_valid_and_clean() {
    let s = samples();
    assert!(
        s.len() >= 5,
        "expected at least five samples, found {}",
        s.len()
    );
    for p in s {
        let (ws, diags) = validate_bytes(&std::fs::read(&p).unwrap());
        assert!(
            diags.is_empty(),
            "{}: {:#?}",
            p.display(),
            diags.iter().map(|d| d.to_string()).collect::<Vec<_>>()
        );
        assert!(!ws.unwrap().journeys.is_empty());
    }
}

#[test]
fn samples_and_cases_round_trip_losslessly() {
    for p in samples().into_iter().chain(cases()) {
        let Ok(original) = serde_json::from_slice::<Value>(&std::fs::read(&p).unwrap()) else {
            continue;
        };
        let Ok(ws) = Workspace::from_json(&original) else {
            continue;
        };
        let saved = ws.to_json();
        assert_eq!(saved, original, "{} changed on a round trip", p.display());
        // And reading the saved form gives the same workspace.
        assert_eq!(Workspace::from_json(&saved).unwrap(), ws);
    }
}

#[test]
fn unknown_fields_survive_a_save() {
    let doc = json!({"schema": "trellis/workspace@1", "x-canvas": {"zoom": 1.5},
        "offers": [{"id": "o", "kind": "cash", "face_value": "5", "x-color": "red"}],
        "journeys": [{"id": "j", "x-owner": "李雷", "campaign": {"id": "c", "budget": {"total": 10, "x-note": 1}},
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "e", "x-future": [1]}, "x-ui": true},
                      {"id": "n", "type": "action.holo", "params": {"beam": 3}}],
            "edges": [{"from": "t", "port": "out", "to": "n", "x-bend": [[1, 2]]}]}]});
    let ws = Workspace::from_json(&doc).unwrap();
    assert_eq!(ws.to_json(), doc);
}

#[test]
fn a_thousand_node_journey_validates_clean() {
    let doc = trellis_graph::synthetic::chain_workspace(1000);
    let (ws, diags) = trellis_graph::validate_value(&doc);
    assert_eq!(ws.unwrap().journeys[0].nodes.len(), 1000);
    assert!(diags.is_empty(), "{:?}", diags.first());
}
