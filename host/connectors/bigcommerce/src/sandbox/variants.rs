//! Catalog V3 writes for options and variants: create an option, create a variant,
//! batch-update variants (at most 50; all-or-nothing since the spec declares no 207; stock via
//! `inventory_level` applied at the default location; unmodelled fields refused by name).

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::catalog::{VARIANTS_PER_PRODUCT, duplicate_sku, insert_variant, invalid, not_found};
use super::inventory::sku_inventory_event;
use super::query::modelled;
use super::state::Store;
use super::{SandboxHandle, json_response, parse_body, v3_error};
use crate::model::{
    NewOption, NewVariant, OptionValue, ProductOption, Variant, VariantOptionValue, VariantUpdate,
};

const VARIANT_BATCH_MAX: usize = 50;
/// Most stock one variant may hold.
const MAX_STOCK: i64 = 2_147_483_647;

pub(crate) fn routes() -> Router<SandboxHandle> {
    Router::new()
        .route(
            "/stores/{store_hash}/v3/catalog/products/{product_id}/options",
            post(create_option),
        )
        .route(
            "/stores/{store_hash}/v3/catalog/products/{product_id}",
            get(super::catalog_reads::get_product),
        )
        .route(
            "/stores/{store_hash}/v3/catalog/products/{product_id}/variants",
            get(super::catalog_reads::product_variants).post(create_variant),
        )
        .route(
            "/stores/{store_hash}/v3/catalog/variants",
            get(super::catalog_reads::variants).put(batch_update_variants),
        )
}

