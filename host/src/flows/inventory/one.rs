//! A targeted re-sync of one SKU (optionally at one location): its rows of the latest ERP
//! cycle go through the plugin and are pushed now, whatever the storefront was last told.
//!
//! Only what the scheduled run does per row happens here (ATS, push, stored value, decision
//! trace naming the cycle and plugin). The cycle cursor, the vanished-SKU check and the
//! availability picture stay the scheduled run's: one SKU says nothing about the others.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::apply;
use super::plan;
use super::rows::{self, WeeklySales};
use super::trace::{self, TracePlan};
use super::{InventorySettings, short};
use crate::flows::{ClientServices, FlowError};

/// One storefront location's new quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushedLine {
    /// Storefront SKU.
    pub sku: String,
    /// The location as the storefront keys it.
    pub location: String,
    /// Quantity pushed.
    pub qty: i64,
    /// What the storefront was told before, if anything.
    pub previous: Option<i64>,
}

/// What a SKU re-sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkuResynced {
    /// The ERP cycle whose snapshot was read.
    pub cycle_id: u64,
    /// Plugin version that computed the ATS.
    pub plugin_version: String,
    /// One line per storefront location pushed.
    pub pushed: Vec<PushedLine>,
}

/// Why a SKU could not be re-synced (a person's typo, not a failure of the host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkuNotFound {
    /// The client maps no warehouse or storefront location by that name.
    Location(String),
    /// The client publishes no stock (`inventory.locations` is empty).
    NoLocations,
    /// No completed ERP cycle yet.
    NoCycle,
    /// The latest snapshot has no bound row of the SKU in a mapped warehouse.
    Sku { sku: String, cycle_id: u64 },
}

impl std::fmt::Display for SkuNotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkuNotFound::Location(l) => write!(
                f,
                "no warehouse or storefront location `{l}` in inventory.locations"
            ),
            SkuNotFound::NoLocations => write!(
                f,
                "this client publishes no stock: inventory.locations is empty"
            ),
            SkuNotFound::NoCycle => write!(f, "Blue Cherry has completed no inventory cycle yet"),
            SkuNotFound::Sku { sku, cycle_id } => write!(
                f,
                "SKU `{sku}` is not in cycle {cycle_id}'s ATS snapshot for a mapped warehouse, or is not bound to the storefront"
            ),
        }
    }
}

/// Recomputes `sku` (an ERP SKU) from the latest cycle and pushes it; with `location` (a
/// Blue Cherry warehouse code, or a storefront location as configured or keyed) only there.
pub async fn resync_sku(
    ctx: &ClientServices,
    settings: &InventorySettings,
    sku: &str,
    location: Option<&str>,
) -> Result<Result<SkuResynced, SkuNotFound>, FlowError> {
    if settings.locations.is_empty() {
        return Ok(Err(SkuNotFound::NoLocations));
    }
    let targets = apply::resolve_locations(ctx, settings).await?;
    let wanted: Option<HashSet<usize>> = match location {
        None => None,
        Some(l) => {
            let by_warehouse = settings.locations.get(l);
            let found: HashSet<usize> = targets
                .iter()
                .enumerate()
                .filter(|(_, t)| {
                    t.key == l || t.configured == l || by_warehouse == Some(&t.configured)
                })
                .map(|(i, _)| i)
                .collect();
            if found.is_empty() {
                return Ok(Err(SkuNotFound::Location(l.to_string())));
            }
            Some(found)
        }
    };
    let status = ctx.erp.cycle_status().await?;
    if status.last_cycle_id == 0 {
        return Ok(Err(SkuNotFound::NoCycle));
    }
    let mut snapshot = ctx.erp.ats_snapshot(status.last_cycle_id).await?;
    // Every warehouse of the SKU stays in: several may feed one location, and a location's
    // quantity is their sum.
    snapshot.rows.retain(|r| r.sku == sku);
    let styles = ctx.erp.list_styles(None).await?;
    let storefront = ctx.storefront.name();
    let bindings = ctx.store.list_bindings(&ctx.client, storefront).await?;
    let latency = trace::measured_latency_minutes(ctx, settings).await?;
    let week_ago = time::OffsetDateTime::now_utc() - time::Duration::days(6);
    let sold = ctx.store.units_sold_since(&ctx.client, week_ago).await?;
    let built = rows::build(
        &snapshot,
        &styles,
        &bindings,
        settings,
        &targets,
        latency,
        &WeeklySales::from_sold(&sold),
    );
    if built.meta.is_empty() {
        return Ok(Err(SkuNotFound::Sku {
            sku: sku.to_string(),
            cycle_id: snapshot.cycle_id,
        }));
    }
    let called = ctx
        .plugin
        .compute_ats(built.context.clone(), built.columns.clone())
        .await?;
    let ats = &called.output;
    if ats.ats.len() != built.len() {
        return Err(FlowError::Invalid(format!(
            "plugin {} ({}) returned {} ATS rows for {} input rows",
            called.report.plugin,
            short(&called.report.version),
            ats.ats.len(),
            built.len()
        )));
    }
    let before: HashMap<(String, String), i64> = ctx
        .store
        .pushed_stock(&ctx.client, storefront)
        .await?
        .into_iter()
        .map(|p| ((p.sku, p.location), p.qty))
        .collect();
    // Diffed against nothing: every location of the SKU is pushed, changed or not.
    let mut changes = plan::diff(&built.meta, &ats.ats, &targets, &HashMap::new());
    if let Some(wanted) = &wanted {
        changes.retain(|c| wanted.contains(&c.location));
    }
    for c in &mut changes {
        if let Some(t) = targets.get(c.location) {
            c.previous = before.get(&(c.sku.clone(), t.key.clone())).copied();
        }
    }
    let call_id = super::record_call(ctx, &built, &called.report).await?;
    let plan = TracePlan {
        cycle_id: snapshot.cycle_id,
        report: &called.report,
        latency_minutes: latency,
        call_id,
    };
    apply::push(
        ctx,
        &targets,
        &changes,
        &built,
        ats,
        &plan,
        &crate::progress::NoProgress,
    )
    .await?;
    let pushed = changes
        .iter()
        .map(|c| PushedLine {
            sku: c.sku.clone(),
            location: targets
                .get(c.location)
                .map(|t| t.key.clone())
                .unwrap_or_default(),
            qty: c.qty,
            previous: c.previous,
        })
        .collect();
    Ok(Ok(SkuResynced {
        cycle_id: snapshot.cycle_id,
        plugin_version: called.report.version.clone(),
        pushed,
    }))
}
