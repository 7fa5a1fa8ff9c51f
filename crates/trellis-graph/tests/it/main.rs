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

/// The names of these files without `.json`, in their order.
fn stems(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Fails naming the files a list of tests leaves out, and the names it lists that are gone.
fn assert_listed(what: &str, on_disk: &[String], listed: &[&str]) {
    let unlisted: Vec<&String> = on_disk
        .iter()
        .filter(|n| !listed.contains(&n.as_str()))
        .collect();
    let gone: Vec<&&str> = listed
        .iter()
        .filter(|n| !on_disk.iter().any(|d| d == *n))
        .collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "{what}: add {unlisted:?} to the list, remove {gone:?}"
    );
}

fn case_file(name: &str) -> PathBuf {
    root()
        .join("tests/data/validate")
        .join(format!("{name}.json"))
}

/// A document, read back from the JSON a save writes, is the same document; a file that is not
/// a workspace (not JSON, or refused by the reader) has nothing to keep and passes.
fn round_trips(p: &Path) {
    let Ok(original) = serde_json::from_slice::<Value>(&std::fs::read(p).unwrap()) else {
        return;
    };
    let Ok(ws) = Workspace::from_json(&original) else {
        return;
    };
    let saved = ws.to_json();
    assert_eq!(saved, original, "{} changed on a round trip", p.display());
    // And reading the saved form gives the same workspace.
    assert_eq!(Workspace::from_json(&saved).unwrap(), ws);
}

/// One module of tests per validation case (`tests/data/validate/NAME.json`), named after it;
/// [`every_validation_case_is_listed`] fails when the folder and this list part.
macro_rules! validation_cases {
    ($($name:ident),* $(,)?) => {
        const CASES: &[&str] = &[$(stringify!($name)),*];
        mod case {
            $(
                mod $name {
                    #[test]
                    fn matches_its_expectation() {
                        let p = super::super::case_file(stringify!($name));
                        if let Err(e) = super::super::check(&p, &p.with_extension("expect.json")) {
                            panic!("{e}");
                        }
                    }

                    #[test]
                    fn round_trips_losslessly() {
                        super::super::round_trips(&super::super::case_file(stringify!($name)));
                    }
                }
            )*
        }
    };
}

validation_cases! {
    e_bad_param_ago,
    e_bad_param_audience_field,
    e_bad_param_condition,
    e_bad_param_condition_in_not_array,
    e_bad_param_cron,
    e_bad_param_duration,
    e_bad_param_missing,
    e_bad_param_offer_no_campaign,
    e_bad_param_percents,
    e_bad_param_placement_fallback,
    e_bad_param_unknown_aggregate,
    e_bad_param_unknown_segment,
    e_dangling_edge_node,
    e_dangling_edge_port,
    e_duplicate_id_journeys,
    e_duplicate_id_nodes,
    e_duplicate_id_offers,
    e_instant_cycle,
    e_no_trigger,
    e_placement_wait,
    e_port_reused,
    e_schema_aggregate,
    e_schema_campaign_mismatch,
    e_schema_missing_budget_total,
    e_schema_not_json,
    e_schema_params_not_object,
    e_schema_segment,
    e_schema_unknown_schema,
    e_schema_wrong_type,
    e_trigger_input,
    e_unknown_node_type,
    e_unknown_offer,
    e_unreachable,
    single_journey_ok,
    w_always_true,
    w_budget_short,
    w_dead_branch,
    w_never_true,
    w_unconnected_port,
    w_unused_aggregate,
}

#[test]
fn every_validation_case_is_listed() {
    assert_listed(
        "tests/data/validate and `validation_cases!`",
        &stems(&cases()),
        CASES,
    );
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

fn sample_file(name: &str) -> PathBuf {
    root().join("samples").join(format!("{name}.json"))
}

/// One module of tests per bundled sample (`samples/NAME.json`); [`every_sample_is_listed`]
/// fails when the folder and this list part.
macro_rules! samples {
    ($($name:ident),* $(,)?) => {
        const SAMPLES: &[&str] = &[$(stringify!($name)),*];
        mod sample {
            $(
                mod $name {
                    #[test]
                    fn is_valid_and_clean() {
                        super::super::valid_and_clean(&super::super::sample_file(stringify!($name)));
                    }

                    #[test]
                    fn round_trips_losslessly() {
                        super::super::round_trips(&super::super::sample_file(stringify!($name)));
                    }
                }
            )*
        }
    };
}

samples! {
    activation,
    cart_recovery,
    vip_upgrade,
    welcome,
    winback,
}

fn valid_and_clean(p: &Path) {
    let (ws, diags) = validate_bytes(&std::fs::read(p).unwrap());
    assert!(
        diags.is_empty(),
        "{}: {:#?}",
        p.display(),
        diags.iter().map(|d| d.to_string()).collect::<Vec<_>>()
    );
    assert!(!ws.unwrap().journeys.is_empty());
}

#[test]
fn every_sample_is_listed() {
    let s = samples();
    assert!(
        s.len() >= 5,
        "expected at least five samples, found {}",
        s.len()
    );
    assert_listed("samples/ and `samples!`", &stems(&s), SAMPLES);
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
