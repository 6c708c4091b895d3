use selvedge_store::refunds::NewRefund;
use selvedge_store::{ErpSnapshot, OrderKey, OrderState, Page, RefundState, SoldUnits, StoreError};

use crate::{at, fresh_store};

const SNAP: ErpSnapshot = ErpSnapshot {
    value_minor: 12_345,
    qty: 3,
};

#[tokio::test]
async fn order_ledger_refuses_a_second_different_erp_number() {
    let (_dir, store) = fresh_store().await;
    let key = OrderKey::new("acme", "bigcommerce", "100");
    store
        .record_order_received(&key, "h1", at(0))
        .await
        .expect("received");
    store
        .transition_order(&key, OrderState::Injecting, None, at(1))
        .await
        .expect("injecting");
    let injected = store
        .record_injected(&key, "SO-1", SNAP, &[], at(2))
        .await
        .expect("injected");
    assert_eq!(injected.state, OrderState::Injected);
    assert_eq!(injected.erp_snapshot, Some(SNAP));

    let again = store
        .record_injected(&key, "SO-1", SNAP, &[], at(3))
        .await
        .expect("idempotent");
    assert_eq!(again, injected, "same number is a no-op");

    let err = store
        .record_injected(&key, "SO-2", SNAP, &[], at(4))
        .await
        .expect_err("a different ERP number must be refused");
    let message = err.to_string();
    assert!(matches!(err, StoreError::ConflictingErpNumber { .. }));
    assert!(
        message.contains("SO-1") && message.contains("SO-2"),
        "{message}"
    );
    let stored = store.order(&key).await.expect("get").expect("exists");
    assert_eq!(stored.erp_order_no.as_deref(), Some("SO-1"));
}

