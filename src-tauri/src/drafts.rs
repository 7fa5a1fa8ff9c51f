//! Drafts and their history in `local.db` (beside the settings): each save of a named draft
//! appends a version, unless the text is the same as that draft's latest version. The text is
//! kept byte for byte (the editor's export text), so a restored draft exports the same file.
//! The oldest versions beyond `KEEP` are dropped; version numbers keep counting up.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use trellis_api::wire::{DraftSummary, DraftText, DraftVersion};
use trellis_api::{ApiError, Code};

/// Versions kept per draft.
pub const KEEP: i64 = 100;
/// The largest draft text accepted (bytes).
pub const MAX_TEXT: usize = 16 * 1024 * 1024;
/// The longest draft name accepted (characters).
pub const MAX_NAME: usize = 200;

pub fn migrate(db: &Connection) -> rusqlite::Result<()> {
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS drafts (
             name TEXT PRIMARY KEY,
             updated_at TEXT NOT NULL,
             saved_text TEXT
         );
         CREATE TABLE IF NOT EXISTS draft_versions (
             name TEXT NOT NULL,
             version INTEGER NOT NULL,
             saved_at TEXT NOT NULL,
             text TEXT NOT NULL,
             size INTEGER NOT NULL,
             journeys INTEGER NOT NULL,
             nodes INTEGER NOT NULL,
             PRIMARY KEY (name, version)
         );",
    )
}

fn answer(v: &impl serde::Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(v)
        .map_err(|e| ApiError::new(Code::Internal, format!("cannot write the answer: {e}")))
}

fn internal(e: rusqlite::Error) -> ApiError {
    ApiError::new(Code::Internal, format!("local.db: {e}"))
}

fn bad(path: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(Code::BadRequest, message).at(path)
}

/// A command's string field (the error body, with its path, when it is missing or not a string).
pub fn string_arg<'a>(v: &'a Value, path: &str) -> Result<&'a str, Value> {
    v.as_str().ok_or_else(|| {
        bad(
            path,
            format!("{} must be a string", path.trim_start_matches('/')),
        )
        .body()
    })
}

/// A string field that may be missing or null.
pub fn optional_string_arg<'a>(v: &'a Value, path: &str) -> Result<Option<&'a str>, Value> {
    match v {
        Value::Null => Ok(None),
        _ => string_arg(v, path).map(Some),
    }
}

/// `version`: missing or null (the latest), or a whole number.
pub fn version_arg(v: &Value) -> Result<Option<i64>, Value> {
    match v {
        Value::Null => Ok(None),
        _ => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad("/version", "version must be a whole number").body()),
    }
}

/// The name, trimmed: not empty, not too long, no control characters.
pub fn check_name(name: &str) -> Result<&str, ApiError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(bad("/name", "a draft needs a name"));
    }
    if n.chars().count() > MAX_NAME {
        return Err(bad(
            "/name",
            format!("a draft name has at most {MAX_NAME} characters"),
        ));
    }
    if n.chars().any(char::is_control) {
        return Err(bad("/name", "a draft name has no control characters"));
    }
    Ok(n)
}

