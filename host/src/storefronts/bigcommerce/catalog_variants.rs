//! New SKUs of a style whose BigCommerce product already exists.
//!
//! A SKU whose option values all exist on the product (a new colour x size combination of
//! known values) becomes a variant. A SKU needing an option value the product lacks (a new
//! grid value: a colour or size added to the style in the ERP) is not created: it goes to the
//! exception queue as `sku_unmapped`, because a variant without its option value would be a
//! broken SKU on the storefront, and adding option values changes what shoppers see.

use std::collections::HashMap;

use selvedge_bigcommerce::model::{NewVariant, ProductQuery, VariantOptionValue};
use selvedge_bigcommerce::{BigCommerceClient, Money};
use selvedge_runtime::rules::catalog::ProductVariant;
use selvedge_store::SkuBinding;
use serde_json::json;
use time::OffsetDateTime;

use crate::flows::catalog::{CatalogOutcome, content_hash};
use crate::flows::{ClientServices, ExceptionKind, FlowError};

const STOREFRONT: &str = "bigcommerce";

pub(super) async fn add(
    ctx: &ClientServices,
    bc: &BigCommerceClient,
    product_id: i64,
    new: &[&ProductVariant],
    bound: &mut HashMap<String, SkuBinding>,
    out: &mut CatalogOutcome,
) -> Result<(), FlowError> {
    let query = ProductQuery {
        ids: vec![product_id],
        include_variants: true,
        include_options: true,
        ..ProductQuery::default()
    };
    let Some(stored) = bc.list_products(&query).await?.into_iter().next() else {
        for v in new {
            let summary = format!(
                "SKU {}: its product {product_id} is no longer on BigCommerce",
                v.sku
            );
            ctx.raise(
                ExceptionKind::SkuUnmapped,
                &v.sku,
                summary,
                json!({ "product_id": product_id }),
            )
            .await?;
            out.skus_rejected += 1;
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
            let b = binding(ctx, product_id, sv.id, &sv.sku, &v.sku, now);
            ctx.store
                .upsert_bindings(std::slice::from_ref(&b), now)
                .await?;
            bound.insert(v.sku.clone(), b);
            continue;
        }
        let mut option_values = Vec::new();
        let mut missing = Vec::new();
        for (name, label) in &v.options {
            let found = stored
                .options
                .iter()
                .find(|o| o.display_name.eq_ignore_ascii_case(name))
                .and_then(|o| {
                    Some((
                        o.id,
                        o.option_values.iter().find(|x| &x.label == label)?.id?,
                    ))
                });
            match found {
                Some((option_id, value_id)) => {
                    option_values.push(VariantOptionValue::ids(option_id, value_id))
                }
                None => missing.push(format!("{name} = {label}")),
            }
        }
        if !missing.is_empty() {
            out.skus_rejected += 1;
            let summary = format!(
                "SKU {}: new grid value {} is not an option value of BigCommerce product {product_id}; \
                 add it to the product's options, then retry",
                v.sku,
                missing.join(", ")
            );
            let details = json!({ "product_id": product_id, "missing_option_values": missing, "options": v.options });
            ctx.raise(ExceptionKind::SkuUnmapped, &v.sku, summary, details)
                .await?;
            continue;
        }
        let variant = NewVariant {
            product_id: Some(product_id),
            sku: v.sku.clone(),
            price: Some(Money(v.price)),
            upc: Some(v.upc.clone()).filter(|u| !u.is_empty()),
            option_values,
            ..NewVariant::default()
        };
        match bc.create_variant(product_id, &variant).await {
            Ok(created) => {
                let mut b = binding(ctx, product_id, created.id, &created.sku, &v.sku, now);
                ctx.store
                    .upsert_bindings(std::slice::from_ref(&b), now)
                    .await?;
                let hash = content_hash(*v);
                ctx.store
                    .set_content_hashes(
                        &ctx.client,
                        STOREFRONT,
                        &[(v.sku.clone(), hash.clone())],
                        now,
                    )
                    .await?;
                b.content_hash = Some(hash);
                bound.insert(v.sku.clone(), b);
                out.variants_created += 1;
            }
            Err(
                e @ (selvedge_bigcommerce::Error::Validation { .. }
                | selvedge_bigcommerce::Error::Conflict { .. }),
            ) => {
                out.skus_rejected += 1;
                let summary = format!("SKU {}: BigCommerce refused the variant: {e}", v.sku);
                ctx.raise(
                    ExceptionKind::SkuUnmapped,
                    &v.sku,
                    summary,
                    json!({ "product_id": product_id }),
                )
                .await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn binding(
    ctx: &ClientServices,
    product_id: i64,
    variant_id: i64,
    storefront_sku: &str,
    erp_sku: &str,
    now: OffsetDateTime,
) -> SkuBinding {
    SkuBinding {
        client: ctx.client.clone(),
        storefront: STOREFRONT.into(),
        erp_sku: erp_sku.into(),
        product_id: product_id.to_string(),
        variant_id: Some(variant_id.to_string()),
        storefront_sku: storefront_sku.into(),
        content_hash: None,
        updated_at: now,
    }
}
