//! Catalog V3: products and variants.

use serde::{Deserialize, Serialize};

use super::money::{self, Money};
use super::options::ProductOption;

/// `physical` or `digital`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProductType {
    /// Shipped goods.
    #[default]
    Physical,
    /// Downloads.
    Digital,
}

/// Which stock level BigCommerce tracks.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InventoryTracking {
    /// Stock not tracked.
    #[default]
    None,
    /// One level for the product.
    Product,
    /// One level per variant (apparel: size x colour).
    Variant,
}

/// Storefront availability.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Can be bought.
    #[default]
    Available,
    /// Cannot be bought.
    Disabled,
    /// Can be pre-ordered.
    Preorder,
}

/// A product custom field (`{name, value}`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CustomField {
    /// Set by BigCommerce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Field name (1..=250 chars).
    pub name: String,
    /// Field value (1..=250 chars).
    pub value: String,
}

/// A catalog product as BigCommerce returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Product {
    /// Product id.
    pub id: i64,
    /// Name (1..=250).
    pub name: String,
    /// Physical or digital.
    #[serde(rename = "type", default)]
    pub product_type: ProductType,
    /// Product-level SKU (may be empty).
    #[serde(default)]
    pub sku: String,
    /// Weight in store units.
    #[serde(default)]
    pub weight: f64,
    /// Default price.
    #[serde(with = "money::as_number")]
    pub price: Money,
    /// Sale price (0 when none).
    #[serde(default, with = "money::as_number")]
    pub sale_price: Money,
    /// Retail (MSRP) price.
    #[serde(default, with = "money::as_number")]
    pub retail_price: Money,
    /// Cost price.
    #[serde(default, with = "money::as_number")]
    pub cost_price: Money,
    /// Stock tracking mode.
    #[serde(default)]
    pub inventory_tracking: InventoryTracking,
    /// Stock at the default location.
    #[serde(default)]
    pub inventory_level: i64,
    /// Shown on the storefront.
    #[serde(default)]
    pub is_visible: bool,
    /// Purchasable state.
    #[serde(default)]
    pub availability: Availability,
    /// UPC.
    #[serde(default)]
    pub upc: String,
    /// GTIN.
    #[serde(default)]
    pub gtin: String,
    /// Manufacturer part number.
    #[serde(default)]
    pub mpn: String,
    /// Category ids.
    #[serde(default)]
    pub categories: Vec<i64>,
    /// Brand id (0 when none).
    #[serde(default)]
    pub brand_id: i64,
    /// Custom fields (the ERP style/season attributes go here).
    #[serde(default)]
    pub custom_fields: Vec<CustomField>,
    /// ISO 8601 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_created: Option<String>,
    /// ISO 8601 last modification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<String>,
    /// With `include=variants`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// With `include=options`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ProductOption>,
}

/// A variant option value on a variant (`option_values[]`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct VariantOptionValue {
    /// Option value id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Option id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_id: Option<i64>,
    /// Option name, e.g. `Size` (used when creating a product with variants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_display_name: Option<String>,
    /// Value label, e.g. `M`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl VariantOptionValue {
    /// By option name and label (product create).
    pub fn named(option: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            option_display_name: Some(option.into()),
            label: Some(label.into()),
            ..Self::default()
        }
    }

    /// By ids (variant create on an existing product).
    pub fn ids(option_id: i64, value_id: i64) -> Self {
        Self {
            id: Some(value_id),
            option_id: Some(option_id),
            ..Self::default()
        }
    }
}

/// A product variant (one SKU) as BigCommerce returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Variant {
    /// Variant id.
    pub id: i64,
    /// Owning product.
    pub product_id: i64,
    /// SKU, unique across products and variants (case-insensitive).
    #[serde(default)]
    pub sku: String,
    /// Own price; `None` inherits the product price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub price: Option<Money>,
    /// Own sale price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub sale_price: Option<Money>,
    /// Own retail price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub retail_price: Option<Money>,
    /// Own cost price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub cost_price: Option<Money>,
    /// Price after sale price and inheritance.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub calculated_price: Option<Money>,
    /// UPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
    /// GTIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// MPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpn: Option<String>,
    /// Not purchasable (variants have no `is_visible`).
    #[serde(default)]
    pub purchasing_disabled: bool,
    /// Stock at the default location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_level: Option<i64>,
    /// Size, colour...
    #[serde(default)]
    pub option_values: Vec<VariantOptionValue>,
}

/// Variant to create, inline with a product or on its own.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NewVariant {
    /// Owning product (only for the standalone create; ignored inline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    /// SKU (required).
    pub sku: String,
    /// Own price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub price: Option<Money>,
    /// Own sale price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub sale_price: Option<Money>,
    /// Own retail price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub retail_price: Option<Money>,
    /// UPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
    /// GTIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// Not purchasable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchasing_disabled: Option<bool>,
    /// Option values identifying the variant (required).
    pub option_values: Vec<VariantOptionValue>,
}

/// Product to create (`POST /catalog/products`, one per call).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NewProduct {
    /// Name (required, 1..=250).
    pub name: String,
    /// Physical or digital (required).
    #[serde(rename = "type")]
    pub product_type: ProductType,
    /// Product-level SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Weight (required).
    pub weight: f64,
    /// Price (required).
    #[serde(with = "money::as_number")]
    pub price: Money,
    /// Sale price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub sale_price: Option<Money>,
    /// Retail price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub retail_price: Option<Money>,
    /// Cost price.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub cost_price: Option<Money>,
    /// Stock tracking mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_tracking: Option<InventoryTracking>,
    /// Shown on the storefront.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_visible: Option<bool>,
    /// Purchasable state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
    /// Category ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<i64>,
    /// Brand id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<i64>,
    /// UPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
    /// GTIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// MPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpn: Option<String>,
    /// Custom fields (at most 200).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomField>,
    /// Variants; their `option_values` by name create the options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<NewVariant>,
}
