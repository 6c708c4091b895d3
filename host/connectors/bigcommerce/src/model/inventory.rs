//! Inventory V3: absolute adjustments, inventory items, locations.

use serde::{Deserialize, Serialize};

/// Which catalog item an adjustment targets: exactly one of sku, variant_id or product_id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ItemRef {
    /// By SKU.
    Sku(String),
    /// By variant id.
    VariantId(i64),
    /// By product id (products without variants).
    ProductId(i64),
}

/// One line of `PUT /inventory/adjustments/absolute`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AbsoluteAdjustment {
    /// Location (1 is the default location).
    pub location_id: i64,
    /// The item.
    #[serde(flatten)]
    pub item: ItemRef,
    /// New on-hand quantity (0..=2,147,483,647).
    pub quantity: i64,
}

/// Body of an adjustment request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AdjustmentRequest {
    /// Free text shown in the store's inventory log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// At most 2,000 items.
    pub items: Vec<AbsoluteAdjustment>,
}

/// `200 {transaction_id}` of an adjustment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TransactionId {
    /// Id of the asynchronous inventory transaction.
    pub transaction_id: String,
}

/// `identity` of an inventory item.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ItemIdentity {
    /// SKU.
    #[serde(default)]
    pub sku: String,
    /// Variant id.
    #[serde(default)]
    pub variant_id: i64,
    /// Product id.
    #[serde(default)]
    pub product_id: i64,
}

/// Per-location settings of an item.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LocationSettings {
    /// Units held back from sale.
    #[serde(default)]
    pub safety_stock: i64,
    /// Whether the item shows as in stock.
    #[serde(default)]
    pub is_in_stock: bool,
    /// Low-stock warning level.
    #[serde(default)]
    pub warning_level: i64,
}

/// Stock of an item at one location.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LocationStock {
    /// Location id.
    pub location_id: i64,
    /// Location code.
    #[serde(default)]
    pub location_code: String,
    /// On hand minus safety stock.
    #[serde(default)]
    pub available_to_sell: i64,
    /// On hand.
    #[serde(default)]
    pub total_inventory_onhand: i64,
    /// Settings.
    #[serde(default)]
    pub settings: LocationSettings,
}

/// An item of `GET /inventory/items`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct InventoryItem {
    /// Which item.
    pub identity: ItemIdentity,
    /// Stock per location.
    #[serde(default)]
    pub locations: Vec<LocationStock>,
}

/// Filters of `GET /inventory/items`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryQuery {
    /// `sku:in`.
    pub skus: Vec<String>,
    /// `variant_id:in`.
    pub variant_ids: Vec<i64>,
    /// `location_id:in`.
    pub location_ids: Vec<i64>,
}

/// `PHYSICAL` or `VIRTUAL`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum LocationType {
    /// A warehouse or shop.
    #[default]
    Physical,
    /// A virtual location.
    Virtual,
}

/// Geographic position.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct GeoCoordinates {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
}

/// Address of a location.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LocationAddress {
    /// Street.
    pub address1: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// Postal code.
    pub zip: String,
    /// Contact email.
    pub email: String,
    /// Position.
    pub geo_coordinates: GeoCoordinates,
    /// ISO country code.
    pub country_code: String,
}

/// An inventory location.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Location {
    /// Location id (1 is the default).
    pub id: i64,
    /// Merchant code (the ERP warehouse code maps here).
    #[serde(default)]
    pub code: String,
    /// Display label.
    #[serde(default)]
    pub label: String,
    /// Active.
    #[serde(default)]
    pub enabled: bool,
    /// Physical or virtual.
    #[serde(default)]
    pub type_id: LocationType,
    /// Stock managed outside BigCommerce.
    #[serde(default)]
    pub managed_by_external_source: bool,
    /// IANA time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<LocationAddress>,
}

/// Location to create (`POST /inventory/locations` takes an array).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NewLocation {
    /// Unique code.
    pub code: String,
    /// Display label.
    pub label: String,
    /// Active.
    pub enabled: bool,
    /// Physical or virtual.
    pub type_id: LocationType,
    /// Stock managed outside BigCommerce (true for an ERP-fed warehouse).
    pub managed_by_external_source: bool,
    /// IANA time zone.
    pub time_zone: String,
    /// Address.
    pub address: LocationAddress,
}