/// Journeys and nodes in a workspace text, which must be a JSON object.
fn summary(text: &str) -> Result<(i64, i64), ApiError> {
    if text.len() > MAX_TEXT {
        return Err(ApiError::new(
            Code::TooLarge,
            format!("a draft has at most {MAX_TEXT} bytes"),
        )
        .at("/text"));
    }
    let v: Value = serde_json::from_str(text)
        .map_err(|e| bad("/text", format!("the draft is not JSON: {e}")))?;
    if !v.is_object() {
        return Err(bad("/text", "the draft is not a JSON object"));
    }
    let journeys = v["journeys"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let nodes: usize = journeys
        .iter()
        .map(|j| j["nodes"].as_array().map_or(0, Vec::len))
        .sum();
    Ok((
        i64::try_from(journeys.len()).unwrap_or(i64::MAX),
        i64::try_from(nodes).unwrap_or(i64::MAX),
    ))
}

/// Appends `text` as the next version of draft `name` (and keeps `saved_text`, the text last
/// written to a file, for the "unsaved" mark). Answers `{ name, version, saved }`; `saved` is
/// false when the text equals the latest version (then only `saved_text` is updated).
pub fn save(
    db: &mut Connection,
    name: &str,
    text: &str,
    saved_text: Option<&str>,
) -> Result<Value, ApiError> {
    let name = check_name(name)?;
    let (journeys, nodes) = summary(text)?;
    let tx = db.transaction().map_err(internal)?;
    let latest: Option<(i64, String)> = tx
        .query_row(
            "SELECT version, text FROM draft_versions WHERE name = ?1
             ORDER BY version DESC LIMIT 1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(internal)?;
    let (version, saved) = match &latest {
        Some((v, t)) if t == text => (*v, false),
        _ => {
            let v = latest.as_ref().map_or(1, |(v, _)| v.saturating_add(1));
            let size = i64::try_from(text.len()).unwrap_or(i64::MAX);
            tx.execute(
                "INSERT INTO draft_versions (name, version, saved_at, text, size, journeys, nodes)
                 VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?3, ?4, ?5, ?6)",
                params![name, v, text, size, journeys, nodes],
            )
            .map_err(internal)?;
            tx.execute(
                "DELETE FROM draft_versions WHERE name = ?1 AND version <= ?2",
                params![name, v - KEEP],
            )
            .map_err(internal)?;
            (v, true)
        }
    };
    if saved {
        tx.execute(
            "INSERT INTO drafts (name, updated_at, saved_text)
             VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2)
             ON CONFLICT (name) DO UPDATE
             SET updated_at = excluded.updated_at, saved_text = excluded.saved_text",
            params![name, saved_text],
        )
        .map_err(internal)?;
    } else {
        tx.execute(
            "UPDATE drafts SET saved_text = ?2 WHERE name = ?1",
            params![name, saved_text],
        )
        .map_err(internal)?;
    }
    tx.commit().map_err(internal)?;
    Ok(json!({ "name": name, "version": version, "saved": saved }))
}

/// `{ drafts: [{ name, updated_at, versions, latest }] }`, the latest updated first.
pub fn list(db: &Connection) -> Result<Value, ApiError> {
    let mut st = db
        .prepare(
            "SELECT d.name, d.updated_at, COUNT(v.version), COALESCE(MAX(v.version), 0)
             FROM drafts d LEFT JOIN draft_versions v ON v.name = d.name
             GROUP BY d.name ORDER BY d.updated_at DESC, d.name",
        )
        .map_err(internal)?;
    let rows = st
        .query_map([], |r| {
            Ok(DraftSummary {
                name: r.get(0)?,
                updated_at: r.get(1)?,
                versions: r.get(2)?,
                latest: r.get(3)?,
            })
        })
        .map_err(internal)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(internal)?;
    Ok(json!({ "drafts": rows }))
}

fn not_found(name: &str) -> ApiError {
    ApiError::new(Code::NotFound, format!("no draft named {name:?}")).at("/name")
}

