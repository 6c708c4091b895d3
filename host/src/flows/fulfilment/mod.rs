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

use crate::flows::{ClientServices, ExceptionKind, FlowError, FlowReport};

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
    let (mut read, mut applied, mut failed) = (0u64, 0u64, 0u64);
    loop {
        let page = ctx
            .erp
            .list_shipments(cursor.as_deref(), settings.page_size.max(1))
            .await?;
        for shipment in &page.items {
            read += 1;
            // A transient failure stops the run here: the cursor stays before this page.
            match apply(ctx, settings, shipment).await? {
                Ok(()) => applied += 1,
                Err(Skip::NotOurs) => {}
                Err(Skip::Failed(reason)) => {
                    failed += 1;
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
    let mut report = FlowReport {
        summary: format!("{read} shipments read, {applied} applied, {failed} failed"),
        ..FlowReport::default()
    };
    report.measurements.records = Some(read);
    report.measurements.changed = Some(applied);
    Ok(report)
}
