//! The durable store of the engine service, over sqlx's `Any` driver so one set of queries runs on
//! SQLite (the default, a file in WAL mode) and PostgreSQL (several service processes at once).
//!
//! The store knows rows, not journeys: it keeps JSON documents and money in integer units of
//! 1/10,000 (so SQL sums are exact). The engine's state is a deterministic fold over the
//! [journal](Store::journal); the store makes every input durable before it is acknowledged and
//! writes each processed batch (journal, decisions, ledger legs, outbox rows) in one transaction,
//! fenced by the engine lease so two processes never both apply an input.

use sqlx::any::AnyPoolOptions;
use sqlx::query_builder::Separated;
use sqlx::{Any, AnyPool, QueryBuilder, Row};

mod sql;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Db(sqlx::Error),
    /// A row's value could not be read as the type the store reads it as, or the row has no such
    /// column (a schema that drifted, a value written by hand): never a panic, always the column.
    #[error("cannot read column {column:?}: {source}")]
    Column {
        column: String,
        #[source]
        source: sqlx::error::BoxDynError,
    },
    /// A statement built at run time did not come out right (see `sql::build`).
    #[error("building a statement: {0}")]
    Build(sqlx::error::BoxDynError),
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

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Error {
        match e {
            // sqlx names the column as `try_get` was given it: by name, in quotes.
            sqlx::Error::ColumnDecode { index, source } => Error::Column {
                column: index.trim_matches('"').to_owned(),
                source,
            },
            sqlx::Error::ColumnNotFound(column) => Error::Column {
                column,
                source: "no such column in the row".into(),
            },
            e => Error::Db(e),
        }
    }
}

impl Error {
    /// The column a row could not be read from, when that is what went wrong.
    pub fn column(&self) -> Option<&str> {
        match self {
            Error::Column { column, .. } => Some(column),
            _ => None,
        }
    }
}

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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub name: String,
    pub role: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    pub reviewer: String,
    pub verdict: String,
    pub comment: String,
    pub at: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
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

/// A snapshot of the runtime after journal entry `proc_seq` (JSON texts).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SnapshotRow {
    pub proc_seq: i64,
    pub runtime: String,
    pub engine: String,
    pub mirror: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InputRow {
    pub seq: i64,
    pub kind: String,
    pub body: String,
    /// `None` for inputs stored before trace ids, and for the scheduler's ticks.
    pub trace_id: Option<String>,
}

/// One applied step of the engine, for replay.
#[derive(Debug, Clone, sqlx::FromRow)]
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

/// A live decision record with its seq ([`Store::feed`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedRow {
    pub seq: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub trace_id: Option<String>,
    /// The record as JSON text, as `GET /v1/decisions` reads it.
    pub record: String,
}

/// Where a publisher of the decision log stands ([`Store::publish_cursor`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PublishCursor {
    /// A random name made with the cursor: message ids are `<stream>-<seq>`.
    pub stream: String,
    /// The highest seq the broker has confirmed (0: none).
    pub seq: i64,
}

/// Which decision records to read ([`Store::decisions`]); `None` (or an empty text) leaves a
/// filter out.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecisionQuery<'a> {
    pub user: Option<&'a str>,
    pub journey: Option<&'a str>,
    /// Records of this time or later (RFC 3339 texts compare in time order).
    pub since: Option<&'a str>,
    /// Shadow records instead of live ones.
    pub shadow: bool,
    /// Records after this seq (exclusive): the cursor of the page before.
    pub after: Option<i64>,
    /// One trace's records (the `decisions_trace` index serves it).
    pub trace_id: Option<&'a str>,
    pub limit: i64,
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
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TimerRow {
    #[sqlx(rename = "tkey")]
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
    let rows: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM stock WHERE offer = $1")
        .bind(offer)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    Ok(rows == 0)
}

