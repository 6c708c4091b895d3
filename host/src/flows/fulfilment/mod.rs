//! Fulfilment: Blue Cherry shipment confirmations -> BigCommerce shipments with tracking
//! (partial shipments too) and Sparklayer purchase packages and status.
//!
//! Idempotent end to end: shipments are read after the saved cursor, which is saved only
//! after the page is applied; applying is an upsert by ERP shipment number (kept in the
//! BigCommerce shipment's `comments` and the Sparklayer package's `external_id`), so a
//! shipment seen twice at a boundary or after a crash is not sent twice.

mod apply;

use apply::{Skip, apply};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::flows::{ClientServices, ExceptionKind, FlowError, FlowOutcome, FlowReport};

/// Cursor of the ERP shipment feed (opaque, exclusive).
pub const SHIPMENTS_CURSOR: &str = "bluecherry.shipments.cursor";

/// `[fulfilment]` in a client's config.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FulfilmentSettings {
    /// Shipments read per page.
    pub page_size: usize,
    /// External reference prefix of this client's sales orders (`BC-`, `SL-`: as the plugin
    /// builds them). Shipments of other references belong to someone else and are skipped.
    pub external_ref_prefix: Option<String>,
}

impl Default for FulfilmentSettings {
    fn default() -> Self {
        Self {
            page_size: 100,
            external_ref_prefix: None,
        }
    }
}

/// Applies every shipment after the cursor.
pub async fn run(
    ctx: &ClientServices,
    settings: &FulfilmentSettings,
) -> Result<FlowReport, FlowError> {
    let mut cursor = ctx.store.cursor(&ctx.client, SHIPMENTS_CURSOR).await?;
    let mut out = FulfilmentOutcome::default();
    loop {
        let page = ctx
            .erp
            .list_shipments(cursor.as_deref(), settings.page_size.max(1))
            .await?;
        for shipment in &page.items {
            out.read += 1;
            // A transient failure stops the run here: the cursor stays before this page.
            match apply(ctx, settings, shipment).await? {
                Ok(()) => out.applied += 1,
                Err(Skip::NotOurs) => {}
                Err(Skip::Failed(reason)) => {
                    out.failed += 1;
                    let details = json!({ "shipment": shipment, "reason": reason });
                    ctx.raise(
                        ExceptionKind::ShipmentFailed,
                        &shipment.shipment_number,
                        reason,
                        details,
                    )
                    .await?;
                }
            }
        }
        if !page.next_cursor.is_empty() && cursor.as_deref() != Some(page.next_cursor.as_str()) {
            let now = OffsetDateTime::now_utc();
            ctx.store
                .set_cursor(&ctx.client, SHIPMENTS_CURSOR, &page.next_cursor, now)
                .await?;
            cursor = Some(page.next_cursor.clone());
        }
        if !page.has_more || page.items.is_empty() {
            break;
        }
    }
    Ok(out.report())
}

/// What a fulfilment run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FulfilmentOutcome {
    /// ERP shipments read after the cursor.
    pub read: u64,
    /// Applied to their storefront order.
    pub applied: u64,
    /// Refused or unmatched: an exception each.
    pub failed: u64,
}

impl FlowOutcome for FulfilmentOutcome {
    fn summary(&self) -> String {
        format!(
            "{} shipments read, {} applied, {} failed",
            self.read, self.applied, self.failed
        )
    }

    fn records(&self) -> Option<u64> {
        Some(self.read)
    }

    fn changed(&self) -> Option<u64> {
        Some(self.applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipments_read_are_the_records_and_those_applied_the_changes() {
        let report = FulfilmentOutcome {
            read: 4,
            applied: 2,
            failed: 1,
        }
        .report();
        assert_eq!(report.summary, "4 shipments read, 2 applied, 1 failed");
        assert_eq!(
            (report.measurements.records, report.measurements.changed),
            (Some(4), Some(2))
        );
        assert!(report.measurements.extra.is_empty());
    }
}
