//! Fulfilment: ERP shipments reach the storefronts with tracking, once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use selvedge::flows::fulfilment::{self, FulfilmentSettings};
use selvedge::flows::orders::{self, order_kind};
use selvedge_sparklayer::model::LookupBy;
use selvedge_sparklayer::sandbox::Checkout;
use selvedge_store::OrderKey;
use serde_json::json;
use support::Harness;
use support::b2b::return_package;
use support::orders::*;

async fn ship(env: &Harness, number: &str, body: serde_json::Value) {
    let url = format!("{}/sandbox/orders/{number}/ship", env.erp.base_url());
    let answer = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        answer.status().is_success(),
        "{}",
        answer.text().await.unwrap_or_default()
    );
}

async fn injected(env: &Harness, storefront: &str, id: &str) -> String {
    let key = OrderKey::new(&env.ctx.client, storefront, id);
    let rec = env.store.order(&key).await.unwrap().expect("ledger record");
    rec.erp_order_no.expect("injected")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_shipment_becomes_a_bigcommerce_shipment_with_tracking() {
    let settings = fast_settings();
    let env = b2c(Options::default(), &settings).await;
    let (a, b) = (env.skus[0].clone(), env.skus[1].clone());
    let id = env.checkout("Express", &[(&a, 2), (&b, 2)]);
    assert!(env.wait_for_queue_depth(&order_kind("brand"), 1).await);
    orders::run_and_drain(&env.ctx, &settings).await.unwrap();
    let number = injected(&env, "bigcommerce", &id.to_string()).await;
    ship(
        &env,
        &number,
        json!({ "carrier": "UPS", "tracking": "1Z999AA10123456784",
                                "lines": [{ "sku": a, "qty": 1 }] }),
    )
    .await;
    let report = fulfilment::run(&env.ctx, &FulfilmentSettings::default())
        .await
        .unwrap();
    assert!(report.summary.contains("1 applied"), "{}", report.summary);
    let products = env.bc_client().order_products(id).await.unwrap();
    let line_a = products.iter().find(|p| p.sku == a).expect("line a");
    let shipments = env.bc_client().list_shipments(id).await.unwrap();
    assert_eq!(shipments.len(), 1);
    assert_eq!(shipments[0].tracking_number, "1Z999AA10123456784");
    assert_eq!(shipments[0].order_address_id, line_a.order_address_id);
    assert_eq!(shipments[0].items.len(), 1);
    assert_eq!(shipments[0].items[0].order_product_id, line_a.id);
    assert_eq!(shipments[0].items[0].quantity, 1);
    // Idempotent: nothing new, nothing sent again.
    fulfilment::run(&env.ctx, &FulfilmentSettings::default())
        .await
        .unwrap();
    assert_eq!(env.bc_client().list_shipments(id).await.unwrap().len(), 1);
    // The rest ships later as a second shipment.
    ship(
        &env,
        &number,
        json!({ "carrier": "FEDEX", "tracking": "7489" }),
    )
    .await;
    fulfilment::run(&env.ctx, &FulfilmentSettings::default())
        .await
        .unwrap();
    let shipments = env.bc_client().list_shipments(id).await.unwrap();
    assert_eq!(shipments.len(), 2);
    let units: i64 = shipments
        .iter()
        .flat_map(|s| &s.items)
        .map(|i| i.quantity)
        .sum();
    assert_eq!(units, 4);
}

/// A Sparklayer purchase of 2 units injected and shipped in full in the ERP with `tracking`:
/// its Sparklayer id and ERP order number.
async fn shipped_purchase(env: &Harness, tracking: &str) -> (String, String) {
    let sku = env.skus[0].clone();
    let id = env.sl_checkout(Checkout {
        po_number: Some(format!("PO-{tracking}")),
        currency_code: None,
        ..b2b_checkout("WH-NJ", &[(&sku, 2)])
    });
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    let number = injected(env, "sparklayer", &id).await;
    ship(
        env,
        &number,
        json!({ "carrier": "DHL", "tracking": tracking }),
    )
    .await;
    (id, number)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sparklayer_purchase_gets_its_package_and_status() {
    let env = b2b(Options::default()).await;
    let (id, number) = shipped_purchase(&env, "JD0140").await;
    fulfilment::run(&env.ctx, &FulfilmentSettings::default())
        .await
        .unwrap();
    fulfilment::run(&env.ctx, &FulfilmentSettings::default())
        .await
        .unwrap();
    let sl = env.sl_client();
    let p = sl
        .get_purchase(LookupBy::Sparklayer, &id)
        .await
        .unwrap()
        .expect("purchase");
    assert_eq!(p.packages.len(), 1, "one package, even after two runs");
    assert_eq!(p.packages[0].tracking_number.as_deref(), Some("JD0140"));
    assert_eq!(p.status.as_deref(), Some("shipped"));
    assert_eq!(
        p.purchase_identifiers.internal.as_deref(),
        Some(number.as_str())
    );
    // Our own update does not look like an edit to the order poll.
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    assert_eq!(env.erp_orders().len(), 1);
}

/// Sparklayer's purchase write replaces the whole purchase and has no version to send: a return
/// an admin saves while the host is writing a shipment must not be overwritten by the host's
/// older copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sparklayer_return_saved_between_the_hosts_read_and_write_survives_the_shipment() {
    let env = b2b(Options::default()).await;
    let sku = env.skus[0].clone();
    let (id, _) = shipped_purchase(&env, "JD0141").await;
    // Saved just after the host's first read of the purchase is answered.
    env.sl()
        .state()
        .add_package_after_next_read(&id, return_package(&[(&sku, 1)]));
    let report = fulfilment::run(&env.ctx, &FulfilmentSettings::default())
        .await
        .unwrap();
    assert_eq!(report.measurements.changed, Some(1), "{}", report.summary);
    let p = env
        .sl_client()
        .get_purchase(LookupBy::Sparklayer, &id)
        .await
        .unwrap()
        .expect("purchase");
    let kinds: Vec<&str> = p.packages.iter().map(|k| k.package_type.as_str()).collect();
    assert_eq!(kinds, vec!["return", "shipment"], "the return is kept");
    assert_eq!(p.packages[1].tracking_number.as_deref(), Some("JD0141"));
    assert_eq!(p.status.as_deref(), Some("shipped"));
}
