//! The stop contract of the real host with 100 clients (`selvedge run --config <dir>` as a
//! child process against this test's sandboxes): SIGTERM after every client has started
//! running exits 0 within the promised 10 s; a second signal during that grace exits at once
//! with a non-zero code; and orders queued before a stop are injected after the restart,
//! once each. A contract, not a performance figure: the deadline is the product's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder};
use selvedge_bluecherry::sandbox::faults::Faults;
use support::b2c::{seed_products, start_bc};
use support::host_process::brand_client;
use support::many_clients::{Host, ManyClients};
use support::orders::{Options, address, start_erp};
use support::wait_until;

const CLIENTS: usize = 100;
/// The product's promise: one deadline for the whole host.
const DEADLINE: Duration = Duration::from_secs(10);

/// The brand's client file with small schedules: its orders sweep every 2 s, inventory every
/// 3 s, fulfilment every 2 s; ERP writes paced at `per_second` for the whole account, one
/// order per batch.
fn busy_client(erp_url: &str, bc_url: &str, per_second: u32) -> toml::Table {
    let mut client = brand_client(erp_url, bc_url);
    let extra: toml::Table = r#"
[inventory.locations]
NJ01 = "1"

[schedules.orders]
cron = "*/2 * * * * *"

[schedules.inventory]
cron = "*/3 * * * * *"

[schedules.fulfilment]
cron = "*/2 * * * * *"
"#
    .parse()
    .unwrap();
    client.extend(extra);
    let orders = client["orders"].as_table_mut().unwrap();
    orders.insert("batch_size".into(), 1.into());
    let pacing = orders["pacing"].as_table_mut().unwrap();
    pacing.insert("max_per_second".into(), i64::from(per_second).into());
    pacing.insert("burst".into(), 1.into());
    client
}

/// Two job batches in flight at once: a stop has little to wait for, a backlog stays queued.
const HOST_TOML: &str = "[jobs]\nslots = 2\n";

async fn start(clients: &ManyClients, what: &str) -> Host {
    let host = clients
        .start(Duration::from_secs(60))
        .await
        .unwrap_or_else(|| panic!("{what}: the host did not answer /healthz within 60 s"));
    let all_running = wait_until(Duration::from_secs(40), || async {
        host.clients_missing(&["inventory", "orders"]).await == Some(0)
    })
    .await;
    assert!(
        all_running,
        "{what}: every client ran inventory and orders ({:?} missing)",
        host.clients_missing(&["inventory", "orders"]).await
    );
    host
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_100_clients_exits_0_within_10_s_and_queued_orders_survive_the_restart() {
    // 25 creates a second for the whole account: the 200 orders take 8 s to inject.
    stop_and_restart_with_queued_orders(25, 2).await;
}

/// The same at the example client's pacing (5 creates a second for the account): 100 clients
/// each with an order waiting when SIGTERM arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_backlog_paced_at_5_a_second_exits_0_within_10_s() {
    stop_and_restart_with_queued_orders(5, 1).await;
}

