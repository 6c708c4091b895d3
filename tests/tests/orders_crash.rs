//! The host process killed with SIGKILL in the middle of an order burst, then restarted:
//! nothing lost, nothing doubled. Runs the real CLI (`selvedge run --config <dir>`) as a
//! child process against the sandboxes of this test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use selvedge_bluecherry::sandbox::faults::Faults;
use support::b2c::{seed_products, start_bc};
use support::orders::{Options, SECRET, address, start_erp};
use support::wait_until;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_config(dir: &Path, erp_url: &str, bc_url: &str, webhook: u16, admin: u16) {
    std::fs::create_dir_all(dir.join("clients")).unwrap();
    std::fs::write(
        dir.join("selvedge.toml"),
        format!(
            "data_dir = \"data\"\nwebhook_listen = \"127.0.0.1:{webhook}\"\n\
             admin_listen = \"127.0.0.1:{admin}\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("clients/brand.toml"),
        format!(
            r#"id = "brand"
storefront = "bigcommerce"
time_zone = "UTC"

[bluecherry]
base_url = "{erp_url}"
api_key_env = "E2E_BLUECHERRY_KEY"

[bigcommerce]
base_url = "{bc_url}"
store_hash = "sandbox"
access_token_env = "E2E_BIGCOMMERCE_TOKEN"

[plugin]
example = "b2c-apparel"

[rules]
division = "01"
web_customer = "WEB001"

[mappings.shipping_warehouse]
"Express" = "NJ01"
"*" = "NJ01"

[orders]
webhook_secret_env = "E2E_WEBHOOK_SECRET"
max_attempts = 20
retry_base_ms = 50
retry_max_ms = 500
lease_ms = 1000
idle_poll_ms = 20

[orders.pacing]
max_per_second = 150
burst = 20
"#
        ),
    )
    .unwrap();
}

fn start_host(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_selvedge-e2e-host"))
        .args(["run", "--config"])
        .arg(config)
        .env("E2E_BLUECHERRY_KEY", "sandbox-key")
        .env("E2E_BIGCOMMERCE_TOKEN", "sandbox-token")
        .env("E2E_WEBHOOK_SECRET", SECRET)
        .env("SELVEDGE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("host starts")
}

async fn healthy(port: u16) -> bool {
    wait_until(Duration::from_secs(60), || async {
        reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await
}

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
    let dir = tempfile::tempdir().unwrap();
    let (webhook, admin) = (free_port(), free_port());
    write_config(dir.path(), &erp.base_url(), &bc.base_url(), webhook, admin);

    let mut host = start_host(dir.path());
    assert!(healthy(webhook).await, "the host came up");
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
    host.kill().expect("SIGKILL");
    host.wait().expect("reaped");
    let at_kill = count();
    assert!(
        at_kill < 300,
        "the kill landed mid-burst ({at_kill} of 300 in)"
    );
    // Orders keep coming while the host is down; BigCommerce retries their webhooks.
    ids.extend((300..350).map(checkout));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut host = start_host(dir.path());
    assert!(healthy(webhook).await, "the host came back");
    let all_in = wait_until(Duration::from_secs(90), || async { count() >= ids.len() }).await;
    // Let anything that would double an order do so before counting.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    host.kill().ok();
    host.wait().ok();
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
    let expected: HashSet<String> = ids.iter().map(|id| format!("BC-{id}")).collect();
    assert_eq!(unique.len(), expected.len());
    assert!(refs.iter().all(|r| expected.contains(r)));
}
