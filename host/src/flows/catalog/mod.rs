//! Catalog: Blue Cherry styles (changed since the cursor) -> the storefront.
//!
//! - `plan.rs`: the pure parts (a style in the plugin's shape, content hashes, grid and option
//!   checks);
//! - `apply.rs`: the I/O through the storefront's catalog port
//!   ([`CatalogPort`](crate::storefronts::CatalogPort)). On a **product** storefront
//!   (BigCommerce) the client plugin maps each style to a product with options and variants
//!   (`map-styles`); new styles become products, changed ones are batch-updated
//!   (`batch.rs`), new SKUs of a known product are added (`variants.rs`). Only what changed is
//!   written: a content hash per product and per variant is kept in the bindings. A style the
//!   plugin refuses, a grid value the product lacks, or a SKU the storefront refuses becomes a
//!   `sku_unmapped` exception, never a broken SKU. On a **SKU-list** storefront (Sparklayer,
//!   `skus.rs`) every SKU whose grid is sound is bound, the others raise `sku_unmapped` and
//!   are shown in the storefront's sync log.
//!
//! The cursor `catalog.styles_changed_since` advances only after every style read was applied
//! or sent to the exception queue. A style refused for a rule reason is read again when it
//! changes in the ERP, or on a run with `full_resync` (after fixing the client's rules).

mod apply;
mod batch;
mod plan;
mod skus;
mod variants;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{ClientServices, FlowError, FlowOutcome, FlowReport, extra_of};
use crate::progress::{NoProgress, Progress};

/// Cursor: `updated_at` of the newest style applied (RFC 3339).
pub const CURSOR: &str = "catalog.styles_changed_since";

/// `[catalog]` in a client's config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogSettings {
    /// Weight given to new BigCommerce products (the API requires one), in the store's unit.
    pub default_weight: f64,
    /// Whether new BigCommerce products are visible as soon as they are created.
    pub visible: bool,
    /// Read every style, not only those changed since the cursor (after a rules change).
    pub full_resync: bool,
    /// Styles per plugin call (bounds the plugin's memory and output per call).
    pub styles_per_call: usize,
    /// Wholesale price level carried in `erp-sku.wholesale` for the plugin.
    pub wholesale_level: String,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            default_weight: 1.0,
            visible: true,
            full_resync: false,
            styles_per_call: 200,
            wholesale_level: "A".into(),
        }
    }
}

/// What a catalog run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CatalogOutcome {
    /// Styles read from the ERP.
    pub styles_read: u64,
    /// Products created.
    pub products_created: u64,
    /// Products updated (changed content).
    pub products_updated: u64,
    /// Variants created on existing products.
    pub variants_created: u64,
    /// Variants updated (changed content).
    pub variants_updated: u64,
    /// SKUs bound without a storefront write (Sparklayer).
    pub skus_bound: u64,
    /// Styles whose content had not changed.
    pub styles_unchanged: u64,
    /// Styles refused (plugin issues, storefront refusals): in the exception queue.
    pub styles_rejected: u64,
    /// SKUs refused on their own (new grid value, storefront refusal): in the exception queue.
    pub skus_rejected: u64,
}

/// Runs one catalog sync for a client.
pub async fn run(
    ctx: &ClientServices,
    settings: &CatalogSettings,
) -> Result<FlowReport, FlowError> {
    run_with(ctx, settings, &NoProgress).await
}

/// [`run`], telling `progress` how many of the styles read are applied (a first sync reads
/// them all).
pub async fn run_with(
    ctx: &ClientServices,
    settings: &CatalogSettings,
    progress: &dyn Progress,
) -> Result<FlowReport, FlowError> {
    let since = if settings.full_resync {
        None
    } else {
        ctx.store
            .cursor(&ctx.client, CURSOR)
            .await?
            .and_then(|c| OffsetDateTime::parse(&c, &Rfc3339).ok())
            // The gateway's filter is exclusive; one second back makes the window inclusive
            // (a style stamped in the same instant as the cursor is not lost) and the content
            // hashes absorb the overlap.
            .map(|t| t - time::Duration::SECOND)
    };
    let styles = ctx.erp.list_styles(since).await?;
    let newest = styles.iter().map(|s| s.updated_at).max();
    let mut outcome = apply::sync(ctx, settings, &styles, false, progress).await?;
    outcome.styles_read = styles.len() as u64;
    if let Some(newest) = newest
        && let Ok(text) = newest.format(&Rfc3339)
    {
        ctx.store
            .set_cursor(&ctx.client, CURSOR, &text, OffsetDateTime::now_utc())
            .await?;
    }
    Ok(outcome.report())
}

/// Re-syncs one style now, whatever the content hashes say: read from the ERP, mapped by the
/// plugin, every product and variant written again. The cursor stays the scheduled run's.
/// `None` when the ERP has no such style.
pub async fn resync_style(
    ctx: &ClientServices,
    settings: &CatalogSettings,
    style: &str,
) -> Result<Option<CatalogOutcome>, FlowError> {
    let styles: Vec<_> = ctx
        .erp
        .list_styles(None)
        .await?
        .into_iter()
        .filter(|s| s.style == style)
        .collect();
    if styles.is_empty() {
        return Ok(None);
    }
    let mut outcome = apply::sync(ctx, settings, &styles, true, &NoProgress).await?;
    outcome.styles_read = styles.len() as u64;
    Ok(Some(outcome))
}

impl FlowOutcome for CatalogOutcome {
    fn summary(&self) -> String {
        format!(
            "{} styles read: {} products created, {} updated, {} variants created, {} updated, \
             {} unchanged, {} styles and {} SKUs refused",
            self.styles_read,
            self.products_created,
            self.products_updated,
            self.variants_created,
            self.variants_updated,
            self.styles_unchanged,
            self.styles_rejected,
            self.skus_rejected
        )
    }

    fn records(&self) -> Option<u64> {
        Some(self.styles_read)
    }

    /// Products and variants written, and SKUs bound.
    fn changed(&self) -> Option<u64> {
        Some(
            self.products_created
                + self.products_updated
                + self.variants_created
                + self.variants_updated
                + self.skus_bound,
        )
    }

    fn extra(&self) -> serde_json::Map<String, serde_json::Value> {
        extra_of(self)
    }
}
