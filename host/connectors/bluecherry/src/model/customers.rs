//! B2B customers and their wholesale price levels.

use serde::{Deserialize, Serialize};

use super::Cents;

/// A B2B customer; Blue Cherry is master for terms and credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Customer number.
    pub customer: String,
    /// Name.
    pub name: String,
    /// Terms code (`NET30`, `NET60`, `CC`).
    pub terms_code: String,
    /// Net days of the terms.
    pub net_days: u32,
    /// Credit limit.
    pub credit_limit: Cents,
    /// Open balance.
    pub balance: Cents,
    /// Price level letter (`A`, `B`).
    pub price_level: String,
    /// Default division.
    pub division: String,
}

/// One quantity break: from `min_qty` units the unit price is `unit_price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBreak {
    /// Minimum units for this price.
    pub min_qty: i64,
    /// Unit price.
    pub unit_price: Cents,
}

/// A SKU's price at one wholesale level, with quantity breaks (ascending `min_qty`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceLevel {
    /// Level letter.
    pub level: String,
    /// SKU.
    pub sku: String,
    /// Breaks, the first with `min_qty` 1.
    pub breaks: Vec<PriceBreak>,
}
