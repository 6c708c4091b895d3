//! What the sandbox holds, and the read access tests and the demo use.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use time::OffsetDateTime;

use super::SandboxConfig;
use super::faults::{FaultPlan, QuotaWindow};
use crate::model::{
    Customer, Package, PriceList, Purchase, SkuPricing, StockLocation, SyncLogUpdate, TierPrice,
};

/// Shared handle to the sandbox's data; cheap to clone.
#[derive(Clone)]
pub struct SandboxState {
    inner: Arc<Mutex<Store>>,
}

/// A price list and the tiers of each SKU on it.
#[derive(Debug, Clone, Serialize)]
pub struct PriceListRecord {
    /// The list.
    pub list: PriceList,
    /// Tiers by SKU.
    pub pricing: BTreeMap<String, SkuPricing>,
}

/// Stock of one SKU at one location.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StockRow {
    /// Units available.
    pub stock_level: i64,
    /// When more arrive.
    pub restock_date: Option<String>,
    /// Warning level.
    pub min_stock_level: Option<i64>,
}

/// A stored purchase: the body as last written plus the fields the API calculates.
#[derive(Debug, Clone)]
pub(crate) struct PurchaseRecord {
    pub body: serde_json::Map<String, serde_json::Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Request counters of the sandbox.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SandboxStats {
    /// API requests received (token requests included).
    pub requests: u64,
    /// Tokens issued.
    pub tokens_issued: u64,
    /// 401s answered.
    pub unauthorized: u64,
    /// 429s answered (faults and quota).
    pub rate_limited: u64,
    /// Injected 5xx answered.
    pub server_errors: u64,
    /// Injected 409s answered.
    pub conflicts: u64,
    /// Requests per `METHOD /route/{pattern}`.
    pub by_route: BTreeMap<String, u64>,
}

pub(crate) struct Store {
    pub config: SandboxConfig,
    pub tokens: HashMap<String, Instant>,
    pub price_lists: BTreeMap<String, PriceListRecord>,
    pub locations: Vec<StockLocation>,
    /// Keyed by (location id, SKU).
    pub stock: BTreeMap<(String, String), StockRow>,
    pub purchases: Vec<PurchaseRecord>,
    pub customers: BTreeMap<String, Customer>,
    pub sync_logs: BTreeMap<(String, String), SyncLogUpdate>,
    pub faults: FaultPlan,
    pub quota: Option<QuotaWindow>,
    pub stats: SandboxStats,
    /// Packages another writer adds to a purchase (by Sparklayer id) just after the next read
    /// of it is answered: a write racing the reader's own, for tests.
    pub after_read: Vec<(String, Package)>,
    seq: u64,
    last_stamp: OffsetDateTime,
}

impl Store {
    /// A fresh number for ids and tokens.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Now, but strictly after every stamp handed out before: polling cursors need a total order.
    pub fn stamp(&mut self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        let next = now.max(self.last_stamp + Duration::from_millis(1));
        self.last_stamp = next;
        next
    }

    pub fn location_by_external_id(&self, external_id: &str) -> Option<&StockLocation> {
        self.locations
            .iter()
            .find(|l| l.external_id.as_deref() == Some(external_id))
    }
}

impl SandboxState {
    pub(crate) fn new(config: SandboxConfig) -> Self {
        let quota = config.quota.map(QuotaWindow::new);
        Self {
            inner: Arc::new(Mutex::new(Store {
                config,
                tokens: HashMap::new(),
                price_lists: BTreeMap::new(),
                locations: Vec::new(),
                stock: BTreeMap::new(),
                purchases: Vec::new(),
                customers: BTreeMap::new(),
                sync_logs: BTreeMap::new(),
                faults: FaultPlan::default(),
                quota,
                stats: SandboxStats::default(),
                after_read: Vec::new(),
                seq: 0,
                last_stamp: OffsetDateTime::UNIX_EPOCH,
            })),
        }
    }

    /// Locks the store; a panic in another handler must not wedge the sandbox.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A price list with its tiers.
    pub fn price_list(&self, slug: &str) -> Option<PriceListRecord> {
        self.lock().price_lists.get(slug).cloned()
    }

