//! Reads do not wait for a database commit: the engine loop holds the runtime only for its
//! in-memory step, so `/v1/users/{id}`, stats, reconcile and `/metrics` answer while a batch's
//! commit is held up (here, deterministically, by a PostgreSQL transaction holding a lock the
//! commit needs).

use crate::service::{postgres, publish, tokens, wait_for, Server};
use serde_json::{json, Value};
use std::time::Duration;

/// Every visit enters the journey, which then waits an hour.
fn waiting_ws() -> Value {
    json!({"schema": "trellis/workspace@1",
        "journeys": [{"id": "stay",
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                      {"id": "w", "type": "wait.delay", "params": {"duration": "1h"}}],
            "edges": [{"from": "t", "port": "out", "to": "w"}]}]})
}

fn visit(user: &str) -> Value {
    json!({"event_id": format!("v-{user}"), "user_id": user, "type": "visit", "ts": "2026-11-01T00:00:00Z"})
}

/// Backends of this test's database waiting for a lock (the held commit).
async fn lock_waiters(pool: &sqlx::AnyPool) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[test]
fn reads_answer_while_a_batch_commit_is_held_on_postgres() {
    let Some(db) = postgres("reads") else {
        return;
    };
    let t = tokens(&db);
    let s = Server::start(&db, "wall");
    publish(&s, &t, &waiting_ws(), 100, "live");
    let (c, v) = s.json("POST", "/v1/events", &t.ingest, &visit("a"));
    assert_eq!(c, 202, "{v}");
    wait_for("a's entry committed", 30, || {
        crate::service::decisions(&s, &t.op, "user_id=a")
            .iter()
            .any(|d| d["kind"] == "journey.entered")
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    sqlx::any::install_default_drivers();
    let pool = rt.block_on(sqlx::AnyPool::connect(&db)).unwrap();
    // Writes to the journal wait for this transaction; reads of it do not.
    let mut tx = rt.block_on(pool.begin()).unwrap();
    rt.block_on(sqlx::query("LOCK TABLE journal IN EXCLUSIVE MODE").execute(&mut *tx))
        .unwrap();

    // b's event is stored (inputs are not locked) and stepped; its batch's commit now waits.
    let (c, v) = s.json("POST", "/v1/events", &t.ingest, &visit("b"));
    assert_eq!(c, 202, "{v}");
    wait_for("the batch's commit to wait for the lock", 30, || {
        rt.block_on(lock_waiters(&pool)) >= 1
    });

    // Reads answer meanwhile, from the engine's state. Each is bounded: before the engine loop
    // let go of the runtime during the commit, they waited as long as the lock was held.
    let (tx_reads, rx_reads) = std::sync::mpsc::channel();
    let (addr, op, admin) = (s.addr.clone(), t.op.clone(), t.admin.clone());
    std::thread::spawn(move || {
        let call =
            |path: &str, tok: Option<&str>| crate::service::http(&addr, "GET", path, tok, b"");
        let _ = tx_reads.send((
            call("/v1/users/b", Some(&op)),
            call("/v1/stats/journeys/stay", Some(&op)),
            call("/v1/ledger/reconcile", Some(&admin)),
            call("/metrics", None),
            call("/v1/decisions?user_id=b", Some(&op)),
        ));
    });
    let (user, stats, reconcile, metrics, decisions) = rx_reads
        .recv_timeout(Duration::from_secs(20))
        .expect("the reads answered while the commit was held");
    assert_eq!(user.0, 200, "{}", user.1);
    assert_eq!(user.1["journeys"][0]["journey"], "stay", "{}", user.1);
    assert_eq!(stats.0, 200, "{}", stats.1);
    assert_eq!(reconcile.0, 200, "{}", reconcile.1);
    assert_eq!(metrics.0, 200);
    assert!(
        metrics.1.as_str().is_some_and(|m| m.contains("trellis_")),
        "{}",
        metrics.1
    );
    // The batch is not committed yet: its decisions are not in the log, and its commit still
    // waits.
    assert_eq!(decisions.0, 200, "{}", decisions.1);
    assert_eq!(decisions.1["decisions"], json!([]), "{}", decisions.1);
    assert!(
        rt.block_on(lock_waiters(&pool)) >= 1,
        "the commit still waits"
    );

    // Let the commit through: b's entry reaches the log.
    rt.block_on(tx.rollback()).unwrap();
    wait_for("b's entry committed", 30, || {
        crate::service::decisions(&s, &t.op, "user_id=b")
            .iter()
            .any(|d| d["kind"] == "journey.entered")
    });
    rt.block_on(pool.close());
}
