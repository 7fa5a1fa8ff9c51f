//! Sample data for the sandbox, besides generated data: files imported from disk (JSON Lines or
//! CSV, `trellis_sim::import`) or a sample pulled from the connected engine (`GET /v1/sample`).
//! Either way the records land in one dataset folder, `sample/` in the app data folder, built
//! all or nothing; `simulate` with `source: "imported"` replays it. The parsing and checking is
//! trellis-sim's; this module only turns the command's arguments into sources and the outcome
//! into the commands' JSON.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use trellis_api::wire::{DataKind, DatasetFile, DatasetInfo, FileFormat, ImportPreview};
use trellis_sim::import::{
    self, CellType, ColumnMap, Format, ImportError, Kind, Source, SourceData,
};

/// The dataset's folder in the app data folder.
pub fn dataset_dir(data: &Path) -> PathBuf {
    data.join("sample")
}

/// The error body of a failed import: `E_IMPORT` with the file, line and field beside the
/// message (line 0: the file itself could not be read), or `E_CANCELLED`.
pub fn error_body(e: &ImportError) -> Value {
    if e.message == import::CANCELLED {
        return json!({ "error": { "code": "E_CANCELLED", "message": e.message, "path": "" } });
    }
    json!({ "error": {
        "code": "E_IMPORT",
        "message": e.to_string(),
        "path": "",
        "file": e.file,
        "line": e.line,
        "field": e.field,
        "reason": e.message,
    } })
}

fn bad(path: &str, message: impl Into<String>) -> Value {
    json!({ "error": { "code": "E_BAD_REQUEST", "message": message.into(), "path": path } })
}

/// `files: [{ path, kind: "profiles" | "events", mapping?: [{ column, field, type? }] }]` →
/// the sources to import. A `.csv` file is CSV (its mapping, or the header as field paths);
/// anything else JSON Lines.
pub fn sources(files: &Value) -> Result<Vec<Source>, Value> {
    let Some(list) = files.as_array().filter(|l| !l.is_empty()) else {
        return Err(bad("/files", "name at least one file to import"));
    };
    let mut out = Vec::new();
    for (i, f) in list.iter().enumerate() {
        let at = |k: &str| format!("/files/{i}/{k}");
        let path = f
            .get("path")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| bad(&at("path"), "a file path is needed"))?;
        let path = expand_home(path);
        let kind = f
            .get("kind")
            .and_then(Value::as_str)
            .and_then(Kind::parse)
            .ok_or_else(|| bad(&at("kind"), "kind must be \"profiles\" or \"events\""))?;
        let mut format = Format::guess(&path);
        if let (Format::Csv(_), Some(m)) = (&format, f.get("mapping").filter(|m| !m.is_null())) {
            let Some(m) = m.as_array() else {
                return Err(bad(&at("mapping"), "mapping must be a list"));
            };
            let mut cols = Vec::new();
            for (j, c) in m.iter().enumerate() {
                let s = |k: &str| {
                    c.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                let ty = CellType::parse(&s("type")).ok_or_else(|| {
                    bad(
                        &format!("/files/{i}/mapping/{j}/type"),
                        "type must be auto, string, number, boolean or json",
                    )
                })?;
                cols.push(ColumnMap {
                    column: s("column"),
                    field: s("field"),
                    ty,
                });
            }
            format = Format::Csv(Some(cols));
        }
        out.push(Source {
            kind,
            format,
            data: SourceData::Path(path),
        });
    }
    Ok(out)
}

/// `~/x` → the home folder's `x`.
fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// The sources for records pulled from an engine (`{ profiles: [...], events: [...] }`).
pub fn pulled_sources(sample: &Value, from: &str) -> Vec<Source> {
    let lines = |k: &str| -> String {
        sample
            .get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|v| v.to_string() + "\n").collect())
            .unwrap_or_default()
    };
    vec![
        Source {
            kind: Kind::Profiles,
            format: Format::Jsonl,
            data: SourceData::Text {
                name: format!("{from} (profiles)"),
                text: lines("profiles"),
            },
        },
        Source {
            kind: Kind::Events,
            format: Format::Jsonl,
            data: SourceData::Text {
                name: format!("{from} (events)"),
                text: lines("events"),
            },
        },
    ]
}

