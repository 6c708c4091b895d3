//! How the client classifies faults: retryable reads, never-retried creates, ambiguity.
// A failed unwrap in a test is a test failure with its message; that is what we want here.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use selvedge_bluecherry::sandbox::Faults;
use selvedge_bluecherry::{BlueCherryClient, BlueCherryConfig, ErpGateway, Error, SandboxConfig};
use selvedge_connector_kit::RetryPolicy;

#[tokio::test]
async fn commit_then_timeout_is_ambiguous_and_lookup_by_reference_finds_exactly_one_order() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c: Arc<dyn ErpGateway> = Arc::new(client(&sb, 300, RetryPolicy::fast()));
    let sku = {
        let snap = c.ats_snapshot(1).await.unwrap();
        snap.rows[0].sku.clone()
    };
    sb.set_faults(Faults {
        hang_next_creates: 1,
        hang_ms: 5_000,
        ..Faults::default()
    });

    let req = order("BC-AMB", &[(&sku, 2)]);
    match c.create_sales_order(&req).await {
        Err(Error::Ambiguous { external_ref, .. }) => assert_eq!(external_ref, "BC-AMB"),
        other => panic!("expected ambiguous, got {other:?}"),
    }
    // What a flow must do next: look up before retrying.
    let found = c
        .find_sales_order("BC-AMB")
        .await
        .unwrap()
        .expect("the ERP committed it");
    assert_eq!(found.lines[0].qty, 2);
    assert_eq!(
        sb.with_state(|s| s
            .orders
            .iter()
            .filter(|o| o.order.external_ref == "BC-AMB")
            .count()),
        1
    );
    // And a blind retry could not double it either.
    let err = c.create_sales_order(&req).await.unwrap_err();
    assert!(
        matches!(err, Error::Duplicate { ref existing_number, .. } if *existing_number == found.order_number)
    );
}

#[tokio::test]
async fn a_short_burst_of_5xx_is_absorbed_by_read_retries() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    sb.set_faults(Faults {
        fail_next: 3,
        ..Faults::default()
    });
    let status = c.cycle_status().await.expect("retried past the burst");
    assert_eq!(status.last_cycle_id, 1);
    assert_eq!(sb.with_state(|s| s.faults.fail_next), 0);
}

#[tokio::test]
async fn a_long_burst_of_5xx_surfaces_as_transient_after_the_retries() {
    let sb = sandbox(SandboxConfig::default()).await;
    let retry = RetryPolicy {
        max_retries: 2,
        base_delay_ms: 1,
        max_delay_ms: 5,
    };
    let c = client(&sb, 2_000, retry);
    sb.set_faults(Faults {
        fail_next: 10,
        fail_status: 502,
        ..Faults::default()
    });
    let err = c.list_customers().await.unwrap_err();
    assert!(
        matches!(err, Error::Transient(ref m) if m.contains("502")),
        "{err:?}"
    );
    assert_eq!(
        sb.with_state(|s| s.faults.fail_next),
        7,
        "one try plus two retries"
    );
}

#[tokio::test]
async fn creates_are_never_retried_and_a_5xx_commits_nothing() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    sb.set_faults(Faults {
        fail_next: 1,
        ..Faults::default()
    });
    let err = c
        .create_sales_order(&order("BC-5XX", &[(&sku, 1)]))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(c.find_sales_order("BC-5XX").await.unwrap().is_none());
}

#[tokio::test]
async fn slow_responses_past_the_client_timeout_are_transient_and_faster_ones_succeed() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 150, RetryPolicy::none());
    sb.set_faults(Faults {
        delay_ms: 400,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    let err = c.cycle_status().await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_millis(380),
        "the client gave up at its timeout"
    );
    sb.set_faults(Faults {
        delay_ms: 30,
        ..Faults::default()
    });
    assert!(c.cycle_status().await.is_ok());
}

#[tokio::test]
async fn a_wrong_api_key_is_unauthorized() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = BlueCherryClient::new(&BlueCherryConfig::new(sb.base_url()), "not-the-key").unwrap();
    assert!(matches!(c.cycle_status().await, Err(Error::Unauthorized)));
}
