//! Revising an open sales order (`PUT /v1/sales-orders/{number}`) against the sandbox ERP.
// A failed unwrap in a test is a test failure with its message; that is what we want here.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use selvedge_bluecherry::model::{Cents, OrderStatus, SalesOrder};
use selvedge_bluecherry::sandbox::Faults;
use selvedge_bluecherry::sandbox::seed::WAREHOUSE_NJ;
use selvedge_bluecherry::{BlueCherryClient, Error, Sandbox, SandboxConfig};
use selvedge_connector_kit::RetryPolicy;
use serde_json::json;

/// Open units of `sku` in NJ01 as the next cycle's snapshot shows them.
async fn open_units(sb: &Sandbox, c: &BlueCherryClient, sku: &str) -> i64 {
    let cycle = sb.run_cycle();
    row(
        &c.ats_snapshot(cycle).await.unwrap().rows,
        WAREHOUSE_NJ,
        sku,
    )
    .buckets
    .total_open
}

/// The order as the sandbox's books hold it.
fn stored(sb: &Sandbox, number: &str) -> SalesOrder {
    sb.with_state(|s| {
        s.orders
            .iter()
            .find(|o| o.order.order_number == number)
            .unwrap()
            .order
            .clone()
    })
}

#[tokio::test]
async fn a_revision_replaces_the_header_lines_and_value_of_an_open_order() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let skus = stocked_skus(&c, 3).await;
    let (a, b, d) = (&skus[0], &skus[1], &skus[2]);
    let mut before = Vec::new();
    for sku in &skus {
        before.push(open_units(&sb, &c, sku).await);
    }
    let created = c
        .create_sales_order(&order("SL-REV", &[(a, 3), (b, 1)]))
        .await
        .unwrap();
    assert_eq!(created.revision, 1, "a new order is revision 1");

    let mut edited = order("SL-REV", &[(a, 1), (d, 5)]);
    edited.lines[1].unit_price = Cents(2500);
    edited.po_number = Some("PO-EDITED".into());
    edited.tax_amount = Cents(900);
    let revised = c
        .revise_sales_order(&created.order_number, 2, &edited)
        .await
        .unwrap();

    assert_eq!(revised.order_number, created.order_number);
    assert_eq!(revised.revision, 2);
    assert_eq!(revised.status, OrderStatus::Open);
    let lines: Vec<(u32, &str, i64, Cents)> = revised
        .lines
        .iter()
        .map(|l| (l.line_no, l.sku.as_str(), l.qty, l.unit_price))
        .collect();
    assert_eq!(
        lines,
        vec![
            (1, a.as_str(), 1, Cents(2800)),
            (2, d.as_str(), 5, Cents(2500))
        ]
    );
    assert_eq!(revised.merchandise_total, Cents(2800 + 5 * 2500));
    assert_eq!(revised.tax_amount, Cents(900));
    assert_eq!(revised.po_number.as_deref(), Some("PO-EDITED"));
    assert_eq!(
        c.get_sales_order(&created.order_number).await.unwrap(),
        revised
    );
    assert_eq!(sb.with_state(|s| s.orders.len()), 1, "no second order");

    // The open quantities move with the lines: the old ones are released, the new ones booked.
    let mut after = Vec::new();
    for sku in &skus {
        after.push(open_units(&sb, &c, sku).await);
    }
    assert_eq!(after, vec![before[0] + 1, before[1], before[2] + 5]);
}

#[tokio::test]
async fn sending_the_same_revision_twice_changes_the_order_once() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let before = open_units(&sb, &c, &sku).await;
    let created = c
        .create_sales_order(&order("SL-TWICE", &[(&sku, 2)]))
        .await
        .unwrap();
    let edited = order("SL-TWICE", &[(&sku, 6)]);

    let first = c
        .revise_sales_order(&created.order_number, 2, &edited)
        .await
        .unwrap();
    let second = c
        .revise_sales_order(&created.order_number, 2, &edited)
        .await
        .unwrap();

    assert_eq!(second, first, "the retry answers the order as it is");
    assert_eq!(stored(&sb, &created.order_number).revision, 2);
    assert_eq!(open_units(&sb, &c, &sku).await, before + 6);
}

#[tokio::test]
async fn an_older_or_equal_revision_with_other_content_is_stale_and_changes_nothing() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let created = c
        .create_sales_order(&order("SL-STALE", &[(&sku, 2)]))
        .await
        .unwrap();
    let number = created.order_number.clone();
    let current = c
        .revise_sales_order(&number, 3, &order("SL-STALE", &[(&sku, 4)]))
        .await
        .unwrap();
    assert_eq!(current.revision, 3, "revision numbers may skip");

    for sent in [1, 2, 3] {
        let err = c
            .revise_sales_order(&number, sent, &order("SL-STALE", &[(&sku, 9)]))
            .await
            .unwrap_err();
        match err {
            Error::StaleRevision {
                order_number,
                sent: s,
                current,
            } => assert_eq!(
                (order_number.as_str(), s, current),
                (number.as_str(), sent, 3)
            ),
            other => panic!("revision {sent}: expected stale, got {other:?}"),
        }
    }
    assert_eq!(stored(&sb, &number), current);
}

