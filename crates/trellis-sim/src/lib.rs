//! The sandbox simulator (`runtime.md`, `trellis simulate`): reads profiles and events (JSON
//! Lines), replays the events in timestamp order (ties: file order) through the engine on a
//! virtual clock, and writes the decision log and the report. Bad lines are reported with their
//! line number and skipped; a run never aborts on data.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::io::{BufRead, Write};
use trellis_engine::{
    event_line_ts, parse_event, parse_event_owned, parse_profile, Engine, Event, Options, Profile,
    Report,
};
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

/// Reads JSON Lines: each non-blank line goes to `parse` (with its text); a line it refuses is
/// skipped with its number and the reason.
pub fn read_lines<T>(
    name: &str,
    r: impl BufRead,
    parse: impl Fn(&str) -> Result<T, String>,
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
        match parse(&line) {
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

/// Parses a line as JSON, then with `f`.
fn json<T>(line: &str, f: impl Fn(&Value) -> Result<T, String>) -> Result<T, String> {
    serde_json::from_str::<Value>(line)
        .map_err(|e| format!("not valid JSON (column {}): {e}", e.column()))
        .and_then(|v| f(&v))
}

pub struct Input {
    pub profiles: Vec<Profile>,
    pub events: Events,
    pub skipped: Vec<Skipped>,
}

/// The events of a run. A file already in timestamp order (what `trellis sample` and a live
/// export write) is streamed from disk on replay; any other is loaded and sorted.
pub enum Events {
    Loaded(Vec<PendingEvent>),
    Sorted {
        path: std::path::PathBuf,
        first: Option<DateTime<Utc>>,
        last: Option<DateTime<Utc>>,
        count: usize,
    },
}

fn event_ts(line: &str) -> Result<DateTime<Utc>, String> {
    // The fast path reads three fields; the slow one gives the message (and takes lines the
    // fast path cannot read).
    match event_line_ts(line) {
        Some(ts) => Ok(ts),
        None => Ok(json(line, parse_event)?.ts),
    }
}

/// An event line that passed the checks of `semantics.md` ("Input lines"), kept as its text and
/// parsed in full only when it is replayed: a million parsed JSON maps held at once would cost
/// gigabytes, a million lines a tenth of that.
pub struct PendingEvent {
    pub ts: DateTime<Utc>,
    line: String,
}

impl PendingEvent {
    pub fn parse(&self) -> Option<Event> {
        serde_json::from_str::<Value>(&self.line)
            .ok()
            .and_then(|v| parse_event_owned(v).ok())
    }
}

/// Reads event lines, checking each as `parse_event` would; bad lines are skipped with the reason.
pub fn read_events(
    name: &str,
    r: impl BufRead,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<PendingEvent>, Error> {
    read_lines(
        name,
        r,
        |line| {
            Ok(PendingEvent {
                ts: event_ts(line)?,
                line: line.to_owned(),
            })
        },
        skipped,
    )
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
        |line| json(line, parse_profile),
        &mut skipped,
    )?;
    // First pass: check every line and whether the file is in timestamp order, keeping only
    // the timestamps.
    let name = events.display().to_string();
    let stamps = read_lines(&name, open(events)?, event_ts, &mut skipped)?;
    let events_v = if stamps.windows(2).all(|w| w[0] <= w[1]) {
        Events::Sorted {
            path: events.to_path_buf(),
            first: stamps.first().copied(),
            last: stamps.last().copied(),
            count: stamps.len(),
        }
    } else {
        Events::Loaded(read_events(&name, open(events)?, &mut Vec::new())?)
    };
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
    // Timestamp order, ties in file order (a stable sort), or the file as it stands.
    let (first, last, total, replay): (
        _,
        _,
        _,
        Box<dyn Iterator<Item = Result<PendingEvent, Error>>>,
    ) = match input.events {
        Events::Loaded(mut v) => {
            v.sort_by_key(|e| e.ts);
            (
                v.first().map(|e| e.ts),
                v.last().map(|e| e.ts),
                v.len(),
                Box::new(v.into_iter().map(Ok)),
            )
        }
        Events::Sorted {
            path,
            first,
            last,
            count,
        } => {
            let name = path.display().to_string();
            let file = std::fs::File::open(&path).map_err(|e| Error::Read {
                path: name.clone(),
                source: e,
            })?;
            let lines = std::io::BufReader::with_capacity(1 << 20, file)
                .lines()
                .filter_map(move |line| match line {
                    Err(e) => Some(Err(Error::Read {
                        path: name.clone(),
                        source: e,
                    })),
                    // Bad lines were reported by the first pass.
                    Ok(line) => event_ts(&line).ok().map(|ts| Ok(PendingEvent { ts, line })),
                });
            (first, last, count, Box::new(lines))
        }
    };
    let until = until.or(last);
    let start = first.or(until);
    if let Some(s) = start {
        engine.start(s);
    }
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
    for (i, pending) in replay.enumerate() {
        let pending = pending?;
        if until.is_some_and(|u| pending.ts > u) {
            engine.report.input.events += 1;
            continue;
        }
        let Some(ev) = pending.parse() else { continue };
        drop(pending);
        engine.handle(&ev);
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
