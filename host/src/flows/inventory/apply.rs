//! The push, through the storefront's stock port: the changes the plan made, in as few
//! requests as the storefront allows, each stored (with its decision trace) right after it
//! was accepted.

use selvedge_runtime::rules::inventory::AtsRows;
use selvedge_store::PushedStock;
use time::OffsetDateTime;

use super::InventorySettings;
use super::plan::Change;
use super::rows::Built;
use super::trace::{self, TracePlan};
use crate::flows::{ClientServices, FlowError};
use crate::progress::Progress;
use crate::storefronts::{LocationTarget, StockLine};

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
    progress: &dyn Progress,
) -> Result<Pushed, FlowError> {
    let mut pushed = Pushed::default();
    let sink = ctx.storefront.stock()?;
    progress.start("inventory push", "rows", Some(changes.len() as u64));
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
        let sent = request.len() as u64;
        accepted(ctx, targets, request, built, ats, plan).await?;
        progress.advance(sent);
    }
    progress.finish();
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
