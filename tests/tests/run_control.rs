//! Run control on the real host (`selvedge run`): orders placed while the orders flow is
//! paused are taken by the webhook and wait; the pause holds across a SIGKILL and restart; an
//! operator cancels one queued order's job from the CLI; after resume each other order
//! reaches Blue Cherry exactly once and the cancelled one never.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::time::Duration;

use reqwest::StatusCode;
use selvedge::flows::orders::order_kind;
use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder};
use selvedge_bluecherry::sandbox::CreateKind;
use selvedge_bluecherry::sandbox::faults::Faults;
use serde_json::json;

use support::burst::{brand_sandboxes, created_by_ref};
use support::host_process::{ADMIN_TOKEN, HostDir, brand_client};
use support::orders::address;
use support::stores::{self, Backend};
use support::{admin_json, admin_post, wait_until};

const ORDERS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_placed_while_paused_wait_through_a_restart_and_are_injected_once_after_resume() {
    paused_orders(Backend::Sqlite).await;
}

/// The same with the host's store on PostgreSQL (the shared store several hosts use).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_orders_placed_while_paused_are_injected_once_after_resume() {
    paused_orders(Backend::Postgres).await;
}

async fn paused_orders(backend: Backend) {
    if stores::unavailable(backend) {
        return;
    }
    let (erp, bc, skus) = brand_sandboxes(Faults::default(), usize::MAX).await;
    let dir = HostDir::on(&brand_client(&erp.base_url(), &bc.base_url()), backend)
        .expect("a store for the host");
    let host = dir.start("the host came up").await;
    let store = dir.open_store().await;
    let (status, body) = admin_post(
        dir.admin,
        ADMIN_TOKEN,
        "/api/clients/brand/pause",
        json!({ "flow": "orders" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let placed: Vec<i64> = (0..ORDERS)
        .map(|n| {
            bc.handle()
                .create_order(&SandboxOrder {
                    shipping_address: address(),
                    shipping_method: "Express".into(),
                    products: vec![OrderLineInput {
                        sku: skus[n % skus.len()].clone(),
                        quantity: 1,
                        price: None,
                    }],
                    ..Default::default()
                })
                .unwrap()
        })
        .collect();
    // Every delivery is stored as a job while paused: nothing is lost, nothing sent.
    let queued = wait_until(Duration::from_secs(20), || async {
        store
            .queue_depth("brand", &order_kind("brand"))
            .await
            .unwrap()
            == ORDERS as u64
    })
    .await;
    assert!(queued, "the paused host stored every delivery as a job");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        created_by_ref(&erp, CreateKind::SalesOrder).is_empty(),
        "a paused orders flow sent nothing to the ERP"
    );

    // A crash and a restart: the pause is read back from the store.
    host.sigkill();
    let _host = dir.start("the host came back").await;
    let health = admin_json(
        &reqwest::Client::new(),
        dir.admin,
        ADMIN_TOKEN,
        "/api/clients/brand/health",
    )
    .await
    .expect("health");
    assert_eq!(health["paused"][0]["flow"], "orders", "{health}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        created_by_ref(&erp, CreateKind::SalesOrder).is_empty(),
        "still paused after the restart"
    );

    // One of the waiting orders is a test order: an operator finds its job and cancels it.
    let listed = selvedge_cli(&dir, &["jobs", "brand", "--json"]);
    assert_eq!(listed.status.code(), Some(0), "{listed:?}");
    let page: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    let test_order = placed[0].to_string();
    let job = page["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|j| j["payload"]["order_id"] == test_order.as_str())
        .map(|j| j["id"].as_i64().expect("id"))
        .expect("the test order's job is queued");
    let cancelled = selvedge_cli(
        &dir,
        &["cancel", "brand", &job.to_string(), "--note", "test order"],
    );
    assert_eq!(cancelled.status.code(), Some(0), "{cancelled:?}");
    assert!(
        String::from_utf8_lossy(&cancelled.stdout).contains("cancelled by bootstrap: test order")
    );
    let again = selvedge_cli(&dir, &["cancel", "brand", &job.to_string()]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "not queued any more: {again:?}"
    );

    let (status, body) = admin_post(
        dir.admin,
        ADMIN_TOKEN,
        "/api/clients/brand/resume",
        json!({ "flow": "orders" }),
    )
    .await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (StatusCode::OK, Some("resumed"))
    );
    let all_in = wait_until(Duration::from_secs(30), || async {
        created_by_ref(&erp, CreateKind::SalesOrder).len() == ORDERS - 1
    })
    .await;
    assert!(
        all_in,
        "every order but the cancelled one reached the ERP after resume"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let created = created_by_ref(&erp, CreateKind::SalesOrder);
    for id in &placed[1..] {
        let reference = format!("brand:bc:{id}");
        assert_eq!(
            created.get(&reference).map(Vec::len),
            Some(1),
            "order {id} reached the ERP exactly once"
        );
    }
    assert!(
        !created.contains_key(&format!("brand:bc:{}", placed[0])),
        "the cancelled order never reached the ERP"
    );
}

/// `selvedge client <args>` against the host's admin API.
fn selvedge_cli(dir: &HostDir, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_selvedge-e2e-host"))
        .arg("client")
        .args(args)
        .args(["--url", &dir.admin_url()])
        .env("SELVEDGE_ADMIN_TOKEN", ADMIN_TOKEN)
        .output()
        .expect("selvedge runs")
}
