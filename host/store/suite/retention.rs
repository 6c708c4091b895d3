use std::sync::Arc;

use std::time::Duration;

use selvedge_store::refunds::NewRefund;
use selvedge_store::{
    Decision, ErpSnapshot, FailAction, Measurements, NewException, NewJob, OrderKey, OrderState,
    RefundState, RetentionAges, RunStatus, SoldUnits, Store,
};
use serde_json::json;

use crate::{at, fresh_store};

const DAY: i64 = 86_400;
const LEASE: Duration = Duration::from_secs(3_600);

/// A job of its own kind (so a claim takes exactly it), enqueued at `t`.
async fn job(store: &Arc<dyn Store>, kind: &str, t: i64) -> selvedge_store::Job {
    store
        .enqueue(
            NewJob {
                client: "acme".into(),
                kind: kind.into(),
                idempotency_key: kind.into(),
                payload: json!({}),
                run_at: at(t),
                max_attempts: 3,
            },
            at(t),
        )
        .await
        .expect("enqueue")
        .job
}

async fn claimed(store: &Arc<dyn Store>, kind: &str, t: i64) -> selvedge_store::Job {
    job(store, kind, t).await;
    store
        .claim(&[kind], 1, LEASE, at(t))
        .await
        .expect("claim")
        .pop()
        .expect("claimed")
}

async fn done(store: &Arc<dyn Store>, kind: &str, t: i64) -> i64 {
    let j = claimed(store, kind, t).await;
    store
        .complete(j.lease(), json!({}), at(t))
        .await
        .expect("complete")
        .id
}

async fn dead(store: &Arc<dyn Store>, kind: &str, t: i64) -> i64 {
    let j = claimed(store, kind, t).await;
    store
        .fail(j.lease(), "boom", FailAction::GiveUp, at(t))
        .await
        .expect("give up")
        .id
}

async fn raise(store: &Arc<dyn Store>, subject: &str, job: i64, t: i64) -> i64 {
    store
        .raise_exception(
            NewException {
                client: "acme".into(),
                kind: "order_failed".into(),
                owner: "operations".into(),
                subject: subject.into(),
                summary: format!("order {subject} failed"),
                details: json!({ "job": job }),
            },
            at(t),
        )
        .await
        .expect("raise")
        .exception
        .id
}

async fn job_exists(store: &Arc<dyn Store>, id: i64) -> bool {
    store.job(id).await.expect("job").is_some()
}

pub(crate) fn decision(subject: &str, t: i64) -> Decision {
    Decision {
        client: "acme".into(),
        flow: "inventory".into(),
        subject: subject.into(),
        plugin_id: "stock-rules".into(),
        plugin_version: "sha256:ab".into(),
        reason: json!({}),
        value: json!(t),
        call_id: None,
        created_at: at(t),
    }
}

async fn order(store: &Arc<dyn Store>, id: &str, t: i64, end: OrderState, sold: &[SoldUnits]) {
    let key = OrderKey::new("acme", "bigcommerce", id);
    store
        .record_order_received(&key, "h", at(t))
        .await
        .expect("received");
    store
        .transition_order(&key, OrderState::Injecting, None, at(t + 1))
        .await
        .expect("injecting");
    if end == OrderState::Injected {
        let snapshot = ErpSnapshot {
            value_minor: 100,
            qty: 1,
        };
        store
            .record_injected(&key, &format!("SO-{id}"), snapshot, sold, at(t + 2))
            .await
            .expect("injected");
    } else {
        store
            .transition_order(&key, end, Some("ERP refused it"), at(t + 2))
            .await
            .expect("exception");
    }
}

async fn run(store: &Arc<dyn Store>, status: RunStatus, t: i64) -> i64 {
    let id = store
        .start_run("acme", "inventory", at(t))
        .await
        .expect("start");
    let error = (status == RunStatus::Failed).then_some("boom");
    store
        .finish_run(id, status, &Measurements::default(), error, at(t + 1))
        .await
        .expect("finish");
    id
}

