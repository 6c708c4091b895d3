//! Refunds V3 (`/v3/orders/.../payment_actions/refunds`). Amounts are JSON numbers.

use serde::{Deserialize, Serialize};

use super::money::{self, Money};

/// What a refund line refunds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundItemType {
    /// An order line, by quantity (`item_id` = order product id).
    Product,
    /// Gift wrapping, by quantity.
    GiftWrapping,
    /// Shipping, by amount (`item_id` = order address id).
    Shipping,
    /// Handling, by amount.
    Handling,
    /// The order, by amount.
    Order,
    /// A fee, by amount.
    Fee,
    /// Tax, by amount.
    Tax,
}

/// A line of a refund as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefundItem {
    /// What is refunded.
    pub item_type: RefundItemType,
    /// Order product id, address id...
    pub item_id: i64,
    /// Units (product lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// Amount asked for (amount lines).
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub requested_amount: Option<Money>,
    /// Reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A payment of a refund.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefundPayment {
    /// Payment id.
    #[serde(default)]
    pub id: i64,
    /// Payment provider, e.g. `storecredit` or `custom`.
    pub provider_id: String,
    /// Amount refunded through it.
    #[serde(with = "money::as_number")]
    pub amount: Money,
    /// Recorded only, no money moved.
    #[serde(default)]
    pub offline: bool,
    /// The provider declined it.
    #[serde(default)]
    pub is_declined: bool,
    /// Why it was declined.
    #[serde(default)]
    pub declined_message: String,
}

/// A refund.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Refund {
    /// Refund id.
    pub id: i64,
    /// Order id.
    pub order_id: i64,
    /// Staff user who made it.
    #[serde(default)]
    pub user_id: i64,
    /// ISO 8601 creation time.
    #[serde(default)]
    pub created: String,
    /// Reason.
    #[serde(default)]
    pub reason: String,
    /// Total refunded.
    #[serde(with = "money::as_number")]
    pub total_amount: Money,
    /// Tax part of the total.
    #[serde(default, with = "money::as_number")]
    pub total_tax: Money,
    /// Amounts were overridden by the merchant.
    #[serde(default)]
    pub uses_merchant_override_values: bool,
    /// Lines.
    #[serde(default)]
    pub items: Vec<RefundItem>,
    /// Payments.
    #[serde(default)]
    pub payments: Vec<RefundPayment>,
}

/// A line of a refund to create.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewRefundItem {
    /// What is refunded.
    pub item_type: RefundItemType,
    /// Order product id, address id...
    pub item_id: i64,
    /// Units (PRODUCT, GIFT_WRAPPING).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// Amount (SHIPPING, HANDLING, ORDER, FEE, TAX).
    #[serde(
        default,
        with = "money::opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub amount: Option<Money>,
    /// Reason (at most 1,000 chars).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl NewRefundItem {
    /// Refund `quantity` units of an order line.
    pub fn product(order_product_id: i64, quantity: i64) -> Self {
        Self {
            item_type: RefundItemType::Product,
            item_id: order_product_id,
            quantity: Some(quantity),
            amount: None,
            reason: None,
        }
    }

    /// Refund part of the shipping of an address.
    pub fn shipping(order_address_id: i64, amount: Money) -> Self {
        Self {
            item_type: RefundItemType::Shipping,
            item_id: order_address_id,
            quantity: None,
            amount: Some(amount),
            reason: None,
        }
    }
}

/// A payment of a refund to create.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewRefundPayment {
    /// Provider id.
    pub provider_id: String,
    /// Amount.
    #[serde(with = "money::as_number")]
    pub amount: Money,
    /// Record only.
    pub offline: bool,
}

/// Body of `POST /v3/orders/{id}/payment_actions/refunds`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewRefund {
    /// Lines.
    pub items: Vec<NewRefundItem>,
    /// Payments; their sum is the refund total.
    pub payments: Vec<NewRefundPayment>,
}

/// Filters of `GET /v3/orders/payment_actions/refunds`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundQuery {
    /// `order_id:in`.
    pub order_ids: Vec<i64>,
    /// `created:min` (ISO 8601).
    pub created_min: Option<String>,
}
