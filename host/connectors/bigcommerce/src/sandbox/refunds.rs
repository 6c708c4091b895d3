//! Refunds V3 routes: create on an order, list, get one.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;
use time::OffsetDateTime;

use super::orders::{set_status, status_events};
use super::query::{Params, modelled, page_answer};
use super::state::{OrderRec, parse_date, rfc3339};
use super::{SandboxHandle, json_response, paginate, parse_body, v3_error};
use crate::model::{
    Money, NewRefund, OrderStatus, Refund, RefundItem, RefundItemType, RefundPayment,
};

pub(crate) fn routes() -> Router<SandboxHandle> {
    Router::new()
        .route(
            "/stores/{store_hash}/v3/orders/{order_id}/payment_actions/refunds",
            post(create),
        )
        .route(
            "/stores/{store_hash}/v3/orders/payment_actions/refunds",
            get(list),
        )
        .route(
            "/stores/{store_hash}/v3/orders/payment_actions/refunds/{refund_id}",
            get(get_one),
        )
}

/// The refunds dialect of 422: `{data: [{status, type, errors}]}`.
fn refused(field: &str, message: &str) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"data": [{"status": 422, "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
            "errors": {field: message}}]}),
    )
}

async fn create(
    State(h): State<SandboxHandle>,
    Path((_, order_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let new: NewRefund = match modelled(&body) {
        Ok(n) => n,
        Err(e) => return refused(&e.name, &e.why),
    };
    let (refund, previous, status) = {
        let mut s = h.store();
        let Some(oid) = order_id
            .parse::<i64>()
            .ok()
            .filter(|id| s.orders.contains_key(id))
        else {
            return refused("order_id", "order not found");
        };
        let refund_id = s.id();
        let Some(rec) = s.orders.get_mut(&oid) else {
            return refused("order_id", "order not found");
        };
        let previous = rec.order.status_id;
        let refund = match apply(rec, refund_id, &new) {
            Ok(r) => r,
            Err((field, msg)) => return refused(field, &msg),
        };
        let status = rec.order.status_id;
        s.refunds.insert(refund_id, refund.clone());
        (refund, previous, status)
    };
    h.emit(
        "store/order/refund/created",
        json!({"type": "order", "id": refund.order_id, "refund": {"refund_id": refund.id}}),
    );
    if previous != status {
        status_events(&h, refund.order_id, previous, status);
    }
    json_response(StatusCode::CREATED, json!({"data": refund, "meta": {}}))
}

/// Validates a refund against what is left to refund and records it on the order.
fn apply(
    rec: &mut OrderRec,
    refund_id: i64,
    new: &NewRefund,
) -> Result<Refund, (&'static str, String)> {
    if new.items.is_empty() || new.payments.is_empty() {
        return Err(("items", "items and payments are required".into()));
    }
    let mut total = Money::ZERO;
    let mut items = Vec::new();
    for item in &new.items {
        match item.item_type {
            RefundItemType::Product => {
                let qty = item.quantity.unwrap_or(0);
                let Some(line) = rec.products.iter().find(|p| p.id == item.item_id) else {
                    return Err((
                        "items",
                        format!("order product {} not on this order", item.item_id),
                    ));
                };
                if qty <= 0 || line.quantity_refunded + qty > line.quantity {
                    return Err((
                        "items",
                        format!("quantity {qty} exceeds what is refundable on {}", line.id),
                    ));
                }
                total = Money(total.cents() + line.price_inc_tax.cents() * qty);
            }
            _ => {
                let amount = item.amount.unwrap_or_default();
                if amount.cents() <= 0 {
                    return Err(("items", "amount must be positive".into()));
                }
                total = Money(total.cents() + amount.cents());
            }
        }
        items.push(RefundItem {
            item_type: item.item_type,
            item_id: item.item_id,
            quantity: item.quantity,
            requested_amount: item.amount,
            reason: item.reason.clone(),
        });
    }
    let paid: i64 = new.payments.iter().map(|p| p.amount.cents()).sum();
    if paid != total.cents() {
        return Err((
            "payments",
            format!(
                "payments total {} but the items total {}",
                Money(paid),
                total
            ),
        ));
    }
    let left = rec.order.total_inc_tax.cents() - rec.order.refunded_amount.cents();
    if total.cents() > left {
        return Err((
            "payments",
            format!("refund {total} exceeds the {} left to refund", Money(left)),
        ));
    }
    for item in new
        .items
        .iter()
        .filter(|i| i.item_type == RefundItemType::Product)
    {
        if let Some(line) = rec.products.iter_mut().find(|p| p.id == item.item_id) {
            line.quantity_refunded += item.quantity.unwrap_or(0);
        }
    }
    rec.order.refunded_amount = Money(rec.order.refunded_amount.cents() + total.cents());
    let fully = rec.order.refunded_amount.cents() >= rec.order.total_inc_tax.cents();
    rec.order.payment_status = if fully {
        "refunded"
    } else {
        "partially refunded"
    }
    .into();
    set_status(
        rec,
        if fully {
            OrderStatus::Refunded.id()
        } else {
            OrderStatus::PartiallyRefunded.id()
        },
    );
    let reason = new
        .items
        .iter()
        .find_map(|i| i.reason.clone())
        .unwrap_or_default();
    Ok(Refund {
        id: refund_id,
        order_id: rec.order.id,
        user_id: 0,
        created: rfc3339(OffsetDateTime::now_utc()),
        reason,
        total_amount: total,
        total_tax: Money::ZERO,
        uses_merchant_override_values: false,
        items,
        payments: new
            .payments
            .iter()
            .enumerate()
            .map(|(i, p)| RefundPayment {
                id: refund_id * 10 + i as i64,
                provider_id: p.provider_id.clone(),
                amount: p.amount,
                offline: p.offline,
                is_declined: false,
                declined_message: String::new(),
            })
            .collect(),
    })
}

async fn list(State(h): State<SandboxHandle>, Query(q): Query<Vec<(String, String)>>) -> Response {
    let applied = [
        "order_id:in",
        "id:in",
        "created:min",
        "created:max",
        "page",
        "limit",
    ];
    let s = h.store();
    let answer = Params::strict(&q, &applied).and_then(|p| {
        let (page, limit) = p.page_limit(250)?;
        let orders = p.ids("order_id:in")?;
        let ids = p.ids("id:in")?;
        let (min, max) = (p.date("created:min")?, p.date("created:max")?);
        let found: Vec<Refund> = s
            .refunds
            .values()
            .filter(|r| orders.is_empty() || orders.contains(&r.order_id))
            .filter(|r| ids.is_empty() || ids.contains(&r.id))
            .filter(|r| {
                let created = parse_date(&r.created);
                min.is_none_or(|m| created.is_none_or(|c| c >= m))
                    && max.is_none_or(|m| created.is_none_or(|c| c <= m))
            })
            .cloned()
            .collect();
        Ok(paginate(&found, page, limit))
    });
    page_answer(answer, false)
}

async fn get_one(
    State(h): State<SandboxHandle>,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = Params::strict(&q, &[]) {
        return r.v3();
    }
    let s = h.store();
    match id.parse::<i64>().ok().and_then(|id| s.refunds.get(&id)) {
        Some(r) => {
            // This endpoint's schema types `requested_amount` as a two-decimal string, unlike the
            // list and create answers (a number): follow each operation's own schema.
            let mut data = json!(r);
            for item in data
                .get_mut("items")
                .and_then(|i| i.as_array_mut())
                .into_iter()
                .flatten()
            {
                if let Some(amount) = item
                    .get("requested_amount")
                    .and_then(serde_json::Value::as_f64)
                {
                    item["requested_amount"] = json!(format!("{amount:.2}"));
                }
            }
            json_response(StatusCode::OK, json!({"data": data, "meta": {}}))
        }
        None => v3_error(StatusCode::NOT_FOUND, "Refund not found", json!({})),
    }
}
