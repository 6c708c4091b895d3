//! The `accept_duplicates` fault (an ERP without idempotency) and the create log that lets a
//! test count how many documents were really made for one reference.
// A failed unwrap in a test is a test failure with its message; that is what we want here.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::Method;
use selvedge_bluecherry::model::{Cents, CreditMemoLineRequest, CreditMemoRequest, SalesOrder};
use selvedge_bluecherry::sandbox::seed::{WAREHOUSE_NJ, WEB_CUSTOMER};
use selvedge_bluecherry::sandbox::{CreateKind, CreateLogEntry, CreateOutcome, Faults};
use selvedge_bluecherry::{BlueCherryClient, Error, Sandbox, SandboxConfig};
use selvedge_connector_kit::RetryPolicy;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn accept_duplicates() -> Faults {
    Faults {
        accept_duplicates: true,
        ..Faults::default()
    }
}

/// The log as `GET /sandbox/creates` answers it, parsed into the Rust type.
async fn creates_over_http(sb: &Sandbox) -> Vec<CreateLogEntry> {
    let resp = sandbox_call(sb, Method::GET, "/creates", None).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// (kind, external_ref, number, outcome) of each entry, for compact assertions.
fn summary(log: &[CreateLogEntry]) -> Vec<(CreateKind, String, String, CreateOutcome)> {
    log.iter()
        .map(|e| (e.kind, e.external_ref.clone(), e.number.clone(), e.outcome))
        .collect()
}

fn orders_with_ref(sb: &Sandbox, external_ref: &str) -> Vec<String> {
    sb.with_state(|s| {
        s.orders
            .iter()
            .filter(|o| o.order.external_ref == external_ref)
            .map(|o| o.order.order_number.clone())
            .collect()
    })
}

fn open_units(sb: &Sandbox, sku: &str) -> i64 {
    sb.with_state(|s| {
        s.stock
            .get(&(WAREHOUSE_NJ.to_string(), sku.to_string()))
            .map_or(0, |b| b.total_open)
    })
}

fn memo(external_ref: &str, so: &SalesOrder) -> CreditMemoRequest {
    CreditMemoRequest {
        external_ref: external_ref.into(),
        customer: WEB_CUSTOMER.into(),
        original_order: so.order_number.clone(),
        reason: None,
        tax_amount: Cents(0),
        lines: vec![CreditMemoLineRequest {
            sku: so.lines[0].sku.clone(),
            qty: 1,
            unit_price: Cents(2800),
            restock: true,
        }],
    }
}

async fn setup() -> (Sandbox, BlueCherryClient, String) {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 2_000, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    (sb, c, sku)
}

#[tokio::test]
async fn without_the_switch_a_repeated_order_reference_is_refused_and_logged_as_refused() {
    let (sb, c, sku) = setup().await;
    let first = c
        .create_sales_order(&order("BC-D1", &[(&sku, 1)]))
        .await
        .unwrap();
    let err = c
        .create_sales_order(&order("BC-D1", &[(&sku, 1)]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Duplicate { ref existing_number, .. } if *existing_number == first.order_number),
        "{err:?}"
    );
    assert_eq!(
        orders_with_ref(&sb, "BC-D1"),
        vec![first.order_number.clone()]
    );

    let expected = vec![
        (
            CreateKind::SalesOrder,
            "BC-D1".to_string(),
            first.order_number.clone(),
            CreateOutcome::Created,
        ),
        (
            CreateKind::SalesOrder,
            "BC-D1".to_string(),
            first.order_number.clone(),
            CreateOutcome::DuplicateRefused,
        ),
    ];
    assert_eq!(summary(&sb.creates()), expected);
    assert_eq!(creates_over_http(&sb).await, sb.creates());
}

#[tokio::test]
async fn with_accept_duplicates_a_second_order_gets_a_new_number_and_both_are_logged() {
    let (sb, c, sku) = setup().await;
    let before = open_units(&sb, &sku);
    sb.set_faults(accept_duplicates());
    let first = c
        .create_sales_order(&order("BC-D2", &[(&sku, 2)]))
        .await
        .unwrap();
    let second = c
        .create_sales_order(&order("BC-D2", &[(&sku, 2)]))
        .await
        .expect("accepted like an ERP without idempotency");
    assert_ne!(first.order_number, second.order_number);
    assert_eq!(
        orders_with_ref(&sb, "BC-D2"),
        vec![first.order_number.clone(), second.order_number.clone()]
    );
    assert_eq!(open_units(&sb, &sku), before + 4, "both orders hold stock");

    // The lookup keeps its shape and lists every document with the reference, first created
    // first; the client treats more than one as a protocol error, which surfaces the double.
    let page = v1_get(&sb, "/sales-orders?external_ref=BC-D2").await;
    let numbers: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_number"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        vec![first.order_number.as_str(), second.order_number.as_str()]
    );
    let err = c.find_sales_order("BC-D2").await.unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");

    assert_eq!(
        summary(&sb.creates()),
        vec![
            (
                CreateKind::SalesOrder,
                "BC-D2".to_string(),
                first.order_number.clone(),
                CreateOutcome::Created,
            ),
            (
                CreateKind::SalesOrder,
                "BC-D2".to_string(),
                second.order_number.clone(),
                CreateOutcome::Created,
            ),
        ]
    );
    assert_eq!(creates_over_http(&sb).await, sb.creates());
}

