//! Oversells: order lines that took more of a SKU-location than the ERP had available to
//! sell when they were injected. What buffer advice is sized from.

use time::OffsetDateTime;

use crate::StoreFuture;

/// One order line that was short in the ERP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oversell {
    /// Client.
    pub client: String,
    /// ERP SKU.
    pub sku: String,
    /// ERP warehouse.
    pub location: String,
    /// Storefront order id.
    pub order_id: String,
    /// Units the order line took.
    pub ordered: i64,
    /// What the ERP had available to sell for the SKU-location at injection (may be below 0
    /// once earlier orders took more than there was).
    pub available: i64,
    /// The buffer the storefront's stock was computed with.
    pub buffer: i64,
    /// ERP cycle the availability comes from.
    pub cycle_id: u64,
    /// Measured lag between that cycle and the storefront push, minutes.
    pub lag_minutes: u32,
    /// The plugin rules that set the buffer (e.g. `fast_mover`), comma separated.
    pub rule: String,
    /// When the order was injected.
    pub at: OffsetDateTime,
}

impl Oversell {
    /// Units the ERP did not have: what a wider buffer would have kept off the storefront.
    pub fn short(&self) -> i64 {
        self.ordered - self.available.max(0)
    }
}

/// Oversells seen at injection.
pub trait Oversells: Send + Sync {
    /// Stores oversells (one write).
    fn record_oversells<'a>(&'a self, oversells: &'a [Oversell]) -> StoreFuture<'a, ()>;

    /// A client's oversells since `since`, oldest first; one SKU's when `sku` is given.
    fn oversells_since<'a>(
        &'a self,
        client: &'a str,
        sku: Option<&'a str>,
        since: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<Oversell>>;
}
