//! The B2C brand (`brand`, plugin `b2c-apparel`) on BigCommerce, as the catalog, inventory and
//! reconcile flows find it: the storefront is empty until the catalog flow runs.

use std::collections::BTreeMap;

use selvedge::flows::catalog::{self, CatalogSettings};
use selvedge::flows::inventory::InventorySettings;
use selvedge_bigcommerce::Money;
use selvedge_bigcommerce::model::{InventoryQuery, LocationAddress, LocationType, NewLocation};
use selvedge_bigcommerce::sandbox::SeedProduct;
use selvedge_bluecherry::BlueCherryConfig;
use selvedge_store::SkuBinding;

use super::stores::{Backend, TestDb};
use super::{Harness, Storefront, bc_sandbox, erp, erp_sandbox};

/// The brand on an ERP with `styles` styles. BigCommerce's quota is out of reach of any test,
/// so only a test that sets its own quota sees throttling.
pub async fn brand(styles: usize) -> Harness {
    let erp = erp::start(styles).await;
    let erp_config = BlueCherryConfig::new(erp.base_url());
    let bc = start_bc(bc_sandbox::SandboxConfig {
        quota: 100_000,
        window_ms: 1_000,
        ..Default::default()
    })
    .await;
    Harness::wire(
        TestDb::fresh(Backend::Sqlite).expect("a SQLite file"),
        erp,
        erp_config,
        Storefront::BigCommerce(bc),
    )
    .await
}

/// The brand with its catalog on BigCommerce and each of `warehouses` stocked in the ERP and
/// mapped to a location (NJ01 to the default location 1, the others to new ones): where the
/// inventory flow starts from. The ERP's first cycle after the new warehouses has run.
pub async fn brand_with_locations(
    styles: usize,
    warehouses: &[&str],
) -> (Harness, InventorySettings) {
    let h = brand(styles).await;
    // The seed stocks NJ01 and CA02.
    let extra: Vec<&str> = warehouses
        .iter()
        .copied()
        .filter(|w| !["NJ01", "CA02"].contains(w))
        .collect();
    h.add_erp_warehouses(&extra);
    h.erp.run_cycle();
    catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("catalog");
    let mut settings = InventorySettings::default();
    for w in warehouses {
        let location = if *w == "NJ01" {
            "1".to_string()
        } else {
            h.add_bc_location(w).await.to_string()
        };
        settings.locations.insert(w.to_string(), location);
    }
    (h, settings)
}

/// A BigCommerce sandbox (empty until seeded or the catalog flow runs).
pub async fn start_bc(config: bc_sandbox::SandboxConfig) -> bc_sandbox::Sandbox {
    bc_sandbox::Sandbox::start(config)
        .await
        .expect("BigCommerce sandbox")
}

/// Up to `styles` of the ERP's styles without a fit dimension, as BigCommerce products to seed
/// the sandbox with: $28, and stock no order drop runs out of.
pub fn seed_products(erp: &erp_sandbox::Sandbox, styles: usize) -> Vec<SeedProduct> {
    erp.with_state(|s| {
        erp::plain_styles(s)
            .take(styles)
            .map(|st| SeedProduct {
                name: st.name.clone(),
                style: st.style.clone(),
                price: Money(2800),
                sizes: st.sizes.iter().map(|z| z.code.clone()).collect(),
                colours: st.colours.iter().map(|c| c.code.clone()).collect(),
                stock: 1_000_000,
                custom_fields: vec![],
            })
            .collect()
    })
}

impl Harness {
    /// Creates a BigCommerce location with this code; returns its id.
    pub async fn add_bc_location(&self, code: &str) -> i64 {
        let new = NewLocation {
            code: code.into(),
            label: format!("Warehouse {code}"),
            enabled: true,
            type_id: LocationType::Physical,
            managed_by_external_source: false,
            time_zone: "America/New_York".into(),
            address: LocationAddress::default(),
        };
        self.bc_client()
            .create_location(&new)
            .await
            .expect("location")
            .id
    }

    /// The binding the catalog flow made for an ERP SKU, and its BigCommerce variant id.
    pub async fn bc_variant(&self, erp_sku: &str) -> (SkuBinding, i64) {
        let binding = self
            .ctx
            .store
            .binding_by_erp_sku(&self.ctx.client, "bigcommerce", erp_sku)
            .await
            .expect("binding")
            .expect("bound");
        let variant = binding
            .variant_id
            .as_deref()
            .and_then(|v| v.parse().ok())
            .expect("variant id");
        (binding, variant)
    }

    /// Stock on BigCommerce: (SKU, location id) -> on hand.
    pub async fn bc_stock(&self) -> BTreeMap<(String, i64), i64> {
        let items = self
            .bc_client()
            .inventory_items(&InventoryQuery::default())
            .await
            .expect("items");
        items
            .into_iter()
            .flat_map(|i| {
                i.locations.into_iter().map(move |l| {
                    (
                        (i.identity.sku.clone(), l.location_id),
                        l.total_inventory_onhand,
                    )
                })
            })
            .collect()
    }

    /// The items of each absolute inventory adjustment in the BigCommerce sandbox's log.
    pub fn adjustment_requests(&self) -> Vec<Vec<serde_json::Value>> {
        self.bc()
            .handle()
            .exchanges()
            .into_iter()
            .filter(|e| e.method == "PUT" && e.path == "/inventory/adjustments/absolute")
            .map(|e| {
                e.request_body
                    .as_ref()
                    .and_then(|b| b["items"].as_array().cloned())
                    .unwrap_or_default()
            })
            .collect()
    }
}
