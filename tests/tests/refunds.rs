//! Refunds become exactly one credit memo, complete only once it is posted, and restock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use selvedge::flows::orders::{self, order_kind, refund_kind};
use selvedge::flows::refunds::{self, RefundsSettings};
use selvedge_bigcommerce::Money;
use selvedge_bigcommerce::model::{NewRefund, NewRefundItem, NewRefundPayment};
use selvedge_connector_kit::RetryPolicy;
use selvedge_store::{RefundRecord, RefundState};
use support::Harness;
use support::orders::*;
use support::probe_erp::ProbeErp;
use support::stores::{self, Backend};

fn settings() -> RefundsSettings {
    RefundsSettings {
        retry_base_ms: 10,
        retry_max_ms: 40,
        memo_check_ms: 10,
        ..RefundsSettings::default()
    }
}

/// An injected order and a refund of one unit of its first line; returns (order, refund).
async fn refunded_order(env: &Harness) -> (i64, i64, String) {
    let sku = env.skus[0].clone();
    let id = env.checkout("Express", &[(&sku, 2)]);
    assert!(env.wait_for_queue_depth(&order_kind("brand"), 1).await);
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    let line = env.bc_client().order_products(id).await.unwrap()[0].clone();
    let refund = env
        .bc_client()
        .create_refund(
            id,
            &NewRefund {
                items: vec![NewRefundItem::product(line.id, 1)],
                payments: vec![NewRefundPayment {
                    provider_id: "custom".into(),
                    amount: Money(line.price_inc_tax.cents()),
                    offline: true,
                }],
            },
        )
        .await
        .unwrap();
    assert!(
        env.wait_for_queue_depth(&refund_kind("brand"), 1).await,
        "the refund webhook queued a job"
    );
    (id, refund.id, sku)
}

/// The refund's ledger record.
async fn ledger(env: &Harness, refund_id: i64) -> Option<RefundRecord> {
    env.store
        .refund("brand", &refund_id.to_string())
        .await
        .unwrap()
}

fn memos(env: &Harness, refund_id: i64) -> usize {
    let external_ref = format!("brand:bc:rf:{refund_id}");
    env.erp.with_state(|s| {
        s.memos
            .iter()
            .filter(|m| m.external_ref == external_ref)
            .count()
    })
}

