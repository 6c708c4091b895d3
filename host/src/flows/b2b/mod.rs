//! B2B: Blue Cherry customer terms and credit -> Sparklayer `payment_on_account`; ERP price
//! levels -> the client plugin (`map-prices`) -> Sparklayer price lists with quantity breaks.
//! `plan` decides (pure), `apply` reads and writes through the storefront's B2B port.
//!
//! - Terms: Blue Cherry is the master. ERP customers are matched to Sparklayer customers by the
//!   Sparklayer customer's `external_id` (= ERP customer number). A customer whose terms,
//!   credit limit or balance differ is rewritten (other keys of the metafield are kept).
//!   Card customers (no net days, no credit) are skipped; net terms outside Sparklayer's 7-90
//!   days are a `b2b_sync` exception (finance), never a silently clamped term.
//! - Prices: only SKUs the catalog flow has bound for Sparklayer are published (a SKU refused
//!   there is not priced). Lists the plugin names are created if missing. The content hash of
//!   each (list, SKU) tier set last accepted is kept in the store's published prices, so a
//!   run sends only SKUs whose tiers changed, in
//!   `batch-update-pricing` calls of `pricing_batch` SKUs across lists.

mod apply;
mod plan;

use serde::{Deserialize, Serialize};

use super::{ClientServices, FlowError, FlowOutcome, FlowReport, extra_of};

/// `[b2b]` in a client's config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct B2bSettings {
    /// Publish customers' terms and credit to `payment_on_account`.
    pub terms: bool,
    /// Publish price levels as price lists.
    pub pricing: bool,
    /// ISO 4217 currency of the ERP's prices (and of lists created from them).
    pub currency: String,
    /// ERP price levels to publish; empty = every level (the plugin decides which have lists).
    pub price_levels: Vec<String>,
    /// SKUs per `batch-update-pricing` call.
    pub pricing_batch: usize,
}

impl Default for B2bSettings {
    fn default() -> Self {
        Self {
            terms: true,
            pricing: true,
            currency: "USD".into(),
            price_levels: Vec::new(),
            pricing_batch: 500,
        }
    }
}

/// What a B2B run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct B2bOutcome {
    /// ERP customers with credit terms read.
    pub customers_read: u64,
    /// Sparklayer customers whose terms were rewritten.
    pub terms_updated: u64,
    /// ERP customers with no Sparklayer customer (by external id).
    pub customers_unmatched: u64,
    /// Customers refused (exception raised).
    pub terms_refused: u64,
    /// Price lists created.
    pub lists_created: u64,
    /// (list, SKU) tier sets sent.
    pub tiers_updated: u64,
    /// (list, SKU) tier sets unchanged since the last accepted push.
    pub tiers_unchanged: u64,
    /// Price rows skipped because their SKU is not bound to Sparklayer.
    pub prices_unbound: u64,
    /// Pricing calls made.
    pub pricing_calls: u64,
}

/// Runs one B2B sync for a client (storefronts with a B2B port: Sparklayer).
pub async fn run(ctx: &ClientServices, settings: &B2bSettings) -> Result<FlowReport, FlowError> {
    let sink = ctx.storefront.b2b()?;
    let mut out = B2bOutcome::default();
    if settings.terms {
        apply::sync_terms(ctx, sink, &mut out).await?;
    }
    if settings.pricing {
        apply::sync_prices(ctx, sink, settings, &mut out).await?;
    }
    Ok(out.report())
}

impl FlowOutcome for B2bOutcome {
    fn summary(&self) -> String {
        format!(
            "terms: {} of {} customers updated ({} unmatched, {} refused); prices: {} SKU tiers sent in {} calls, {} unchanged, {} lists created",
            self.terms_updated,
            self.customers_read,
            self.customers_unmatched,
            self.terms_refused,
            self.tiers_updated,
            self.pricing_calls,
            self.tiers_unchanged,
            self.lists_created
        )
    }

    fn records(&self) -> Option<u64> {
        Some(self.customers_read + self.tiers_updated + self.tiers_unchanged)
    }

    fn changed(&self) -> Option<u64> {
        Some(self.terms_updated + self.tiers_updated)
    }

    fn extra(&self) -> serde_json::Map<String, serde_json::Value> {
        extra_of(self)
    }
}
