//! What only the SQLite backend has: the group-commit writer's close, one write per purge
//! batch, incremental auto-vacuum and page reclaim.

use std::sync::Arc;

use selvedge_store::{
    Decision, DecisionAudit, JobQueue, NewJob, Retention, RetentionAges, RetentionRule, StoreError,
};
use selvedge_store_sqlite::SqliteStore;
use serde_json::json;
use sqlx::Connection;

use crate::retention::decision;
use crate::{Fixture, at};

const DAY: i64 = 86_400;

/// The concrete SQLite store (its writer statistics and its own `close`).
async fn sqlite_store() -> (Fixture, SqliteStore) {
    let fixture = Fixture::default();
    let store = SqliteStore::open(fixture.path()).await.expect("open store");
    (fixture, store)
}

fn job(key: &str) -> NewJob {
    NewJob {
        client: "acme".into(),
        kind: "order.inject".into(),
        idempotency_key: key.into(),
        payload: json!({ "order": key }),
        run_at: at(0),
        max_attempts: 5,
    }
}

#[tokio::test]
async fn close_commits_what_was_queued_and_refuses_later_writes() {
    let (fixture, store) = sqlite_store().await;
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.enqueue(job(&format!("q{i}")), at(0)).await
        }));
    }
    // One yield on this single-threaded runtime lets every enqueue reach the writer's
    // queue; the close request then queues behind them.
    tokio::task::yield_now().await;
    store.close().await;
    let mut answered = Vec::new();
    for task in tasks {
        answered.push(task.await.expect("task"));
    }
    let late = store.enqueue(job("late"), at(0)).await;
    assert!(matches!(late, Err(StoreError::Closed)), "{late:?}");

    let reopened = fixture.open_again().await;
    let ok = answered.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 50, "writes queued before close are committed");
    assert_eq!(
        reopened
            .queue_depth("acme", "order.inject")
            .await
            .expect("depth"),
        50
    );
}

#[tokio::test]
async fn purging_more_rows_than_a_batch_takes_one_write_per_batch_then_frees_the_pages() {
    let (fixture, store) = sqlite_store().await;
    let _path = fixture.path();
    let old: Vec<Decision> = (0..2_500).map(|i| decision("TEE", i)).collect();
    store.record_decisions(&old).await.expect("decisions");
    store
        .record_decisions(&[decision("CAP", 40 * DAY)])
        .await
        .expect("recent");
    let rules: Vec<RetentionRule> = store
        .default_rules(&RetentionAges::default())
        .into_iter()
        .filter(|r| r.table == "decisions")
        .collect();

    let writes_before = store.writer_stats().writes;
    let report = store
        .purge(&rules, at(41 * DAY), 1_000)
        .await
        .expect("purge");
    assert_eq!(report.deleted.get("decisions"), Some(&2_499));
    assert_eq!(report.batches, 3, "1000 + 1000 + 499");
    assert_eq!(store.writer_stats().writes - writes_before, 3);
    assert_eq!(fixture.count("SELECT COUNT(*) FROM decisions").await, 2);

    let reclaimed = store.reclaim_space(100_000).await.expect("vacuum");
    assert!(reclaimed.free_before > 0, "{reclaimed:?}");
    assert_eq!(reclaimed.free_after, 0, "{reclaimed:?}");
}

#[tokio::test]
async fn a_file_without_auto_vacuum_is_switched_to_incremental_at_open_and_keeps_its_data() {
    let (fixture, store) = sqlite_store().await;
    let path = fixture.path();
    assert_eq!(
        fixture.count("PRAGMA auto_vacuum").await,
        2,
        "a new file starts incremental"
    );
    store
        .record_decisions(&[decision("TEE", 0)])
        .await
        .expect("decision");
    store.close().await;

    // What a file made before retention looks like.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    sqlx::raw_sql("PRAGMA auto_vacuum = NONE; VACUUM")
        .execute(&mut conn)
        .await
        .expect("turn auto-vacuum off");
    conn.close().await.expect("close");
    assert_eq!(fixture.count("PRAGMA auto_vacuum").await, 0);

    let store = SqliteStore::open(&path).await.expect("re-open");
    assert_eq!(fixture.count("PRAGMA auto_vacuum").await, 2);
    let kept = store
        .latest_decisions("acme", None, "TEE", 10)
        .await
        .expect("decisions");
    assert_eq!(kept.len(), 1, "data survives the VACUUM");
}
