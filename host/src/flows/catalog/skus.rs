//! The catalog on a SKU-list storefront (Sparklayer): it sells the underlying platform's
//! products, so what it needs from the ERP master is *which SKUs exist*; the B2B price lists
//! and the stock feed carry exactly those. Every SKU whose grid is sound is bound, the others
//! raise `sku_unmapped` and are shown to the storefront's admins.

use selvedge_bluecherry::model::Style;
use selvedge_store::SkuBinding;
use serde_json::json;
use time::OffsetDateTime;

use super::CatalogOutcome;
use super::apply::bindings;
use super::plan::{content_hash, grid_problem};
use crate::flows::{ClientServices, ExceptionKind, FlowError};
use crate::storefronts::{SkuListSink, SkuProblem};

pub(super) async fn sync(
    ctx: &ClientServices,
    sink: &dyn SkuListSink,
    styles: &[Style],
) -> Result<CatalogOutcome, FlowError> {
    let mut out = CatalogOutcome::default();
    let known = bindings(ctx).await?;
    let now = OffsetDateTime::now_utc();
    let storefront = ctx.storefront.name();
    let mut rows = Vec::new();
    let mut hashes = Vec::new();
    let mut problems = Vec::new();
    for style in styles {
        let mut changed = false;
        for sku in &style.skus {
            if let Some(problem) = grid_problem(style, sku) {
                out.skus_rejected += 1;
                let summary = format!(
                    "SKU {}: {problem}; not published to {}",
                    sku.sku,
                    sink.title()
                );
                ctx.raise(
                    ExceptionKind::SkuUnmapped,
                    &sku.sku,
                    summary.clone(),
                    json!({ "style": style.style }),
                )
                .await?;
                problems.push(SkuProblem {
                    sku: sku.sku.clone(),
                    message: summary,
                });
                continue;
            }
            let hash = content_hash(
                &json!({ "style": style.style, "upc": sku.upc, "season": style.season }),
            );
            if known.get(&sku.sku).and_then(|b| b.content_hash.as_deref()) == Some(hash.as_str()) {
                continue;
            }
            changed = true;
            rows.push(SkuBinding {
                client: ctx.client.clone(),
                storefront: storefront.into(),
                erp_sku: sku.sku.clone(),
                product_id: style.style.clone(),
                variant_id: None,
                storefront_sku: sku.sku.clone(),
                content_hash: None,
                updated_at: now,
            });
            hashes.push((sku.sku.clone(), hash));
        }
        if !changed {
            out.styles_unchanged += 1;
        }
    }
    ctx.store.upsert_bindings(&rows, now).await?;
    ctx.store
        .set_content_hashes(&ctx.client, storefront, &hashes, now)
        .await?;
    out.skus_bound = rows.len() as u64;
    // One call per run: the storefront shows the latest catalog problems (or none).
    sink.publish_problems(now, &problems).await?;
    Ok(out)
}
