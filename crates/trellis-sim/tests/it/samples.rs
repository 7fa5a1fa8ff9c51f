//! Every bundled sample workspace simulates out of the box on generated sample data, and the
//! five together (one workspace) keep the money invariants.

use serde_json::Value;
use std::path::PathBuf;

fn samples() -> Vec<PathBuf> {
    let dir = crate::root().join("../../../samples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

/// Sample data in a folder of the test's own (tests run in parallel and replay streams the file).
fn data(test: &str) -> (PathBuf, trellis_sample::Written) {
    let dir =
        std::env::temp_dir().join(format!("trellis-sim-samples-{}-{test}", std::process::id()));
    let spec = trellis_sample::SampleSpec {
        users: 2_000,
        days: 21,
        seed: 7,
        start: trellis_sample::SampleSpec::default_start(),
        history_days: 90,
    };
    let w = trellis_sample::generate_to_dir(&spec, &dir).unwrap();
    (dir, w)
}

fn simulate(
    ws: trellis_model::Workspace,
    dir: &std::path::Path,
) -> (Vec<u8>, trellis_engine::Report) {
    let input =
        trellis_sim::read_input(&dir.join("profiles.jsonl"), &dir.join("events.jsonl")).unwrap();
    let mut log = Vec::new();
    let r = trellis_sim::simulate(ws, input, None, Some(&mut log), |_, _| {}).unwrap();
    (log, r)
}

/// The five samples as one workspace: offers, aggregates, segments, models and journeys, the
/// first sample's policy.
pub fn combined() -> Value {
    let mut all: Option<Value> = None;
    for p in samples() {
        let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        match &mut all {
            None => all = Some(v),
            Some(a) => {
                for key in ["offers", "aggregates", "segments", "models", "journeys"] {
                    let Some(extra) = v.get(key).and_then(Value::as_array).cloned() else {
                        continue;
                    };
                    let into = a
                        .as_object_mut()
                        .unwrap()
                        .entry(key)
                        .or_insert_with(|| Value::Array(Vec::new()));
                    into.as_array_mut().unwrap().extend(extra);
                }
            }
        }
    }
    all.unwrap()
}

/// A bundled sample simulates on generated sample data: somebody enters a journey, the log is
/// not empty, and every campaign stays within its budget and balances.
fn simulates_and_does_something(name: &str) {
    let p = crate::root()
        .join("../../../samples")
        .join(format!("{name}.json"));
    let (dir, w) = data(name);
    assert!(w.events > 10_000);
    let ws = trellis_model::Workspace::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    let (log, report) = simulate(ws, &dir);
    let entered: u64 = report.journeys.values().map(|j| j.entered).sum();
    assert!(entered > 0, "{}: nobody entered any journey", p.display());
    assert!(!log.is_empty());
    for (id, c) in &report.campaigns {
        assert!(
            c.reserved + c.spent <= c.budget,
            "{}: campaign {id} over budget",
            p.display()
        );
        assert_eq!(
            c.budget,
            c.remaining + c.reserved + c.spent,
            "{}: campaign {id} does not balance",
            p.display()
        );
    }
}

/// One test per bundled sample (`samples/NAME.json`), named after it;
/// [`every_sample_is_listed`] fails when the folder and this list part.
macro_rules! samples {
    ($($name:ident),* $(,)?) => {
        const SAMPLES: &[&str] = &[$(stringify!($name)),*];
        mod sample {
            $(
                mod $name {
                    #[test]
                    fn simulates_and_does_something() {
                        super::super::simulates_and_does_something(stringify!($name));
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

#[test]
fn every_sample_is_listed() {
    let on_disk: Vec<String> = samples()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let unlisted: Vec<&String> = on_disk
        .iter()
        .filter(|n| !SAMPLES.contains(&n.as_str()))
        .collect();
    let gone: Vec<&&str> = SAMPLES
        .iter()
        .filter(|n| !on_disk.iter().any(|d| d == *n))
        .collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "samples/ and `samples!` differ: add {unlisted:?}, remove {gone:?}"
    );
}

#[test]
fn the_five_samples_run_together() {
    let (dir, _) = data("together");
    let (ws, diags) = trellis_graph::validate_value(&combined());
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    let ws = ws.unwrap();
    let (log, report) = simulate(ws.clone(), &dir);
    assert_eq!(report.journeys.len(), ws.journeys.len());
    // Determinism, instance ids included.
    assert_eq!(simulate(ws, &dir).0, log);
    let mut ids = std::collections::HashSet::new();
    for line in log.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let d: Value = serde_json::from_slice(line).unwrap();
        if d["kind"] == "offer.issued" {
            assert!(
                ids.insert(d["instance"].as_str().unwrap().to_owned()),
                "instance issued twice: {d}"
            );
        }
    }
    assert!(!ids.is_empty());
}

/// A log that stops taking lines (a full disk, or the app cancelling a run) ends the run with
/// the writer's error, before the whole input is replayed.
#[test]
fn a_failing_log_stops_the_run_with_its_error() {
    struct Breaks(usize);
    impl std::io::Write for Breaks {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 < buf.len() {
                return Err(std::io::Error::other("the disk is full"));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let (dir, w) = data("breaks");
    let (ws, _) = trellis_graph::validate_value(&combined());
    let ws = ws.unwrap();
    let (full, _) = simulate(ws.clone(), &dir);
    assert!(
        full.len() > 2 << 20,
        "a log of {} bytes is too short",
        full.len()
    );
    let input =
        trellis_sim::read_input(&dir.join("profiles.jsonl"), &dir.join("events.jsonl")).unwrap();
    let mut log = Breaks(1 << 20);
    let mut seen = 0;
    let r = trellis_sim::simulate(ws, input, None, Some(&mut log), |done, _| seen = done);
    let err = r.expect_err("the run fails");
    assert!(err.to_string().contains("the disk is full"), "{err}");
    assert!(
        seen < w.events,
        "the run went on to the end ({seen} of {})",
        w.events
    );
}
