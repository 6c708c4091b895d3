//! Demo data: B2B customers with pay-on-account terms, two price lists, two warehouses.

use serde_json::Map;

use super::state::{PriceListRecord, SandboxState};
use crate::model::customer::{METAFIELD_NAMESPACE, PAYMENT_ON_ACCOUNT_KEY};
use crate::model::{
    Customer, Metafield, PaymentOnAccount, PriceList, SkuPricing, StockLocation, TierPrice,
};

/// A demo B2B customer.
#[derive(Debug, Clone, Copy)]
pub struct DemoCustomer {
    /// Sparklayer id.
    pub id: &'static str,
    /// Our (ERP) customer code.
    pub code: &'static str,
    /// Company name.
    pub name: &'static str,
    /// Customer group.
    pub group: &'static str,
    /// Price list assigned through the `price_lists` metafield.
    pub price_list: &'static str,
    /// Pay-on-account terms: (credit limit cents, balance cents, net terms days).
    pub terms: Option<(i64, i64, u16)>,
}

/// Demo customers: two trade accounts on pay-on-account terms, one card-only wholesaler.
pub const DEMO_CUSTOMERS: [DemoCustomer; 3] = [
    DemoCustomer {
        id: "cust_harbour",
        code: "HARB01",
        name: "Harbour Outfitters Ltd",
        group: "trade",
        price_list: "trade-gbp",
        terms: Some((500_000, 125_000, 30)),
    },
    DemoCustomer {
        id: "cust_northfield",
        code: "NORTH02",
        name: "Northfield Boutique",
        group: "trade",
        price_list: "trade-gbp",
        terms: Some((250_000, 0, 60)),
    },
    DemoCustomer {
        id: "cust_pier",
        code: "PIER03",
        name: "Pier & Co Wholesale",
        group: "wholesale",
        price_list: "wholesale-usd",
        terms: None,
    },
];

/// Quantity breaks of one SKU: (quantity, unit price cents).
pub type DemoTiers = (&'static str, &'static [(u32, i64)]);

/// A demo price list.
#[derive(Debug, Clone, Copy)]
pub struct DemoPriceList {
    /// Slug.
    pub slug: &'static str,
    /// Name.
    pub name: &'static str,
    /// Currency.
    pub currency: &'static str,
    /// Tiers per SKU.
    pub skus: &'static [DemoTiers],
}

/// Demo price lists.
pub const DEMO_PRICE_LISTS: [DemoPriceList; 2] = [
    DemoPriceList {
        slug: "trade-gbp",
        name: "Trade GBP",
        currency: "GBP",
        skus: &[
            ("TEE-ORG-BLK-M", &[(1, 1200), (12, 1080), (48, 960)]),
            ("HOOD-NVY-L", &[(1, 3200), (12, 2900)]),
        ],
    },
    DemoPriceList {
        slug: "wholesale-usd",
        name: "Wholesale USD",
        currency: "USD",
        skus: &[("TEE-ORG-BLK-M", &[(1, 1400), (24, 1200)])],
    },
];

/// Demo stock locations: (our warehouse code, name).
pub const DEMO_LOCATIONS: [(&str, &str); 2] = [("WH-LDN", "London DC"), ("WH-NJ", "New Jersey DC")];

/// Loads the demo data into `state` (replacing records with the same keys).
pub fn seed_demo(state: &SandboxState) {
    let mut store = state.lock();
    for DemoCustomer {
        id,
        code,
        name,
        group,
        price_list: list,
        terms,
    } in DEMO_CUSTOMERS
    {
        let mut metafields = vec![Metafield {
            namespace: METAFIELD_NAMESPACE.into(),
            key: "price_lists".into(),
            value: format!("[\"{list}\"]"),
        }];
        if let Some((limit, balance, days)) = terms {
            let terms = PaymentOnAccount::new(limit, balance, Some(days));
            if let Ok(value) = serde_json::to_string(&terms) {
                metafields.push(Metafield {
                    namespace: METAFIELD_NAMESPACE.into(),
                    key: PAYMENT_ON_ACCOUNT_KEY.into(),
                    value,
                });
            }
        }
        store.customers.insert(
            id.into(),
            Customer {
                id: id.into(),
                external_id: Some(code.into()),
                email: Some(format!("buyer@{}.example", code.to_lowercase())),
                name: Some(name.into()),
                customer_group: Some(group.into()),
                metafields,
                extra: Map::new(),
            },
        );
    }
    for DemoPriceList {
        slug,
        name,
        currency,
        skus,
    } in DEMO_PRICE_LISTS
    {
        let pricing = skus
            .iter()
            .map(|(sku, tiers)| {
                let pricing = tiers
                    .iter()
                    .map(|&(quantity, price_cents)| TierPrice {
                        quantity,
                        price_cents,
                        unit_of_measure: None,
                    })
                    .collect();
                (
                    sku.to_string(),
                    SkuPricing {
                        sku: sku.to_string(),
                        display_tax_rate: None,
                        pricing,
                    },
                )
            })
            .collect();
        let list = PriceList {
            slug: slug.into(),
            name: name.into(),
            currency_code: currency.into(),
            source: Some("bluecherry".into()),
            tax_inclusive_display: Some(false),
            rules: Vec::new(),
        };
        store
            .price_lists
            .insert(slug.into(), PriceListRecord { list, pricing });
    }
    for (code, name) in DEMO_LOCATIONS {
        if store.location_by_external_id(code).is_none() {
            let id = format!("loc_{}", store.next_seq());
            store.locations.push(StockLocation {
                id,
                name: name.into(),
                external_id: Some(code.into()),
            });
        }
    }
}
