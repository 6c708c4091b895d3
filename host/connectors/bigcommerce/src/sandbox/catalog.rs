//! Catalog V3 routes: products (list, create, batch update), options, variants.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::query::modelled;
use super::state::{Store, rfc3339};
use super::{SandboxHandle, json_response, parse_body, v3_error};
use crate::model::{
    NewProduct, NewVariant, OptionType, OptionValue, Product, ProductOption, Variant,
    VariantOptionValue,
};

/// Most SKUs one product may have.
pub(crate) const VARIANTS_PER_PRODUCT: usize = 600;

/// An option being created from inline variants: name, id and (label, value id) pairs.
struct OptionPlan {
    name: String,
    id: i64,
    values: Vec<(String, i64)>,
}

pub(crate) fn routes() -> Router<SandboxHandle> {
    Router::new().route(
        "/stores/{store_hash}/v3/catalog/products",
        get(super::catalog_reads::list)
            .post(create)
            .put(super::batch::batch_update),
    )
}

pub(crate) fn not_found(what: &str) -> Response {
    v3_error(
        StatusCode::NOT_FOUND,
        &format!("{what} not found"),
        json!({}),
    )
}

pub(crate) fn invalid(title: &str, errors: Value) -> Response {
    v3_error(StatusCode::UNPROCESSABLE_ENTITY, title, errors)
}

