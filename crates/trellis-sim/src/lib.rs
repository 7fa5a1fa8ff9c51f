//! The sandbox simulator (`runtime.md`, `trellis simulate`): reads profiles and events (JSON
//! Lines), replays the events in timestamp order (ties: file order) through the engine on a
//! virtual clock, and writes the decision log and the report. Bad lines are reported with their
//! line number and skipped; a run never aborts on data.

pub mod import;

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::io::{BufRead, Write};
use trellis_engine::{
    event_line_ts, parse_event, parse_event_line, parse_profile, Engine, Event, Options, Profile,
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

impl Events {
    /// How many events there are to replay.
    pub fn len(&self) -> usize {
        match self {
            Events::Loaded(v) => v.len(),
            Events::Sorted { count, .. } => *count,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
        parse_event_line(&self.line).ok()
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

/// Events parsed ahead of the engine, per batch.
const BATCH: usize = 2048;

/// One replayed line: its time, and the event unless the line no longer parses.
type Parsed = (DateTime<Utc>, Option<Event>);

/// Runs a simulation. `log` receives one JSON object per line; `progress(done, total)` is called
/// now and then.
///
/// Three threads share the work: one reads and parses the events ahead of the engine, the
/// engine runs on the calling thread, and one writes the decision log behind it. Batches pass
/// between them in order, so the log is the same as a single thread would write.
pub fn simulate(
    ws: Workspace,
    mut input: Input,
    until: Option<DateTime<Utc>>,
    log: Option<&mut (dyn Write + Send)>,
    mut progress: impl FnMut(usize, usize),
) -> Result<Report, Error> {
    let mut engine = Engine::new(ws, Options { burn_by_day: true });
    engine.reserve(input.profiles.len(), input.events.len());
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
        Box<dyn Iterator<Item = Result<Parsed, Error>> + Send>,
    ) = match input.events {
        Events::Loaded(mut v) => {
            v.sort_by_key(|e| e.ts);
            (
                v.first().map(|e| e.ts),
                v.last().map(|e| e.ts),
                v.len(),
                Box::new(v.into_iter().map(|p| Ok((p.ts, p.parse())))),
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
                    Ok(line) => parse_event_line(&line).ok().map(|ev| Ok((ev.ts, Some(ev)))),
                });
            (first, last, count, Box::new(lines))
        }
    };
    let until = until.or(last);
    let start = first.or(until);
    if let Some(s) = start {
        engine.start(s);
    }
    std::thread::scope(|scope| -> Result<(), Error> {
        // Reader: parses batches of events ahead of the engine.
        let (ev_tx, ev_rx) = std::sync::mpsc::sync_channel::<Result<Vec<Parsed>, Error>>(8);
        // Replayed batches go back to the reader, which made them, to be freed there.
        let (used_tx, used_rx) = std::sync::mpsc::channel::<Vec<Parsed>>();
        scope.spawn(move || {
            let mut replay = replay;
            loop {
                let mut batch = match used_rx.try_recv() {
                    Ok(mut b) => {
                        b.clear();
                        b
                    }
                    Err(_) => Vec::with_capacity(BATCH),
                };
                for item in replay.by_ref() {
                    match item {
                        Ok(p) => batch.push(p),
                        Err(e) => {
                            let _ = ev_tx.send(Err(e));
                            return;
                        }
                    }
                    if batch.len() == BATCH {
                        break;
                    }
                }
                let done = batch.len() < BATCH;
                if ev_tx.send(Ok(batch)).is_err() || done {
                    return;
                }
            }
        });
        // Writer: the engine thread turns its decisions into lines (dropping each record where
        // it was made), and this thread writes the lines out, returning emptied buffers.
        let (log_tx, log_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
        let (spare_tx, spare_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let writer = log.map(|w| {
            scope.spawn(move || -> Result<(), Error> {
                for buf in log_rx {
                    w.write_all(&buf).map_err(Error::Write)?;
                    let _ = spare_tx.send(buf);
                }
                Ok(())
            })
        });
        let mut lines = Vec::with_capacity(1 << 20);
        // False once the writer has stopped (its error is returned below): the run stops too.
        let mut flush = |engine: &mut Engine, last: bool| -> bool {
            if writer.is_some() {
                for d in engine.drain() {
                    d.write_json(&mut lines);
                    lines.push(b'\n');
                }
                if lines.len() >= 1 << 19 || last {
                    let mut spare = spare_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(1 << 20));
                    spare.clear();
                    if log_tx.send(std::mem::replace(&mut lines, spare)).is_err() {
                        return false;
                    }
                }
            } else {
                engine.drain().for_each(drop);
            }
            true
        };
        let mut i = 0usize;
        let mut stopped = false;
        for batch in ev_rx {
            let batch = batch?;
            for (ts, ev) in &batch {
                if i % 65_536 == 0 {
                    progress(i, total);
                }
                i += 1;
                if until.is_some_and(|u| *ts > u) {
                    engine.report.input.events += 1;
                    continue;
                }
                let Some(ev) = ev else { continue };
                engine.handle(ev);
            }
            let _ = used_tx.send(batch);
            if !flush(&mut engine, false) {
                stopped = true;
                break;
            }
        }
        if !stopped {
            match until {
                Some(u) => engine.finish(u),
                None => engine.report.finish(),
            }
            flush(&mut engine, true);
        }
        drop(log_tx);
        match writer {
            Some(w) => w.join().unwrap_or_else(|_| {
                Err(Error::Write(std::io::Error::other(
                    "the log writer stopped unexpectedly",
                )))
            }),
            None => Ok(()),
        }
    })?;
    progress(total, total);
    let mut report = engine.report.clone();
    report.input.users = ids.len() as u64;
    report.input.skipped_lines = input.skipped.len() as u64;
    Ok(report)
}
