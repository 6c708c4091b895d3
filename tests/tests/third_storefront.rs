//! A third storefront behind the ports: the flows run against it without knowing it.
//!
//! `Outlet` is an in-memory storefront implementing only the stock and order ports. The
//! brand's ERP, store and plugin are real (Blue Cherry sandbox, SQLite file, `b2c-apparel`
//! component); the same inventory cycle is pushed to BigCommerce and to the outlet, and the
//! outlet's orders go through the generic sweep and the injector into the ERP sandbox.

use crate::support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use selvedge::flows::catalog::{self, CatalogSettings};
use selvedge::flows::orders::{self, OrdersSettings};
use selvedge::flows::refunds::{self, RefundsSettings};
use selvedge::flows::{ClientServices, FlowError, inventory};
use selvedge::storefronts::{
    CallCount, Capability, FetchedOrder, ListedOrder, LocationTarget, OrderSource, OrderTotals,
    PortError, StatusRule, StockLine, StockSink, StockSnapshot, Storefront,
};
use selvedge_runtime::rules::orders::{OrderLine, PaymentKind, StorefrontOrder};
use selvedge_runtime::rules::types::{Address, Storefront as RulesStorefront};
use selvedge_store::SkuBinding;
use support::b2c::brand_with_locations;
use time::OffsetDateTime;

const NAME: &str = "outlet";

/// What the outlet was sent, and the orders it sells.
#[derive(Default)]
struct Outlet {
    /// (SKU, location key) -> last quantity received.
    stock: Mutex<BTreeMap<(String, String), i64>>,
    /// (order, status).
    orders: Vec<(StorefrontOrder, StatusRule)>,
    calls: Mutex<u64>,
}

impl Outlet {
    fn count(&self) {
        if let Ok(mut calls) = self.calls.lock() {
            *calls += 1;
        }
    }
}

#[async_trait]
impl Storefront for Outlet {
    fn name(&self) -> &'static str {
        NAME
    }

    fn calls(&self) -> CallCount {
        CallCount {
            calls: self.calls.lock().map(|c| *c).unwrap_or(0),
            ..CallCount::default()
        }
    }

    fn stock(&self) -> Result<&dyn StockSink, PortError> {
        Ok(self)
    }

    fn orders(&self) -> Result<&dyn OrderSource, PortError> {
        Ok(self)
    }
}

#[async_trait]
impl StockSink for Outlet {
    async fn resolve_locations(
        &self,
        configured: &[String],
    ) -> Result<Vec<LocationTarget>, PortError> {
        Ok(configured
            .iter()
            .map(|c| LocationTarget {
                configured: c.clone(),
                key: c.clone(),
                numeric_id: None,
            })
            .collect())
    }

    fn split(&self, locations_of_lines: &[usize], _locations: usize) -> Vec<Vec<usize>> {
        (0..locations_of_lines.len())
            .collect::<Vec<_>>()
            .chunks(100)
            .map(<[usize]>::to_vec)
            .collect()
    }

    async fn push(&self, targets: &[LocationTarget], lines: &[StockLine]) -> Result<(), PortError> {
        self.count();
        let mut stock = self.stock.lock().expect("stock");
        for l in lines {
            stock.insert((l.sku.clone(), targets[l.location].key.clone()), l.qty);
        }
        Ok(())
    }

    async fn read_stock(&self) -> Result<StockSnapshot, PortError> {
        Err(self.unsupported(Capability::StockRead))
    }
}

#[async_trait]
impl OrderSource for Outlet {
    async fn changed_since(
        &self,
        _since: Option<OffsetDateTime>,
    ) -> Result<Vec<ListedOrder>, PortError> {
        self.count();
        Ok(self
            .orders
            .iter()
            .map(|(o, status)| ListedOrder {
                id: o.order_id.clone(),
                status: *status,
                modified_at: Some(OffsetDateTime::now_utc()),
                content_hash: None,
            })
            .collect())
    }

    fn first_poll_starts_now(&self) -> bool {
        false
    }

