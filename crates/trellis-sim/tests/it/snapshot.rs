//! Engine snapshots: an engine written to a snapshot after any input, restored, and given the
//! rest of the inputs decides byte for byte what the engine that never stopped decides, ends
//! with the same report, and writes the same snapshot. Over every simulator scenario (cut at
//! several points) and over random workspaces, made with `Engine::new` or deployed (two
//! versions, a rollout, a rollback), as the service does.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;
use trellis_engine::{parse_event, parse_profile, Engine, Event, Options, Profile, PPM};

/// How an engine is set up before its events.
#[derive(Clone, Copy, Debug)]
enum Setup {
    New,
    Deployed,
}

fn make(ws: &trellis_model::Workspace, profiles: &[Profile], setup: Setup) -> Engine {
    let mut e = match setup {
        Setup::New => Engine::new(
            ws.clone(),
            Options {
                burn_by_day: true,
                ..Options::default()
            },
        ),
        Setup::Deployed => {
            let mut e = Engine::new(trellis_model::Workspace::default(), Options::default());
            e.track_timers();
            e.deploy(ws, 1, PPM);
            e
        }
    };
    for p in profiles {
        e.add_profile(p.clone());
    }
    e
}

fn lines(e: &mut Engine, out: &mut Vec<u8>) {
    for d in e.drain() {
        d.write_json(out);
        out.push(b'\n');
    }
}

/// What a run leaves: its log, its report, and its final snapshot.
fn run(
    ws: &trellis_model::Workspace,
    profiles: &[Profile],
    events: &[Event],
    until: chrono::DateTime<chrono::Utc>,
    setup: Setup,
    cut: Option<usize>,
    midway: &dyn Fn(&mut Engine, usize),
) -> (String, Value, Vec<u8>) {
    let mut e = make(ws, profiles, setup);
    let mut log = Vec::new();
    lines(&mut e, &mut log);
    for (i, ev) in events.iter().enumerate() {
        if cut == Some(i) {
            let mut snap = Vec::new();
            e.write_snapshot(&mut snap);
            e = Engine::restore_snapshot(&snap).expect("the snapshot restores");
        }
        midway(&mut e, i);
        e.handle(ev);
        lines(&mut e, &mut log);
    }
    e.finish(until);
    lines(&mut e, &mut log);
    let mut snap = Vec::new();
    e.write_snapshot(&mut snap);
    (
        String::from_utf8(log).unwrap(),
        serde_json::to_value(&e.report).unwrap(),
        snap,
    )
}

fn assert_same(name: &str, a: &(String, Value, Vec<u8>), b: &(String, Value, Vec<u8>)) {
    let (la, lb) = (
        a.0.lines().collect::<Vec<_>>(),
        b.0.lines().collect::<Vec<_>>(),
    );
    for (i, (x, y)) in la.iter().zip(&lb).enumerate() {
        assert_eq!(x, y, "{name}: decision line {i}");
    }
    assert_eq!(la.len(), lb.len(), "{name}: decisions");
    assert_eq!(a.1, b.1, "{name}: report");
    assert!(a.2 == b.2, "{name}: the final snapshots differ");
}

fn scenario(
    dir: &Path,
) -> (
    trellis_model::Workspace,
    Vec<Profile>,
    Vec<Event>,
    chrono::DateTime<chrono::Utc>,
) {
    let bytes = std::fs::read(dir.join("workspace.json")).unwrap();
    let (ws, _) = trellis_graph::validate_bytes(&bytes);
    let input =
        trellis_sim::read_input(&dir.join("profiles.jsonl"), &dir.join("events.jsonl")).unwrap();
    let file = std::fs::File::open(dir.join("events.jsonl")).unwrap();
    let mut events: Vec<Event> =
        trellis_sim::read_events("events", std::io::BufReader::new(file), &mut Vec::new())
            .unwrap()
            .iter()
            .filter_map(|p| p.parse())
            .collect();
    events.sort_by_key(|e| e.ts);
    let until = std::fs::read_to_string(dir.join("until"))
        .ok()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| events.last().unwrap().ts + chrono::Duration::days(1));
    events.retain(|e| e.ts <= until);
    (ws.unwrap(), input.profiles, events, until)
}

