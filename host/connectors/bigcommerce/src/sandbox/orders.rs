//! Orders V2 routes: list, get, status update, products, shipping addresses, shipments.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use time::OffsetDateTime;

use super::state::{OrderRec, Store, parse_date, query_map, rfc2822};
use super::{SandboxHandle, json_response, parse_body, v2_error};
use crate::model::{NewShipment, OrderStatus, Shipment, ShipmentItem, StatusUpdate};

pub(crate) fn routes() -> Router<SandboxHandle> {
    Router::new()
        .route("/stores/{store_hash}/v2/orders", get(list))
        .route(
            "/stores/{store_hash}/v2/orders/{order_id}",
            get(get_order).put(update),
        )
        .route(
            "/stores/{store_hash}/v2/orders/{order_id}/products",
            get(products),
        )
        .route(
            "/stores/{store_hash}/v2/orders/{order_id}/shipping_addresses",
            get(addresses),
        )
        .route(
            "/stores/{store_hash}/v2/orders/{order_id}/shipments",
            get(shipments).post(create_shipment),
        )
}

type Q = Query<Vec<(String, String)>>;
type P = Path<(String, String)>;

fn not_found() -> Response {
    v2_error(
        StatusCode::NOT_FOUND,
        "The requested resource was not found.",
    )
}

fn page_of<T: Clone>(items: &[T], q: &[(String, String)]) -> Vec<T> {
    let q = query_map(q);
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50)
        .clamp(1, 250);
    let page: usize = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    items
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .cloned()
        .collect()
}

async fn list(State(h): State<SandboxHandle>, Query(q): Q) -> Response {
    let m = query_map(&q);
    let s = h.store();
    let min_modified = m.get("min_date_modified").and_then(|d| parse_date(d));
    let status: Option<i64> = m.get("status_id").and_then(|v| v.parse().ok());
    let min_id: Option<i64> = m.get("min_id").and_then(|v| v.parse().ok());
    let customer: Option<i64> = m.get("customer_id").and_then(|v| v.parse().ok());
    let mut found: Vec<&OrderRec> = s
        .orders
        .values()
        .filter(|o| min_modified.is_none_or(|d| o.modified >= d))
        .filter(|o| status.is_none_or(|st| o.order.status_id == st))
        .filter(|o| min_id.is_none_or(|id| o.order.id >= id))
        .filter(|o| customer.is_none_or(|c| o.order.customer_id == c))
        .collect();
    if m.get("sort")
        .is_some_and(|s| s.starts_with("date_modified"))
    {
        found.sort_by_key(|o| (o.modified, o.order.id));
        if m.get("sort").is_some_and(|s| s.ends_with(":desc")) {
            found.reverse();
        }
    }
    let orders: Vec<_> = found.into_iter().map(|o| o.order.clone()).collect();
    // The spec declares only 200 here, so an empty result is `[]`.
    json_response(StatusCode::OK, json!(page_of(&orders, &q)))
}

fn order_id(s: &Store, raw: &str) -> Option<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| s.orders.contains_key(id))
}

async fn get_order(State(h): State<SandboxHandle>, Path((_, id)): P) -> Response {
    let s = h.store();
    match order_id(&s, &id).and_then(|id| s.orders.get(&id)) {
        Some(o) => json_response(StatusCode::OK, json!(o.order)),
        None => not_found(),
    }
}

async fn update(State(h): State<SandboxHandle>, Path((_, id)): P, body: Bytes) -> Response {
    let body = match parse_body(&body, true) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let update: StatusUpdate = match serde_json::from_value(body) {
        Ok(u) => u,
        Err(e) => {
            return v2_error(
                StatusCode::BAD_REQUEST,
                &format!("The field 'status_id' is invalid: {e}"),
            );
        }
    };
    if !(0..=14).contains(&update.status_id) {
        return v2_error(StatusCode::BAD_REQUEST, "The field 'status_id' is invalid.");
    }
    let (order, previous) = {
        let mut s = h.store();
        let Some(id) = order_id(&s, &id) else {
            return not_found();
        };
        let Some(rec) = s.orders.get_mut(&id) else {
            return not_found();
        };
        let previous = rec.order.status_id;
        set_status(rec, update.status_id);
        (rec.order.clone(), previous)
    };
    if previous != update.status_id {
        status_events(&h, order.id, previous, update.status_id);
    }
    h.emit(
        "store/order/updated",
        json!({"type": "order", "id": order.id}),
    );
    json_response(StatusCode::OK, json!(order))
}

/// Sets status id and name and bumps `date_modified`.
pub(crate) fn set_status(rec: &mut OrderRec, status_id: i64) {
    rec.order.status_id = status_id;
    rec.order.status = OrderStatus::name_of(status_id).to_owned();
    touch(rec);
}

pub(crate) fn touch(rec: &mut OrderRec) {
    rec.modified = OffsetDateTime::now_utc();
    rec.order.date_modified = rfc2822(rec.modified);
}

pub(crate) fn status_events(h: &SandboxHandle, order_id: i64, previous: i64, new: i64) {
    h.emit(
        "store/order/statusUpdated",
        json!({"type": "order", "id": order_id, "status": {"previous_status_id": previous, "new_status_id": new}}),
    );
}

