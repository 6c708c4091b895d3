//! Wire types of the Sparklayer API (shapes from `facts/sparklayer.md`; Sparklayer's OpenAPI is
//! not available, so fields we do not use are kept in `extra` maps rather than dropped).
//!
//! Money is `i64` cents in every public type; see [`money`].

pub mod customer;
pub mod money;
pub mod purchase;

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use customer::{Customer, Metafield, PaymentOnAccount};
pub use purchase::{
    LookupBy, Package, PackageLine, Purchase, PurchaseCustomer, PurchaseIdentifiers, PurchaseLine,
};

/// Body of `POST /api/auth/token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRequest {
    /// Always `client_credentials`.
    pub grant_type: String,
    /// API key client id.
    pub client_id: String,
    /// API key client secret.
    pub client_secret: String,
}

/// Answer of `POST /api/auth/token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// Bearer token.
    pub access_token: String,
    /// Seconds until the token expires (3600 on the real service).
    #[serde(default = "default_expires_in")]
    pub expires_in: u64,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
}

fn default_expires_in() -> u64 {
    3600
}

/// An RFC 7807 problem body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Problem type URI, when given.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Short summary (`Validation Failed`).
    #[serde(default)]
    pub title: String,
    /// HTTP status repeated in the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Longer explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Per-field errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemError>,
}

/// One entry of a problem's `errors[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProblemError {
    /// Machine-readable code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// The request property at fault (`[0].pricing[1].price`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}

impl Problem {
    /// The properties named by `errors[]`, in order.
    pub fn properties(&self) -> Vec<&str> {
        self.errors
            .iter()
            .filter_map(|e| e.property.as_deref())
            .collect()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.title.is_empty() {
            "(no title)"
        } else {
            &self.title
        })?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        for e in &self.errors {
            match &e.property {
                Some(p) => write!(f, "; {p}: {}", e.message)?,
                None => write!(f, "; {}", e.message)?,
            }
            if let Some(code) = &e.code {
                write!(f, " [{code}]")?;
            }
        }
        Ok(())
    }
}

/// A price list (`POST /api/v1/price-lists`, `GET /api/v1/price-lists/{slug}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceList {
    /// Our key for the list; unique per site.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// ISO 4217 code (`GBP`).
    pub currency_code: String,
    /// Where the list comes from (free text, e.g. `bluecherry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Whether prices display tax-inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_inclusive_display: Option<bool>,
    /// Rules, passed through as-is (their shape is not in our digest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<serde_json::Value>,
}

/// One page of `GET /api/v2/price-lists`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriceListPage {
    /// The lists on this page.
    pub data: Vec<PriceList>,
    /// Where this page sits.
    pub pagination: Pagination,
}

/// Page-based paging block: keep going until `current_page == total_pages`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pagination {
    /// 1-based page number of this page.
    pub current_page: u32,
    /// Number of pages (0 when there is nothing).
    pub total_pages: u32,
    /// Page size used.
    #[serde(default)]
    pub page_size: u32,
    /// Number of items over all pages.
    #[serde(default)]
    pub total: u64,
}

/// One quantity break: from `quantity` units the unit price is `price_cents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierPrice {
    /// Minimum quantity for this price (1 for the base price).
    pub quantity: u32,
    /// Unit price in cents.
    #[serde(rename = "price", with = "money::cents")]
    pub price_cents: i64,
    /// Unit of measure, when not single units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<String>,
}

/// The tiers of one SKU (`PATCH /api/v1/price-lists/{slug}/pricing` body item); replaces that
/// SKU's tiers on the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuPricing {
    /// Variant SKU.
    pub sku: String,
    /// Tax rate shown with the price, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_tax_rate: Option<f64>,
    /// Quantity breaks.
    pub pricing: Vec<TierPrice>,
}

/// A `PATCH /api/v1/batch-update-pricing` item: [`SkuPricing`] for a named list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSkuPricing {
    /// The list to update.
    pub price_list_slug: String,
    /// The SKU's tiers.
    #[serde(flatten)]
    pub item: SkuPricing,
}

/// Which stock location a stock row is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LocationRef {
    /// Sparklayer's own id.
    #[serde(rename = "stock_location_id")]
    Id(String),
    /// Our id (the ERP warehouse code), set when the location was created.
    #[serde(rename = "stock_location_external_id")]
    ExternalId(String),
}

/// A `POST /api/v1/batch-update-stock` row; only the pairs sent are overwritten.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockUpdate {
    /// The location.
    #[serde(flatten)]
    pub location: LocationRef,
    /// Variant SKU.
    pub sku: String,
    /// Units available.
    pub stock_level: i64,
    /// When more arrive (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restock_date: Option<String>,
    /// Level below which the storefront warns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_stock_level: Option<i64>,
}

/// Body of `POST /api/v1/stock-locations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStockLocation {
    /// Display name.
    pub name: String,
    /// Our id for it (the ERP warehouse code).
    pub external_id: String,
}

/// A stock location as Sparklayer returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLocation {
    /// Sparklayer's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Our id for it.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// Body of `PUT /api/v1/sync-log/{integration}/{data_type}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncLogUpdate {
    /// When the current full sync started.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_full_sync: Option<OffsetDateTime>,
    /// When the last full sync finished.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_full_sync: Option<OffsetDateTime>,
    /// Whether it succeeded.
    #[serde(default)]
    pub last_full_sync_succeeded: Option<bool>,
    /// Errors to show in the Sparklayer dashboard (at most [`SYNC_LOG_MAX_ERRORS`]).
    #[serde(default)]
    pub errors: Vec<SyncLogError>,
}

/// Most errors one sync-log PUT may carry.
pub const SYNC_LOG_MAX_ERRORS: usize = 5000;

/// One error shown in the Sparklayer sync log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncLogError {
    /// The record's id in our systems (style number, order number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Where to look at it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// Answer of `GET /api/v1/sync-log/{integration}/{data_type}`: timestamps and an error count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncLogStatus {
    /// When the current full sync started.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_full_sync: Option<OffsetDateTime>,
    /// When the last full sync finished.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_full_sync: Option<OffsetDateTime>,
    /// Whether it succeeded.
    #[serde(default)]
    pub last_full_sync_succeeded: Option<bool>,
    /// Errors stored for this integration and data type.
    #[serde(default)]
    pub error_count: u64,
}
