//! The store suite (`host/store/suite/`) against a real PostgreSQL, one fresh database per
//! test, plus what only PostgreSQL has (`pg_only`). One test binary so the suite links once.
//!
//! The cluster comes from `SELVEDGE_TEST_PG_URL` (an admin URL; `scripts/test` and
//! `scripts/pg-cluster start` set it). Without it the tests skip, except under `CI=true`,
//! where a PostgreSQL test that cannot reach its cluster fails.

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

mod pg_only;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use selvedge_store::{OffsetDateTime, Store};
use selvedge_store_postgres::PgStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

const URL_ENV: &str = "SELVEDGE_TEST_PG_URL";

/// A fixed instant plus `secs` seconds: tests control time instead of reading the clock.
pub fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000 + secs).expect("valid test timestamp")
}

/// The admin URL of the test cluster. Without one, skips this test process (nextest runs
/// each test in its own), or fails it under CI.
fn admin_url() -> String {
    if let Ok(url) = std::env::var(URL_ENV) {
        return url;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{URL_ENV} is not set: CI must run the PostgreSQL store tests (use scripts/test)");
    }
    eprintln!("SKIPPED: no PostgreSQL for the store tests; set {URL_ENV} or run scripts/test");
    std::process::exit(0);
}

async fn admin() -> PgConnection {
    PgConnection::connect(&admin_url())
        .await
        .expect("connect to the test cluster's admin database")
}

/// One test's database, dropped (with its connections) when this is dropped.
pub struct Fixture {
    name: String,
    options: PgConnectOptions,
}

impl Fixture {
    /// Creates `sv_<pid>_<n>`, replacing a leftover of an earlier process with the same pid.
    pub async fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "sv_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = admin().await;
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .expect("create the test database");
        }
        let options = PgConnectOptions::from_str(&admin_url())
            .expect("admin URL")
            .database(&name);
        Self { name, options }
    }

    /// What `open_at` takes to open this database from another process: its URL.
    pub fn locator(&self) -> String {
        self.options.to_url_lossy().to_string()
    }

    /// A second handle (pool) on the same database, as another host would open it.
    pub async fn open_again(&self) -> Arc<dyn Store> {
        open_at(&self.locator()).await
    }

    /// A side connection for checks the store API does not offer.
    pub async fn raw(&self) -> PgConnection {
        self.options.connect().await.expect("raw connect")
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

    /// PostgreSQL keeps its own files consistent; what is checked here is ours: the tables
    /// answer, and no job is `running` without a lease (a claim always sets one).
    pub async fn assert_intact(&self) {
        self.count("SELECT COUNT(*) FROM jobs").await;
        let unleased = self
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'running' AND lease_until IS NULL")
            .await;
        assert_eq!(unleased, 0, "running jobs without a lease");
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // Drop may run inside a runtime: the async cleanup gets a thread of its own.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async move {
                if let Ok(url) = std::env::var(URL_ENV)
                    && let Ok(mut conn) = PgConnection::connect(&url).await
                {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Opens the database at `locator` (its URL).
pub async fn open_at(locator: &str) -> Arc<dyn Store> {
    Arc::new(PgStore::open_url(locator).await.expect("open store"))
}

/// A store on a fresh database; keep the `Fixture` alive for the test's duration.
pub async fn fresh_store() -> (Fixture, Arc<dyn Store>) {
    let fixture = Fixture::new().await;
    let store = fixture.open_again().await;
    (fixture, store)
}
