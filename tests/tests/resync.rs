//! Targeted re-sync through the real host (`selvedge run`) and its admin API, against the
//! Blue Cherry and BigCommerce sandboxes: a style is written to the storefront, a SKU whose
//! storefront stock drifted is pushed back to what the ERP's last cycle says, an order the
//! ERP already holds answers with its number and never becomes a second ERP order, an order
//! the hook never delivered is injected once, a declined order stays skipped and says why,
//! unknown ids get 404 naming them, a paused flow gets 409, and each re-sync is audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::time::Duration;

use reqwest::StatusCode;
use selvedge_bigcommerce::model::{AbsoluteAdjustment, InventoryQuery, ItemRef};
use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder};
use selvedge_bluecherry::sandbox::CreateKind;
use selvedge_bluecherry::sandbox::faults::Faults;
use serde_json::{Value, json};

use support::burst::{bc_client, brand_sandboxes, created_by_ref, set_order_created_hooks};
use support::host_process::{ADMIN_TOKEN, HostDir, brand_client};
use support::orders::address;
use support::stores::{self, Backend};
use support::{admin_post, wait_until};

async fn post(dir: &HostDir, path: &str, body: Value) -> (StatusCode, Value) {
    admin_post(dir.admin, ADMIN_TOKEN, path, body).await
}

async fn resync(dir: &HostDir, body: Value) -> (StatusCode, Value) {
    post(dir, "/api/clients/brand/resync", body).await
}

/// `selvedge client resync brand <args>` against the host's admin API.
fn selvedge_cli(dir: &HostDir, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_selvedge-e2e-host"))
        .args(["client", "resync", "brand", "--url", &dir.admin_url()])
        .args(args)
        .env("SELVEDGE_ADMIN_TOKEN", ADMIN_TOKEN)
        .output()
        .expect("selvedge runs")
}

/// On-hand of `sku` at BigCommerce location 1.
async fn bc_on_hand(bc: &selvedge_bigcommerce::BigCommerceClient, sku: &str) -> Option<i64> {
    let items = bc
        .inventory_items(&InventoryQuery::default())
        .await
        .expect("items");
    items
        .into_iter()
        .filter(|i| i.identity.sku == sku)
        .flat_map(|i| i.locations)
        .find(|l| l.location_id == 1)
        .map(|l| l.total_inventory_onhand)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resyncs_write_a_style_push_a_sku_and_inject_an_order_once_never_twice() {
    resyncs(Backend::Sqlite).await;
}

/// The same with the host's store on PostgreSQL (the shared store several hosts use).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_resyncs_inject_an_order_once_never_twice() {
    resyncs(Backend::Postgres).await;
}