async fn create(State(h): State<SandboxHandle>, body: Bytes) -> Response {
    let body = match parse_body(&body, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut s = h.store();
    match create_product(&mut s, &body) {
        Ok(id) => {
            let product = s.full_product(id, true, true);
            json_response(StatusCode::OK, json!({"data": product, "meta": {}}))
        }
        Err(r) => r,
    }
}

/// Validates and stores a product with its inline variants (creating their options).
pub(crate) fn create_product(s: &mut Store, body: &Value) -> Result<i64, Response> {
    let mut missing = BTreeMap::new();
    for field in ["name", "type", "weight", "price"] {
        if body.get(field).is_none_or(Value::is_null) {
            missing.insert(field.to_owned(), format!("{field} is a required field"));
        }
    }
    if !missing.is_empty() {
        return Err(invalid(
            "The request payload is missing required fields.",
            json!(missing),
        ));
    }
    let new: NewProduct = modelled(body)
        .map_err(|e| invalid("The request payload is not valid.", json!({e.name: e.why})))?;
    if new.name.trim().is_empty() || new.name.chars().count() > 250 {
        return Err(invalid(
            "The product is not valid.",
            json!({"name": "name must be 1 to 250 characters"}),
        ));
    }
    if new.price.cents() < 0 || new.weight < 0.0 {
        return Err(invalid(
            "The product is not valid.",
            json!({"price": "price and weight must not be negative"}),
        ));
    }
    if new.variants.len() > VARIANTS_PER_PRODUCT {
        return Err(invalid(
            "Too many variants.",
            json!({"variants": "a product has at most 600 SKUs"}),
        ));
    }
    let mut skus: Vec<String> = new
        .sku
        .iter()
        .chain(new.variants.iter().map(|v| &v.sku))
        .cloned()
        .collect();
    for sku in &skus {
        if let Some(owner) = s.sku_owner(sku, None, None) {
            return Err(duplicate_sku(sku, &owner));
        }
    }
    skus.sort_by_key(|k| k.to_lowercase());
    if skus
        .windows(2)
        .any(|w| w[0].eq_ignore_ascii_case(&w[1]) && !w[0].is_empty())
    {
        return Err(duplicate_sku(
            "(in request)",
            "another variant of this product",
        ));
    }
    for v in &new.variants {
        if v.sku.is_empty()
            || v.option_values
                .iter()
                .any(|o| o.option_display_name.is_none() || o.label.is_none())
        {
            return Err(invalid(
                "A variant is not valid.",
                json!({"variants": "each variant needs sku and option_values with option_display_name and label"}),
            ));
        }
    }
    let id = s.id();
    let now = rfc3339(OffsetDateTime::now_utc());
    // Options in first-seen order, each with its values.
    let mut options: Vec<OptionPlan> = Vec::new();
    for ov in new.variants.iter().flat_map(|v| &v.option_values) {
        let (name, label) = (
            ov.option_display_name.clone().unwrap_or_default(),
            ov.label.clone().unwrap_or_default(),
        );
        let idx = match options.iter().position(|o| o.name == name) {
            Some(i) => i,
            None => {
                let oid = s.id();
                options.push(OptionPlan {
                    name,
                    id: oid,
                    values: Vec::new(),
                });
                options.len() - 1
            }
        };
        if !options[idx].values.iter().any(|v| v.0 == label) {
            let vid = s.id();
            options[idx].values.push((label, vid));
        }
    }
    for (
        sort,
        OptionPlan {
            name,
            id: oid,
            values,
        },
    ) in options.iter().enumerate()
    {
        let option_type = if name.to_lowercase().starts_with("colo") {
            OptionType::Swatch
        } else {
            OptionType::Rectangles
        };
        let option_values = values
            .iter()
            .enumerate()
            .map(|(i, (label, vid))| OptionValue {
                id: Some(*vid),
                label: label.clone(),
                sort_order: i as i64,
                is_default: false,
                value_data: None,
            })
            .collect();
        let opt = ProductOption {
            id: *oid,
            product_id: id,
            display_name: name.clone(),
            option_type,
            sort_order: sort as i64,
            option_values,
        };
        s.options.insert(*oid, opt);
    }
    let product = Product {
        id,
        name: new.name.clone(),
        product_type: new.product_type,
        sku: new.sku.clone().unwrap_or_default(),
        weight: new.weight,
        price: new.price,
        sale_price: new.sale_price.unwrap_or_default(),
        retail_price: new.retail_price.unwrap_or_default(),
        cost_price: new.cost_price.unwrap_or_default(),
        inventory_tracking: new.inventory_tracking.unwrap_or_default(),
        inventory_level: 0,
        is_visible: new.is_visible.unwrap_or(true),
        availability: new.availability.unwrap_or_default(),
        upc: new.upc.clone().unwrap_or_default(),
        gtin: new.gtin.clone().unwrap_or_default(),
        mpn: new.mpn.clone().unwrap_or_default(),
        categories: new.categories.clone(),
        brand_id: new.brand_id.unwrap_or(0),
        custom_fields: new
            .custom_fields
            .iter()
            .cloned()
            .map(|mut c| {
                c.id = Some(s.id());
                c
            })
            .collect(),
        date_created: Some(now.clone()),
        date_modified: Some(now),
        variants: Vec::new(),
        options: Vec::new(),
    };
    s.products.insert(id, product);
    if new.variants.is_empty() {
        // Like BigCommerce, a simple product has one base variant carrying its SKU.
        let base = NewVariant {
            sku: new.sku.clone().unwrap_or_default(),
            ..NewVariant::default()
        };
        insert_variant(s, id, &base, Vec::new());
    }
    for v in &new.variants {
        let ovs = v
            .option_values
            .iter()
            .filter_map(|ov| {
                let name = ov.option_display_name.as_deref()?;
                let label = ov.label.as_deref()?;
                let plan = options.iter().find(|o| o.name == name)?;
                let (oid, values) = (&plan.id, &plan.values);
                let (_, vid) = values.iter().find(|x| x.0 == label)?;
                Some(VariantOptionValue {
                    id: Some(*vid),
                    option_id: Some(*oid),
                    option_display_name: Some(name.to_owned()),
                    label: Some(label.to_owned()),
                })
            })
            .collect();
        insert_variant(s, id, v, ovs);
    }
    Ok(id)
}

pub(crate) fn insert_variant(
    s: &mut Store,
    product_id: i64,
    v: &NewVariant,
    option_values: Vec<VariantOptionValue>,
) -> i64 {
    let id = s.id();
    let variant = Variant {
        id,
        product_id,
        sku: v.sku.clone(),
        price: v.price,
        sale_price: v.sale_price,
        retail_price: v.retail_price,
        cost_price: None,
        calculated_price: None,
        upc: v.upc.clone(),
        gtin: v.gtin.clone(),
        mpn: None,
        purchasing_disabled: v.purchasing_disabled.unwrap_or(false),
        inventory_level: None,
        option_values,
    };
    s.variants.insert(id, variant);
    s.stock.insert((id, 1), 0);
    id
}

pub(crate) fn duplicate_sku(sku: &str, owner: &str) -> Response {
    v3_error(
        StatusCode::CONFLICT,
        &format!("The SKU \"{sku}\" is already in use by {owner}."),
        json!({"sku": format!("SKU {sku} is not unique")}),
    )
}