/// Sets an offer's stock rows to `left` units split over the shards (`None`: no rows).
async fn set_stock_in(
    conn: &mut sqlx::AnyConnection,
    kind: DbKind,
    offer: &str,
    left: Option<i64>,
) -> Result<()> {
    sqlx::query("DELETE FROM stock WHERE offer = $1")
        .bind(offer)
        .execute(&mut *conn)
        .await?;
    if let Some(left) = left {
        let left = left.max(0);
        let mut qb = QueryBuilder::new("INSERT INTO stock (offer, shard, remaining) ");
        qb.push_values(0..STOCK_SHARDS, |mut row, shard| {
            let share = left / STOCK_SHARDS + i64::from(shard < left % STOCK_SHARDS);
            row.push_bind(offer.to_owned())
                .push_bind(shard)
                .push_bind(share);
        });
        sql::build(kind, qb)?.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts `rows` with multi-row statements, each binding as many values as one statement may.
/// `head` names the table and its columns, `push` binds one row's `width` values, and `tail`
/// follows each `VALUES` list (an `ON CONFLICT` clause).
async fn insert_rows<T>(
    conn: &mut sqlx::AnyConnection,
    kind: DbKind,
    head: &str,
    width: usize,
    rows: &[T],
    tail: &str,
    mut push: impl FnMut(Separated<'_, Any, &'static str>, &T),
) -> Result<()> {
    for chunk in rows.chunks(sql::rows_per_statement(kind, width)) {
        let mut qb = QueryBuilder::new(head);
        qb.push_values(chunk, &mut push);
        qb.push(tail);
        sql::build(kind, qb)?.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The last row of each key, in the order of those last rows.
fn last_of<'a, T>(rows: &'a [T], key: impl Fn(&'a T) -> &'a str) -> Vec<&'a T> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<&T> = rows.iter().rev().filter(|r| seen.insert(key(r))).collect();
    out.reverse();
    out
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstanceRow {
    pub instance: String,
    pub offer: String,
    pub user_id: String,
    pub campaign: Option<String>,
    pub amount: i64,
    pub status: String,
    pub expires_at: Option<String>,
    #[sqlx(rename = "issued_proc_seq")]
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

#[derive(Debug, Clone, sqlx::FromRow)]
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
        Ok(
            sqlx::query_as("SELECT name, role, expires_at FROM tokens WHERE token_hash = $1")
                .bind(sha256_hex(token))
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    // ---- releases, reviews, deployments

    /// Inserts a release with the next version number.
    pub async fn insert_release(&self, r: &NewRelease<'_>) -> Result<i64> {
        // Two processes may race for the same version: the UNIQUE constraint refuses one, which
        // then takes the next.
        for _ in 0..20 {
            let next: i64 = sqlx::query(
                "SELECT CAST(COALESCE(MAX(version), 0) + 1 AS BIGINT) AS next FROM releases",
            )
            .fetch_one(&self.pool)
            .await?
            .try_get("next")?;
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

    pub async fn release(&self, id: &str) -> Result<Option<ReleaseRow>> {
        Ok(sqlx::query_as("SELECT id, version, author, status, workspace, journeys, diagnostics, summary, created_at FROM releases WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn releases(&self, status: Option<&str>) -> Result<Vec<ReleaseRow>> {
        Ok(sqlx::query_as("SELECT id, version, author, status, workspace, journeys, diagnostics, summary, created_at FROM releases WHERE ($1 = '' OR status = $1) ORDER BY version DESC")
            .bind(status.unwrap_or(""))
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn reviews(&self, release: &str) -> Result<Vec<ReviewRow>> {
        Ok(sqlx::query_as(
            "SELECT reviewer, verdict, comment, at FROM reviews WHERE release_id = $1 ORDER BY id",
        )
        .bind(release)
        .fetch_all(&self.pool)
        .await?)
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
        Ok(sqlx::query_as("SELECT id, journey, release_id, version, rollout_percent, mode, action, actor, at FROM deployments ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }

    // ---- inputs and the journal

    /// Appends inputs in one transaction. Per input: `Some(seq)` when new, `None` when its
    /// idempotency key was already there (a duplicate). Durable when this returns.
    pub async fn add_inputs(&self, inputs: &[NewInput], at: &str) -> Result<Vec<Option<i64>>> {
        let mut out = Vec::with_capacity(inputs.len());
        let mut tx = self.pool.begin().await?;
        for chunk in inputs.chunks(sql::rows_per_statement(self.kind, 5)) {
            let mut qb =
                QueryBuilder::new("INSERT INTO inputs (kind, ikey, body, received_at, trace_id) ");
            qb.push_values(chunk, |mut row, i| {
                row.push_bind(i.kind.clone())
                    .push_bind(i.ikey.clone())
                    .push_bind(i.body.clone())
                    .push_bind(at.to_owned())
                    .push_bind(i.trace_id.clone());
            });
            qb.push(" ON CONFLICT (ikey) DO NOTHING RETURNING seq, ikey, body");
            let rows = sql::build(self.kind, qb)?.fetch_all(&mut *tx).await?;
            // Rows come back for the inputs inserted; match them by key (or body for keyless).
            let mut by_key: std::collections::HashMap<String, i64> = Default::default();
            let mut keyless: std::collections::VecDeque<(i64, String)> = Default::default();
            for r in &rows {
                let seq: i64 = r.try_get("seq")?;
                match r.try_get::<Option<String>, _>("ikey")? {
                    Some(k) => {
                        by_key.insert(k, seq);
                    }
                    None => keyless.push_back((seq, r.try_get("body")?)),
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
        Ok(sqlx::query_as("SELECT i.seq, i.kind, i.body, i.trace_id FROM inputs i WHERE i.seq >= $1 AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.input_seq = i.seq) ORDER BY i.seq LIMIT $2")
            .bind(from_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The journal from `after` on (exclusive), with each input's body, in applied order.
    pub async fn journal(&self, after: i64, limit: i64) -> Result<Vec<JournalRow>> {
        Ok(sqlx::query_as("SELECT j.proc_seq AS proc_seq, j.input_seq AS input_seq, j.kind AS kind, j.at AS at, i.body AS body, j.result AS result FROM journal j LEFT JOIN inputs i ON i.seq = j.input_seq WHERE j.proc_seq > $1 ORDER BY j.proc_seq LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The bodies of the newest `limit` inputs of `kind` (`event`, `profile`), newest first.
    pub async fn recent_inputs(&self, kind: &str, limit: i64) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT body FROM inputs WHERE kind = $1 ORDER BY seq DESC LIMIT $2")
                .bind(kind)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("body"))
            .collect::<Result<_, _>>()?)
    }

    /// The answer of an applied input: `None` while it waits, `Some(result)` once applied.
    pub async fn result_of(&self, input_seq: i64) -> Result<Option<Option<String>>> {
        let row = sqlx::query("SELECT result FROM journal WHERE input_seq = $1")
            .bind(input_seq)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("result")).transpose()?)
    }

    pub async fn input_seq_by_key(&self, ikey: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT seq FROM inputs WHERE ikey = $1")
            .bind(ikey)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("seq")).transpose()?)
    }

    /// The lowest input seq not yet applied (everything below it is in the journal).
    pub async fn first_pending_seq(&self) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COALESCE(MIN(i.seq), 0) AS BIGINT) AS seq FROM inputs i WHERE NOT EXISTS (SELECT 1 FROM journal j WHERE j.input_seq = i.seq)")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("seq")?)
    }

    pub async fn last_proc_seq(&self) -> Result<i64> {
        let row =
            sqlx::query("SELECT CAST(COALESCE(MAX(proc_seq), 0) AS BIGINT) AS seq FROM journal")
                .fetch_one(&self.pool)
                .await?;
        Ok(row.try_get("seq")?)
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
        let kind = self.kind;
        let conn: &mut sqlx::AnyConnection = &mut tx;
        insert_rows(
            conn,
            kind,
            "INSERT INTO journal (proc_seq, input_seq, kind, at, result) ",
            5,
            &b.journal,
            "",
            |mut row, j| {
                row.push_bind(j.proc_seq)
                    .push_bind(j.input_seq)
                    .push_bind(j.kind.clone())
                    .push_bind(j.at.clone())
                    .push_bind(j.result.clone());
            },
        )
        .await?;
        insert_rows(
            conn,
            kind,
            "INSERT INTO decisions (proc_seq, ts, user_id, journey, kind, shadow, record, trace_id) ",
            8,
            &b.decisions,
            "",
            |mut row, d| {
                row.push_bind(d.proc_seq)
                    .push_bind(d.ts.clone())
                    .push_bind(d.user_id.clone())
                    .push_bind(d.journey.clone())
                    .push_bind(d.kind.clone())
                    .push_bind(i64::from(d.shadow))
                    .push_bind(d.record.clone())
                    .push_bind(d.trace_id.clone());
            },
        )
        .await?;
        insert_rows(
            conn,
            kind,
            "INSERT INTO ledger (proc_seq, campaign, account, amount, instance, memo) ",
            6,
            &b.ledger,
            "",
            |mut row, l| {
                row.push_bind(l.proc_seq)
                    .push_bind(l.campaign.clone())
                    .push_bind(l.account)
                    .push_bind(l.amount)
                    .push_bind(l.instance.clone())
                    .push_bind(l.memo);
            },
        )
        .await?;
        // One statement may not touch a row twice (PostgreSQL refuses `DO UPDATE` on a row it
        // already inserted), so each upsert's rows are folded first into what writing them one
        // by one in order would leave: an instance keeps the columns it was first written with
        // and takes its last status.
        let mut instances: Vec<(&InstanceRow, &str)> = Vec::with_capacity(b.instances.len());
        let mut seen: std::collections::HashMap<&str, usize> = Default::default();
        for i in &b.instances {
            match seen.get(i.instance.as_str()) {
                Some(&k) => instances[k].1 = i.status.as_str(),
                None => {
                    seen.insert(i.instance.as_str(), instances.len());
                    instances.push((i, i.status.as_str()));
                }
            }
        }
        insert_rows(
            conn,
            kind,
            "INSERT INTO offer_instances (instance, offer, user_id, campaign, amount, status, expires_at, issued_proc_seq) ",
            8,
            &instances,
            " ON CONFLICT (instance) DO UPDATE SET status = excluded.status",
            |mut row, (i, status)| {
                row.push_bind(i.instance.clone())
                    .push_bind(i.offer.clone())
                    .push_bind(i.user_id.clone())
                    .push_bind(i.campaign.clone())
                    .push_bind(i.amount)
                    .push_bind(status.to_string())
                    .push_bind(i.expires_at.clone())
                    .push_bind(i.proc_seq);
            },
        )
        .await?;
        // The first row of a dedup key is the one kept (`DO NOTHING` for the others).
        let mut seen = std::collections::HashSet::new();
        let outbox: Vec<&OutboxRow> = b
            .outbox
            .iter()
            .filter(|o| seen.insert(o.dedup.as_str()))
            .collect();
        insert_rows(
            conn,
            kind,
            "INSERT INTO outbox (dedup, user_id, channel, template, payload, status, attempts, next_at, created_at) ",
            7,
            &outbox,
            " ON CONFLICT (dedup) DO NOTHING",
            |mut row, o| {
                row.push_bind(o.dedup.clone())
                    .push_bind(o.user_id.clone())
                    .push_bind(o.channel.clone())
                    .push_bind(o.template.clone())
                    .push_bind(o.payload.clone())
                    .push("'pending'")
                    .push("0")
                    .push_bind(o.at.clone())
                    .push_bind(o.at.clone());
            },
        )
        .await?;
        insert_rows(
            conn,
            kind,
            "INSERT INTO deployments (journey, release_id, version, rollout_percent, mode, action, actor, at) ",
            8,
            &b.deployments,
            "",
            |mut row, d| {
                row.push_bind(d.journey.clone())
                    .push_bind(d.release_id.clone())
                    .push_bind(d.version)
                    .push_bind(d.rollout_percent)
                    .push_bind(d.mode.clone())
                    .push_bind(d.action.clone())
                    .push_bind(d.actor.clone())
                    .push_bind(d.at.clone());
            },
        )
        .await?;
        // The last body of a user is the one kept.
        let profiles = last_of(&b.profiles, |(user, _, _)| user.as_str());
        insert_rows(
            conn,
            kind,
            "INSERT INTO profiles (user_id, body, updated_at) ",
            3,
            &profiles,
            " ON CONFLICT (user_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            |mut row, (user, body, at)| {
                row.push_bind(user.clone())
                    .push_bind(body.clone())
                    .push_bind(at.clone());
            },
        )
        .await?;
        // The hard limits, held here too: each account moves by the batch's net amount with a
        // conditional update, and stock is taken unit by unit from its shards. Any refusal
        // returns before the commit, so nothing of the batch is applied.
        let mut net: std::collections::BTreeMap<(&str, &str), i64> = Default::default();
        for l in &b.ledger {
            *net.entry((l.campaign.as_str(), l.account)).or_default() += l.amount;
        }
        net.retain(|_, amount| *amount != 0);
        let accounts: Vec<(&str, &str)> = net.keys().copied().collect();
        insert_rows(
            conn,
            kind,
            "INSERT INTO balances (campaign, account, amount) ",
            2,
            &accounts,
            " ON CONFLICT (campaign, account) DO NOTHING",
            |mut row, (campaign, account)| {
                row.push_bind(campaign.to_string())
                    .push_bind(account.to_string())
                    .push("0");
            },
        )
        .await?;
        for ((campaign, account), amount) in net {
            let n = sqlx::query("UPDATE balances SET amount = amount + $3 WHERE campaign = $1 AND account = $2 AND (account = 'budget' OR amount + $3 >= 0)")
                .bind(campaign)
                .bind(account)
                .bind(amount)
                .execute(&mut *conn)
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
                StockOp::Set { offer, left } => set_stock_in(conn, kind, offer, *left).await?,
                StockOp::Take { offer, instance } => {
                    if !take_stock_in(conn, offer, instance).await? {
                        return Err(Error::LimitBreached(format!(
                            "offer {offer:?}: no stock left for instance {instance:?}"
                        )));
                    }
                }
            }
        }
        if b.timers_reset {
            sqlx::query("DELETE FROM timers")
                .execute(&mut *conn)
                .await?;
        }
        // The last due time set for a key is the one kept.
        let timers = last_of(&b.timers_set, |t| t.key.as_str());
        insert_rows(
            conn,
            kind,
            "INSERT INTO timers (tkey, due_ms, due_at, kind, user_id, journey) ",
            6,
            &timers,
            " ON CONFLICT (tkey) DO UPDATE SET due_ms = excluded.due_ms, due_at = excluded.due_at, kind = excluded.kind, user_id = excluded.user_id, journey = excluded.journey, claimed_until = 0",
            |mut row, t| {
                row.push_bind(t.key.clone())
                    .push_bind(t.due_ms)
                    .push_bind(t.due_at.clone())
                    .push_bind(t.kind.clone())
                    .push_bind(t.user_id.clone())
                    .push_bind(t.journey.clone());
            },
        )
        .await?;
        for chunk in b.timers_done.chunks(sql::rows_per_statement(kind, 1)) {
            let mut qb = QueryBuilder::new("DELETE FROM timers WHERE tkey IN (");
            let mut keys = qb.separated(", ");
            for k in chunk {
                keys.push_bind(k.clone());
            }
            qb.push(")");
            sql::build(kind, qb)?.execute(&mut *conn).await?;
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
        set_stock_in(&mut tx, self.kind, offer, left).await?;
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
        rows.iter()
            .map(|r| Ok((r.try_get("shard")?, r.try_get("remaining")?)))
            .collect()
    }

    /// The running balances the database holds per campaign account: `(campaign, account,
    /// amount)`, to compare with the ledger's sums.
    pub async fn balance_rows(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query("SELECT campaign, account, amount FROM balances WHERE amount <> 0 ORDER BY campaign, account")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("campaign")?,
                    r.try_get("account")?,
                    r.try_get("amount")?,
                ))
            })
            .collect()
    }

    /// Every offer's stock left as the database holds it: `(offer, remaining, shards)`.
    pub async fn stock_left(&self) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query("SELECT offer, CAST(SUM(remaining) AS BIGINT) AS remaining, CAST(COUNT(*) AS BIGINT) AS shards FROM stock GROUP BY offer ORDER BY offer")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("offer")?,
                    r.try_get("remaining")?,
                    r.try_get("shards")?,
                ))
            })
            .collect()
    }

    /// How many timer rows wait, and how many of them are due at `now_ms` (overdue: not yet
    /// fired).
    pub async fn timer_counts(&self, now_ms: i64) -> Result<(i64, i64)> {
        let r = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS waiting, CAST(COALESCE(SUM(CASE WHEN due_ms <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS due FROM timers")
            .bind(now_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok((r.try_get("waiting")?, r.try_get("due")?))
    }

    /// Timer rows, soonest first.
    pub async fn timer_rows(&self) -> Result<Vec<TimerRow>> {
        Ok(sqlx::query_as(
            "SELECT tkey, due_ms, due_at, kind, user_id, journey FROM timers ORDER BY due_ms, tkey",
        )
        .fetch_all(&self.pool)
        .await?)
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
        // (due_ms, due_at, tkey) of each row claimed.
        let claimed = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<i64, _>("due_ms")?,
                    r.try_get::<String, _>("due_at")?,
                    r.try_get::<String, _>("tkey")?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let Some((due_ms, due_at, _)) = claimed.iter().max_by_key(|c| c.0).cloned() else {
            return Ok(Vec::new());
        };
        sqlx::query("INSERT INTO inputs (kind, ikey, body, received_at) VALUES ('tick', $1, $2, $3) ON CONFLICT (ikey) DO NOTHING")
            .bind(format!("tick:{due_ms}"))
            .bind(serde_json::json!({ "until": due_at, "timers": rows.len() }).to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(claimed.into_iter().map(|(_, _, key)| key).collect())
    }

    // ---- reads

    /// Decision records in the order they were written, as `(seq, record)`: `seq` is the row's
    /// id, the cursor [`DecisionQuery::after`] takes. Only the filters given are in the
    /// statement, so each is one range of an index in id order (`decisions_paging` migration):
    /// `decisions_user` with a user, `decisions_journey` with a journey, `decisions_shadow`
    /// otherwise.
    pub async fn decisions(&self, q: &DecisionQuery<'_>) -> Result<Vec<(i64, String)>> {
        let mut qb = QueryBuilder::new("SELECT id, record FROM decisions WHERE shadow = ");
        qb.push_bind(i64::from(q.shadow));
        let given = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        if let Some(user) = given(q.user) {
            qb.push(" AND user_id = ").push_bind(user);
        }
        if let Some(journey) = given(q.journey) {
            // With a user as well, the journey is compared through COALESCE (the same answer for
            // a non-empty journey) so that neither database walks the journey's index instead
            // of the user's, the narrower one: SQLite without statistics takes either.
            qb.push(if q.user.is_some_and(|u| !u.is_empty()) {
                " AND COALESCE(journey, '') = "
            } else {
                " AND journey = "
            })
            .push_bind(journey);
        }
        if let Some(since) = given(q.since) {
            qb.push(" AND ts >= ").push_bind(since);
        }
        if let Some(trace) = given(q.trace_id) {
            qb.push(" AND trace_id = ").push_bind(trace);
        }
        if let Some(after) = q.after {
            qb.push(" AND id > ").push_bind(after);
        }
        qb.push(" ORDER BY id LIMIT ").push_bind(q.limit);
        let rows = sql::build(self.kind, qb)?.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("record")?)))
            .collect()
    }

    /// Live decision records after `after` (exclusive), oldest first: what the publisher
    /// (`--amqp-publish`) and `GET /v1/decisions/stream` send. Shadow records are not among them.
    /// One range of the `decisions_shadow` index. Seqs become visible in increasing order, so a
    /// reader that moves its cursor to the last seq it read never misses one: decisions are
    /// written by [`Store::commit_batch`] only, after its fencing update of the lease row, which
    /// holds that row (PostgreSQL's row lock, SQLite's one writer) until the commit; the ids are
    /// drawn under it, so no batch commits lower ids after a later batch's are visible.
    pub async fn feed(&self, after: i64, limit: i64) -> Result<Vec<FeedRow>> {
        Ok(sqlx::query_as("SELECT id AS seq, kind, user_id, trace_id, record FROM decisions WHERE shadow = 0 AND id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The publisher `name`'s cursor, made on first use with `stream` as its stream name (see
    /// the `publish_cursor` migration); a made one keeps the name it was made with.
    pub async fn publish_cursor(&self, name: &str, stream: &str) -> Result<PublishCursor> {
        sqlx::query("INSERT INTO publish_cursor (name, stream, seq) VALUES ($1, $2, 0) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(stream)
            .execute(&self.pool)
            .await?;
        Ok(
            sqlx::query_as("SELECT stream, seq FROM publish_cursor WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Moves the publisher `name`'s cursor on to `seq` (never back).
    pub async fn advance_publish_cursor(&self, name: &str, seq: i64) -> Result<()> {
        sqlx::query("UPDATE publish_cursor SET seq = $1 WHERE name = $2 AND seq < $1")
            .bind(seq)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Keeps a snapshot of the runtime after journal entry `proc_seq`, and drops older ones.
    /// Any process may write one: the state after an entry is the same whoever computed it.
    pub async fn save_snapshot(&self, s: &SnapshotRow) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO snapshots (proc_seq, runtime, engine, mirror, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (proc_seq) DO NOTHING")
            .bind(s.proc_seq)
            .bind(&s.runtime)
            .bind(&s.engine)
            .bind(&s.mirror)
            .bind(&s.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM snapshots WHERE proc_seq < $1")
            .bind(s.proc_seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest snapshot, if any.
    pub async fn latest_snapshot(&self) -> Result<Option<SnapshotRow>> {
        Ok(sqlx::query_as("SELECT proc_seq, runtime, engine, mirror, created_at FROM snapshots ORDER BY proc_seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The reconciliation query: each campaign's accounts from the double-entry ledger.
    pub async fn reconcile(&self) -> Result<Vec<Balance>> {
        let rows = sqlx::query("SELECT campaign, account, CAST(SUM(amount) AS BIGINT) AS amount FROM ledger GROUP BY campaign, account ORDER BY campaign, account")
            .fetch_all(&self.pool)
            .await?;
        let mut out: Vec<Balance> = Vec::new();
        for r in &rows {
            let c: String = r.try_get("campaign")?;
            let a: String = r.try_get("account")?;
            let v: i64 = r.try_get("amount")?;
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
        let row = sqlx::query("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS sum FROM ledger")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("sum")?)
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
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"
        )))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// Offer instances of one user, newest first.
    pub async fn instances_of(&self, user: &str) -> Result<Vec<InstanceRow>> {
        Ok(sqlx::query_as("SELECT instance, offer, user_id, campaign, amount, status, expires_at, issued_proc_seq FROM offer_instances WHERE user_id = $1 ORDER BY issued_proc_seq DESC")
            .bind(user)
            .fetch_all(&self.pool)
            .await?)
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
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("channel")?,
                    r.try_get("template")?,
                    r.try_get("payload")?,
                    r.try_get("status")?,
                    r.try_get("created_at")?,
                ))
            })
            .collect()
    }

    // ---- the outbox

    /// Pending deliveries due at `now`, oldest first. Delivery is at-least-once towards the
    /// provider, with the row's `dedup` key as the idempotency header.
    pub async fn outbox_due(&self, now: &str, limit: i64) -> Result<Vec<OutboxItem>> {
        Ok(sqlx::query_as("SELECT id, dedup, user_id, channel, template, payload, attempts FROM outbox WHERE status = 'pending' AND next_at <= $1 ORDER BY id LIMIT $2")
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
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
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM inputs WHERE ikey = $1")
            .bind(ikey)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
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
