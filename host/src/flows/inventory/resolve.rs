//! Auto-resolution: once a complete snapshot shows that what this flow flagged is over, the
//! exception is resolved with a note naming the cycle, so the queue shows what still needs a
//! person (the exception's history keeps the finding).
//!
//! - `sku_missing`: the ERP SKU is listed again at every location it was set to 0 at (a
//!   location no longer mapped cannot be vouched for, so the exception stays);
//! - `drift_stock` / [`PARTIAL_SUBJECT`]: the snapshot is within
//!   `inventory.missing_max_percent` again.
//!
//! Only a complete snapshot resolves anything (a partial one may have lost the very rows that
//! would show it), only `open` exceptions (one a person marked `retrying` is theirs), and only
//! exceptions this flow raised: the kind, the subject and details of the shape it writes
//! ([`SkuMissingDetails`], [`PartialDetails`]). The reconcile flow raises the same kinds about
//! SKUs on one side only and stock drift per SKU-location; those are left to it.

use std::collections::HashSet;

use selvedge_store::{ExceptionFilter, ExceptionRecord, ExceptionState, Page};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::missing::{Missing, PARTIAL_SUBJECT, PartialDetails, SkuMissingDetails};
use super::push::LocationTarget;
use super::rows::Built;
use crate::flows::{ClientServices, ExceptionKind, FlowError};

/// Actor written in the exception history.
const ACTOR: &str = "selvedge";

/// Exceptions read per page.
const PAGE: u32 = 500;

/// Resolves this flow's open exceptions that the complete snapshot of `cycle_id` shows are
/// over; returns how many were resolved. Call only when the snapshot is not partial.
pub(crate) async fn resolve_back(
    ctx: &ClientServices,
    built: &Built,
    targets: &[LocationTarget],
    missing: &Missing,
    cycle_id: u64,
) -> Result<u64, FlowError> {
    let mut resolved = 0;
    let listed: HashSet<(&str, &str)> = built
        .meta
        .iter()
        .map(|m| (m.erp_sku.as_str(), targets[m.location].configured.as_str()))
        .collect();
    let listed_skus: HashSet<&str> = built.meta.iter().map(|m| m.erp_sku.as_str()).collect();
    for e in open(ctx, ExceptionKind::SkuMissing).await? {
        let Some(d) = raised_here::<SkuMissingDetails>(&e, |d| d.erp_sku == e.subject) else {
            continue;
        };
        let back = if d.locations.is_empty() {
            listed_skus.contains(d.erp_sku.as_str())
        } else {
            d.locations
                .iter()
                .all(|l| listed.contains(&(d.erp_sku.as_str(), l.location.as_str())))
        };
        if back {
            let at: Vec<&str> = d.locations.iter().map(|l| l.location.as_str()).collect();
            let note = format!(
                "listed again in complete ATS snapshot {cycle_id} at {}: its stock is published \
                 from Blue Cherry again",
                at.join(", ")
            );
            resolved += u64::from(resolve(ctx, &e, &note).await?);
        }
    }
    for e in open(ctx, ExceptionKind::DriftStock).await? {
        if e.subject != PARTIAL_SUBJECT || raised_here::<PartialDetails>(&e, |_| true).is_none() {
            continue;
        }
        let note = format!(
            "ATS snapshot {cycle_id} is complete: {} of {} SKU-locations on sale missing \
             ({:.0}%), within inventory.missing_max_percent ({}%)",
            missing.vanished.len(),
            missing.live,
            missing.percent(),
            missing.max_percent
        );
        resolved += u64::from(resolve(ctx, &e, &note).await?);
    }
    Ok(resolved)
}

/// The exception's details, when they are of the shape this flow writes (`T`) and about its
/// subject.
fn raised_here<T: DeserializeOwned>(
    e: &ExceptionRecord,
    about_subject: impl Fn(&T) -> bool,
) -> Option<T> {
    serde_json::from_value::<T>(e.details.clone())
        .ok()
        .filter(|d| about_subject(d))
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

/// Resolves `e` unless a person took it up since it was listed; whether it did.
async fn resolve(ctx: &ClientServices, e: &ExceptionRecord, note: &str) -> Result<bool, FlowError> {
    let still_open = ctx
        .store
        .exception(e.id)
        .await?
        .is_some_and(|(now, _)| now.state == ExceptionState::Open);
    if !still_open {
        return Ok(false);
    }
    ctx.store
        .resolve_exception(e.id, ACTOR, note, OffsetDateTime::now_utc())
        .await?;
    tracing::info!(client = %ctx.client, kind = %e.kind, subject = %e.subject, "exception auto-resolved");
    Ok(true)
}
