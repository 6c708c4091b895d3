//! Refunds become exactly one credit memo, complete only once it is posted, and restock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use selvedge::flows::orders::{self, order_kind, refund_kind};
use selvedge::flows::refunds::{self, RefundsSettings};
use selvedge_bigcommerce::Money;
use selvedge_bigcommerce::model::{NewRefund, NewRefundItem, NewRefundPayment};
use selvedge_connector_kit::RetryPolicy;
use selvedge_store::{RefundLedger, RefundRecord, RefundState};
use support::Harness;
use support::orders::*;
use support::probe_erp::ProbeErp;

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
    orders::run(&env.ctx, &fast_settings()).await.unwrap();
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
    let external_ref = format!("BC-RF-{refund_id}");
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
    let options = Options {
        erp_retry: RetryPolicy::none(),
        ..Options::default()
    };
    let mut env = b2c(options, &fast_settings()).await;
    let (_, refund_id, _) = refunded_order(&env).await;
    let probe = ProbeErp::new(env.ctx.erp.clone(), &env.erp.base_url());
    probe.memo_failures.store(3, Ordering::SeqCst);
    env.ctx.erp = probe.clone();
    let mut posted = false;
    for _ in 0..60 {
        refunds::run(&env.ctx, &settings()).await.unwrap();
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
    refunds::run(&env.ctx, &settings()).await.unwrap();
    let rec = ledger(&env, refund_id).await.expect("ledger record");
    assert_eq!(
        rec.state,
        RefundState::Posting,
        "the memo is open, not posted"
    );
    assert_eq!(memos(&env, refund_id), 1);
    env.erp.run_cycle();
    tokio::time::sleep(Duration::from_millis(20)).await;
    refunds::run(&env.ctx, &settings()).await.unwrap();
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
    refunds::run(&env.ctx, &settings()).await.unwrap();
    assert_eq!(memos(&env, refund_id), 1);
}
