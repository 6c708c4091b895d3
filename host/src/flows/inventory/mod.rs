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
//!    pushes only the changes ([`plan`] decides them, [`apply`] sends them): BigCommerce absolute adjustments grouped by location,
//!    2,000 items a request; Sparklayer batch stock in its batch size. SKU-locations last
//!    pushed with stock that the snapshot no longer lists are pushed as 0 in the same
//!    requests, unless so many vanished that the snapshot looks partial ([`missing`]);
//! 4. after each accepted request, stores what was pushed and the decision trace of its rows
//!    (buckets read, plugin version, buffer, value pushed: the "why" of a SKU);
//! 5. when the snapshot is complete, resolves this flow's open exceptions it shows are over:
//!    `sku_missing` of SKUs listed again, `drift_stock` of an earlier partial snapshot
//!    ([`resolve`]);
//! 6. returns the cycle latency (ERP cycle end -> storefront updated) and update frequency in
//!    the run's measurements; the next run feeds the measured latency back to the plugin.

pub mod advice;
mod apply;
pub mod availability;
mod missing;
pub mod one;
mod outcome;
mod plan;
mod resolve;
mod rows;
pub mod trace;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{ClientServices, CycleTiming, FlowError, FlowOutcome, FlowReport};

use crate::plugins::CallRecorder;
use crate::progress::{NoProgress, Progress};
use crate::storefronts::CallCount;
pub use crate::storefronts::LocationTarget;
pub use missing::PARTIAL_SUBJECT;
pub use outcome::{Frequency, InventoryOutcome};
pub use plan::{Change, Source};
pub use trace::reason_names;

/// Cursor holding the id of the last ERP cycle whose stock reached the storefront.
pub const CYCLE_CURSOR: &str = "inventory.last_cycle_id";

/// Default of [`InventorySettings::missing_max_percent`].
pub const DEFAULT_MISSING_MAX_PERCENT: u8 = 20;

/// `[inventory]` in a client's config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// SKU-locations last pushed with stock that a cycle's ATS snapshot no longer lists are
    /// pushed as 0 (each SKU raises `sku_missing`), as long as they are at most this share, in
    /// percent, of the SKU-locations on sale. Above it the snapshot is taken as partial:
    /// nothing is zeroed and one `drift_stock` exception (subject `ats-snapshot`) is raised.
    /// 0 never zeroes; 100 zeroes whatever vanished. Default 20.
    #[serde(default = "default_missing_max_percent")]
    pub missing_max_percent: u8,
}

fn default_missing_max_percent() -> u8 {
    DEFAULT_MISSING_MAX_PERCENT
}

impl Default for InventorySettings {
    fn default() -> Self {
        Self {
            locations: BTreeMap::new(),
            sku_buffers: BTreeMap::new(),
            initial_cycle_latency_minutes: 0,
            full_push: false,
            repush_cycle: false,
            missing_max_percent: DEFAULT_MISSING_MAX_PERCENT,
        }
    }
}

impl InventorySettings {
    /// Checks values serde cannot: a message naming the key and the fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.missing_max_percent > 100 {
            return Err(format!(
                "{} is not a percentage (0 to 100)",
                self.missing_max_percent
            ));
        }
        Ok(())
    }
}

/// Runs one inventory sync for a client.
pub async fn run(
    ctx: &ClientServices,
    settings: &InventorySettings,
) -> Result<FlowReport, FlowError> {
    run_with(ctx, settings, &NoProgress).await
}

