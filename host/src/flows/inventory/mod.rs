//! Inventory: after each Blue Cherry batch cycle, ATS per SKU-location through the client's
//! plugin, pushed to the storefront as a delta in the fewest calls the API allows.
//!
//! One run:
//! 1. reads the cycle status; a cycle already pushed (cursor `inventory.last_cycle_id`) is a
//!    no-op, and cycles missed while the host was down collapse into the latest one (a
//!    snapshot is the full state, so only the newest matters);
//! 2. reads that cycle's ATS snapshot and the style master (category and season), keeps the
//!    rows of mapped warehouses whose SKU is bound to the storefront, and builds the columnar
//!    `stock-rows` (per-SKU buffers from config, the measured cycle latency in the context);
//! 3. computes ATS through the plugin, diffs against what the storefront last accepted, and
//!    pushes only the changes ([`push`]): BigCommerce absolute adjustments grouped by location,
//!    2,000 items a request; Sparklayer batch stock in its batch size;
//! 4. after each accepted request, stores what was pushed and the decision trace of its rows
//!    (buckets read, plugin version, buffer, value pushed: the "why" of a SKU);
//! 5. returns the cycle latency (ERP cycle end -> storefront updated) and update frequency in
//!    the run's measurements; the next run feeds the measured latency back to the plugin.

mod push;
mod rows;
mod trace;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{ClientServices, FlowError, FlowReport};

pub use push::{Change, LocationTarget};
pub use trace::reason_names;

/// Cursor holding the id of the last ERP cycle whose stock reached the storefront.
pub const CYCLE_CURSOR: &str = "inventory.last_cycle_id";

/// `[inventory]` in a client's config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySettings {
    /// Blue Cherry warehouse code -> storefront location. BigCommerce: a location id (`1`) or
    /// location code (`NJ01`); Sparklayer: the stock location's external id. A code the
    /// storefront does not list yet is created as a location (an unknown id is an error).
    /// Warehouses not listed are not published. Two warehouses mapped to one location add up.
    pub locations: BTreeMap<String, String>,
    /// Units held back per ERP SKU, passed to the plugin as `sku-buffer` (`-1` when unset).
    #[serde(default)]
    pub sku_buffers: BTreeMap<String, i32>,
    /// Cycle latency (minutes) given to the plugin before any run has measured one.
    #[serde(default)]
    pub initial_cycle_latency_minutes: u32,
    /// Ignore what was last pushed and send every SKU-location (after a storefront restore).
    #[serde(default)]
    pub full_push: bool,
    /// Push the cycle even if it was pushed before (the cursor says so); for manual re-runs.
    #[serde(default)]
    pub repush_cycle: bool,
}

/// Runs one inventory sync for a client.
pub async fn run(
    ctx: &ClientServices,
    settings: &InventorySettings,
) -> Result<FlowReport, FlowError> {
    if settings.locations.is_empty() {
        return Err(FlowError::Invalid(
            "inventory.locations is empty: map at least one Blue Cherry warehouse to a storefront location".into(),
        ));
    }
    let status = ctx.erp.cycle_status().await?;
    let done: Option<u64> = ctx
        .store
        .cursor(&ctx.client, CYCLE_CURSOR)
        .await?
        .and_then(|c| c.parse().ok());
    if status.last_cycle_id == 0 || (done == Some(status.last_cycle_id) && !settings.repush_cycle) {
        return Ok(FlowReport {
            summary: format!("no new ERP cycle (last {})", status.last_cycle_id),
            ..FlowReport::default()
        });
    }
    let snapshot = ctx.erp.ats_snapshot(status.last_cycle_id).await?;
    let styles = ctx.erp.list_styles(None).await?;
    let storefront = ctx.storefront.name();
    let bindings = ctx.store.list_bindings(&ctx.client, storefront).await?;
    // Counted from here: every storefront call of the run, location reads included.
    let stats_before = push::storefront_calls(ctx);
    let targets = push::resolve_locations(ctx, settings).await?;
    let latency = trace::measured_latency_minutes(ctx, settings).await?;

    let built = rows::build(&snapshot, &styles, &bindings, settings, &targets, latency);
    let input_rows = built.len();
    let called = ctx
        .plugin
        .compute_ats(built.context.clone(), built.columns.clone())
        .await?;
    let ats = &called.output;
    if ats.ats.len() != input_rows
        || ats.buffer.len() != input_rows
        || ats.reason.len() != input_rows
    {
        return Err(FlowError::Invalid(format!(
            "plugin {} ({}) returned {} ATS rows for {input_rows} input rows",
            called.report.plugin,
            short(&called.report.version),
            ats.ats.len()
        )));
    }

    let previous: HashMap<(String, String), i64> = if settings.full_push {
        HashMap::new()
    } else {
        ctx.store
            .pushed_stock(&ctx.client, storefront)
            .await?
            .into_iter()
            .map(|p| ((p.sku, p.location), p.qty))
            .collect()
    };
    let changes = push::diff(&built, ats, &targets, &previous);
    let plan = trace::TracePlan {
        cycle_id: snapshot.cycle_id,
        report: &called.report,
        latency_minutes: latency,
    };
    let pushed = push::push(ctx, &targets, &changes, &built, ats, &plan).await?;
    let storefront_updated_at = OffsetDateTime::now_utc();
    ctx.store
        .set_cursor(
            &ctx.client,
            CYCLE_CURSOR,
            &snapshot.cycle_id.to_string(),
            storefront_updated_at,
        )
        .await?;
    let stats_after = push::storefront_calls(ctx);

    let minimum = push::minimum_calls(ctx, &changes, targets.len());
    let mut measurements = selvedge_store::Measurements {
        records: Some(input_rows as u64),
        changed: Some(pushed.rows),
        api_calls: Some(stats_after.calls.saturating_sub(stats_before.calls)),
        throttled: Some(stats_after.throttled.saturating_sub(stats_before.throttled)),
        erp_cycle_id: Some(snapshot.cycle_id.to_string()),
        erp_cycle_end: Some(snapshot.completed_at),
        storefront_updated_at: Some(storefront_updated_at),
        extra: serde_json::Map::new(),
    };
    let extra = &mut measurements.extra;
    extra.insert("push_requests".into(), pushed.requests.into());
    extra.insert("push_requests_minimum".into(), minimum.into());
    extra.insert("skipped_unbound_skus".into(), built.unbound_skus.into());
    extra.insert(
        "cycles_skipped".into(),
        cycles_skipped(done, snapshot.cycle_id).into(),
    );
    extra.insert("cycle_latency_minutes_given".into(), latency.into());
    extra.insert(
        "plugin_version".into(),
        called.report.version.clone().into(),
    );
    trace::add_frequency(ctx, &mut measurements, storefront_updated_at).await?;
    let latency_s = measurements
        .cycle_latency()
        .map(|d| d.as_seconds_f64())
        .unwrap_or(0.0);
    Ok(FlowReport {
        summary: format!(
            "cycle {}: pushed {} of {input_rows} SKU-locations in {} calls (minimum {minimum}); latency {latency_s:.1} s",
            snapshot.cycle_id, pushed.rows, pushed.requests
        ),
        measurements,
    })
}

/// Cycles that completed after the last pushed one and before the one pushed now.
fn cycles_skipped(done: Option<u64>, now: u64) -> u64 {
    done.map(|d| now.saturating_sub(d).saturating_sub(1))
        .unwrap_or(0)
}

fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}
