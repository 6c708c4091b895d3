//! The catalog ports, in the storefront's terms but none of its wire types. The catalog flow
//! ([`crate::flows::catalog`]) decides what to write and keeps the bindings; a port reads and
//! writes. A storefront offers one of two shapes ([`CatalogPort`]).

use async_trait::async_trait;
use selvedge_runtime::rules::catalog::{Product, ProductVariant};
use time::OffsetDateTime;

use super::PortError;
use crate::flows::catalog::CatalogSettings;

/// How a storefront takes the ERP's catalog.
pub enum CatalogPort<'a> {
    /// It holds products with variants, which the client plugin maps from styles.
    Products(&'a dyn ProductSink),
    /// It sells another platform's products and only carries which ERP SKUs exist.
    Skus(&'a dyn SkuListSink),
}

/// A product as the storefront holds it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredProduct {
    pub id: i64,
    pub sku: String,
    pub variants: Vec<StoredVariant>,
    /// Filled only by [`ProductSink::product`].
    pub options: Vec<StoredOption>,
}

/// A variant as the storefront holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVariant {
    pub id: i64,
    pub sku: String,
}

/// A product option (e.g. `Size`) and its values as `(label, id)`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOption {
    pub id: i64,
    pub name: String,
    pub values: Vec<(String, Option<i64>)>,
}

/// Why the storefront did not create a product.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateRefused {
    /// A SKU of it is already taken (perhaps by this very product, its binding lost).
    Conflict,
    /// The storefront refused its content.
    Invalid(String),
}

/// One item of a batch update the storefront refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRefused {
    pub id: i64,
    pub status: u16,
    pub reason: String,
}

/// Products with options and variants.
#[async_trait]
pub trait ProductSink: Send + Sync {
    /// The storefront's name in messages for people (`BigCommerce`).
    fn title(&self) -> &'static str;

    /// Most variants one product may have.
    fn max_variants(&self) -> usize;

    /// Creates a product with its variants inline.
    async fn create_product(
        &self,
        product: &Product,
        settings: &CatalogSettings,
    ) -> Result<Result<StoredProduct, CreateRefused>, PortError>;

    /// The product whose own SKU is `sku` (case-insensitive), with its variants.
    async fn product_by_sku(&self, sku: &str) -> Result<Option<StoredProduct>, PortError>;

    /// Product `id` with its variants and options.
    async fn product(&self, id: i64) -> Result<Option<StoredProduct>, PortError>;

    /// Updates the fields the flow owns of products `(id, product)`; returns the refused.
    async fn update_products(
        &self,
        updates: &[(i64, Product)],
    ) -> Result<Vec<ItemRefused>, PortError>;

    /// Updates variants `(id, variant)`; returns the refused.
    async fn update_variants(
        &self,
        updates: &[(i64, ProductVariant)],
    ) -> Result<Vec<ItemRefused>, PortError>;

    /// Adds a variant with option values `(option id, value id)` to product `product_id`;
    /// `Ok(Err(reason))` when the storefront refuses it.
    async fn create_variant(
        &self,
        product_id: i64,
        variant: &ProductVariant,
        option_values: &[(i64, i64)],
    ) -> Result<Result<StoredVariant, String>, PortError>;
}

/// A SKU the flow refused, as the storefront's admins are shown it.
#[derive(Debug, Clone, PartialEq)]
pub struct SkuProblem {
    pub sku: String,
    pub message: String,
}

/// A storefront that carries only the ERP's SKU list.
#[async_trait]
pub trait SkuListSink: Send + Sync {
    /// The storefront's name in messages for people (`Sparklayer`).
    fn title(&self) -> &'static str;

    /// Shows the run's refused SKUs (or that there were none) where its admins look.
    async fn publish_problems(
        &self,
        started: OffsetDateTime,
        problems: &[SkuProblem],
    ) -> Result<(), PortError>;
}