#[tokio::test]
async fn a_blind_retry_after_commit_then_timeout_shows_as_a_double_when_duplicates_are_accepted() {
    let sb = sandbox(SandboxConfig::default()).await;
    let c = client(&sb, 300, RetryPolicy::fast());
    let sku = stocked_sku(&c).await;
    sb.set_faults(Faults {
        hang_next_creates: 1,
        hang_ms: 2_000,
        ..accept_duplicates()
    });
    let req = order("BC-BLIND", &[(&sku, 1)]);
    let err = c.create_sales_order(&req).await.unwrap_err();
    assert!(matches!(err, Error::Ambiguous { .. }), "{err:?}");
    // The host bug this switch exists for: retrying without looking up first.
    c.create_sales_order(&req).await.unwrap();
    let log = sb.creates();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|e| e.outcome == CreateOutcome::Created));
    assert_ne!(log[0].number, log[1].number);
    assert_eq!(orders_with_ref(&sb, "BC-BLIND").len(), 2);
}

#[tokio::test]
async fn credit_memos_are_refused_then_doubled_once_the_switch_is_armed_and_logged_alike() {
    let (sb, c, sku) = setup().await;
    let so = c
        .create_sales_order(&order("BC-MEMO", &[(&sku, 3)]))
        .await
        .unwrap();
    let first = c.create_credit_memo(&memo("RF-D1", &so)).await.unwrap();
    let err = c.create_credit_memo(&memo("RF-D1", &so)).await.unwrap_err();
    assert!(
        matches!(err, Error::Duplicate { ref existing_number, .. } if *existing_number == first.memo_number),
        "{err:?}"
    );

    let resp = sandbox_call(
        &sb,
        Method::PUT,
        "/faults",
        Some(json!({"accept_duplicates": true})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let second = c
        .create_credit_memo(&memo("RF-D1", &so))
        .await
        .expect("accepted like an ERP without idempotency");
    assert_ne!(first.memo_number, second.memo_number);

    let page = v1_get(&sb, "/credit-memos?external_ref=RF-D1").await;
    let numbers: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["memo_number"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        vec![first.memo_number.as_str(), second.memo_number.as_str()]
    );

    let memos: Vec<_> = sb
        .creates()
        .into_iter()
        .filter(|e| e.kind == CreateKind::CreditMemo)
        .collect();
    assert_eq!(
        summary(&memos),
        vec![
            (
                CreateKind::CreditMemo,
                "RF-D1".to_string(),
                first.memo_number.clone(),
                CreateOutcome::Created,
            ),
            (
                CreateKind::CreditMemo,
                "RF-D1".to_string(),
                first.memo_number.clone(),
                CreateOutcome::DuplicateRefused,
            ),
            (
                CreateKind::CreditMemo,
                "RF-D1".to_string(),
                second.memo_number.clone(),
                CreateOutcome::Created,
            ),
        ]
    );
}

#[tokio::test]
async fn the_create_log_is_in_call_order_with_non_decreasing_times_and_notes_revisions() {
    let (sb, c, sku) = setup().await;
    let a = c
        .create_sales_order(&order("BC-LOG-A", &[(&sku, 1)]))
        .await
        .unwrap();
    let b = c
        .create_sales_order(&order("BC-LOG-B", &[(&sku, 1)]))
        .await
        .unwrap();
    c.create_sales_order(&order("BC-LOG-A", &[(&sku, 1)]))
        .await
        .unwrap_err();
    let revised = order("BC-LOG-A", &[(&sku, 2)]);
    c.revise_sales_order(&a.order_number, 2, &revised)
        .await
        .unwrap();
    // The same revision again is a retry: logged, nothing changes.
    c.revise_sales_order(&a.order_number, 2, &revised)
        .await
        .unwrap();
    let m = c.create_credit_memo(&memo("RF-LOG", &a)).await.unwrap();
    // A create the ERP rejects for other reasons makes nothing and is not logged.
    c.create_sales_order(&order("BC-LOG-BAD", &[(&sku, 0)]))
        .await
        .unwrap_err();

    let (na, nb) = (a.order_number.clone(), b.order_number.clone());
    let s = |x: &str| x.to_string();
    assert_eq!(
        summary(&sb.creates()),
        vec![
            (
                CreateKind::SalesOrder,
                s("BC-LOG-A"),
                na.clone(),
                CreateOutcome::Created
            ),
            (
                CreateKind::SalesOrder,
                s("BC-LOG-B"),
                nb,
                CreateOutcome::Created
            ),
            (
                CreateKind::SalesOrder,
                s("BC-LOG-A"),
                na.clone(),
                CreateOutcome::DuplicateRefused
            ),
            (
                CreateKind::Revision,
                s("BC-LOG-A"),
                na.clone(),
                CreateOutcome::Revised
            ),
            (
                CreateKind::Revision,
                s("BC-LOG-A"),
                na,
                CreateOutcome::Unchanged
            ),
            (
                CreateKind::CreditMemo,
                s("RF-LOG"),
                m.memo_number,
                CreateOutcome::Created
            ),
        ]
    );
    let revisions: Vec<Option<u32>> = sb.creates().iter().map(|e| e.revision).collect();
    assert_eq!(
        revisions,
        vec![None, None, None, Some(2), Some(2), None],
        "only revisions carry a revision"
    );

    // Over HTTP: a JSON list in call order, times as RFC 3339 that never go down.
    let resp = sandbox_call(&sb, Method::GET, "/creates", None).await;
    assert_eq!(resp.status(), 200);
    let raw: serde_json::Value = resp.json().await.unwrap();
    let times: Vec<OffsetDateTime> = raw
        .as_array()
        .unwrap()
        .iter()
        .map(|e| OffsetDateTime::parse(e["at"].as_str().unwrap(), &Rfc3339).unwrap())
        .collect();
    assert_eq!(times.len(), 6);
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(raw[0]["kind"], "sales_order");
    assert_eq!(raw[2]["outcome"], "duplicate_refused");
    assert_eq!(raw[3]["kind"], "revision");

    // Clearing the log leaves the books alone.
    let resp = sandbox_call(&sb, Method::DELETE, "/creates", None).await;
    assert_eq!(resp.status(), 204);
    assert!(creates_over_http(&sb).await.is_empty());
    assert_eq!(sb.with_state(|s| s.orders.len()), 2);
}

#[tokio::test]
async fn accept_duplicates_is_armed_over_put_sandbox_faults_and_cleared_with_the_others() {
    let (sb, c, sku) = setup().await;
    let resp = sandbox_call(
        &sb,
        Method::PUT,
        "/faults",
        Some(json!({"accept_duplicates": true, "delay_ms": 1})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let armed: Faults = resp.json().await.unwrap();
    assert_eq!(
        armed,
        Faults {
            delay_ms: 1,
            ..accept_duplicates()
        }
    );
    let read: serde_json::Value = sandbox_call(&sb, Method::GET, "/faults", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["accept_duplicates"], true);

    c.create_sales_order(&order("BC-ARM", &[(&sku, 1)]))
        .await
        .unwrap();
    c.create_sales_order(&order("BC-ARM", &[(&sku, 1)]))
        .await
        .unwrap();
    assert_eq!(orders_with_ref(&sb, "BC-ARM").len(), 2);

    // A misspelt switch is refused rather than silently ignored.
    let resp = sandbox_call(
        &sb,
        Method::PUT,
        "/faults",
        Some(json!({"accept_duplicate": true})),
    )
    .await;
    assert_eq!(resp.status(), 422);

    let resp = sandbox_call(&sb, Method::DELETE, "/faults", None).await;
    assert_eq!(resp.status(), 204);
    let err = c
        .create_sales_order(&order("BC-ARM", &[(&sku, 1)]))
        .await
        .unwrap_err();
    // With several orders on the reference, the refusal names the first created.
    let first = orders_with_ref(&sb, "BC-ARM").remove(0);
    assert!(
        matches!(err, Error::Duplicate { ref existing_number, .. } if *existing_number == first),
        "{err:?}"
    );
}
