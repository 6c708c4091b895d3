//! Last pushed stock: what each storefront was told, so the inventory flow sends only changes.

use time::OffsetDateTime;

use crate::StoreFuture;

/// Quantity last pushed for one SKU at one location.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PushedStock {
    /// Storefront SKU.
    pub sku: String,
    /// Storefront location id.
    pub location: String,
    /// Quantity the storefront accepted.
    pub qty: i64,
}

/// Last pushed stock per (client, storefront, sku, location).
pub trait PushedStockStore: Send + Sync {
    /// Everything pushed to a storefront for a client, ordered by (sku, location).
    fn pushed_stock<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, Vec<PushedStock>>;

    /// Records pushed quantities in one transaction (all or nothing). Call only after the
    /// storefront accepted them. Sized for full catalogs (100k rows).
    fn upsert_pushed_stock<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        rows: &'a [PushedStock],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()>;
}
