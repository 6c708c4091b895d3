//! The delta and the push: only SKU-locations whose ATS differs from what the storefront last
//! accepted, in as few requests as the API allows, each stored right after it was accepted.

use std::collections::{BTreeMap, HashMap};

use selvedge_runtime::rules::inventory::AtsRows;
use selvedge_store::PushedStock;
use time::OffsetDateTime;

use super::InventorySettings;
use super::rows::Built;
use super::trace::{self, TracePlan};
use crate::flows::{ClientServices, FlowError};
pub use crate::storefronts::LocationTarget;
use crate::storefronts::StockLine;

/// One SKU-location whose ATS changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Storefront SKU.
    pub sku: String,
    /// Index into the location targets.
    pub location: usize,
    /// BigCommerce variant id, when bound.
    pub variant_id: Option<i64>,
    /// Quantity to publish.
    pub qty: i64,
    /// What the storefront was last told, if anything.
    pub previous: Option<i64>,
    /// Where `qty` comes from.
    pub source: Source,
}

/// Where the quantity of a [`Change`] comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The plugin's ATS of these input rows (usually one; more when warehouses share a
    /// location).
    Rows(Vec<usize>),
    /// The SKU-location was last pushed with stock but is missing from the cycle's ATS
    /// snapshot: it is pushed as 0 so the storefront stops selling stock the ERP no longer
    /// reports. `erp_sku` is the ERP SKU bound to it.
    MissingFromSnapshot { erp_sku: String },
}

/// What was pushed.
#[derive(Debug, Default)]
pub(crate) struct Pushed {
    pub rows: u64,
    pub requests: u64,
}

/// Resolves `inventory.locations` to storefront locations (one read per run).
pub(crate) async fn resolve_locations(
    ctx: &ClientServices,
    settings: &InventorySettings,
) -> Result<Vec<LocationTarget>, FlowError> {
    let mut configured: Vec<String> = settings.locations.values().cloned().collect();
    configured.sort();
    configured.dedup();
    Ok(ctx
        .storefront
        .stock()?
        .resolve_locations(&configured)
        .await?)
}

/// SKU-locations whose computed ATS differs from the last pushed value.
pub(crate) fn diff(
    built: &Built,
    ats: &AtsRows,
    targets: &[LocationTarget],
    previous: &HashMap<(String, String), i64>,
) -> Vec<Change> {
    // Sum per (storefront SKU, location): several warehouses may feed one location.
    let mut summed: BTreeMap<(usize, &str), Change> = BTreeMap::new();
    for (i, m) in built.meta.iter().enumerate() {
        let qty = i64::from(ats.ats[i].max(0));
        let entry = summed
            .entry((m.location, m.storefront_sku.as_str()))
            .or_insert_with(|| Change {
                sku: m.storefront_sku.clone(),
                location: m.location,
                variant_id: m.variant_id,
                qty: 0,
                previous: None,
                source: Source::Rows(Vec::new()),
            });
        entry.qty += qty;
        if let Source::Rows(rows) = &mut entry.source {
            rows.push(i);
        }
    }
    summed
        .into_values()
        .filter_map(|mut c| {
            let key = (c.sku.clone(), targets[c.location].key.clone());
            c.previous = previous.get(&key).copied();
            (c.previous != Some(c.qty)).then_some(c)
        })
        .collect()
}

/// The requests the storefront needs for these changes (the fewest it allows), as indexes
/// into `changes`.
fn requests(
    ctx: &ClientServices,
    changes: &[Change],
    locations: usize,
) -> Result<Vec<Vec<usize>>, FlowError> {
    let of_lines: Vec<usize> = changes.iter().map(|c| c.location).collect();
    Ok(ctx.storefront.stock()?.split(&of_lines, locations))
}

/// The fewest push requests the storefront allows for these changes.
pub(crate) fn minimum_calls(
    ctx: &ClientServices,
    changes: &[Change],
    locations: usize,
) -> Result<u64, FlowError> {
    Ok(requests(ctx, changes, locations)?.len() as u64)
}

/// Sends the changes request by request; after each accepted request, records what it carried.
pub(crate) async fn push(
    ctx: &ClientServices,
    targets: &[LocationTarget],
    changes: &[Change],
    built: &Built,
    ats: &AtsRows,
    plan: &TracePlan<'_>,
) -> Result<Pushed, FlowError> {
    let mut pushed = Pushed::default();
    let sink = ctx.storefront.stock()?;
    for indexes in requests(ctx, changes, targets.len())? {
        let request: Vec<&Change> = indexes.iter().filter_map(|i| changes.get(*i)).collect();
        let lines: Vec<StockLine> = request
            .iter()
            .map(|c| StockLine {
                sku: c.sku.clone(),
                location: c.location,
                variant_id: c.variant_id,
                qty: c.qty,
            })
            .collect();
        sink.push(targets, &lines).await?;
        pushed.requests += 1;
        pushed.rows += request.len() as u64;
        accepted(ctx, targets, request, built, ats, plan).await?;
    }
    Ok(pushed)
}

/// The storefront accepted `request`: store the values and their decision trace.
async fn accepted(
    ctx: &ClientServices,
    targets: &[LocationTarget],
    request: Vec<&Change>,
    built: &Built,
    ats: &AtsRows,
    plan: &TracePlan<'_>,
) -> Result<(), FlowError> {
    let now = OffsetDateTime::now_utc();
    let rows: Vec<PushedStock> = request
        .iter()
        .map(|c| PushedStock {
            sku: c.sku.clone(),
            location: targets[c.location].key.clone(),
            qty: c.qty,
        })
        .collect();
    ctx.store
        .upsert_pushed_stock(&ctx.client, ctx.storefront.name(), &rows, now)
        .await?;
    let decisions = trace::decisions(ctx, &request, targets, built, ats, plan, now);
    ctx.store.record_decisions(&decisions).await?;
    Ok(())
}
