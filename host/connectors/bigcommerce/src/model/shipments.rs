//! Orders V2 shipments.

use serde::{Deserialize, Serialize};

/// A line of a shipment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShipmentItem {
    /// Order product id.
    pub order_product_id: i64,
    /// Catalog product id (set by BigCommerce).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    /// Units.
    pub quantity: i64,
}

/// A shipment of an order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Shipment {
    /// Shipment id.
    pub id: i64,
    /// Order id.
    pub order_id: i64,
    /// Shipping address id.
    #[serde(default)]
    pub order_address_id: i64,
    /// RFC 2822 creation time.
    #[serde(default)]
    pub date_created: String,
    /// Tracking number.
    #[serde(default)]
    pub tracking_number: String,
    /// Shipping method.
    #[serde(default)]
    pub shipping_method: String,
    /// Provider code (`ups`, `fedex`, ... or empty).
    #[serde(default)]
    pub shipping_provider: String,
    /// Carrier name.
    #[serde(default)]
    pub tracking_carrier: String,
    /// Comments.
    #[serde(default)]
    pub comments: String,
    /// Lines.
    #[serde(default)]
    pub items: Vec<ShipmentItem>,
}

/// Shipment to create (`POST /v2/orders/{id}/shipments`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NewShipment {
    /// Shipping address id.
    pub order_address_id: i64,
    /// Tracking number (at most 50 characters).
    pub tracking_number: String,
    /// Provider code, e.g. `ups`; empty for a custom carrier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_provider: Option<String>,
    /// Carrier name when the provider is custom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_carrier: Option<String>,
    /// Shipping method label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<String>,
    /// Comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// Lines (partial shipments allowed).
    pub items: Vec<ShipmentItem>,
}
