//! `selvedge store copy --from sqlite --to postgres`: an embedded install moved to a shared
//! store keeps every job, ledger row and exception (with their ids and histories), new ids
//! continue after the copied ones, and a second copy into a database that holds rows is
//! refused without changing it. Needs the PostgreSQL test cluster (`SELVEDGE_TEST_PG_URL`,
//! started by `scripts/test`); without one it skips, except under `CI=true`.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use selvedge_store::{
    ErpSnapshot, FailAction, NewException, NewJob, OffsetDateTime, OrderKey, OrderState, Store,
};
use selvedge_store_postgres::PgStore;
use selvedge_store_sqlite::SqliteStore;
use serde_json::{Value, json};

// The end-to-end tests' fresh-database helper, shared by path as the store suite is: the
// host's own tests have no dev-dependency crate in common with them.
#[allow(dead_code)]
#[path = "../../tests/tests/support/stores.rs"]
mod stores;

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000 + secs).expect("time")
}

fn job(key: &str) -> NewJob {
    NewJob {
        client: "acme".into(),
        kind: "order.inject/acme".into(),
        idempotency_key: key.into(),
        payload: json!({ "order": key }),
        run_at: at(0),
        max_attempts: 5,
    }
}

/// An embedded install with a bit of everything: queued, done and dead jobs, an injected
/// order and one in exception (with histories), and an exception with a retry in its history.
async fn embedded_install(file: &Path) -> (i64, i64) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(file).await.expect("sqlite"));
    for i in 0..700 {
        store
            .enqueue(job(&format!("o-{i}")), at(0))
            .await
            .expect("enqueue");
    }
    let claimed = store
        .claim(
            &["order.inject/acme"],
            2,
            std::time::Duration::from_secs(60),
            at(1),
        )
        .await
        .expect("claim");
    store
        .complete(claimed[0].lease(), json!({"ok": true}), at(2))
        .await
        .expect("done");
    store
        .fail(claimed[1].lease(), "boom", FailAction::GiveUp, at(2))
        .await
        .expect("dead");
    let injected = OrderKey::new("acme", "bigcommerce", "100");
    store
        .record_order_received(&injected, "h1", at(0))
        .await
        .expect("received");
    store
        .transition_order(&injected, OrderState::Injecting, None, at(1))
        .await
        .expect("injecting");
    store
        .record_injected(
            &injected,
            "SO-1",
            ErpSnapshot {
                value_minor: 4200,
                qty: 2,
            },
            &[],
            at(2),
        )
        .await
        .expect("injected");
    let raised = store
        .raise_exception(
            NewException {
                client: "acme".into(),
                kind: "order_failed".into(),
                owner: "operations".into(),
                subject: "101".into(),
                summary: "order 101 failed".into(),
                details: json!({ "job": claimed[1].id }),
            },
            at(3),
        )
        .await
        .expect("raise");
    store
        .mark_exception_retrying(raised.exception.id, "ana", Some("retried"), at(4))
        .await
        .expect("retry");
    store.close().await.expect("close");
    (claimed[1].id, raised.exception.id)
}

fn copy(dir: &Path) -> (Option<i32>, Value, String) {
    let (code, stdout, stderr) = copy_with(dir, &["--json"]);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr,
    )
}

/// `store copy` with `extra` arguments: exit code, stdout, stderr (a pipe, not a terminal).
fn copy_with(dir: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args(["store", "copy", "--from", "sqlite", "--to", "postgres"])
        .args(extra)
        .arg("--config")
        .arg(dir)
        .env_remove("SELVEDGE_CONFIG")
        .output()
        .expect("run selvedge");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A config folder whose `[store]` names `url`, and its SQLite file's path.
fn config_dir(url: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp");
    std::fs::write(
        dir.path().join("selvedge.toml"),
        format!("data_dir = \"data\"\n\n[store]\nurl = \"{url}\"\n"),
    )
    .expect("selvedge.toml");
    let file = dir.path().join("data/selvedge.sqlite");
    (dir, file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedded_install_moves_to_postgres_whole_and_a_second_copy_is_refused() {
    let Some(db) = stores::TestDb::fresh(stores::Backend::Postgres) else {
        return;
    };
    let url = db.postgres_url().expect("a PostgreSQL database");
    let (dir, file) = config_dir(url);
    let (dead_job, exception) = embedded_install(&file).await;

    let (code, report, stderr) = copy(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        !stderr.contains("store copy:"),
        "no progress with --json: {stderr}"
    );
    assert_eq!(report["tables"]["jobs"], json!(700));
    assert_eq!(
        report["tables"]["exception_history"]
            .as_u64()
            .map(|n| n >= 2),
        Some(true)
    );

    let pg: Arc<dyn Store> = Arc::new(PgStore::open_url(url).await.expect("postgres"));
    assert_eq!(
        pg.queue_depth("acme", "order.inject/acme")
            .await
            .expect("depth"),
        698
    );
    let dead = pg
        .job(dead_job)
        .await
        .expect("job")
        .expect("the dead job, by its id");
    assert_eq!(dead.idempotency_key, "o-1");
    assert_eq!(dead.last_error.as_deref(), Some("boom"));
    let order = pg
        .order(&OrderKey::new("acme", "bigcommerce", "100"))
        .await
        .expect("order")
        .expect("the injected order");
    assert_eq!(order.state, OrderState::Injected);
    assert_eq!(order.erp_order_no.as_deref(), Some("SO-1"));
    let history = pg
        .order_history(&OrderKey::new("acme", "bigcommerce", "100"))
        .await
        .expect("history");
    assert_eq!(history.len(), 3, "received, injecting, injected");
    let (record, trail) = pg
        .exception(exception)
        .await
        .expect("exception")
        .expect("by its id");
    assert_eq!(record.subject, "101");
    assert!(
        trail.iter().any(|h| h.note.as_deref() == Some("retried")),
        "{trail:?}"
    );
    // New ids continue after the copied ones.
    let next = pg.enqueue(job("new"), at(10)).await.expect("enqueue");
    assert!(next.job.id > 700, "id {} reuses a copied id", next.job.id);
    pg.close().await.expect("close");

    let (code, _, stderr) = copy(dir.path());
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("already holds rows"), "{stderr}");
    let pg = PgStore::open_url(url).await.expect("postgres");
    let pg: Arc<dyn Store> = Arc::new(pg);
    assert_eq!(
        pg.queue_depth("acme", "order.inject/acme")
            .await
            .expect("depth"),
        699,
        "the refused copy changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_on_a_pipe_prints_progress_lines_that_end_at_every_row_copied() {
    let Some(db) = stores::TestDb::fresh(stores::Backend::Postgres) else {
        return;
    };
    let url = db.postgres_url().expect("a PostgreSQL database");
    let (dir, file) = config_dir(url);
    embedded_install(&file).await;

    let (code, stdout, stderr) = copy_with(dir.path(), &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let copied: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("copied "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("`copied N rows` on stdout");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("store copy: "))
        .collect();
    // Over 700 rows in batches of 500: a line per tenth crossed, then the final one.
    assert!(lines.len() >= 2, "{stderr}");
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.starts_with(&format!("store copy: {copied}/{copied} rows (100%) in ")),
        "{stderr}"
    );
}
