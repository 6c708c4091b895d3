//! The B2B port: customers' pay-on-account terms and tiered price lists, in the storefront's
//! terms but none of its wire types. The B2B flow ([`crate::flows::b2b`]) decides; the port
//! reads and writes.

use std::ops::RangeInclusive;

use async_trait::async_trait;
use selvedge_runtime::rules::pricing::{PriceList, PriceTier};

use super::PortError;

/// A customer's pay-on-account terms as the storefront holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountTerms {
    /// Credit limit, in cents.
    pub credit_limit_cents: i64,
    /// Open balance, in cents.
    pub balance_cents: i64,
    /// Net terms, in days.
    pub net_days: Option<u16>,
    /// What else the storefront keeps with the terms (written back unchanged).
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// A storefront customer that carries an ERP customer number.
#[derive(Debug, Clone, PartialEq)]
pub struct B2bCustomer {
    /// The storefront's id.
    pub id: String,
    /// The ERP customer number it carries.
    pub erp_customer: String,
    /// Its terms; `None` when it has none or they cannot be read (they are then replaced).
    pub terms: Option<AccountTerms>,
}

/// One (price list, SKU) tier set to send, with the hash it is remembered under once accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct TierSet {
    /// The price list's slug.
    pub list_slug: String,
    /// The storefront SKU.
    pub sku: String,
    /// Quantity breaks.
    pub tiers: Vec<PriceTier>,
    /// [`B2bSink::tier_hash`] of `tiers`.
    pub hash: String,
}

/// B2B payment terms and tiered price lists.
#[async_trait]
pub trait B2bSink: Send + Sync {
    /// Net terms the storefront can express, in days.
    fn net_days(&self) -> RangeInclusive<u16>;

    /// Customers that carry an ERP customer number.
    async fn customers(&self) -> Result<Vec<B2bCustomer>, PortError>;

    /// Writes a customer's terms; `Ok(Err(reason))` when the storefront refuses them.
    async fn set_terms(
        &self,
        customer_id: &str,
        terms: &AccountTerms,
    ) -> Result<Result<(), String>, PortError>;

    /// Whether a price list with this slug exists.
    async fn has_price_list(&self, slug: &str) -> Result<bool, PortError>;

    /// Creates a price list (its entries are sent with [`Self::send_tiers`]).
    async fn create_price_list(&self, list: &PriceList) -> Result<(), PortError>;

    /// The content hash a tier set is remembered under: of what the storefront is sent, so a
    /// change in how it is sent is a change.
    fn tier_hash(&self, tiers: &[PriceTier]) -> String;

    /// Sends tier sets in one call.
    async fn send_tiers(&self, batch: &[TierSet]) -> Result<(), PortError>;
}
