use selvedge_store::Cursors;
use selvedge_store_sqlite::SqliteStore;
use sqlx::Connection;

use crate::at;

async fn applied_migrations(path: &std::path::Path) -> Vec<(i64, bool)> {
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("raw connect");
    sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .expect("read _sqlx_migrations")
}

#[tokio::test]
async fn migrations_apply_on_a_fresh_file_and_reopening_is_a_noop() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The parent directory does not exist yet: open creates it.
    let path = dir.path().join("nested/state/selvedge.db");
    let store = SqliteStore::open(&path).await.expect("first open");
    store
        .set_cursor("acme", "bc.orders", "2026-01-01T00:00:00Z", at(0))
        .await
        .expect("set cursor");
    store.close().await;
    let first = applied_migrations(&path).await;
    assert!(!first.is_empty());
    assert!(first.iter().all(|(_, ok)| *ok));

    let store = SqliteStore::open(&path).await.expect("re-open");
    assert_eq!(
        applied_migrations(&path).await,
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
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(
            &mut sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("raw connect"),
        )
        .await
        .expect("journal mode");
    assert_eq!(mode, "wal");
}