/// [`run`], telling `progress` how much of the push is sent (a first full push is long).
pub async fn run_with(
    ctx: &ClientServices,
    settings: &InventorySettings,
    progress: &dyn Progress,
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
        return Ok(outcome::NoNewCycle(status.last_cycle_id).report());
    }
    let snapshot = ctx.erp.ats_snapshot(status.last_cycle_id).await?;
    let styles = ctx.erp.list_styles(None).await?;
    let storefront = ctx.storefront.name();
    let bindings = ctx.store.list_bindings(&ctx.client, storefront).await?;
    // Counted from here: every storefront call of the run, location reads included.
    let stats_before = ctx.storefront.calls();
    let targets = apply::resolve_locations(ctx, settings).await?;
    let latency = trace::measured_latency_minutes(ctx, settings).await?;

    let week_ago = time::OffsetDateTime::now_utc() - time::Duration::days(6);
    let sold = ctx.store.units_sold_since(&ctx.client, week_ago).await?;
    let weekly = rows::WeeklySales::from_sold(&sold);
    let built = rows::build(
        &snapshot, &styles, &bindings, settings, &targets, latency, &weekly,
    );
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

    ctx.availability.replace(availability::at_cycle(
        &built,
        ats,
        snapshot.cycle_id,
        latency,
    ));

    // Read even for a full push: what the storefront was selling decides what vanished.
    let pushed_before = ctx.store.pushed_stock(&ctx.client, storefront).await?;
    let previous: HashMap<(String, String), i64> = if settings.full_push {
        HashMap::new()
    } else {
        pushed_before
            .iter()
            .map(|p| ((p.sku.clone(), p.location.clone()), p.qty))
            .collect()
    };
    let mut changes = plan::diff(&built.meta, &ats.ats, &targets, &previous);
    let lost = missing::find(
        &built,
        &targets,
        &bindings,
        &pushed_before,
        settings.missing_max_percent.min(100),
    );
    let zeroed = lost.changes();
    let zeroed_count = zeroed.len();
    changes.extend(zeroed);
    missing::raise(ctx, &lost, &targets, snapshot.cycle_id).await?;
    // The cycle's input is recorded once, whatever it changes: shadow runs read the last
    // cycles, and each pushed row's decision names it for replay.
    let call_id = record_call(ctx, &built, &called.report).await?;
    let plan = trace::TracePlan {
        cycle_id: snapshot.cycle_id,
        report: &called.report,
        latency_minutes: latency,
        call_id,
    };
    let pushed = apply::push(ctx, &targets, &changes, &built, ats, &plan, progress).await?;
    // After the push, so an exception is resolved once the storefront sells the SKU again;
    // before the cursor, so a failure retries the cycle.
    let resolved = if lost.partial {
        0
    } else {
        resolve::resolve_back(ctx, &built, &targets, &lost, snapshot.cycle_id).await?
    };
    let storefront_updated_at = OffsetDateTime::now_utc();
    ctx.store
        .set_cursor(
            &ctx.client,
            CYCLE_CURSOR,
            &snapshot.cycle_id.to_string(),
            storefront_updated_at,
        )
        .await?;
    let stats_after = ctx.storefront.calls();

    let outcome = InventoryOutcome {
        push_requests: pushed.requests,
        push_requests_minimum: apply::minimum_calls(ctx, &changes, targets.len())?,
        skipped_unbound_skus: built.unbound_skus,
        missing_from_snapshot: lost.vanished.len() as u64,
        missing_zeroed: zeroed_count as u64,
        partial_snapshot: lost.partial,
        exceptions_resolved: resolved,
        cycles_skipped: cycles_skipped(done, snapshot.cycle_id),
        cycle_latency_minutes_given: latency,
        plugin_version: called.report.version.clone(),
        frequency: trace::frequency(ctx, storefront_updated_at).await?,
        rows: input_rows as u64,
        rows_pushed: pushed.rows,
        calls: CallCount {
            calls: stats_after.calls.saturating_sub(stats_before.calls),
            throttled: stats_after.throttled.saturating_sub(stats_before.throttled),
            retries: stats_after.retries.saturating_sub(stats_before.retries),
        },
        cycle: Some(CycleTiming {
            cycle_id: snapshot.cycle_id,
            cycle_end: snapshot.completed_at,
            storefront_updated_at,
        }),
        missing_percent: (lost.percent(), lost.max_percent),
    };
    Ok(outcome.report())
}

/// Stores the plugin call behind a push (its rows labelled `SKU@warehouse`); its id goes in
/// each pushed row's decision, for replay.
async fn record_call(
    ctx: &ClientServices,
    built: &rows::Built,
    report: &selvedge_runtime::CallReport,
) -> Result<Option<String>, FlowError> {
    let mut recorder = CallRecorder::new();
    let call_id = recorder.call(&ctx.client, "inventory", report, || {
        built
            .meta
            .iter()
            .map(|m| format!("{}@{}", m.erp_sku, m.warehouse))
            .collect()
    });
    recorder.save(ctx.store.as_ref(), &[]).await?;
    Ok(call_id)
}

/// Cycles that completed after the last pushed one and before the one pushed now.
fn cycles_skipped(done: Option<u64>, now: u64) -> u64 {
    done.map(|d| now.saturating_sub(d).saturating_sub(1))
        .unwrap_or(0)
}

fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_MISSING_MAX_PERCENT, InventorySettings};

    #[test]
    fn missing_max_percent_defaults_to_20_and_must_be_a_percentage() {
        let absent: InventorySettings =
            toml::from_str("[locations]\nNJ01 = \"1\"").expect("parses");
        assert_eq!(absent.missing_max_percent, DEFAULT_MISSING_MAX_PERCENT);
        assert_eq!(
            InventorySettings::default().missing_max_percent,
            DEFAULT_MISSING_MAX_PERCENT
        );
        assert!(absent.validate().is_ok());

        let too_high: InventorySettings =
            toml::from_str("missing_max_percent = 150\n[locations]\nNJ01 = \"1\"").expect("parses");
        let problem = too_high.validate().expect_err("150 is not a percentage");
        assert!(problem.contains("150"), "{problem}");
    }
}