    /// Number of price lists.
    pub fn price_list_count(&self) -> usize {
        self.lock().price_lists.len()
    }

    /// The tiers of `sku` on list `slug`.
    pub fn tiers(&self, slug: &str, sku: &str) -> Option<Vec<TierPrice>> {
        let store = self.lock();
        Some(
            store
                .price_lists
                .get(slug)?
                .pricing
                .get(sku)?
                .pricing
                .clone(),
        )
    }

    /// Every stock location.
    pub fn stock_locations(&self) -> Vec<StockLocation> {
        self.lock().locations.clone()
    }

    /// Stock of `sku` at the location with our `external_id`.
    pub fn stock_level(&self, location_external_id: &str, sku: &str) -> Option<i64> {
        let store = self.lock();
        let location = store.location_by_external_id(location_external_id)?;
        store
            .stock
            .get(&(location.id.clone(), sku.to_owned()))
            .map(|row| row.stock_level)
    }

    /// Number of (location, SKU) stock rows.
    pub fn stock_row_count(&self) -> usize {
        self.lock().stock.len()
    }

    /// A customer.
    pub fn customer(&self, id: &str) -> Option<Customer> {
        self.lock().customers.get(id).cloned()
    }

    /// Every purchase as the API would return it, oldest change first.
    pub fn purchases(&self) -> Vec<Purchase> {
        let store = self.lock();
        let mut records: Vec<&PurchaseRecord> = store.purchases.iter().collect();
        records.sort_by_key(|r| r.updated_at);
        records
            .into_iter()
            .filter_map(|r| serde_json::from_value(r.render()).ok())
            .collect()
    }

    /// The full log last written for an integration and data type, errors included.
    pub fn sync_log(&self, integration: &str, data_type: &str) -> Option<SyncLogUpdate> {
        let key = (integration.to_owned(), data_type.to_owned());
        self.lock().sync_logs.get(&key).cloned()
    }

    /// Request counters.
    pub fn stats(&self) -> SandboxStats {
        self.lock().stats.clone()
    }

    /// Requests seen on one route, e.g. `"POST /api/v1/batch-update-stock"`.
    pub fn requests_to(&self, route: &str) -> u64 {
        self.lock().stats.by_route.get(route).copied().unwrap_or(0)
    }

    /// Adds injected faults to those still pending.
    /// Adds `package` to purchase `sparklayer_id` right after the next read of it is answered,
    /// as an admin saving a return at that moment would: the reader's copy lacks it.
    pub fn add_package_after_next_read(&self, sparklayer_id: &str, package: Package) {
        self.lock()
            .after_read
            .push((sparklayer_id.to_owned(), package));
    }

    pub fn inject(&self, plan: FaultPlan) {
        self.lock().faults.add(plan);
    }

    /// Lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        // Capped so `Instant + lifetime` cannot overflow.
        self.lock().config.token_lifetime = lifetime.min(Duration::from_secs(366 * 86_400));
    }

    /// Expires every token issued so far (a revocation or a server clock ahead of ours).
    pub fn expire_all_tokens(&self) {
        self.lock().tokens.clear();
    }
}

impl PurchaseRecord {
    /// The purchase as the API returns it: the stored body plus calculated fields.
    pub fn render(&self) -> serde_json::Value {
        let mut body = self.body.clone();
        let total: Option<i64> = body
            .get("line_items")
            .and_then(|v| v.as_array())
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(|l| {
                        serde_json::from_value::<crate::model::PurchaseLine>(l.clone()).ok()
                    })
                    .fold(0_i64, |sum, l| {
                        sum.saturating_add(l.price_cents.saturating_mul(i64::from(l.quantity)))
                    })
            });
        let stamp = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .map(serde_json::Value::String)
                .unwrap_or(serde_json::Value::Null)
        };
        body.insert("created_at".into(), stamp(self.created_at));
        body.insert("updated_at".into(), stamp(self.updated_at));
        if let Some(total) = total {
            let text = crate::model::money::format_cents(total);
            let value = text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(serde_json::Value::Null, serde_json::Value::Number);
            body.insert("total".into(), value);
        }
        serde_json::Value::Object(body)
    }
}
