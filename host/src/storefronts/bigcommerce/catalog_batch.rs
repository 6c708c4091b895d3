//! Batched writes of changed products and variants (10 and 50 a call), and the request
//! bodies built from the plugin's products.

use selvedge_bigcommerce::model::{
    Availability, CustomField, InventoryTracking, NewProduct, NewVariant, ProductType,
    ProductUpdate, VariantOptionValue, VariantUpdate,
};
use selvedge_bigcommerce::{BigCommerceClient, Money};
use selvedge_runtime::rules::catalog::{self as rules, ProductVariant};
use serde_json::json;
use time::OffsetDateTime;

use crate::flows::catalog::{CatalogOutcome, CatalogSettings};
use crate::flows::{ClientServices, ExceptionKind, FlowError};

const STOREFRONT: &str = "bigcommerce";

/// Writes waiting for the batch calls, with the ERP SKU and the hash to record once each
/// is accepted.
#[derive(Default)]
pub(super) struct Pending {
    pub products: Vec<(ProductUpdate, String, String)>,
    pub variants: Vec<(VariantUpdate, String, String)>,
}

/// Sends the batched updates (10 products, 50 variants a call) and records the hashes of
/// the items BigCommerce applied; refused items go to the exception queue.
pub(super) async fn flush(
    ctx: &ClientServices,
    bc: &BigCommerceClient,
    pending: Pending,
    out: &mut CatalogOutcome,
) -> Result<(), FlowError> {
    let now = OffsetDateTime::now_utc();
    if !pending.products.is_empty() {
        let updates: Vec<ProductUpdate> = pending.products.iter().map(|p| p.0.clone()).collect();
        let report = bc.update_products(&updates).await?;
        let mut hashes = Vec::new();
        for (update, erp_sku, hash) in &pending.products {
            match report.failed.iter().find(|f| f.id == update.id) {
                None => hashes.push((erp_sku.clone(), hash.clone())),
                Some(f) => {
                    out.styles_rejected += 1;
                    let summary = format!(
                        "style {erp_sku}: BigCommerce refused the update: {}",
                        f.reason
                    );
                    ctx.raise(
                        ExceptionKind::SkuUnmapped,
                        erp_sku,
                        summary,
                        json!({ "product_id": f.id, "status": f.status }),
                    )
                    .await?;
                }
            }
        }
        out.products_updated += hashes.len() as u64;
        ctx.store
            .set_content_hashes(&ctx.client, STOREFRONT, &hashes, now)
            .await?;
    }
    if !pending.variants.is_empty() {
        let updates: Vec<VariantUpdate> = pending.variants.iter().map(|v| v.0.clone()).collect();
        let report = bc.update_variants(&updates).await?;
        let mut hashes = Vec::new();
        for (update, erp_sku, hash) in &pending.variants {
            match report.failed.iter().find(|f| f.id == update.id) {
                None => hashes.push((erp_sku.clone(), hash.clone())),
                Some(f) => {
                    out.skus_rejected += 1;
                    let summary = format!(
                        "SKU {erp_sku}: BigCommerce refused the update: {}",
                        f.reason
                    );
                    ctx.raise(
                        ExceptionKind::SkuUnmapped,
                        erp_sku,
                        summary,
                        json!({ "variant_id": f.id, "status": f.status }),
                    )
                    .await?;
                }
            }
        }
        out.variants_updated += hashes.len() as u64;
        ctx.store
            .set_content_hashes(&ctx.client, STOREFRONT, &hashes, now)
            .await?;
    }
    Ok(())
}

fn availability(a: rules::Availability) -> Availability {
    match a {
        rules::Availability::Available => Availability::Available,
        rules::Availability::Preorder => Availability::Preorder,
        rules::Availability::Disabled => Availability::Disabled,
    }
}

pub(super) fn new_product(p: &rules::Product, settings: &CatalogSettings) -> NewProduct {
    NewProduct {
        name: p.name.clone(),
        product_type: ProductType::Physical,
        sku: Some(p.sku.clone()),
        weight: settings.default_weight,
        price: Money(p.price),
        inventory_tracking: Some(InventoryTracking::Variant),
        is_visible: Some(settings.visible),
        availability: Some(availability(p.availability)),
        custom_fields: p
            .custom_fields
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| CustomField {
                id: None,
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        variants: p
            .variants
            .iter()
            .map(|v| NewVariant {
                sku: v.sku.clone(),
                price: Some(Money(v.price)),
                upc: Some(v.upc.clone()).filter(|u| !u.is_empty()),
                option_values: v
                    .options
                    .iter()
                    .map(|(o, l)| VariantOptionValue::named(o, l))
                    .collect(),
                ..NewVariant::default()
            })
            .collect(),
        ..NewProduct::default()
    }
}

/// Product fields the flow owns. Custom fields are written on create only: BigCommerce would
/// add duplicates for fields sent again without their ids.
pub(super) fn product_update(id: i64, p: &rules::Product) -> ProductUpdate {
    ProductUpdate {
        id,
        name: Some(p.name.clone()),
        sku: Some(p.sku.clone()),
        price: Some(Money(p.price)),
        availability: Some(availability(p.availability)),
        ..ProductUpdate::default()
    }
}

pub(super) fn variant_update(id: i64, v: &ProductVariant) -> VariantUpdate {
    VariantUpdate {
        id,
        sku: Some(v.sku.clone()),
        price: Some(Money(v.price)),
        upc: Some(v.upc.clone()).filter(|u| !u.is_empty()),
        mpn: Some(v.mpn.clone()).filter(|m| !m.is_empty()),
        ..VariantUpdate::default()
    }
}
