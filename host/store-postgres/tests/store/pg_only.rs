//! What only the PostgreSQL backend has: its migrations in `_sqlx_migrations`, the refusal
//! of a newer schema, and a closed pool reported as `Closed`.

use selvedge_store::{Backend, Cursors, NewException, PushedStock, StoreError};
use selvedge_store_postgres::PgStore;
use serde_json::json;

use crate::{Fixture, at};

async fn open(fixture: &Fixture) -> Result<PgStore, StoreError> {
    PgStore::open_url(&fixture.locator()).await
}

#[tokio::test]
async fn migrations_apply_once_and_reopening_is_a_noop() {
    let fixture = Fixture::new().await;
    let store = open(&fixture).await.expect("first open");
    assert_eq!(store.backend_name(), "postgres");
    store
        .set_cursor("acme", "bc.orders", "2026-01-01T00:00:00Z", at(0))
        .await
        .expect("set cursor");
    store.close().await;
    let applied = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
    let first = fixture.count(applied).await;
    assert!(first >= 1);

    let store = open(&fixture).await.expect("re-open");
    assert_eq!(
        fixture.count(applied).await,
        first,
        "re-open applies nothing"
    );
    assert_eq!(
        store
            .cursor("acme", "bc.orders")
            .await
            .expect("cursor")
            .as_deref(),
        Some("2026-01-01T00:00:00Z"),
        "data survives a re-open"
    );
}

#[tokio::test]
async fn a_schema_newer_than_the_binary_is_refused_before_migrating() {
    let fixture = Fixture::new().await;
    let store = open(&fixture).await.expect("first open");
    store.close().await;
    let known = fixture
        .count("SELECT MAX(version) FROM _sqlx_migrations")
        .await;
    // A newer binary applied one more migration.
    let found = known + 1;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from a newer selvedge', TRUE, '\\x00', 0)",
    )
    .bind(found)
    .execute(&mut fixture.raw().await)
    .await
    .expect("pretend a newer migration");

    match open(&fixture).await {
        Err(StoreError::SchemaTooNew { found: f, known: k }) => {
            assert_eq!((f, k), (found, known));
        }
        Err(other) => panic!("expected SchemaTooNew, got {other}"),
        Ok(_) => panic!("a newer schema was accepted"),
    }
    let message = StoreError::SchemaTooNew { found, known }.to_string();
    assert!(message.contains("newer"), "{message}");
}

#[tokio::test]
async fn calls_after_close_fail_with_closed() {
    let fixture = Fixture::new().await;
    let store = open(&fixture).await.expect("open");
    Backend::close(&store).await.expect("close");
    let refused = store
        .set_cursor("acme", "c", "v", at(0))
        .await
        .expect_err("closed");
    assert!(matches!(refused, StoreError::Closed), "{refused}");
    let refused = store.cursor("acme", "c").await.expect_err("closed");
    assert!(matches!(refused, StoreError::Closed), "{refused}");
}

/// Two hosts (pools) doing the same read-then-write at once: what SQLite's single writer
/// serialized, PostgreSQL must resolve without an error reaching either caller.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_hosts_raise_activate_and_upsert_without_errors() {
    let (fixture, first) = crate::fresh_store().await;
    let second = fixture.open_again().await;
    let mut tasks = Vec::new();
    for round in 0..20 {
        for store in [&first, &second] {
            let store = std::sync::Arc::clone(store);
            tasks.push(tokio::spawn(async move {
                let subject = format!("order-{round}");
                let raised = store
                    .raise_exception(
                        NewException {
                            client: "acme".into(),
                            kind: "order_failed".into(),
                            owner: "operations".into(),
                            subject,
                            summary: "ERP refused it".into(),
                            details: json!({ "round": round }),
                        },
                        at(round),
                    )
                    .await
                    .expect("raise");
                let plugin = format!("rules-{round}");
                store
                    .activate_plugin_version(
                        "acme",
                        &plugin,
                        "sha256:1",
                        "v1",
                        "startup",
                        at(round),
                    )
                    .await
                    .expect("activate");
                let rows: Vec<PushedStock> = (0..50)
                    .rev()
                    .map(|i| PushedStock {
                        sku: format!("SKU-{i}"),
                        location: "NJ01".into(),
                        qty: round,
                    })
                    .collect();
                store
                    .upsert_pushed_stock("acme", "bigcommerce", &rows, at(round))
                    .await
                    .expect("upsert");
                raised.created
            }));
        }
    }
    let mut created = 0;
    for task in tasks {
        created += usize::from(task.await.expect("task"));
    }
    assert_eq!(created, 20, "each exception created once, bumped once");
    assert_eq!(
        fixture
            .count("SELECT COUNT(*) FROM exceptions WHERE occurrences = 2")
            .await,
        20
    );
    assert_eq!(
        fixture
            .count("SELECT COUNT(*) FROM plugin_versions WHERE deactivated_at IS NULL")
            .await,
        20,
        "one active period per plugin"
    );
    assert_eq!(fixture.count("SELECT COUNT(*) FROM pushed_stock").await, 50);
}

#[tokio::test]
async fn an_upsert_with_a_key_twice_keeps_the_last_row_as_sqlite_does() {
    let (_fixture, store) = crate::fresh_store().await;
    let row = |qty| PushedStock {
        sku: "TEE".into(),
        location: "NJ01".into(),
        qty,
    };
    store
        .upsert_pushed_stock("acme", "bigcommerce", &[row(1), row(2)], at(0))
        .await
        .expect("upsert");
    let stored = store
        .pushed_stock("acme", "bigcommerce")
        .await
        .expect("read");
    assert_eq!(stored, [row(2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_enqueued_through_one_handle_wakes_a_listener_on_another() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let (fixture, first) = crate::fresh_store().await;
    let second = fixture.open_again().await;
    let woken = Arc::new(AtomicUsize::new(0));
    let notify = Arc::new(tokio::sync::Notify::new());
    {
        let (woken, notify) = (woken.clone(), notify.clone());
        second
            .on_new_jobs(Arc::new(move || {
                woken.fetch_add(1, Ordering::SeqCst);
                notify.notify_one();
            }))
            .await
            .expect("listen");
    }
    let job = |key: &str| selvedge_store::NewJob {
        client: "acme".into(),
        kind: "order.inject".into(),
        idempotency_key: key.into(),
        payload: serde_json::json!({}),
        run_at: crate::at(0),
        max_attempts: 3,
    };
    first
        .enqueue(job("o-1"), crate::at(0))
        .await
        .expect("enqueue");
    let heard = tokio::time::timeout(std::time::Duration::from_secs(10), notify.notified()).await;
    assert!(heard.is_ok(), "the other handle heard of the new job");
    // A duplicate enqueue creates nothing and wakes nobody.
    first
        .enqueue(job("o-1"), crate::at(1))
        .await
        .expect("duplicate");
    first
        .enqueue(job("o-2"), crate::at(1))
        .await
        .expect("second job");
    let heard = tokio::time::timeout(std::time::Duration::from_secs(10), notify.notified()).await;
    assert!(heard.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(woken.load(Ordering::SeqCst), 2, "one wake per new job");
}