async fn products(State(h): State<SandboxHandle>, Path((_, id)): P, Query(q): Q) -> Response {
    let s = h.store();
    match order_id(&s, &id).and_then(|id| s.orders.get(&id)) {
        Some(o) => json_response(StatusCode::OK, json!(page_of(&o.products, &q))),
        None => not_found(),
    }
}

async fn addresses(State(h): State<SandboxHandle>, Path((_, id)): P, Query(q): Q) -> Response {
    let s = h.store();
    match order_id(&s, &id).and_then(|id| s.orders.get(&id)) {
        Some(o) => json_response(StatusCode::OK, json!(page_of(&o.addresses, &q))),
        None => not_found(),
    }
}

async fn shipments(State(h): State<SandboxHandle>, Path((_, id)): P, Query(q): Q) -> Response {
    let s = h.store();
    match order_id(&s, &id).and_then(|id| s.orders.get(&id)) {
        // The spec declares 204 for an order without shipments.
        Some(o) if o.shipments.is_empty() => StatusCode::NO_CONTENT.into_response(),
        Some(o) => json_response(StatusCode::OK, json!(page_of(&o.shipments, &q))),
        None => not_found(),
    }
}

async fn create_shipment(
    State(h): State<SandboxHandle>,
    Path((_, id)): P,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body, true) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let new: NewShipment = match serde_json::from_value(body) {
        Ok(n) => n,
        Err(e) => {
            return v2_error(
                StatusCode::BAD_REQUEST,
                &format!("The shipment is invalid: {e}"),
            );
        }
    };
    let result = {
        let mut s = h.store();
        let Some(oid) = order_id(&s, &id) else {
            return not_found();
        };
        let shipment_id = s.id();
        let Some(rec) = s.orders.get_mut(&oid) else {
            return not_found();
        };
        match ship(rec, shipment_id, &new) {
            Ok(v) => v,
            Err(msg) => return v2_error(StatusCode::BAD_REQUEST, &msg),
        }
    };
    let (shipment, previous, new_status) = result;
    h.emit(
        "store/shipment/created",
        json!({"type": "shipment", "id": shipment.id, "orderId": shipment.order_id}),
    );
    if previous != new_status {
        status_events(&h, shipment.order_id, previous, new_status);
    }
    json_response(StatusCode::CREATED, json!(shipment))
}

/// Validates and records a shipment; returns it with the status before and after.
fn ship(
    rec: &mut OrderRec,
    shipment_id: i64,
    new: &NewShipment,
) -> Result<(Shipment, i64, i64), String> {
    if new.tracking_number.chars().count() > 50 {
        return Err("The field 'tracking_number' cannot be longer than 50 characters.".into());
    }
    if !rec.addresses.iter().any(|a| a.id == new.order_address_id) {
        return Err("The field 'order_address_id' is invalid.".into());
    }
    if new.items.is_empty() {
        return Err("The field 'items' cannot be empty.".into());
    }
    let mut items = Vec::new();
    for item in &new.items {
        let Some(line) = rec.products.iter().find(|p| p.id == item.order_product_id) else {
            return Err(format!(
                "The order product {} does not belong to this order.",
                item.order_product_id
            ));
        };
        let pending = items
            .iter()
            .filter(|i: &&ShipmentItem| i.order_product_id == line.id)
            .map(|i| i.quantity)
            .sum::<i64>();
        if item.quantity <= 0 || line.quantity_shipped + pending + item.quantity > line.quantity {
            return Err(format!(
                "Quantity {} of order product {} exceeds what is left to ship.",
                item.quantity, line.id
            ));
        }
        items.push(ShipmentItem {
            order_product_id: line.id,
            product_id: Some(line.product_id),
            quantity: item.quantity,
        });
    }
    for item in &items {
        if let Some(line) = rec
            .products
            .iter_mut()
            .find(|p| p.id == item.order_product_id)
        {
            line.quantity_shipped += item.quantity;
        }
    }
    let shipped: i64 = items.iter().map(|i| i.quantity).sum();
    rec.order.items_shipped += shipped;
    if let Some(addr) = rec
        .addresses
        .iter_mut()
        .find(|a| a.id == new.order_address_id)
    {
        addr.items_shipped += shipped;
    }
    let previous = rec.order.status_id;
    let all_shipped = rec
        .products
        .iter()
        .all(|p| p.quantity_shipped >= p.quantity);
    set_status(
        rec,
        if all_shipped {
            OrderStatus::Shipped.id()
        } else {
            OrderStatus::PartiallyShipped.id()
        },
    );
    let address_method = rec
        .addresses
        .iter()
        .find(|a| a.id == new.order_address_id)
        .map(|a| a.shipping_method.clone());
    let shipment = Shipment {
        id: shipment_id,
        order_id: rec.order.id,
        order_address_id: new.order_address_id,
        date_created: rfc2822(OffsetDateTime::now_utc()),
        tracking_number: new.tracking_number.clone(),
        shipping_method: new
            .shipping_method
            .clone()
            .or(address_method)
            .unwrap_or_default(),
        shipping_provider: new.shipping_provider.clone().unwrap_or_default(),
        tracking_carrier: new.tracking_carrier.clone().unwrap_or_default(),
        comments: new.comments.clone().unwrap_or_default(),
        items,
    };
    rec.shipments.push(shipment.clone());
    Ok((shipment, previous, rec.order.status_id))
}
