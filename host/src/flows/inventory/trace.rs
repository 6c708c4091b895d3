//! The decision trace of pushed rows, and the latency / frequency measurements.

use selvedge_runtime::CallReport;
use selvedge_runtime::rules::inventory::AtsRows;
use selvedge_store::{Decision, RunStatus};
use serde_json::json;
use time::OffsetDateTime;

use super::plan::{Change, Source};
use super::rows::Built;
use super::{Frequency, InventorySettings};
use crate::flows::{ClientServices, FlowError, FlowKind};
use crate::storefronts::LocationTarget;

/// Runs whose measured latency is averaged for the plugin.
const LATENCY_RUNS: usize = 5;
/// Runs read back to count update frequency.
const FREQUENCY_RUNS: u32 = 200;

/// What every decision of a cycle shares.
pub(crate) struct TracePlan<'a> {
    pub cycle_id: u64,
    pub report: &'a CallReport,
    pub latency_minutes: u32,
    /// The recorded plugin call of the cycle.
    pub call_id: Option<String>,
}

/// Names of the WIT `ats-rows.reason` bits set in `bits`, in bit order.
pub fn reason_names(bits: u16) -> Vec<&'static str> {
    const NAMES: [&str; 11] = [
        "on_hand_counted",
        "picked_subtracted",
        "open_orders_subtracted",
        "open_work_orders_included",
        "in_transit_included",
        "fixed_buffer",
        "percent_buffer",
        "sku_buffer",
        "clamped_at_zero",
        "fast_mover",
        "latency_buffer",
    ];
    NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// One decision per pushed SKU-location: subject is the ERP SKU, so a "why" view of a SKU is
/// `latest_decisions(client, Some("inventory"), sku, n)`.
pub(crate) fn decisions(
    ctx: &ClientServices,
    request: &[&Change],
    targets: &[LocationTarget],
    built: &Built,
    ats: &AtsRows,
    plan: &TracePlan<'_>,
    at: OffsetDateTime,
) -> Vec<Decision> {
    request
        .iter()
        .filter_map(|c| {
            let rows = match &c.source {
                Source::Rows(rows) => rows,
                Source::MissingFromSnapshot { erp_sku } => {
                    return Some(missing(ctx, c, erp_sku, targets, plan, at));
                }
            };
            let first = *rows.first()?;
            let sources: Vec<serde_json::Value> = rows
                .iter()
                .map(|&i| {
                    let m = &built.meta[i];
                    let b = m.buckets;
                    json!({
                        "row": i,
                        "warehouse": m.warehouse,
                        "buckets": {
                            "total_qoh": b.total_qoh, "total_pick": b.total_pick,
                            "avail_qoh": b.avail_qoh, "total_open": b.total_open,
                            "total_ship_to_wip": b.total_ship_to_wip,
                            "total_prod": b.total_prod, "in_transit": b.in_transit,
                        },
                        "sku_buffer": (m.sku_buffer >= 0).then_some(m.sku_buffer),
                        "ats": ats.ats[i],
                        "buffer": ats.buffer[i],
                        "reason_bits": ats.reason[i],
                        "reasons": reason_names(ats.reason[i]),
                    })
                })
                .collect();
            Some(Decision {
                client: ctx.client.clone(),
                flow: FlowKind::Inventory.as_str().to_string(),
                subject: built.meta[first].erp_sku.clone(),
                plugin_id: plan.report.plugin.clone(),
                plugin_version: plan.report.version.clone(),
                reason: json!({
                    "cycle_id": plan.cycle_id,
                    "location": targets[c.location].configured,
                    "cycle_latency_minutes": plan.latency_minutes,
                    "previous": c.previous,
                    "sources": sources,
                }),
                value: json!({ "qty": c.qty, "storefront_sku": c.sku }),
                call_id: plan.call_id.clone(),
                created_at: at,
            })
        })
        .collect()
}

/// The host zeroed a SKU-location the snapshot no longer lists; no plugin rule ran for it
/// (the plugin fields name the plugin of the run, for the audit's shape).
fn missing(
    ctx: &ClientServices,
    c: &Change,
    erp_sku: &str,
    targets: &[LocationTarget],
    plan: &TracePlan<'_>,
    at: OffsetDateTime,
) -> Decision {
    Decision {
        client: ctx.client.clone(),
        flow: FlowKind::Inventory.as_str().to_string(),
        subject: erp_sku.to_string(),
        plugin_id: plan.report.plugin.clone(),
        plugin_version: plan.report.version.clone(),
        reason: json!({
            "cycle_id": plan.cycle_id,
            "location": targets[c.location].configured,
            "previous": c.previous,
            "decided_by": "selvedge",
            "missing_from_ats_snapshot": plan.cycle_id,
            "why": super::missing::reason(plan.cycle_id),
            "sources": [],
        }),
        value: json!({ "qty": c.qty, "storefront_sku": c.sku }),
        call_id: None,
        created_at: at,
    }
}

/// Mean cycle latency of the last successful runs, rounded up to whole minutes; the
/// configured initial value until a run has measured one.
pub(crate) async fn measured_latency_minutes(
    ctx: &ClientServices,
    settings: &InventorySettings,
) -> Result<u32, FlowError> {
    let runs = ctx
        .store
        .recent_runs(&ctx.client, FlowKind::Inventory.as_str(), 20)
        .await?;
    let seconds: Vec<f64> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Succeeded)
        .filter_map(|r| r.measurements.cycle_latency())
        .map(|d| d.as_seconds_f64().max(0.0))
        .take(LATENCY_RUNS)
        .collect();
    if seconds.is_empty() {
        return Ok(settings.initial_cycle_latency_minutes);
    }
    let mean = seconds.iter().sum::<f64>() / seconds.len() as f64;
    Ok((mean / 60.0).ceil().min(f64::from(u32::MAX)) as u32)
}

/// Update frequency: storefront updates in the last 24 hours (this one, at `now`, included)
/// and the mean interval between them.
pub(crate) async fn frequency(
    ctx: &ClientServices,
    now: OffsetDateTime,
) -> Result<Frequency, FlowError> {
    let runs = ctx
        .store
        .recent_runs(&ctx.client, FlowKind::Inventory.as_str(), FREQUENCY_RUNS)
        .await?;
    let day_ago = now - time::Duration::DAY;
    let mut updates: Vec<OffsetDateTime> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Succeeded)
        .filter_map(|r| r.measurements.storefront_updated_at)
        .filter(|t| *t >= day_ago)
        .collect();
    updates.push(now);
    updates.sort();
    let mean_minutes_between_updates = match (updates.first(), updates.last()) {
        (Some(first), Some(last)) if updates.len() > 1 => {
            Some((*last - *first).as_seconds_f64() / 60.0 / (updates.len() - 1) as f64)
        }
        _ => None,
    };
    Ok(Frequency {
        updates_last_24h: updates.len() as u64,
        mean_minutes_between_updates,
    })
}