#[test]
fn a_restored_snapshot_goes_on_as_the_engine_that_never_stopped_on_every_scenario() {
    let mut dirs: Vec<_> = std::fs::read_dir(crate::root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 9);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (ws, profiles, events, until) = scenario(&dir);
        // The scenario's operator inputs (pause, resume, close), each applied before the first
        // event at or after its time, as the simulator does; so the controls in force are in
        // the snapshots cut after them.
        let controls = match dir.join("inputs.jsonl") {
            p if p.exists() => trellis_sim::read_controls(&p, &mut Vec::new()).unwrap(),
            _ => Vec::new(),
        };
        let midway = |e: &mut Engine, i: usize| {
            let before = i.checked_sub(1).map(|p| events[p].ts);
            for c in &controls {
                if before.is_none_or(|b| c.ts > b) && c.ts <= events[i].ts {
                    e.apply(&c.input, c.ts);
                }
            }
        };
        for setup in [Setup::New, Setup::Deployed] {
            let whole = run(&ws, &profiles, &events, until, setup, None, &midway);
            let n = events.len();
            for cut in [0, 1, n / 3, n / 2, (2 * n) / 3, n.saturating_sub(1)] {
                let cut_run = run(&ws, &profiles, &events, until, setup, Some(cut), &midway);
                assert_same(
                    &format!("{name} ({setup:?}) cut at {cut}"),
                    &whole,
                    &cut_run,
                );
            }
        }
    }
}

/// A restore refuses what it cannot honour, with a reason, and never panics.
#[test]
fn a_damaged_snapshot_is_refused_with_a_reason() {
    let mut e = Engine::new(trellis_model::Workspace::default(), Options::default());
    e.add_profile(parse_profile(&json!({"user_id": "u"})).unwrap());
    let mut snap = Vec::new();
    e.write_snapshot(&mut snap);
    let mut v: Value = serde_json::from_slice(&snap).unwrap();
    for (what, damage) in [
        ("format", json!(99)),
        ("users", json!([{"id": 5}])),
        (
            "counts",
            json!([{"entered": 1, "skipped": [], "exited": [], "nodes": []}]),
        ),
    ] {
        let mut bad = v.clone();
        bad[what] = damage;
        let e = Engine::restore_snapshot(&serde_json::to_vec(&bad).unwrap());
        assert!(e.is_err(), "{what}");
        assert!(e.err().unwrap().to_string().contains("cannot be restored"));
    }
    assert!(Engine::restore_snapshot(b"{").is_err());
    v["users"][0]["id"] = json!("u");
    assert!(Engine::restore_snapshot(&serde_json::to_vec(&v).unwrap()).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]
    #[test]
    fn a_restored_snapshot_goes_on_as_the_engine_that_never_stopped_on_random_workspaces(
        genes in prop::collection::vec(any::<u32>(), 64..256),
        events in prop::collection::vec((0u8..5, 0u8..5, 0u32..300), 1..60),
        cut in 0usize..60,
        deployed in any::<bool>(),
        redeploy_at in 0usize..60,
    ) {
        let mut g = crate::random_ws::Gene(&genes, 0);
        let doc = crate::random_ws::workspace(&mut g);
        let (ws, diags) = trellis_graph::validate_value(&doc);
        prop_assert!(!diags.iter().any(|d| d.is_error()), "{:?}", diags);
        let ws = ws.unwrap();
        let profiles: Vec<Profile> = (0..5).map(|u| parse_profile(&json!({"user_id": format!("u{u}"), "attrs": {"level": u % 4}, "contact": {"push": "t", "phone": if u % 2 == 0 { "1" } else { "" }}})).unwrap()).collect();
        let base = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap();
        let mut evs: Vec<Event> = events.iter().enumerate().map(|(i, (k, u, m))| {
            let kind = ["e1", "e2", "e3", "e4", "order_paid"][*k as usize];
            parse_event(&json!({"event_id": format!("x{i}"), "user_id": format!("u{u}"), "type": kind, "ts": (base + chrono::Duration::minutes(i64::from(*m))).to_rfc3339(), "props": {"amount": 100}})).unwrap()
        }).collect();
        evs.sort_by_key(|e| e.ts);
        let until = evs.last().unwrap().ts + chrono::Duration::hours(6);
        let setup = if deployed { Setup::Deployed } else { Setup::New };
        // Deployed: a second version at half the users partway, rolled back later.
        let ws2 = ws.clone();
        let midway = move |e: &mut Engine, i: usize| {
            if deployed && i == redeploy_at {
                e.deploy(&ws2, 2, PPM / 2);
            }
            if deployed && i == redeploy_at + 5 {
                let _ = e.rollback("j0");
            }
        };
        let whole = run(&ws, &profiles, &evs, until, setup, None, &midway);
        let cut_run = run(&ws, &profiles, &evs, until, setup, Some(cut.min(evs.len() - 1)), &midway);
        prop_assert_eq!(&whole.0, &cut_run.0);
        prop_assert_eq!(&whole.1, &cut_run.1);
        prop_assert!(whole.2 == cut_run.2, "the final snapshots differ");
    }
}
