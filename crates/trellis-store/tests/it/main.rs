//! The store against real SQLite files.

use sqlx::sqlite::SqlitePoolOptions;
use std::path::PathBuf;
use trellis_store::{NewInput, Store};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("trellis-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A database made before inputs moved to a file of their own (schema 0001 only, with inputs and
/// a journal) opens with every input, its idempotency keys and the journal's link intact.
#[tokio::test]
async fn a_database_from_before_the_inputs_file_keeps_its_inputs_and_journal() {
    let dir = scratch("migrate");
    let old = dir.join("migrations");
    std::fs::create_dir_all(&old).unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite");
    std::fs::copy(root.join("0001_init.sql"), old.join("0001_init.sql")).unwrap();
    let url = format!("sqlite://{}/t.db", dir.display());

    let pool = SqlitePoolOptions::new()
        .connect(&format!("{url}?mode=rwc"))
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    for (seq, key) in [(1, "event:e1"), (2, "event:e2")] {
        sqlx::query("INSERT INTO inputs (seq, kind, ikey, body, received_at) VALUES (?, 'event', ?, ?, '2026-11-01T00:00:00Z')")
            .bind(seq)
            .bind(key)
            .bind(format!("{{\"event_id\": \"{key}\"}}"))
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO journal (proc_seq, input_seq, kind, at) VALUES (1, 1, 'event', '2026-11-01T00:00:00Z')")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let store = Store::open(&url).await.unwrap();
    assert!(dir.join("t.db-inputs").exists());
    let journal = store.journal(0, 10).await.unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(
        journal[0].body.as_deref(),
        Some("{\"event_id\": \"event:e1\"}")
    );
    let pending = store.pending_inputs(0, 10).await.unwrap();
    assert_eq!(pending.iter().map(|p| p.seq).collect::<Vec<_>>(), [2]);
    let input = |k: &str| NewInput {
        kind: "event".into(),
        ikey: Some(k.into()),
        body: "{}".into(),
    };
    let seqs = store
        .add_inputs(
            &[input("event:e2"), input("event:e3")],
            "2026-11-01T00:00:01Z",
        )
        .await
        .unwrap();
    assert_eq!(seqs[0], None, "the old key still deduplicates");
    assert!(seqs[1].is_some_and(|s| s > 2), "{seqs:?}");
    assert_eq!(store.count("inputs").await.unwrap(), 3);
}
