//! Catalog V3 variant options (size, colour) and their values.

use serde::{Deserialize, Serialize};

/// How an option is displayed.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OptionType {
    /// Radio buttons.
    RadioButtons,
    /// Rectangles (typical for sizes).
    #[default]
    Rectangles,
    /// Drop-down list.
    Dropdown,
    /// Product pick list.
    ProductList,
    /// Product pick list with images.
    ProductListWithImages,
    /// Colour swatches (value_data.colors, up to 3 hex).
    Swatch,
}

/// One value of a variant option.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OptionValue {
    /// Value id (absent when creating).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Label, e.g. `Navy`.
    pub label: String,
    /// Display order.
    #[serde(default)]
    pub sort_order: i64,
    /// Preselected value.
    #[serde(default)]
    pub is_default: bool,
    /// Swatch colours and the like.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_data: Option<serde_json::Value>,
}

/// A variant option (size, colour) of a product.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProductOption {
    /// Option id.
    pub id: i64,
    /// Owning product.
    #[serde(default)]
    pub product_id: i64,
    /// Name shown to shoppers, e.g. `Size`.
    pub display_name: String,
    /// Display type.
    #[serde(rename = "type", default)]
    pub option_type: OptionType,
    /// Display order.
    #[serde(default)]
    pub sort_order: i64,
    /// Values (at most 250).
    #[serde(default)]
    pub option_values: Vec<OptionValue>,
}

/// Option to create on a product.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NewOption {
    /// Name shown to shoppers.
    pub display_name: String,
    /// Display type.
    #[serde(rename = "type")]
    pub option_type: OptionType,
    /// Display order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<i64>,
    /// Values to create (`label` and `sort_order` required).
    pub option_values: Vec<OptionValue>,
}
