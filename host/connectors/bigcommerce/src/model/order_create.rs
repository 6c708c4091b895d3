//! Body of `POST /v2/orders` (the parts the sync uses; the sandbox refuses the rest by name).

use serde::{Deserialize, Serialize};

use super::money::{self, Money};
use super::orders::BillingAddress;

/// An order to create: catalog or custom lines, billing address, optional shipping address.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// Status (0 Incomplete when absent, as BigCommerce does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_id: Option<i64>,
    /// Customer id (0 = guest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
    /// Billing address (`zip` required).
    pub billing_address: BillingAddress,
    /// Where it ships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipping_addresses: Vec<NewOrderAddress>,
    /// Lines (at least one).
    pub products: Vec<NewOrderProduct>,
    /// Shopper's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_message: Option<String>,
    /// Merchant's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_notes: Option<String>,
    /// Id in an external system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Payment method name, e.g. `Manual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// Sales channel (1 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    /// Shipping cost with tax (a decimal string on the wire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_cost_inc_tax: Option<Money>,
}

/// A shipping address of a new order. (`deny_unknown_fields` does not work with `flatten`; the
/// sandbox checks the names itself.)
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NewOrderAddress {
    /// The address.
    #[serde(flatten)]
    pub address: BillingAddress,
    /// Shipping method name, e.g. `UPS Ground`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<String>,
}

/// A line of a new order: a catalog product (`product_id`, with `variant_id` or
/// `product_options` when it has variants) or a custom product (`name`, prices).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NewOrderProduct {
    /// Catalog product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    /// Catalog variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
    /// Variant options chosen (option id, option value id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_options: Vec<NewOrderProductOption>,
    /// Custom product name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Custom product SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Units.
    pub quantity: i64,
    /// Unit price with tax; the catalog price when absent.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub price_inc_tax: Option<Money>,
    /// Unit price without tax.
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub price_ex_tax: Option<Money>,
}

/// A chosen variant option of a new order line.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NewOrderProductOption {
    /// Option id.
    pub id: i64,
    /// Option value id, as a string.
    pub value: String,
}
