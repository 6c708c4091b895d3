//! Sandbox-only admin routes under `/sandbox/...` and the simulated shopper checkout.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::inventory::sku_inventory_event;
use super::state::{Fault, OrderRec, rfc2822};
use super::{SandboxHandle, json_response, seed};
use crate::model::{
    BillingAddress, FormField, Money, Order, OrderProduct, OrderProductOption, OrderStatus,
    ShippingAddress,
};

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
/// `store/order/created` fired.
pub(crate) fn create_order(h: &SandboxHandle, input: &SandboxOrder) -> Result<i64, String> {
    if input.products.is_empty() {
        return Err("an order needs at least one product".into());
    }
    let order_id = {
        let mut s = h.store();
        s.settle_stock();
        let order_id = s.id();
        let address_id = s.id();
        let mut lines = Vec::new();
        for line in &input.products {
            if line.quantity <= 0 {
                return Err(format!("quantity of {} must be positive", line.sku));
            }
            let variant = s
                .variants
                .values()
                .find(|v| v.sku.eq_ignore_ascii_case(&line.sku))
                .map(|v| s.shown_variant(v))
                .ok_or_else(|| format!("unknown sku {}", line.sku))?;
            let name = s
                .products
                .get(&variant.product_id)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            let price = line.price.or(variant.calculated_price).unwrap_or_default();
            let line_id = s.id();
            let product_options = variant
                .option_values
                .iter()
                .map(|ov| OrderProductOption {
                    id: ov.id.unwrap_or_default(),
                    option_id: ov.option_id.unwrap_or_default(),
                    display_name: ov.option_display_name.clone().unwrap_or_default(),
                    display_value: ov.label.clone().unwrap_or_default(),
                })
                .collect();
            lines.push(OrderProduct {
                id: line_id,
                order_id,
                product_id: variant.product_id,
                variant_id: variant.id,
                order_address_id: address_id,
                name,
                sku: variant.sku.clone(),
                quantity: line.quantity,
                price_ex_tax: price,
                price_inc_tax: price,
                total_inc_tax: Money(price.cents() * line.quantity),
                quantity_shipped: 0,
                quantity_refunded: 0,
                product_options,
            });
        }
        let mut events = Vec::new();
        for line in &lines {
            let level = s.stock.entry((line.variant_id, 1)).or_insert(0);
            *level = (*level - line.quantity).max(0);
            events.extend(sku_inventory_event(
                &s,
                line.variant_id,
                "relative",
                -line.quantity,
            ));
        }
        let subtotal: i64 = lines.iter().map(|l| l.total_inc_tax.cents()).sum();
        let items: i64 = lines.iter().map(|l| l.quantity).sum();
        let now = OffsetDateTime::now_utc();
        let a = &input.shipping_address;
        let address = ShippingAddress {
            id: address_id,
            order_id,
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            company: a.company.clone(),
            street_1: a.street_1.clone(),
            street_2: a.street_2.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            zip: a.zip.clone(),
            country: a.country.clone(),
            country_iso2: a.country_iso2.clone(),
            phone: a.phone.clone(),
            email: a.email.clone(),
            shipping_method: input.shipping_method.clone(),
            cost_inc_tax: input.shipping_cost,
            items_total: items,
            items_shipped: 0,
            form_fields: input.form_fields.clone(),
        };
        let status_id = input
            .status_id
            .unwrap_or(OrderStatus::AwaitingFulfillment.id());
        let total = Money(subtotal + input.shipping_cost.cents());
        let order = Order {
            id: order_id,
            status_id,
            status: OrderStatus::name_of(status_id).into(),
            customer_id: input.customer_id,
            date_created: rfc2822(now),
            date_modified: rfc2822(now),
            subtotal_ex_tax: Money(subtotal),
            subtotal_inc_tax: Money(subtotal),
            shipping_cost_inc_tax: input.shipping_cost,
            total_tax: Money::ZERO,
            total_ex_tax: total,
            total_inc_tax: total,
            refunded_amount: Money::ZERO,
            currency_code: "USD".into(),
            payment_method: input
                .payment_method
                .clone()
                .unwrap_or_else(|| "Credit Card".into()),
            payment_status: "captured".into(),
            customer_message: input.customer_message.clone(),
            staff_notes: input.staff_notes.clone(),
            channel_id: input.channel_id.unwrap_or(1),
            external_id: input.external_id.clone(),
            items_total: items,
            items_shipped: 0,
            billing_address: input
                .billing_address
                .clone()
                .unwrap_or_else(|| input.shipping_address.clone()),
        };
        s.orders.insert(
            order_id,
            OrderRec {
                order,
                modified: now,
                products: lines,
                addresses: vec![address],
                shipments: Vec::new(),
            },
        );
        (order_id, events)
    };
    let (order_id, events) = order_id;
    h.emit(
        "store/order/created",
        json!({"type": "order", "id": order_id}),
    );
    for event in events {
        h.emit("store/sku/inventory/updated", event);
    }
    Ok(order_id)
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
