//! Inventory V3 routes: absolute adjustments (applied after a lag), items, locations.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use serde_json::{Value, json};

use super::query::{Params, Refusal, modelled, page_answer};
use super::state::{PendingStock, Store};
use super::{SandboxHandle, json_response, paginate, parse_body, problem};
use crate::model::{
    AdjustmentRequest, InventoryItem, ItemIdentity, ItemRef, Location, LocationSettings,
    LocationStock, NewLocation,
};

const MAX_ITEMS: usize = 2_000;
const MAX_QUANTITY: i64 = 2_147_483_647;

pub(crate) fn routes() -> Router<SandboxHandle> {
    Router::new()
        .route(
            "/stores/{store_hash}/v3/inventory/adjustments/absolute",
            put(absolute),
        )
        .route("/stores/{store_hash}/v3/inventory/items", get(items))
        .route(
            "/stores/{store_hash}/v3/inventory/locations",
            get(locations).post(create_locations),
        )
}

type Q = Query<Vec<(String, String)>>;

fn invalid(title: &str, errors: Value) -> Response {
    problem(StatusCode::UNPROCESSABLE_ENTITY, title, errors)
}

async fn absolute(State(h): State<SandboxHandle>, body: Bytes) -> Response {
    let body = match parse_body(&body, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let req: AdjustmentRequest = match modelled(&body) {
        Ok(r) => r,
        Err(e) => {
            return invalid("The adjustment is not valid.", json!({e.name: e.why}));
        }
    };
    // The spec declares only 200 and 422 here, so the item cap answers 422.
    if req.items.len() > MAX_ITEMS {
        return invalid(
            "Too many items.",
            json!({"items": "at most 2000 items per request"}),
        );
    }
    let mut s = h.store();
    let mut resolved = Vec::new();
    for (i, item) in req.items.iter().enumerate() {
        if !s.locations.contains_key(&item.location_id) {
            return invalid(
                "Unknown location.",
                json!({format!("items[{i}].location_id"): "location does not exist"}),
            );
        }
        if !(0..=MAX_QUANTITY).contains(&item.quantity) {
            return invalid(
                "Invalid quantity.",
                json!({format!("items[{i}].quantity"): "must be 0..=2147483647"}),
            );
        }
        let variant = match &item.item {
            ItemRef::VariantId(id) => s.variants.get(id).map(|v| v.id),
            ItemRef::Sku(sku) => s
                .variants
                .values()
                .find(|v| v.sku.eq_ignore_ascii_case(sku))
                .map(|v| v.id),
            // A product id adjusts its base variant (products with variants need variant ids).
            ItemRef::ProductId(pid) => {
                let mut vs = s.variants.values().filter(|v| v.product_id == *pid);
                match (vs.next(), vs.next()) {
                    (Some(v), None) => Some(v.id),
                    _ => None,
                }
            }
        };
        match variant {
            Some(v) => resolved.push((v, item.location_id, item.quantity)),
            None => {
                return invalid(
                    "Unknown item.",
                    json!({format!("items[{i}]"): "no such sku, variant or simple product"}),
                );
            }
        }
    }
    let lag = Duration::from_millis(s.inventory_lag_ms);
    let visible_at = Instant::now() + lag;
    let events: Vec<Value> = resolved
        .iter()
        .filter_map(|(v, _, q)| sku_inventory_event(&s, *v, "absolute", *q))
        .collect();
    for (variant_id, location_id, quantity) in resolved {
        s.pending.push(PendingStock {
            visible_at,
            variant_id,
            location_id,
            quantity,
        });
    }
    s.settle_stock();
    let tx = format!("{:08x}-sbx", s.id());
    drop(s);
    // `store/sku/inventory/updated` fires when the change becomes visible.
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            tokio::time::sleep(lag).await;
            for event in events {
                h.emit("store/sku/inventory/updated", event);
            }
        });
    }
    json_response(StatusCode::OK, json!({"transaction_id": tx}))
}

/// Payload data of `store/sku/inventory/updated`; none for a simple product's base variant
/// (BigCommerce fires it only for variants).
pub(crate) fn sku_inventory_event(
    s: &Store,
    variant_id: i64,
    method: &str,
    value: i64,
) -> Option<Value> {
    let v = s
        .variants
        .get(&variant_id)
        .filter(|v| !v.option_values.is_empty())?;
    Some(json!({"type": "sku", "id": v.id, "inventory": {
        "product_id": v.product_id, "method": method, "value": value, "variant_id": v.id
    }}))
}

async fn items(State(h): State<SandboxHandle>, Query(q): Q) -> Response {
    let applied = [
        "sku:in",
        "variant_id:in",
        "product_id:in",
        "location_id:in",
        "page",
        "limit",
    ];
    let mut s = h.store();
    s.settle_stock();
    page_answer(
        Params::strict(&q, &applied).and_then(|p| items_page(&s, &p)),
        true,
    )
}

