use selvedge_sparklayer::model::{SyncLogError, SyncLogUpdate};
use time::OffsetDateTime;

use crate::common::setup;

fn errors(n: usize) -> Vec<SyncLogError> {
    (0..n)
        .map(|i| SyncLogError {
            external_id: Some(format!("STYLE-{i}")),
            external_url: None,
            message: format!("style {i} has no price"),
        })
        .collect()
}

fn update(n: usize) -> SyncLogUpdate {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("valid");
    SyncLogUpdate {
        started_full_sync: Some(now),
        last_full_sync: Some(now),
        last_full_sync_succeeded: Some(n == 0),
        errors: errors(n),
    }
}

#[tokio::test]
async fn sync_log_round_trips_and_clears() {
    let (sandbox, client) = setup().await;
    let sent = update(3);
    client
        .put_sync_log("selvedge", "pricing", &sent)
        .await
        .expect("put");
    let status = client
        .get_sync_log("selvedge", "pricing")
        .await
        .expect("get")
        .expect("logged");
    assert_eq!(status.error_count, 3);
    assert_eq!(status.last_full_sync, sent.last_full_sync);
    assert_eq!(status.last_full_sync_succeeded, Some(false));
    assert_eq!(sandbox.state().sync_log("selvedge", "pricing"), Some(sent));
    client.clear_sync_logs().await.expect("clear");
    assert_eq!(
        client
            .get_sync_log("selvedge", "pricing")
            .await
            .expect("get"),
        None
    );
}

#[tokio::test]
async fn more_than_5000_errors_are_capped_with_a_summary_entry() {
    let (sandbox, client) = setup().await;
    client
        .put_sync_log("selvedge", "stock", &update(6000))
        .await
        .expect("put");
    let stored = sandbox
        .state()
        .sync_log("selvedge", "stock")
        .expect("logged");
    assert_eq!(stored.errors.len(), 5000);
    assert_eq!(
        stored.errors[4998].external_id.as_deref(),
        Some("STYLE-4998")
    );
    assert!(
        stored.errors[4999]
            .message
            .starts_with("1001 more errors not shown"),
        "{}",
        stored.errors[4999].message
    );
}
