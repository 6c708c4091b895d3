//! Shipment confirmations from the warehouse.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A shipped line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    /// SKU.
    pub sku: String,
    /// Units in this shipment.
    pub qty: i64,
}

/// A shipment confirmation from the warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// ERP shipment (pick ticket) number.
    pub shipment_number: String,
    /// Sales order it ships.
    pub order_number: String,
    /// Our reference of that order.
    pub external_ref: String,
    /// Carrier code (`UPS`, `FEDEX`).
    pub carrier: String,
    /// Tracking number.
    pub tracking: String,
    /// When it shipped.
    #[serde(with = "time::serde::rfc3339")]
    pub shipped_at: OffsetDateTime,
    /// Lines shipped (may be part of the order).
    pub lines: Vec<ShipmentLine>,
}

/// A page of shipments and the cursor to pass next time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentPage {
    /// Shipments after the cursor, oldest first.
    pub items: Vec<Shipment>,
    /// Cursor to save once these are applied (exclusive: the next call starts after it).
    pub next_cursor: String,
    /// More shipments wait past this page.
    pub has_more: bool,
}
