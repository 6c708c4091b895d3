//! The delta and the push: only SKU-locations whose ATS differs from what the storefront last
//! accepted, in as few requests as the API allows, each stored right after it was accepted.

use std::collections::{BTreeMap, HashMap};

use selvedge_bigcommerce::client::ADJUSTMENT_MAX_ITEMS;
use selvedge_bigcommerce::model::{
    AbsoluteAdjustment, ItemRef, LocationAddress, LocationType, NewLocation,
};
use selvedge_runtime::rules::inventory::AtsRows;
use selvedge_sparklayer::model::{LocationRef, NewStockLocation, StockUpdate};
use selvedge_store::PushedStock;
use time::OffsetDateTime;

use super::InventorySettings;
use super::rows::Built;
use super::trace::{self, TracePlan};
use crate::flows::{ClientServices, FlowError, StorefrontClient};

/// Reason sent with BigCommerce adjustments (shows in the store's inventory history).
const ADJUSTMENT_REASON: &str = "Selvedge: Blue Cherry ATS";

/// A storefront location stock is published to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationTarget {
    /// The location as written in `inventory.locations`.
    pub configured: String,
    /// Key of last-pushed stock: the BigCommerce location id, or the Sparklayer external id.
    pub key: String,
    /// BigCommerce location id.
    pub bigcommerce_id: Option<i64>,
}

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
    let mut configured: Vec<&String> = settings.locations.values().collect();
    configured.sort();
    configured.dedup();
    match &ctx.storefront {
        StorefrontClient::BigCommerce(bc) => {
            let known = bc.list_locations().await?;
            let mut out = Vec::new();
            for c in configured {
                let found = known
                    .iter()
                    .find(|l| c.parse::<i64>().is_ok_and(|id| id == l.id) || &l.code == c)
                    .map(|l| l.id);
                let id = match found {
                    Some(id) => id,
                    // An unknown id is a config error; an unknown code is a warehouse the
                    // store does not list yet: create it, as for Sparklayer.
                    None if c.parse::<i64>().is_ok() => {
                        return Err(FlowError::Invalid(format!(
                            "inventory.locations: BigCommerce has no location with id {c}; \
                             use an id or code listed under Settings > Locations"
                        )));
                    }
                    None => bc.create_location(&new_bigcommerce_location(c)).await?.id,
                };
                out.push(LocationTarget {
                    configured: c.clone(),
                    key: id.to_string(),
                    bigcommerce_id: Some(id),
                });
            }
            Ok(out)
        }
        StorefrontClient::Sparklayer(sl) => {
            let known = sl.list_stock_locations().await?;
            let mut out = Vec::new();
            for c in configured {
                if !known
                    .iter()
                    .any(|l| l.external_id.as_deref() == Some(c.as_str()))
                {
                    // Sparklayer needs the location before stock can be written to it.
                    sl.create_stock_location(&NewStockLocation {
                        name: c.clone(),
                        external_id: c.clone(),
                    })
                    .await?;
                }
                out.push(LocationTarget {
                    configured: c.clone(),
                    key: c.clone(),
                    bigcommerce_id: None,
                });
            }
            Ok(out)
        }
    }
}

/// A physical, enabled location named after the ERP warehouse code.
fn new_bigcommerce_location(code: &str) -> NewLocation {
    NewLocation {
        code: code.to_string(),
        label: format!("Blue Cherry {code}"),
        enabled: true,
        type_id: LocationType::Physical,
        managed_by_external_source: true,
        time_zone: "UTC".into(),
        address: LocationAddress::default(),
    }
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

/// The fewest push requests the storefront allows for these changes.
pub(crate) fn minimum_calls(ctx: &ClientServices, changes: &[Change], locations: usize) -> u64 {
    let mut per_location = vec![0usize; locations];
    for c in changes {
        per_location[c.location] += 1;
    }
    match &ctx.storefront {
        // Absolute adjustments: items are grouped by location, 2,000 a request.
        StorefrontClient::BigCommerce(_) => per_location
            .iter()
            .map(|n| n.div_ceil(ADJUSTMENT_MAX_ITEMS) as u64)
            .sum(),
        // Sparklayer's batch stock takes any mix of locations per call.
        StorefrontClient::Sparklayer(sl) => {
            changes.len().div_ceil(sl.config().stock_batch_size.max(1)) as u64
        }
    }
}

/// Calls and 429s the storefront client has counted so far.
pub(crate) struct CallCount {
    pub calls: u64,
    pub throttled: u64,
}

pub(crate) fn storefront_calls(ctx: &ClientServices) -> CallCount {
    match &ctx.storefront {
        StorefrontClient::BigCommerce(bc) => {
            let s = bc.stats().snapshot();
            CallCount {
                calls: s.calls,
                throttled: s.throttled,
            }
        }
        StorefrontClient::Sparklayer(sl) => {
            let s = sl.stats().snapshot();
            CallCount {
                calls: s.calls,
                throttled: s.rate_limited,
            }
        }
    }
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
    for request in requests(ctx, changes, targets.len()) {
        match &ctx.storefront {
            StorefrontClient::BigCommerce(bc) => {
                let items: Vec<AbsoluteAdjustment> = request
                    .iter()
                    .filter_map(|c| {
                        let location_id = targets[c.location].bigcommerce_id?;
                        let item = match c.variant_id {
                            Some(id) => ItemRef::VariantId(id),
                            None => ItemRef::Sku(c.sku.clone()),
                        };
                        Some(AbsoluteAdjustment {
                            location_id,
                            item,
                            quantity: c.qty,
                        })
                    })
                    .collect();
                // One request: every item shares a location and there are at most 2,000.
                bc.set_inventory_absolute(Some(ADJUSTMENT_REASON), &items)
                    .await?;
            }
            StorefrontClient::Sparklayer(sl) => {
                let rows: Vec<StockUpdate> = request
                    .iter()
                    .map(|c| StockUpdate {
                        location: LocationRef::ExternalId(targets[c.location].key.clone()),
                        sku: c.sku.clone(),
                        stock_level: c.qty,
                        restock_date: None,
                        min_stock_level: None,
                    })
                    .collect();
                sl.batch_update_stock(&rows).await?;
            }
        }
        pushed.requests += 1;
        pushed.rows += request.len() as u64;
        accepted(ctx, targets, request, built, ats, plan).await?;
    }
    Ok(pushed)
}

/// Splits changes into requests: per location and 2,000 items for BigCommerce; the batch
/// size across locations for Sparklayer.
fn requests<'a>(
    ctx: &ClientServices,
    changes: &'a [Change],
    locations: usize,
) -> Vec<Vec<&'a Change>> {
    match &ctx.storefront {
        StorefrontClient::BigCommerce(_) => {
            let mut by_location: Vec<Vec<&Change>> = vec![Vec::new(); locations];
            for c in changes {
                by_location[c.location].push(c);
            }
            by_location
                .iter()
                .flat_map(|group| group.chunks(ADJUSTMENT_MAX_ITEMS).map(<[&Change]>::to_vec))
                .collect()
        }
        StorefrontClient::Sparklayer(sl) => {
            let size = sl.config().stock_batch_size.max(1);
            changes.chunks(size).map(|c| c.iter().collect()).collect()
        }
    }
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