/// Builds the dataset from `sources` (all or nothing) and records where it came from in
/// `dataset.json`; answers what `dataset_info` answers.
pub fn build(
    data: &Path,
    sources: &[Source],
    origin: &str,
    progress: impl FnMut(import::Progress),
    cancel: &AtomicBool,
) -> Result<Value, Value> {
    let dir = dataset_dir(data);
    let info =
        import::build_dataset(sources, &dir, progress, cancel).map_err(|e| error_body(&e))?;
    let info = DatasetInfo {
        source: origin.to_owned(),
        profiles: info.profiles,
        events: info.events,
        files: info
            .files
            .iter()
            .map(|(name, kind, n)| DatasetFile {
                name: name.clone(),
                kind: data_kind(*kind),
                records: *n,
            })
            .collect(),
        imported_at: Some(trellis_api::now_utc().to_rfc3339()),
    };
    let v = serde_json::to_value(&info).unwrap_or(Value::Null);
    // The description is a convenience; the dataset itself is in place already.
    let _ = std::fs::write(dir.join("dataset.json"), v.to_string());
    Ok(v)
}

fn data_kind(k: Kind) -> DataKind {
    match k {
        Kind::Profiles => DataKind::Profiles,
        Kind::Events => DataKind::Events,
    }
}

/// What the dataset holds, or none when there is none.
pub fn info(data: &Path) -> Option<DatasetInfo> {
    let dir = dataset_dir(data);
    let (profiles, events) = import::dataset_counts(&dir)?;
    // `dataset.json` describes it (a missing or unreadable one: imported files, not named).
    let mut info: DatasetInfo = std::fs::read_to_string(dir.join("dataset.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    info.profiles = profiles;
    info.events = events;
    Some(info)
}

/// The first rows of a file, for the import form's column mapping.
pub fn preview(path: &str) -> Result<Value, Value> {
    let p = expand_home(path.trim());
    let import::Preview {
        format,
        header,
        rows,
    } = import::preview(&p, 5).map_err(|e| error_body(&e))?;
    let csv = matches!(format, Format::Csv(_));
    // A guess at what the file holds: events have a type and a time.
    let guess = if csv {
        header.iter().any(|h| h == "type") && header.iter().any(|h| h == "ts")
    } else {
        rows.first()
            .and_then(|r| r.first())
            .and_then(|l| serde_json::from_str::<Value>(l).ok())
            .is_some_and(|v| v.get("type").is_some() && v.get("ts").is_some())
    };
    let preview = ImportPreview {
        path: p.display().to_string(),
        format: if csv {
            FileFormat::Csv
        } else {
            FileFormat::Jsonl
        },
        header,
        rows,
        kind: if guess {
            DataKind::Events
        } else {
            DataKind::Profiles
        },
    };
    serde_json::to_value(&preview).map_err(|e| bad("", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_become_sources_and_bad_ones_name_their_place() {
        let s = sources(&json!([
            { "path": "/d/e.csv", "kind": "events", "mapping": [{ "column": "amt", "field": "props.amount", "type": "number" }] },
            { "path": "/d/p.jsonl", "kind": "profiles" }
        ]));
        let s = s.unwrap_or_default();
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].format,
            Format::Csv(Some(vec![ColumnMap {
                column: "amt".into(),
                field: "props.amount".into(),
                ty: CellType::Number
            }]))
        );
        assert_eq!(s[1].format, Format::Jsonl);
        let path = |v: Value| sources(&v).err().map(|e| e["error"]["path"].clone());
        assert_eq!(path(json!([])), Some(json!("/files")));
        assert_eq!(
            path(json!([{ "path": "x", "kind": "users" }])),
            Some(json!("/files/0/kind"))
        );
        assert_eq!(
            path(
                json!([{ "path": "x.csv", "kind": "events", "mapping": [{ "column": "a", "field": "ts", "type": "date" }] }])
            ),
            Some(json!("/files/0/mapping/0/type"))
        );
    }

    #[test]
    fn a_failed_import_answers_file_line_and_field_and_keeps_the_old_dataset() {
        let d = std::env::temp_dir().join(format!(
            "trellis-app-import-{}",
            trellis_api::random_token().unwrap_or_default()
        ));
        let _ = std::fs::create_dir_all(&d);
        let ev = d.join("ev.csv");
        let _ = std::fs::write(&ev, "user_id,type,ts\nu1,login,2026-11-01T10:00:00Z\n");
        let src = sources(&json!([{ "path": ev.display().to_string(), "kind": "events" }]))
            .unwrap_or_default();
        let ok = build(&d, &src, "files", |_| {}, &AtomicBool::new(false));
        assert_eq!(
            ok.as_ref().ok().map(|v| v["events"].clone()),
            Some(json!(1))
        );
        let i = info(&d).map(|i| (i.events, i.source, i.files.len()));
        assert_eq!(i, Some((1, "files".to_owned(), 1)));
        let _ = std::fs::write(
            &ev,
            "user_id,type,ts\nu1,login,2026-11-01T10:00:00Z\nu2,login,soon\n",
        );
        let e = build(&d, &src, "files", |_| {}, &AtomicBool::new(false))
            .err()
            .unwrap_or_default();
        assert_eq!(e["error"]["code"], "E_IMPORT");
        assert_eq!(e["error"]["file"], json!(ev.display().to_string()));
        assert_eq!(e["error"]["line"], 3);
        assert_eq!(e["error"]["field"], "ts (column 3 \"ts\")");
        assert_eq!(info(&d).map(|i| i.events), Some(1), "the old dataset stays");
        let _ = std::fs::remove_dir_all(&d);
    }

    /// Generated data written out as files, imported, and simulated through the Service: the
    /// same report as simulating the generated data directly.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_simulation_on_imported_data_matches_the_generated_run() {
        let d = std::env::temp_dir().join(format!(
            "trellis-app-simdata-{}",
            trellis_api::random_token().unwrap_or_default()
        ));
        let gen = d.join("gen");
        let spec = trellis_sample::SampleSpec {
            users: 2000,
            days: 14,
            seed: 1,
            start: trellis_sample::SampleSpec::default_start(),
            // The sandbox's generated run has its order history too.
            history_days: trellis_api::sandbox::SANDBOX_HISTORY_DAYS,
        };
        assert!(trellis_sample::generate_to_dir(&spec, &gen).is_ok());
        let src = sources(&json!([
            { "path": gen.join("profiles.jsonl").display().to_string(), "kind": "profiles" },
            { "path": gen.join("events.jsonl").display().to_string(), "kind": "events" }
        ]))
        .unwrap_or_default();
        let built = build(&d, &src, "files", |_| {}, &AtomicBool::new(false));
        assert!(built.is_ok(), "{built:?}");
        let svc = trellis_api::Service::open(
            &format!("sqlite://{}", d.join("e.db").display()),
            trellis_api::ClockMode::Wall,
        )
        .await;
        let Ok(svc) = svc else {
            panic!("the service opens")
        };
        let ws: Value = serde_json::from_str(include_str!("../../samples/cart_recovery.json"))
            .unwrap_or(Value::Null);
        let body: trellis_api::params::SimulateParams = trellis_api::params::from_value(
            json!({ "workspace": ws, "users": 2000, "days": 14, "seed": 1 }),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let phases = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = phases.clone();
        let imported = svc
            .simulate_data(
                body.clone(),
                Some(dataset_dir(&d)),
                move |p| seen.lock().map(|mut v| v.push(p.phase)).unwrap_or(()),
                Default::default(),
            )
            .await
            .map_err(|e| e.to_string());
        let generated = svc.simulate(body).await.map_err(|e| e.to_string());
        // Compared as the JSON they answer.
        let json =
            |r: trellis_api::wire::SimulateResult| serde_json::to_value(r).unwrap_or_default();
        let (imported, generated) = (imported.map(json), generated.map(json));
        let (Ok(imported), Ok(generated)) = (imported, generated) else {
            panic!("both runs succeed")
        };
        assert_eq!(imported["report"], generated["report"]);
        let log = imported["log"].as_array().map(Vec::len).unwrap_or(0);
        let decisions: u64 = imported["report"]["journeys"]
            .as_object()
            .map(|j| j.values().filter_map(|r| r["entered"].as_u64()).sum())
            .unwrap_or(0);
        eprintln!("{decisions} entries, {log} log records answered");
        assert!(decisions > 0);
        assert!(
            log > 0 && log <= trellis_api::SIM_LOG_RECORDS,
            "{log} records"
        );
        let phases = phases.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(phases.first(), Some(&"read"));
        assert_eq!(phases.last(), Some(&"simulate"));
        let _ = std::fs::remove_dir_all(&d);
    }
}
