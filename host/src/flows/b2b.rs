//! B2B: Blue Cherry customer terms and credit -> Sparklayer `payment_on_account`; ERP price
//! levels -> the client plugin (`map-prices`) -> Sparklayer price lists with quantity breaks.
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

mod pricing;

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use selvedge_sparklayer::SparklayerClient;
use selvedge_sparklayer::model::PaymentOnAccount;
use serde_json::json;

use super::{ClientServices, ExceptionKind, FlowError, FlowKind, FlowReport, StorefrontClient};

/// Net terms Sparklayer accepts, in days.
const NET_TERMS_DAYS: std::ops::RangeInclusive<u16> = 7..=90;

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

/// Runs one B2B sync for a client (Sparklayer storefronts only).
pub async fn run(ctx: &ClientServices, settings: &B2bSettings) -> Result<FlowReport, FlowError> {
    let StorefrontClient::Sparklayer(sl) = &ctx.storefront else {
        return Err(FlowError::NotApplicable {
            flow: FlowKind::B2b,
            storefront: ctx.storefront.name(),
        });
    };
    let mut out = B2bOutcome::default();
    if settings.terms {
        sync_terms(ctx, sl, &mut out).await?;
    }
    if settings.pricing {
        pricing::sync(ctx, sl, settings, &mut out).await?;
    }
    let mut report = FlowReport {
        summary: format!(
            "terms: {} of {} customers updated ({} unmatched, {} refused); prices: {} SKU tiers sent in {} calls, {} unchanged, {} lists created",
            out.terms_updated,
            out.customers_read,
            out.customers_unmatched,
            out.terms_refused,
            out.tiers_updated,
            out.pricing_calls,
            out.tiers_unchanged,
            out.lists_created
        ),
        ..FlowReport::default()
    };
    report.measurements.records =
        Some(out.customers_read + out.tiers_updated + out.tiers_unchanged);
    report.measurements.changed = Some(out.terms_updated + out.tiers_updated);
    if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&out) {
        report.measurements.extra = map;
    }
    Ok(report)
}

async fn sync_terms(
    ctx: &ClientServices,
    sl: &SparklayerClient,
    out: &mut B2bOutcome,
) -> Result<(), FlowError> {
    let erp = ctx.erp.list_customers().await?;
    let remote = sl.list_customers().await?;
    let by_code: HashMap<&str, _> = remote
        .iter()
        .filter_map(|c| Some((c.external_id.as_deref()?, c)))
        .collect();
    for c in &erp {
        // Card / web accounts carry no credit: nothing to publish.
        if c.net_days == 0 && c.credit_limit.0 == 0 {
            continue;
        }
        out.customers_read += 1;
        let Some(remote) = by_code.get(c.customer.as_str()) else {
            out.customers_unmatched += 1;
            continue;
        };
        let Some(days) = u16::try_from(c.net_days)
            .ok()
            .filter(|d| NET_TERMS_DAYS.contains(d))
        else {
            out.terms_refused += 1;
            let summary = format!(
                "customer {}: terms {} ({} days) are outside Sparklayer's 7-90 day net terms",
                c.customer, c.terms_code, c.net_days
            );
            ctx.raise(
                ExceptionKind::B2bSync,
                &c.customer,
                summary,
                json!({ "terms": c.terms_code }),
            )
            .await?;
            continue;
        };
        let mut want = PaymentOnAccount::new(c.credit_limit.0, c.balance.0, Some(days));
        // A malformed stored value is simply replaced with the ERP's.
        if let Ok(Some(current)) = remote.payment_on_account() {
            want.extra = current.extra.clone();
            if current == want {
                continue;
            }
        }
        match sl.set_payment_on_account(&remote.id, &want).await {
            Ok(_) => out.terms_updated += 1,
            Err(e) if e.status().is_some_and(|s| s == 400 || s == 422) => {
                out.terms_refused += 1;
                let summary = format!("customer {}: Sparklayer refused the terms: {e}", c.customer);
                ctx.raise(
                    ExceptionKind::B2bSync,
                    &c.customer,
                    summary,
                    json!({ "sparklayer_id": remote.id }),
                )
                .await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