/// 100 clients running; `orders` orders each queued (webhooks) while ERP writes are paced at
/// `per_second` for the account; SIGTERM exits 0 within the deadline with some still queued;
/// after a restart every one is in the ERP once.
async fn stop_and_restart_with_queued_orders(per_second: u32, orders: i64) {
    let erp = start_erp().await;
    let bc = start_bc(Options::default().bc).await;
    let seed = seed_products(&erp, 2);
    bc.handle().seed(&seed).unwrap();
    let sku = seed[0].variant_sku(&seed[0].colours[0], &seed[0].sizes[0]);
    let template = busy_client(&erp.base_url(), &bc.base_url(), per_second);
    let clients = ManyClients::new(&template, CLIENTS, HOST_TOML);
    let mut host = start(&clients, "first start").await;

    // Every client has its hooks on the one store: each order reaches all 100 clients.
    let ids: Vec<i64> = (0..orders)
        .map(|n| {
            let order = SandboxOrder {
                shipping_address: address(),
                shipping_method: "Express".into(),
                products: vec![OrderLineInput {
                    sku: sku.clone(),
                    quantity: 1 + n,
                    price: None,
                }],
                ..Default::default()
            };
            bc.handle().create_order(&order).unwrap()
        })
        .collect();
    let expected: HashSet<String> = clients
        .ids
        .iter()
        .flat_map(|c| ids.iter().map(move |id| format!("{c}:bc:{id}")))
        .collect();
    let in_erp = || erp.with_state(|s| s.orders.len());
    let queued = wait_until(Duration::from_secs(20), || async {
        host.orders()
            .await
            .is_some_and(|(waiting, injected)| waiting + injected >= expected.len() as u64)
    })
    .await;
    assert!(
        queued,
        "every client queued its orders: {:?}",
        host.orders().await
    );

    let stopped = host.stop(Duration::from_secs(30)).await;
    let code = stopped.status.and_then(|s| s.code());
    assert_eq!(code, Some(0), "SIGTERM exits 0 (after {:?})", stopped.after);
    assert!(
        stopped.after <= DEADLINE,
        "SIGTERM with {CLIENTS} clients running exits within {DEADLINE:?}: took {:?}",
        stopped.after
    );
    let at_stop = in_erp();
    eprintln!(
        "{CLIENTS} clients: SIGTERM -> exit 0 in {:?}; {at_stop} of {} orders injected before the stop",
        stopped.after,
        expected.len()
    );
    assert!(
        at_stop < expected.len(),
        "orders were still queued at the stop ({at_stop} of {} injected)",
        expected.len()
    );

    let host = start(&clients, "restart").await;
    let drain = Duration::from_secs(expected.len() as u64 / u64::from(per_second) + 20);
    let all_in = wait_until(drain, || async { in_erp() >= expected.len() }).await;
    // Let anything that would double an order do so before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(host);
    let refs: Vec<String> = erp.with_state(|s| {
        s.orders
            .iter()
            .map(|o| o.order.external_ref.clone())
            .collect()
    });
    let unique: HashSet<String> = refs.iter().cloned().collect();
    assert!(
        all_in,
        "nothing queued is lost: {} of {} orders in the ERP ({at_stop} before the stop)",
        unique.len(),
        expected.len()
    );
    assert_eq!(refs.len(), unique.len(), "nothing doubled");
    assert_eq!(unique, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_while_the_first_is_honoured_exits_at_once_non_zero() {
    let erp = start_erp().await;
    let bc = start_bc(Options::default().bc).await;
    let template = busy_client(&erp.base_url(), &bc.base_url(), 150);
    let clients = ManyClients::new(&template, CLIENTS, HOST_TOML);
    let mut host = start(&clients, "start").await;
    // A slow ERP (answers after the client's 500 ms timeout, so reads retry): runs in flight
    // at the stop take seconds to finish.
    erp.set_faults(Faults {
        delay_ms: 2_000,
        ..Faults::default()
    });
    tokio::time::sleep(Duration::from_millis(2_500)).await;

    host.sigterm();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        host.exited().is_none(),
        "the first stop is still letting work finish 500 ms after SIGTERM (it exited with {:?})",
        host.exited()
    );
    let second = Instant::now();
    host.sigterm();
    let stopped = host.wait_exit(second, Duration::from_secs(5)).await;
    eprintln!(
        "second SIGTERM -> exit {:?} in {:?}",
        stopped.status, stopped.after
    );
    let code = stopped.status.and_then(|s| s.code());
    assert!(
        code.is_some_and(|c| c != 0),
        "the second SIGTERM exits with a non-zero code: {:?}",
        stopped.status
    );
    assert_eq!(code, Some(130), "the host's code for a second signal");
    assert!(
        stopped.after < Duration::from_secs(1),
        "the second SIGTERM exits at once: took {:?}",
        stopped.after
    );
}
