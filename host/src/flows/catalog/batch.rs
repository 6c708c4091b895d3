//! Changed products and variants, written in batches at the end of the run; a hash is
//! recorded only for the items the storefront applied.

use selvedge_runtime::rules::catalog::{self as rules, ProductVariant};
use serde_json::json;
use time::OffsetDateTime;

use super::CatalogOutcome;
use crate::flows::{ClientServices, ExceptionKind, FlowError};
use crate::storefronts::{ItemRefused, ProductSink};

/// Updates waiting for the batch calls: `(storefront id, content, ERP SKU, hash)`.
#[derive(Default)]
pub(super) struct Pending {
    products: Vec<(i64, rules::Product, String, String)>,
    variants: Vec<(i64, ProductVariant, String, String)>,
}

impl Pending {
    pub(super) fn product(&mut self, id: i64, product: &rules::Product, hash: String) {
        // The product's own fields only: its variants are written one by one.
        let own = rules::Product {
            variants: Vec::new(),
            ..product.clone()
        };
        self.products.push((id, own, product.sku.clone(), hash));
    }

    pub(super) fn variant(&mut self, id: i64, variant: &ProductVariant, hash: String) {
        self.variants
            .push((id, variant.clone(), variant.sku.clone(), hash));
    }
}

/// What a refusal of one kind of item counts and says.
struct Kind {
    what: &'static str,
    id_field: &'static str,
}

/// Sends the batched updates and records the hashes of the items the storefront applied;
/// refused items go to the exception queue.
pub(super) async fn flush(
    ctx: &ClientServices,
    sink: &dyn ProductSink,
    pending: Pending,
    out: &mut CatalogOutcome,
) -> Result<(), FlowError> {
    if !pending.products.is_empty() {
        let updates: Vec<_> = pending
            .products
            .iter()
            .map(|p| (p.0, p.1.clone()))
            .collect();
        let refused = sink.update_products(&updates).await?;
        let items = pending.products.iter().map(|p| (p.0, &p.2, &p.3));
        let kind = Kind {
            what: "style",
            id_field: "product_id",
        };
        let (applied, rejected) = settle(ctx, sink, &kind, items, &refused).await?;
        out.products_updated += applied;
        out.styles_rejected += rejected;
    }
    if !pending.variants.is_empty() {
        let updates: Vec<_> = pending
            .variants
            .iter()
            .map(|v| (v.0, v.1.clone()))
            .collect();
        let refused = sink.update_variants(&updates).await?;
        let items = pending.variants.iter().map(|v| (v.0, &v.2, &v.3));
        let kind = Kind {
            what: "SKU",
            id_field: "variant_id",
        };
        let (applied, rejected) = settle(ctx, sink, &kind, items, &refused).await?;
        out.variants_updated += applied;
        out.skus_rejected += rejected;
    }
    Ok(())
}

/// Records the hashes of the applied items and raises the refused; returns both counts.
async fn settle<'a>(
    ctx: &ClientServices,
    sink: &dyn ProductSink,
    kind: &Kind,
    items: impl Iterator<Item = (i64, &'a String, &'a String)>,
    refused: &[ItemRefused],
) -> Result<(u64, u64), FlowError> {
    let now = OffsetDateTime::now_utc();
    let mut hashes = Vec::new();
    let mut rejected = 0;
    for (id, erp_sku, hash) in items {
        match refused.iter().find(|f| f.id == id) {
            None => hashes.push((erp_sku.clone(), hash.clone())),
            Some(f) => {
                rejected += 1;
                let summary = format!(
                    "{} {erp_sku}: {} refused the update: {}",
                    kind.what,
                    sink.title(),
                    f.reason
                );
                let details = json!({ kind.id_field: f.id, "status": f.status });
                ctx.raise(ExceptionKind::SkuUnmapped, erp_sku, summary, details)
                    .await?;
            }
        }
    }
    let applied = hashes.len() as u64;
    ctx.store
        .set_content_hashes(&ctx.client, ctx.storefront.name(), &hashes, now)
        .await?;
    Ok((applied, rejected))
}
