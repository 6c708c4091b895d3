//! Catalog V3 batch updates (only set fields change) and list filters.

use serde::{Deserialize, Serialize};

use super::catalog::{Availability, CustomField, InventoryTracking};
use super::money::{self, Money};

/// One product of a batch update (`PUT /catalog/products`): only set fields change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProductUpdate {
    /// Product id (required).
    pub id: i64,
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// New weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// New price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub price: Option<Money>,
    /// New sale price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub sale_price: Option<Money>,
    /// New retail price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub retail_price: Option<Money>,
    /// New cost price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub cost_price: Option<Money>,
    /// New visibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_visible: Option<bool>,
    /// New availability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
    /// New tracking mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_tracking: Option<InventoryTracking>,
    /// New UPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
    /// New GTIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// New MPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpn: Option<String>,
    /// Replacement categories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<i64>>,
    /// Custom fields to add or update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Vec<CustomField>>,
}

/// One variant of a batch update (`PUT /catalog/variants`): only set fields change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct VariantUpdate {
    /// Variant id (required).
    pub id: i64,
    /// New SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// New price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub price: Option<Money>,
    /// New sale price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub sale_price: Option<Money>,
    /// New retail price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub retail_price: Option<Money>,
    /// New cost price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub cost_price: Option<Money>,
    /// New purchasable flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchasing_disabled: Option<bool>,
    /// New UPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
    /// New GTIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// New MPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpn: Option<String>,
    /// New stock at the default location (absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_level: Option<i64>,
}

/// Filters of `GET /catalog/variants`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariantQuery {
    /// One variant id (`id`).
    pub id: Option<i64>,
    /// Exact SKU (`sku`).
    pub sku: Option<String>,
    /// Exact UPC (`upc`).
    pub upc: Option<String>,
    /// Variants of these products (`product_id:in`).
    pub product_ids: Vec<i64>,
}

/// Filters of `GET /catalog/products`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductQuery {
    /// Exact product SKU (`sku`).
    pub sku: Option<String>,
    /// Any of these SKUs (`sku:in`).
    pub skus: Vec<String>,
    /// Any of these ids (`id:in`).
    pub ids: Vec<i64>,
    /// Modified at or after (`date_modified:min`, ISO 8601).
    pub date_modified_min: Option<String>,
    /// Add `variants` to `include`.
    pub include_variants: bool,
    /// Add `options` to `include` (BigCommerce then serves at most 10 per page).
    pub include_options: bool,
}
