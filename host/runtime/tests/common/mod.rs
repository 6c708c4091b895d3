#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use selvedge_runtime::rules::inventory::{StockContext, StockRows};
use selvedge_runtime::rules::orders::{OrderLine, PaymentKind, StorefrontOrder};
use selvedge_runtime::rules::types::{Address, Storefront};
use selvedge_runtime::{ClientContext, PluginVersion, Runtime, RuntimeOptions};

pub fn runtime() -> Arc<Runtime> {
    Runtime::new(RuntimeOptions {
        max_concurrent_calls: 8,
        ..RuntimeOptions::default()
    })
    .expect("engine")
}

pub fn guest(name: &str) -> PathBuf {
    selvedge_plugin_artifacts::test_guest(name)
}

pub fn load(runtime: &Arc<Runtime>, client: &str, path: &std::path::Path) -> Arc<PluginVersion> {
    runtime.load_file(client, path, None).expect("plugin loads")
}

pub fn context(client: &str) -> Arc<ClientContext> {
    Arc::new(ClientContext::new(client))
}

/// `n` rows of stock: on hand cycles 0..50, a few picked, every 7th row in season 1.
pub fn stock(n: usize) -> (StockContext, StockRows) {
    let ctx = StockContext {
        locations: vec!["NJ01".into(), "CA02".into()],
        categories: vec!["Tops".into(), "Outerwear".into()],
        seasons: vec!["SP25".into(), "FA26".into()],
        cycle_latency_minutes: 30,
    };
    let rows = StockRows {
        location: (0..n).map(|i| (i % 2) as u16).collect(),
        category: (0..n).map(|i| (i % 3 == 0) as u16).collect(),
        season: (0..n).map(|i| (i % 7 == 0) as u16).collect(),
        on_hand: (0..n).map(|i| (i % 50) as i32).collect(),
        picked: (0..n).map(|i| (i % 5) as i32).collect(),
        open_orders: (0..n).map(|i| (i % 3) as i32).collect(),
        ship_to_wip: vec![0; n],
        open_work_orders: (0..n).map(|i| (i % 11) as i32 * 10).collect(),
        in_transit: (0..n).map(|i| (i % 4) as i32).collect(),
        weekly_sales: (0..n).map(|i| (i % 40) as u32).collect(),
        sku_buffer: (0..n).map(|i| if i % 97 == 0 { 3 } else { -1 }).collect(),
    };
    (ctx, rows)
}

pub fn order(id: &str, shipping_method: &str) -> StorefrontOrder {
    StorefrontOrder {
        storefront: Storefront::Bigcommerce,
        order_id: id.into(),
        customer_id: "7".into(),
        erp_customer: None,
        customer_group: None,
        shipping_method: shipping_method.into(),
        location: None,
        payment: PaymentKind::Card,
        currency: "USD".into(),
        subtotal: 4900,
        shipping: 500,
        tax: 392,
        total: 5792,
        attributes: vec![],
        ship_to: Address {
            name: "Ada".into(),
            company: String::new(),
            street1: "1 Main St".into(),
            street2: String::new(),
            city: "Newark".into(),
            state: "NJ".into(),
            zip: "07102".into(),
            country: "US".into(),
            phone: String::new(),
        },
        lines: vec![OrderLine {
            line_id: "1".into(),
            sku: "10010-BLK-M".into(),
            quantity: 1,
            unit_price: 4900,
        }],
        terms: None,
    }
}
