//! Concurrent writes: each keeps its own outcome (on SQLite they share group commits).

use selvedge_store::{NewJob, OrderKey, OrderState, StoreError};
use serde_json::json;

use crate::{at, fresh_store};

fn job(key: &str) -> NewJob {
    NewJob {
        client: "acme".into(),
        kind: "order.inject".into(),
        idempotency_key: key.into(),
        payload: json!({ "order": key }),
        run_at: at(0),
        max_attempts: 5,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_write_rolls_back_alone_while_its_group_commits() {
    let (fixture, store) = fresh_store().await;
    // 200 orders received; then, all at once, half move on legally and half are cancelled
    // and then refused a move out of `cancelled` (a final state).
    for i in 0..200 {
        let key = OrderKey::new("acme", "bigcommerce", &i.to_string());
        store
            .record_order_received(&key, "h", at(0))
            .await
            .expect("received");
    }
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let key = OrderKey::new("acme", "bigcommerce", &i.to_string());
            if i % 2 == 0 {
                store
                    .transition_order(&key, OrderState::Injecting, None, at(1))
                    .await
            } else {
                store
                    .transition_order(&key, OrderState::Cancelled, Some("c"), at(1))
                    .await
                    .and(
                        store
                            .transition_order(&key, OrderState::Received, None, at(2))
                            .await,
                    )
            }
        }));
    }
    let mut refused = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task") {
            Ok(record) => {
                assert_eq!(i % 2, 0, "order {i} should have been refused");
                assert_eq!(record.state, OrderState::Injecting);
                assert_eq!(record.attempts, 1);
            }
            Err(StoreError::InvalidTransition { .. }) => {
                assert_eq!(i % 2, 1, "order {i} should have succeeded");
                refused += 1;
            }
            Err(e) => panic!("order {i}: unexpected {e}"),
        }
    }
    assert_eq!(refused, 100);
    // A second handle on the database: what callers were told is what was committed.
    store.close().await.expect("close");
    let reopened = fixture.open_again().await;
    for i in 0..200 {
        let key = OrderKey::new("acme", "bigcommerce", &i.to_string());
        let record = reopened.order(&key).await.expect("get").expect("exists");
        let history = reopened.order_history(&key).await.expect("history");
        if i % 2 == 0 {
            assert_eq!(record.state, OrderState::Injecting, "order {i}");
            assert_eq!(history.len(), 2, "order {i}: received, injecting");
        } else {
            // The legal cancel committed; the refused move left no history row behind.
            assert_eq!(record.state, OrderState::Cancelled, "order {i}");
            assert_eq!(history.len(), 2, "order {i}: received, cancelled");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_enqueues_are_each_committed_once() {
    let (_fixture, store) = fresh_store().await;
    let mut tasks = Vec::new();
    // 1,000 enqueues from 1,000 tasks, every key twice: 500 jobs, each created exactly once.
    for i in 0..1000 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.enqueue(job(&format!("o{}", i % 500)), at(0)).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        if task.await.expect("task").expect("enqueue").created {
            created += 1;
        }
    }
    assert_eq!(created, 500);
    let claimed = store
        .claim(
            &["order.inject"],
            10_000,
            std::time::Duration::from_secs(60),
            at(1),
        )
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 500);
}
