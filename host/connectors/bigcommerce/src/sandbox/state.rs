//! In-memory store of the sandbox: catalog, stock, locations, orders, refunds, hooks,
//! rate-limit window, injected faults and the request log.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use time::OffsetDateTime;

use crate::model::{
    Location, Order, OrderProduct, Product, ProductOption, Refund, Shipment, ShippingAddress,
    Variant, Webhook,
};

/// One request/response pair as the sandbox saw it (API routes only).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Exchange {
    /// HTTP method.
    pub method: String,
    /// `v2` or `v3`.
    pub api: String,
    /// Path below `/stores/{hash}/{api}`, e.g. `/catalog/products`.
    pub path: String,
    /// Route template, e.g. `/stores/{store_hash}/v3/catalog/products/{product_id}/options`.
    pub route: String,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
    /// Request body, when JSON.
    pub request_body: Option<serde_json::Value>,
    /// Status answered.
    pub status: u16,
    /// Response content type.
    pub content_type: Option<String>,
    /// Response body, when JSON.
    pub response_body: Option<serde_json::Value>,
}

/// A fault to inject into matching requests.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Status to answer (e.g. 500, 503).
    pub status: u16,
    /// How many matching requests get it.
    pub count: u32,
    /// Only this method (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Only paths containing this (any when absent).
    #[serde(default)]
    pub path_contains: Option<String>,
    /// Sleep before answering, in milliseconds (beyond the client timeout = a timeout).
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

/// One webhook delivery attempt.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Delivery {
    /// Hook id.
    pub hook_id: i64,
    /// Event scope.
    pub scope: String,
    /// Payload hash (the same on retries and duplicates).
    pub hash: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Status the destination answered; `None` on timeout or connection failure.
    pub status: Option<u16>,
    /// A deliberate duplicate of a delivered payload.
    pub duplicate: bool,
    /// When the attempt finished, in milliseconds since the sandbox started.
    pub at_ms: u64,
}

/// Request counters.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Counters {
    /// Requests per route (`METHOD template`).
    pub requests: BTreeMap<String, u64>,
    /// 429 answers served.
    pub throttled: u64,
    /// All API requests.
    pub total: u64,
}

/// An order with its lines, addresses and shipments.
#[derive(Debug, Clone)]
pub(crate) struct OrderRec {
    pub order: Order,
    pub created: OffsetDateTime,
    pub modified: OffsetDateTime,
    pub products: Vec<OrderProduct>,
    pub addresses: Vec<ShippingAddress>,
    pub shipments: Vec<Shipment>,
}

/// A stock change not yet visible (inventory is processed asynchronously).
#[derive(Debug, Clone)]
pub(crate) struct PendingStock {
    pub visible_at: Instant,
    pub variant_id: i64,
    pub location_id: i64,
    pub quantity: i64,
}

/// Everything the sandbox stores.
#[derive(Debug)]
pub(crate) struct Store {
    pub started: Instant,
    next_id: i64,
    pub products: BTreeMap<i64, Product>,
    pub variants: BTreeMap<i64, Variant>,
    pub options: BTreeMap<i64, ProductOption>,
    /// (variant id, location id) -> on hand.
    pub stock: BTreeMap<(i64, i64), i64>,
    pub pending: Vec<PendingStock>,
    pub inventory_lag_ms: u64,
    pub locations: BTreeMap<i64, Location>,
    pub orders: BTreeMap<i64, OrderRec>,
    pub refunds: BTreeMap<i64, Refund>,
    pub hooks: BTreeMap<i64, Webhook>,
    pub quota: u32,
    pub window_ms: u64,
    pub window_start: Instant,
    pub window_used: u32,
    pub faults: Vec<Fault>,
    pub log: Vec<Exchange>,
    pub counters: Counters,
    pub deliveries: Vec<Delivery>,
    pub forced_duplicates: u32,
}

