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
        trace_id: None,
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

// ---- hard limits and timer rows, on SQLite and (when TRELLIS_TEST_POSTGRES is set) PostgreSQL

static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A fresh SQLite file.
fn sqlite(name: &str) -> String {
    format!(
        "sqlite://{}/t.db",
        scratch(&format!(
            "{name}-{}",
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ))
        .display()
    )
}

/// A fresh PostgreSQL database when `TRELLIS_TEST_POSTGRES` is set, else None (said loudly; a
/// failure under `TRELLIS_TEST_REQUIRED=1`).
fn postgres(name: &str) -> Option<String> {
    match std::env::var("TRELLIS_TEST_POSTGRES") {
        Ok(base) => {
            let db = format!(
                "trellis_store_{name}_{}_{}",
                std::process::id(),
                N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            );
            let ok = std::process::Command::new("psql")
                .args([base.as_str(), "-qc", &format!("CREATE DATABASE {db}")])
                .status()
                .expect("psql runs");
            assert!(ok.success(), "CREATE DATABASE {db}");
            let (head, _) = base.rsplit_once('/').expect("a URL with a database");
            Some(format!("{head}/{db}"))
        }
        Err(_) => {
            assert!(
                !std::env::var("TRELLIS_TEST_REQUIRED").is_ok_and(|v| v == "1"),
                "TRELLIS_TEST_REQUIRED=1 but TRELLIS_TEST_POSTGRES is not set: {name} must run on PostgreSQL"
            );
            eprintln!(
                "SKIPPED on PostgreSQL: set TRELLIS_TEST_POSTGRES=postgres://… to run {name} there"
            );
            None
        }
    }
}

/// A test run on each database, one test each: `NAME::on_sqlite` and `NAME::on_postgres` call
/// `async fn NAME(url: String)` under the test attribute given.
macro_rules! on_each_database {
    (#[$test:meta] $name:ident, $db:literal) => {
        mod $name {
            #[$test]
            async fn on_sqlite() {
                super::$name(super::sqlite($db)).await;
            }

            #[$test]
            async fn on_postgres() {
                if let Some(url) = super::postgres($db) {
                    super::$name(url).await;
                }
            }
        }
    };
}

use std::sync::Arc;
use trellis_store::{Batch, Error, JournalEntry, LedgerLeg, StockOp, TimerRow};

fn leg(campaign: &str, account: &'static str, amount: i64) -> LedgerLeg {
    LedgerLeg {
        proc_seq: 1,
        campaign: campaign.into(),
        account,
        amount,
        instance: None,
        memo: "test",
    }
}

fn entry(proc_seq: i64) -> JournalEntry {
    JournalEntry {
        proc_seq,
        input_seq: None,
        kind: "tick".into(),
        at: "2026-11-01T00:00:00Z".into(),
        result: None,
    }
}

/// 64 issuers at once take units of one hot offer's stock, split over ten rows: exactly the
/// stock is taken, no row goes below zero, and when one row runs dry the others still serve.
async fn sixty_four_concurrent_issuers_take_exactly_the_stock_and_no_row_goes_below_zero(
    url: String,
) {
    let store = Arc::new(Store::open(&url).await.unwrap());
    store.set_stock("hot", Some(53)).await.unwrap();
    let rows = store.stock_rows("hot").await.unwrap();
    assert_eq!(rows.len(), 10, "{url}");
    assert_eq!(rows.iter().map(|r| r.1).sum::<i64>(), 53, "{url}");
    let mut tasks = Vec::new();
    for c in 0..64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = 0;
            for i in 0..2 {
                if store.take_stock("hot", &format!("i{c}-{i}")).await.unwrap() {
                    got += 1;
                }
            }
            got
        }));
    }
    let mut taken = 0;
    for t in tasks {
        taken += t.await.unwrap();
    }
    assert_eq!(taken, 53, "exactly the stock was issued on {url}");
    let rows = store.stock_rows("hot").await.unwrap();
    assert!(rows.iter().all(|r| r.1 == 0), "{url}: {rows:?}");
    assert!(!store.take_stock("hot", "late").await.unwrap());
    // An offer without stock rows is unlimited.
    assert!(store.take_stock("free", "x").await.unwrap());
}

