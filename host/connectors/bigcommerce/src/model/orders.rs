//! Orders V2: orders, order products, shipping addresses, status updates. Money is a decimal string.

use serde::{Deserialize, Serialize};

use super::money::Money;

/// Billing address of an order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct BillingAddress {
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    #[serde(default)]
    pub last_name: String,
    /// Company.
    #[serde(default)]
    pub company: String,
    /// Street line 1.
    #[serde(default)]
    pub street_1: String,
    /// Street line 2.
    #[serde(default)]
    pub street_2: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// State.
    #[serde(default)]
    pub state: String,
    /// Postal code.
    #[serde(default)]
    pub zip: String,
    /// Country name.
    #[serde(default)]
    pub country: String,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    pub country_iso2: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Email.
    #[serde(default)]
    pub email: String,
}

/// An order (`GET /v2/orders`, `/v2/orders/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Order {
    /// Order id.
    pub id: i64,
    /// Status id (see [`OrderStatus`]).
    pub status_id: i64,
    /// Status name.
    #[serde(default)]
    pub status: String,
    /// Customer id (0 for guests).
    #[serde(default)]
    pub customer_id: i64,
    /// RFC 2822 creation time.
    #[serde(default)]
    pub date_created: String,
    /// RFC 2822 last modification (the polling cursor).
    #[serde(default)]
    pub date_modified: String,
    /// Subtotal without tax.
    #[serde(default)]
    pub subtotal_ex_tax: Money,
    /// Subtotal with tax.
    #[serde(default)]
    pub subtotal_inc_tax: Money,
    /// Shipping with tax.
    #[serde(default)]
    pub shipping_cost_inc_tax: Money,
    /// Total tax.
    #[serde(default)]
    pub total_tax: Money,
    /// Total without tax.
    #[serde(default)]
    pub total_ex_tax: Money,
    /// Total with tax.
    #[serde(default)]
    pub total_inc_tax: Money,
    /// Refunded so far.
    #[serde(default)]
    pub refunded_amount: Money,
    /// Transaction currency.
    #[serde(default)]
    pub currency_code: String,
    /// Payment method name.
    #[serde(default)]
    pub payment_method: String,
    /// Payment status, e.g. `captured`.
    #[serde(default)]
    pub payment_status: String,
    /// Shopper's note.
    #[serde(default)]
    pub customer_message: String,
    /// Merchant's note.
    #[serde(default)]
    pub staff_notes: String,
    /// Sales channel.
    #[serde(default)]
    pub channel_id: i64,
    /// Id in an external system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Units ordered.
    #[serde(default)]
    pub items_total: i64,
    /// Units shipped.
    #[serde(default)]
    pub items_shipped: i64,
    /// Billing address.
    #[serde(default)]
    pub billing_address: BillingAddress,
    /// Link to the order's lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products: Option<ResourceLink>,
    /// Link to the order's shipping addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_addresses: Option<ResourceLink>,
    /// Link to the order's coupons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupons: Option<ResourceLink>,
}

/// A V2 sub-resource link: `{url, resource}` (e.g. `resource: /orders/7/products`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResourceLink {
    /// Absolute URL.
    #[serde(default)]
    pub url: String,
    /// Path below the V2 root.
    #[serde(default)]
    pub resource: String,
}

impl Order {
    /// `date_modified` parsed (RFC 2822).
    pub fn modified_at(&self) -> Option<time::OffsetDateTime> {
        time::OffsetDateTime::parse(
            &self.date_modified,
            &time::format_description::well_known::Rfc2822,
        )
        .ok()
    }
}

/// Order status ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum OrderStatus {
    /// 0.
    Incomplete = 0,
    /// 1.
    Pending = 1,
    /// 2.
    Shipped = 2,
    /// 3.
    PartiallyShipped = 3,
    /// 4.
    Refunded = 4,
    /// 5.
    Cancelled = 5,
    /// 6.
    Declined = 6,
    /// 7.
    AwaitingPayment = 7,
    /// 8.
    AwaitingPickup = 8,
    /// 9.
    AwaitingShipment = 9,
    /// 10.
    Completed = 10,
    /// 11.
    AwaitingFulfillment = 11,
    /// 12.
    ManualVerificationRequired = 12,
    /// 13.
    Disputed = 13,
    /// 14.
    PartiallyRefunded = 14,
}

