//! Published prices: the content hash of each tier set a storefront price list accepted, so
//! the B2B flow sends only tier sets that changed.

use time::OffsetDateTime;

use crate::StoreFuture;

/// One tier set (all quantity breaks of a SKU on a price list) as last published.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublishedPrice {
    /// Storefront price list (Sparklayer: its slug).
    pub price_list: String,
    /// Storefront SKU.
    pub sku: String,
    /// Hash of the tier set's content.
    pub content_hash: String,
}

/// Published tier sets per (client, storefront, price list, SKU).
pub trait PublishedPrices: Send + Sync {
    /// Everything published to a storefront for a client, ordered by (price list, SKU).
    fn published_prices<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, Vec<PublishedPrice>>;

    /// Records published tier sets in one transaction (all or nothing). Call only after the
    /// storefront accepted them.
    fn upsert_published_prices<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        rows: &'a [PublishedPrice],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()>;
}
