use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use selvedge_store::{FailAction, JobState, NewJob, Store, StoreError};
use serde_json::json;

use crate::{at, fresh_store};

const LEASE: Duration = Duration::from_secs(60);

fn order_job(key: &str) -> NewJob {
    NewJob {
        client: "acme".into(),
        kind: "order.inject".into(),
        idempotency_key: key.into(),
        payload: json!({ "order": key }),
        run_at: at(0),
        max_attempts: 5,
    }
}

async fn claim_one(store: &Arc<dyn Store>, now: i64) -> Option<selvedge_store::Job> {
    let mut jobs = store
        .claim(&["order.inject"], 1, LEASE, at(now))
        .await
        .expect("claim");
    assert!(jobs.len() <= 1);
    jobs.pop()
}

#[tokio::test]
async fn duplicate_enqueue_returns_the_existing_job() {
    let (_dir, store) = fresh_store().await;
    let first = store
        .enqueue(order_job("bc-100"), at(0))
        .await
        .expect("enqueue");
    assert!(first.created);

    let mut again = order_job("bc-100");
    again.payload = json!({ "order": "bc-100", "redelivered": true });
    let second = store.enqueue(again, at(5)).await.expect("enqueue again");
    assert!(!second.created, "duplicate webhook is dropped");
    assert_eq!(second.job, first.job, "the first job is returned unchanged");
    assert_eq!(
        store
            .queue_depth("acme", "order.inject")
            .await
            .expect("depth"),
        1
    );

    // Same key for another client or kind is a different job.
    let mut other_client = order_job("bc-100");
    other_client.client = "globex".into();
    assert!(
        store
            .enqueue(other_client, at(0))
            .await
            .expect("enqueue")
            .created
    );
}

#[tokio::test]
async fn attempts_are_counted_at_claim_time_even_if_the_worker_dies() {
    let (_dir, store) = fresh_store().await;
    store
        .enqueue(order_job("bc-1"), at(0))
        .await
        .expect("enqueue");

    let claimed = claim_one(&store, 0).await.expect("claimable");
    assert_eq!(claimed.state, JobState::Running);
    assert_eq!(
        claimed.attempts, 1,
        "counted when claimed, not when finished"
    );
    assert_eq!(claimed.lease_until, Some(at(60)));

    // The worker dies; the lease expires; the next claim is attempt 2.
    store
        .rescue_expired_leases(&["order.inject"], at(61))
        .await
        .expect("rescue");
    let again = claim_one(&store, 62).await.expect("claimable again");
    assert_eq!(again.id, claimed.id);
    assert_eq!(again.attempts, 2);
}

#[tokio::test]
async fn expired_lease_is_rescued_back_to_the_queue() {
    let (_dir, store) = fresh_store().await;
    store
        .enqueue(order_job("bc-1"), at(0))
        .await
        .expect("enqueue");
    let job = claim_one(&store, 0).await.expect("claimable");
    assert!(
        claim_one(&store, 1).await.is_none(),
        "running job is not claimable"
    );

    assert!(
        store
            .rescue_expired_leases(&["order.inject"], at(30))
            .await
            .expect("rescue")
            .is_empty(),
        "a live lease is left alone"
    );
    let rescued = store
        .rescue_expired_leases(&["order.inject"], at(61))
        .await
        .expect("rescue");
    assert_eq!(rescued.len(), 1);
    assert_eq!(rescued[0].id, job.id);
    assert_eq!(rescued[0].state, JobState::Queued);
    assert_eq!(rescued[0].lease_until, None);
    assert!(
        claim_one(&store, 61).await.is_some(),
        "rescued job is claimable"
    );
}