impl OrderStatus {
    /// The numeric id.
    pub fn id(self) -> i64 {
        self as i64
    }

    /// BigCommerce's name for a status id.
    pub fn name_of(id: i64) -> &'static str {
        match id {
            0 => "Incomplete",
            1 => "Pending",
            2 => "Shipped",
            3 => "Partially Shipped",
            4 => "Refunded",
            5 => "Cancelled",
            6 => "Declined",
            7 => "Awaiting Payment",
            8 => "Awaiting Pickup",
            9 => "Awaiting Shipment",
            10 => "Completed",
            11 => "Awaiting Fulfillment",
            12 => "Manual Verification Required",
            13 => "Disputed",
            14 => "Partially Refunded",
            _ => "Unknown",
        }
    }
}

/// A chosen option (size, colour) on an order line.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrderProductOption {
    /// Id of this row.
    #[serde(default)]
    pub id: i64,
    /// Option id.
    #[serde(default)]
    pub option_id: i64,
    /// Option name, e.g. `Size`.
    #[serde(default)]
    pub display_name: String,
    /// Value label, e.g. `M`.
    #[serde(default)]
    pub display_value: String,
}

/// An order line (`GET /v2/orders/{id}/products`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrderProduct {
    /// Order product id (shipments and refunds refer to it).
    pub id: i64,
    /// Order id.
    pub order_id: i64,
    /// Catalog product id.
    #[serde(default)]
    pub product_id: i64,
    /// Catalog variant id.
    #[serde(default)]
    pub variant_id: i64,
    /// Shipping address id it ships to.
    #[serde(default)]
    pub order_address_id: i64,
    /// Product name.
    #[serde(default)]
    pub name: String,
    /// SKU.
    #[serde(default)]
    pub sku: String,
    /// Units ordered.
    pub quantity: i64,
    /// Unit price without tax.
    #[serde(default)]
    pub price_ex_tax: Money,
    /// Unit price with tax.
    #[serde(default)]
    pub price_inc_tax: Money,
    /// Line total with tax.
    #[serde(default)]
    pub total_inc_tax: Money,
    /// Units shipped.
    #[serde(default)]
    pub quantity_shipped: i64,
    /// Units refunded.
    #[serde(default)]
    pub quantity_refunded: i64,
    /// Size, colour...
    #[serde(default)]
    pub product_options: Vec<OrderProductOption>,
}

/// A custom checkout field (`form_fields[]`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FormField {
    /// Field name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A shipping address of an order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ShippingAddress {
    /// Address id (`order_address_id` of shipments).
    pub id: i64,
    /// Order id.
    #[serde(default)]
    pub order_id: i64,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    #[serde(default)]
    pub last_name: String,
    /// Company.
    #[serde(default)]
    pub company: String,
    /// Street line 1.
    #[serde(default)]
    pub street_1: String,
    /// Street line 2.
    #[serde(default)]
    pub street_2: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// State.
    #[serde(default)]
    pub state: String,
    /// Postal code.
    #[serde(default)]
    pub zip: String,
    /// Country name.
    #[serde(default)]
    pub country: String,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    pub country_iso2: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Shipping method chosen at checkout.
    #[serde(default)]
    pub shipping_method: String,
    /// Shipping cost with tax.
    #[serde(default)]
    pub cost_inc_tax: Money,
    /// Units to ship here.
    #[serde(default)]
    pub items_total: i64,
    /// Units shipped here.
    #[serde(default)]
    pub items_shipped: i64,
    /// Custom checkout fields.
    #[serde(default)]
    pub form_fields: Vec<FormField>,
}

/// Body of `PUT /v2/orders/{id}` for a status change.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusUpdate {
    /// New status id.
    pub status_id: i64,
}
