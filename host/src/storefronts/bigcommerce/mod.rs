//! BigCommerce behind the storefront ports: catalog, stock (absolute adjustments per
//! location), orders (V2, webhooks), shipments and refunds. No B2B port.

mod catalog;
mod convert;
pub mod intake;
mod orders;
mod shipments;
mod stock;

use std::sync::Arc;

use async_trait::async_trait;
use selvedge_bigcommerce::BigCommerceClient;

use super::{
    CallCount, CatalogPort, OrderSource, RefundSource, ShipmentSink, StockSink, Storefront,
};

pub use orders::{ORDERS_CURSOR, WEBHOOK_SCOPES, status_rule};

/// Storefront key of BigCommerce clients in the store.
pub const NAME: &str = "bigcommerce";

/// A client's BigCommerce store.
pub struct BigCommerce {
    client: Arc<BigCommerceClient>,
}

impl BigCommerce {
    pub fn new(client: Arc<BigCommerceClient>) -> Self {
        Self { client }
    }

    /// The connector client (for the dashboard's call statistics and for tests).
    pub fn client(&self) -> &Arc<BigCommerceClient> {
        &self.client
    }
}

#[async_trait]
impl Storefront for BigCommerce {
    fn name(&self) -> &'static str {
        NAME
    }

    fn calls(&self) -> CallCount {
        let s = self.client.stats().snapshot();
        CallCount {
            calls: s.calls,
            throttled: s.throttled,
            retries: s.retries,
        }
    }

    fn stock(&self) -> Result<&dyn StockSink, super::PortError> {
        Ok(self)
    }

    fn orders(&self) -> Result<&dyn OrderSource, super::PortError> {
        Ok(self)
    }

    fn refunds(&self) -> Result<&dyn RefundSource, super::PortError> {
        Ok(self)
    }

    fn shipments(&self) -> Result<&dyn ShipmentSink, super::PortError> {
        Ok(self)
    }

    fn catalog(&self) -> Result<CatalogPort<'_>, super::PortError> {
        Ok(CatalogPort::Products(self))
    }
}
