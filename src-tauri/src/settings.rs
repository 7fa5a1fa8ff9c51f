//! The app's local settings, in `local.db` (SQLite through rusqlite) in the app data folder,
//! apart from the engine's database: for now the remote engine the user chose with
//! `set_engine`, so a restart reconnects to it; and the drafts with their history (`drafts`).

use rusqlite::{Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;
use trellis_api::{ApiError, Code};

pub struct Settings {
    db: Mutex<Connection>,
}

const REMOTE: &str = "remote_engine";

impl Settings {
    pub fn open(dir: &Path) -> Result<Settings, String> {
        let path = dir.join("local.db");
        let db = Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        crate::drafts::migrate(&db).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Settings { db: Mutex::new(db) })
    }

    fn get(&self, key: &str) -> Option<String> {
        let db = self.db.lock().ok()?;
        db.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()
        .ok()
        .flatten()
    }

    fn put(&self, key: &str, value: Option<&str>) -> Result<(), String> {
        let db = self
            .db
            .lock()
            .map_err(|_| "the settings lock is poisoned")?;
        match value {
            Some(v) => db.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, v],
            ),
            None => db.execute("DELETE FROM settings WHERE key = ?1", [key]),
        }
        .map(|_| ())
        .map_err(|e| e.to_string())
    }

    /// Runs `f` on the database (the drafts' calls).
    pub fn with_db<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut db = self
            .db
            .lock()
            .map_err(|_| ApiError::new(Code::Internal, "the local.db lock is poisoned"))?;
        f(&mut db)
    }

    /// The remote engine (URL, token), if the user chose one.
    pub fn remote(&self) -> Option<(String, String)> {
        let v: serde_json::Value = serde_json::from_str(&self.get(REMOTE)?).ok()?;
        Some((
            v["url"].as_str()?.to_owned(),
            v["token"].as_str()?.to_owned(),
        ))
    }

    pub fn set_remote(&self, remote: Option<(&str, &str)>) -> Result<(), String> {
        let v = remote
            .map(|(url, token)| serde_json::json!({ "url": url, "token": token }).to_string());
        self.put(REMOTE, v.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_engine_survives_a_reopen_and_can_be_cleared() {
        let dir = std::env::temp_dir().join(format!(
            "trellis-app-settings-{}",
            trellis_api::random_token().unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let s = Settings::open(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.remote(), None);
        assert!(s.set_remote(Some(("http://h:1", "t1"))).is_ok());
        assert!(s.set_remote(Some(("http://h:2", "t2"))).is_ok());
        drop(s);
        let s = Settings::open(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.remote(), Some(("http://h:2".to_owned(), "t2".to_owned())));
        assert!(s.set_remote(None).is_ok());
        assert_eq!(s.remote(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
