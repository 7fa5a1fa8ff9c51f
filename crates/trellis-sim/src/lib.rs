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
    mut r: impl BufRead,
    mut parse: impl FnMut(&str) -> Result<T, String>,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    // One buffer for every line; a line ends at "\n" or "\r\n" (as `BufRead::lines` reads).
    let mut buf = String::new();
    let mut i = 0;
    loop {
        buf.clear();
        let n = r.read_line(&mut buf).map_err(|e| Error::Read {
            path: name.into(),
            source: e,
        })?;
        if n == 0 {
            break;
        }
        i += 1;
        let mut line = buf.as_str();
        if let Some(l) = line.strip_suffix('\n') {
            line = l.strip_suffix('\r').unwrap_or(l);
        }
        if line.trim().is_empty() {
            continue;
        }
        match parse(line) {
            Ok(t) => out.push(t),
            Err(why) => skipped.push(Skipped {
                file: name.into(),
                line: i,
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
    /// Operator inputs (pause, resume, close, degrade, reset_breaker) merged with the events by time: each applies
    /// before the events of its time and after the earlier ones (see [`read_controls`]).
    pub controls: Vec<Control>,
}

/// An operator input of a scenario (a line of its `inputs.jsonl`): `{"ts", "kind": "pause" | "degrade" | "reset_breaker" |
/// "resume" | "close", "body": {…}}`, the body as the service journals it
/// (docs/operations.md).
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub ts: DateTime<Utc>,
    pub input: trellis_engine::Input,
}

/// Reads one line of `inputs.jsonl`.
fn parse_control(v: &Value) -> Result<Control, String> {
    let ts = match v.get("ts") {
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("ts: {s:?} is not an RFC 3339 time: {e}"))?,
        _ => return Err("ts: an RFC 3339 time is required".into()),
    };
    let kind =
        match v.get("kind").and_then(Value::as_str) {
            Some(k @ ("pause" | "resume" | "close" | "degrade" | "reset_breaker")) => k,
            _ => return Err(
                "kind: must be \"pause\", \"resume\", \"close\", \"degrade\" or \"reset_breaker\""
                    .into(),
            ),
        };
    let body = v.get("body").cloned().unwrap_or(Value::Null);
    let input = trellis_engine::Input::from_value(kind, body)
        .map_err(|e| format!("body: {}", e.message))?;
    Ok(Control { ts, input })
}

/// Reads a scenario's operator inputs (JSON Lines, see [`Control`]), in time order (ties keep
/// file order); a bad line is skipped and reported with its number, as events are.
pub fn read_controls(
    path: &std::path::Path,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<Control>, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::Read {
        path: path.display().to_string(),
        source: e,
    })?;
    let mut v = read_lines(
        &path.display().to_string(),
        std::io::BufReader::new(file),
        |line| json(line, parse_control),
        skipped,
    )?;
    v.sort_by_key(|c| c.ts);
    Ok(v)
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
    let name = events.display().to_string();
    // The events' first pass (below) on a thread of its own while this one reads the profiles.
    let (profiles_v, first_pass) = std::thread::scope(|scope| {
        let first_pass = scope.spawn(|| -> Result<FirstPass, Error> {
            // Check every line, and whether the file is in timestamp order.
            let mut pass = FirstPass {
                sorted: true,
                ..FirstPass::default()
            };
            pass.count = read_lines(
                &name,
                open(events)?,
                |line| {
                    let ts = event_ts(line)?;
                    pass.sorted &= pass.last.is_none_or(|l| l <= ts);
                    pass.first.get_or_insert(ts);
                    pass.last = Some(ts);
                    Ok(())
                },
                &mut pass.skipped,
            )?
            .len();
            Ok(pass)
        });
        let mut skipped = Vec::new();
        let profiles_v = read_lines(
            &profiles.display().to_string(),
            open(profiles)?,
            |line| json(line, parse_profile),
            &mut skipped,
        );
        let first_pass = match first_pass.join() {
            Ok(p) => p,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        Ok::<_, Error>((profiles_v.map(|p| (p, skipped)), first_pass))
    })?;
    let (profiles_v, mut skipped) = profiles_v?;
    let first_pass = first_pass?;
    // Profiles' skipped lines first, then the events'.
    skipped.extend(first_pass.skipped);
    let events_v = if first_pass.sorted {
        Events::Sorted {
            path: events.to_path_buf(),
            first: first_pass.first,
            last: first_pass.last,
            count: first_pass.count,
        }
    } else {
        Events::Loaded(read_events(&name, open(events)?, &mut Vec::new())?)
    };
    Ok(Input {
        profiles: profiles_v,
        events: events_v,
        skipped,
        controls: Vec::new(),
    })
}

/// What the first pass over the events learns.
#[derive(Default)]
struct FirstPass {
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    count: usize,
    sorted: bool,
    skipped: Vec<Skipped>,
}

/// Events parsed ahead of the engine, per batch.
const BATCH: usize = 2048;

/// Bytes of log lines handed to the writer at a time (a few such buffers are in flight).
const LOG_BUFFER: usize = 256 << 10;

/// The engine thread's side of the log: the channel to the writer, and the buffers the writer
/// gives back.
struct LogLines {
    tx: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
}

impl LogLines {
    /// Hands the lines to the writer, leaving an empty buffer in their place; false when the
    /// writer has stopped.
    fn send(&mut self, lines: &mut Vec<u8>) -> bool {
        let Some(tx) = &self.tx else { return false };
        let mut next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(LOG_BUFFER + (64 << 10)));
        next.clear();
        if tx.send(std::mem::replace(lines, next)).is_err() {
            self.tx = None;
            return false;
        }
        true
    }
}