#[tokio::test]
async fn retention_deletes_old_rows_but_keeps_what_open_exceptions_and_unfinished_jobs_need() {
    let (fixture, store) = fresh_store().await;
    let now = 40 * DAY;

    // Jobs: two finished long ago and forgotten, the rest kept.
    let done_old = done(&store, "k.done-old", 0).await;
    let dead_open = dead(&store, "k.dead-open", 0).await;
    let dead_resolved = dead(&store, "k.dead-resolved", 0).await;
    let queued_old = job(&store, "k.queued-old", 0).await.id;
    let running_old = claimed(&store, "k.running-old", 0).await.id;
    let done_recent = done(&store, "k.done-recent", now - DAY).await;

    // Exceptions: open (points at a dead job), resolved long ago, resolved yesterday.
    let open = raise(&store, "100", dead_open, 0).await;
    raise(&store, "100", dead_open, DAY).await;
    let resolved_old = raise(&store, "101", dead_resolved, 0).await;
    store
        .resolve_exception(resolved_old, "ana", "re-entered", at(1))
        .await
        .expect("resolve");
    let resolved_recent = raise(&store, "102", 0, 0).await;
    store
        .resolve_exception(resolved_recent, "ana", "fixed", at(now - DAY))
        .await
        .expect("resolve");

    // Ledgers: an order injected long ago (its units sold then too), one stuck in
    // exception, one injected yesterday; a posted refund and one in exception.
    let sold = |units| {
        [SoldUnits {
            sku: "TEE".into(),
            location: "NJ01".into(),
            units,
        }]
    };
    order(&store, "1", 0, OrderState::Injected, &sold(2)).await;
    order(&store, "2", 0, OrderState::Exception, &[]).await;
    order(&store, "3", now - DAY, OrderState::Injected, &sold(5)).await;
    for (id, posted) in [("r1", true), ("r2", false)] {
        let refund = NewRefund {
            client: "acme".into(),
            refund_id: id.into(),
            storefront: "bigcommerce".into(),
            storefront_order_id: None,
            payload_hash: "h".into(),
        };
        store
            .record_refund_received(&refund, at(0))
            .await
            .expect("refund");
        store
            .transition_refund("acme", id, RefundState::Posting, None, at(1))
            .await
            .expect("posting");
        if posted {
            store
                .record_memo_posted("acme", id, "CM-1", at(2))
                .await
                .expect("posted");
        } else {
            store
                .transition_refund("acme", id, RefundState::Exception, Some("no"), at(2))
                .await
                .expect("exception");
        }
    }

    // Audit: three old decisions about one SKU, one about another.
    store
        .record_decisions(&[
            decision("TEE", 0),
            decision("TEE", 1),
            decision("TEE", 2),
            decision("CAP", 0),
        ])
        .await
        .expect("decisions");
    let first_run = run(&store, RunStatus::Succeeded, 0).await;
    let last_success = run(&store, RunStatus::Succeeded, 10).await;
    let newest = run(&store, RunStatus::Failed, 20).await;

    // Hosts: one killed two days ago (no goodbye), one that heartbeat a minute ago.
    store
        .host_heartbeat("host-killed", at(now - 2 * DAY))
        .await
        .expect("heartbeat");
    store
        .host_heartbeat("host-live", at(now - 60))
        .await
        .expect("heartbeat");
    let hosts = || {
        let store = &store;
        async move {
            let live = store.live_hosts(at(0)).await.expect("hosts");
            live.into_iter().map(|h| h.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        hosts().await,
        ["host-killed", "host-live"],
        "a heartbeat forgets nobody: retention does"
    );

    let rules = store.default_rules(&RetentionAges::default());
    let report = store.purge(&rules, at(now), 1_000).await.expect("purge");

    assert!(!job_exists(&store, done_old).await, "old done job purged");
    assert!(
        !job_exists(&store, dead_resolved).await,
        "a job only a resolved exception points at is purged"
    );
    for (id, why) in [
        (dead_open, "an open exception points at it"),
        (queued_old, "queued"),
        (running_old, "running"),
        (done_recent, "finished yesterday"),
    ] {
        assert!(job_exists(&store, id).await, "job kept: {why}");
    }
    assert_eq!(report.deleted.get("jobs"), Some(&2));

    let (_, history) = store
        .exception(open)
        .await
        .expect("read")
        .expect("open exception kept");
    assert_eq!(history.len(), 1);
    assert!(store.exception(resolved_old).await.expect("read").is_none());
    let (_, history) = store
        .exception(resolved_recent)
        .await
        .expect("read")
        .expect("recently resolved kept");
    let actions: Vec<_> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        ["raised", "resolved"],
        "its 40-day-old entry stays with it"
    );

    let history = |id: &'static str| {
        let store = &store;
        async move {
            store
                .order_history(&OrderKey::new("acme", "bigcommerce", id))
                .await
                .expect("history")
                .len()
        }
    };
    assert_eq!(history("1").await, 0, "a final order's old history goes");
    assert_eq!(
        history("2").await,
        3,
        "an order in exception keeps its history"
    );
    assert_eq!(history("3").await, 3);
    assert_eq!(
        fixture.count("SELECT COUNT(*) FROM orders").await,
        3,
        "the ledger is the exactly-once record"
    );
    assert_eq!(
        fixture
            .count("SELECT COUNT(*) FROM refund_history WHERE refund_id = 'r1'")
            .await,
        0
    );
    assert_eq!(
        fixture
            .count("SELECT COUNT(*) FROM refund_history WHERE refund_id = 'r2'")
            .await,
        3
    );
    assert_eq!(fixture.count("SELECT COUNT(*) FROM refunds").await, 2);

    let units: Vec<i64> = store
        .units_sold_since("acme", at(0))
        .await
        .expect("sold")
        .iter()
        .map(|s| s.units)
        .collect();
    assert_eq!(units, [5], "only the recent day's units are left");

    let tee = store
        .latest_decisions("acme", None, "TEE", 10)
        .await
        .expect("decisions");
    assert_eq!(tee.len(), 1, "the newest decision per subject stays");
    assert_eq!(tee[0].decision.created_at, at(2));
    assert_eq!(
        store
            .latest_decisions("acme", None, "CAP", 10)
            .await
            .expect("decisions")
            .len(),
        1
    );

    let runs: Vec<i64> = store
        .recent_runs("acme", "inventory", 10)
        .await
        .expect("runs")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(runs, [newest, last_success], "run {first_run} purged");

    assert_eq!(
        hosts().await,
        ["host-live"],
        "a host silent for a day is forgotten"
    );
    assert_eq!(report.deleted.get("cluster_hosts"), Some(&1));

    // Nothing left to do: a second pass deletes nothing.
    let again = store.purge(&rules, at(now), 1_000).await.expect("purge");
    assert_eq!(again.total(), 0, "{again:?}");
}