#[tokio::test]
async fn an_order_with_a_shipment_is_locked_against_revision() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let created = c
        .create_sales_order(&order("SL-SHIPPED", &[(&sku, 3)]))
        .await
        .unwrap();
    let number = created.order_number.clone();
    let rev2 = order("SL-SHIPPED", &[(&sku, 4)]);
    c.revise_sales_order(&number, 2, &rev2).await.unwrap();
    let resp = sandbox_post(
        &sb,
        &format!("/orders/{number}/ship"),
        json!({"carrier": "UPS", "tracking": "1Z1", "lines": [{"sku": sku, "qty": 1}]}),
    )
    .await;
    assert_eq!(resp.status(), 201);

    let err = c
        .revise_sales_order(&number, 3, &order("SL-SHIPPED", &[(&sku, 2)]))
        .await
        .unwrap_err();
    match &err {
        Error::Locked {
            order_number,
            reason,
        } => {
            assert_eq!(order_number, &number);
            assert!(reason.contains("partially shipped"), "{reason}");
        }
        other => panic!("expected locked, got {other:?}"),
    }
    assert!(err.to_string().contains(&number), "{err}");
    let now = stored(&sb, &number);
    assert_eq!((now.revision, now.lines[0].qty), (2, 4), "nothing changed");

    // A lost answer to the revision applied before the shipment may still be retried.
    let retried = c.revise_sales_order(&number, 2, &rev2).await.unwrap();
    assert_eq!(retried.status, OrderStatus::PartiallyShipped);
}

#[tokio::test]
async fn a_cancelled_order_is_locked_against_revision_and_cannot_ship() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let before = open_units(&sb, &c, &sku).await;
    let created = c
        .create_sales_order(&order("SL-CXL", &[(&sku, 3)]))
        .await
        .unwrap();
    let number = created.order_number.clone();
    let resp = sandbox_post(&sb, &format!("/orders/{number}/cancel"), json!({})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        open_units(&sb, &c, &sku).await,
        before,
        "open units released"
    );

    let err = c
        .revise_sales_order(&number, 2, &order("SL-CXL", &[(&sku, 1)]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Locked { ref reason, .. } if reason.contains("cancelled")),
        "{err:?}"
    );
    let ship = sandbox_post(
        &sb,
        &format!("/orders/{number}/ship"),
        json!({"carrier": "UPS", "tracking": "1Z2"}),
    )
    .await;
    assert_eq!(ship.status(), 422);
}

#[tokio::test]
async fn revising_an_unknown_order_number_is_not_found() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let err = c
        .revise_sales_order("SO-999999", 2, &order("SL-NONE", &[(&sku, 1)]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound(ref m) if m.contains("SO-999999")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_revision_with_another_external_ref_or_bad_data_is_rejected_naming_the_field() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let created = c
        .create_sales_order(&order("SL-OWN", &[(&sku, 2)]))
        .await
        .unwrap();
    let number = created.order_number.clone();
    let cases = [
        (2, order("SL-OTHER", &[(&sku, 1)]), "external_ref", "SL-OWN"),
        (
            2,
            order("SL-OWN", &[("99999-000-XL", 1)]),
            "lines[0].sku",
            "unknown SKU",
        ),
        (2, order("SL-OWN", &[(&sku, 0)]), "lines[0].qty", "above 0"),
        (0, order("SL-OWN", &[(&sku, 1)]), "revision", "1 or more"),
    ];
    for (revision, req, field, message) in cases {
        match c.revise_sales_order(&number, revision, &req).await {
            Err(Error::Rejected {
                field: Some(f),
                message: m,
                ..
            }) => {
                assert_eq!(f, field);
                assert!(m.contains(message), "{m:?} should contain {message:?}");
            }
            other => panic!("{field}: expected rejection, got {other:?}"),
        }
    }
    assert_eq!(stored(&sb, &number), created, "nothing changed");
}

#[tokio::test]
async fn a_short_burst_of_5xx_on_a_revision_is_retried_and_applied_once() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let before = open_units(&sb, &c, &sku).await;
    let created = c
        .create_sales_order(&order("SL-5XX", &[(&sku, 2)]))
        .await
        .unwrap();
    sb.set_faults(Faults {
        fail_next: 2,
        ..Faults::default()
    });
    let revised = c
        .revise_sales_order(&created.order_number, 2, &order("SL-5XX", &[(&sku, 5)]))
        .await
        .expect("retried past the burst");
    assert_eq!((revised.revision, revised.lines[0].qty), (2, 5));
    assert_eq!(sb.with_state(|s| s.faults.fail_next), 0);
    assert_eq!(open_units(&sb, &c, &sku).await, before + 5);
}

#[tokio::test]
async fn a_revision_whose_answer_times_out_is_sent_again_and_applied_once() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 300, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let before = open_units(&sb, &c, &sku).await;
    let created = c
        .create_sales_order(&order("SL-HANG", &[(&sku, 2)]))
        .await
        .unwrap();
    sb.set_faults(Faults {
        hang_next_revisions: 1,
        hang_ms: 2_000,
        ..Faults::default()
    });
    // The first PUT is applied and its answer lost; the client sends the same revision
    // again, which the ERP answers as a retry.
    let revised = c
        .revise_sales_order(&created.order_number, 2, &order("SL-HANG", &[(&sku, 7)]))
        .await
        .expect("not ambiguous: the same revision is safe to send again");
    assert_eq!((revised.revision, revised.lines[0].qty), (2, 7));
    assert_eq!(sb.with_state(|s| s.faults.hang_next_revisions), 0);
    assert_eq!(open_units(&sb, &c, &sku).await, before + 7);
}