fn on_hand(env: &Harness, sku: &str) -> i64 {
    env.erp.with_state(|s| {
        s.stock
            .get(&("NJ01".to_string(), sku.to_string()))
            .map_or(0, |b| b.total_qoh)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_meeting_three_erp_5xx_then_success_makes_exactly_one_credit_memo() {
    refund_after_three_5xx(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_refund_meeting_three_erp_5xx_then_success_makes_exactly_one_credit_memo() {
    refund_after_three_5xx(Backend::Postgres).await;
}

async fn refund_after_three_5xx(backend: Backend) {
    if stores::unavailable(backend) {
        return;
    }
    let options = Options {
        erp_retry: RetryPolicy::none(),
        store: backend,
        ..Options::default()
    };
    let mut env = b2c(options, &fast_settings()).await;
    let (_, refund_id, _) = refunded_order(&env).await;
    let probe = ProbeErp::new(env.ctx.erp.clone(), &env.erp.base_url());
    probe.memo_failures.store(3, Ordering::SeqCst);
    env.ctx.erp = probe.clone();
    let mut posted = false;
    for _ in 0..60 {
        refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
        let rec = ledger(&env, refund_id).await;
        if rec.as_ref().is_some_and(|r| r.state == RefundState::Posted) {
            posted = true;
            break;
        }
        env.erp.run_cycle();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(posted, "the refund completed");
    assert_eq!(memos(&env, refund_id), 1, "exactly one credit memo");
    assert_eq!(
        probe.memo_creates.load(Ordering::SeqCst),
        4,
        "three 5xx, then success"
    );
    let history = env
        .store
        .refund_history("brand", &refund_id.to_string())
        .await
        .unwrap();
    let posting = history
        .iter()
        .filter(|t| t.to == RefundState::Posting)
        .count();
    assert_eq!(
        posting, 4,
        "three failed creates, then the one that worked: {history:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_completes_only_once_the_memo_is_posted_and_restocks() {
    let env = b2c(Options::default(), &fast_settings()).await;
    let (_, refund_id, sku) = refunded_order(&env).await;
    let before = on_hand(&env, &sku);
    refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
    let rec = ledger(&env, refund_id).await.expect("ledger record");
    assert_eq!(
        rec.state,
        RefundState::Posting,
        "the memo is open, not posted"
    );
    assert_eq!(memos(&env, refund_id), 1);
    env.erp.run_cycle();
    tokio::time::sleep(Duration::from_millis(20)).await;
    refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
    let rec = ledger(&env, refund_id).await.expect("ledger record");
    assert_eq!(rec.state, RefundState::Posted);
    assert!(rec.memo_no.is_some());
    assert_eq!(memos(&env, refund_id), 1, "still one memo");
    assert_eq!(
        on_hand(&env, &sku),
        before + 1,
        "the returned unit is back on hand"
    );
    // The poll sees the same refund: no second job, no second memo.
    refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
    assert_eq!(memos(&env, refund_id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memo_waiting_for_the_erp_never_uses_up_its_refund_job() {
    let env = b2c(Options::default(), &fast_settings()).await;
    let (_order, refund_id, _sku) = refunded_order(&env).await;
    let key = format!("bigcommerce:{refund_id}");
    let job = || async {
        env.store
            .job_by_key("brand", &refund_kind("brand"), &key)
            .await
            .unwrap()
            .unwrap()
    };
    let limit = job().await.max_attempts;
    // The ERP does not post the memo (no batch cycle) for more checks than the job has
    // claims; every check is a wait, not a failure.
    for _ in 0..limit + 3 {
        refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    assert_eq!(memos(&env, refund_id), 1);
    assert_eq!(job().await.state, selvedge_store::JobState::Queued);
    assert!(
        env.exceptions("refund_failed").await.is_empty(),
        "within its deadline an open memo is nobody's problem yet"
    );
    // A crash now (the lease runs out) must not kill it either.
    env.store
        .claim(
            &[refund_kind("brand").as_str()],
            16,
            Duration::from_millis(1),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    env.erp.run_cycle();
    refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
    let rec = ledger(&env, refund_id).await.expect("ledger");
    assert_eq!(
        rec.state,
        RefundState::Posted,
        "posted once the ERP posts it"
    );
    assert_eq!(memos(&env, refund_id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_job_whose_worker_keeps_dying_becomes_a_refund_failed_exception() {
    let env = b2c(Options::default(), &fast_settings()).await;
    let (_order, refund_id, _sku) = refunded_order(&env).await;
    let kind = refund_kind("brand");
    let limit = env
        .store
        .job_by_key("brand", &kind, &format!("bigcommerce:{refund_id}"))
        .await
        .unwrap()
        .unwrap()
        .max_attempts;
    // Every claim ends with the worker gone (a 1 ms lease nobody finishes); the expiries
    // are rescued as they happen, except the last, left for the refunds flow to find.
    for attempt in 1..=limit {
        let claimed = env
            .store
            .claim(
                &[kind.as_str()],
                16,
                Duration::from_millis(1),
                time::OffsetDateTime::now_utc(),
            )
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1, "claim {attempt}");
        tokio::time::sleep(Duration::from_millis(5)).await;
        if attempt < limit {
            env.store
                .rescue_expired_leases(&[kind.as_str()], time::OffsetDateTime::now_utc())
                .await
                .unwrap();
        }
    }
    refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
    let filter = selvedge_store::ExceptionFilter {
        client: Some("brand".into()),
        kind: Some("refund_failed".into()),
        ..selvedge_store::ExceptionFilter::default()
    };
    let failed = env
        .store
        .list_exceptions(&filter, selvedge_store::Page::default())
        .await
        .unwrap();
    assert_eq!(failed.len(), 1, "the refund is filed, not lost");
    assert_eq!(failed[0].subject, refund_id.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memo_reference_already_taken_with_other_content_is_refund_failed_not_success() {
    use selvedge_bluecherry::model::{Cents, CreditMemoLineRequest, CreditMemoRequest};
    let env = b2c(Options::default(), &fast_settings()).await;
    let (id, refund_id, sku) = refunded_order(&env).await;
    let so = env
        .store
        .order(&selvedge_store::OrderKey::new(
            "brand",
            "bigcommerce",
            &id.to_string(),
        ))
        .await
        .unwrap()
        .and_then(|r| r.erp_order_no)
        .expect("injected");
    // A memo keyed by hand with our reference, for 5 units instead of 1.
    let squatter = env
        .ctx
        .erp
        .create_credit_memo(&CreditMemoRequest {
            external_ref: format!("brand:bc:rf:{refund_id}"),
            customer: "WEB001".into(),
            original_order: so,
            reason: Some("manual".into()),
            tax_amount: Cents(0),
            lines: vec![CreditMemoLineRequest {
                sku,
                qty: 5,
                unit_price: Cents(100),
                restock: false,
            }],
        })
        .await
        .unwrap();
    refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
    assert_eq!(memos(&env, refund_id), 1, "no second memo");
    let rec = ledger(&env, refund_id).await.expect("ledger");
    assert_eq!(rec.state, RefundState::Exception);
    assert_eq!(rec.memo_no, None, "the other memo is not recorded as ours");
    let filter = selvedge_store::ExceptionFilter {
        client: Some("brand".into()),
        kind: Some("refund_failed".into()),
        ..Default::default()
    };
    let raised = env
        .store
        .list_exceptions(&filter, selvedge_store::Page::default())
        .await
        .unwrap();
    assert_eq!(raised.len(), 1);
    assert!(
        raised[0].summary.contains(&squatter.memo_number)
            && raised[0].summary.contains("other content"),
        "{}",
        raised[0].summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memo_still_open_past_its_deadline_goes_to_finance_and_keeps_waiting() {
    let env = b2c(Options::default(), &fast_settings()).await;
    let (_order, refund_id, _sku) = refunded_order(&env).await;
    let overdue = RefundsSettings {
        memo_deadline_hours: 0,
        ..settings()
    };
    // The ERP enters the memo but runs no batch cycle: it stays open.
    refunds::run_and_drain(&env.ctx, &overdue).await.unwrap();
    let raised = env.exceptions("refund_failed").await;
    assert_eq!(raised.len(), 1, "one refund_failed for the open memo");
    assert!(
        raised[0].summary.contains("still not posted"),
        "{}",
        raised[0].summary
    );
    assert_eq!(raised[0].subject, refund_id.to_string());
    assert_eq!(
        ledger(&env, refund_id).await.map(|r| r.state),
        Some(RefundState::Posting),
        "still waiting for the ERP, not given up"
    );
    env.erp.run_cycle();
    tokio::time::sleep(Duration::from_millis(20)).await;
    refunds::run_and_drain(&env.ctx, &overdue).await.unwrap();
    assert_eq!(
        ledger(&env, refund_id).await.map(|r| r.state),
        Some(RefundState::Posted)
    );
    assert_eq!(memos(&env, refund_id), 1);
}
