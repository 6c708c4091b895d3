//! Customers and the `sparklayer.payment_on_account` metafield (credit limit, balance, net terms).
//!
//! Assumed shape (no OpenAPI here): `GET /api/v1/customers[/{id}]` returns customers with a
//! `metafields[]` of `{namespace, key, value}` where `value` is a JSON string, and
//! `PATCH /api/v1/customers/{id}` with `{"metafields": [...]}` upserts the metafields sent.

use serde::{Deserialize, Serialize};

use super::money;

/// Namespace of every Sparklayer metafield.
pub const METAFIELD_NAMESPACE: &str = "sparklayer";
/// Key of the pay-on-account terms metafield.
pub const PAYMENT_ON_ACCOUNT_KEY: &str = "payment_on_account";
/// Net terms Sparklayer accepts, in days.
pub const NET_TERMS_DAYS: std::ops::RangeInclusive<u16> = 7..=90;

/// A B2B customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Sparklayer's id.
    pub id: String,
    /// Our id (the ERP customer code), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Login e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Company or contact name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Customer group (decides payment methods and price lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group: Option<String>,
    /// Metafields, `value` being a JSON string.
    #[serde(default)]
    pub metafields: Vec<Metafield>,
    /// Fields we do not model, kept so nothing is lost.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One metafield.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metafield {
    /// `sparklayer`.
    pub namespace: String,
    /// `payment_on_account`, `price_lists`, ...
    pub key: String,
    /// The value as a JSON string.
    pub value: String,
}

/// Value of `sparklayer.payment_on_account`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentOnAccount {
    /// Credit limit in cents.
    #[serde(rename = "credit_limit", with = "money::cents")]
    pub credit_limit_cents: i64,
    /// Outstanding balance in cents (Sparklayer adds each pay-on-account order to it).
    #[serde(rename = "balance", with = "money::cents")]
    pub balance_cents: i64,
    /// Net terms in days (7-90), shown to the buyer under Financials.
    #[serde(rename = "net_terms", default, skip_serializing_if = "Option::is_none")]
    pub net_terms_days: Option<u16>,
    /// Keys we do not model (a currency, for instance), kept on write-back.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl PaymentOnAccount {
    /// Terms without extra keys.
    pub fn new(credit_limit_cents: i64, balance_cents: i64, net_terms_days: Option<u16>) -> Self {
        Self {
            credit_limit_cents,
            balance_cents,
            net_terms_days,
            extra: serde_json::Map::new(),
        }
    }

    /// Credit still available, in cents (negative when over the limit).
    pub fn available_cents(&self) -> i64 {
        self.credit_limit_cents.saturating_sub(self.balance_cents)
    }
}

impl Customer {
    /// The metafield `sparklayer.{key}`, when present.
    pub fn metafield(&self, key: &str) -> Option<&Metafield> {
        self.metafields
            .iter()
            .find(|m| m.namespace == METAFIELD_NAMESPACE && m.key == key)
    }

    /// Parsed pay-on-account terms: `Ok(None)` when the customer has none, an error naming the
    /// problem when the stored JSON is malformed.
    pub fn payment_on_account(&self) -> Result<Option<PaymentOnAccount>, String> {
        let Some(field) = self.metafield(PAYMENT_ON_ACCOUNT_KEY) else {
            return Ok(None);
        };
        let mut de = serde_json::Deserializer::from_str(&field.value);
        serde_path_to_error::deserialize(&mut de)
            .map(Some)
            .map_err(|e| {
                format!(
                    "customer {}: sparklayer.payment_on_account at `{}`: {}",
                    self.id,
                    e.path(),
                    e.inner()
                )
            })
    }
}
