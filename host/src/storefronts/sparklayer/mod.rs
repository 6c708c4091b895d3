//! Sparklayer behind the storefront ports: SKU bindings (it sells the platform's products),
//! stock by location external id, purchases (polled; edits become ERP revisions),
//! packages, returns (as refunds), and B2B terms and price lists. No stock read.

mod b2b;
mod catalog;
mod convert;
mod orders;
mod returns;
mod shipments;
mod stock;

use std::sync::Arc;

use async_trait::async_trait;
use selvedge_sparklayer::SparklayerClient;

use super::{
    B2bSink, CallCount, CatalogPort, OrderSource, PortError, RefundSource, ShipmentSink, StockSink,
    Storefront,
};

pub use catalog::SYNC_LOG_INTEGRATION;
pub use orders::{ORDERS_CURSOR, purchase_content_hash, status_rule};

/// Storefront key of Sparklayer clients in the store.
pub const NAME: &str = "sparklayer";

/// A client's Sparklayer account.
pub struct Sparklayer {
    client: Arc<SparklayerClient>,
}

impl Sparklayer {
    pub fn new(client: Arc<SparklayerClient>) -> Self {
        Self { client }
    }

    /// The connector client (for the dashboard's call statistics and for tests).
    pub fn client(&self) -> &Arc<SparklayerClient> {
        &self.client
    }
}

#[async_trait]
impl Storefront for Sparklayer {
    fn name(&self) -> &'static str {
        NAME
    }

    fn calls(&self) -> CallCount {
        let s = self.client.stats().snapshot();
        CallCount {
            calls: s.calls,
            throttled: s.rate_limited,
            retries: s.retries,
        }
    }

    fn stock(&self) -> Result<&dyn StockSink, PortError> {
        Ok(self)
    }

    fn orders(&self) -> Result<&dyn OrderSource, PortError> {
        Ok(self)
    }

    fn shipments(&self) -> Result<&dyn ShipmentSink, PortError> {
        Ok(self)
    }

    fn refunds(&self) -> Result<&dyn RefundSource, PortError> {
        Ok(self)
    }

    fn catalog(&self) -> Result<CatalogPort<'_>, PortError> {
        Ok(CatalogPort::Skus(self))
    }

    fn b2b(&self) -> Result<&dyn B2bSink, PortError> {
        Ok(self)
    }
}
