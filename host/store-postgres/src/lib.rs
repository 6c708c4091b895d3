//! PostgreSQL backend: one database that several hosts share.
//!
//! There is no single writer here: every write is its own transaction on a pool, and
//! PostgreSQL's row locks order them. What SQLite's single writer gave for free is spelled
//! out instead: claims take rows with `FOR UPDATE SKIP LOCKED`, read-then-write operations
//! lock the row they read (`FOR UPDATE`), a leased ledger change locks the job row it is
//! fenced by, and a transaction that loses a race PostgreSQL detects (deadlock, a unique
//! index two inserts raced for) is run again from the start ([`in_tx!`]).

mod access;
mod catalog;
mod cluster;
mod control;
mod copy;
mod cursors;
mod decisions;
mod exceptions;
mod jobs;
mod orders;
mod oversells;
mod overview;
mod plugin_calls;
mod plugins;
mod prices;
mod refunds;
mod retention;
mod runs;
mod stock;

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use selvedge_store::{JobWaker, SchemaStatus, StoreError, StoreFuture};
use sqlx::postgres::PgListener;

/// The channel hosts LISTEN on for new jobs (the payload is the client).
pub(crate) const JOBS_CHANNEL: &str = "selvedge_jobs";

pub use copy::{CopiedTable, CopyProgress, copy_from_sqlite};

/// How the host builds a connection (URL, then the password from its variable).
pub use sqlx::postgres::PgConnectOptions as ConnectOptions;

/// Versioned schema migrations, embedded from `host/store-postgres/migrations/` at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections of a pool opened by [`PgStore::open_url`].
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;
/// How long a task waits for a pooled connection.
const ACQUIRE_WAIT: Duration = Duration::from_secs(120);
/// Runs of one write transaction before a conflict is returned to the caller.
const WRITE_TRIES: u32 = 8;

/// The PostgreSQL implementation of [`selvedge_store::Store`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects a pool of at most `max_connections` and applies pending migrations.
    /// Refuses ([`StoreError::SchemaTooNew`]) a database migrated by a newer binary.
    pub async fn open(options: PgConnectOptions, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_WAIT)
            .connect_with(options)
            .await?;
        if let Err(e) = migrate(&pool).await {
            pool.close().await;
            return Err(e);
        }
        tracing::info!("state store opened (postgres)");
        Ok(Self { pool })
    }

    /// [`PgStore::open`] from a `postgres://` URL, with a pool of
    /// [`DEFAULT_MAX_CONNECTIONS`].
    pub async fn open_url(url: &str) -> Result<Self, StoreError> {
        Self::open(PgConnectOptions::from_str(url)?, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Where the database's schema stands, without migrating it (one short connection).
    pub async fn schema_status(options: PgConnectOptions) -> Result<SchemaStatus, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_WAIT)
            .connect_with(options)
            .await?;
        let applied = applied_version(&pool).await;
        pool.close().await;
        Ok(SchemaStatus {
            applied: applied?,
            known: known_version(),
        })
    }

    /// Closes the pool; later calls fail with [`StoreError::Closed`].
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Checks the schema version, then migrates. The migrator holds an advisory lock, so hosts
/// starting together apply each migration once.
async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    SchemaStatus {
        applied: applied_version(pool).await?,
        known: known_version(),
    }
    .check()?;
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Highest migration this binary carries.
fn known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The highest migration applied to the database, if it has been migrated at all.
async fn applied_version(pool: &PgPool) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT to_regclass('_sqlx_migrations') IS NOT NULL AS migrated")
        .fetch_one(pool)
        .await?;
    if !row.try_get::<bool, _>("migrated")? {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await?,
    )
}

impl selvedge_store::Backend for PgStore {
    fn backend_name(&self) -> &'static str {
        "postgres"
    }

    fn close(&self) -> StoreFuture<'_, ()> {
        op(async move {
            PgStore::close(self).await;
            Ok(())
        })
    }

    fn on_new_jobs(&self, wake: JobWaker) -> StoreFuture<'_, ()> {
        op(async move {
            let mut listener = PgListener::connect_with(self.pool()).await?;
            listener.listen(JOBS_CHANNEL).await?;
            let pool = self.pool().clone();
            tokio::spawn(async move {
                // `recv` reconnects by itself after a lost connection; it ends with the pool.
                loop {
                    match listener.recv().await {
                        Ok(_) => wake(),
                        Err(e) if pool.is_closed() => {
                            tracing::debug!(error = %e, "job notifications end with the store");
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "job notifications interrupted; retrying");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            });
            Ok(())
        })
    }
}

/// Boxes a store operation and reports a closed pool as [`StoreError::Closed`], as the
/// contract says.
pub(crate) fn op<'a, T>(
    work: impl Future<Output = Result<T, StoreError>> + Send + 'a,
) -> StoreFuture<'a, T> {
    Box::pin(async move {
        work.await.map_err(|e| match e {
            StoreError::Database(sqlx::Error::PoolClosed) => StoreError::Closed,
            other => other,
        })
    })
}

/// Whether a failed write transaction may simply be run again: PostgreSQL aborted it over a
/// conflict with another transaction, which SQLite's single writer made impossible. A unique
/// violation counts because a read-then-insert (raise an exception, activate a plugin
/// version) can race another host's identical insert; run again, it finds that row.
pub(crate) fn retryable(error: &StoreError) -> bool {
    let StoreError::Database(sqlx::Error::Database(db)) = error else {
        return false;
    };
    // serialization_failure, deadlock_detected, unique_violation
    matches!(db.code().as_deref(), Some("40001" | "40P01" | "23505"))
}

/// Pause before run `try_no` of a write that lost a conflict.
pub(crate) async fn backoff(try_no: u32) {
    tokio::time::sleep(Duration::from_millis(u64::from(try_no) * 5)).await;
}

/// Runs `$body` (a `Result` expression using `$conn: &mut PgConnection`) in a transaction on
/// `$store`'s pool and commits it; a `return` in the body ends the transaction early (rolled
/// back if it is an error). A run that loses a conflict ([`retryable`]) is retried from the
/// start, so the body must not consume what it captures.
macro_rules! in_tx {
    ($store:expr, |$conn:ident| $body:expr) => {{
        let mut try_no = 1u32;
        loop {
            let outcome: Result<_, selvedge_store::StoreError> = async {
                let mut tx = $store.pool().begin().await?;
                let body: Result<_, selvedge_store::StoreError> = {
                    let $conn: &mut sqlx::PgConnection = &mut *tx;
                    async { $body }.await
                };
                let value = body?;
                tx.commit().await?;
                Ok(value)
            }
            .await;
            match outcome {
                Err(e) if try_no < $crate::WRITE_TRIES && $crate::retryable(&e) => {
                    tracing::debug!(error = %e, try_no, "state store write conflicted; running it again");
                    $crate::backoff(try_no).await;
                    try_no += 1;
                }
                done => break done,
            }
        }
    }};
}
pub(crate) use in_tx;

/// Sorts upsert rows by key and keeps the last row of each key: one statement may not touch
/// a row twice in PostgreSQL (SQLite applied them in turn, so the last won), and writers that
/// lock rows in one order cannot deadlock each other.
pub(crate) fn last_per_key<'r, T, K: Ord>(rows: &'r [T], key: impl Fn(&'r T) -> K) -> Vec<&'r T> {
    let mut sorted: Vec<&'r T> = rows.iter().rev().collect();
    // Stable: among equal keys the last given comes first, and dedup keeps the first.
    sorted.sort_by_key(|r| key(r));
    sorted.dedup_by(|a, b| key(a) == key(b));
    sorted
}
