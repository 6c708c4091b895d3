use selvedge_store::{Cursors, SchemaStatus, StoreError};
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

/// Migrations in the crate's folder (numbered 1..n).
fn migration_files() -> i64 {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations folder")
        .count() as i64
}

#[tokio::test]
async fn a_file_migrated_by_a_newer_binary_is_refused_by_name_and_left_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.db");
    assert_eq!(
        SqliteStore::schema_status(&path)
            .await
            .expect("status of a missing file"),
        SchemaStatus {
            applied: None,
            known: migration_files()
        },
        "a missing file has no schema and is not created by asking"
    );
    assert!(!path.exists());
    let store = SqliteStore::open(&path).await.expect("first open");
    store.close().await;
    let status = SqliteStore::schema_status(&path).await.expect("status");
    assert_eq!(status.applied, Some(status.known));
    assert_eq!(status.pending(), 0);

    // A newer Selvedge applied migration known + 1.
    let newer = status.known + 1;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (?, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)",
    )
    .bind(newer)
    .execute(&mut conn)
    .await
    .expect("record a newer migration");
    conn.close().await.expect("close");

    let refused = SqliteStore::open(&path).await.expect_err("refused");
    assert!(
        matches!(refused, StoreError::SchemaTooNew { found, known } if found == newer && known == newer - 1),
        "{refused}"
    );
    let message = refused.to_string();
    assert!(
        message.contains(&format!("version {newer}")) && message.contains("run a newer selvedge"),
        "{message}"
    );
    assert_eq!(
        applied_migrations(&path).await.len() as i64,
        newer,
        "nothing was applied or removed"
    );
}