#[tokio::test]
async fn completion_that_raced_a_rescue_is_never_undone_or_doubled() {
    let (_dir, store) = fresh_store().await;

    // Completion commits first: the rescue must not resurrect the job.
    store.enqueue(order_job("a"), at(0)).await.expect("enqueue");
    let a = claim_one(&store, 0).await.expect("claim a");
    store
        .complete(a.lease(), json!({"erp": "A1"}), at(70))
        .await
        .expect("complete a");
    assert!(
        store
            .rescue_expired_leases(&["order.inject"], at(70))
            .await
            .expect("rescue")
            .is_empty()
    );
    assert_eq!(
        store.job(a.id).await.expect("get").expect("exists").state,
        JobState::Done
    );

    // Rescue commits first, nobody re-claimed: the late completion is accepted once.
    store.enqueue(order_job("b"), at(0)).await.expect("enqueue");
    let b = claim_one(&store, 0).await.expect("claim b");
    store
        .rescue_expired_leases(&["order.inject"], at(61))
        .await
        .expect("rescue");
    let done = store
        .complete(b.lease(), json!({"erp": "B1"}), at(62))
        .await
        .expect("complete b");
    assert_eq!(done.state, JobState::Done);
    assert!(
        claim_one(&store, 63).await.is_none(),
        "completed job is not run again"
    );
    let repeat = store
        .complete(b.lease(), json!({"erp": "B1"}), at(64))
        .await
        .expect("repeat");
    assert_eq!(
        repeat.result,
        Some(json!({"erp": "B1"})),
        "repeat is a no-op"
    );

    // Rescue, then another worker claims: the stale lease loses, the new holder wins.
    store.enqueue(order_job("c"), at(0)).await.expect("enqueue");
    let stale = claim_one(&store, 100).await.expect("claim c");
    store
        .rescue_expired_leases(&["order.inject"], at(161))
        .await
        .expect("rescue");
    let fresh = claim_one(&store, 162).await.expect("re-claim c");
    assert_eq!(fresh.attempts, stale.attempts + 1);
    let err = store
        .complete(stale.lease(), json!({}), at(163))
        .await
        .expect_err("stale lease must lose");
    assert!(
        matches!(
            err,
            StoreError::LeaseLost {
                attempt: 1,
                current_attempt: 2,
                ..
            }
        ),
        "{err}"
    );
    let err = store
        .fail(stale.lease(), "late", FailAction::GiveUp, at(163))
        .await
        .expect_err("stale lease cannot fail the job either");
    assert!(matches!(err, StoreError::LeaseLost { .. }));
    store
        .complete(fresh.lease(), json!({"erp": "C1"}), at(164))
        .await
        .expect("complete c");
}

#[tokio::test]
async fn give_up_sends_the_job_to_dead_letter_and_out_of_the_queue() {
    let (_dir, store) = fresh_store().await;
    store
        .enqueue(order_job("bc-9"), at(0))
        .await
        .expect("enqueue");
    let job = claim_one(&store, 0).await.expect("claim");

    let retried = store
        .fail(
            job.lease(),
            "ERP timeout",
            FailAction::RetryAt(at(30)),
            at(1),
        )
        .await
        .expect("fail with retry");
    assert_eq!(retried.state, JobState::Queued);
    assert!(claim_one(&store, 29).await.is_none(), "not before retry_at");
    let job = claim_one(&store, 30).await.expect("claimable at retry_at");
    assert_eq!(job.attempts, 2);

    let dead = store
        .fail(job.lease(), "invalid SKU", FailAction::GiveUp, at(31))
        .await
        .expect("give up");
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.last_error.as_deref(), Some("invalid SKU"));
    assert!(
        claim_one(&store, 10_000).await.is_none(),
        "dead jobs are never claimed"
    );
    assert_eq!(
        store
            .queue_depth("acme", "order.inject")
            .await
            .expect("depth"),
        0
    );
}

