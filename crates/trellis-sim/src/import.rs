//! Importing sample data for a sandbox run (the desktop app's "Import" in the simulate view):
//! profiles and events from JSON Lines files in the formats of `runtime.md` (what
//! `trellis sample` writes) or from CSV files whose header row names the columns, mapped onto
//! the fields of a profile or an event.
//!
//! Unlike the simulator's own reader, which skips a bad line and goes on, an import is strict:
//! the first bad line stops it with an [`ImportError`] naming the file, the line and the field,
//! and [`build_dataset`] leaves the previous dataset as it was (nothing half-applied).

use serde_json::{Map, Number, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use trellis_model::scalar::kind_of;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Profiles,
    Events,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "profiles" => Some(Kind::Profiles),
            "events" => Some(Kind::Events),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Profiles => "profiles",
            Kind::Events => "events",
        }
    }

    /// The field paths a CSV column may map to (`attrs.NAME`, `props.NAME` and the like take
    /// any name after the dot).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Profiles => &["user_id", "attrs.", "contact.", "consent."],
            Kind::Events => &["event_id", "user_id", "type", "ts", "props."],
        }
    }
}

/// How a CSV cell becomes a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CellType {
    /// A number when it reads as one, `true`/`false` as booleans, anything else a string.
    #[default]
    Auto,
    String,
    Number,
    Boolean,
    /// The cell is JSON (an array of tags, an object).
    Json,
}

impl CellType {
    pub fn parse(s: &str) -> Option<CellType> {
        Some(match s {
            "" | "auto" => CellType::Auto,
            "string" => CellType::String,
            "number" => CellType::Number,
            "boolean" => CellType::Boolean,
            "json" => CellType::Json,
            _ => return None,
        })
    }
}

/// One CSV column onto one field path (`user_id`, `ts`, `attrs.city`, `props.amount`, ...).
/// An empty `field` leaves the column out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub column: String,
    pub field: String,
    pub ty: CellType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    /// A header row, then one record a row. `None`: each header names its field path itself.
    Csv(Option<Vec<ColumnMap>>),
}

impl Format {
    /// JSON Lines unless the file name ends in `.csv`.
    pub fn guess(path: &Path) -> Format {
        let csv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if csv {
            Format::Csv(None)
        } else {
            Format::Jsonl
        }
    }
}

/// Why an import stopped: the file, the line (1-based; 0 when the file could not be read at
/// all), the field or column when one is to blame, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}{}: {message}", line_part(*.line), field_part(.field))]
pub struct ImportError {
    pub file: String,
    pub line: usize,
    pub field: Option<String>,
    pub message: String,
}

fn line_part(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(", line {line}")
    }
}

fn field_part(field: &Option<String>) -> String {
    field
        .as_ref()
        .map(|f| format!(", field {f}"))
        .unwrap_or_default()
}

/// Progress of an import: `done` of `total` bytes read, `rows` records taken so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub rows: u64,
}

/// The message of an import stopped by its cancel flag.
pub const CANCELLED: &str = "the import was cancelled";

/// A reader that counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Checks one record as the engine will read it, strictly: the field to blame and why.
fn check(kind: Kind, v: &Value) -> Result<(), (Option<String>, String)> {
    let Value::Object(m) = v else {
        return Err((None, "a record must be a JSON object".into()));
    };
    let need_text = |k: &str| match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err((Some(k.to_owned()), format!("\"{k}\" is missing or empty")))
        }
        Some(other) => Err((
            Some(k.to_owned()),
            format!("\"{k}\" must be a string, not {}", kind_of(other)),
        )),
    };
    let maybe_object = |k: &str| match m.get(k) {
        None | Some(Value::Null) | Some(Value::Object(_)) => Ok(()),
        Some(other) => Err((
            Some(k.to_owned()),
            format!("\"{k}\" must be an object, not {}", kind_of(other)),
        )),
    };
    need_text("user_id")?;
    match kind {
        Kind::Profiles => {
            for k in ["attrs", "contact", "consent"] {
                maybe_object(k)?;
            }
            trellis_engine::parse_profile(v).map_err(|e| (None, e))?;
        }
        Kind::Events => {
            need_text("type")?;
            need_text("ts")?;
            match m.get("event_id") {
                None | Some(Value::Null) | Some(Value::String(_)) => {}
                Some(other) => {
                    return Err((
                        Some("event_id".into()),
                        format!("\"event_id\" must be a string, not {}", kind_of(other)),
                    ))
                }
            }
            maybe_object("props")?;
            let ts = m.get("ts").and_then(Value::as_str).unwrap_or_default();
            if let Err(e) = chrono::DateTime::parse_from_rfc3339(ts) {
                return Err((
                    Some("ts".into()),
                    format!("{ts:?} is not an RFC 3339 time (like 2026-11-01T10:00:00Z): {e}"),
                ));
            }
            trellis_engine::parse_event(v).map_err(|e| (None, e))?;
        }
    }
    Ok(())
}