on_each_database!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    sixty_four_concurrent_issuers_take_exactly_the_stock_and_no_row_goes_below_zero,
    "stock"
);

/// A batch that would take a campaign's available budget or an offer's stock below zero is
/// refused by the database whole: no journal entry, no ledger leg, no stock taken.
async fn a_batch_that_would_break_a_limit_is_refused_whole(url: String) {
    let store = Store::open(&url).await.unwrap();
    assert!(store.acquire_lease("me", 1, 60_000).await.unwrap());
    let funded = Batch {
        journal: vec![entry(1)],
        ledger: vec![
            leg("c", "budget", -1_000_000),
            leg("c", "available", 1_000_000),
        ],
        stock: vec![StockOp::Set {
            offer: "o".into(),
            left: Some(3),
        }],
        ..Batch::default()
    };
    store.commit_batch("me", 60_000, &funded).await.unwrap();
    let take = |i: &str| StockOp::Take {
        offer: "o".into(),
        instance: i.into(),
    };
    // Two issues of 40 each, three units of stock: fine.
    let ok = Batch {
        journal: vec![entry(2)],
        ledger: vec![
            leg("c", "available", -800_000),
            leg("c", "reserved", 800_000),
        ],
        stock: vec![take("a"), take("b")],
        ..Batch::default()
    };
    store.commit_batch("me", 60_000, &ok).await.unwrap();
    // 40 more than is available.
    let over_budget = Batch {
        journal: vec![entry(3)],
        ledger: vec![
            leg("c", "available", -400_000),
            leg("c", "reserved", 400_000),
        ],
        stock: vec![take("c")],
        ..Batch::default()
    };
    let e = store.commit_batch("me", 60_000, &over_budget).await;
    assert!(
        matches!(&e, Err(Error::LimitBreached(m)) if m.contains("available")),
        "{url}: {e:?}"
    );
    // Two units where one is left.
    let over_stock = Batch {
        journal: vec![entry(3)],
        stock: vec![take("c"), take("d")],
        ..Batch::default()
    };
    let e = store.commit_batch("me", 60_000, &over_stock).await;
    assert!(
        matches!(&e, Err(Error::LimitBreached(m)) if m.contains("stock")),
        "{url}: {e:?}"
    );
    assert_eq!(store.count("journal").await.unwrap(), 2, "{url}");
    assert_eq!(store.count("ledger").await.unwrap(), 4, "{url}");
    assert_eq!(
        store
            .stock_rows("o")
            .await
            .unwrap()
            .iter()
            .map(|r| r.1)
            .sum::<i64>(),
        1,
        "{url}"
    );
    let balances = store.balance_rows().await.unwrap();
    assert_eq!(
        balances,
        [
            ("c".to_owned(), "available".to_owned(), 200_000),
            ("c".to_owned(), "budget".to_owned(), -1_000_000),
            ("c".to_owned(), "reserved".to_owned(), 800_000),
        ],
        "{url}"
    );
    // The balances are the ledger's sums.
    let r = store.reconcile().await.unwrap();
    assert_eq!(
        (r[0].budget, r[0].available, r[0].reserved, r[0].spent),
        (1_000_000, 200_000, 800_000, 0)
    );
}

on_each_database!(
    #[tokio::test]
    a_batch_that_would_break_a_limit_is_refused_whole,
    "limits"
);

