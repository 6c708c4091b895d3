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

use super::missing::{Missing, PARTIAL_SUBJECT, PartialDetails, SkuMissingDetails};
use super::rows::Built;
use crate::exceptions::auto_resolve::{open, raised_here, resolve_if_open};
use crate::flows::{ClientServices, ExceptionKind, FlowError};
use crate::storefronts::LocationTarget;

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
            resolved += u64::from(resolve_if_open(ctx, &e, &note).await?);
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
        resolved += u64::from(resolve_if_open(ctx, &e, &note).await?);
    }
    Ok(resolved)
}