/// One replayed line: its time, and the event unless the line no longer parses.
type Parsed = (DateTime<Utc>, Option<Event>);

/// One line as the reader hands it to the engine.
enum Replay {
    /// An event to handle (its `event_id`, if any, is new), and its user's number in the
    /// engine (see `Engine::handle_new_at`).
    New(Event, usize),
    /// An event of a type that only moves the clock and brings its user (see
    /// `Engine::acting_kinds`): its time, its user's number and id.
    Passing(DateTime<Utc>, usize, String),
    /// An event whose `event_id` came before (counted, not handled).
    Duplicate,
    /// A line that no longer parses, or an event after `until` (counted only).
    Skip { counted: bool },
}

/// Runs a simulation. `log` receives one JSON object per line; `progress(done, total)` is called
/// now and then.
///
/// Three threads share the work: one reads and parses the events ahead of the engine, the
/// engine runs on the calling thread, and one writes the decision log behind it. Batches pass
/// between them in order, so the log is the same as a single thread would write.
pub fn simulate(
    ws: Workspace,
    input: Input,
    until: Option<DateTime<Utc>>,
    log: Option<&mut (dyn Write + Send)>,
    progress: impl FnMut(usize, usize),
) -> Result<Report, Error> {
    let options = Options {
        burn_by_day: true,
        ..Options::default()
    };
    simulate_with(ws, input, until, log, progress, options)
}