/// `{ name, version, saved_at, text, saved_text }`: the given version, or the latest.
pub fn load(db: &Connection, name: &str, version: Option<i64>) -> Result<Value, ApiError> {
    let name = check_name(name)?;
    let saved_text: Option<Option<String>> = db
        .query_row(
            "SELECT saved_text FROM drafts WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()
        .map_err(internal)?;
    let Some(saved_text) = saved_text else {
        return Err(not_found(name));
    };
    let row = db
        .query_row(
            "SELECT version, saved_at, text FROM draft_versions
             WHERE name = ?1 AND (?2 IS NULL OR version = ?2)
             ORDER BY version DESC LIMIT 1",
            params![name, version],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()
        .map_err(internal)?;
    let Some((version, saved_at, text)) = row else {
        return Err(match version {
            Some(v) => ApiError::new(Code::NotFound, format!("draft {name:?} has no version {v}"))
                .at("/version"),
            None => not_found(name),
        });
    };
    answer(&DraftText {
        name: name.to_owned(),
        version,
        saved_at,
        text,
        saved_text,
    })
}

/// `{ name, versions: [{ version, saved_at, size, journeys, nodes }] }`, newest first.
pub fn history(db: &Connection, name: &str) -> Result<Value, ApiError> {
    let name = check_name(name)?;
    let mut st = db
        .prepare(
            "SELECT version, saved_at, size, journeys, nodes FROM draft_versions
             WHERE name = ?1 ORDER BY version DESC",
        )
        .map_err(internal)?;
    let rows = st
        .query_map([name], |r| {
            Ok(DraftVersion {
                version: r.get(0)?,
                saved_at: r.get(1)?,
                size: r.get(2)?,
                journeys: r.get(3)?,
                nodes: r.get(4)?,
            })
        })
        .map_err(internal)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(internal)?;
    if rows.is_empty() {
        return Err(not_found(name));
    }
    Ok(json!({ "name": name, "versions": rows }))
}

/// Deletes a draft and all its versions: `{ name, deleted: versions }`.
pub fn delete(db: &mut Connection, name: &str) -> Result<Value, ApiError> {
    let name = check_name(name)?;
    let tx = db.transaction().map_err(internal)?;
    let n = tx
        .execute("DELETE FROM draft_versions WHERE name = ?1", [name])
        .map_err(internal)?;
    let d = tx
        .execute("DELETE FROM drafts WHERE name = ?1", [name])
        .map_err(internal)?;
    tx.commit().map_err(internal)?;
    if d == 0 {
        return Err(not_found(name));
    }
    Ok(json!({ "name": name, "deleted": n }))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDb {
        dir: std::path::PathBuf,
    }

    impl TempDb {
        fn new() -> TempDb {
            let dir = std::env::temp_dir().join(format!(
                "trellis-app-drafts-{}",
                trellis_api::random_token().unwrap_or_default()
            ));
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
            TempDb { dir }
        }

        fn open(&self) -> Connection {
            let db = Connection::open(self.dir.join("local.db")).unwrap_or_else(|e| panic!("{e}"));
            migrate(&db).unwrap_or_else(|e| panic!("{e}"));
            db
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn ws(nodes: usize) -> String {
        let nodes: Vec<Value> = (0..nodes)
            .map(|i| json!({ "id": format!("n{i}") }))
            .collect();
        serde_json::to_string_pretty(&json!({
            "schema": "trellis/workspace@1",
            "journeys": [{ "id": "j", "nodes": nodes }],
        }))
        .unwrap_or_default()
            + "\n"
    }

    fn ok(r: Result<Value, ApiError>) -> Value {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    fn code(r: Result<Value, ApiError>) -> &'static str {
        match r {
            Ok(v) => panic!("expected an error, got {v}"),
            Err(e) => e.code.as_str(),
        }
    }

    #[test]
    fn saves_append_versions_and_identical_saves_are_skipped() {
        let t = TempDb::new();
        let mut db = t.open();
        let a = ws(1);
        let b = ws(2);
        assert_eq!(ok(save(&mut db, "w.json", &a, None))["version"], 1);
        let again = ok(save(&mut db, " w.json ", &a, Some(&a)));
        assert_eq!(
            again,
            json!({ "name": "w.json", "version": 1, "saved": false })
        );
        assert_eq!(ok(save(&mut db, "w.json", &b, Some(&a)))["version"], 2);

        let h = ok(history(&db, "w.json"));
        let versions = h["versions"].as_array().cloned().unwrap_or_default();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0]["version"], 2);
        assert_eq!(versions[0]["nodes"], 2);
        assert_eq!(versions[0]["journeys"], 1);
        assert_eq!(versions[0]["size"], b.len());
        assert_eq!(versions[1]["version"], 1);

        let latest = ok(load(&db, "w.json", None));
        assert_eq!(latest["version"], 2);
        assert_eq!(latest["text"], b.as_str());
        assert_eq!(latest["saved_text"], a.as_str());
        let first = ok(load(&db, "w.json", Some(1)));
        assert_eq!(first["text"], a.as_str());
    }

    #[test]
    fn drafts_survive_a_reopen_and_list_newest_first() {
        let t = TempDb::new();
        {
            let mut db = t.open();
            ok(save(&mut db, "a", &ws(1), None));
            ok(save(&mut db, "a", &ws(3), None));
            std::thread::sleep(std::time::Duration::from_millis(5));
            ok(save(&mut db, "b", &ws(1), None));
        }
        let db = t.open();
        let l = ok(list(&db));
        assert_eq!(
            l["drafts"]
                .as_array()
                .map(|d| d.iter().map(|x| x["name"].clone()).collect::<Vec<_>>()),
            Some(vec![json!("b"), json!("a")])
        );
        assert_eq!(l["drafts"][1]["versions"], 2);
        assert_eq!(l["drafts"][1]["latest"], 2);
        assert!(l["drafts"][0]["updated_at"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z')));
    }

    #[test]
    fn delete_removes_the_draft_and_its_history() {
        let t = TempDb::new();
        let mut db = t.open();
        ok(save(&mut db, "a", &ws(1), None));
        ok(save(&mut db, "a", &ws(2), None));
        assert_eq!(ok(delete(&mut db, "a"))["deleted"], 2);
        assert_eq!(code(load(&db, "a", None)), "E_NOT_FOUND");
        assert_eq!(code(history(&db, "a")), "E_NOT_FOUND");
        assert_eq!(code(delete(&mut db, "a")), "E_NOT_FOUND");
        assert_eq!(ok(list(&db))["drafts"], json!([]));
        // The name can be used again, from version 1.
        assert_eq!(ok(save(&mut db, "a", &ws(1), None))["version"], 1);
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let t = TempDb::new();
        let mut db = t.open();
        assert_eq!(code(save(&mut db, "  ", &ws(1), None)), "E_BAD_REQUEST");
        assert_eq!(code(save(&mut db, "a\nb", &ws(1), None)), "E_BAD_REQUEST");
        let long = "x".repeat(MAX_NAME + 1);
        assert_eq!(code(save(&mut db, &long, &ws(1), None)), "E_BAD_REQUEST");
        match save(&mut db, "a", "{ not json", None) {
            Err(e) => {
                assert_eq!(e.code, Code::BadRequest);
                assert_eq!(e.path, "/text");
            }
            Ok(v) => panic!("saved {v}"),
        }
        assert_eq!(code(save(&mut db, "a", "[1, 2]", None)), "E_BAD_REQUEST");
        assert_eq!(code(save(&mut db, "a", "", None)), "E_BAD_REQUEST");
        let big = format!("{{\"x\": \"{}\"}}", "y".repeat(MAX_TEXT));
        assert_eq!(code(save(&mut db, "a", &big, None)), "E_TOO_LARGE");
        assert_eq!(code(load(&db, "nope", None)), "E_NOT_FOUND");
        ok(save(&mut db, "a", &ws(1), None));
        assert_eq!(code(load(&db, "a", Some(7))), "E_NOT_FOUND");
        assert_eq!(code(load(&db, "a", Some(-1))), "E_NOT_FOUND");
        // Odd but valid names are plain data (parameters, never SQL).
        ok(save(&mut db, "'; DROP TABLE drafts; --", &ws(1), None));
        ok(save(&mut db, "旅程 草稿", &ws(1), None));
        assert_eq!(ok(list(&db))["drafts"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn command_fields_of_the_wrong_type_are_named() {
        let err = |r: Result<Option<&str>, Value>| r.err().unwrap_or_default();
        assert_eq!(string_arg(&json!("a"), "/name").ok(), Some("a"));
        let e = string_arg(&Value::Null, "/name").err().unwrap_or_default();
        assert_eq!(e["error"]["code"], "E_BAD_REQUEST");
        assert_eq!(e["error"]["path"], "/name");
        assert_eq!(optional_string_arg(&Value::Null, "/saved_text"), Ok(None));
        assert_eq!(
            err(optional_string_arg(&json!(3), "/saved_text"))["error"]["path"],
            "/saved_text"
        );
        assert_eq!(version_arg(&Value::Null), Ok(None));
        assert_eq!(version_arg(&json!(4)), Ok(Some(4)));
        for bad in [json!("4"), json!(1.5), json!([1])] {
            let e = version_arg(&bad).err().unwrap_or_default();
            assert_eq!(e["error"]["path"], "/version", "{bad}");
        }
    }

    #[test]
    fn only_the_newest_versions_are_kept() {
        let t = TempDb::new();
        let mut db = t.open();
        let n = usize::try_from(KEEP).unwrap_or(0) + 5;
        for i in 0..n {
            ok(save(&mut db, "a", &ws(i), None));
        }
        let h = ok(history(&db, "a"));
        let versions = h["versions"].as_array().cloned().unwrap_or_default();
        assert_eq!(versions.len(), usize::try_from(KEEP).unwrap_or(0));
        assert_eq!(versions[0]["version"], n);
        assert_eq!(code(load(&db, "a", Some(1))), "E_NOT_FOUND");
        assert_eq!(ok(list(&db))["drafts"][0]["versions"], KEEP);
    }
}
