//! SKU bindings: which storefront product/variant an ERP SKU is, and what was last written.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::StoreFuture;

/// Maps an ERP SKU to its product and variant on one storefront.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuBinding {
    /// Client the binding belongs to.
    pub client: String,
    /// Storefront name from the client config (e.g. `bigcommerce`, `sparklayer`).
    pub storefront: String,
    /// SKU as the ERP knows it.
    pub erp_sku: String,
    /// Storefront product id (strings: storefronts differ in id types).
    pub product_id: String,
    /// Storefront variant id, when the storefront has variants.
    pub variant_id: Option<String>,
    /// SKU as the storefront knows it.
    pub storefront_sku: String,
    /// Hash of the content last written to the storefront for this SKU; `None` when nothing
    /// has been written through this binding yet.
    pub content_hash: Option<String>,
    /// Last change of the binding or its hash.
    pub updated_at: OffsetDateTime,
}

/// SKU bindings and content hashes.
pub trait Bindings: Send + Sync {
    /// Inserts or updates bindings in one transaction. `content_hash` in the input is
    /// ignored: an existing hash is kept while the product/variant ids stay the same and
    /// cleared when they change (the new target has not been written yet).
    fn upsert_bindings<'a>(
        &'a self,
        bindings: &'a [SkuBinding],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()>;

    /// The binding for an ERP SKU.
    fn binding_by_erp_sku<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        erp_sku: &'a str,
    ) -> StoreFuture<'a, Option<SkuBinding>>;

    /// The binding for a storefront SKU (e.g. an order line); if several ERP SKUs share it,
    /// the first by ERP SKU.
    fn binding_by_storefront_sku<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        storefront_sku: &'a str,
    ) -> StoreFuture<'a, Option<SkuBinding>>;

    /// All bindings of a client on a storefront, ordered by ERP SKU.
    fn list_bindings<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, Vec<SkuBinding>>;

    /// Records what was written for each `(erp_sku, hash)`, in one transaction. Call only
    /// after the storefront accepted the write. Returns how many bindings were updated;
    /// SKUs without a binding are skipped.
    fn set_content_hashes<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        hashes: &'a [(String, String)],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, u64>;

    /// ERP SKU -> last written content hash, for the SKUs that have one.
    fn content_hashes<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, HashMap<String, String>>;
}