/// [`simulate`] with the engine's options (e.g. a model attached to the run:
/// `Options::attach_model`).
pub fn simulate_with(
    ws: Workspace,
    mut input: Input,
    until: Option<DateTime<Utc>>,
    log: Option<&mut (dyn Write + Send)>,
    mut progress: impl FnMut(usize, usize),
    options: Options,
) -> Result<Report, Error> {
    let mut engine = Engine::new(ws, options);
    // Event ids are deduplicated by the reader thread, ahead of the engine.
    engine.reserve(input.profiles.len(), 0);
    let events_total = input.events.len();
    for p in input.profiles.drain(..) {
        engine.add_profile(p);
    }
    // The users with a profile (a profile given twice replaces the first).
    let profile_users = engine.users_seen();
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
    let numbers: trellis_engine::fast::FastMap<Box<str>, usize> = engine
        .user_ids()
        .enumerate()
        .map(|(i, id)| (id.into(), i))
        .collect();
    let acting = engine.acting_kinds();
    std::thread::scope(|scope| -> Result<(), Error> {
        // Reader: parses batches of events ahead of the engine.
        // It also keeps the set of event ids seen, so the engine need not (`Engine::duplicate`).
        let (ev_tx, ev_rx) = std::sync::mpsc::sync_channel::<Result<Vec<Replay>, Error>>(4);
        // Replayed batches go back to the reader, which made them, to be freed there.
        let (used_tx, used_rx) = std::sync::mpsc::channel::<Vec<Replay>>();
        scope.spawn(move || {
            let mut replay = replay;
            let mut seen = trellis_engine::fast::IdSet::default();
            seen.reserve(events_total);
            // The engine's numbering of users, kept here so the engine need not look them up.
            let mut numbers = numbers;
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
                        Ok((ts, ev)) => batch.push(match ev {
                            _ if until.is_some_and(|u| ts > u) => Replay::Skip { counted: true },
                            None => Replay::Skip { counted: false },
                            Some(ev) => match &ev.event_id {
                                Some(id) if !seen.insert(id) => Replay::Duplicate,
                                _ => {
                                    let next = numbers.len();
                                    let u = match numbers.get(ev.user_id.as_str()) {
                                        Some(&u) => u,
                                        None => {
                                            numbers.insert(ev.user_id.as_str().into(), next);
                                            next
                                        }
                                    };
                                    if acting.contains(ev.kind.as_str()) {
                                        Replay::New(ev, u)
                                    } else {
                                        Replay::Passing(ev.ts, u, ev.user_id)
                                    }
                                }
                            },
                        }),
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
        let (log_tx, log_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
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
        // The engine thread writes decisions as lines as it makes them (a schedule tick makes
        // many at once) and hands full buffers to the writer, which gives them back emptied.
        if writer.is_some() {
            let mut out = LogLines {
                tx: Some(log_tx),
                spare: spare_rx,
            };
            engine.set_sink(LOG_BUFFER, Box::new(move |lines| out.send(lines)));
        } else {
            drop(log_tx);
        }
        let mut i = 0usize;
        let mut stopped = false;
        // Operator inputs, each applied before the first event at or after its time.
        let mut controls = std::mem::take(&mut input.controls).into_iter().peekable();
        let mut control_until = |engine: &mut Engine, t: Option<DateTime<Utc>>| {
            while let Some(c) = controls.next_if(|c| t.is_none_or(|t| c.ts <= t)) {
                engine.apply(&c.input, c.ts);
            }
        };
        for batch in ev_rx {
            let batch = batch?;
            for item in &batch {
                if i % 65_536 == 0 {
                    progress(i, total);
                }
                i += 1;
                match item {
                    Replay::New(ev, _) => control_until(&mut engine, Some(ev.ts)),
                    Replay::Passing(ts, ..) => control_until(&mut engine, Some(*ts)),
                    _ => {}
                }
                match item {
                    Replay::New(ev, u) => engine.handle_new_at(ev, *u),
                    Replay::Passing(ts, u, id) => engine.handle_passing_at(*ts, *u, id),
                    Replay::Duplicate => engine.duplicate(),
                    Replay::Skip { counted: true } => engine.report.input.events += 1,
                    Replay::Skip { counted: false } => {}
                }
            }
            let _ = used_tx.send(batch);
            // False once the writer has stopped (its error is returned below): the run stops
            // too.
            if !engine.flush() {
                stopped = true;
                break;
            }
            if writer.is_none() {
                engine.drain().for_each(drop);
            }
        }
        if !stopped {
            control_until(&mut engine, until);
            match until {
                Some(u) => engine.finish(u),
                None => engine.report.finish(),
            }
            if writer.is_none() {
                engine.drain().for_each(drop);
            }
        }
        // Taking the sink sends the last lines; dropping it closes the writer's channel.
        drop(engine.take_sink());
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
    report.input.users = profile_users as u64;
    report.input.skipped_lines = input.skipped.len() as u64;
    Ok(report)
}
