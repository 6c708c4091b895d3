//! Sales orders, shipments and credit memos against the sandbox ERP.
// A failed unwrap in a test is a test failure with its message; that is what we want here.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use selvedge_bluecherry::model::{
    Cents, CreditMemoLineRequest, CreditMemoRequest, MemoStatus, OrderStatus,
    SalesOrderLineRequest, SalesOrderRequest,
};
use selvedge_bluecherry::sandbox::seed::{WAREHOUSE_NJ, WEB_CUSTOMER};
use selvedge_bluecherry::{Error, SandboxConfig};
use selvedge_connector_kit::RetryPolicy;
use serde_json::json;

#[tokio::test]
async fn sales_orders_with_bad_header_codes_or_unknown_items_are_rejected_naming_the_field() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let cases: Vec<(SalesOrderRequest, &str, &str)> = vec![
        (
            SalesOrderRequest {
                division: None,
                ..order("R-1", &[(&sku, 1)])
            },
            "division",
            "required",
        ),
        (
            SalesOrderRequest {
                warehouse: None,
                ..order("R-2", &[(&sku, 1)])
            },
            "warehouse",
            "required",
        ),
        (
            SalesOrderRequest {
                warehouse: Some("ZZ99".into()),
                ..order("R-3", &[(&sku, 1)])
            },
            "warehouse",
            "unknown warehouse `ZZ99`",
        ),
        (
            SalesOrderRequest {
                division: Some("09".into()),
                ..order("R-4", &[(&sku, 1)])
            },
            "division",
            "unknown division `09`",
        ),
        (
            order("R-5", &[(&sku, 1), ("99999-000-XL", 1)]),
            "lines[1].sku",
            "unknown SKU `99999-000-XL`",
        ),
        (order("R-6", &[(&sku, 0)]), "lines[0].qty", "above 0"),
    ];
    for (req, field, message) in cases {
        match c.create_sales_order(&req).await {
            Err(Error::Rejected {
                field: Some(f),
                message: m,
                ..
            }) => {
                assert_eq!(f, field, "{}", req.external_ref);
                assert!(m.contains(message), "{m:?} should contain {message:?}");
            }
            other => panic!("{}: expected rejection, got {other:?}", req.external_ref),
        }
        assert!(
            c.find_sales_order(&req.external_ref)
                .await
                .unwrap()
                .is_none()
        );
    }
    let mut by_upc = order("R-7", &[]);
    by_upc.lines.push(SalesOrderLineRequest {
        sku: None,
        upc: Some("000000000000".into()),
        qty: 1,
        unit_price: Cents(100),
    });
    let err = c.create_sales_order(&by_upc).await.unwrap_err();
    assert!(
        matches!(err, Error::Rejected { field: Some(ref f), .. } if f == "lines[0].upc"),
        "{err:?}"
    );
}

#[tokio::test]
async fn orders_by_upc_resolve_to_the_sku_and_keep_header_fields() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let styles = c.list_styles(None).await.unwrap();
    let sku = &styles[0].skus[0];
    let mut req = order("BC-UPC", &[]);
    req.customer = "C10001".into();
    req.division = Some("02".into());
    req.authorised = true;
    req.po_number = Some("PO-7781".into());
    req.lines.push(SalesOrderLineRequest {
        sku: None,
        upc: Some(sku.upc.clone()),
        qty: 2,
        unit_price: Cents(1450),
    });
    let created = c.create_sales_order(&req).await.unwrap();
    assert_eq!(created.lines[0].sku, sku.sku);
    assert_eq!(
        created.terms, "NET30",
        "customer's terms apply when none are sent"
    );
    assert!(created.authorised);
    assert_eq!(created.po_number.as_deref(), Some("PO-7781"));
    assert_eq!(created.other_reference.as_deref(), Some("BC#1001"));
    assert_eq!(created.tax_amount, Cents(412));
    assert_eq!(created.merchandise_total, Cents(2900));
    assert_eq!(
        c.get_sales_order(&created.order_number).await.unwrap(),
        created
    );
}

#[tokio::test]
async fn duplicate_external_reference_returns_the_existing_order_number() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let first = c
        .create_sales_order(&order("BC-DUP", &[(&sku, 1)]))
        .await
        .unwrap();
    match c.create_sales_order(&order("BC-DUP", &[(&sku, 5)])).await {
        Err(Error::Duplicate {
            external_ref,
            existing_number,
        }) => {
            assert_eq!(external_ref, "BC-DUP");
            assert_eq!(existing_number, first.order_number);
        }
        other => panic!("expected duplicate, got {other:?}"),
    }
    assert_eq!(sb.with_state(|s| s.orders.len()), 1);
}

