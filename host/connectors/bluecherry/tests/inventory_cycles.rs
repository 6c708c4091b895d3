//! Batch cycles and catalogue reads: stock moves only when a cycle completes.
// A failed unwrap in a test is a test failure with its message; that is what we want here.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use selvedge_bluecherry::model::Cents;
use selvedge_bluecherry::sandbox::seed::WAREHOUSE_NJ;
use selvedge_bluecherry::{Error, SandboxConfig};
use selvedge_connector_kit::RetryPolicy;
use serde_json::json;

#[tokio::test]
async fn stock_changes_only_when_a_batch_cycle_completes() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let before = row(&c.ats_snapshot(1).await.unwrap().rows, WAREHOUSE_NJ, &sku).clone();

    let resp = sandbox_post(
        &sb,
        "/inventory/adjust",
        json!({"warehouse": WAREHOUSE_NJ, "sku": sku, "qoh_delta": 10}),
    )
    .await;
    assert!(resp.status().is_success());
    c.create_sales_order(&order("BC-1", &[(&sku, 3)]))
        .await
        .unwrap();

    // Between cycles nothing moves: same cycle id, same numbers.
    assert_eq!(c.cycle_status().await.unwrap().last_cycle_id, 1);
    assert_eq!(
        *row(&c.ats_snapshot(1).await.unwrap().rows, WAREHOUSE_NJ, &sku),
        before
    );
    assert!(matches!(c.ats_snapshot(2).await, Err(Error::NotFound(_))));

    let resp = sandbox_post(&sb, "/cycles/run", json!({})).await;
    assert!(resp.status().is_success());
    let status = c.cycle_status().await.unwrap();
    assert_eq!(status.last_cycle_id, 2);
    let snap = c.ats_snapshot(2).await.unwrap();
    assert_eq!(snap.cycle_id, 2);
    assert_eq!(Some(snap.completed_at), status.last_completed_at);
    let after = row(&snap.rows, WAREHOUSE_NJ, &sku).buckets;
    assert_eq!(after.total_qoh, before.buckets.total_qoh + 10);
    assert_eq!(after.total_open, before.buckets.total_open + 3);
    assert_eq!(
        after.avail_qoh,
        after.total_qoh - after.total_pick - after.total_open
    );
}

#[tokio::test]
async fn open_work_orders_become_on_hand_after_the_configured_cycles() {
    let sb = sandbox(SandboxConfig {
        work_order_cycles: 2,
        ..SandboxConfig::default()
    })
    .await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let snap1 = c.ats_snapshot(1).await.unwrap();
    let seeded = snap1
        .rows
        .iter()
        .find(|r| r.buckets.total_prod > 0)
        .expect("seed has open work orders")
        .clone();
    let sku = stocked_sku(&c).await;
    let qoh1 = row(&snap1.rows, WAREHOUSE_NJ, &sku).buckets.total_qoh;
    let resp = sandbox_post(
        &sb,
        "/work-orders",
        json!({"warehouse": WAREHOUSE_NJ, "sku": sku, "qty": 24}),
    )
    .await;
    assert_eq!(resp.status(), 201);

    sb.run_cycle();
    let s2 = c.ats_snapshot(2).await.unwrap();
    let b = row(&s2.rows, WAREHOUSE_NJ, &sku).buckets;
    assert_eq!(
        (b.total_prod, b.total_qoh),
        (24, qoh1),
        "in production, not on hand yet"
    );
    assert_eq!(
        row(&s2.rows, &seeded.warehouse, &seeded.sku)
            .buckets
            .total_qoh,
        seeded.buckets.total_qoh
    );

    sb.run_cycle();
    let s3 = c.ats_snapshot(3).await.unwrap();
    let b = row(&s3.rows, WAREHOUSE_NJ, &sku).buckets;
    assert_eq!((b.total_prod, b.total_qoh), (0, qoh1 + 24));
    let s = row(&s3.rows, &seeded.warehouse, &seeded.sku).buckets;
    assert_eq!(s.total_prod, 0);
    assert_eq!(
        s.total_qoh,
        seeded.buckets.total_qoh + seeded.buckets.total_prod
    );
}

#[tokio::test]
async fn scheduled_cycles_run_on_their_own_and_announce_the_next_one() {
    let sb = sandbox(SandboxConfig {
        cycle_period_ms: Some(80),
        ..SandboxConfig::default()
    })
    .await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = c.cycle_status().await.unwrap();
    assert!(status.last_cycle_id >= 3, "{status:?}");
    let (done, next) = (
        status.last_completed_at.unwrap(),
        status.next_scheduled_at.unwrap(),
    );
    assert_eq!(next - done, time::Duration::milliseconds(80));
}

#[tokio::test]
async fn snapshots_older_than_the_retention_are_not_found() {
    let sb = sandbox(SandboxConfig {
        snapshot_retention: 2,
        ..SandboxConfig::default()
    })
    .await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    sb.run_cycle();
    sb.run_cycle();
    assert!(matches!(c.ats_snapshot(1).await, Err(Error::NotFound(_))));
    assert_eq!(c.ats_snapshot(3).await.unwrap().cycle_id, 3);
}
#[tokio::test]
async fn catalogue_customers_and_price_levels_are_listed_across_pages() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 5_000, RetryPolicy::fast());
    let styles = c.list_styles(None).await.unwrap();
    assert_eq!(styles.len(), 60);
    let skus: usize = styles.iter().map(|s| s.skus.len()).sum();
    assert!(skus >= 1_000, "thousands of SKUs, got {skus}");
    assert!(styles.iter().any(|s| !s.dimensions.is_empty()));
    for k in styles.iter().flat_map(|s| &s.skus) {
        assert_eq!(k.nrf_size.len(), 5, "{}", k.sku);
        assert_eq!(k.nrf_colour.len(), 3, "{}", k.sku);
        assert_eq!(k.upc.len(), 12, "{}", k.sku);
    }
    let customers = c.list_customers().await.unwrap();
    assert_eq!(customers.len(), 13);
    assert!(
        customers
            .iter()
            .any(|c| c.terms_code == "NET60" && c.net_days == 60)
    );
    let a = c.list_price_levels(Some("A")).await.unwrap();
    assert_eq!(a.len(), skus);
    assert!(a.iter().all(|p| {
        p.level == "A"
            && p.breaks
                .windows(2)
                .all(|w| w[0].min_qty < w[1].min_qty && w[0].unit_price >= w[1].unit_price)
    }));
}

#[tokio::test]
async fn styles_changed_since_returns_only_styles_edited_later() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let styles = c.list_styles(None).await.unwrap();
    let mark = styles.iter().map(|s| s.updated_at).max().unwrap();
    assert!(c.list_styles(Some(mark)).await.unwrap().is_empty());
    let resp = sandbox_post(
        &sb,
        &format!("/styles/{}/retail", styles[3].style),
        json!({"retail": "99.00"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let changed = c.list_styles(Some(mark)).await.unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(
        (changed[0].style.as_str(), changed[0].prices.retail),
        (styles[3].style.as_str(), Cents(9900))
    );
}