#[tokio::test]
async fn job_whose_worker_keeps_crashing_goes_dead_after_max_attempts() {
    let (_dir, store) = fresh_store().await;
    let mut poison = order_job("poison");
    poison.max_attempts = 2;
    store.enqueue(poison, at(0)).await.expect("enqueue");
    claim_one(&store, 0).await.expect("attempt 1");
    let rescued = store
        .rescue_expired_leases(&["order.inject"], at(61))
        .await
        .expect("rescue");
    assert_eq!(rescued[0].state, JobState::Queued);
    claim_one(&store, 61).await.expect("attempt 2");
    let rescued = store
        .rescue_expired_leases(&["order.inject"], at(122))
        .await
        .expect("rescue");
    assert_eq!(rescued[0].state, JobState::Dead);
    assert_eq!(rescued[0].attempts, 2);
}

#[tokio::test]
async fn claim_takes_only_due_jobs_of_the_requested_kinds() {
    let (_dir, store) = fresh_store().await;
    let mut later = order_job("later");
    later.run_at = at(100);
    store.enqueue(later, at(0)).await.expect("enqueue");
    let mut refund = order_job("r1");
    refund.kind = "refund.post".into();
    store.enqueue(refund, at(0)).await.expect("enqueue");

    assert!(claim_one(&store, 0).await.is_none());
    assert!(
        store
            .claim(&[], 10, LEASE, at(1000))
            .await
            .expect("claim")
            .is_empty()
    );
    let refunds = store
        .claim(&["refund.post"], 10, LEASE, at(0))
        .await
        .expect("claim");
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].kind, "refund.post");
    assert_eq!(
        claim_one(&store, 100).await.expect("due").idempotency_key,
        "later"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_never_get_the_same_job() {
    let (_dir, store) = fresh_store().await;
    const JOBS: usize = 300;
    for i in 0..JOBS {
        store
            .enqueue(order_job(&format!("k{i}")), at(0))
            .await
            .expect("enqueue");
    }
    let mut workers = Vec::new();
    for _ in 0..8 {
        let store = Arc::clone(&store);
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let jobs = store
                    .claim(&["order.inject"], 3, LEASE, at(1))
                    .await
                    .expect("claim");
                if jobs.is_empty() {
                    break mine;
                }
                for job in jobs {
                    store
                        .complete(job.lease(), json!(null), at(2))
                        .await
                        .expect("complete");
                    mine.push(job.id);
                }
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for worker in workers {
        for id in worker.await.expect("worker") {
            total += 1;
            assert!(seen.insert(id), "job {id} handed to two claimers");
        }
    }
    assert_eq!(total, JOBS);
    assert_eq!(
        store
            .queue_depth("acme", "order.inject")
            .await
            .expect("depth"),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_database_write_concurrently_without_busy_errors() {
    // Two handles on one database behave like two processes (or two hosts): on SQLite the
    // file lock is contended and busy_timeout plus BEGIN IMMEDIATE must keep SQLITE_BUSY
    // from callers; on PostgreSQL two pools claim from one table.
    let (fixture, first) = fresh_store().await;
    let second = fixture.open_again().await;
    let mut tasks = Vec::new();
    for (n, store) in [first, second].into_iter().enumerate() {
        for t in 0..3 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                for i in 0..40 {
                    let key = format!("s{n}-t{t}-{i}");
                    store
                        .enqueue(order_job(&key), at(0))
                        .await
                        .expect("enqueue");
                    for job in store
                        .claim(&["order.inject"], 2, LEASE, at(1))
                        .await
                        .expect("claim")
                    {
                        store
                            .complete(job.lease(), json!(null), at(2))
                            .await
                            .expect("complete");
                    }
                }
            }));
        }
    }
    for task in tasks {
        task.await.expect("task");
    }
    let store = fixture.open_again().await;
    let rest = store
        .claim(&["order.inject"], 1000, LEASE, at(3))
        .await
        .expect("claim");
    let done = fixture
        .count("SELECT COUNT(*) FROM jobs WHERE state = 'done'")
        .await;
    assert_eq!(done as usize + rest.len(), 240);
}

