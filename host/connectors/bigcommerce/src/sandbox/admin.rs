//! Sandbox-only admin routes under `/sandbox/...` and the simulated shopper checkout.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::orders::record::{LineDraft, LineRef, OrderDraft, record};
use super::state::Fault;
use super::{SandboxHandle, json_response, seed};
use crate::model::{BillingAddress, FormField, Money, OrderStatus};

/// One line of a simulated checkout.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OrderLineInput {
    /// Variant SKU bought.
    pub sku: String,
    /// Units.
    pub quantity: i64,
    /// Unit price; the variant's calculated price when absent.
    #[serde(default)]
    pub price: Option<Money>,
}

/// A simulated shopper checkout (`POST /sandbox/orders`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SandboxOrder {
    /// Customer id (0 = guest).
    #[serde(default)]
    pub customer_id: i64,
    /// Billing address; the shipping address is used when absent.
    #[serde(default)]
    pub billing_address: Option<BillingAddress>,
    /// Where it ships.
    pub shipping_address: BillingAddress,
    /// Shipping method chosen at checkout, e.g. `UPS Ground`.
    pub shipping_method: String,
    /// Shipping cost (tax included).
    #[serde(default)]
    pub shipping_cost: Money,
    /// Lines.
    pub products: Vec<OrderLineInput>,
    /// Shopper's note.
    #[serde(default)]
    pub customer_message: String,
    /// Merchant's note.
    #[serde(default)]
    pub staff_notes: String,
    /// External id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Custom checkout attributes (become the shipping address `form_fields`).
    #[serde(default)]
    pub form_fields: Vec<FormField>,
    /// Initial status (11 Awaiting Fulfillment when absent).
    #[serde(default)]
    pub status_id: Option<i64>,
    /// Payment method name.
    #[serde(default)]
    pub payment_method: Option<String>,
    /// Channel (1 when absent).
    #[serde(default)]
    pub channel_id: Option<i64>,
}

pub(crate) fn routes() -> Router<SandboxHandle> {
    Router::new()
        .route("/sandbox/orders", post(post_order))
        .route("/sandbox/quota", put(put_quota))
        .route("/sandbox/inventory_lag", put(put_lag))
        .route("/sandbox/seed", post(post_seed))
        .route("/sandbox/seed/apparel", post(post_seed_apparel))
        .route(
            "/sandbox/requests",
            get(get_requests).delete(delete_requests),
        )
        .route("/sandbox/counters", get(get_counters))
        .route("/sandbox/faults", post(post_fault))
        .route("/sandbox/deliveries", get(get_deliveries))
        .route("/sandbox/duplicates", post(post_duplicates))
}

/// Records a checkout: lines priced from the catalog, stock taken from the default location,
/// `store/order/created` fired (the same path as `POST /v2/orders`).
pub(crate) fn create_order(h: &SandboxHandle, input: &SandboxOrder) -> Result<i64, String> {
    let draft = OrderDraft {
        customer_id: input.customer_id,
        billing: input
            .billing_address
            .clone()
            .unwrap_or_else(|| input.shipping_address.clone()),
        ship_to: input.shipping_address.clone(),
        shipping_method: input.shipping_method.clone(),
        shipping_cost: input.shipping_cost,
        form_fields: input.form_fields.clone(),
        lines: input
            .products
            .iter()
            .map(|l| LineDraft {
                item: LineRef::Sku(l.sku.clone()),
                quantity: l.quantity,
                price_inc_tax: l.price,
                price_ex_tax: l.price,
            })
            .collect(),
        customer_message: input.customer_message.clone(),
        staff_notes: input.staff_notes.clone(),
        external_id: input.external_id.clone(),
        status_id: input
            .status_id
            .unwrap_or(OrderStatus::AwaitingFulfillment.id()),
        payment_method: input
            .payment_method
            .clone()
            .unwrap_or_else(|| "Credit Card".into()),
        channel_id: input.channel_id.unwrap_or(1),
    };
    record(h, &draft).map_err(|e| e.to_string())
}

async fn post_order(State(h): State<SandboxHandle>, Json(order): Json<SandboxOrder>) -> Response {
    match create_order(&h, &order) {
        Ok(id) => json_response(StatusCode::CREATED, json!({"id": id})),
        Err(e) => json_response(StatusCode::UNPROCESSABLE_ENTITY, json!({"error": e})),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaBody {
    quota: u32,
    #[serde(default)]
    window_ms: Option<u64>,
}

async fn put_quota(State(h): State<SandboxHandle>, Json(b): Json<QuotaBody>) -> Response {
    let window = b.window_ms.unwrap_or_else(|| h.store().window_ms);
    h.set_quota(b.quota, window);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LagBody {
    lag_ms: u64,
}

async fn put_lag(State(h): State<SandboxHandle>, Json(b): Json<LagBody>) -> Response {
    h.set_inventory_lag(b.lag_ms);
    StatusCode::NO_CONTENT.into_response()
}

async fn post_seed(
    State(h): State<SandboxHandle>,
    Json(products): Json<Vec<seed::SeedProduct>>,
) -> Response {
    match h.seed(&products) {
        Ok(ids) => json_response(StatusCode::CREATED, json!({"product_ids": ids})),
        Err(e) => json_response(StatusCode::UNPROCESSABLE_ENTITY, json!({"error": e})),
    }
}

async fn post_seed_apparel(State(h): State<SandboxHandle>) -> Response {
    match h.seed(&seed::apparel_catalog()) {
        Ok(ids) => json_response(StatusCode::CREATED, json!({"product_ids": ids})),
        Err(e) => json_response(StatusCode::UNPROCESSABLE_ENTITY, json!({"error": e})),
    }
}

async fn get_requests(State(h): State<SandboxHandle>) -> Response {
    json_response(StatusCode::OK, json!(h.exchanges()))
}

async fn delete_requests(State(h): State<SandboxHandle>) -> Response {
    h.clear_log();
    StatusCode::NO_CONTENT.into_response()
}

async fn get_counters(State(h): State<SandboxHandle>) -> Response {
    json_response(StatusCode::OK, json!(h.counters()))
}

async fn post_fault(State(h): State<SandboxHandle>, Json(f): Json<Fault>) -> Response {
    h.inject_fault(f);
    StatusCode::NO_CONTENT.into_response()
}

async fn get_deliveries(State(h): State<SandboxHandle>) -> Response {
    json_response(StatusCode::OK, json!(h.deliveries()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DuplicatesBody {
    count: u32,
}

async fn post_duplicates(
    State(h): State<SandboxHandle>,
    Json(b): Json<DuplicatesBody>,
) -> Response {
    h.force_duplicate_deliveries(b.count);
    StatusCode::NO_CONTENT.into_response()
}
