//! Catalog -> Sparklayer: bind the SKUs the B2B layer may carry (prices and stock), refuse
//! broken grid cells, and show the refusals in Sparklayer's sync log.

use std::collections::HashMap;

use selvedge_bluecherry::model::{Sku, Style};
use selvedge_sparklayer::SparklayerClient;
use selvedge_sparklayer::model::{SyncLogError, SyncLogUpdate};
use selvedge_store::SkuBinding;
use serde_json::json;
use time::OffsetDateTime;

use crate::flows::catalog::{CatalogOutcome, content_hash};
use crate::flows::{ClientServices, ExceptionKind, FlowError};

const STOREFRONT: &str = "sparklayer";
/// Integration name under which Selvedge writes to the Sparklayer sync log.
pub const SYNC_LOG_INTEGRATION: &str = "selvedge";

/// Why a grid cell cannot be published, if it cannot.
fn grid_problem(style: &Style, sku: &Sku) -> Option<String> {
    if !style.colours.iter().any(|c| c.code == sku.colour) {
        return Some(format!(
            "colour {} is not in style {}'s colours",
            sku.colour, style.style
        ));
    }
    if !style.sizes.iter().any(|z| z.code == sku.size) {
        return Some(format!(
            "size {} is not in size scale {}",
            sku.size, style.size_scale
        ));
    }
    match &sku.dimension {
        Some(d) if !style.dimensions.contains(d) => Some(format!(
            "dimension {d} is not listed on style {}",
            style.style
        )),
        _ => None,
    }
}

pub(super) async fn sync(
    ctx: &ClientServices,
    sl: &SparklayerClient,
    styles: &[Style],
) -> Result<CatalogOutcome, FlowError> {
    let mut out = CatalogOutcome::default();
    let known: HashMap<String, SkuBinding> = ctx
        .store
        .list_bindings(&ctx.client, STOREFRONT)
        .await?
        .into_iter()
        .map(|b| (b.erp_sku.clone(), b))
        .collect();
    let now = OffsetDateTime::now_utc();
    let mut rows = Vec::new();
    let mut hashes = Vec::new();
    let mut errors = Vec::new();
    for style in styles {
        let mut changed = false;
        for sku in &style.skus {
            if let Some(problem) = grid_problem(style, sku) {
                out.skus_rejected += 1;
                let summary = format!("SKU {}: {problem}; not published to Sparklayer", sku.sku);
                ctx.raise(
                    ExceptionKind::SkuUnmapped,
                    &sku.sku,
                    summary.clone(),
                    json!({ "style": style.style }),
                )
                .await?;
                errors.push(SyncLogError {
                    external_id: Some(sku.sku.clone()),
                    external_url: None,
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
                storefront: STOREFRONT.into(),
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
        .set_content_hashes(&ctx.client, STOREFRONT, &hashes, now)
        .await?;
    out.skus_bound = rows.len() as u64;
    // One call per run: the dashboard shows the latest catalog problems (or none).
    let log = SyncLogUpdate {
        started_full_sync: Some(now),
        last_full_sync: Some(OffsetDateTime::now_utc()),
        last_full_sync_succeeded: Some(errors.is_empty()),
        errors,
    };
    sl.put_sync_log(SYNC_LOG_INTEGRATION, "catalog", &log)
        .await?;
    Ok(out)
}