/// Timer rows due are claimed by several schedulers at once: every row exactly once, each claim
/// turned into a tick input; a claim that ran out without the row firing is claimed again.
async fn concurrent_schedulers_claim_each_due_timer_once(url: String) {
    let store = Arc::new(Store::open(&url).await.unwrap());
    assert!(store.acquire_lease("me", 1, 60_000).await.unwrap());
    let base = 1_793_491_200_000i64; // 2026-11-01T00:00:00Z
    let rows: Vec<TimerRow> = (0..600)
        .map(|i| TimerRow {
            key: format!("live:{i}"),
            due_ms: base + i * 1_000,
            due_at: format!("t{i}"),
            kind: "resume".into(),
            user_id: Some(format!("u{i}")),
            journey: Some("j".into()),
        })
        .collect();
    let b = Batch {
        journal: vec![entry(1)],
        timers_set: rows,
        ..Batch::default()
    };
    store.commit_batch("me", 60_000, &b).await.unwrap();
    // Rows due up to 499 s after base: 500 of them; the last 100 are not due yet.
    let now = base + 499_000;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_due_timers(now, 10_000, 20, "2026-11-01T00:08:19Z")
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got);
            }
        }));
    }
    let mut all = Vec::new();
    let mut claimers_with_rows = 0;
    for t in tasks {
        let mine = t.await.unwrap();
        claimers_with_rows += usize::from(!mine.is_empty());
        all.extend(mine);
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        (n, all.len()),
        (500, 500),
        "{url}: each due row claimed once"
    );
    assert!(claimers_with_rows >= 1);
    let ticks = store.count("inputs").await.unwrap();
    assert!((1..=25).contains(&ticks), "{url}: {ticks} tick inputs");
    // Five seconds on, only the five rows that fell due since are claimed; once the first
    // claims run out (ten seconds), their rows, never fired, are claimed again.
    let later = store
        .claim_due_timers(now + 5_000, 10_000, 1_000, "x")
        .await
        .unwrap();
    assert_eq!(later.len(), 5, "{url}: {later:?}");
    let again = store
        .claim_due_timers(now + 10_001, 10_000, 1_000, "x")
        .await
        .unwrap();
    assert_eq!(again.len(), 505, "{url}");
    assert!(!again.iter().any(|k| later.contains(k)), "{url}");
    // Fired rows are gone for good.
    let done = Batch {
        journal: vec![entry(2)],
        timers_done: (0..600).map(|i| format!("live:{i}")).collect(),
        ..Batch::default()
    };
    store.commit_batch("me", 60_000, &done).await.unwrap();
    assert!(store.timer_rows().await.unwrap().is_empty());
}

on_each_database!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_schedulers_claim_each_due_timer_once,
    "timers"
);

/// A value of another type than the store reads (a schema that drifted, a row written by hand)
/// is an error naming its column, never a panic, and the store goes on answering.
async fn a_value_of_the_wrong_type_is_an_error_naming_its_column(url: String) {
    let store = Store::open(&url).await.unwrap();
    let release = trellis_store::NewRelease {
        id: "rel_1",
        author: "olga",
        workspace: "{}",
        journeys: "[]",
        diagnostics: "[]",
        summary: None,
        at: "2026-11-01T00:00:00Z",
    };
    assert_eq!(store.insert_release(&release).await.unwrap(), 1);
    if url.starts_with("postgres") {
        // PostgreSQL keeps its types: the schema itself drifts.
        sqlx::query("ALTER TABLE releases ALTER COLUMN version TYPE TEXT")
            .execute(store.pool())
            .await
            .unwrap();
    }
    // SQLite keeps the text as it is in a BIGINT column.
    sqlx::query("UPDATE releases SET version = 'seven' WHERE id = 'rel_1'")
        .execute(store.pool())
        .await
        .unwrap();
    let e = store.releases(None).await.unwrap_err();
    assert_eq!(e.column(), Some("version"), "{url}: {e}");
    assert!(
        matches!(&e, Error::Column { column, .. } if column == "version"),
        "{url}: {e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("\"version\""), "{url}: {text}");
    assert!(
        text.contains("TEXT"),
        "{url}: the type found is said: {text}"
    );
    let e = store.release("rel_1").await.unwrap_err();
    assert_eq!(e.column(), Some("version"), "{url}: {e}");
    // Other reads are not affected.
    assert_eq!(store.count("releases").await.unwrap(), 1, "{url}");
    assert!(store.reviews("rel_1").await.unwrap().is_empty(), "{url}");
}

