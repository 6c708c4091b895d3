//! The host process killed with SIGKILL in the middle of an order burst, then restarted:
//! nothing lost, nothing doubled. Runs the real CLI (`selvedge run --config <dir>`) as a
//! child process against the sandboxes of this test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::HashSet;
use std::time::Duration;

use selvedge_bluecherry::sandbox::faults::Faults;
use support::b2c::{seed_products, start_bc};
use support::host_process::{HostDir, brand_client};
use support::orders::{Options, address, start_erp};
use support::wait_until;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn host_killed_with_sigkill_mid_burst_and_restarted_loses_and_doubles_nothing() {
    let options = Options::default();
    let erp = start_erp().await;
    // Slow ERP answers so the kill lands with creates in flight.
    erp.set_faults(Faults {
        delay_ms: 5,
        ..Faults::default()
    });
    let bc = start_bc(options.bc.clone()).await;
    let seed = seed_products(&erp, 2);
    bc.handle().seed(&seed).unwrap();
    let sku = seed[0].variant_sku(&seed[0].colours[0], &seed[0].sizes[0]);
    let dir = HostDir::new(&brand_client(&erp.base_url(), &bc.base_url()));

    let host = dir.start("the host came up").await;
    let checkout = |n: usize| {
        let order = selvedge_bigcommerce::sandbox::SandboxOrder {
            shipping_address: address(),
            shipping_method: "Express".into(),
            products: vec![selvedge_bigcommerce::sandbox::OrderLineInput {
                sku: sku.clone(),
                quantity: 1 + (n % 3) as i64,
                price: None,
            }],
            ..Default::default()
        };
        bc.handle().create_order(&order).unwrap()
    };
    let count = || erp.with_state(|s| s.orders.len());
    let mut ids: Vec<i64> = (0..300).map(checkout).collect();
    let midway = wait_until(Duration::from_secs(30), || async { count() >= 60 }).await;
    assert!(midway, "injection started before the kill");
    host.sigkill();
    let at_kill = count();
    assert!(
        at_kill < 300,
        "the kill landed mid-burst ({at_kill} of 300 in)"
    );
    // Orders keep coming while the host is down; BigCommerce retries their webhooks.
    ids.extend((300..350).map(checkout));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let host = dir.start("the host came back").await;
    let all_in = wait_until(Duration::from_secs(90), || async { count() >= ids.len() }).await;
    // Let anything that would double an order do so before counting.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    host.sigkill();
    let refs: Vec<String> = erp.with_state(|s| {
        s.orders
            .iter()
            .map(|o| o.order.external_ref.clone())
            .collect()
    });
    let unique: HashSet<&String> = refs.iter().collect();
    assert!(
        all_in,
        "nothing lost: {} of {} orders in the ERP",
        unique.len(),
        ids.len()
    );
    assert_eq!(refs.len(), unique.len(), "nothing doubled");
    let expected: HashSet<String> = ids.iter().map(|id| format!("brand:bc:{id}")).collect();
    assert_eq!(unique.len(), expected.len());
    assert!(refs.iter().all(|r| expected.contains(r)));
}
