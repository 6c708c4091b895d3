//! Several hosts on one store: heartbeats, leases that one holder has at a time, and write
//! slots of an ERP account that two store handles (two hosts) never share.

use std::time::Duration;

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
async fn a_lease_has_one_holder_until_it_expires_or_is_released() {
    let (_fixture, store) = fresh_store().await;
    let name = "run/acme/inventory";
    assert!(
        store
            .try_lease(name, "a", LEASE, at(0))
            .await
            .expect("a takes")
    );
    assert!(
        !store
            .try_lease(name, "b", LEASE, at(10))
            .await
            .expect("b refused")
    );
    assert!(
        store
            .try_lease(name, "a", LEASE, at(20))
            .await
            .expect("a renews")
    );
    assert!(
        !store
            .try_lease(name, "b", LEASE, at(40))
            .await
            .expect("b refused"),
        "the renewal moved the expiry to 50"
    );
    assert!(
        store
            .try_lease(name, "b", LEASE, at(51))
            .await
            .expect("b takes the expired lease")
    );
    store
        .release_lease(name, "a")
        .await
        .expect("a's stale release");
    assert!(
        !store
            .try_lease(name, "a", LEASE, at(52))
            .await
            .expect("a refused"),
        "a release by a former holder frees nothing"
    );
    store.release_lease(name, "b").await.expect("b releases");
    assert!(
        store
            .try_lease(name, "a", LEASE, at(53))
            .await
            .expect("a takes")
    );
    assert!(
        store
            .try_lease("run/acme/orders", "b", LEASE, at(53))
            .await
            .expect("other name"),
        "leases are per name"
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