#[tokio::test]
async fn shipments_partial_then_full_are_listed_after_the_cursor() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let snap = c.ats_snapshot(1).await.unwrap();
    let (a, b) = (snap.rows[0].sku.clone(), snap.rows[2].sku.clone());
    let so = c
        .create_sales_order(&order("BC-SHIP", &[(&a, 3), (&b, 1)]))
        .await
        .unwrap();
    let path = format!("/orders/{}/ship", so.order_number);

    let resp = sandbox_post(
        &sb,
        &path,
        json!({"carrier": "UPS", "tracking": "1Z1", "lines": [{"sku": a, "qty": 2}]}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let page = c.list_shipments(None, 10).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        (
            page.items[0].carrier.as_str(),
            page.items[0].tracking.as_str()
        ),
        ("UPS", "1Z1")
    );
    assert_eq!(page.items[0].external_ref, "BC-SHIP");
    assert_eq!(
        c.get_sales_order(&so.order_number).await.unwrap().status,
        OrderStatus::PartiallyShipped
    );

    let cursor = page.next_cursor;
    assert!(
        c.list_shipments(Some(&cursor), 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let resp = sandbox_post(&sb, &path, json!({"carrier": "FEDEX", "tracking": "7712"})).await;
    assert_eq!(resp.status(), 201);
    let page = c.list_shipments(Some(&cursor), 10).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let lines: Vec<(String, i64)> = page.items[0]
        .lines
        .iter()
        .map(|l| (l.sku.clone(), l.qty))
        .collect();
    assert_eq!(lines, vec![(a.clone(), 1), (b.clone(), 1)]);
    assert_eq!(
        c.get_sales_order(&so.order_number).await.unwrap().status,
        OrderStatus::Shipped
    );

    let over = sandbox_post(
        &sb,
        &path,
        json!({"carrier": "UPS", "tracking": "X", "lines": [{"sku": a, "qty": 1}]}),
    )
    .await;
    assert_eq!(over.status(), 422, "cannot ship more than was ordered");
}

#[tokio::test]
async fn orders_ship_automatically_after_the_configured_cycles() {
    let sb = sandbox(SandboxConfig {
        auto_ship_after_cycles: Some(2),
        ..SandboxConfig::default()
    })
    .await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    c.create_sales_order(&order("BC-AUTO", &[(&sku, 1)]))
        .await
        .unwrap();
    sb.run_cycle();
    assert!(c.list_shipments(None, 10).await.unwrap().items.is_empty());
    sb.run_cycle();
    let page = c.list_shipments(None, 10).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].external_ref, "BC-AUTO");
}

#[tokio::test]
async fn edits_inside_the_erp_show_in_get_sales_order_as_drift() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let so = c
        .create_sales_order(&order("BC-EDIT", &[(&sku, 4)]))
        .await
        .unwrap();
    let resp = sandbox_post(
        &sb,
        &format!("/orders/{}/edit", so.order_number),
        json!({"line_no": 1, "qty": 2, "unit_price": "25.00"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let now = c.get_sales_order(&so.order_number).await.unwrap();
    assert_eq!(
        (now.lines[0].qty, now.lines[0].unit_price),
        (2, Cents(2500))
    );
    assert_eq!(now.merchandise_total, Cents(5000));
    assert_ne!(now.merchandise_total, so.merchandise_total);
    assert!(now.updated_at >= so.updated_at);
}

#[tokio::test]
async fn credit_memos_post_and_restock_at_the_next_cycle() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let so = c
        .create_sales_order(&order("BC-RMA", &[(&sku, 3)]))
        .await
        .unwrap();
    sandbox_post(
        &sb,
        &format!("/orders/{}/ship", so.order_number),
        json!({"carrier": "UPS", "tracking": "1Z9"}),
    )
    .await;
    let shipped = sb.run_cycle();
    let qoh = row(
        &c.ats_snapshot(shipped).await.unwrap().rows,
        WAREHOUSE_NJ,
        &sku,
    )
    .buckets
    .total_qoh;

    let memo = CreditMemoRequest {
        external_ref: "RF-1".into(),
        customer: WEB_CUSTOMER.into(),
        original_order: so.order_number.clone(),
        reason: Some("wrong size".into()),
        tax_amount: Cents(100),
        lines: vec![
            CreditMemoLineRequest {
                sku: sku.clone(),
                qty: 1,
                unit_price: Cents(2800),
                restock: true,
            },
            CreditMemoLineRequest {
                sku: sku.clone(),
                qty: 1,
                unit_price: Cents(2800),
                restock: false,
            },
        ],
    };
    let created = c.create_credit_memo(&memo).await.unwrap();
    assert_eq!(
        (created.status, created.total),
        (MemoStatus::Open, Cents(5700))
    );
    let dup = c.create_credit_memo(&memo).await.unwrap_err();
    assert!(
        matches!(dup, Error::Duplicate { ref existing_number, .. } if *existing_number == created.memo_number)
    );

    let next = sb.run_cycle();
    let posted = c
        .find_credit_memo("RF-1")
        .await
        .unwrap()
        .expect("memo found");
    assert_eq!(posted.status, MemoStatus::Posted);
    assert!(posted.posted_at.is_some());
    let after = row(
        &c.ats_snapshot(next).await.unwrap().rows,
        WAREHOUSE_NJ,
        &sku,
    )
    .buckets
    .total_qoh;
    assert_eq!(after, qoh + 1, "only the restock line returns to stock");

    let bad = CreditMemoRequest {
        external_ref: "RF-2".into(),
        original_order: "SO-1".into(),
        ..memo
    };
    let err = c.create_credit_memo(&bad).await.unwrap_err();
    assert!(
        matches!(err, Error::Rejected { field: Some(ref f), .. } if f == "original_order"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_authorised_order_over_the_customers_open_credit_is_rejected() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    let customer = c
        .list_customers()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.customer == "C10001")
        .unwrap();
    let open_credit = customer.credit_limit.0 - customer.balance.0;
    let mut req = order("B2B-BIG", &[(&sku, 1)]);
    req.customer = customer.customer.clone();
    req.division = Some("02".into());
    req.authorised = true;
    req.tax_amount = Cents(0);
    req.lines[0].unit_price = Cents(open_credit + 1);
    let err = c.create_sales_order(&req).await.unwrap_err();
    assert!(
        matches!(err, Error::Rejected { field: Some(ref f), ref message, .. } if f == "authorised" && message.contains("credit limit")),
        "{err:?}"
    );
    req.lines[0].unit_price = Cents(open_credit);
    c.create_sales_order(&req)
        .await
        .expect("an order that fits the open credit is accepted");
}
