//! `POST /v2/orders/{order_id}/shipments`: validates items against what is left to ship and
//! moves the order to Partially Shipped or Shipped.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use time::OffsetDateTime;

use super::super::query::modelled;
use super::super::state::{OrderRec, rfc2822};
use super::super::{SandboxHandle, json_response, parse_body, v2_error};
use super::{P, not_found, order_id, set_status, status_events};
use crate::model::{NewShipment, OrderStatus, Shipment, ShipmentItem};

pub(super) async fn create_shipment(
    State(h): State<SandboxHandle>,
    Path((_, id)): P,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body, true) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let new: NewShipment = match modelled(&body) {
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
