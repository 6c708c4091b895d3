//! Sparklayer returns become credit memos with restock, with the guarantees of BigCommerce
//! refunds: the host's reference, exactly one memo per return, complete only once posted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::time::Duration;

use selvedge::flows::orders;
use selvedge::flows::refunds::{self, RefundsSettings};
use selvedge_bluecherry::model::{CreditMemo, MemoStatus};
use selvedge_sparklayer::sandbox::Checkout;
use selvedge_store::{OrderKey, RefundState};
use support::Harness;
use support::b2b::add_return;
use support::orders::*;

fn settings() -> RefundsSettings {
    RefundsSettings {
        retry_base_ms: 10,
        retry_max_ms: 40,
        memo_check_ms: 10,
        ..RefundsSettings::default()
    }
}

/// The ERP's credit memos for this purchase's returns.
fn memos(env: &Harness, purchase_id: &str) -> Vec<CreditMemo> {
    let prefix = format!("wholesaler:sl:rf:{purchase_id}:");
    env.erp.with_state(|s| {
        s.memos
            .iter()
            .filter(|m| m.external_ref.starts_with(&prefix))
            .cloned()
            .collect()
    })
}

fn on_hand(env: &Harness, warehouse: &str, sku: &str) -> i64 {
    env.erp.with_state(|s| {
        s.stock
            .get(&(warehouse.to_string(), sku.to_string()))
            .map_or(0, |b| b.total_qoh)
    })
}

/// Polls and works refunds, letting the ERP post memos between passes, until every memo of
/// the purchase is posted.
async fn settle(env: &Harness, purchase_id: &str, expected: usize) {
    for _ in 0..50 {
        refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
        let ours = memos(env, purchase_id);
        if ours.len() == expected && ours.iter().all(|m| m.status == MemoStatus::Posted) {
            // One more pass records the posting.
            refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
            return;
        }
        env.erp.run_cycle();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "memos of {purchase_id} not posted: {:?}",
        memos(env, purchase_id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sparklayer_return_becomes_exactly_one_posted_memo_that_restocks() {
    let env = b2b(Options::default()).await;
    let (a, b) = (env.skus[0].clone(), env.skus[1].clone());
    let id = env.sl_checkout(Checkout {
        po_number: Some("PO-RET-1".into()),
        currency_code: None,
        ..b2b_checkout("WH-NJ", &[(&a, 5), (&b, 2)])
    });
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    let key = OrderKey::new("wholesaler", "sparklayer", &id);
    let order = env.store.order(&key).await.unwrap().expect("ledger record");
    let erp_order = order.erp_order_no.expect("injected");
    let (warehouse, unit_a, unit_b) = env.erp.with_state(|s| {
        let so = &s
            .orders
            .iter()
            .find(|o| o.order.order_number == erp_order)
            .expect("ERP order")
            .order;
        let unit = |sku: &str| {
            so.lines
                .iter()
                .find(|l| l.sku == sku)
                .map(|l| l.unit_price.0)
                .expect("line")
        };
        (so.warehouse.clone(), unit(&a), unit(&b))
    });
    let before = (on_hand(&env, &warehouse, &a), on_hand(&env, &warehouse, &b));

    add_return(env.sl_client(), &id, &[(&a, 2), (&b, 1)]).await;
    settle(&env, &id, 1).await;
    // The same lines returned again later: a second return, a second memo.
    add_return(env.sl_client(), &id, &[(&a, 1)]).await;
    settle(&env, &id, 2).await;
    // Nothing is doubled by further runs.
    for _ in 0..3 {
        refunds::run_and_drain(&env.ctx, &settings()).await.unwrap();
    }

    let mut ours = memos(&env, &id);
    ours.sort_by(|x, y| x.external_ref.cmp(&y.external_ref));
    assert_eq!(ours.len(), 2, "one memo per return: {ours:?}");
    assert!(ours[0].external_ref.contains(":ret1:"), "{ours:?}");
    assert!(ours[1].external_ref.contains(":ret2:"), "{ours:?}");
    for memo in &ours {
        assert_eq!(memo.original_order, erp_order);
        assert_eq!(memo.status, MemoStatus::Posted);
        assert!(
            memo.lines.iter().all(|l| l.restock),
            "wholesale returns restock"
        );
    }
    let lines = |m: &CreditMemo| -> Vec<(String, i64, i64)> {
        m.lines
            .iter()
            .map(|l| (l.sku.clone(), l.qty, l.unit_price.0))
            .collect()
    };
    assert_eq!(
        lines(&ours[0]),
        vec![(a.clone(), 2, unit_a), (b.clone(), 1, unit_b)]
    );
    assert_eq!(lines(&ours[1]), vec![(a.clone(), 1, unit_a)]);
    assert_eq!(ours[0].total.0, 2 * unit_a + unit_b);

    // Each returned unit is back on hand once.
    assert_eq!(on_hand(&env, &warehouse, &a), before.0 + 3);
    assert_eq!(on_hand(&env, &warehouse, &b), before.1 + 1);

    // The ledger holds both, posted, under the host's references.
    for memo in &ours {
        let refund_id = memo
            .external_ref
            .strip_prefix("wholesaler:sl:rf:")
            .expect("host reference");
        let rec = env
            .store
            .refund("wholesaler", refund_id)
            .await
            .unwrap()
            .expect("ledger record");
        assert_eq!(rec.state, RefundState::Posted);
        assert_eq!(rec.memo_no.as_deref(), Some(memo.memo_number.as_str()));
        assert_eq!(rec.erp_ref.as_deref(), Some(memo.external_ref.as_str()));
    }
}