/// Reads one file of `kind` in `format` and writes its records to `out` as JSON Lines in the
/// formats of `runtime.md`. Strict: the first bad record is an error naming its line and field.
/// `progress` gets the count of records taken now and then; `cancel` stops it.
pub fn import_into(
    kind: Kind,
    file: &str,
    r: impl BufRead,
    format: &Format,
    out: &mut impl Write,
    mut progress: impl FnMut(u64),
    cancel: &AtomicBool,
) -> Result<u64, ImportError> {
    let err = |line: usize, field: Option<String>, message: String| ImportError {
        file: file.to_owned(),
        line,
        field,
        message,
    };
    let write_err = |e: std::io::Error| err(0, None, format!("cannot write the dataset: {e}"));
    let mut rows = 0u64;
    match format {
        Format::Jsonl => {
            for (i, line) in r.lines().enumerate() {
                let n = i + 1;
                let line = line.map_err(|e| err(n, None, format!("cannot read: {e}")))?;
                let text = line.trim().trim_start_matches('\u{feff}');
                if text.is_empty() {
                    continue;
                }
                let v: Value = serde_json::from_str(text).map_err(|e| {
                    err(
                        n,
                        None,
                        format!("not valid JSON (column {}): {e}", e.column()),
                    )
                })?;
                check(kind, &v).map_err(|(f, m)| err(n, f, m))?;
                out.write_all(text.as_bytes()).map_err(write_err)?;
                out.write_all(b"\n").map_err(write_err)?;
                rows += 1;
                if rows % 4096 == 0 {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(err(n, None, CANCELLED.into()));
                    }
                    progress(rows);
                }
            }
        }
        Format::Csv(mapping) => {
            let mut rd = CsvReader::new(r);
            let Some((_, header)) = rd.record().map_err(|(n, m)| err(n, None, m))? else {
                return Err(err(
                    1,
                    None,
                    "the file is empty (a CSV file needs a header row)".into(),
                ));
            };
            let header: Vec<String> = header
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
                .collect();
            let plan = plan(kind, &header, mapping.as_deref()).map_err(|(f, m)| err(1, f, m))?;
            while let Some((n, cells)) = rd.record().map_err(|(n, m)| err(n, None, m))? {
                if cells.len() == 1 && cells[0].trim().is_empty() {
                    continue;
                }
                if cells.len() != header.len() {
                    return Err(err(
                        n,
                        None,
                        format!(
                            "{} columns where the header has {}",
                            cells.len(),
                            header.len()
                        ),
                    ));
                }
                let mut rec = Map::new();
                for (col, field, ty) in &plan {
                    let cell = cells[*col].trim();
                    if cell.is_empty() {
                        continue;
                    }
                    let blame = || format!("{} (column {} \"{}\")", field, col + 1, header[*col]);
                    let v =
                        cell_value(kind, field, *ty, cell).map_err(|m| err(n, Some(blame()), m))?;
                    set_path(&mut rec, field, v);
                }
                let v = Value::Object(rec);
                check(kind, &v).map_err(|(f, m)| {
                    // Name the column the field came from, when one did.
                    let f = f.map(|f| match plan.iter().find(|(_, p, _)| *p == f) {
                        Some((c, _, _)) => format!("{f} (column {} \"{}\")", c + 1, header[*c]),
                        None => format!("{f} (no column maps to it)"),
                    });
                    err(n, f, m)
                })?;
                serde_json::to_writer(&mut *out, &v)
                    .map_err(|e| write_err(std::io::Error::other(e)))?;
                out.write_all(b"\n").map_err(write_err)?;
                rows += 1;
                if rows % 4096 == 0 {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(err(n, None, CANCELLED.into()));
                    }
                    progress(rows);
                }
            }
        }
    }
    progress(rows);
    Ok(rows)
}

/// Per mapped column: its index, the field path it fills and how its cells read.
type Plan = Vec<(usize, String, CellType)>;

