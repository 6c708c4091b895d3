//! Catalog -> BigCommerce: products, options, variants; only what changed.

use std::collections::HashMap;

use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::model::{Product as BcProduct, ProductQuery};
use selvedge_bluecherry::model::Style;
use selvedge_runtime::CallReport;
use selvedge_runtime::rules::catalog::{self as rules, CatalogDecision};
use selvedge_runtime::rules::types::Severity;
use selvedge_store::{Decision, SkuBinding};
use serde_json::json;
use time::OffsetDateTime;

use super::catalog_batch::{Pending, flush, new_product, product_update, variant_update};
use crate::flows::catalog::{CatalogOutcome, CatalogSettings, content_hash, erp_style};
use crate::flows::{ClientServices, ExceptionKind, FlowError, FlowKind};

const STOREFRONT: &str = "bigcommerce";
/// BigCommerce allows at most 600 SKUs per product.
const MAX_VARIANTS: usize = 600;

pub(super) async fn sync(
    ctx: &ClientServices,
    bc: &BigCommerceClient,
    settings: &CatalogSettings,
    styles: &[Style],
) -> Result<CatalogOutcome, FlowError> {
    let mut out = CatalogOutcome::default();
    let mut bound: HashMap<String, SkuBinding> = ctx
        .store
        .list_bindings(&ctx.client, STOREFRONT)
        .await?
        .into_iter()
        .map(|b| (b.erp_sku.clone(), b))
        .collect();
    let mut pending = Pending::default();
    for chunk in styles.chunks(settings.styles_per_call.max(1)) {
        let input = chunk
            .iter()
            .map(|s| erp_style(s, &settings.wholesale_level))
            .collect();
        let called = ctx.plugin.map_styles(input).await?;
        if called.output.len() != chunk.len() {
            return Err(FlowError::Invalid(format!(
                "plugin {} returned {} catalog decisions for {} styles",
                called.report.plugin,
                called.output.len(),
                chunk.len()
            )));
        }
        let mut decisions = Vec::new();
        for (style, decision) in chunk.iter().zip(called.output) {
            let action = apply(
                ctx,
                bc,
                settings,
                style,
                &decision,
                &mut bound,
                &mut pending,
                &mut out,
            )
            .await?;
            if action != "unchanged" {
                decisions.push(record(
                    ctx,
                    &called.report,
                    style,
                    &decision,
                    action,
                    &bound,
                ));
            }
        }
        ctx.store.record_decisions(&decisions).await?;
    }
    flush(ctx, bc, pending, &mut out).await?;
    Ok(out)
}

/// Applies one style's decision; returns what happened (`created`, `updated`, `unchanged`,
/// `refused`) for the decision audit.
#[allow(clippy::too_many_arguments)]
async fn apply(
    ctx: &ClientServices,
    bc: &BigCommerceClient,
    settings: &CatalogSettings,
    style: &Style,
    decision: &CatalogDecision,
    bound: &mut HashMap<String, SkuBinding>,
    pending: &mut Pending,
    out: &mut CatalogOutcome,
) -> Result<&'static str, FlowError> {
    let blocking: Vec<_> = decision
        .issues
        .iter()
        .filter(|i| i.severity != Severity::Warning)
        .collect();
    let refused = decision
        .issues
        .iter()
        .any(|i| i.severity == Severity::Error);
    let Some(product) = decision.product.as_ref().filter(|_| !refused) else {
        out.styles_rejected += 1;
        let summary = blocking
            .iter()
            .map(|i| i.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let summary = if summary.is_empty() {
            "the plugin returned no product".to_string()
        } else {
            summary
        };
        let details = json!({ "style": style.style, "issues": decision.issues });
        ctx.raise(
            ExceptionKind::SkuUnmapped,
            &style.style,
            format!("style {}: {summary}", style.style),
            details,
        )
        .await?;
        return Ok("refused");
    };
    for issue in &blocking {
        // A review issue lets the product through but needs a person.
        let summary = format!("style {} needs review: {}", style.style, issue.message);
        ctx.raise(
            ExceptionKind::SkuUnmapped,
            &style.style,
            summary,
            json!({ "issue": issue }),
        )
        .await?;
    }
    if product.variants.len() > MAX_VARIANTS {
        out.styles_rejected += 1;
        let summary = format!(
            "style {} has {} SKUs; BigCommerce allows {MAX_VARIANTS} per product",
            style.style,
            product.variants.len()
        );
        ctx.raise(ExceptionKind::SkuUnmapped, &style.style, summary, json!({}))
            .await?;
        return Ok("refused");
    }
    let product_hash = content_hash(&rules::Product {
        variants: Vec::new(),
        ..product.clone()
    });
    let product_id = bound
        .get(&product.sku)
        .map(|b| b.product_id.clone())
        .or_else(|| {
            product
                .variants
                .iter()
                .find_map(|v| bound.get(&v.sku).map(|b| b.product_id.clone()))
        })
        .and_then(|id| id.parse::<i64>().ok());
    let product_id = match product_id {
        Some(id) => id,
        None => match create(ctx, bc, settings, product, bound, out).await? {
            Created::Done => return Ok("created"),
            Created::Refused => return Ok("refused"),
            Created::Adopted(id) => id,
        },
    };
    let mut action = "unchanged";
    if bound
        .get(&product.sku)
        .and_then(|b| b.content_hash.as_deref())
        != Some(product_hash.as_str())
    {
        pending.products.push((
            product_update(product_id, product),
            product.sku.clone(),
            product_hash,
        ));
        action = "updated";
    }
    let mut new_variants = Vec::new();
    for v in &product.variants {
        match bound
            .get(&v.sku)
            .and_then(|b| Some((b.variant_id.as_deref()?.parse::<i64>().ok()?, b)))
        {
            Some((id, b)) => {
                let hash = content_hash(v);
                if b.content_hash.as_deref() != Some(hash.as_str()) {
                    pending
                        .variants
                        .push((variant_update(id, v), v.sku.clone(), hash));
                    action = "updated";
                }
            }
            None => new_variants.push(v),
        }
    }
    if !new_variants.is_empty() {
        super::catalog_variants::add(ctx, bc, product_id, &new_variants, bound, out).await?;
        action = "updated";
    }
    if action == "unchanged" {
        out.styles_unchanged += 1;
    }
    Ok(action)
}

