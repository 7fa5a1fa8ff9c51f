//! Data-driven simulation scenarios: each folder under `tests/data/sim/` holds a workspace,
//! profiles, events and `until`; the decision log and report must equal `expect.log.jsonl` and
//! `expect.report.json` (regenerate with `BLESS=1` and review the diff).

use serde_json::Value;
use std::path::{Path, PathBuf};

mod props;
mod random_ws;
mod samples;
mod snapshot;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sim")
}

pub fn run(dir: &Path) -> (Vec<u8>, Value) {
    let bytes = std::fs::read(dir.join("workspace.json")).unwrap();
    let (ws, diags) = trellis_graph::validate_bytes(&bytes);
    assert!(
        !diags.iter().any(|d| d.is_error()),
        "{}: {diags:?}",
        dir.display()
    );
    let until = std::fs::read_to_string(dir.join("until")).ok().map(|s| {
        chrono::DateTime::parse_from_rfc3339(s.trim())
            .unwrap()
            .with_timezone(&chrono::Utc)
    });
    let mut input =
        trellis_sim::read_input(&dir.join("profiles.jsonl"), &dir.join("events.jsonl")).unwrap();
    // Operator inputs (pause, resume, close), when the scenario has them.
    let controls = dir.join("inputs.jsonl");
    if controls.exists() {
        let mut skipped = Vec::new();
        input.controls = trellis_sim::read_controls(&controls, &mut skipped).unwrap();
        assert!(skipped.is_empty(), "{}: {skipped:?}", controls.display());
    }
    let mut log = Vec::new();
    let report =
        trellis_sim::simulate(ws.unwrap(), input, until, Some(&mut log), |_, _| {}).unwrap();
    (log, serde_json::to_value(report).unwrap())
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// The scenario's log and report equal its `expect.log.jsonl` and `expect.report.json` (with
/// `BLESS=1`, they are written instead).
fn matches_its_expectations(dir: &Path) {
    let (log, report) = run(dir);
    let (lp, rp) = (dir.join("expect.log.jsonl"), dir.join("expect.report.json"));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&lp, &log).unwrap();
        std::fs::write(&rp, serde_json::to_string_pretty(&report).unwrap() + "\n").unwrap();
        return;
    }
    let mut failures = Vec::new();
    let want_log = std::fs::read_to_string(&lp).unwrap_or_default();
    let got_log = String::from_utf8(log).unwrap();
    if want_log != got_log {
        let first = want_log
            .lines()
            .zip(got_log.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want_log.lines().count().min(got_log.lines().count()));
        failures.push(format!(
            "{}: log differs at line {}\n  want {}\n  got  {}",
            dir.display(),
            first + 1,
            want_log.lines().nth(first).unwrap_or("<end>"),
            got_log.lines().nth(first).unwrap_or("<end>")
        ));
    }
    // As text, exactly as blessed: serde_json's default float parsing can be one ulp off, so two
    // parsed reports could differ where the figures do not (or agree where they do not).
    let want_report = std::fs::read_to_string(&rp).unwrap_or_default();
    let got_report = serde_json::to_string_pretty(&report).unwrap() + "\n";
    if want_report != got_report {
        let first = want_report
            .lines()
            .zip(got_report.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want_report.lines().count().min(got_report.lines().count()));
        failures.push(format!(
            "{}: report differs at line {}\n  want {}\n  got  {}",
            dir.display(),
            first + 1,
            want_report.lines().nth(first).unwrap_or("<end>"),
            got_report.lines().nth(first).unwrap_or("<end>")
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn gives_byte_identical_logs(dir: &Path) {
    assert_eq!(run(dir).0, run(dir).0, "{}", dir.display());
}

/// A file in timestamp order is streamed; one out of order is loaded and sorted. Putting first
/// an event stamped after `until` (read, never processed) forces the second path on the same
/// data, which must give the same log.
fn streamed_and_loaded_replays_agree(dir: &Path) {
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let tmp = std::env::temp_dir().join(format!(
        "trellis-stream-{}-{}",
        std::process::id(),
        dir.file_name().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&tmp).unwrap();
    for f in ["workspace.json", "profiles.jsonl", "until"] {
        std::fs::copy(dir.join(f), tmp.join(f)).unwrap();
    }
    if dir.join("inputs.jsonl").exists() {
        std::fs::copy(dir.join("inputs.jsonl"), tmp.join("inputs.jsonl")).unwrap();
    }
    let late = "{\"user_id\": \"late\", \"type\": \"inert\", \"ts\": \"2099-01-01T00:00:00Z\"}";
    std::fs::write(tmp.join("events.jsonl"), format!("{late}\n{events}")).unwrap();
    let input =
        trellis_sim::read_input(&tmp.join("profiles.jsonl"), &tmp.join("events.jsonl")).unwrap();
    assert!(
        matches!(input.events, trellis_sim::Events::Loaded(_)),
        "{}",
        dir.display()
    );
    assert_eq!(run(&tmp).0, run(dir).0, "{}", dir.display());
}

/// One module of tests per scenario folder under `tests/data/sim/`, named after it;
/// [`every_scenario_is_listed`] fails when the folder and this list part.
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        const SCENARIOS: &[&str] = &[$(stringify!($name)),*];
        mod scenario {
            $(
                mod $name {
                    fn dir() -> std::path::PathBuf {
                        crate::root().join(stringify!($name))
                    }

                    #[test]
                    fn matches_its_expected_log_and_report() {
                        crate::matches_its_expectations(&dir());
                    }

                    #[test]
                    fn gives_byte_identical_logs() {
                        crate::gives_byte_identical_logs(&dir());
                    }

                    #[test]
                    fn streamed_and_loaded_replays_agree() {
                        crate::streamed_and_loaded_replays_agree(&dir());
                    }
                }
            )*
        }
    };
}

scenarios! {
    agg_count_windows,
    agg_first_last_distinct,
    agg_sum_avg_min_max,
    breaker_trip_reset,
    campaign_close,
    cart_wait_timeout,
    degrade_offers_touches,
    expiry_releases_budget,
    flow_and_triggers,
    freq_caps_edges,
    holdouts,
    mutex_priority,
    offer_refusals,
    pacing_even,
    pause_entries_and_all,
    quiet_hours_defer_midnight,
    schedule_dst,
    seg_conditions,
    seg_enter_exit,
    touch_suppress_and_first_touch,
    unsubscribe,
    uplift_gate,
    wechat_channels,
}

#[test]
fn every_scenario_is_listed() {
    let on_disk: Vec<String> = cases()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let unlisted: Vec<&String> = on_disk
        .iter()
        .filter(|n| !SCENARIOS.contains(&n.as_str()))
        .collect();
    let gone: Vec<&&str> = SCENARIOS
        .iter()
        .filter(|n| !on_disk.iter().any(|d| d == *n))
        .collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "tests/data/sim and `scenarios!` differ: add {unlisted:?}, remove {gone:?}"
    );
}

#[test]
fn bad_lines_are_skipped_with_their_line_numbers() {
    let dir = root().join("cart_wait_timeout");
    let input =
        trellis_sim::read_input(&dir.join("profiles.jsonl"), &dir.join("events.jsonl")).unwrap();
    let lines: Vec<usize> = input.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, [7, 9]);
    assert!(input.skipped[0].why.contains("not valid JSON"));
    assert!(input.skipped[1].why.contains("ts"));
    let (_, report) = run(&dir);
    assert_eq!(report["input"]["skipped_lines"], 2);
    assert_eq!(report["input"]["duplicates"], 1);
}