impl Store {
    pub(crate) fn new(quota: u32, window_ms: u64, inventory_lag_ms: u64) -> Self {
        let now = Instant::now();
        let mut locations = BTreeMap::new();
        locations.insert(
            1,
            Location {
                id: 1,
                code: "BC-DEFAULT".into(),
                label: "Default location".into(),
                enabled: true,
                type_id: crate::model::LocationType::Physical,
                managed_by_external_source: false,
                time_zone: None,
                address: None,
            },
        );
        Self {
            started: now,
            // Ids start high so they are never confused with counts in tests.
            next_id: 100,
            products: BTreeMap::new(),
            variants: BTreeMap::new(),
            options: BTreeMap::new(),
            stock: BTreeMap::new(),
            pending: Vec::new(),
            inventory_lag_ms,
            locations,
            orders: BTreeMap::new(),
            refunds: BTreeMap::new(),
            hooks: BTreeMap::new(),
            quota,
            window_ms,
            window_start: now,
            window_used: 0,
            faults: Vec::new(),
            log: Vec::new(),
            counters: Counters::default(),
            deliveries: Vec::new(),
            forced_duplicates: 0,
        }
    }

    pub(crate) fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Who holds `sku` (case-insensitive across products and variants), other than `except`
    /// (a product id and/or variant id being updated).
    pub(crate) fn sku_owner(
        &self,
        sku: &str,
        except_product: Option<i64>,
        except_variant: Option<i64>,
    ) -> Option<String> {
        if sku.is_empty() {
            return None;
        }
        let wanted = sku.to_lowercase();
        for p in self.products.values() {
            if Some(p.id) != except_product && p.sku.to_lowercase() == wanted {
                return Some(format!("product {}", p.id));
            }
        }
        for v in self.variants.values() {
            if Some(v.id) != except_variant
                && Some(v.product_id) != except_product
                && v.sku.to_lowercase() == wanted
            {
                return Some(format!("variant {}", v.id));
            }
        }
        None
    }

    /// Makes due asynchronous stock changes visible.
    pub(crate) fn settle_stock(&mut self) {
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) =
            self.pending.drain(..).partition(|p| p.visible_at <= now);
        self.pending = later;
        for p in due {
            self.stock.insert((p.variant_id, p.location_id), p.quantity);
        }
    }

    /// A product with its variants and options, as `include=variants,options` shows it.
    pub(crate) fn full_product(&self, id: i64, variants: bool, options: bool) -> Option<Product> {
        let mut p = self.products.get(&id)?.clone();
        if variants {
            p.variants = self
                .variants
                .values()
                .filter(|v| v.product_id == id)
                .map(|v| self.shown_variant(v))
                .collect();
        }
        if options {
            p.options = self
                .options
                .values()
                .filter(|o| o.product_id == id)
                .cloned()
                .collect();
        }
        p.inventory_level = self
            .variants
            .values()
            .filter(|v| v.product_id == id)
            .map(|v| self.stock.get(&(v.id, 1)).copied().unwrap_or(0))
            .sum();
        Some(p)
    }

    /// A variant with its default-location stock and calculated price.
    pub(crate) fn shown_variant(&self, v: &Variant) -> Variant {
        let mut v = v.clone();
        v.inventory_level = Some(self.stock.get(&(v.id, 1)).copied().unwrap_or(0));
        let product_price = self
            .products
            .get(&v.product_id)
            .map(|p| p.price)
            .unwrap_or_default();
        v.calculated_price = Some(
            v.sale_price
                .filter(|s| s.cents() > 0)
                .or(v.price)
                .unwrap_or(product_price),
        );
        v
    }

    pub(crate) fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Stock keyed by request counters.
    pub(crate) fn count(&mut self, route: &str) {
        *self.counters.requests.entry(route.to_owned()).or_default() += 1;
        self.counters.total += 1;
    }
}

/// RFC 2822 as Orders V2 writes dates.
pub(crate) fn rfc2822(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc2822)
        .unwrap_or_default()
}

/// RFC 3339 as V3 writes dates.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Parses a V2 date filter: RFC 2822, RFC 3339 or a Unix timestamp.
pub(crate) fn parse_date(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::{Rfc2822, Rfc3339};
    OffsetDateTime::parse(s, &Rfc2822)
        .or_else(|_| OffsetDateTime::parse(s, &Rfc3339))
        .ok()
        .or_else(|| {
            s.parse::<i64>()
                .ok()
                .and_then(|n| OffsetDateTime::from_unix_timestamp(n).ok())
        })
}
