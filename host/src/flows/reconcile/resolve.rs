//! Auto-resolution: an open exception this flow raised whose condition a later run no longer
//! finds is resolved with a note, so the queue shows what still needs a person (the
//! exception's history keeps the finding).
//!
//! Only what this run can vouch for is touched:
//! - a check that did not run resolves nothing; order and stock drift resolve only keys the
//!   run compared (an order past `max_orders`, or no longer injected, stays as it is);
//! - only `open` exceptions: one a person marked `retrying` is theirs;
//! - only exceptions this flow raised: the kind, the subject and details of the shape this
//!   flow writes (another flow may raise the same kind, e.g. the orders flow's `drift_order`
//!   for a superseded order, or the inventory flow's `sku_missing` for a SKU gone from ATS).

use std::collections::HashSet;

use selvedge_store::ExceptionRecord;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use super::plan::stock_subject;
use super::{OrderDrift, ReconciliationReport, SkuMissing, StockDrift};
use crate::exceptions::auto_resolve::{open, raised_here, resolve_if_open};
use crate::flows::{ClientServices, ExceptionKind, FlowError};

/// An exception this run resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoResolved {
    /// Exception id.
    pub exception_id: i64,
    /// Its kind (`drift_order`, `drift_stock`, `sku_missing`).
    pub kind: String,
    /// Its subject.
    pub subject: String,
}

/// What a run compared, per check; `None` / `false` when the check did not run.
#[derive(Debug, Default)]
pub(super) struct Checked {
    /// Storefront order ids compared with the ERP.
    pub orders: Option<HashSet<String>>,
    /// `sku@location` keys compared with the storefront.
    pub stock: Option<HashSet<String>>,
    /// The SKU check ran (over both full listings, so every SKU was compared).
    pub skus: bool,
}

/// Resolves this flow's open exceptions whose condition the run no longer found, and lists
/// them in the report.
pub(super) async fn resolve_gone(
    ctx: &ClientServices,
    checked: &Checked,
    report: &mut ReconciliationReport,
) -> Result<(), FlowError> {
    let at = report
        .generated_at
        .format(&Rfc3339)
        .unwrap_or_else(|_| report.generated_at.to_string());
    let prefix = format!("no longer drifting as of reconcile run {at}");
    let mut resolved = Vec::new();

    if let Some(compared) = &checked.orders {
        let drifting: HashSet<&str> = report
            .order_drift
            .iter()
            .map(|d| d.storefront_order_id.as_str())
            .collect();
        for e in open(ctx, ExceptionKind::DriftOrder).await? {
            let own =
                raised_here::<OrderDrift>(&e, |d| d.storefront_order_id == e.subject).is_some();
            if own && compared.contains(&e.subject) && !drifting.contains(e.subject.as_str()) {
                let note = format!(
                    "{prefix}: the ERP order's value and quantities match the storefront again"
                );
                resolved.extend(resolve(ctx, &e, &note).await?);
            }
        }
    }
    if let Some(compared) = &checked.stock {
        let drifting: HashSet<String> = report
            .stock_drift
            .iter()
            .map(|d| stock_subject(&d.sku, &d.location))
            .collect();
        for e in open(ctx, ExceptionKind::DriftStock).await? {
            let own =
                raised_here::<StockDrift>(&e, |d| stock_subject(&d.sku, &d.location) == e.subject)
                    .is_some();
            if own && compared.contains(&e.subject) && !drifting.contains(&e.subject) {
                let note = format!("{prefix}: storefront stock matches the last pushed value");
                resolved.extend(resolve(ctx, &e, &note).await?);
            }
        }
    }
    if checked.skus {
        // The check compares SKUs case-insensitively.
        let one_sided: HashSet<String> = report
            .sku_missing
            .iter()
            .map(|m| m.sku.to_lowercase())
            .collect();
        for e in open(ctx, ExceptionKind::SkuMissing).await? {
            let own = raised_here::<SkuMissing>(&e, |m| m.sku == e.subject).is_some();
            if own && !one_sided.contains(&e.subject.to_lowercase()) {
                let note = format!(
                    "{prefix}: the SKU is no longer on one side only (ERP style master vs storefront)"
                );
                resolved.extend(resolve(ctx, &e, &note).await?);
            }
        }
    }
    report.resolved.extend(resolved);
    Ok(())
}

/// Resolves `e` unless a person took it up since it was listed.
async fn resolve(
    ctx: &ClientServices,
    e: &ExceptionRecord,
    note: &str,
) -> Result<Option<AutoResolved>, FlowError> {
    Ok(resolve_if_open(ctx, e, note).await?.then(|| AutoResolved {
        exception_id: e.id,
        kind: e.kind.clone(),
        subject: e.subject.clone(),
    }))
}
