//! Filters of `GET /v2/orders` and `GET /v2/orders/count`, and the count's answer.

use serde::{Deserialize, Serialize};

use super::money::{self, Money};

/// Filters of `GET /v2/orders` (every one the spec documents except `cart_id` and
/// `external_order_id`). Dates are RFC 2822 or ISO 8601.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderQuery {
    /// `min_id`.
    pub min_id: Option<i64>,
    /// `max_id`.
    pub max_id: Option<i64>,
    /// `min_total` (on `total_inc_tax`).
    pub min_total: Option<Money>,
    /// `max_total`.
    pub max_total: Option<Money>,
    /// `customer_id`.
    pub customer_id: Option<i64>,
    /// `email` (the billing email).
    pub email: Option<String>,
    /// `status_id`.
    pub status_id: Option<i64>,
    /// `payment_method`, e.g. `Credit Card`.
    pub payment_method: Option<String>,
    /// `min_date_created`.
    pub min_date_created: Option<String>,
    /// `max_date_created`.
    pub max_date_created: Option<String>,
    /// `min_date_modified`.
    pub min_date_modified: Option<String>,
    /// `max_date_modified`.
    pub max_date_modified: Option<String>,
    /// `channel_id`.
    pub channel_id: Option<i64>,
}

impl OrderQuery {
    /// The set filters as query pairs.
    pub fn to_params(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                out.push((k.to_owned(), v));
            }
        };
        let num = |v: Option<i64>| v.map(|n| n.to_string());
        put("min_id", num(self.min_id));
        put("max_id", num(self.max_id));
        put("min_total", self.min_total.map(|m| m.to_string()));
        put("max_total", self.max_total.map(|m| m.to_string()));
        put("customer_id", num(self.customer_id));
        put("email", self.email.clone());
        put("status_id", num(self.status_id));
        put("payment_method", self.payment_method.clone());
        put("min_date_created", self.min_date_created.clone());
        put("max_date_created", self.max_date_created.clone());
        put("min_date_modified", self.min_date_modified.clone());
        put("max_date_modified", self.max_date_modified.clone());
        put("channel_id", num(self.channel_id));
        out
    }
}

/// An order status as `GET /v2/order_statuses` lists it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrderStatusInfo {
    /// Status id.
    pub id: i64,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// BigCommerce's label.
    #[serde(default)]
    pub system_label: String,
    /// The merchant's label.
    #[serde(default)]
    pub custom_label: String,
    /// What the status means.
    #[serde(default)]
    pub system_description: String,
}

/// One status of `GET /v2/orders/count`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusCount {
    /// The status.
    #[serde(flatten)]
    pub status: OrderStatusInfo,
    /// Orders in it.
    #[serde(default)]
    pub count: i64,
    /// Position in the control panel.
    #[serde(default)]
    pub sort_order: i64,
}

/// `GET /v2/orders/count`: orders per status and in total.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrderCount {
    /// Per status.
    #[serde(default)]
    pub statuses: Vec<StatusCount>,
    /// All matching orders.
    #[serde(default)]
    pub count: i64,
}

/// An order coupon (`GET /v2/orders/{id}/coupons`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrderCoupon {
    /// Row id.
    pub id: i64,
    /// Coupon id.
    #[serde(default)]
    pub coupon_id: i64,
    /// Order id.
    #[serde(default)]
    pub order_id: i64,
    /// Code entered.
    #[serde(default)]
    pub code: Option<String>,
    /// Discount type (0..=5).
    #[serde(default, rename = "type")]
    pub coupon_type: i64,
    /// Amount off the order (BigCommerce sends a number or a decimal string).
    #[serde(default, with = "money::as_number")]
    pub discount: Money,
}

/// `GET /v2/time`: the store's clock.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServerTime {
    /// Unix seconds.
    pub time: i64,
}
