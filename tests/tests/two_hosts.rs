//! Two hosts on one PostgreSQL store, as an agency runs them for fail-over: a BigCommerce order
//! burst whose webhooks reach both hosts (each registered its own hook), a sweep every second,
//! the Blue Cherry sandbox accepting duplicate creates, and the host that schedules the client
//! SIGKILLed mid-burst. Then: every sale is exactly one ERP order; the pacing of the client's
//! account held across both hosts (from the ERP's create log); the survivor ran the client's
//! scheduled orders flow within one lease period of the kill; and no two runs of the client's
//! flow overlapped. `ORDERS=2000` on demand (300 by default).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::time::Duration;

use selvedge::cluster::owner;
use selvedge::flows::orders::order_kind;
use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder};
use selvedge_bluecherry::sandbox::CreateKind;
use selvedge_bluecherry::sandbox::faults::Faults;

use support::burst::{Placed, brand_sandboxes, created_by_ref, sales_not_exactly_once};
use support::host_process::{HostDir, brand_client};
use support::orders::address;
use support::pacing::{describe_violation, pacing_violation};
use support::stores::{Backend, TestDb};
use support::wait_until;
use time::OffsetDateTime;

/// ERP creates a second for the brand's account, across both hosts.
const RATE: u32 = 20;
/// Creates back to back.
const BURST: u32 = 5;
/// Membership and run lease of each host.
const LEASE_MS: u64 = 3_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hosts_one_killed_mid_burst_lose_and_double_nothing_and_keep_the_pace() {
    let Some(db) = TestDb::fresh(Backend::Postgres) else {
        return;
    };
    let url = db.postgres_url().expect("a PostgreSQL database").to_owned();
    let orders: usize = std::env::var("ORDERS")
        .ok()
        .map(|n| n.parse().expect("ORDERS is a number"))
        .unwrap_or(300);

    let (erp, bc, skus) = brand_sandboxes(
        Faults {
            accept_duplicates: true,
            delay_ms: 5,
            ..Faults::default()
        },
        3,
    )
    .await;
    let mut client = brand_client(&erp.base_url(), &bc.base_url());
    client["orders"]["pacing"] = toml::Value::Table(
        format!("max_per_second = {RATE}\nburst = {BURST}")
            .parse()
            .unwrap(),
    );
    client.extend(
        "[schedules.orders]\ncron = \"* * * * * *\"\n"
            .parse::<toml::Table>()
            .unwrap(),
    );
    let ids = ["host-a".to_string(), "host-b".to_string()];
    let dirs = [
        HostDir::in_cluster(&client, &url, &ids[0], LEASE_MS),
        HostDir::in_cluster(&client, &url, &ids[1], LEASE_MS),
    ];
    let mut hosts = [
        Some(dirs[0].start("host A came up").await),
        Some(dirs[1].start("host B came up").await),
    ];
    let store = dirs[0].open_store().await;
    // The host that schedules the brand is the one to kill.
    let doomed = ids
        .iter()
        .position(|h| Some(h.as_str()) == owner("brand", &ids))
        .expect("an owner");
    let survivor = 1 - doomed;

    let place = |n: usize| Placed {
        id: bc
            .handle()
            .create_order(&SandboxOrder {
                shipping_address: address(),
                shipping_method: "Express".into(),
                products: vec![OrderLineInput {
                    sku: skus[n % skus.len()].clone(),
                    quantity: 1 + (n % 3) as i64,
                    price: None,
                }],
                ..Default::default()
            })
            .unwrap(),
        status_id: None,
    };
    let mut placed: Vec<Placed> = (0..orders / 2).map(place).collect();
    // Both hosts inject for a while (their writes share one pace), then the doomed host dies
    // with orders in flight.
    wait_until(Duration::from_secs(60), || async {
        created_by_ref(&erp, CreateKind::SalesOrder).len() >= orders / 4
    })
    .await;
    hosts[doomed].take().expect("running").sigkill();
    let killed_at = OffsetDateTime::now_utc();
    placed.extend((orders / 2..orders).map(place));

    let all_in = wait_until(Duration::from_secs(180), || async {
        created_by_ref(&erp, CreateKind::SalesOrder).len() >= orders
    })
    .await;
    let drained = wait_until(Duration::from_secs(60), || async {
        store
            .queue_depth("brand", &order_kind("brand"))
            .await
            .unwrap()
            == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    hosts[survivor].take().expect("running").sigkill();

    assert!(all_in, "every sale reached the ERP");
    assert!(drained, "the order queue drained");
    let wrong = sales_not_exactly_once(&erp, &placed);
    assert!(
        wrong.is_empty(),
        "sales without exactly one ERP order: {wrong:?}"
    );

    // One pace for the account, whichever host wrote. The log stamps a create when the ERP
    // commits it, a request's latency after its slot: the check allows one create of such
    // jitter per host writing (one host alone gets the +1 in `pacing_violation`). Two
    // unshared paces would be a whole burst and twice the rate over.
    let times: Vec<OffsetDateTime> = erp.creates().iter().map(|e| e.at).collect();
    let burst = f64::from(BURST) + 1.0;
    if let Some(pair) = pacing_violation(&times, f64::from(RATE), burst) {
        panic!(
            "pacing broken across hosts: {}",
            describe_violation(&times, pair, f64::from(RATE), burst)
        );
    }

    // Both hosts took deliveries: webhooks may arrive at any host.
    let hooks: std::collections::BTreeSet<i64> = bc
        .handle()
        .deliveries()
        .into_iter()
        .filter(|d| d.scope == "store/order/created" && d.status.is_some_and(|s| s < 300))
        .map(|d| d.hook_id)
        .collect();
    assert_eq!(hooks.len(), 2, "deliveries were served by both hosts");

    // The survivor took over the brand's scheduled runs (a contract: the dead host's
    // membership and run leases expire, the survivor's next heartbeat sees it and the next
    // one-second tick runs; twice the lease plus two seconds bounds that with room for load).
    let mut runs = store.recent_runs("brand", "orders", 10_000).await.unwrap();
    runs.sort_by_key(|r| r.started_at);
    let first_after = runs
        .iter()
        .find(|r| r.started_at > killed_at)
        .expect("a run after the kill");
    let took = (first_after.started_at - killed_at).as_seconds_f64();
    let allowed = 2.0 * LEASE_MS as f64 / 1_000.0 + 2.0;
    assert!(
        took <= allowed,
        "the survivor's first run came {took:.1} s after the kill (allowed {allowed:.1} s)"
    );
    // Never one client's flow on two hosts at once.
    for pair in runs.windows(2) {
        if let Some(finished) = pair[0].finished_at {
            assert!(
                pair[1].started_at >= finished,
                "runs {} and {} of brand/orders overlapped",
                pair[0].id,
                pair[1].id
            );
        }
    }
    store.close().await.expect("close");
}

/// A rebuilt plugin uploaded to host A's admin API is served by host B, which never loaded
/// that build, within seconds (the follower polls every 200 ms here); after both hosts are
/// killed and started again, both still run it although their config names the old file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plugin_swapped_on_one_host_is_served_by_the_other_and_survives_restarting_both() {
    let Some(db) = TestDb::fresh(Backend::Postgres) else {
        return;
    };
    let url = db.postgres_url().expect("a PostgreSQL database").to_owned();
    let (erp, bc, _skus) = brand_sandboxes(Faults::default(), 1).await;
    let client = brand_client(&erp.base_url(), &bc.base_url());
    let dirs = [
        HostDir::in_cluster(&client, &url, "host-a", LEASE_MS),
        HostDir::in_cluster(&client, &url, "host-b", LEASE_MS),
    ];
    for dir in &dirs {
        dir.add_host_toml("\n[plugins]\nwatch_interval_ms = 200\n");
    }
    let hosts = [
        dirs[0].start("host A came up").await,
        dirs[1].start("host B came up").await,
    ];
    let configured =
        std::fs::read(selvedge_plugin_artifacts::b2c_apparel()).expect("the brand's plugin");
    let old = selvedge::plugins::digest_of(&configured);
    assert_eq!(
        dirs[1].plugin_version("brand").await.as_deref(),
        Some(old.as_str())
    );

    let build = selvedge_plugin_artifacts::rebuilt(&configured, "two-hosts");
    let new = selvedge::plugins::digest_of(&build);
    let swapped = dirs[0].swap_plugin("brand", build).await;
    assert_eq!(swapped["to"].as_str(), Some(new.as_str()));

    let served = wait_until(Duration::from_secs(10), || async {
        dirs[1].plugin_version("brand").await.as_deref() == Some(new.as_str())
    })
    .await;
    assert!(
        served,
        "host B still runs {:?}",
        dirs[1].plugin_version("brand").await
    );

    for host in hosts {
        host.sigkill();
    }
    let _hosts = [
        dirs[0].start("host A came back").await,
        dirs[1].start("host B came back").await,
    ];
    for dir in &dirs {
        assert_eq!(
            dir.plugin_version("brand").await.as_deref(),
            Some(new.as_str()),
            "a restarted host runs the desired version, not its configured file"
        );
    }
}
