//! `POST /v2/orders`: the body is checked against what the sandbox models (catalog and custom
//! lines, billing address, one shipping address, status, customer, notes, payment method,
//! channel, shipping cost); any other documented field (consignments, fees, discounts...) is
//! refused by name. The order is recorded like a checkout and fires `store/order/created`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::super::query::{Refusal, known_keys};
use super::super::{SandboxHandle, json_response, parse_body};
use super::record::{LineDraft, LineRef, OrderDraft, record};
use super::shown;
use crate::model::{NewOrder, NewOrderProduct, OrderStatus};

const TOP: &[&str] = &[
    "status_id",
    "customer_id",
    "billing_address",
    "shipping_addresses",
    "products",
    "customer_message",
    "staff_notes",
    "external_id",
    "payment_method",
    "channel_id",
    "shipping_cost_inc_tax",
];
const ADDRESS: &[&str] = &[
    "first_name",
    "last_name",
    "company",
    "street_1",
    "street_2",
    "city",
    "state",
    "zip",
    "country",
    "country_iso2",
    "phone",
    "email",
];
const CATALOG_LINE: &[&str] = &[
    "product_id",
    "variant_id",
    "product_options",
    "quantity",
    "price_inc_tax",
    "price_ex_tax",
];
const CUSTOM_LINE: &[&str] = &["name", "sku", "quantity", "price_inc_tax", "price_ex_tax"];

fn array<'a>(body: &'a Value, name: &str) -> Result<&'a [Value], Refusal> {
    match body.get(name) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(Refusal::new(name, "must be an array")),
    }
}

/// Refuses any field the sandbox would not apply, at any level.
fn check_fields(body: &Value) -> Result<(), Refusal> {
    known_keys(body, TOP, "")?;
    let billing = body
        .get("billing_address")
        .ok_or_else(|| Refusal::new("billing_address", "is required"))?;
    known_keys(billing, ADDRESS, "billing_address")?;
    if billing
        .get("zip")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        // `billingAddress_Base` requires `zip`.
        return Err(Refusal::new("billing_address.zip", "is required"));
    }
    let shipping = array(body, "shipping_addresses")?;
    if shipping.len() > 1 {
        return Err(Refusal::new(
            "shipping_addresses",
            "holds more than one address: the sandbox models one shipping address per order",
        ));
    }
    let with_method: Vec<&str> = ADDRESS.iter().copied().chain(["shipping_method"]).collect();
    for (i, a) in shipping.iter().enumerate() {
        known_keys(a, &with_method, &format!("shipping_addresses[{i}]"))?;
    }
    let products = array(body, "products")?;
    if products.is_empty() {
        return Err(Refusal::new("products", "is required (at least one line)"));
    }
    for (i, p) in products.iter().enumerate() {
        let at = format!("products[{i}]");
        let catalog = p.get("product_id").is_some() || p.get("variant_id").is_some();
        known_keys(p, if catalog { CATALOG_LINE } else { CUSTOM_LINE }, &at)?;
        for (j, o) in array(p, "product_options")?.iter().enumerate() {
            known_keys(o, &["id", "value"], &format!("{at}.product_options[{j}]"))?;
        }
    }
    Ok(())
}

fn line(i: usize, p: &NewOrderProduct) -> Result<LineDraft, Refusal> {
    let item = match (p.product_id, p.variant_id) {
        (_, Some(_)) if !p.product_options.is_empty() => {
            // Both name a variant; which one wins is not documented, so neither is guessed.
            return Err(Refusal::new(
                format!("products[{i}].product_options"),
                "give either variant_id or product_options, not both",
            ));
        }
        (product_id, Some(variant_id)) => LineRef::Variant {
            product_id,
            variant_id,
        },
        (Some(product_id), None) if !p.product_options.is_empty() => {
            let options = p
                .product_options
                .iter()
                .map(|o| {
                    o.value.trim().parse().map(|v| (o.id, v)).map_err(|_| {
                        Refusal::new(
                            format!("products[{i}].product_options"),
                            format!("value `{}` is not an option value id", o.value),
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            LineRef::Options {
                product_id,
                options,
            }
        }
        (Some(product_id), None) => LineRef::Product(product_id),
        (None, None) => {
            // A custom product: the spec requires its name and both prices.
            let name = p.name.clone().filter(|n| !n.trim().is_empty());
            let missing = [
                ("name", name.is_none()),
                ("price_inc_tax", p.price_inc_tax.is_none()),
                ("price_ex_tax", p.price_ex_tax.is_none()),
            ];
            if let Some((field, _)) = missing.iter().find(|(_, m)| *m) {
                return Err(Refusal::new(
                    format!("products[{i}].{field}"),
                    "is required for a custom product",
                ));
            }
            LineRef::Custom {
                name: name.unwrap_or_default(),
                sku: p.sku.clone().unwrap_or_default(),
            }
        }
    };
    Ok(LineDraft {
        item,
        quantity: p.quantity,
        price_inc_tax: p.price_inc_tax,
        price_ex_tax: p.price_ex_tax,
    })
}

fn draft(body: Value) -> Result<OrderDraft, Refusal> {
    check_fields(&body)?;
    let new: NewOrder =
        serde_json::from_value(body).map_err(|e| Refusal::new("body", e.to_string()))?;
    let lines = new
        .products
        .iter()
        .enumerate()
        .map(|(i, p)| line(i, p))
        .collect::<Result<_, _>>()?;
    // Without a shipping address the order ships to the billing address, so every sandbox
    // order has one for shipments to refer to.
    let (ship_to, shipping_method) = match new.shipping_addresses.into_iter().next() {
        Some(a) => (a.address, a.shipping_method.unwrap_or_default()),
        None => (new.billing_address.clone(), String::new()),
    };
    Ok(OrderDraft {
        customer_id: new.customer_id.unwrap_or(0),
        billing: new.billing_address,
        ship_to,
        shipping_method,
        shipping_cost: new.shipping_cost_inc_tax.unwrap_or_default(),
        form_fields: Vec::new(),
        lines,
        customer_message: new.customer_message.unwrap_or_default(),
        staff_notes: new.staff_notes.unwrap_or_default(),
        external_id: new.external_id,
        // BigCommerce creates V2 orders as Pending unless told otherwise.
        status_id: new.status_id.unwrap_or(OrderStatus::Pending.id()),
        payment_method: new.payment_method.unwrap_or_else(|| "Manual".into()),
        channel_id: new.channel_id.unwrap_or(1),
    })
}

pub(super) async fn create(State(h): State<SandboxHandle>, body: Bytes) -> Response {
    let body = match parse_body(&body, true) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let id = match draft(body).and_then(|d| record(&h, &d)) {
        Ok(id) => id,
        Err(r) => return r.v2(),
    };
    let s = h.store();
    match s.orders.get(&id) {
        // The spec declares 200 (not 201) for this create.
        Some(rec) => json_response(StatusCode::OK, json!(shown(&h, rec))),
        None => super::not_found(),
    }
}