fn items_page(s: &Store, p: &Params<'_>) -> Result<(Vec<InventoryItem>, Value), Refusal> {
    let (page, limit) = p.page_limit(1000)?;
    let skus: Vec<String> = p.list("sku:in").iter().map(|x| x.to_lowercase()).collect();
    let variant_ids = p.ids("variant_id:in")?;
    let product_ids = p.ids("product_id:in")?;
    let location_ids = p.ids("location_id:in")?;
    let found: Vec<InventoryItem> = s
        .variants
        .values()
        .filter(|v| skus.is_empty() || skus.contains(&v.sku.to_lowercase()))
        .filter(|v| variant_ids.is_empty() || variant_ids.contains(&v.id))
        .filter(|v| product_ids.is_empty() || product_ids.contains(&v.product_id))
        .map(|v| InventoryItem {
            identity: ItemIdentity {
                sku: v.sku.clone(),
                variant_id: v.id,
                product_id: v.product_id,
            },
            locations: s
                .locations
                .values()
                .filter(|l| location_ids.is_empty() || location_ids.contains(&l.id))
                .filter_map(|l| {
                    let on_hand = *s.stock.get(&(v.id, l.id))?;
                    Some(LocationStock {
                        location_id: l.id,
                        location_code: l.code.clone(),
                        available_to_sell: on_hand,
                        total_inventory_onhand: on_hand,
                        settings: LocationSettings {
                            safety_stock: 0,
                            is_in_stock: on_hand > 0,
                            warning_level: 0,
                        },
                    })
                })
                .collect(),
        })
        .collect();
    Ok(paginate(&found, page, limit))
}

async fn locations(State(h): State<SandboxHandle>, Query(q): Q) -> Response {
    let applied = [
        "location_id:in",
        "location_code:in",
        "is_active",
        "is_default",
        "type_id:in",
        "managed_by_external_source",
        "page",
        "limit",
    ];
    let s = h.store();
    let answer = Params::strict(&q, &applied).and_then(|p| {
        let (page, limit) = p.page_limit(250)?;
        let ids = p.ids("location_id:in")?;
        let codes = p.list("location_code:in");
        let active = p.bool("is_active")?;
        let default = p.bool("is_default")?;
        let external = p.bool("managed_by_external_source")?;
        let types = p.list("type_id:in");
        let found: Vec<Location> = s
            .locations
            .values()
            .filter(|l| ids.is_empty() || ids.contains(&l.id))
            .filter(|l| codes.is_empty() || codes.contains(&l.code.as_str()))
            .filter(|l| active.is_none_or(|a| a == l.enabled))
            // Location 1 is the default one.
            .filter(|l| default.is_none_or(|d| d == (l.id == 1)))
            .filter(|l| external.is_none_or(|e| e == l.managed_by_external_source))
            .filter(|l| {
                types.is_empty()
                    || types.iter().any(|t| {
                        json!(l.type_id)
                            .as_str()
                            .is_some_and(|own| own.eq_ignore_ascii_case(t))
                    })
            })
            .cloned()
            .collect();
        Ok(paginate(&found, page, limit))
    });
    page_answer(answer, true)
}

async fn create_locations(State(h): State<SandboxHandle>, body: Bytes) -> Response {
    let body = match parse_body(&body, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let news: Vec<NewLocation> = match modelled(&body) {
        Ok(l) => l,
        Err(e) => {
            return invalid(
                "The locations are not valid.",
                json!({"body": e.to_string()}),
            );
        }
    };
    let mut s = h.store();
    for (i, l) in news.iter().enumerate() {
        if l.label.trim().is_empty() || l.code.trim().is_empty() {
            return invalid(
                "The location is not valid.",
                json!({format!("[{i}]"): "code and label are required"}),
            );
        }
        if s.locations.values().any(|x| x.code == l.code)
            || news.iter().filter(|x| x.code == l.code).count() > 1
        {
            return invalid(
                "Duplicate location code.",
                json!({format!("[{i}].code"): "code is already used"}),
            );
        }
    }
    for l in news {
        let id = s.locations.keys().max().copied().unwrap_or(0) + 1;
        s.locations.insert(
            id,
            Location {
                id,
                code: l.code,
                label: l.label,
                enabled: l.enabled,
                type_id: l.type_id,
                managed_by_external_source: l.managed_by_external_source,
                time_zone: Some(l.time_zone),
                address: Some(l.address),
            },
        );
    }
    let tx = format!("{:08x}-sbx", s.id());
    json_response(StatusCode::OK, json!({"transaction_id": tx}))
}
