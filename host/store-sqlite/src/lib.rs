//! SQLite backend: one database file in WAL mode.
//!
//! All writes go to one task that owns the single writer connection ([`writer`]), so writers
//! queue in-process instead of contending for the file lock, and the writes that queue up
//! behind a commit share the next one (group commit). Reads use a separate read-only pool,
//! which WAL lets run alongside the writer. Write transactions start with `BEGIN IMMEDIATE`
//! so a second process on the same file waits on `busy_timeout` rather than failing with
//! SQLITE_BUSY on a lock upgrade.
//!
//! Porting to PostgreSQL: the schema keeps to what both support (partial unique indexes,
//! `ON CONFLICT`, `RETURNING`, BIGINT millisecond timestamps, JSON as text or JSONB). The
//! one statement that changes shape is the claim: `SELECT ... FOR UPDATE SKIP LOCKED` in a
//! CTE instead of relying on a single writer.

mod access;
mod catalog;
mod cluster;
mod control;
mod cursors;
mod decisions;
mod direct;
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
mod writer;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sqlx::sqlite::{
    SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, SqliteConnection};

use selvedge_store::{SchemaStatus, StoreError, WriterStats};
pub(crate) use writer::WriteFuture;
use writer::Writer;

/// Versioned schema migrations, embedded from `host/store-sqlite/migrations/` at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a connection waits for a lock held by another process before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a task waits for a read connection.
const READER_WAIT: Duration = Duration::from_secs(120);
/// Read connections: WAL readers never block the writer.
const READERS: u32 = 4;
/// Rows per multi-row INSERT in bulk writes; well under SQLite's 32766 bound parameters.
pub(crate) const BATCH_ROWS: usize = 500;

/// The SQLite implementation of [`selvedge_store::Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: Writer,
    reader: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed, along with its parent directory) the database at `path`
    /// and applies pending migrations. Re-opening an up-to-date file changes nothing.
    /// Starts the writer task, so it must run inside a tokio runtime.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let base = SqliteConnectOptions::new()
            .filename(&path)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed job or ledger row survives power loss, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // Incremental auto-vacuum lets retention give deleted pages back a few at a time.
        // SQLite applies it to a new file only before its first table: sqlx sets it before
        // `journal_mode`, and the migrations create the tables after.
        let mut conn: SqliteConnection = base
            .clone()
            .create_if_missing(true)
            .auto_vacuum(SqliteAutoVacuum::Incremental)
            .connect()
            .await?;
        schema_of(&mut conn).await?.check()?;
        MIGRATOR.run(&mut conn).await?;
        switch_to_incremental_vacuum(&mut conn, &path).await?;
        tracing::info!(path = %path.display(), "state store opened");
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .acquire_timeout(READER_WAIT)
            .connect_with(base.read_only(true))
            .await?;
        Ok(Self {
            // The one writer connection lives as long as the store.
            writer: Writer::spawn(conn),
            reader,
            path,
        })
    }

    /// Where the file's schema stands, without creating or migrating it (a missing file has
    /// no schema yet).
    pub async fn schema_status(path: impl AsRef<Path>) -> Result<SchemaStatus, StoreError> {
        let path = path.as_ref();
        if !path.exists() {
            return Ok(SchemaStatus {
                applied: None,
                known: known_version(),
            });
        }
        let mut conn = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .busy_timeout(BUSY_TIMEOUT)
            .connect()
            .await?;
        schema_of(&mut conn).await
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes and group commits so far (for metrics: writes per commit).
    pub fn writer_stats(&self) -> WriterStats {
        self.writer.stats()
    }

    /// Closes the readers and the writer (after committing queued writes); checkpoints the WAL.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// Runs `write` on the writer connection inside a transaction (shared with the other
    /// writes queued at the time) and returns its result once it is committed. A failing
    /// write is rolled back alone.
    pub(crate) async fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, T> + Send + 'static,
    {
        self.writer.write(write).await
    }

    /// As [`SqliteStore::write`] for a synchronous write on the writer's handle (no thread
    /// hand-off per statement): for the hottest writes. It holds up every other write while it
    /// runs, so it runs statements only.
    pub(crate) async fn write_direct<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.write_direct(write).await
    }

    /// The read-only pool.
    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }
}

/// Highest migration this binary carries.
fn known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Highest migration applied to the database on `conn` against what this binary knows.
async fn schema_of(conn: &mut SqliteConnection) -> Result<SchemaStatus, StoreError> {
    let has_table: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    let applied = if has_table == 0 {
        None
    } else {
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *conn)
            .await?
    };
    Ok(SchemaStatus {
        applied,
        known: known_version(),
    })
}

/// `PRAGMA auto_vacuum` values.
const AUTO_VACUUM_NONE: i64 = 0;
const AUTO_VACUUM_INCREMENTAL: i64 = 2;

/// A file created before retention has auto-vacuum off, and only a full `VACUUM` can turn it
/// on: done once, at open, before the readers and the writer task exist (VACUUM needs the
/// connection to itself). It rewrites the file, so it takes a while on a big one and needs as
/// much free disk again. If it fails the store still opens (deletes then only make room for
/// new rows instead of shrinking the file) and the next open tries again.
async fn switch_to_incremental_vacuum(
    conn: &mut SqliteConnection,
    path: &Path,
) -> Result<(), StoreError> {
    let mode: i64 = sqlx::query_scalar("PRAGMA auto_vacuum")
        .fetch_one(&mut *conn)
        .await?;
    if mode != AUTO_VACUUM_NONE {
        return Ok(());
    }
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    tracing::info!(path = %path.display(), bytes, "state store: one-time VACUUM to turn on incremental auto-vacuum");
    let started = Instant::now();
    let vacuumed = sqlx::raw_sql("PRAGMA auto_vacuum = INCREMENTAL; VACUUM")
        .execute(&mut *conn)
        .await;
    let mode: i64 = sqlx::query_scalar("PRAGMA auto_vacuum")
        .fetch_one(&mut *conn)
        .await?;
    match vacuumed {
        Ok(_) if mode == AUTO_VACUUM_INCREMENTAL => tracing::info!(
            path = %path.display(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "state store: incremental auto-vacuum on"
        ),
        Ok(_) => {
            tracing::warn!(path = %path.display(), mode, "state store: VACUUM did not turn on incremental auto-vacuum")
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "state store: VACUUM failed; auto-vacuum stays off until the next open")
        }
    }
    Ok(())
}

impl selvedge_store::Backend for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    fn write_stats(&self) -> Option<WriterStats> {
        Some(self.writer.stats())
    }

    fn close(&self) -> selvedge_store::StoreFuture<'_, ()> {
        Box::pin(async move {
            SqliteStore::close(self).await;
            Ok(())
        })
    }
}