/// Which column goes to which field, checked against the kind's fields.
fn plan(
    kind: Kind,
    header: &[String],
    mapping: Option<&[ColumnMap]>,
) -> Result<Plan, (Option<String>, String)> {
    let known = |f: &str| {
        kind.fields().iter().any(|k| match k.strip_suffix('.') {
            Some(prefix) => f
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|name| !name.is_empty()),
            None => f == *k,
        })
    };
    let mut seen = std::collections::HashSet::new();
    for (i, h) in header.iter().enumerate() {
        if !seen.insert(h.as_str()) {
            return Err((
                Some(format!("column {} \"{h}\"", i + 1)),
                "the header names this column twice".into(),
            ));
        }
    }
    let pairs: Vec<(String, String, CellType)> = match mapping {
        None => header
            .iter()
            .map(|h| (h.clone(), h.clone(), CellType::Auto))
            .collect(),
        Some(m) => m
            .iter()
            .filter(|c| !c.field.trim().is_empty())
            .map(|c| (c.column.clone(), c.field.trim().to_owned(), c.ty))
            .collect(),
    };
    let mut out = Vec::new();
    let mut fields = std::collections::HashSet::new();
    for (column, field, ty) in pairs {
        let Some(i) = header.iter().position(|h| *h == column) else {
            return Err((
                Some(format!("column \"{column}\"")),
                format!("the mapping names column \"{column}\", which the header does not have"),
            ));
        };
        if !known(&field) {
            let fields: Vec<String> = kind
                .fields()
                .iter()
                .map(|f| match f.strip_suffix('.') {
                    Some(p) => format!("{p}.NAME"),
                    None => (*f).to_owned(),
                })
                .collect();
            return Err((
                Some(format!("column {} \"{column}\"", i + 1)),
                format!(
                    "\"{field}\" is not a field of {}; use one of {}",
                    kind.as_str(),
                    fields.join(", ")
                ),
            ));
        }
        if !fields.insert(field.clone()) {
            return Err((
                Some(format!("column {} \"{column}\"", i + 1)),
                format!("two columns map to {field}"),
            ));
        }
        out.push((i, field, ty));
    }
    Ok(out)
}

fn cell_value(kind: Kind, field: &str, ty: CellType, cell: &str) -> Result<Value, String> {
    // The fields whose type the format fixes.
    let fixed = match (kind, field) {
        (_, "user_id" | "event_id" | "type" | "ts") => Some(CellType::String),
        (Kind::Profiles, f) if f.starts_with("contact.") => Some(CellType::String),
        (Kind::Profiles, f) if f.starts_with("consent.") => Some(CellType::Boolean),
        _ => None,
    };
    let ty = match (fixed, ty) {
        (Some(f), CellType::Auto) => f,
        (Some(f), t) if t != f => {
            return Err(format!(
                "{field} is always a {}",
                match f {
                    CellType::Boolean => "boolean",
                    _ => "string",
                }
            ))
        }
        (_, t) => t,
    };
    match ty {
        CellType::String => Ok(Value::String(cell.to_owned())),
        CellType::Number => number(cell).ok_or_else(|| format!("{cell:?} is not a number")),
        CellType::Boolean => boolean(cell)
            .map(Value::Bool)
            .ok_or_else(|| format!("{cell:?} is not a boolean (true/false, yes/no, 1/0)")),
        CellType::Json => {
            serde_json::from_str(cell).map_err(|e| format!("{cell:?} is not valid JSON: {e}"))
        }
        CellType::Auto => Ok(number(cell)
            .or_else(|| match cell {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            })
            .unwrap_or_else(|| Value::String(cell.to_owned()))),
    }
}

fn number(cell: &str) -> Option<Value> {
    // Leading zeros (a postcode "0571") and a leading '+' (a phone number) stay strings.
    let digits = cell.trim_start_matches('-');
    if cell.starts_with('+')
        || (digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0."))
    {
        return None;
    }
    if let Ok(i) = cell.parse::<i64>() {
        return Some(Value::Number(i.into()));
    }
    cell.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(Number::from_f64)
        .map(Value::Number)
}

fn boolean(cell: &str) -> Option<bool> {
    match cell.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "y" => Some(true),
        "false" | "no" | "0" | "n" => Some(false),
        _ => None,
    }
}