on_each_database!(
    #[tokio::test]
    a_value_of_the_wrong_type_is_an_error_naming_its_column,
    "column"
);

fn decision(i: usize) -> trellis_store::DecisionRow {
    trellis_store::DecisionRow {
        proc_seq: 1,
        // One instant for every record, as a schedule tick makes them.
        ts: "2026-11-01T09:00:00Z".into(),
        user_id: Some(format!("u{}", i % 7)),
        journey: Some(if i % 3 == 0 { "a" } else { "b" }.into()),
        kind: "journey.entered".into(),
        shadow: i % 10 == 9,
        record: format!("{{\"n\":{i}}}"),
        trace_id: None,
    }
}

/// One batch with more rows than one statement may bind (decisions, ledger legs, timers, outbox
/// rows, instances, profiles) is written whole, each row once, in order; a key twice in a batch
/// ends as writing the rows one by one would leave it; and the decision log pages by seq through
/// records of one instant, every record exactly once, with each filter.
async fn a_batch_larger_than_one_statement_is_written_whole_and_pages_by_seq(url: String) {
    const N: usize = 12_000;
    let store = Store::open(&url).await.unwrap();
    assert!(store.acquire_lease("me", 1, 60_000).await.unwrap());
    let instance = |i: usize, status: &str| trellis_store::InstanceRow {
        instance: format!("inst{}", i % 5_000),
        offer: "o".into(),
        user_id: format!("u{i}"),
        campaign: Some("c".into()),
        amount: 100,
        status: status.into(),
        expires_at: None,
        proc_seq: i as i64,
    };
    let outbox = |i: usize| trellis_store::OutboxRow {
        dedup: format!("d{}", i % 6_000),
        user_id: format!("u{i}"),
        channel: "inbox".into(),
        template: "t".into(),
        payload: "{}".into(),
        at: "2026-11-01T09:00:00Z".into(),
    };
    let b = Batch {
        journal: vec![entry(1)],
        decisions: (0..N).map(decision).collect(),
        ledger: (0..N)
            .flat_map(|_| [leg("c", "budget", -1), leg("c", "available", 1)])
            .collect(),
        // inst0..inst4999 twice: first issued, then redeemed.
        instances: (0..10_000)
            .map(|i| instance(i, if i < 5_000 { "issued" } else { "redeemed" }))
            .collect(),
        outbox: (0..N).map(outbox).collect(),
        profiles: (0..8_000)
            .map(|i| {
                (
                    format!("p{}", i % 4_000),
                    format!("{{\"v\":{i}}}"),
                    "t".into(),
                )
            })
            .collect(),
        timers_set: (0..N)
            .map(|i| TimerRow {
                key: format!("k{}", i % 9_000),
                due_ms: i as i64,
                due_at: format!("t{i}"),
                kind: "resume".into(),
                user_id: None,
                journey: None,
            })
            .collect(),
        ..Batch::default()
    };
    store.commit_batch("me", 60_000, &b).await.unwrap();
    assert_eq!(store.count("decisions").await.unwrap(), N as i64, "{url}");
    assert_eq!(store.count("ledger").await.unwrap(), 2 * N as i64, "{url}");
    assert_eq!(store.ledger_sum().await.unwrap(), 0, "{url}");
    assert_eq!(
        store.balance_rows().await.unwrap(),
        [
            ("c".to_owned(), "available".to_owned(), N as i64),
            ("c".to_owned(), "budget".to_owned(), -(N as i64)),
        ],
        "{url}"
    );
    assert_eq!(store.count("outbox").await.unwrap(), 6_000, "{url}");
    assert_eq!(
        store.count("offer_instances").await.unwrap(),
        5_000,
        "{url}"
    );
    // The first write's columns, the last write's status.
    let got = store.instances_of("u7").await.unwrap();
    assert_eq!(got.len(), 1, "{url}: {got:?}");
    assert_eq!(
        (
            got[0].instance.as_str(),
            got[0].status.as_str(),
            got[0].proc_seq
        ),
        ("inst7", "redeemed", 7),
        "{url}"
    );
    assert!(
        store.instances_of("u5007").await.unwrap().is_empty(),
        "{url}"
    );
    // The first row of a dedup key is kept.
    assert_eq!(store.messages_of("u5", 10).await.unwrap().len(), 1, "{url}");
    assert!(
        store.messages_of("u6005", 10).await.unwrap().is_empty(),
        "{url}"
    );
    let timers = store.timer_rows().await.unwrap();
    assert_eq!(timers.len(), 9_000, "{url}");
    // k0 was set at 0 and again at 9000: the last one holds.
    let k0 = timers.iter().find(|t| t.key == "k0").unwrap();
    assert_eq!((k0.due_ms, k0.due_at.as_str()), (9_000, "t9000"), "{url}");
    let done = Batch {
        journal: vec![entry(2)],
        timers_done: (0..9_000).map(|i| format!("k{i}")).collect(),
        ..Batch::default()
    };
    store.commit_batch("me", 60_000, &done).await.unwrap();
    assert!(store.timer_rows().await.unwrap().is_empty(), "{url}");

    // Paging by seq: every record once, in order, with and without filters.
    for (user, journey, shadow, limit) in [
        (None, None, false, 1_000),
        (None, None, true, 250),
        (Some("u3"), None, false, 333),
        (None, Some("a"), false, 1_000),
        (Some("u5"), Some("b"), true, 7),
    ] {
        let want: Vec<String> = (0..N)
            .filter(|i| {
                let d = decision(*i);
                user.is_none_or(|u| d.user_id.as_deref() == Some(u))
                    && journey.is_none_or(|j| d.journey.as_deref() == Some(j))
                    && d.shadow == shadow
            })
            .map(|i| decision(i).record)
            .collect();
        let mut got = Vec::new();
        let mut after = None;
        let mut last_seq = 0;
        loop {
            let page = store
                .decisions(&trellis_store::DecisionQuery {
                    user,
                    journey,
                    since: Some("2026-11-01T09:00:00Z"),
                    shadow,
                    after,
                    trace_id: None,
                    limit,
                })
                .await
                .unwrap();
            for (seq, record) in &page {
                assert!(*seq > last_seq, "{url}: seqs rise");
                last_seq = *seq;
                got.push(record.clone());
            }
            if page.len() < limit as usize {
                break;
            }
            after = page.last().map(|p| p.0);
        }
        assert_eq!(
            got.len(),
            want.len(),
            "{url}: {user:?} {journey:?} {shadow}"
        );
        assert!(
            got == want,
            "{url}: {user:?} {journey:?} {shadow}: the same records in order"
        );
    }
    // Nothing at or after a later time; nothing after the last seq.
    let q = trellis_store::DecisionQuery {
        since: Some("2026-11-01T09:00:01Z"),
        limit: 10,
        ..Default::default()
    };
    assert!(store.decisions(&q).await.unwrap().is_empty(), "{url}");
    let last = store
        .decisions(&trellis_store::DecisionQuery {
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let q = trellis_store::DecisionQuery {
        after: last.last().map(|l| l.0),
        limit: 10,
        ..Default::default()
    };
    assert!(store.decisions(&q).await.unwrap().is_empty(), "{url}");
}

on_each_database!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_batch_larger_than_one_statement_is_written_whole_and_pages_by_seq,
    "bulk"
);
