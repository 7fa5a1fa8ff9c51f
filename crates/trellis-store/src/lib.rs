//! The durable store of the engine service, over sqlx's `Any` driver so one set of queries runs on
//! SQLite (the default, a file in WAL mode) and PostgreSQL (several service processes at once).
//!
//! The store knows rows, not journeys: it keeps JSON documents and money in integer units of
//! 1/10,000 (so SQL sums are exact). The engine's state is a deterministic fold over the
//! [journal](Store::journal); the store makes every input durable before it is acknowledged and
//! writes each processed batch (journal, decisions, ledger legs, outbox rows) in one transaction,
//! fenced by the engine lease so two processes never both apply an input.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

pub mod sql;
pub use sql::Val;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://…")]
    Url(String),
    #[error("the engine lease was lost to another process")]
    LeaseLost,
    /// A batch would take a campaign account or an offer's stock below zero: the database
    /// refused it whole (the engine should never ask; this is the second lock).
    #[error("a hard limit held by the database refused the batch: {0}")]
    LimitBreached(String),
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    kind: DbKind,
}

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub name: String,
    pub role: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ReleaseRow {
    pub id: String,
    pub version: i64,
    pub author: String,
    pub status: String,
    pub workspace: String,
    pub journeys: String,
    pub diagnostics: String,
    pub summary: Option<String>,
    pub created_at: String,
}

/// A release to insert (its version is numbered on insert).
#[derive(Debug, Clone)]
pub struct NewRelease<'a> {
    pub id: &'a str,
    pub author: &'a str,
    pub workspace: &'a str,
    pub journeys: &'a str,
    pub diagnostics: &'a str,
    pub summary: Option<&'a str>,
    pub at: &'a str,
}

#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub reviewer: String,
    pub verdict: String,
    pub comment: String,
    pub at: String,
}

#[derive(Debug, Clone)]
pub struct DeploymentRow {
    pub id: i64,
    pub journey: String,
    pub release_id: String,
    pub version: i64,
    pub rollout_percent: i64,
    pub mode: String,
    pub action: String,
    pub actor: String,
    pub at: String,
}

/// An input to append: `ikey` makes it idempotent.
#[derive(Debug, Clone)]
pub struct NewInput {
    pub kind: String,
    pub ikey: Option<String>,
    pub body: String,
    /// The trace it arrived in (32 lowercase hex digits).
    pub trace_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct InputRow {
    pub seq: i64,
    pub kind: String,
    pub body: String,
    /// `None` for inputs stored before trace ids, and for the scheduler's ticks.
    pub trace_id: Option<String>,
}

/// One applied step of the engine, for replay.
#[derive(Debug, Clone)]
pub struct JournalRow {
    pub proc_seq: i64,
    pub input_seq: Option<i64>,
    pub kind: String,
    pub at: String,
    pub body: Option<String>,
    pub result: Option<String>,
}

/// What one processed batch writes, in one transaction.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    pub journal: Vec<JournalEntry>,
    pub decisions: Vec<DecisionRow>,
    pub ledger: Vec<LedgerLeg>,
    pub instances: Vec<InstanceRow>,
    pub outbox: Vec<OutboxRow>,
    pub profiles: Vec<(String, String, String)>,
    pub deployments: Vec<DeploymentRow>,
    /// Stock rows to set and units to take, in the order the engine did it.
    pub stock: Vec<StockOp>,
    /// Remove every timer row before writing these (a new engine holder writes them afresh).
    pub timers_reset: bool,
    /// Timer rows set (inserted, or moved to a new due time).
    pub timers_set: Vec<TimerRow>,
    /// Keys of timer rows fired (deleted).
    pub timers_done: Vec<String>,
}

/// A change to an offer's stock rows.
#[derive(Debug, Clone, PartialEq)]
pub enum StockOp {
    /// The stock left after a deploy, split over the shards; `None` removes the rows (no stock:
    /// unlimited).
    Set { offer: String, left: Option<i64> },
    /// One unit issued, as `instance`.
    Take { offer: String, instance: String },
}

/// A timer as a row with a due time (`timers`).
#[derive(Debug, Clone, PartialEq)]
pub struct TimerRow {
    pub key: String,
    pub due_ms: i64,
    pub due_at: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub journey: Option<String>,
}

/// How many rows an offer's stock is split over (the seeds' `stock_0..stock_9`).
pub const STOCK_SHARDS: i64 = 10;

/// The shard an instance tries first (FNV-1a of its id), so concurrent issues spread out.
fn first_shard(instance: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in instance.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h % STOCK_SHARDS as u64) as i64
}