    fn cursor_name(&self) -> &'static str {
        "outlet.orders.changed_since"
    }

    fn edits_are_revisions(&self) -> bool {
        false
    }

    async fn fetch(&self, id: &str) -> Result<Option<FetchedOrder>, PortError> {
        self.count();
        Ok(self
            .orders
            .iter()
            .find(|(o, _)| o.order_id == id)
            .map(|(o, status)| FetchedOrder {
                order: o.clone(),
                status: *status,
                content_hash: format!("{o:?}"),
            }))
    }

    async fn status(&self, id: &str) -> Result<StatusRule, PortError> {
        Ok(self
            .orders
            .iter()
            .find(|(o, _)| o.order_id == id)
            .map_or(StatusRule::Skip("gone"), |(_, s)| *s))
    }

    async fn totals(&self, _id: &str) -> Result<Option<OrderTotals>, PortError> {
        Ok(None)
    }

    fn legacy_ref_prefix(&self) -> &'static str {
        "OUT-"
    }

    async fn register_webhooks(
        &self,
        _destination: &str,
        _secret: &str,
    ) -> Result<usize, PortError> {
        Err(self.unsupported(Capability::OrderWebhooks))
    }
}

fn outlet_order(id: &str, lines: &[(&str, u32)]) -> StorefrontOrder {
    let lines: Vec<OrderLine> = lines
        .iter()
        .enumerate()
        .map(|(i, (sku, quantity))| OrderLine {
            line_id: i.to_string(),
            sku: (*sku).to_string(),
            quantity: *quantity,
            unit_price: 2_800,
        })
        .collect();
    let subtotal: i64 = lines
        .iter()
        .map(|l| l.unit_price * i64::from(l.quantity))
        .sum();
    StorefrontOrder {
        storefront: RulesStorefront::Bigcommerce,
        order_id: id.to_string(),
        customer_id: String::new(),
        erp_customer: None,
        customer_group: None,
        shipping_method: "Standard".into(),
        location: None,
        payment: PaymentKind::Card,
        currency: "USD".into(),
        subtotal,
        shipping: 0,
        tax: 0,
        total: subtotal,
        attributes: Vec::new(),
        ship_to: Address {
            name: "Ada Lovelace".into(),
            company: String::new(),
            street1: "1 Loop Road".into(),
            street2: String::new(),
            city: "Newark".into(),
            state: "NJ".into(),
            zip: "07102".into(),
            country: "US".into(),
            phone: String::new(),
        },
        lines,
        terms: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_storefront_behind_the_ports_gets_the_plugins_stock_and_its_orders_reach_the_erp() {
    let (h, settings) = brand_with_locations(3, &["NJ01"]).await;
    let pushed_to_bigcommerce = inventory::run(&h.ctx, &settings)
        .await
        .expect("BigCommerce cycle")
        .measurements
        .changed;
    let bigcommerce: BTreeMap<String, i64> = h
        .bc_stock()
        .await
        .into_iter()
        .filter(|((_, location), _)| *location == 1)
        .map(|((sku, _), qty)| (sku, qty))
        .collect();

    // The outlet sells the SKUs the catalog bound on BigCommerce, under the same names.
    // (The catalog's product-level bindings carry no variant: not SKUs.)
    let bound: Vec<SkuBinding> = h
        .ctx
        .store
        .list_bindings("brand", "bigcommerce")
        .await
        .expect("bindings")
        .into_iter()
        .filter(|b| b.variant_id.is_some())
        .collect();
    assert!(!bound.is_empty());
    let outlet_bindings: Vec<SkuBinding> = bound
        .iter()
        .map(|b| SkuBinding {
            client: "brand".into(),
            storefront: NAME.into(),
            variant_id: None,
            ..b.clone()
        })
        .collect();
    h.ctx
        .store
        .upsert_bindings(&outlet_bindings, OffsetDateTime::now_utc())
        .await
        .expect("outlet bindings");
    // The plugin sends the line SKU as the ERP SKU (as BigCommerce's SKUs are in the brand's
    // real store); card orders are checked against the web customer's credit.
    let skus: Vec<String> = bound.iter().map(|b| b.erp_sku.clone()).collect();
    h.erp.with_state(|s| {
        for c in s.customers.iter_mut().filter(|c| c.customer == "WEB001") {
            c.credit_limit = selvedge_bluecherry::model::Cents(1_000_000_000);
        }
    });
    let orders = vec![
        (
            outlet_order("9001", &[(&skus[0], 2), (&skus[1], 1)]),
            StatusRule::Inject,
        ),
        (outlet_order("9002", &[(&skus[2], 3)]), StatusRule::Inject),
        (
            outlet_order("9003", &[(&skus[0], 1)]),
            StatusRule::Skip("declined at the outlet"),
        ),
    ];
    let outlet = Arc::new(Outlet {
        orders,
        ..Outlet::default()
    });
    let ctx = ClientServices {
        storefront: outlet.clone(),
        ..h.ctx.clone()
    };

    // Stock: the same cycle (pushed again), the plugin's numbers, every bound SKU.
    let mut outlet_settings = settings.clone();
    outlet_settings.repush_cycle = true;
    outlet_settings.locations = [("NJ01".to_string(), "main".to_string())].into();
    let report = inventory::run(&ctx, &outlet_settings)
        .await
        .expect("outlet cycle");
    let received: BTreeMap<String, i64> = outlet
        .stock
        .lock()
        .expect("stock")
        .iter()
        .map(|((sku, location), qty)| {
            assert_eq!(location, "main");
            (sku.clone(), *qty)
        })
        .collect();
    assert_eq!(
        Some(received.len() as u64),
        pushed_to_bigcommerce,
        "every SKU-location the cycle has: {report:?}"
    );
    assert!(received.values().any(|q| *q > 0), "{received:?}");
    for (sku, qty) in &received {
        assert_eq!(
            Some(qty),
            bigcommerce.get(sku),
            "{sku}: the outlet got what BigCommerce got from the plugin"
        );
    }
    assert_eq!(report.measurements.api_calls, Some(1), "one push request");

    // Orders: the sweep and the injector, storefront unknown to both.
    let settings = OrdersSettings::default();
    orders::run_and_drain(&ctx, &settings)
        .await
        .expect("orders");
    let invalid = h.exceptions("order_invalid").await;
    assert!(invalid.is_empty(), "{invalid:?}");
    let erp: BTreeMap<String, Vec<(String, i64)>> = h.erp.with_state(|s| {
        s.orders
            .iter()
            .map(|o| {
                let lines = o
                    .order
                    .lines
                    .iter()
                    .map(|l| (l.sku.clone(), l.qty))
                    .collect();
                (o.order.external_ref.clone(), lines)
            })
            .collect()
    });
    assert_eq!(
        erp.keys().cloned().collect::<Vec<_>>(),
        vec!["brand:outlet:9001".to_string(), "brand:outlet:9002".into()],
        "the declined order never reaches the ERP"
    );
    assert_eq!(
        erp["brand:outlet:9001"],
        vec![(skus[0].clone(), 2), (skus[1].clone(), 1)]
    );
    assert_eq!(erp["brand:outlet:9002"], vec![(skus[2].clone(), 3)]);
    // Run again: nothing doubles.
    orders::run_and_drain(&ctx, &settings)
        .await
        .expect("orders again");
    assert_eq!(h.erp.with_state(|s| s.orders.len()), 2);

    // What it lacks is a typed "not supported", naming storefront and capability.
    let refused = catalog::run(&ctx, &CatalogSettings::default()).await;
    assert!(
        matches!(
            refused,
            Err(FlowError::Storefront(PortError::NotSupported {
                storefront: NAME,
                capability: Capability::Catalog
            }))
        ),
        "{refused:?}"
    );
    let refused = refunds::run(&ctx, &RefundsSettings::default()).await;
    let message = refused.expect_err("no refunds port").to_string();
    assert_eq!(message, "outlet does not support refund reads");
}
