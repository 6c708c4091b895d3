//! `GET /v2/order_statuses` (the fixed status table) and `GET /v2/time` (the store clock).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use time::OffsetDateTime;

use super::super::query::Params;
use super::super::{SandboxHandle, json_response};
use super::Q;
use crate::model::{OrderStatus, OrderStatusInfo};

/// Control-panel order of the statuses (`sort_order` of `GET /v2/orders/count`), as the
/// spec's example lists them.
pub(super) const STATUS_ORDER: [i64; 15] = [0, 1, 7, 11, 9, 8, 3, 10, 2, 5, 6, 4, 13, 12, 14];

/// The spec's description of each status id.
fn description(id: i64) -> &'static str {
    match id {
        0 => {
            "An incomplete order happens when a shopper reached the payment page, but did not complete the transaction."
        }
        1 => "Customer started the checkout process, but did not complete it.",
        2 => {
            "Order has been shipped, but receipt has not been confirmed; seller has used the Ship Items action."
        }
        3 => {
            "Only some items in the order have been shipped, due to some products being pre-order only or other reasons."
        }
        4 => "Seller has used the Refund action.",
        5 => "Seller has cancelled an order, due to a stock inconsistency or other reasons.",
        6 => {
            "Seller has marked the order as declined for lack of manual payment, or other reasons."
        }
        7 => "Customer has completed checkout process, but payment has yet to be confirmed.",
        8 => {
            "Order has been pulled, and is awaiting customer pickup from a seller-specified location."
        }
        9 => {
            "Order has been pulled and packaged, and is awaiting collection from a shipping provider."
        }
        10 => {
            "Client has paid for their digital product and their file(s) are available for download."
        }
        11 => "Customer has completed the checkout process and payment has been confirmed.",
        12 => "Order is on hold while some aspect needs to be manually confirmed.",
        13 => {
            "Customer has initiated a dispute resolution process for the PayPal transaction that paid for the order."
        }
        14 => "Seller has partially refunded the order.",
        _ => "",
    }
}

/// One status as the API describes it (the sandbox has no custom labels).
pub(super) fn status_info(id: i64) -> OrderStatusInfo {
    let name = OrderStatus::name_of(id).to_owned();
    OrderStatusInfo {
        id,
        system_label: name.clone(),
        custom_label: name.clone(),
        name,
        system_description: description(id).to_owned(),
    }
}

pub(super) async fn statuses(Query(q): Q) -> Response {
    if let Err(r) = Params::strict(&q, &[]) {
        return r.v2();
    }
    let all: Vec<OrderStatusInfo> = (0..=14).map(status_info).collect();
    json_response(StatusCode::OK, json!(all))
}

pub(super) async fn time(State(_h): State<SandboxHandle>, Query(q): Q) -> Response {
    if let Err(r) = Params::strict(&q, &[]) {
        return r.v2();
    }
    json_response(
        StatusCode::OK,
        json!({"time": OffsetDateTime::now_utc().unix_timestamp()}),
    )
}
