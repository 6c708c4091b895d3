//! Orders V2 routes: orders (list, count, create, get, status update), products, shipping
//! addresses, coupons, shipments, the status table and the store clock.

mod create;
mod info;
mod list;
pub(crate) mod record;
mod ship;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use time::OffsetDateTime;

use super::query::{Params, known_keys};
use super::state::{OrderRec, Store, rfc2822};
use super::{SandboxHandle, json_response, parse_body, v2_error};
use crate::model::{Order, OrderStatus, ResourceLink, StatusUpdate};

pub(crate) fn routes() -> Router<SandboxHandle> {
    Router::new()
        .route(
            "/stores/{store_hash}/v2/orders",
            get(list::list).post(create::create),
        )
        .route("/stores/{store_hash}/v2/orders/count", get(list::count))
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
            "/stores/{store_hash}/v2/orders/{order_id}/coupons",
            get(coupons),
        )
        .route(
            "/stores/{store_hash}/v2/orders/{order_id}/shipments",
            get(shipments).post(ship::create_shipment),
        )
        .route(
            "/stores/{store_hash}/v2/order_statuses",
            get(info::statuses),
        )
        .route("/stores/{store_hash}/v2/time", get(info::time))
}

type Q = Query<Vec<(String, String)>>;
type P = Path<(String, String)>;

fn not_found() -> Response {
    v2_error(
        StatusCode::NOT_FOUND,
        "The requested resource was not found.",
    )
}

/// The page of a V2 sub-resource list; `page`/`limit` are its only parameters.
fn page_of<T: Clone>(items: &[T], q: &[(String, String)]) -> Result<Vec<T>, Response> {
    let (page, limit) = Params::strict(q, &["page", "limit"])
        .and_then(|p| p.page_limit(250))
        .map_err(|r| r.v2())?;
    Ok(items
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .cloned()
        .collect())
}

/// The order as the API shows it: with `{url, resource}` links to its sub-resources.
pub(crate) fn shown(h: &SandboxHandle, rec: &OrderRec) -> Order {
    let id = rec.order.id;
    let base = h.shared.base_url.get().map_or("", String::as_str);
    let hash = &h.config().store_hash;
    let link = |sub: &str| {
        let resource = format!("/orders/{id}/{sub}");
        Some(ResourceLink {
            url: format!("{base}/stores/{hash}/v2{resource}"),
            resource,
        })
    };
    Order {
        products: link("products"),
        shipping_addresses: link("shipping_addresses"),
        coupons: link("coupons"),
        ..rec.order.clone()
    }
}

fn order_id(s: &Store, raw: &str) -> Option<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| s.orders.contains_key(id))
}

async fn get_order(State(h): State<SandboxHandle>, Path((_, id)): P, Query(q): Q) -> Response {
    // `include` (consignments, fees) is documented here but not modelled.
    if let Err(r) = Params::strict(&q, &[]) {
        return r.v2();
    }
    let s = h.store();
    match order_id(&s, &id).and_then(|id| s.orders.get(&id)) {
        Some(o) => json_response(StatusCode::OK, json!(shown(&h, o))),
        None => not_found(),
    }
}

async fn update(State(h): State<SandboxHandle>, Path((_, id)): P, body: Bytes) -> Response {
    let body = match parse_body(&body, true) {
        Ok(b) => b,
        Err(r) => return r,
    };
    // Only the status is modelled: other documented fields are refused by name.
    if let Err(r) = known_keys(&body, &["status_id"], "") {
        return r.v2();
    }
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
        (shown(&h, rec), previous)
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
    rec.modified = record::whole_second(OffsetDateTime::now_utc());
    rec.order.date_modified = rfc2822(rec.modified);
}

pub(crate) fn status_events(h: &SandboxHandle, order_id: i64, previous: i64, new: i64) {
    h.emit(
        "store/order/statusUpdated",
        json!({"type": "order", "id": order_id, "status": {"previous_status_id": previous, "new_status_id": new}}),
    );
}

/// Answers a page of one sub-resource list of an order; `none_is_204` where the spec declares
/// 204 for an empty list (shipments), else `200 []` (products, addresses, coupons).
fn sub_list<T: Clone + serde::Serialize>(
    h: &SandboxHandle,
    id: &str,
    q: &[(String, String)],
    none_is_204: bool,
    pick: impl Fn(&OrderRec) -> &[T],
) -> Response {
    let s = h.store();
    let Some(rec) = order_id(&s, id).and_then(|id| s.orders.get(&id)) else {
        return not_found();
    };
    let all = pick(rec);
    match page_of(all, q) {
        Ok(_) if none_is_204 && all.is_empty() => StatusCode::NO_CONTENT.into_response(),
        Ok(page) => json_response(StatusCode::OK, json!(page)),
        Err(r) => r,
    }
}

async fn products(State(h): State<SandboxHandle>, Path((_, id)): P, Query(q): Q) -> Response {
    sub_list(&h, &id, &q, false, |o| &o.products)
}

async fn addresses(State(h): State<SandboxHandle>, Path((_, id)): P, Query(q): Q) -> Response {
    sub_list(&h, &id, &q, false, |o| &o.addresses)
}

/// The sandbox has no coupons: every order answers an empty list (the spec declares only 200).
async fn coupons(State(h): State<SandboxHandle>, Path((_, id)): P, Query(q): Q) -> Response {
    sub_list::<crate::model::OrderCoupon>(&h, &id, &q, false, |_| &[])
}

async fn shipments(State(h): State<SandboxHandle>, Path((_, id)): P, Query(q): Q) -> Response {
    sub_list(&h, &id, &q, true, |o| &o.shipments)
}
