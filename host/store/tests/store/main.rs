//! Integration tests of `selvedge-store` against real SQLite files in temp dirs.
//! One test binary (submodules) so the suite links once.

mod catalog;
mod crash;
mod engine;
mod exceptions;
mod group_commit;
mod job_model;
mod jobs;
mod ledgers;
mod migrations;
mod records;
mod retention;

use selvedge_store::{OffsetDateTime, SqliteStore};
use tempfile::TempDir;

/// A fixed instant plus `secs` seconds: tests control time instead of reading the clock.
pub fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000 + secs).expect("valid test timestamp")
}

/// A store on a fresh file; keep the `TempDir` alive for the test's duration.
pub async fn fresh_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("state.db"))
        .await
        .expect("open store");
    (dir, store)
}
