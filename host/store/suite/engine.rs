//! What the job engine relies on: heartbeats fence like completions, the lease check before
//! an effect, due work across clients, and re-arming the same job.

use std::time::Duration;

use selvedge_store::{FailAction, JobState, NewJob};
use serde_json::json;

use crate::{at, fresh_store};

const LEASE: Duration = Duration::from_secs(60);

fn job(client: &str, kind: &str, key: &str) -> NewJob {
    NewJob {
        client: client.into(),
        kind: kind.into(),
        idempotency_key: key.into(),
        payload: json!({}),
        run_at: at(0),
        max_attempts: 3,
    }
}

#[tokio::test]
async fn a_heartbeat_keeps_a_slow_job_from_being_rescued_and_run_twice() {
    let (_dir, store) = fresh_store().await;
    store
        .enqueue(job("acme", "order.inject/acme", "1"), at(0))
        .await
        .expect("enqueue");
    let claimed = store
        .claim(&["order.inject/acme"], 1, LEASE, at(0))
        .await
        .expect("claim");
    let lease = claimed[0].lease();
    // Heartbeats at 40 s and 80 s: the lease now runs to 140 s.
    for t in [40, 80] {
        let held = store
            .heartbeat(&[lease], LEASE, at(t))
            .await
            .expect("heartbeat");
        assert_eq!(held, vec![lease]);
    }
    let rescued = store
        .rescue_expired_leases(&["order.inject/acme"], at(120))
        .await
        .expect("rescue");
    assert!(rescued.is_empty(), "a heartbeating job is not rescued");
    assert!(store.lease_held(lease, at(120)).await.expect("held"));
    let again = store
        .claim(&["order.inject/acme"], 1, LEASE, at(120))
        .await
        .expect("claim");
    assert!(again.is_empty(), "nobody else gets the job while it runs");
    store
        .complete(lease, json!({}), at(121))
        .await
        .expect("complete");
}

#[tokio::test]
async fn a_worker_that_stops_heartbeating_is_rescued_exactly_once_and_its_lease_is_dead() {
    let (_dir, store) = fresh_store().await;
    store
        .enqueue(job("acme", "order.inject/acme", "1"), at(0))
        .await
        .expect("enqueue");
    let first = store
        .claim(&["order.inject/acme"], 1, LEASE, at(0))
        .await
        .expect("claim")[0]
        .lease();
    let rescued = store
        .rescue_expired_leases(&["order.inject/acme"], at(61))
        .await
        .expect("rescue");
    assert_eq!(rescued.len(), 1);
    let twice = store
        .rescue_expired_leases(&["order.inject/acme"], at(62))
        .await
        .expect("rescue");
    assert!(twice.is_empty(), "rescued once");
    let second = store
        .claim(&["order.inject/acme"], 1, LEASE, at(62))
        .await
        .expect("claim")[0]
        .lease();
    // The old worker wakes up: its heartbeat and its lease check both say no.
    assert!(
        store
            .heartbeat(&[first], LEASE, at(63))
            .await
            .expect("heartbeat")
            .is_empty()
    );
    assert!(!store.lease_held(first, at(63)).await.expect("held"));
    assert!(store.lease_held(second, at(63)).await.expect("held"));
    // An expired lease is not held either, even before a rescue ran.
    assert!(!store.lease_held(second, at(200)).await.expect("held"));
}

#[tokio::test]
async fn due_work_lists_each_clients_ready_jobs_by_kind_family() {
    let (_dir, store) = fresh_store().await;
    for (client, n) in [("a", 3), ("b", 1)] {
        for i in 0..n {
            store
                .enqueue(
                    job(client, &format!("order.inject/{client}"), &i.to_string()),
                    at(0),
                )
                .await
                .expect("enqueue");
        }
    }
    let mut later = job("c", "order.inject/c", "later");
    later.run_at = at(100);
    store.enqueue(later, at(0)).await.expect("enqueue");
    store
        .enqueue(job("a", "refund.post/a", "r1"), at(0))
        .await
        .expect("enqueue");
    // A kind that merely starts with the family's letters is not in it.
    store
        .enqueue(job("a", "order.injectx/a", "x"), at(0))
        .await
        .expect("enqueue");
    let mut due = store
        .due_work(&["order.inject"], at(10))
        .await
        .expect("due");
    due.sort_by(|x, y| x.client.cmp(&y.client));
    let got: Vec<(&str, &str, u64)> = due
        .iter()
        .map(|d| (d.client.as_str(), d.kind.as_str(), d.ready))
        .collect();
    assert_eq!(
        got,
        vec![("a", "order.inject/a", 3), ("b", "order.inject/b", 1)]
    );
    let both = store
        .due_work(&["order.inject", "refund.post"], at(100))
        .await
        .expect("due");
    assert_eq!(both.len(), 4, "{both:?}");
}

#[tokio::test]
async fn rearming_a_dead_job_queues_the_same_job_with_fresh_attempts() {
    let (_dir, store) = fresh_store().await;
    let original = store
        .enqueue(job("acme", "order.inject/acme", "7"), at(0))
        .await
        .expect("enqueue")
        .job;
    let claimed = store
        .claim(&["order.inject/acme"], 1, LEASE, at(0))
        .await
        .expect("claim");
    store
        .fail(claimed[0].lease(), "gave up", FailAction::GiveUp, at(1))
        .await
        .expect("give up");
    let rearmed = store
        .rearm(
            original.id,
            at(5),
            3,
            Some(json!({ "why": "status" })),
            at(5),
        )
        .await
        .expect("rearm");
    assert_eq!(rearmed.id, original.id, "the same job, one idempotency key");
    assert_eq!(rearmed.state, JobState::Queued);
    assert_eq!(rearmed.payload, json!({ "why": "status" }));
    assert_eq!(
        rearmed.max_attempts,
        1 + 3,
        "three more attempts than it used"
    );
    let claimed = store
        .claim(&["order.inject/acme"], 1, LEASE, at(5))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    // A running job stays its worker's: re-arming leaves the run alone and keeps the new
    // payload for the one more run its completion queues.
    let running = store
        .rearm(original.id, at(6), 3, Some(json!({ "new": true })), at(6))
        .await
        .expect("rearm");
    assert_eq!(running.state, JobState::Running);
    assert_eq!(running.attempts, 2);
    assert_eq!(
        running.payload,
        json!({ "new": true }),
        "the next run reads what re-armed it"
    );
}

#[tokio::test]
async fn kind_stats_count_waiting_and_running_jobs_and_the_oldest_due_wait() {
    let (_dir, store) = fresh_store().await;
    for key in ["1", "2", "3"] {
        store
            .enqueue(job("acme", "order.inject/acme", key), at(0))
            .await
            .expect("enqueue");
    }
    store
        .claim(&["order.inject/acme"], 1, LEASE, at(10))
        .await
        .expect("claim");
    let stats = store.job_kind_stats(at(30)).await.expect("stats");
    assert_eq!(stats.len(), 1);
    let s = &stats[0];
    assert_eq!((s.queued, s.running), (2, 1));
    assert!((s.oldest_due_seconds - 30.0).abs() < 0.01, "{s:?}");
    assert_eq!(s.max_attempts_used, 1);
}
