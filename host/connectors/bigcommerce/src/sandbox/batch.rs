//! `PUT /catalog/products`: batch update of at most 10 products, applied per item; a batch with
//! some refusals answers 207 naming the refused ids, one with only refusals answers 409/422.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::catalog::invalid;
use super::query::modelled;
use super::state::{Store, rfc3339};
use super::{SandboxHandle, json_response, parse_body, v3_error};
use crate::model::{Product, ProductUpdate};

const PRODUCT_BATCH_MAX: usize = 10;

pub(crate) async fn batch_update(State(h): State<SandboxHandle>, body: Bytes) -> Response {
    let body = match parse_body(&body, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(items) = body.as_array() else {
        return invalid(
            "The request payload must be an array of products.",
            json!({}),
        );
    };
    if items.len() > PRODUCT_BATCH_MAX {
        return v3_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The array is too large: at most 10 products per request.",
            json!({}),
        );
    }
    let mut s = h.store();
    let mut applied = Vec::new();
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    let mut conflicts = 0;
    for (i, item) in items.iter().enumerate() {
        let update: ProductUpdate = match modelled(item) {
            Ok(u) => u,
            Err(e) => {
                let key = item
                    .get("id")
                    .and_then(Value::as_i64)
                    .map_or(format!("[{i}]"), |id| id.to_string());
                failed.insert(key, format!("invalid product: {e}"));
                continue;
            }
        };
        match apply_product_update(&mut s, &update) {
            Ok(()) => applied.push(update.id),
            Err((conflict, why)) => {
                conflicts += usize::from(conflict);
                failed.insert(update.id.to_string(), why);
            }
        }
    }
    let data: Vec<Product> = applied
        .iter()
        .filter_map(|id| s.full_product(*id, false, false))
        .collect();
    drop(s);
    for id in &applied {
        h.emit(
            "store/product/updated",
            json!({"type": "product", "id": id}),
        );
    }
    if failed.is_empty() {
        return json_response(StatusCode::OK, json!({"data": data, "meta": {}}));
    }
    let status = if conflicts == failed.len() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    if applied.is_empty() {
        return v3_error(
            status,
            "No product in the batch could be updated.",
            json!(failed),
        );
    }
    json_response(
        StatusCode::MULTI_STATUS,
        json!({"data": data, "errors": {
            "status": status.as_u16(), "title": "Some products could not be updated.",
            "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes", "errors": failed
        }, "meta": {}}),
    )
}

/// Applies one product update; `Err((is_conflict, reason))`.
fn apply_product_update(s: &mut Store, u: &ProductUpdate) -> Result<(), (bool, String)> {
    if !s.products.contains_key(&u.id) {
        return Err((false, format!("product {} not found", u.id)));
    }
    if let Some(sku) = &u.sku
        && let Some(owner) = s.sku_owner(sku, Some(u.id), None)
    {
        return Err((true, format!("SKU {sku} is already in use by {owner}")));
    }
    if u.name
        .as_ref()
        .is_some_and(|n| n.trim().is_empty() || n.chars().count() > 250)
    {
        return Err((false, "name must be 1 to 250 characters".into()));
    }
    if [u.price, u.sale_price, u.retail_price, u.cost_price]
        .iter()
        .flatten()
        .any(|m| m.cents() < 0)
    {
        return Err((false, "prices must not be negative".into()));
    }
    let new_ids: Vec<i64> = u.custom_fields.iter().flatten().map(|_| s.id()).collect();
    let Some(p) = s.products.get_mut(&u.id) else {
        return Err((false, "product vanished".into()));
    };
    if let Some(v) = &u.name {
        p.name = v.clone()
    }
    if let Some(v) = &u.sku {
        p.sku = v.clone()
    }
    if let Some(v) = u.weight {
        p.weight = v
    }
    if let Some(v) = u.price {
        p.price = v
    }
    if let Some(v) = u.sale_price {
        p.sale_price = v
    }
    if let Some(v) = u.retail_price {
        p.retail_price = v
    }
    if let Some(v) = u.cost_price {
        p.cost_price = v
    }
    if let Some(v) = u.is_visible {
        p.is_visible = v
    }
    if let Some(v) = u.availability {
        p.availability = v
    }
    if let Some(v) = u.inventory_tracking {
        p.inventory_tracking = v
    }
    if let Some(v) = &u.upc {
        p.upc = v.clone()
    }
    if let Some(v) = &u.gtin {
        p.gtin = v.clone()
    }
    if let Some(v) = &u.mpn {
        p.mpn = v.clone()
    }
    if let Some(v) = &u.categories {
        p.categories = v.clone()
    }
    for (field, new_id) in u.custom_fields.iter().flatten().zip(new_ids) {
        match p.custom_fields.iter_mut().find(|c| c.name == field.name) {
            Some(c) => c.value = field.value.clone(),
            None => p.custom_fields.push(crate::model::CustomField {
                id: Some(new_id),
                ..field.clone()
            }),
        }
    }
    p.date_modified = Some(rfc3339(OffsetDateTime::now_utc()));
    Ok(())
}
