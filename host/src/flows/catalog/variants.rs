//! New SKUs of a style whose storefront product already exists.
//!
//! A SKU whose option values all exist on the product (a new colour x size combination of
//! known values) becomes a variant. A SKU needing an option value the product lacks (a new
//! grid value: a colour or size added to the style in the ERP) is not created: it goes to the
//! exception queue as `sku_unmapped`, because a variant without its option value would be a
//! broken SKU on the storefront, and adding option values changes what shoppers see.

use selvedge_runtime::rules::catalog::ProductVariant;
use serde_json::json;
use time::OffsetDateTime;

use super::apply::{StyleRun, binding};
use super::plan::{content_hash, option_values};
use crate::flows::{ExceptionKind, FlowError};

impl StyleRun<'_> {
    pub(super) async fn add_variants(
        &mut self,
        product_id: i64,
        new: &[&ProductVariant],
    ) -> Result<(), FlowError> {
        let ctx = self.ctx;
        let Some(stored) = self.sink.product(product_id).await? else {
            for v in new {
                let summary = format!(
                    "SKU {}: its product {product_id} is no longer on {}",
                    v.sku,
                    self.sink.title()
                );
                self.refuse_sku(&v.sku, summary, json!({ "product_id": product_id }))
                    .await?;
            }
            return Ok(());
        };
        let now = OffsetDateTime::now_utc();
        for v in new {
            // Already on the product (a binding was lost): bind it without a hash so the next
            // run rewrites its content.
            if let Some(sv) = stored
                .variants
                .iter()
                .find(|sv| sv.sku.eq_ignore_ascii_case(&v.sku))
            {
                let b = binding(ctx, product_id, Some(sv.id), &v.sku, &sv.sku, now);
                ctx.store
                    .upsert_bindings(std::slice::from_ref(&b), now)
                    .await?;
                self.bound.insert(v.sku.clone(), b);
                continue;
            }
            let ids = match option_values(&stored, v) {
                Ok(ids) => ids,
                Err(missing) => {
                    let summary = format!(
                        "SKU {}: new grid value {} is not an option value of {} product {product_id}; \
                         add it to the product's options, then retry",
                        v.sku,
                        missing.join(", "),
                        self.sink.title()
                    );
                    let details = json!({ "product_id": product_id, "missing_option_values": missing, "options": v.options });
                    self.refuse_sku(&v.sku, summary, details).await?;
                    continue;
                }
            };
            match self.sink.create_variant(product_id, v, &ids).await? {
                Ok(created) => {
                    let mut b =
                        binding(ctx, product_id, Some(created.id), &v.sku, &created.sku, now);
                    ctx.store
                        .upsert_bindings(std::slice::from_ref(&b), now)
                        .await?;
                    let hash = content_hash(*v);
                    ctx.store
                        .set_content_hashes(
                            &ctx.client,
                            ctx.storefront.name(),
                            &[(v.sku.clone(), hash.clone())],
                            now,
                        )
                        .await?;
                    b.content_hash = Some(hash);
                    self.bound.insert(v.sku.clone(), b);
                    self.out.variants_created += 1;
                }
                Err(why) => {
                    let summary = format!(
                        "SKU {}: {} refused the variant: {why}",
                        v.sku,
                        self.sink.title()
                    );
                    self.refuse_sku(&v.sku, summary, json!({ "product_id": product_id }))
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Counts a new SKU as refused and sends it to the exception queue.
    async fn refuse_sku(
        &mut self,
        sku: &str,
        summary: String,
        details: serde_json::Value,
    ) -> Result<(), FlowError> {
        self.out.skus_rejected += 1;
        self.ctx
            .raise(ExceptionKind::SkuUnmapped, sku, summary, details)
            .await
    }
}
