//! The store a test's host runs on: a fresh SQLite file, or a fresh database on the
//! PostgreSQL test cluster `scripts/test` starts (`SELVEDGE_TEST_PG_URL`, its admin URL).
//! Without a cluster, PostgreSQL tests skip with one line on stderr, except under `CI=true`,
//! where they fail.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use selvedge_store::Store;
use tempfile::TempDir;

/// The admin URL of the PostgreSQL test cluster.
pub const PG_URL_ENV: &str = "SELVEDGE_TEST_PG_URL";

/// Which store backend a test runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    #[default]
    Sqlite,
    /// The shared store.
    Postgres,
}

/// A fresh, empty database of one backend; a SQLite file lives as long as this does.
pub struct TestDb {
    /// The backend.
    pub backend: Backend,
    dir: Option<TempDir>,
    url: Option<String>,
}

impl TestDb {
    /// A fresh database, or `None` (after saying so on stderr) when the backend is PostgreSQL
    /// and no test cluster is configured outside CI.
    pub fn fresh(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self {
                backend,
                dir: Some(tempfile::tempdir().expect("temp dir")),
                url: None,
            }),
            Backend::Postgres => {
                let admin = postgres_admin_url()?;
                Some(Self {
                    backend,
                    dir: None,
                    url: Some(create_database(&admin)),
                })
            }
        }
    }

    /// The SQLite file (SQLite only).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.path().join("state.db"))
    }

    /// The PostgreSQL database URL (PostgreSQL only).
    pub fn postgres_url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// Opens (and migrates) the database.
    pub async fn open(&self) -> Arc<dyn Store> {
        match (&self.url, self.sqlite_path()) {
            (Some(url), _) => Arc::new(
                selvedge_store_postgres::PgStore::open_url(url)
                    .await
                    .expect("open the PostgreSQL store"),
            ),
            (None, Some(path)) => Arc::new(
                selvedge_store_sqlite::SqliteStore::open(path)
                    .await
                    .expect("open the SQLite store"),
            ),
            (None, None) => unreachable!("a TestDb has a file or a URL"),
        }
    }
}

/// Whether a test on `backend` must skip here (PostgreSQL without a cluster, outside CI; it
/// says so on stderr).
pub fn unavailable(backend: Backend) -> bool {
    backend == Backend::Postgres && postgres_admin_url().is_none()
}

/// The cluster's admin URL; `None` outside CI when there is none, a panic under `CI=true`.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var(PG_URL_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "{PG_URL_ENV} is not set: under CI the PostgreSQL tests must run (scripts/test starts a cluster)"
        ),
        _ => {
            eprintln!("SKIPPED: no PostgreSQL test cluster; set {PG_URL_ENV} or run scripts/test");
            None
        }
    }
}

/// Creates an empty database on the cluster and returns its URL.
fn create_database(admin_url: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "e2e_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let status = Command::new("psql")
        .args([admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .status()
        .expect("psql runs (Debian's postgresql-client)");
    assert!(status.success(), "CREATE DATABASE {name} failed");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("the admin URL names a database");
    format!("{base}/{name}")
}
