//! Builds the plugin's columnar input from an ATS snapshot: one row per bound SKU in a mapped
//! warehouse, with category and season from the style master and per-SKU buffers from config.

use std::collections::HashMap;

use selvedge_bluecherry::model::{AtsBuckets, AtsSnapshot, Style};
use selvedge_runtime::rules::inventory::{StockContext, StockRows};
use selvedge_store::{SkuBinding, SoldUnits};

use super::InventorySettings;
use crate::storefronts::LocationTarget;

/// What the flow keeps about each input row, beside the columns sent to the plugin.
#[derive(Debug, Clone)]
pub(crate) struct RowMeta {
    pub erp_sku: String,
    pub storefront_sku: String,
    pub variant_id: Option<i64>,
    pub warehouse: String,
    /// Index into the resolved location targets (and `StockContext::locations`).
    pub location: usize,
    pub buckets: AtsBuckets,
    pub sku_buffer: i32,
}

/// The plugin input and the row metadata, index-aligned.
pub(crate) struct Built {
    pub context: StockContext,
    pub columns: StockRows,
    pub meta: Vec<RowMeta>,
    /// Distinct snapshot SKUs (in mapped warehouses) with no storefront binding: not published
    /// (the catalog flow has not created them, or refused them with an exception).
    pub unbound_skus: u64,
}

impl Built {
    pub fn len(&self) -> usize {
        self.meta.len()
    }
}

/// Interns names into a context list and returns their `u16` index.
#[derive(Default)]
struct Interner {
    names: Vec<String>,
    index: HashMap<String, u16>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u16 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        // WIT indexes are u16; 65,535 distinct seasons or categories would be a data error,
        // so the overflow shares the last slot rather than failing the cycle.
        let i = u16::try_from(self.names.len()).unwrap_or(u16::MAX);
        if usize::from(i) == self.names.len() {
            self.names.push(name.to_string());
            self.index.insert(name.to_string(), i);
        }
        i
    }
}

/// ERP quantities are i64; the WIT columns are s32. Real stock never comes near the bound.
fn s32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

/// Whether stock is published through this binding: product-level bindings (no variant)
/// carry no stock on a variant storefront.
pub(crate) fn carries_stock(b: &SkuBinding) -> bool {
    b.variant_id.is_some() || b.storefront != "bigcommerce"
}

/// Units sold in the last seven days per (ERP SKU, warehouse), counted by the orders flow
/// as orders go into the ERP: Blue Cherry's ATS report has no sales velocity.
#[derive(Debug, Default)]
pub(crate) struct WeeklySales(HashMap<String, HashMap<String, u32>>);

impl WeeklySales {
    pub fn from_sold(sold: &[SoldUnits]) -> Self {
        let mut by_sku: HashMap<String, HashMap<String, u32>> = HashMap::new();
        for s in sold {
            let units = u32::try_from(s.units.max(0)).unwrap_or(u32::MAX);
            by_sku
                .entry(s.sku.clone())
                .or_default()
                .insert(s.location.clone(), units);
        }
        Self(by_sku)
    }

    fn of(&self, sku: &str, warehouse: &str) -> u32 {
        self.0
            .get(sku)
            .and_then(|w| w.get(warehouse))
            .copied()
            .unwrap_or(0)
    }
}

pub(crate) fn build(
    snapshot: &AtsSnapshot,
    styles: &[Style],
    bindings: &[SkuBinding],
    settings: &InventorySettings,
    targets: &[LocationTarget],
    latency_minutes: u32,
    weekly_sales: &WeeklySales,
) -> Built {
    let by_style: HashMap<&str, &Style> = styles.iter().map(|s| (s.style.as_str(), s)).collect();
    let bound: HashMap<&str, &SkuBinding> = bindings
        .iter()
        .filter(|b| carries_stock(b))
        .map(|b| (b.erp_sku.as_str(), b))
        .collect();
    let location_of: HashMap<&str, usize> = settings
        .locations
        .iter()
        .filter_map(|(warehouse, configured)| {
            let idx = targets.iter().position(|t| &t.configured == configured)?;
            Some((warehouse.as_str(), idx))
        })
        .collect();
    let mut categories = Interner::default();
    let mut seasons = Interner::default();
    let n = snapshot.rows.len();
    let mut c = StockRows {
        location: Vec::with_capacity(n),
        category: Vec::with_capacity(n),
        season: Vec::with_capacity(n),
        on_hand: Vec::with_capacity(n),
        picked: Vec::with_capacity(n),
        open_orders: Vec::with_capacity(n),
        ship_to_wip: Vec::with_capacity(n),
        open_work_orders: Vec::with_capacity(n),
        in_transit: Vec::with_capacity(n),
        weekly_sales: Vec::with_capacity(n),
        sku_buffer: Vec::with_capacity(n),
    };
    let mut meta = Vec::with_capacity(n);
    let mut unbound = std::collections::HashSet::new();
    for row in &snapshot.rows {
        let Some(&location) = location_of.get(row.warehouse.as_str()) else {
            continue;
        };
        let Some(binding) = bound.get(row.sku.as_str()) else {
            unbound.insert(row.sku.as_str());
            continue;
        };
        let style = by_style.get(row.style.as_str());
        // The style master is the authority for category (P1) and season; the snapshot's
        // season covers a style the master no longer lists.
        let category = style
            .and_then(|s| s.categories.first())
            .map_or("", String::as_str);
        let season = style.map_or(row.season.as_str(), |s| s.season.as_str());
        let b = row.buckets;
        let sku_buffer = settings.sku_buffers.get(&row.sku).copied().unwrap_or(-1);
        c.location.push(u16::try_from(location).unwrap_or(u16::MAX));
        c.category.push(categories.id(category));
        c.season.push(seasons.id(season));
        c.on_hand.push(s32(b.total_qoh));
        c.picked.push(s32(b.total_pick));
        c.open_orders.push(s32(b.total_open));
        c.ship_to_wip.push(s32(b.total_ship_to_wip));
        c.open_work_orders.push(s32(b.total_prod));
        c.in_transit.push(s32(b.in_transit));
        c.weekly_sales
            .push(weekly_sales.of(&row.sku, &row.warehouse));
        c.sku_buffer.push(sku_buffer);
        meta.push(RowMeta {
            erp_sku: row.sku.clone(),
            storefront_sku: binding.storefront_sku.clone(),
            variant_id: binding.variant_id.as_deref().and_then(|v| v.parse().ok()),
            warehouse: row.warehouse.clone(),
            location,
            buckets: b,
            sku_buffer,
        });
    }
    Built {
        context: StockContext {
            locations: targets.iter().map(|t| t.configured.clone()).collect(),
            categories: categories.names,
            seasons: seasons.names,
            cycle_latency_minutes: latency_minutes,
        },
        columns: c,
        meta,
        unbound_skus: unbound.len() as u64,
    }
}