fn set_path(rec: &mut Map<String, Value>, field: &str, v: Value) {
    match field.split_once('.') {
        None => {
            rec.insert(field.to_owned(), v);
        }
        Some((head, rest)) => {
            let inner = rec
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = inner {
                m.insert(rest.to_owned(), v);
            }
        }
    }
}

/// A CSV record: the line it starts on, and its cells.
pub type Row = (usize, Vec<String>);

/// An RFC 4180 reader that tracks the line each record starts on (quoted cells may hold line
/// breaks, `""` is a quote, CRLF or LF).
pub struct CsvReader<R> {
    r: R,
    line: usize,
    buf: String,
}

impl<R: BufRead> CsvReader<R> {
    pub fn new(r: R) -> Self {
        CsvReader {
            r,
            line: 0,
            buf: String::new(),
        }
    }

    /// The next record and the line it starts on, or None at the end.
    pub fn record(&mut self) -> Result<Option<Row>, (usize, String)> {
        let start = self.line + 1;
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut quoted = false;
        let mut any = false;
        loop {
            self.buf.clear();
            let n = self
                .r
                .read_line(&mut self.buf)
                .map_err(|e| (self.line + 1, format!("cannot read: {e}")))?;
            if n == 0 {
                if quoted {
                    return Err((start, "a quoted cell is never closed".into()));
                }
                if !any {
                    return Ok(None);
                }
                cells.push(std::mem::take(&mut cell));
                return Ok(Some((start, cells)));
            }
            any = true;
            self.line += 1;
            let text = self.buf.as_str();
            let mut chars = text.chars().peekable();
            // The cell's opening quote is only a quote at the start of the cell.
            let mut at_cell_start = cell.is_empty() && !quoted;
            while let Some(c) = chars.next() {
                if quoted {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            cell.push('"');
                        } else {
                            quoted = false;
                        }
                    } else {
                        cell.push(c);
                    }
                    continue;
                }
                match c {
                    '"' if at_cell_start => {
                        quoted = true;
                        at_cell_start = false;
                    }
                    '"' => {
                        return Err((
                            self.line,
                            format!(
                                "a quote inside the unquoted cell {} (quote the whole cell and double the quote)",
                                cells.len() + 1
                            ),
                        ))
                    }
                    ',' => {
                        cells.push(std::mem::take(&mut cell));
                        at_cell_start = true;
                    }
                    '\r' if chars.peek() == Some(&'\n') => {}
                    '\n' => {
                        cells.push(std::mem::take(&mut cell));
                        return Ok(Some((start, cells)));
                    }
                    c => {
                        cell.push(c);
                        at_cell_start = false;
                    }
                }
            }
            if !quoted {
                // The last line, with no line break after it.
                cells.push(std::mem::take(&mut cell));
                return Ok(Some((start, cells)));
            }
        }
    }
}

/// The first lines of a file, for the import form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Guessed from the name.
    pub format: Format,
    /// The header row (CSV; empty for JSON Lines).
    pub header: Vec<String>,
    /// Up to the rows asked for: the cells (CSV) or the line alone (JSON Lines).
    pub rows: Vec<Vec<String>>,
}

/// What the first lines of a file look like, for the import form.
pub fn preview(path: &Path, rows: usize) -> Result<Preview, ImportError> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| ImportError {
        file: file.clone(),
        line: 0,
        field: None,
        message: format!("cannot open: {e}"),
    })?;
    let format = Format::guess(path);
    let mut r = BufReader::new(f.take(1 << 20));
    match format {
        Format::Jsonl => {
            let mut out = Vec::new();
            let mut line = String::new();
            while out.len() < rows {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if !line.trim().is_empty() {
                    out.push(vec![line.trim().to_owned()]);
                }
            }
            Ok(Preview {
                format,
                header: Vec::new(),
                rows: out,
            })
        }
        Format::Csv(_) => {
            let mut rd = CsvReader::new(r);
            let bad = |(line, message): (usize, String)| ImportError {
                file: file.clone(),
                line,
                field: None,
                message,
            };
            let header = rd
                .record()
                .map_err(bad)?
                .map(|(_, h)| {
                    h.iter()
                        .map(|c| c.trim().trim_start_matches('\u{feff}').to_owned())
                        .collect()
                })
                .unwrap_or_default();
            let mut out = Vec::new();
            while out.len() < rows {
                match rd.record().map_err(bad)? {
                    Some((_, cells)) => out.push(cells),
                    None => break,
                }
            }
            Ok(Preview {
                format,
                header,
                rows: out,
            })
        }
    }
}