enum Created {
    Done,
    Refused,
    /// The product already existed on the store (e.g. bindings lost): now bound, to update.
    Adopted(i64),
}

async fn create(
    ctx: &ClientServices,
    bc: &BigCommerceClient,
    settings: &CatalogSettings,
    product: &rules::Product,
    bound: &mut HashMap<String, SkuBinding>,
    out: &mut CatalogOutcome,
) -> Result<Created, FlowError> {
    let new = new_product(product, settings);
    match bc.create_product(&new).await {
        Ok(created) => {
            bind(ctx, &created, product, true, bound).await?;
            out.products_created += 1;
            Ok(Created::Done)
        }
        Err(selvedge_bigcommerce::Error::Conflict { .. }) => {
            let query = ProductQuery {
                sku: Some(product.sku.clone()),
                include_variants: true,
                ..ProductQuery::default()
            };
            let existing = bc.list_products(&query).await?;
            match existing
                .into_iter()
                .find(|p| p.sku.eq_ignore_ascii_case(&product.sku))
            {
                Some(found) => {
                    bind(ctx, &found, product, false, bound).await?;
                    Ok(Created::Adopted(found.id))
                }
                None => {
                    refuse(
                        ctx,
                        product,
                        "a SKU of this style is already used by another product",
                    )
                    .await
                }
            }
        }
        Err(e @ selvedge_bigcommerce::Error::Validation { .. }) => {
            refuse(ctx, product, &e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refuse(
    ctx: &ClientServices,
    product: &rules::Product,
    why: &str,
) -> Result<Created, FlowError> {
    let summary = format!(
        "style {}: BigCommerce refused the product: {why}",
        product.style
    );
    ctx.raise(
        ExceptionKind::SkuUnmapped,
        &product.style,
        summary,
        json!({ "sku": product.sku }),
    )
    .await?;
    Ok(Created::Refused)
}

/// Binds a store product and its variants (matched by SKU); with `hashes`, records the
/// content just written (a create); an adopted product keeps no hash so it is rewritten.
async fn bind(
    ctx: &ClientServices,
    stored: &BcProduct,
    product: &rules::Product,
    hashes: bool,
    bound: &mut HashMap<String, SkuBinding>,
) -> Result<(), FlowError> {
    let now = OffsetDateTime::now_utc();
    let binding = |erp_sku: &str, variant_id: Option<i64>, sku: &str| SkuBinding {
        client: ctx.client.clone(),
        storefront: STOREFRONT.into(),
        erp_sku: erp_sku.into(),
        product_id: stored.id.to_string(),
        variant_id: variant_id.map(|v| v.to_string()),
        storefront_sku: sku.into(),
        content_hash: None,
        updated_at: now,
    };
    let mut rows = vec![binding(&product.sku, None, &stored.sku)];
    let mut written = vec![(
        product.sku.clone(),
        content_hash(&rules::Product {
            variants: Vec::new(),
            ..product.clone()
        }),
    )];
    for v in &product.variants {
        if let Some(sv) = stored
            .variants
            .iter()
            .find(|sv| sv.sku.eq_ignore_ascii_case(&v.sku))
        {
            rows.push(binding(&v.sku, Some(sv.id), &sv.sku));
            written.push((v.sku.clone(), content_hash(v)));
        }
    }
    ctx.store.upsert_bindings(&rows, now).await?;
    if hashes {
        ctx.store
            .set_content_hashes(&ctx.client, STOREFRONT, &written, now)
            .await?;
    }
    let hash_of: HashMap<String, String> = written.into_iter().collect();
    for mut b in rows {
        b.content_hash = if hashes {
            hash_of.get(&b.erp_sku).cloned()
        } else {
            None
        };
        bound.insert(b.erp_sku.clone(), b);
    }
    Ok(())
}

fn record(
    ctx: &ClientServices,
    report: &CallReport,
    style: &Style,
    decision: &CatalogDecision,
    action: &str,
    bound: &HashMap<String, SkuBinding>,
) -> Decision {
    let product_id = bound.get(&style.style).map(|b| b.product_id.clone());
    Decision {
        client: ctx.client.clone(),
        flow: FlowKind::Catalog.as_str().into(),
        subject: style.style.clone(),
        plugin_id: report.plugin.clone(),
        plugin_version: report.version.clone(),
        reason: json!({ "reasons": decision.reasons, "issues": decision.issues }),
        value: json!({
            "action": action,
            "product_id": product_id,
            "variants": decision.product.as_ref().map(|p| p.variants.len()),
        }),
        created_at: OffsetDateTime::now_utc(),
    }
}