#[test]
fn the_scenarios_exercise_every_decision_kind_and_reason() {
    let mut seen = std::collections::HashSet::new();
    for dir in cases() {
        let (log, _) = run(&dir);
        for line in String::from_utf8(log).unwrap().lines() {
            let d: Value = serde_json::from_str(line).unwrap();
            let kind = d["kind"].as_str().unwrap().to_owned();
            seen.insert(match d.get("reason").and_then(Value::as_str) {
                Some(r) => format!("{kind}:{r}"),
                None => kind,
            });
        }
    }
    let want = [
        "journey.entered",
        "journey.skipped:mutex",
        "journey.skipped:re_entry",
        "journey.skipped:campaign_inactive",
        "journey.exited:completed",
        "journey.exited:goal",
        "journey.exited:max_duration",
        "offer.issued",
        "offer.rejected:budget",
        "offer.rejected:stock",
        "offer.rejected:per_user_limit",
        "offer.rejected:hourly_quota",
        "offer.rejected:campaign_inactive",
        "journey.skipped:paused",
        "offer.rejected:paused",
        "touch.suppressed:paused",
        "offer.redeemed",
        "offer.expired",
        "touch.sent",
        "touch.deferred",
        "touch.suppressed:freq_cap",
        "touch.suppressed:quiet_hours",
        "touch.suppressed:no_channel",
        "points.awarded",
        "profile.updated",
        "experiment.assigned",
        "conversion",
    ];
    let missing: Vec<&str> = want
        .iter()
        .copied()
        .filter(|w| !seen.contains(*w))
        .collect();
    assert!(missing.is_empty(), "no scenario produces {missing:?}");
}

#[test]
fn the_scenario_files_in_timestamp_order_stream() {
    let streamed = cases()
        .iter()
        .filter(|dir| {
            let input =
                trellis_sim::read_input(&dir.join("profiles.jsonl"), &dir.join("events.jsonl"))
                    .unwrap();
            matches!(input.events, trellis_sim::Events::Sorted { .. })
        })
        .count();
    assert!(
        streamed >= 4,
        "the scenario files in timestamp order should stream"
    );
}

/// Lines may end in CRLF, blank lines are passed over, and a bad line is named by its number in
/// the file; both files are read at once, and the profiles' skipped lines come first.
#[test]
fn input_lines_are_numbered_across_crlf_and_blank_lines() {
    let dir = std::env::temp_dir().join(format!("trellis-crlf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profiles = dir.join("profiles.jsonl");
    let events = dir.join("events.jsonl");
    std::fs::write(
        &profiles,
        "{\"user_id\":\"a\"}\r\n\r\nnot json\r\n{\"user_id\":\"b\"}",
    )
    .unwrap();
    std::fs::write(
        &events,
        concat!(
            "{\"event_id\":\"1\",\"user_id\":\"a\",\"type\":\"x\",\"ts\":\"2026-11-01T10:00:00Z\"}\r\n",
            "\n",
            "{\"event_id\":\"2\",\"user_id\":\"a\",\"type\":\"x\"}\r\n",
            "{\"event_id\":\"3\",\"user_id\":\"b\",\"type\":\"x\",\"ts\":\"2026-11-01T09:00:00Z\"}\n",
        ),
    )
    .unwrap();
    let input = trellis_sim::read_input(&profiles, &events).unwrap();
    let skipped: Vec<(String, usize)> = input
        .skipped
        .iter()
        .map(|s| {
            (
                Path::new(&s.file)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                s.line,
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            ("profiles.jsonl".to_owned(), 3),
            ("events.jsonl".to_owned(), 3)
        ]
    );
    assert_eq!(input.profiles.len(), 2);
    assert_eq!(input.events.len(), 2);
    // Out of timestamp order: loaded and sorted, not streamed.
    assert!(matches!(input.events, trellis_sim::Events::Loaded(_)));
    std::fs::remove_dir_all(&dir).unwrap();
}
