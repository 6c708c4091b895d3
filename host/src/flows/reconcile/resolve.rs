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

use selvedge_store::{ExceptionFilter, ExceptionRecord, ExceptionState, Page};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use super::checks::stock_subject;
use super::{OrderDrift, ReconciliationReport, SkuMissing, StockDrift};
use crate::flows::{ClientServices, ExceptionKind, FlowError};

/// Actor written in the exception history.
const ACTOR: &str = "selvedge";

/// Exceptions read per page.
const PAGE: u32 = 500;

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
            let own = raised_here::<OrderDrift>(&e, |d| d.storefront_order_id == e.subject);
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
                raised_here::<StockDrift>(&e, |d| stock_subject(&d.sku, &d.location) == e.subject);
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
            let own = raised_here::<SkuMissing>(&e, |m| m.sku == e.subject);
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

/// Whether the exception's details are a finding of this flow (`T`) about its subject.
fn raised_here<T: DeserializeOwned>(
    e: &ExceptionRecord,
    about_subject: impl Fn(&T) -> bool,
) -> bool {
    serde_json::from_value::<T>(e.details.clone()).is_ok_and(|d| about_subject(&d))
}

/// Every open exception of this kind for the client, read before any is resolved (resolving
/// while paging would shift the pages).
async fn open(
    ctx: &ClientServices,
    kind: ExceptionKind,
) -> Result<Vec<ExceptionRecord>, FlowError> {
    let filter = ExceptionFilter {
        client: Some(ctx.client.clone()),
        state: Some(ExceptionState::Open),
        owner: None,
        kind: Some(kind.as_str().to_string()),
    };
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = ctx
            .store
            .list_exceptions(
                &filter,
                Page {
                    limit: PAGE,
                    offset,
                },
            )
            .await?;
        let n = page.len() as u32;
        all.extend(page);
        if n < PAGE {
            return Ok(all);
        }
        offset += n;
    }
}

/// Resolves `e` unless a person took it up since it was listed.
async fn resolve(
    ctx: &ClientServices,
    e: &ExceptionRecord,
    note: &str,
) -> Result<Option<AutoResolved>, FlowError> {
    // A person may have taken it up since it was listed.
    let still_open = ctx
        .store
        .exception(e.id)
        .await?
        .is_some_and(|(now, _)| now.state == ExceptionState::Open);
    if !still_open {
        return Ok(None);
    }
    ctx.store
        .resolve_exception(e.id, ACTOR, note, time::OffsetDateTime::now_utc())
        .await?;
    tracing::info!(client = %ctx.client, kind = %e.kind, subject = %e.subject, "exception auto-resolved");
    Ok(Some(AutoResolved {
        exception_id: e.id,
        kind: e.kind.clone(),
        subject: e.subject.clone(),
    }))
}