async fn resyncs(backend: Backend) {
    if stores::unavailable(backend) {
        return;
    }
    let (erp, bc, skus) = brand_sandboxes(Faults::default(), usize::MAX).await;
    erp.run_cycle();
    let mut client = brand_client(&erp.base_url(), &bc.base_url());
    let inventory: toml::Table = "[inventory.locations]\nNJ01 = \"1\"\n".parse().unwrap();
    client.extend(inventory);
    let dir = HostDir::on(&client, backend).expect("a store for the host");
    let _host = dir.start("the host came up").await;
    let store = dir.open_store().await;
    let bc_api = bc_client(&bc);

    // A style: the catalog writes it (the storefront's seeded product is adopted) and binds
    // its SKUs, which the SKU re-sync needs.
    let style = skus[0].split('-').next().unwrap().to_string();
    let (status, body) = resync(&dir, json!({ "style": style })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "synced", "{body}");
    let sku = skus[0].clone();
    assert!(
        store
            .binding_by_erp_sku("brand", "bigcommerce", &sku)
            .await
            .unwrap()
            .is_some(),
        "the style's SKU {sku} is bound after its re-sync"
    );

    // A SKU whose storefront stock someone changed by hand: pushed back to the ERP's ATS.
    let ats = erp.with_state(|s| {
        s.stock
            .get(&("NJ01".to_string(), sku.clone()))
            .map(|b| (b.total_qoh - b.total_pick - b.total_open).max(0))
            .expect("the seed stocks NJ01")
    });
    let drifted = ats + 500;
    set_bc_stock(&bc_api, &sku, drifted).await;
    assert_eq!(bc_on_hand(&bc_api, &sku).await, Some(drifted));
    let (status, body) = resync(&dir, json!({ "sku": sku, "location": "NJ01" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "pushed", "{body}");
    let pushed = bc_on_hand(&bc_api, &sku)
        .await
        .expect("stock at location 1");
    assert!(
        pushed <= ats && pushed != drifted,
        "the storefront sells {pushed}, the ERP's ATS is {ats} (it was set to {drifted})"
    );
    let line = &body["details"]["pushed"][0];
    assert_eq!(line["qty"].as_i64(), Some(pushed), "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("{sku} at 1: {pushed}"))),
        "{body}"
    );

    // An order the hook delivered: injected once; its re-sync names the ERP number.
    let place = |status_id: Option<i64>| {
        bc.handle()
            .create_order(&SandboxOrder {
                shipping_address: address(),
                shipping_method: "Express".into(),
                products: vec![OrderLineInput {
                    sku: sku.clone(),
                    quantity: 1,
                    price: None,
                }],
                status_id,
                ..Default::default()
            })
            .unwrap()
    };
    let delivered = place(None);
    let reference = format!("brand:bc:{delivered}");
    assert!(
        wait_until(Duration::from_secs(30), || async {
            created_by_ref(&erp, CreateKind::SalesOrder).contains_key(&reference)
        })
        .await,
        "the delivered order reached the ERP"
    );
    let number = support::erp::order_by_ref(&erp, &reference)
        .expect("in the books")
        .order_number;
    for _ in 0..2 {
        let (status, body) = resync(&dir, json!({ "order": delivered.to_string() })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "already_injected", "{body}");
        assert_eq!(
            body["message"],
            format!("already in Blue Cherry as {number}")
        );
    }

    // The same from the command line an operator uses.
    let cli = selvedge_cli(&dir, &["--order", &delivered.to_string(), "--json"]);
    assert_eq!(cli.status.code(), Some(0), "{cli:?}");
    let answered: Value = serde_json::from_slice(&cli.stdout).expect("JSON on stdout");
    assert_eq!(answered["status"], "already_injected");
    let cli = selvedge_cli(&dir, &["--order", "999999"]);
    assert_eq!(cli.status.code(), Some(2), "unknown order: {cli:?}");
    assert!(String::from_utf8_lossy(&cli.stderr).contains("999999"));

    // An order the hook never delivered: the re-sync injects it, once.
    set_order_created_hooks(&bc_api, false).await;
    let missed = place(None);
    let declined = place(Some(6));
    let missed_ref = format!("brand:bc:{missed}");
    let (status, body) = resync(&dir, json!({ "order": missed.to_string() })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "injected", "{body}");
    let (_, again) = resync(&dir, json!({ "order": missed.to_string() })).await;
    assert_eq!(again["status"], "already_injected", "{again}");
    let (status, body) = resync(&dir, json!({ "order": declined.to_string() })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "skipped", "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("stays skipped")),
        "{body}"
    );
    let created = created_by_ref(&erp, CreateKind::SalesOrder);
    assert_eq!(created.get(&reference).map(Vec::len), Some(1));
    assert_eq!(created.get(&missed_ref).map(Vec::len), Some(1));
    assert!(!created.contains_key(&format!("brand:bc:{declined}")));

    // Unknown ids are named; a paused flow says so.
    let (status, body) = resync(&dir, json!({ "order": "999999" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["error"].as_str().is_some_and(|m| m.contains("999999")));
    let (status, body) = resync(&dir, json!({ "sku": "NO-SUCH-SKU" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("NO-SUCH-SKU"))
    );
    let (status, body) = resync(&dir, json!({ "style": "NO-STYLE" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = resync(&dir, json!({ "sku": sku, "style": style })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(
        &dir,
        "/api/clients/brand/pause",
        json!({ "flow": "orders" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = resync(&dir, json!({ "order": missed.to_string() })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().is_some_and(|m| m.contains("paused")));

    // Every re-sync asked is in the audit log under the token that asked.
    let audit: Value = reqwest::Client::new()
        .get(format!("{}/api/audit?limit=100", dir.admin_url()))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resyncs = audit["entries"]
        .as_array()
        .expect("audit entries")
        .iter()
        .filter(|r| r["target"].as_str().is_some_and(|p| p.ends_with("/resync")))
        .count();
    assert_eq!(resyncs, 14, "one audit row per re-sync asked: {audit}");
}

/// Sets `sku`'s on-hand at BigCommerce location 1 through the store's API, as someone editing
/// stock in the control panel would.
async fn set_bc_stock(bc: &selvedge_bigcommerce::BigCommerceClient, sku: &str, qty: i64) {
    let item = AbsoluteAdjustment {
        location_id: 1,
        item: ItemRef::Sku(sku.to_string()),
        quantity: qty,
    };
    bc.set_inventory_absolute(Some("hand edit"), &[item])
        .await
        .expect("stock set");
}