/// Takes one unit of an offer's stock with conditional updates (never read then write): the
/// instance's first shard, then the others in turn. `Ok(false)` when every shard is empty;
/// `Ok(true)` as well when the offer has no stock rows (it is unlimited, or was deployed before
/// the rows existed).
async fn take_stock_in(
    conn: &mut sqlx::AnyConnection,
    offer: &str,
    instance: &str,
) -> Result<bool> {
    let first = first_shard(instance);
    for k in 0..STOCK_SHARDS {
        let shard = (first + k) % STOCK_SHARDS;
        let n = sqlx::query("UPDATE stock SET remaining = remaining - 1 WHERE offer = $1 AND shard = $2 AND remaining > 0")
            .bind(offer)
            .bind(shard)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if n == 1 {
            return Ok(true);
        }
    }
    let rows: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM stock WHERE offer = $1")
        .bind(offer)
        .fetch_one(&mut *conn)
        .await?
        .get(0);
    Ok(rows == 0)
}

/// Sets an offer's stock rows to `left` units split over the shards (`None`: no rows).
async fn set_stock_in(
    conn: &mut sqlx::AnyConnection,
    offer: &str,
    left: Option<i64>,
) -> Result<()> {
    sqlx::query("DELETE FROM stock WHERE offer = $1")
        .bind(offer)
        .execute(&mut *conn)
        .await?;
    if let Some(left) = left {
        let left = left.max(0);
        let mut q = sql::Insert::new("INSERT INTO stock (offer, shard, remaining) VALUES ", 3);
        for shard in 0..STOCK_SHARDS {
            let share = left / STOCK_SHARDS + i64::from(shard < left % STOCK_SHARDS);
            q.row(vec![Val::S(offer.to_owned()), Val::I(shard), Val::I(share)]);
        }
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct JournalEntry {
    pub proc_seq: i64,
    pub input_seq: Option<i64>,
    pub kind: String,
    pub at: String,
    pub result: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DecisionRow {
    pub proc_seq: i64,
    pub ts: String,
    pub user_id: Option<String>,
    pub journey: Option<String>,
    pub kind: String,
    pub shadow: bool,
    pub record: String,
    pub trace_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LedgerLeg {
    pub proc_seq: i64,
    pub campaign: String,
    pub account: &'static str,
    /// 1/10,000 units.
    pub amount: i64,
    pub instance: Option<String>,
    pub memo: &'static str,
}

#[derive(Debug, Clone)]
pub struct InstanceRow {
    pub instance: String,
    pub offer: String,
    pub user_id: String,
    pub campaign: Option<String>,
    pub amount: i64,
    pub status: String,
    pub expires_at: Option<String>,
    pub proc_seq: i64,
}

#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub dedup: String,
    pub user_id: String,
    pub channel: String,
    pub template: String,
    pub payload: String,
    pub at: String,
}

#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub dedup: String,
    pub user_id: String,
    pub channel: String,
    pub template: String,
    pub payload: String,
    pub attempts: i64,
}

/// A campaign's balance by account, from the ledger (1/10,000 units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub campaign: String,
    /// What was put in (the budget total, as funded).
    pub budget: i64,
    pub available: i64,
    pub reserved: i64,
    pub spent: i64,
}

impl Balance {
    /// `budget = available + reserved + spent`, and no account below zero.
    pub fn balances(&self) -> bool {
        self.budget == self.available + self.reserved + self.spent
            && self.available >= 0
            && self.reserved >= 0
            && self.spent >= 0
    }
}

pub fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The inputs file of a SQLite URL: `sqlite://DIR/NAME.db` keeps its inputs in
/// `DIR/NAME.db-inputs` (an in-memory database keeps them in memory).
fn inputs_file(url: &str) -> String {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        ":memory:".to_owned()
    } else {
        format!("{path}-inputs")
    }
}

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

