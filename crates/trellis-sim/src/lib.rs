//! The sandbox simulator (`runtime.md`, `trellis simulate`): reads profiles and events (JSON
//! Lines), replays the events in timestamp order (ties: file order) through the engine on a
//! virtual clock, and writes the decision log and the report. Bad lines are reported with their
//! line number and skipped; a run never aborts on data.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::io::{BufRead, Write};
use trellis_engine::{parse_event, parse_profile, Engine, Event, Options, Profile, Report};
use trellis_model::Workspace;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the decision log: {0}")]
    Write(std::io::Error),
}

/// A line that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub file: String,
    pub line: usize,
    pub why: String,
}

/// Reads JSON Lines, parsing each non-blank line with `parse`.
pub fn read_lines<T>(
    name: &str,
    r: impl BufRead,
    parse: impl Fn(&Value) -> Result<T, String>,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|e| Error::Read {
            path: name.into(),
            source: e,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<Value>(&line)
            .map_err(|e| format!("not valid JSON (column {}): {e}", e.column()))
            .and_then(|v| parse(&v));
        match parsed {
            Ok(t) => out.push(t),
            Err(why) => skipped.push(Skipped {
                file: name.into(),
                line: i + 1,
                why,
            }),
        }
    }
    Ok(out)
}

pub struct Input {
    pub profiles: Vec<Profile>,
    pub events: Vec<Event>,
    pub skipped: Vec<Skipped>,
}

pub fn read_input(profiles: &std::path::Path, events: &std::path::Path) -> Result<Input, Error> {
    let open = |p: &std::path::Path| {
        std::fs::File::open(p)
            .map(std::io::BufReader::new)
            .map_err(|e| Error::Read {
                path: p.display().to_string(),
                source: e,
            })
    };
    let mut skipped = Vec::new();
    let profiles_v = read_lines(
        &profiles.display().to_string(),
        open(profiles)?,
        parse_profile,
        &mut skipped,
    )?;
    let events_v = read_lines(
        &events.display().to_string(),
        open(events)?,
        parse_event,
        &mut skipped,
    )?;
    Ok(Input {
        profiles: profiles_v,
        events: events_v,
        skipped,
    })
}

/// Runs a simulation. `log` receives one JSON object per line; `progress(done, total)` is called
/// now and then.
pub fn simulate(
    ws: Workspace,
    mut input: Input,
    until: Option<DateTime<Utc>>,
    mut log: Option<&mut dyn Write>,
    mut progress: impl FnMut(usize, usize),
) -> Result<Report, Error> {
    let mut engine = Engine::new(ws, Options { burn_by_day: true });
    let mut ids = std::collections::HashSet::new();
    for p in input.profiles.drain(..) {
        ids.insert(p.user_id.clone());
        engine.add_profile(p);
    }
    // Timestamp order, ties in file order (a stable sort).
    input.events.sort_by_key(|e| e.ts);
    let last = input.events.last().map(|e| e.ts);
    let until = until.or(last);
    let start = input.events.first().map(|e| e.ts).or(until);
    if let Some(s) = start {
        engine.start(s);
    }
    let total = input.events.len();
    let mut write = |engine: &mut Engine| -> Result<(), Error> {
        if let Some(w) = log.as_deref_mut() {
            for d in engine.drain() {
                serde_json::to_writer(&mut *w, &d).map_err(|e| Error::Write(e.into()))?;
                w.write_all(b"\n").map_err(Error::Write)?;
            }
        } else {
            engine.drain().for_each(drop);
        }
        Ok(())
    };
    for (i, ev) in input.events.iter().enumerate() {
        if until.is_some_and(|u| ev.ts > u) {
            engine.report.input.events += 1;
            continue;
        }
        engine.handle(ev);
        write(&mut engine)?;
        if i % 65_536 == 0 {
            progress(i, total);
        }
    }
    match until {
        Some(u) => engine.finish(u),
        None => engine.report.finish(),
    }
    write(&mut engine)?;
    progress(total, total);
    let mut report = engine.report.clone();
    report.input.users = ids.len() as u64;
    report.input.skipped_lines = input.skipped.len() as u64;
    Ok(report)
}