/// One file to import.
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: Kind,
    pub format: Format,
    pub data: SourceData,
}

#[derive(Debug, Clone)]
pub enum SourceData {
    /// A file on disk.
    Path(PathBuf),
    /// Text already in memory (records pulled from an engine), under a name for errors.
    Text { name: String, text: String },
}

impl Source {
    fn name(&self) -> String {
        match &self.data {
            SourceData::Path(p) => p.display().to_string(),
            SourceData::Text { name, .. } => name.clone(),
        }
    }
}

/// What a dataset holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetInfo {
    pub profiles: u64,
    pub events: u64,
    /// Per source: its name, kind and record count.
    pub files: Vec<(String, Kind, u64)>,
}

/// Builds the dataset in `dir` (`profiles.jsonl`, `events.jsonl`) from `sources`, all or nothing:
/// it is written into a new folder beside `dir` and moved into place only once every source has
/// been read without error, so a bad line anywhere leaves the previous dataset untouched.
/// `progress` gets the bytes read of all sources together.
pub fn build_dataset(
    sources: &[Source],
    dir: &Path,
    mut progress: impl FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<DatasetInfo, ImportError> {
    let io = |file: &str, message: String| ImportError {
        file: file.to_owned(),
        line: 0,
        field: None,
        message,
    };
    let total: u64 = sources
        .iter()
        .map(|s| match &s.data {
            SourceData::Path(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            SourceData::Text { text, .. } => text.len() as u64,
        })
        .sum();
    let parent = dir.parent().unwrap_or(Path::new("."));
    let stem = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dataset".into());
    std::fs::create_dir_all(parent)
        .map_err(|e| io(&parent.display().to_string(), e.to_string()))?;
    let tmp = parent.join(format!(
        ".{stem}.new-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let result = (|| -> Result<DatasetInfo, ImportError> {
        std::fs::create_dir_all(&tmp).map_err(|e| io(&tmp.display().to_string(), e.to_string()))?;
        let create = |name: &str| {
            let p = tmp.join(name);
            std::fs::File::create(&p)
                .map(|f| std::io::BufWriter::with_capacity(1 << 20, f))
                .map_err(|e| io(&p.display().to_string(), e.to_string()))
        };
        let mut profiles = create("profiles.jsonl")?;
        let mut events = create("events.jsonl")?;
        let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut info = DatasetInfo {
            profiles: 0,
            events: 0,
            files: Vec::new(),
        };
        let mut last = (0u64, std::time::Instant::now());
        for s in sources {
            let name = s.name();
            let inner: Box<dyn Read> = match &s.data {
                SourceData::Path(p) => Box::new(
                    std::fs::File::open(p).map_err(|e| io(&name, format!("cannot open: {e}")))?,
                ),
                SourceData::Text { text, .. } => {
                    Box::new(std::io::Cursor::new(text.clone().into_bytes()))
                }
            };
            let r = BufReader::with_capacity(
                1 << 20,
                Counting {
                    inner,
                    read: read.clone(),
                },
            );
            let before = info.profiles + info.events;
            let mut report = |rows: u64| {
                let done = read.load(Ordering::Relaxed);
                // At most about ten reports a second.
                if last.1.elapsed() >= std::time::Duration::from_millis(100) || done == total {
                    last = (done, std::time::Instant::now());
                    progress(Progress {
                        done,
                        total,
                        rows: before + rows,
                    });
                }
            };
            let n = match s.kind {
                Kind::Profiles => import_into(
                    s.kind,
                    &name,
                    r,
                    &s.format,
                    &mut profiles,
                    &mut report,
                    cancel,
                )?,
                Kind::Events => import_into(
                    s.kind,
                    &name,
                    r,
                    &s.format,
                    &mut events,
                    &mut report,
                    cancel,
                )?,
            };
            match s.kind {
                Kind::Profiles => info.profiles += n,
                Kind::Events => info.events += n,
            }
            info.files.push((name, s.kind, n));
        }
        for (w, name) in [
            (&mut profiles, "profiles.jsonl"),
            (&mut events, "events.jsonl"),
        ] {
            w.flush()
                .map_err(|e| io(name, format!("cannot write: {e}")))?;
        }
        if cancel.load(Ordering::Relaxed) {
            return Err(io("", CANCELLED.into()));
        }
        progress(Progress {
            done: total,
            total,
            rows: info.profiles + info.events,
        });
        Ok(info)
    })();
    match result {
        Ok(info) => {
            // The old dataset goes aside first, so a failed move can put it back.
            let old = parent.join(format!(".{stem}.old-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&old);
            let had = dir.exists();
            if had {
                std::fs::rename(dir, &old)
                    .map_err(|e| io(&dir.display().to_string(), e.to_string()))?;
            }
            if let Err(e) = std::fs::rename(&tmp, dir) {
                if had {
                    let _ = std::fs::rename(&old, dir);
                }
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(io(&dir.display().to_string(), e.to_string()));
            }
            let _ = std::fs::remove_dir_all(&old);
            Ok(info)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}

/// Counts the records of a dataset built by [`build_dataset`] (non-blank lines per file).
pub fn dataset_counts(dir: &Path) -> Option<(u64, u64)> {
    let count = |name: &str| -> Option<u64> {
        let f = std::fs::File::open(dir.join(name)).ok()?;
        let mut n = 0u64;
        for line in BufReader::new(f).lines() {
            if !line.ok()?.trim().is_empty() {
                n += 1;
            }
        }
        Some(n)
    };
    Some((count("profiles.jsonl")?, count("events.jsonl")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: Kind, format: Format, text: &str) -> Result<Vec<Value>, ImportError> {
        let mut out = Vec::new();
        import_into(
            kind,
            "f",
            text.as_bytes(),
            &format,
            &mut out,
            |_| {},
            &AtomicBool::new(false),
        )?;
        Ok(String::from_utf8(out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
            .collect())
    }

    fn fails(kind: Kind, format: Format, text: &str) -> ImportError {
        match run(kind, format, text) {
            Err(e) => e,
            Ok(v) => panic!("imported {v:?}"),
        }
    }

    #[test]
    fn jsonl_events_and_profiles_in_the_runtime_format_import() {
        let ev = "{\"event_id\":\"e1\",\"user_id\":\"u1\",\"type\":\"add_to_cart\",\"ts\":\"2026-11-01T10:00:00Z\",\"props\":{\"amount\":299.0}}\n\n\
                  {\"user_id\":\"u2\",\"type\":\"login\",\"ts\":\"2026-11-01T11:00:00+08:00\"}\n";
        let v = run(Kind::Events, Format::Jsonl, ev).unwrap_or_default();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0]["props"]["amount"], 299.0);
        let pr = "{\"user_id\":\"u1\",\"attrs\":{\"city\":\"北京\"},\"consent\":{\"sms\":false}}\n";
        assert_eq!(
            run(Kind::Profiles, Format::Jsonl, pr).map(|v| v.len()),
            Ok(1)
        );
    }

    #[test]
    fn a_bad_jsonl_line_names_its_line_and_field() {
        let ok = "{\"user_id\":\"u1\",\"type\":\"a\",\"ts\":\"2026-11-01T10:00:00Z\"}\n";
        let e = fails(
            Kind::Events,
            Format::Jsonl,
            &format!("{ok}{ok}{{\"user_id\":\"u1\",\"type\":\"a\",\"ts\":\"yesterday\"}}\n"),
        );
        assert_eq!((e.line, e.field.as_deref()), (3, Some("ts")));
        assert!(e.to_string().starts_with("f, line 3, field ts: "), "{e}");
        let e = fails(
            Kind::Events,
            Format::Jsonl,
            &format!("{ok}\n{{\"user_id\":7,\"type\":\"a\",\"ts\":\"2026-11-01T10:00:00Z\"}}\n"),
        );
        assert_eq!((e.line, e.field.as_deref()), (3, Some("user_id")));
        let e = fails(
            Kind::Events,
            Format::Jsonl,
            &format!("{ok}{{\"user_id\": \n"),
        );
        assert_eq!((e.line, e.field.clone()), (2, None));
        assert!(e.message.contains("not valid JSON"), "{e}");
        let e = fails(
            Kind::Profiles,
            Format::Jsonl,
            "{\"user_id\":\"u1\",\"attrs\":[1]}\n",
        );
        assert_eq!((e.line, e.field.as_deref()), (1, Some("attrs")));
        let e = fails(
            Kind::Events,
            Format::Jsonl,
            "{\"user_id\":\"u1\",\"ts\":\"2026-11-01T10:00:00Z\"}\n",
        );
        assert_eq!((e.line, e.field.as_deref()), (1, Some("type")));
    }

    #[test]
    fn csv_columns_map_onto_fields_with_types() {
        let csv = "user_id,type,ts,amount,category,coupon\r\n\
                   u1,add_to_cart,2026-11-01T10:00:00Z,299.5,\"electronics, phones\",\n\
                   u2,order,2026-11-02T10:00:00Z,12,\"say \"\"hi\"\"\nthere\",C1\n";
        let map = |c: &str, f: &str, ty: CellType| ColumnMap {
            column: c.into(),
            field: f.into(),
            ty,
        };
        let mapping = vec![
            map("user_id", "user_id", CellType::Auto),
            map("type", "type", CellType::Auto),
            map("ts", "ts", CellType::Auto),
            map("amount", "props.amount", CellType::Number),
            map("category", "props.category", CellType::Auto),
            map("coupon", "props.coupon", CellType::String),
        ];
        let v = run(Kind::Events, Format::Csv(Some(mapping)), csv).unwrap_or_default();
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(v[0]["props"]["amount"], 299.5);
        assert_eq!(v[0]["props"]["category"], "electronics, phones");
        assert!(
            v[0]["props"].get("coupon").is_none(),
            "an empty cell is left out"
        );
        assert_eq!(v[1]["props"]["amount"], 12);
        assert_eq!(v[1]["props"]["category"], "say \"hi\"\nthere");
        assert_eq!(v[1]["props"]["coupon"], "C1");
        // Without a mapping the header names the field paths.
        let csv = "user_id,attrs.city,attrs.level,attrs.tags,contact.phone,consent.sms\n\
                   u1,成都,3,\"[\"\"vip\"\"]\",+8613800000000,no\n";
        let v = run(Kind::Profiles, Format::Csv(None), csv).unwrap_or_default();
        assert_eq!(v[0]["attrs"]["city"], "成都");
        assert_eq!(v[0]["attrs"]["level"], 3);
        assert_eq!(
            v[0]["attrs"]["tags"], "[\"vip\"]",
            "auto leaves JSON text a string"
        );
        assert_eq!(v[0]["contact"]["phone"], "+8613800000000");
        assert_eq!(v[0]["consent"]["sms"], false);
    }

    #[test]
    fn a_bad_csv_row_names_its_line_and_column() {
        let head = "user_id,type,ts,props.amount\n";
        let e = fails(
            Kind::Events,
            Format::Csv(Some(vec![
                ColumnMap {
                    column: "user_id".into(),
                    field: "user_id".into(),
                    ty: CellType::Auto,
                },
                ColumnMap {
                    column: "type".into(),
                    field: "type".into(),
                    ty: CellType::Auto,
                },
                ColumnMap {
                    column: "ts".into(),
                    field: "ts".into(),
                    ty: CellType::Auto,
                },
                ColumnMap {
                    column: "props.amount".into(),
                    field: "props.amount".into(),
                    ty: CellType::Number,
                },
            ])),
            &format!("{head}u1,a,2026-11-01T10:00:00Z,1\nu1,a,2026-11-01T10:00:00Z,lots\n"),
        );
        assert_eq!(e.line, 3);
        assert_eq!(
            e.field.as_deref(),
            Some("props.amount (column 4 \"props.amount\")")
        );
        let e = fails(
            Kind::Events,
            Format::Csv(None),
            &format!("{head}u1,a,2026-13-01,1\n"),
        );
        assert_eq!(
            (e.line, e.field.as_deref()),
            (2, Some("ts (column 3 \"ts\")"))
        );
        let e = fails(Kind::Events, Format::Csv(None), &format!("{head}u1,a\n"));
        assert_eq!(e.line, 2);
        assert!(
            e.message.contains("2 columns where the header has 4"),
            "{e}"
        );
        let e = fails(Kind::Events, Format::Csv(None), "user_id,kind,ts\n");
        assert_eq!((e.line, e.field.as_deref()), (1, Some("column 2 \"kind\"")));
        let e = fails(
            Kind::Events,
            Format::Csv(None),
            &format!("{head}u1,a,\"2026-11-01T10:00:00Z,1\n"),
        );
        assert_eq!(e.line, 2);
        assert!(e.message.contains("never closed"), "{e}");
        let e = fails(
            Kind::Events,
            Format::Csv(None),
            "user_id,ts,props.x\nu1,2026-11-01T10:00:00Z,1\n",
        );
        assert_eq!(
            (e.line, e.field.as_deref()),
            (2, Some("type (no column maps to it)"))
        );
        let e = fails(
            Kind::Profiles,
            Format::Csv(None),
            "user_id,consent.sms\nu1,maybe\n",
        );
        assert_eq!(
            (e.line, e.field.as_deref()),
            (2, Some("consent.sms (column 2 \"consent.sms\")"))
        );
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "trellis-import-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let _ = std::fs::create_dir_all(&d);
        d
    }

    #[test]
    fn a_bad_line_leaves_the_previous_dataset_as_it_was() {
        let d = scratch("dataset");
        let ev = d.join("events.jsonl");
        let pr = d.join("profiles.csv");
        let good =
            "{\"user_id\":\"u1\",\"type\":\"a\",\"ts\":\"2026-11-01T10:00:00Z\"}\n".repeat(10);
        std::fs::write(&ev, &good).unwrap_or(());
        std::fs::write(&pr, "user_id,attrs.city\nu1,成都\nu2,北京\n").unwrap_or(());
        let sources = vec![
            Source {
                kind: Kind::Profiles,
                format: Format::guess(&pr),
                data: SourceData::Path(pr.clone()),
            },
            Source {
                kind: Kind::Events,
                format: Format::guess(&ev),
                data: SourceData::Path(ev.clone()),
            },
        ];
        let out = d.join("data");
        let mut seen = Vec::new();
        let info = build_dataset(&sources, &out, |p| seen.push(p), &AtomicBool::new(false));
        assert_eq!(info.as_ref().map(|i| (i.profiles, i.events)), Ok((2, 10)));
        assert_eq!(dataset_counts(&out), Some((2, 10)));
        let last = seen.last().copied();
        assert!(
            last.is_some_and(|p| p.done == p.total && p.total > 0 && p.rows == 12),
            "{seen:?}"
        );
        // Now the events file gains a bad line 11: the import fails naming it, and the dataset
        // on disk is still the first one.
        std::fs::write(
            &ev,
            format!("{good}{{\"user_id\":\"u1\",\"type\":\"a\"}}\n"),
        )
        .unwrap_or(());
        let e = build_dataset(&sources, &out, |_| {}, &AtomicBool::new(false));
        let e = e.err();
        assert_eq!(
            e.as_ref().map(|e| (e.line, e.field.as_deref())),
            Some((11, Some("ts")))
        );
        assert_eq!(e.map(|e| e.file), Some(ev.display().to_string()));
        assert_eq!(dataset_counts(&out), Some((2, 10)));
        let left: Vec<_> = std::fs::read_dir(&d)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            !left.iter().any(|n| n.contains(".new-")),
            "a half-built dataset was left: {left:?}"
        );
        // The simulator reads the dataset.
        let input = crate::read_input(&out.join("profiles.jsonl"), &out.join("events.jsonl"));
        assert_eq!(
            input
                .map(|i| (i.profiles.len(), i.events.len(), i.skipped.len()))
                .ok(),
            Some((2, 10, 0))
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn cancel_stops_an_import() {
        let text =
            "{\"user_id\":\"u1\",\"type\":\"a\",\"ts\":\"2026-11-01T10:00:00Z\"}\n".repeat(10_000);
        let d = scratch("cancel");
        let sources = vec![Source {
            kind: Kind::Events,
            format: Format::Jsonl,
            data: SourceData::Text {
                name: "pulled".into(),
                text,
            },
        }];
        let e = build_dataset(&sources, &d.join("data"), |_| {}, &AtomicBool::new(true)).err();
        assert!(e.is_some_and(|e| e.message == CANCELLED));
        assert!(!d.join("data").exists());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn preview_reads_the_header_and_first_rows() {
        let d = scratch("preview");
        let p = d.join("e.csv");
        std::fs::write(&p, "\u{feff}user_id,type\nu1,a\nu2,b\nu3,c\n").unwrap_or(());
        let p = preview(&p, 2);
        let p = p.as_ref().ok();
        assert_eq!(p.map(|p| &p.format), Some(&Format::Csv(None)));
        assert_eq!(
            p.map(|p| p.header.clone()),
            Some(vec!["user_id".to_owned(), "type".to_owned()])
        );
        assert_eq!(p.map(|p| p.rows.len()), Some(2));
        assert_eq!(
            p.map(|p| p.rows[1].clone()),
            Some(vec!["u2".to_owned(), "b".to_owned()])
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
