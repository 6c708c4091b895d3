//! Several hosts on one store: heartbeats, leases that one holder has at a time, and write
//! slots of an ERP account that two store handles (two hosts) never share.

use std::time::Duration;

use selvedge_store::LeaseTake;

use crate::{at, fresh_store};

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn live_hosts_are_those_that_heartbeat_within_the_window_and_a_leaving_host_is_gone() {
    let (_fixture, store) = fresh_store().await;
    store.host_heartbeat("host-a", at(0)).await.expect("a");
    store.host_heartbeat("host-b", at(0)).await.expect("b");
    store
        .host_heartbeat("host-a", at(20))
        .await
        .expect("a again");
    let live: Vec<String> = store
        .live_hosts(at(10))
        .await
        .expect("live")
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(live, ["host-a"], "b has been silent since 0");
    let a = &store.live_hosts(at(0)).await.expect("all")[0];
    assert_eq!((a.started_at, a.last_seen), (at(0), at(20)));
    store.host_left("host-a").await.expect("leave");
    assert!(store.live_hosts(at(10)).await.expect("live").is_empty());
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_expires_or_is_released_and_each_take_says_what_it_found() {
    let (_fixture, store) = fresh_store().await;
    let name = "run/acme/inventory";
    let take = |holder: &'static str, t: i64| {
        let store = store.clone();
        async move {
            store
                .try_lease(name, holder, LEASE, at(t))
                .await
                .expect("try the lease")
        }
    };
    assert_eq!(take("a", 0).await, LeaseTake::Taken);
    assert_eq!(take("b", 10).await, LeaseTake::Held);
    assert_eq!(take("a", 20).await, LeaseTake::Renewed);
    assert_eq!(
        take("b", 40).await,
        LeaseTake::Held,
        "the renewal moved the expiry to 50"
    );
    assert_eq!(
        take("b", 51).await,
        LeaseTake::TakenOver { from: "a".into() },
        "a let it expire without releasing it"
    );
    store
        .release_lease(name, "a")
        .await
        .expect("a's stale release");
    assert_eq!(
        take("a", 52).await,
        LeaseTake::Held,
        "a release by a former holder frees nothing"
    );
    store.release_lease(name, "b").await.expect("b releases");
    assert_eq!(
        take("a", 53).await,
        LeaseTake::Taken,
        "a released lease is free, not taken over"
    );
    assert_eq!(
        take("a", 200).await,
        LeaseTake::Renewed,
        "an own expired lease is renewed"
    );
    assert_eq!(
        store
            .try_lease("run/acme/orders", "b", LEASE, at(53))
            .await
            .expect("other name"),
        LeaseTake::Taken,
        "leases are per name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hosts_racing_for_an_expired_lease_see_one_take_it_over_and_the_others_held() {
    let (fixture, first) = fresh_store().await;
    let second = fixture.open_again().await;
    let name = "run/acme/catalog";
    first
        .try_lease(name, "dead", LEASE, at(0))
        .await
        .expect("the dead host's lease");
    let mut tasks = Vec::new();
    for (n, store) in [first, second].into_iter().enumerate() {
        for i in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .try_lease(name, &format!("host-{n}-{i}"), LEASE, at(60))
                    .await
                    .expect("try the lease")
            }));
        }
    }
    let mut takes = Vec::new();
    for task in tasks {
        takes.push(task.await.expect("task"));
    }
    let over: Vec<&LeaseTake> = takes.iter().filter(|t| t.is_held()).collect();
    assert_eq!(
        over,
        [&LeaseTake::TakenOver {
            from: "dead".into()
        }],
        "one taker, which learnt whose lease it took: {takes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hosts_reserving_erp_writes_at_once_never_get_the_same_slot() {
    let (fixture, first) = fresh_store().await;
    let second = fixture.open_again().await;
    // 10 writes a second, bursts of 2; 30 reservations at the same instant from two hosts.
    let mut tasks = Vec::new();
    for (n, store) in [first, second].into_iter().enumerate() {
        for i in 0..15 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let account = "https://erp.example#ab12";
                let wait = store
                    .reserve_erp_write(account, 10, 2, at(0))
                    .await
                    .expect("reserve");
                (n, i, wait)
            }));
        }
    }
    let mut waits = Vec::new();
    for task in tasks {
        waits.push(task.await.expect("task").2.as_millis());
    }
    waits.sort_unstable();
    let expected: Vec<u128> = (0..30u128).map(|k| k.saturating_sub(1) * 100).collect();
    assert_eq!(
        waits, expected,
        "every slot given once: a burst of 2, then one per 100 ms"
    );
    // Another account has its own pace.
    let fresh = fixture
        .open_again()
        .await
        .reserve_erp_write("https://other.example#cd34", 10, 2, at(0))
        .await
        .expect("reserve");
    assert_eq!(fresh, Duration::ZERO);
}
