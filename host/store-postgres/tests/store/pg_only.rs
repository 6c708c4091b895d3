//! What only the PostgreSQL backend has: its migrations in `_sqlx_migrations`, the refusal
//! of a newer schema, and a closed pool reported as `Closed`.

use selvedge_store::{Backend, Cursors, StoreError};
use selvedge_store_postgres::PgStore;

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