#[tokio::test]
async fn rescue_touches_only_the_kinds_asked_for() {
    let (_dir, store) = fresh_store().await;
    let mut refund = order_job("r1");
    refund.kind = "refund.post".into();
    store.enqueue(order_job("o1"), at(0)).await.expect("order");
    store.enqueue(refund, at(0)).await.expect("refund");
    store
        .claim(&["order.inject", "refund.post"], 2, LEASE, at(0))
        .await
        .expect("claim both");
    // The order worker rescues its own kind only: the refund job is left for its worker,
    // which files it if it is dead.
    let rescued = store
        .rescue_expired_leases(&["order.inject"], at(61))
        .await
        .expect("rescue");
    assert_eq!(rescued.len(), 1);
    assert_eq!(rescued[0].kind, "order.inject");
    let refunds = store
        .rescue_expired_leases(&["refund.post"], at(61))
        .await
        .expect("rescue refunds");
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].kind, "refund.post");
}

#[tokio::test]
async fn a_snoozed_job_waits_without_using_up_its_attempts_and_keeps_its_lease_fence() {
    let (_dir, store) = fresh_store().await;
    let mut waiting = order_job("memo");
    waiting.max_attempts = 2;
    store.enqueue(waiting, at(0)).await.expect("enqueue");
    // Snoozed five times: more than max_attempts claims, yet never dead.
    let mut now = 0;
    for round in 1..=5 {
        let job = claim_one(&store, now)
            .await
            .expect("claimable after the snooze");
        assert_eq!(job.attempts, round);
        let snoozed = store
            .snooze(job.lease(), "memo open", at(now + 10), at(now))
            .await
            .expect("snooze");
        assert_eq!(snoozed.state, JobState::Queued);
        // The wait is counted apart; the limit stays what the caller set.
        assert_eq!(snoozed.max_attempts, 2);
        assert_eq!(snoozed.snoozes, round);
        assert_eq!(snoozed.attempts_used(), 0);
        assert!(
            claim_one(&store, now + 5).await.is_none(),
            "not before run_at"
        );
        // The same lease again is a no-op.
        store
            .snooze(job.lease(), "memo open", at(now + 10), at(now))
            .await
            .expect("repeat");
        now += 10;
    }
    // A lease from a snoozed round cannot touch the job once it is claimed again.
    let stale = store
        .job_by_key("acme", "order.inject", "memo")
        .await
        .expect("get")
        .expect("job");
    let current = claim_one(&store, now).await.expect("claim");
    let old_lease = selvedge_store::JobLease {
        job_id: stale.id,
        attempt: current.attempts - 1,
    };
    let refused = store
        .complete(old_lease, json!({}), at(now))
        .await
        .expect_err("stale lease");
    assert!(matches!(refused, StoreError::LeaseLost { .. }), "{refused}");
    // A crash while running still counts: the lease expires and the job can go dead.
    let rescued = store
        .rescue_expired_leases(&["order.inject"], at(now + 61))
        .await
        .expect("rescue");
    assert_eq!(rescued[0].state, JobState::Queued);
}

#[tokio::test]
async fn a_rearm_while_the_job_runs_queues_it_once_more_when_that_run_completes() {
    let (_dir, store) = fresh_store().await;
    store
        .enqueue(order_job("o-1"), at(0))
        .await
        .expect("enqueue");
    let running = claim_one(&store, 1).await.expect("claim");
    // A status update arrives while the order is being injected.
    let rearmed = store
        .rearm(
            running.id,
            at(2),
            3,
            Some(json!({ "new_status_id": 5 })),
            at(2),
        )
        .await
        .expect("rearm");
    assert_eq!(
        rearmed.state,
        JobState::Running,
        "the run in flight is not disturbed"
    );
    let after = store
        .complete(running.lease(), json!(null), at(3))
        .await
        .expect("complete");
    assert_eq!(after.state, JobState::Queued, "queued again, not done");
    assert_eq!(after.payload, json!({ "new_status_id": 5 }));
    let again = claim_one(&store, 4).await.expect("claimed again");
    assert_eq!(again.id, running.id, "the same job");
    let done = store
        .complete(again.lease(), json!(null), at(5))
        .await
        .expect("complete");
    assert_eq!(done.state, JobState::Done, "one more run, not a loop");
}

