//! Purchases (orders) of the Purchasing API.
//!
//! `PUT /api/v1/purchases/{lookupBy}/{identifier}` replaces the whole purchase, so every type here
//! keeps the fields it does not model in `extra` and writes them back untouched. Fields the API
//! calculates (`created_at`, `updated_at`, `total`) are read but never sent.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::money;

/// Unmodelled JSON fields, kept for the full-replace round trip.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Which of `purchase_identifiers` a lookup matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupBy {
    /// Sparklayer's cart/order UUID.
    Sparklayer,
    /// The eCommerce platform's order id.
    Platform,
    /// Our id (the ERP order number).
    Internal,
    /// The number shown to the buyer.
    Visible,
}

impl LookupBy {
    /// Path segment for the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            LookupBy::Sparklayer => "sparklayer",
            LookupBy::Platform => "platform",
            LookupBy::Internal => "internal",
            LookupBy::Visible => "visible",
        }
    }

    /// Parses a path segment.
    pub fn parse(segment: &str) -> Option<Self> {
        [
            Self::Sparklayer,
            Self::Platform,
            Self::Internal,
            Self::Visible,
        ]
        .into_iter()
        .find(|l| l.as_str() == segment)
    }
}

impl fmt::Display for LookupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ids a purchase is known by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseIdentifiers {
    /// Sparklayer's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparklayer: Option<String>,
    /// Platform order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Our (ERP) order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<String>,
    /// Number shown to the buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<String>,
}

impl PurchaseIdentifiers {
    /// The identifier for `lookup`, if set.
    pub fn get(&self, lookup: LookupBy) -> Option<&str> {
        match lookup {
            LookupBy::Sparklayer => self.sparklayer.as_deref(),
            LookupBy::Platform => self.platform.as_deref(),
            LookupBy::Internal => self.internal.as_deref(),
            LookupBy::Visible => self.visible.as_deref(),
        }
    }

    /// Sets the identifier for `lookup`.
    pub fn set(&mut self, lookup: LookupBy, value: impl Into<String>) {
        let slot = match lookup {
            LookupBy::Sparklayer => &mut self.sparklayer,
            LookupBy::Platform => &mut self.platform,
            LookupBy::Internal => &mut self.internal,
            LookupBy::Visible => &mut self.visible,
        };
        *slot = Some(value.into());
    }
}

/// Who bought.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PurchaseCustomer {
    /// Sparklayer customer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Our customer code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One ordered SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurchaseLine {
    /// Variant SKU.
    pub sku: String,
    /// Product name at order time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Units ordered.
    pub quantity: u32,
    /// Unit price in cents.
    #[serde(rename = "price", with = "money::cents")]
    pub price_cents: i64,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A shipment, return or cancellation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// `shipment`, `return` or `cancellation`.
    #[serde(rename = "type")]
    pub package_type: String,
    /// Package status (`shipped`, `delivered`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Carrier name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// Tracking number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// Tracking link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_url: Option<String>,
    /// What is in it.
    #[serde(default)]
    pub lines: Vec<PackageLine>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Units of one SKU in a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageLine {
    /// Variant SKU.
    pub sku: String,
    /// Units.
    pub quantity: u32,
}

/// Payment method value Sparklayer uses for Pay on Account.
pub const PAY_ON_ACCOUNT: &str = "pay_on_account";

/// A purchase: cart, quote, order awaiting approval, unconfirmed or placed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Purchase {
    /// Its ids.
    #[serde(default)]
    pub purchase_identifiers: PurchaseIdentifiers,
    /// `order`, `order_unconfirmed`, `awaiting_approval`, `quote` or `cart`.
    #[serde(rename = "type")]
    pub purchase_type: String,
    /// Order status (`pending`, `processing`, `shipped`, `completed`, `cancelled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `card`, `invoice` or [`PAY_ON_ACCOUNT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// `paid`, `unpaid`, ... (pay-on-account orders arrive unpaid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_status: Option<String>,
    /// ISO 4217 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// The buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<PurchaseCustomer>,
    /// Ordered lines.
    #[serde(default)]
    pub line_items: Vec<PurchaseLine>,
    /// Shipments, returns, cancellations.
    #[serde(default)]
    pub packages: Vec<Package>,
    /// Checkout attributes (the PO number lives here under a configured name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Stock location the order ships from, by our id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_location_external_id: Option<String>,
    /// Calculated by the API: when it was created.
    #[serde(default, skip_serializing, with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// Calculated by the API: last change; the polling cursor.
    #[serde(default, skip_serializing, with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// Calculated by the API: order total in cents.
    #[serde(rename = "total", default, skip_serializing, with = "money::cents_opt")]
    pub total_cents: Option<i64>,
    /// Unmodelled fields, written back on replace.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Purchase {
    /// The buyer's PO number, stored under the configured attribute name.
    pub fn po_number(&self, attribute: &str) -> Option<&str> {
        self.attributes.get(attribute).map(String::as_str)
    }

    /// True for a Pay on Account order (arrives unpaid; terms are on the customer).
    pub fn is_pay_on_account(&self) -> bool {
        self.payment_method.as_deref() == Some(PAY_ON_ACCOUNT)
    }
}
