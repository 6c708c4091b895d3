//! The store suite (`host/store/suite/`) against real SQLite files in temp dirs, plus what
//! only SQLite has: migrations of a file, the group-commit writer, auto-vacuum.
//! One test binary (submodules) so the suite links once.

#[path = "../../../store/suite/catalog.rs"]
mod catalog;
#[path = "../../../store/suite/cluster.rs"]
mod cluster;
#[path = "../../../store/suite/crash.rs"]
mod crash;
#[path = "../../../store/suite/engine.rs"]
mod engine;
#[path = "../../../store/suite/exceptions.rs"]
mod exceptions;
#[path = "../../../store/suite/group_commit.rs"]
mod group_commit;
#[path = "../../../store/suite/job_model.rs"]
mod job_model;
#[path = "../../../store/suite/jobs.rs"]
mod jobs;
#[path = "../../../store/suite/ledgers.rs"]
mod ledgers;
#[path = "../../../store/suite/records.rs"]
mod records;
#[path = "../../../store/suite/retention.rs"]
mod retention;

mod migrations;
mod sqlite_only;

use std::path::PathBuf;
use std::sync::Arc;

use selvedge_store::{OffsetDateTime, Store};
use selvedge_store_sqlite::SqliteStore;
use sqlx::Connection;
use tempfile::TempDir;

/// A fixed instant plus `secs` seconds: tests control time instead of reading the clock.
pub fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000 + secs).expect("valid test timestamp")
}

/// One test's database: a file in a temp dir, removed when this is dropped.
pub struct Fixture {
    dir: TempDir,
}

impl Default for Fixture {
    fn default() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
}

impl Fixture {
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("state.db")
    }

    /// What `open_at` takes to open this database from another process.
    pub fn locator(&self) -> String {
        self.path().display().to_string()
    }

    /// A second handle on the same database, as another process would open it.
    pub async fn open_again(&self) -> Arc<dyn Store> {
        open_at(&self.locator()).await
    }

    /// A read-only side connection for checks the store API does not offer.
    pub async fn raw(&self) -> sqlx::SqliteConnection {
        sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", self.path().display()))
            .await
            .expect("raw connect")
    }

    /// The one number `sql` selects.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut self.raw().await)
            .await
            .expect("count")
    }

    /// The one text column `sql` selects, every row.
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut self.raw().await)
            .await
            .expect("rows")
    }

    /// The file passes SQLite's own integrity check.
    pub async fn assert_intact(&self) {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut self.raw().await)
            .await
            .expect("integrity check");
        assert_eq!(integrity, "ok");
    }
}

/// Opens the database at `locator` (a file path).
pub async fn open_at(locator: &str) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(locator).await.expect("open store"))
}

/// A store on a fresh file; keep the `Fixture` alive for the test's duration.
pub async fn fresh_store() -> (Fixture, Arc<dyn Store>) {
    let fixture = Fixture::default();
    let store = fixture.open_again().await;
    (fixture, store)
}