impl Store {
    /// Opens (and creates, for SQLite) the database and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("sqlite:") {
            DbKind::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            DbKind::Postgres
        } else {
            return Err(Error::Url(url.to_owned()));
        };
        let pool = match kind {
            DbKind::Sqlite => {
                let attach = format!(
                    "ATTACH DATABASE '{}' AS ing",
                    inputs_file(url).replace('\'', "''")
                );
                let url = if url.contains('?') {
                    url.to_owned()
                } else {
                    format!("{url}?mode=rwc")
                };
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(move |conn, _| {
                        let attach = attach.clone();
                        Box::pin(async move {
                            use sqlx::Executor;
                            // Inputs live in a file of their own (migration 0002), so ingest and
                            // the engine do not wait for one writer lock.
                            conn.execute(sqlx::AssertSqlSafe(attach)).await?;
                            // Without a schema name, journal_mode applies to every attached file.
                            conn.execute("PRAGMA journal_mode=WAL").await?;
                            // FULL: a commit is on disk before it returns, so an acknowledged
                            // input survives power loss, not only a killed process.
                            conn.execute("PRAGMA main.synchronous=FULL").await?;
                            conn.execute("PRAGMA ing.synchronous=FULL").await?;
                            // The inputs file is checkpointed in the background
                            // (Store::checkpoint_inputs), not by whichever ingest commit
                            // happens to cross the WAL's size limit.
                            conn.execute("PRAGMA ing.wal_autocheckpoint=0").await?;
                            conn.execute("PRAGMA busy_timeout=10000").await?;
                            conn.execute("PRAGMA foreign_keys=ON").await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            DbKind::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .connect(url)
                    .await?
            }
        };
        match kind {
            DbKind::Sqlite => SQLITE.run(&pool).await?,
            DbKind::Postgres => POSTGRES.run(&pool).await?,
        }
        Ok(Store { pool, kind })
    }

    pub fn kind(&self) -> DbKind {
        self.kind
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    // ---- tokens

    /// Stores a token's hash with its role; the token itself is returned once, never kept.
    pub async fn create_token(
        &self,
        token: &str,
        name: &str,
        role: &str,
        created_at: &str,
        expires_at: Option<&str>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO tokens (token_hash, name, role, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(sha256_hex(token))
            .bind(name)
            .bind(role)
            .bind(created_at)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn token(&self, token: &str) -> Result<Option<TokenRow>> {
        let row = sqlx::query("SELECT name, role, expires_at FROM tokens WHERE token_hash = $1")
            .bind(sha256_hex(token))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| TokenRow {
            name: r.get(0),
            role: r.get(1),
            expires_at: r.get(2),
        }))
    }

    // ---- releases, reviews, deployments

    /// Inserts a release with the next version number.
    pub async fn insert_release(&self, r: &NewRelease<'_>) -> Result<i64> {
        // Two processes may race for the same version: the UNIQUE constraint refuses one, which
        // then takes the next.
        for _ in 0..20 {
            let next: i64 =
                sqlx::query("SELECT CAST(COALESCE(MAX(version), 0) + 1 AS BIGINT) FROM releases")
                    .fetch_one(&self.pool)
                    .await?
                    .get(0);
            let res = sqlx::query("INSERT INTO releases (id, version, author, status, workspace, journeys, diagnostics, summary, created_at) VALUES ($1, $2, $3, 'pending_review', $4, $5, $6, $7, $8)")
                .bind(r.id)
                .bind(next)
                .bind(r.author)
                .bind(r.workspace)
                .bind(r.journeys)
                .bind(r.diagnostics)
                .bind(r.summary)
                .bind(r.at)
                .execute(&self.pool)
                .await;
            match res {
                Ok(_) => return Ok(next),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict("could not number the release".into()))
    }

    fn release_row(r: &AnyRow) -> ReleaseRow {
        ReleaseRow {
            id: r.get(0),
            version: r.get(1),
            author: r.get(2),
            status: r.get(3),
            workspace: r.get(4),
            journeys: r.get(5),
            diagnostics: r.get(6),
            summary: r.get(7),
            created_at: r.get(8),
        }
    }

    pub async fn release(&self, id: &str) -> Result<Option<ReleaseRow>> {
        let row = sqlx::query("SELECT id, version, author, status, workspace, journeys, diagnostics, summary, created_at FROM releases WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(Self::release_row))
    }

    pub async fn releases(&self, status: Option<&str>) -> Result<Vec<ReleaseRow>> {
        let rows = sqlx::query("SELECT id, version, author, status, workspace, journeys, diagnostics, summary, created_at FROM releases WHERE ($1 = '' OR status = $1) ORDER BY version DESC")
            .bind(status.unwrap_or(""))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(Self::release_row).collect())
    }

    pub async fn reviews(&self, release: &str) -> Result<Vec<ReviewRow>> {
        let rows = sqlx::query(
            "SELECT reviewer, verdict, comment, at FROM reviews WHERE release_id = $1 ORDER BY id",
        )
        .bind(release)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ReviewRow {
                reviewer: r.get(0),
                verdict: r.get(1),
                comment: r.get(2),
                at: r.get(3),
            })
            .collect())
    }

    /// Records a verdict on a pending release; false when it was no longer pending (someone else
    /// decided first). The status change and the review row land together.
    pub async fn review(
        &self,
        release: &str,
        reviewer: &str,
        verdict: &str,
        comment: &str,
        at: &str,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let status = if verdict == "approve" {
            "approved"
        } else {
            "rejected"
        };
        let n = sqlx::query(
            "UPDATE releases SET status = $1 WHERE id = $2 AND status = 'pending_review'",
        )
        .bind(status)
        .bind(release)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO reviews (release_id, reviewer, verdict, comment, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(release)
            .bind(reviewer)
            .bind(verdict)
            .bind(comment)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every deployment row, oldest first.
    pub async fn deployments(&self) -> Result<Vec<DeploymentRow>> {
        let rows = sqlx::query("SELECT id, journey, release_id, version, rollout_percent, mode, action, actor, at FROM deployments ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| DeploymentRow {
                id: r.get(0),
                journey: r.get(1),
                release_id: r.get(2),
                version: r.get(3),
                rollout_percent: r.get(4),
                mode: r.get(5),
                action: r.get(6),
                actor: r.get(7),
                at: r.get(8),
            })
            .collect())
    }

    // ---- inputs and the journal

    /// Appends inputs in one transaction. Per input: `Some(seq)` when new, `None` when its
    /// idempotency key was already there (a duplicate). Durable when this returns.
    pub async fn add_inputs(&self, inputs: &[NewInput], at: &str) -> Result<Vec<Option<i64>>> {
        let mut out = Vec::with_capacity(inputs.len());
        let mut tx = self.pool.begin().await?;
        for chunk in inputs.chunks(400) {
            let mut q = sql::Insert::new(
                "INSERT INTO inputs (kind, ikey, body, received_at, trace_id) VALUES ",
                5,
            );
            for i in chunk {
                q.row(vec![
                    Val::S(i.kind.clone()),
                    Val::N(i.ikey.clone()),
                    Val::S(i.body.clone()),
                    Val::S(at.to_owned()),
                    Val::N(i.trace_id.clone()),
                ]);
            }
            let rows = q
                .finish(" ON CONFLICT (ikey) DO NOTHING RETURNING seq, ikey, body")
                .query()
                .fetch_all(&mut *tx)
                .await?;
            // Rows come back for the inputs inserted; match them by key (or body for keyless).
            let mut by_key: std::collections::HashMap<String, i64> = Default::default();
            let mut keyless: std::collections::VecDeque<(i64, String)> = Default::default();
            for r in &rows {
                let seq: i64 = r.get(0);
                match r.get::<Option<String>, _>(1) {
                    Some(k) => {
                        by_key.insert(k, seq);
                    }
                    None => keyless.push_back((seq, r.get(2))),
                }
            }
            keyless.make_contiguous().sort();
            for i in chunk {
                out.push(match &i.ikey {
                    Some(k) => by_key.remove(k),
                    None => keyless.pop_front().map(|(s, _)| s),
                });
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Inputs not yet in the journal, oldest first, from `from_seq` on.
    pub async fn pending_inputs(&self, from_seq: i64, limit: i64) -> Result<Vec<InputRow>> {
        let rows = sqlx::query("SELECT i.seq, i.kind, i.body, i.trace_id FROM inputs i WHERE i.seq >= $1 AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.input_seq = i.seq) ORDER BY i.seq LIMIT $2")
            .bind(from_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| InputRow {
                seq: r.get(0),
                kind: r.get(1),
                body: r.get(2),
                trace_id: r.get(3),
            })
            .collect())
    }

    /// The journal from `after` on (exclusive), with each input's body, in applied order.
    pub async fn journal(&self, after: i64, limit: i64) -> Result<Vec<JournalRow>> {
        let rows = sqlx::query("SELECT j.proc_seq, j.input_seq, j.kind, j.at, i.body, j.result FROM journal j LEFT JOIN inputs i ON i.seq = j.input_seq WHERE j.proc_seq > $1 ORDER BY j.proc_seq LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| JournalRow {
                proc_seq: r.get(0),
                input_seq: r.get(1),
                kind: r.get(2),
                at: r.get(3),
                body: r.get(4),
                result: r.get(5),
            })
            .collect())
    }

    /// The bodies of the newest `limit` inputs of `kind` (`event`, `profile`), newest first.
    pub async fn recent_inputs(&self, kind: &str, limit: i64) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT body FROM inputs WHERE kind = $1 ORDER BY seq DESC LIMIT $2")
                .bind(kind)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The answer of an applied input: `None` while it waits, `Some(result)` once applied.
    pub async fn result_of(&self, input_seq: i64) -> Result<Option<Option<String>>> {
        let row = sqlx::query("SELECT result FROM journal WHERE input_seq = $1")
            .bind(input_seq)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn input_seq_by_key(&self, ikey: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT seq FROM inputs WHERE ikey = $1")
            .bind(ikey)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The lowest input seq not yet applied (everything below it is in the journal).
    pub async fn first_pending_seq(&self) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COALESCE(MIN(i.seq), 0) AS BIGINT) FROM inputs i WHERE NOT EXISTS (SELECT 1 FROM journal j WHERE j.input_seq = i.seq)")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    pub async fn last_proc_seq(&self) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COALESCE(MAX(proc_seq), 0) AS BIGINT) FROM journal")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    /// Takes or renews the engine lease for `holder` until `now_ms + ttl_ms`. True when held.
    pub async fn acquire_lease(&self, holder: &str, now_ms: i64, ttl_ms: i64) -> Result<bool> {
        let n = sqlx::query("UPDATE leases SET holder = $1, until_ms = $2 WHERE name = 'engine' AND (holder = $1 OR until_ms < $3)")
            .bind(holder)
            .bind(now_ms + ttl_ms)
            .bind(now_ms)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn release_lease(&self, holder: &str) -> Result<()> {
        sqlx::query("UPDATE leases SET until_ms = 0 WHERE name = 'engine' AND holder = $1")
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Writes a processed batch in one transaction, fenced: it commits only while `holder` still
    /// holds the lease (renewed to `until_ms`), so a process that lost the lease writes nothing.
    pub async fn commit_batch(&self, holder: &str, until_ms: i64, b: &Batch) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let n =
            sqlx::query("UPDATE leases SET until_ms = $1 WHERE name = 'engine' AND holder = $2")
                .bind(until_ms)
                .bind(holder)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n != 1 {
            return Err(Error::LeaseLost);
        }
        for chunk in b.journal.chunks(400) {
            let mut q = sql::Insert::new(
                "INSERT INTO journal (proc_seq, input_seq, kind, at, result) VALUES ",
                5,
            );
            for j in chunk {
                q.row(vec![
                    Val::I(j.proc_seq),
                    Val::NI(j.input_seq),
                    Val::S(j.kind.clone()),
                    Val::S(j.at.clone()),
                    Val::N(j.result.clone()),
                ]);
            }
            q.query().execute(&mut *tx).await?;
        }
        for chunk in b.decisions.chunks(300) {
            let mut q = sql::Insert::new(
                "INSERT INTO decisions (proc_seq, ts, user_id, journey, kind, shadow, record, trace_id) VALUES ",
                8,
            );
            for d in chunk {
                q.row(vec![
                    Val::I(d.proc_seq),
                    Val::S(d.ts.clone()),
                    Val::N(d.user_id.clone()),
                    Val::N(d.journey.clone()),
                    Val::S(d.kind.clone()),
                    Val::I(i64::from(d.shadow)),
                    Val::S(d.record.clone()),
                    Val::N(d.trace_id.clone()),
                ]);
            }
            q.query().execute(&mut *tx).await?;
        }
        for chunk in b.ledger.chunks(300) {
            let mut q = sql::Insert::new(
                "INSERT INTO ledger (proc_seq, campaign, account, amount, instance, memo) VALUES ",
                6,
            );
            for l in chunk {
                q.row(vec![
                    Val::I(l.proc_seq),
                    Val::S(l.campaign.clone()),
                    Val::S(l.account.to_owned()),
                    Val::I(l.amount),
                    Val::N(l.instance.clone()),
                    Val::S(l.memo.to_owned()),
                ]);
            }
            q.query().execute(&mut *tx).await?;
        }
        for i in &b.instances {
            sqlx::query("INSERT INTO offer_instances (instance, offer, user_id, campaign, amount, status, expires_at, issued_proc_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (instance) DO UPDATE SET status = excluded.status")
                .bind(&i.instance)
                .bind(&i.offer)
                .bind(&i.user_id)
                .bind(&i.campaign)
                .bind(i.amount)
                .bind(&i.status)
                .bind(&i.expires_at)
                .bind(i.proc_seq)
                .execute(&mut *tx)
                .await?;
        }
        for o in &b.outbox {
            sqlx::query("INSERT INTO outbox (dedup, user_id, channel, template, payload, status, attempts, next_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6) ON CONFLICT (dedup) DO NOTHING")
                .bind(&o.dedup)
                .bind(&o.user_id)
                .bind(&o.channel)
                .bind(&o.template)
                .bind(&o.payload)
                .bind(&o.at)
                .execute(&mut *tx)
                .await?;
        }
        for d in &b.deployments {
            sqlx::query("INSERT INTO deployments (journey, release_id, version, rollout_percent, mode, action, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(&d.journey)
                .bind(&d.release_id)
                .bind(d.version)
                .bind(d.rollout_percent)
                .bind(&d.mode)
                .bind(&d.action)
                .bind(&d.actor)
                .bind(&d.at)
                .execute(&mut *tx)
                .await?;
        }
        for (user, body, at) in &b.profiles {
            sqlx::query("INSERT INTO profiles (user_id, body, updated_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at")
                .bind(user)
                .bind(body)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        // The hard limits, held here too: each account moves by the batch's net amount with a
        // conditional update, and stock is taken unit by unit from its shards. Any refusal
        // returns before the commit, so nothing of the batch is applied.
        let mut net: std::collections::BTreeMap<(&str, &str), i64> = Default::default();
        for l in &b.ledger {
            *net.entry((l.campaign.as_str(), l.account)).or_default() += l.amount;
        }
        for ((campaign, account), amount) in net {
            if amount == 0 {
                continue;
            }
            sqlx::query("INSERT INTO balances (campaign, account, amount) VALUES ($1, $2, 0) ON CONFLICT (campaign, account) DO NOTHING")
                .bind(campaign)
                .bind(account)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("UPDATE balances SET amount = amount + $3 WHERE campaign = $1 AND account = $2 AND (account = 'budget' OR amount + $3 >= 0)")
                .bind(campaign)
                .bind(account)
                .bind(amount)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n != 1 {
                return Err(Error::LimitBreached(format!(
                    "campaign {campaign:?}: account {account} would go below zero"
                )));
            }
        }
        for op in &b.stock {
            match op {
                StockOp::Set { offer, left } => set_stock_in(&mut tx, offer, *left).await?,
                StockOp::Take { offer, instance } => {
                    if !take_stock_in(&mut tx, offer, instance).await? {
                        return Err(Error::LimitBreached(format!(
                            "offer {offer:?}: no stock left for instance {instance:?}"
                        )));
                    }
                }
            }
        }
        if b.timers_reset {
            sqlx::query("DELETE FROM timers").execute(&mut *tx).await?;
        }
        for chunk in b.timers_set.chunks(150) {
            let mut q = sql::Insert::new(
                "INSERT INTO timers (tkey, due_ms, due_at, kind, user_id, journey) VALUES ",
                6,
            );
            for t in chunk {
                q.row(vec![
                    Val::S(t.key.clone()),
                    Val::I(t.due_ms),
                    Val::S(t.due_at.clone()),
                    Val::S(t.kind.clone()),
                    Val::N(t.user_id.clone()),
                    Val::N(t.journey.clone()),
                ]);
            }
            q.finish(" ON CONFLICT (tkey) DO UPDATE SET due_ms = excluded.due_ms, due_at = excluded.due_at, kind = excluded.kind, user_id = excluded.user_id, journey = excluded.journey, claimed_until = 0")
                .query()
                .execute(&mut *tx)
                .await?;
        }
        for chunk in b.timers_done.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM timers WHERE tkey IN ({})",
                marks.join(", ")
            )));
            for k in chunk {
                q = q.bind(k.clone());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- limits and timers

    /// Takes one unit of an offer's stock in a transaction of its own (see [`Batch::stock`]).
    pub async fn take_stock(&self, offer: &str, instance: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let ok = take_stock_in(&mut tx, offer, instance).await?;
        tx.commit().await?;
        Ok(ok)
    }

    /// Sets an offer's stock rows (see [`StockOp::Set`]).
    pub async fn set_stock(&self, offer: &str, left: Option<i64>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        set_stock_in(&mut tx, offer, left).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An offer's stock rows, by shard: `(shard, remaining)`.
    pub async fn stock_rows(&self, offer: &str) -> Result<Vec<(i64, i64)>> {
        let rows =
            sqlx::query("SELECT shard, remaining FROM stock WHERE offer = $1 ORDER BY shard")
                .bind(offer)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The running balances the database holds per campaign account: `(campaign, account,
    /// amount)`, to compare with the ledger's sums.
    pub async fn balance_rows(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query("SELECT campaign, account, amount FROM balances WHERE amount <> 0 ORDER BY campaign, account")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    /// Every offer's stock left as the database holds it: `(offer, remaining, shards)`.
    pub async fn stock_left(&self) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query("SELECT offer, CAST(SUM(remaining) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM stock GROUP BY offer ORDER BY offer")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    /// How many timer rows wait, and how many of them are due at `now_ms` (overdue: not yet
    /// fired).
    pub async fn timer_counts(&self, now_ms: i64) -> Result<(i64, i64)> {
        let r = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN due_ms <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) FROM timers")
            .bind(now_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok((r.get(0), r.get(1)))
    }

    /// Timer rows, soonest first.
    pub async fn timer_rows(&self) -> Result<Vec<TimerRow>> {
        let rows = sqlx::query(
            "SELECT tkey, due_ms, due_at, kind, user_id, journey FROM timers ORDER BY due_ms, tkey",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| TimerRow {
                key: r.get(0),
                due_ms: r.get(1),
                due_at: r.get(2),
                kind: r.get(3),
                user_id: r.get(4),
                journey: r.get(5),
            })
            .collect())
    }

    /// The scheduler's claim: up to `limit` timer rows due at `now_ms` and not claimed by anyone
    /// (or whose claim ran out) are claimed until `now_ms + hold_ms`, and one `tick` input is
    /// appended for them, in one transaction. On PostgreSQL the rows are locked with
    /// `FOR UPDATE SKIP LOCKED`, so several processes claiming at once take different rows; on
    /// SQLite one statement claims them under the database's single writer. The tick's
    /// idempotency key is the latest due time claimed, so claiming again after a crash (the
    /// claim ran out before the row fired) appends nothing twice. Returns the keys claimed.
    pub async fn claim_due_timers(
        &self,
        now_ms: i64,
        hold_ms: i64,
        limit: i64,
        at: &str,
    ) -> Result<Vec<String>> {
        let mut tx = self.pool.begin().await?;
        let sql = match self.kind {
            DbKind::Postgres => "WITH due AS (SELECT tkey FROM timers WHERE due_ms <= $1 AND claimed_until < $1 ORDER BY due_ms LIMIT $3 FOR UPDATE SKIP LOCKED) UPDATE timers SET claimed_until = $2 FROM due WHERE timers.tkey = due.tkey RETURNING timers.tkey, timers.due_ms, timers.due_at",
            DbKind::Sqlite => "UPDATE timers SET claimed_until = $2 WHERE tkey IN (SELECT tkey FROM timers WHERE due_ms <= $1 AND claimed_until < $1 ORDER BY due_ms LIMIT $3) RETURNING tkey, due_ms, due_at",
        };
        let rows = sqlx::query(sql)
            .bind(now_ms)
            .bind(now_ms + hold_ms)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        let Some(last) = rows.iter().max_by_key(|r| r.get::<i64, _>(1)) else {
            return Ok(Vec::new());
        };
        let (due_ms, due_at): (i64, String) = (last.get(1), last.get(2));
        sqlx::query("INSERT INTO inputs (kind, ikey, body, received_at) VALUES ('tick', $1, $2, $3) ON CONFLICT (ikey) DO NOTHING")
            .bind(format!("tick:{due_ms}"))
            .bind(serde_json::json!({ "until": due_at, "timers": rows.len() }).to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    // ---- reads

    /// Decision records, oldest first.
    pub async fn decisions(
        &self,
        user: Option<&str>,
        journey: Option<&str>,
        since: Option<&str>,
        shadow: bool,
        limit: i64,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT record FROM decisions WHERE ($1 = '' OR user_id = $1) AND ($2 = '' OR journey = $2) AND ($3 = '' OR ts >= $3) AND shadow = $4 ORDER BY id LIMIT $5")
            .bind(user.unwrap_or(""))
            .bind(journey.unwrap_or(""))
            .bind(since.unwrap_or(""))
            .bind(i64::from(shadow))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The decision records of one trace, oldest first, narrowed like [`Store::decisions`]. Its
    /// own query so that the `decisions_trace` index serves it.
    pub async fn decisions_of_trace(
        &self,
        trace_id: &str,
        user: Option<&str>,
        journey: Option<&str>,
        since: Option<&str>,
        shadow: bool,
        limit: i64,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT record FROM decisions WHERE trace_id = $1 AND ($2 = '' OR user_id = $2) AND ($3 = '' OR journey = $3) AND ($4 = '' OR ts >= $4) AND shadow = $5 ORDER BY id LIMIT $6")
            .bind(trace_id)
            .bind(user.unwrap_or(""))
            .bind(journey.unwrap_or(""))
            .bind(since.unwrap_or(""))
            .bind(i64::from(shadow))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The reconciliation query: each campaign's accounts from the double-entry ledger.
    pub async fn reconcile(&self) -> Result<Vec<Balance>> {
        let rows = sqlx::query("SELECT campaign, account, CAST(SUM(amount) AS BIGINT) FROM ledger GROUP BY campaign, account ORDER BY campaign, account")
            .fetch_all(&self.pool)
            .await?;
        let mut out: Vec<Balance> = Vec::new();
        for r in &rows {
            let c: String = r.get(0);
            let a: String = r.get(1);
            let v: i64 = r.get(2);
            if out.last().is_none_or(|b| b.campaign != c) {
                out.push(Balance {
                    campaign: c,
                    budget: 0,
                    available: 0,
                    reserved: 0,
                    spent: 0,
                });
            }
            let b = out.last_mut().expect("pushed");
            match a.as_str() {
                // The source account goes negative by what it funded.
                "budget" => b.budget = -v,
                "available" => b.available = v,
                "reserved" => b.reserved = v,
                "spent" => b.spent = v,
                _ => {}
            }
        }
        Ok(out)
    }

    /// Sum of every ledger leg (zero in a double-entry ledger).
    pub async fn ledger_sum(&self) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    pub async fn count(&self, table: &str) -> Result<i64> {
        // Table names come from code, never from input.
        let allowed = [
            "inputs",
            "journal",
            "decisions",
            "ledger",
            "offer_instances",
            "outbox",
            "receipts",
            "releases",
        ];
        if !allowed.contains(&table) {
            return Err(Error::Conflict(format!("no table {table}")));
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"
        )))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get(0))
    }

    /// Offer instances of one user, newest first.
    pub async fn instances_of(&self, user: &str) -> Result<Vec<InstanceRow>> {
        let rows = sqlx::query("SELECT instance, offer, user_id, campaign, amount, status, expires_at, issued_proc_seq FROM offer_instances WHERE user_id = $1 ORDER BY issued_proc_seq DESC")
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| InstanceRow {
                instance: r.get(0),
                offer: r.get(1),
                user_id: r.get(2),
                campaign: r.get(3),
                amount: r.get(4),
                status: r.get(5),
                expires_at: r.get(6),
                proc_seq: r.get(7),
            })
            .collect())
    }

    /// A user's messages (the inbox channel and every other send), newest first.
    pub async fn messages_of(
        &self,
        user: &str,
        limit: i64,
    ) -> Result<Vec<(String, String, String, String, String)>> {
        let rows = sqlx::query("SELECT channel, template, payload, status, created_at FROM outbox WHERE user_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(user)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect())
    }

    // ---- the outbox

    /// Pending deliveries due at `now`, oldest first. Delivery is at-least-once towards the
    /// provider, with the row's `dedup` key as the idempotency header.
    pub async fn outbox_due(&self, now: &str, limit: i64) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query("SELECT id, dedup, user_id, channel, template, payload, attempts FROM outbox WHERE status = 'pending' AND next_at <= $1 ORDER BY id LIMIT $2")
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| OutboxItem {
                id: r.get(0),
                dedup: r.get(1),
                user_id: r.get(2),
                channel: r.get(3),
                template: r.get(4),
                payload: r.get(5),
                attempts: r.get(6),
            })
            .collect())
    }

    /// Records one delivery attempt: `status` becomes `delivered`, `failed`, or stays `pending`
    /// with a later `next_at`. `then` is an input appended first (a final failure's
    /// `delivery_failed`, idempotent by its key): on SQLite inputs are another file, and a
    /// transaction over two WAL files is not atomic across a crash, so the input goes first. A
    /// crash between the two leaves the row pending at its last attempt with its input
    /// recorded: the deliverer sees the input ([`Store::input_exists`]) and marks the row failed
    /// without sending again, so the engine hears of each failure exactly once and the message
    /// never goes out on both channels.
    #[allow(clippy::too_many_arguments)]
    pub async fn outbox_attempt(
        &self,
        id: i64,
        ok: bool,
        status: &str,
        detail: &str,
        next_at: &str,
        at: &str,
        then: Option<&NewInput>,
    ) -> Result<()> {
        if let Some(i) = then {
            sqlx::query("INSERT INTO inputs (kind, ikey, body, received_at, trace_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ikey) DO NOTHING")
                .bind(&i.kind)
                .bind(&i.ikey)
                .bind(&i.body)
                .bind(at)
                .bind(&i.trace_id)
                .execute(&self.pool)
                .await?;
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE outbox SET status = $1, attempts = attempts + 1, next_at = $2, last_error = $3, delivered_at = CASE WHEN $4 = 1 THEN $5 ELSE delivered_at END WHERE id = $6")
            .bind(status)
            .bind(next_at)
            .bind(if ok { None } else { Some(detail) })
            .bind(i64::from(ok))
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO receipts (outbox_id, attempt, ok, detail, at) VALUES ($1, (SELECT attempts FROM outbox WHERE id = $1), $2, $3, $4)")
            .bind(id)
            .bind(i64::from(ok))
            .bind(detail)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether an input with this idempotency key was recorded.
    pub async fn input_exists(&self, ikey: &str) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) FROM inputs WHERE ikey = $1")
            .bind(ikey)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get::<i64, _>(0) > 0)
    }

    /// SQLite: copies the inputs file's WAL into it without waiting for (or holding up) any
    /// writer. Run it periodically; ingest commits never checkpoint themselves.
    pub async fn checkpoint_inputs(&self) -> Result<()> {
        if self.kind == DbKind::Sqlite {
            sqlx::query("PRAGMA ing.wal_checkpoint(PASSIVE)")
                .fetch_all(&self.pool)
                .await?;
        }
        Ok(())
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }
}