async fn create_option(
    State(h): State<SandboxHandle>,
    Path((_, product_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut s = h.store();
    let Some(product_id) = product_id
        .parse::<i64>()
        .ok()
        .filter(|id| s.products.contains_key(id))
    else {
        return not_found("product");
    };
    let new: NewOption = match modelled(&body) {
        Ok(o) => o,
        Err(e) => return invalid("The option is not valid.", json!({e.name: e.why})),
    };
    if new.display_name.trim().is_empty()
        || new.option_values.is_empty()
        || new.option_values.len() > 250
    {
        return invalid(
            "The option is not valid.",
            json!({"option_values": "display_name and 1 to 250 values are required"}),
        );
    }
    if s.options.values().any(|o| {
        o.product_id == product_id && o.display_name.eq_ignore_ascii_case(&new.display_name)
    }) {
        return v3_error(
            StatusCode::CONFLICT,
            "An option with this name already exists on the product.",
            json!({"display_name": "duplicate"}),
        );
    }
    let id = s.id();
    let option_values = new
        .option_values
        .iter()
        .map(|v| OptionValue {
            id: Some(s.id()),
            ..v.clone()
        })
        .collect();
    let option = ProductOption {
        id,
        product_id,
        display_name: new.display_name,
        option_type: new.option_type,
        sort_order: new.sort_order.unwrap_or(0),
        option_values,
    };
    s.options.insert(id, option.clone());
    json_response(StatusCode::OK, json!({"data": option, "meta": {}}))
}

async fn create_variant(
    State(h): State<SandboxHandle>,
    Path((_, product_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut s = h.store();
    let Some(product_id) = product_id
        .parse::<i64>()
        .ok()
        .filter(|id| s.products.contains_key(id))
    else {
        return not_found("product");
    };
    let new: NewVariant = match modelled(&body) {
        Ok(v) => v,
        Err(e) => return invalid("The variant is not valid.", json!({e.name: e.why})),
    };
    if new.sku.is_empty() || new.option_values.is_empty() {
        return invalid(
            "The variant is not valid.",
            json!({"sku": "sku and option_values are required"}),
        );
    }
    if let Some(owner) = s.sku_owner(&new.sku, None, None) {
        return duplicate_sku(&new.sku, &owner);
    }
    if s.variants
        .values()
        .filter(|v| v.product_id == product_id)
        .count()
        >= VARIANTS_PER_PRODUCT
    {
        return invalid(
            "Too many variants.",
            json!({"variants": "a product has at most 600 SKUs"}),
        );
    }
    let mut resolved = Vec::new();
    for ov in &new.option_values {
        let found = s
            .options
            .values()
            .filter(|o| o.product_id == product_id)
            .find_map(|o| {
                let by_id = ov.option_id == Some(o.id);
                let by_name = ov.option_display_name.as_deref() == Some(o.display_name.as_str());
                if !(by_id || by_name) {
                    return None;
                }
                let value = o.option_values.iter().find(|v| {
                    v.id.is_some()
                        && (v.id == ov.id || ov.label.as_deref() == Some(v.label.as_str()))
                })?;
                Some(VariantOptionValue {
                    id: value.id,
                    option_id: Some(o.id),
                    option_display_name: Some(o.display_name.clone()),
                    label: Some(value.label.clone()),
                })
            });
        match found {
            Some(v) => resolved.push(v),
            None => {
                return invalid(
                    "The variant is not valid.",
                    json!({"option_values": "unknown option or value"}),
                );
            }
        }
    }
    let id = insert_variant(&mut s, product_id, &new, resolved);
    let shown = s.variants.get(&id).map(|v| s.shown_variant(v));
    json_response(StatusCode::OK, json!({"data": shown, "meta": {}}))
}

async fn batch_update_variants(State(h): State<SandboxHandle>, body: Bytes) -> Response {
    let body = match parse_body(&body, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(items) = body.as_array() else {
        return invalid(
            "The request payload must be an array of variants.",
            json!({}),
        );
    };
    if items.len() > VARIANT_BATCH_MAX {
        return v3_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The array is too large: at most 50 variants per request.",
            json!({}),
        );
    }
    let mut s = h.store();
    let mut updates = Vec::new();
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let key = item
            .get("id")
            .and_then(serde_json::Value::as_i64)
            .map_or(format!("[{i}]"), |id| id.to_string());
        // A documented field the sandbox does not apply is refused, not dropped.
        match modelled::<VariantUpdate>(item) {
            Ok(u) if !s.variants.contains_key(&u.id) => {
                failed.insert(u.id.to_string(), format!("variant {} not found", u.id));
            }
            Ok(u) => match refusal(&s, &u) {
                Some(why) => {
                    failed.insert(u.id.to_string(), why);
                }
                None => updates.push(u),
            },
            Err(e) => {
                failed.insert(key, format!("invalid variant: {e}"));
            }
        }
    }
    // Variant batches are all-or-nothing: the spec declares no 207 here.
    if !failed.is_empty() {
        return invalid("The variants could not be updated.", json!(failed));
    }
    let mut data = Vec::new();
    let mut events = Vec::new();
    for u in &updates {
        if let Some(v) = s.variants.get_mut(&u.id) {
            apply(v, u);
        }
        if let Some(level) = u.inventory_level {
            // Catalog stock is the default location's, applied at once (unlike adjustments).
            s.stock.insert((u.id, 1), level);
            events.extend(sku_inventory_event(&s, u.id, "absolute", level));
        }
        if let Some(v) = s.variants.get(&u.id) {
            data.push(s.shown_variant(v));
        }
    }
    drop(s);
    for event in events {
        h.emit("store/sku/inventory/updated", event);
    }
    json_response(StatusCode::OK, json!({"data": data, "meta": {}}))
}

/// Why one update cannot be applied, if it cannot.
fn refusal(s: &Store, u: &VariantUpdate) -> Option<String> {
    if let Some(owner) = u
        .sku
        .as_deref()
        .and_then(|sku| s.sku_owner(sku, None, Some(u.id)))
    {
        return Some(format!("SKU is already in use by {owner}"));
    }
    if [u.price, u.sale_price, u.retail_price, u.cost_price]
        .iter()
        .flatten()
        .any(|m| m.cents() < 0)
    {
        return Some("prices must not be negative".into());
    }
    if u.inventory_level
        .is_some_and(|l| !(0..=MAX_STOCK).contains(&l))
    {
        return Some(format!("inventory_level must be 0 to {MAX_STOCK}"));
    }
    None
}

fn apply(v: &mut Variant, u: &VariantUpdate) {
    if let Some(x) = &u.sku {
        v.sku = x.clone()
    }
    if u.price.is_some() {
        v.price = u.price
    }
    if u.sale_price.is_some() {
        v.sale_price = u.sale_price
    }
    if u.retail_price.is_some() {
        v.retail_price = u.retail_price
    }
    if u.cost_price.is_some() {
        v.cost_price = u.cost_price
    }
    if let Some(x) = u.purchasing_disabled {
        v.purchasing_disabled = x
    }
    if u.upc.is_some() {
        v.upc = u.upc.clone()
    }
    if u.gtin.is_some() {
        v.gtin = u.gtin.clone()
    }
    if u.mpn.is_some() {
        v.mpn = u.mpn.clone()
    }
}