#[tokio::test]
async fn only_a_queued_job_is_cancelled_and_nothing_claims_or_rearms_it_after() {
    let (_dir, store) = fresh_store().await;
    let queued = store
        .enqueue(order_job("bc-1"), at(0))
        .await
        .expect("enqueue")
        .job;
    let running = store
        .enqueue(order_job("bc-2"), at(0))
        .await
        .expect("enqueue")
        .job;
    // One is claimed (running), the other stays queued.
    let claimed = claim_one(&store, 1).await.expect("a claim");
    let (claimed, waiting) = if claimed.id == queued.id {
        (queued.id, running.id)
    } else {
        (running.id, queued.id)
    };

    let done = store
        .cancel_job(waiting, "cancelled by ana: test order", at(2))
        .await
        .expect("cancel")
        .expect("exists");
    assert_eq!(done.state, JobState::Cancelled);
    assert_eq!(
        done.last_error.as_deref(),
        Some("cancelled by ana: test order")
    );
    // A running job is its worker's: unchanged.
    let still = store
        .cancel_job(claimed, "cancelled by ana", at(2))
        .await
        .expect("cancel")
        .expect("exists");
    assert_eq!(still.state, JobState::Running);
    assert!(
        store
            .cancel_job(999_999, "x", at(2))
            .await
            .expect("cancel")
            .is_none()
    );

    // Never claimed, not counted as waiting, and an event's re-arm leaves it cancelled.
    assert!(claim_one(&store, 100).await.is_none());
    assert_eq!(
        store
            .queue_depth("acme", "order.inject")
            .await
            .expect("depth"),
        1,
        "only the running job is unfinished"
    );
    let rearmed = store
        .rearm(waiting, at(3), 5, Some(json!({ "status": 11 })), at(3))
        .await
        .expect("rearm");
    assert_eq!(rearmed.state, JobState::Cancelled);
    assert!(claim_one(&store, 100).await.is_none());
    // A second enqueue of its key finds it, cancelled.
    let again = store
        .enqueue(order_job(&rearmed.idempotency_key), at(4))
        .await
        .expect("enqueue");
    assert!(!again.created);
    assert_eq!(again.job.state, JobState::Cancelled);
}

#[tokio::test]
async fn a_clients_jobs_list_newest_first_by_state_a_page_at_a_time() {
    let (_dir, store) = fresh_store().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            store
                .enqueue(order_job(&format!("bc-{n}")), at(0))
                .await
                .expect("enqueue")
                .job
                .id,
        );
    }
    let mut other = order_job("bc-9");
    other.client = "globex".into();
    store.enqueue(other, at(0)).await.expect("enqueue");
    store
        .cancel_job(ids[1], "cancelled by ana", at(1))
        .await
        .expect("cancel");

    let all = store.list_jobs("acme", None, 10, None).await.expect("list");
    let listed: Vec<i64> = all.iter().map(|j| j.id).collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(listed, newest_first, "acme's jobs only, newest first");
    let page = store
        .list_jobs("acme", None, 2, Some(ids[3]))
        .await
        .expect("page");
    assert_eq!(
        page.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
    let cancelled = store
        .list_jobs("acme", Some(JobState::Cancelled), 10, None)
        .await
        .expect("list");
    assert_eq!(
        cancelled.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    let queued = store
        .list_jobs("acme", Some(JobState::Queued), 10, None)
        .await
        .expect("list");
    assert_eq!(queued.len(), 4);
}