#[tokio::test]
async fn order_transitions_are_recorded_and_attempts_count_injections() {
    let (_dir, store) = fresh_store().await;
    let key = OrderKey::new("acme", "bigcommerce", "200");
    store
        .record_order_received(&key, "h1", at(0))
        .await
        .expect("received");
    let dup = store
        .record_order_received(&key, "h2", at(1))
        .await
        .expect("redelivery");
    assert_eq!(dup.payload_hash, "h1", "re-delivery keeps the first record");

    for (to, note) in [
        (OrderState::Validating, None),
        (OrderState::Injecting, None),
        (OrderState::Exception, Some("ERP timeout")),
        (OrderState::Injecting, None),
    ] {
        store
            .transition_order(&key, to, note, at(2))
            .await
            .expect("transition");
    }
    let record = store.order(&key).await.expect("get").expect("exists");
    assert_eq!(record.attempts, 2);
    assert_eq!(record.last_error.as_deref(), Some("ERP timeout"));

    let history = store.order_history(&key).await.expect("history");
    let states: Vec<_> = history.iter().map(|t| t.to).collect();
    use OrderState::*;
    assert_eq!(
        states,
        [Received, Validating, Injecting, Exception, Injecting]
    );
    assert_eq!(history[0].from, None);
    assert_eq!(history[3].note.as_deref(), Some("ERP timeout"));

    let injecting = store
        .orders_in_state("acme", Injecting, Page::default())
        .await
        .expect("list");
    assert_eq!(injecting.len(), 1);

    store
        .transition_order(&key, Cancelled, None, at(3))
        .await
        .expect("cancel");
    let err = store
        .transition_order(&key, Validating, None, at(4))
        .await
        .expect_err("cancelled is final");
    assert!(matches!(err, StoreError::InvalidTransition { .. }));
    assert!(
        store
            .record_injected(&key, "SO-9", SNAP, &[], at(5))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn refund_ledger_is_idempotent_and_refuses_a_different_memo_number() {
    let (_dir, store) = fresh_store().await;
    let refund = NewRefund {
        client: "acme".into(),
        refund_id: "rf-1".into(),
        storefront: "bigcommerce".into(),
        storefront_order_id: Some("100".into()),
        payload_hash: "h".into(),
    };
    store
        .record_refund_received(&refund, at(0))
        .await
        .expect("received");
    store
        .record_refund_received(&refund, at(1))
        .await
        .expect("received again");
    store
        .transition_refund("acme", "rf-1", RefundState::Posting, None, at(2))
        .await
        .expect("posting");
    let posted = store
        .record_memo_posted("acme", "rf-1", "CM-1", at(3))
        .await
        .expect("posted");
    assert_eq!(posted.state, RefundState::Posted);
    assert_eq!(posted.attempts, 1);
    assert_eq!(
        store
            .record_memo_posted("acme", "rf-1", "CM-1", at(4))
            .await
            .expect("repeat"),
        posted
    );
    let err = store
        .record_memo_posted("acme", "rf-1", "CM-2", at(5))
        .await
        .expect_err("different memo number");
    assert!(err.to_string().contains("CM-1") && err.to_string().contains("CM-2"));
    let history = store.refund_history("acme", "rf-1").await.expect("history");
    assert_eq!(
        history.len(),
        3,
        "received, posting, posted: the repeat adds nothing"
    );
}

#[tokio::test]
async fn units_sold_are_counted_once_per_injected_order_and_windowed_by_day() {
    let (_dir, store) = fresh_store().await;
    let sold = |sku: &str, units: i64| SoldUnits {
        sku: sku.into(),
        location: "NJ01".into(),
        units,
    };
    const DAY: i64 = 86_400;
    // Order 1 eight days ago, orders 2 and 3 today; order 2 recorded twice (a retry).
    for (id, when, lines) in [
        ("1", at(-8 * DAY), vec![sold("A", 5)]),
        ("2", at(0), vec![sold("A", 2), sold("B", 1)]),
        ("2", at(1), vec![sold("A", 2), sold("B", 1)]),
        ("3", at(2), vec![sold("A", 3)]),
    ] {
        let key = OrderKey::new("acme", "bigcommerce", id);
        store
            .record_order_received(&key, "h", when)
            .await
            .expect("received");
        store
            .record_injected(&key, &format!("SO-{id}"), SNAP, &lines, when)
            .await
            .expect("injected");
    }
    let week = store
        .units_sold_since("acme", at(-6 * DAY))
        .await
        .expect("read");
    assert_eq!(
        week,
        vec![sold("A", 5), sold("B", 1)],
        "order 2 counted once, order 1 too old"
    );
    let all = store
        .units_sold_since("acme", at(-30 * DAY))
        .await
        .expect("read");
    assert_eq!(all, vec![sold("A", 10), sold("B", 1)]);
    assert!(
        store
            .units_sold_since("other", at(-30 * DAY))
            .await
            .expect("read")
            .is_empty()
    );
}

/// An injection's two writes: the first records an order the ledger has never seen and
/// moves it to `injecting` under the job's lease; the last records the ERP number and
/// completes the job together. A lease lost in between refuses the start and never undoes
/// the record of an order the ERP holds.
#[tokio::test]
async fn an_injection_starts_and_finishes_in_one_write_each_fenced_by_the_lease() {
    use selvedge_store::{JobState, NewJob};
    use serde_json::json;
    const LEASE: std::time::Duration = std::time::Duration::from_secs(60);
    let (_dir, store) = fresh_store().await;
    let job_for = |id: &str| NewJob {
        client: "acme".into(),
        kind: "order.inject".into(),
        idempotency_key: id.into(),
        payload: json!({ "order": id }),
        run_at: at(0),
        max_attempts: 5,
    };
    store.enqueue(job_for("300"), at(0)).await.expect("enqueue");
    let job = store
        .claim(&["order.inject"], 1, LEASE, at(1))
        .await
        .expect("claim")
        .remove(0);
    let key = OrderKey::new("acme", "bigcommerce", "300");

    let started = store
        .start_injection(&key, "h1", job.lease(), "REF-300", at(2))
        .await
        .expect("start");
    assert_eq!(started.state, OrderState::Injecting);
    assert_eq!((started.attempts, started.payload_hash.as_str()), (1, "h1"));
    assert_eq!(started.erp_ref.as_deref(), Some("REF-300"));
    let states: Vec<_> = store
        .order_history(&key)
        .await
        .expect("history")
        .iter()
        .map(|t| t.to)
        .collect();
    assert_eq!(states, [OrderState::Received, OrderState::Injecting]);

    let sold = [SoldUnits {
        sku: "TEE-S".into(),
        location: "WH1".into(),
        units: 2,
    }];
    let done = json!({ "erp_order_no": "SO-300" });
    let finished = store
        .finish_injection(
            &key,
            "SO-300",
            SNAP,
            &sold,
            job.lease(),
            done.clone(),
            at(3),
        )
        .await
        .expect("finish");
    assert!(finished.job_completed);
    assert_eq!(finished.record.state, OrderState::Injected);
    assert_eq!(finished.record.erp_order_no.as_deref(), Some("SO-300"));
    let stored_job = store.job(job.id).await.expect("job").expect("exists");
    assert_eq!(stored_job.state, JobState::Done);
    assert_eq!(stored_job.result, Some(done));
    let counted = store.units_sold_since("acme", at(0)).await.expect("sold");
    assert_eq!(counted.iter().map(|s| s.units).sum::<i64>(), 2);

    // A second order whose lease is lost between the claim and the start: refused, and
    // the ledger is left as it was (not even `received`).
    store.enqueue(job_for("301"), at(0)).await.expect("enqueue");
    let stale = store
        .claim(&["order.inject"], 1, LEASE, at(4))
        .await
        .expect("claim")
        .remove(0);
    store
        .rescue_expired_leases(&["order.inject"], at(4 + 61))
        .await
        .expect("rescue");
    let fresh = store
        .claim(&["order.inject"], 1, LEASE, at(66))
        .await
        .expect("claim again")
        .remove(0);
    let key = OrderKey::new("acme", "bigcommerce", "301");
    let err = store
        .start_injection(&key, "h1", stale.lease(), "REF-301", at(67))
        .await
        .expect_err("a lost lease cannot start an injection");
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err}");
    assert_eq!(store.order(&key).await.expect("get"), None);

    // The new claim starts it; the stale worker's finish still records what the ERP holds,
    // but leaves the job to its owner.
    store
        .start_injection(&key, "h1", fresh.lease(), "REF-301", at(68))
        .await
        .expect("start");
    let finished = store
        .finish_injection(&key, "SO-301", SNAP, &[], stale.lease(), json!({}), at(69))
        .await
        .expect("the record stands");
    assert!(!finished.job_completed);
    assert_eq!(finished.record.state, OrderState::Injected);
    let owned = store.job(fresh.id).await.expect("job").expect("exists");
    assert_eq!(owned.state, JobState::Running);
}
