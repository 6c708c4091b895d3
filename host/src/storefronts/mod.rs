//! Storefronts behind ports: what the flows need from a storefront, as traits.
//!
//! A flow asks a [`Storefront`] for the port it needs ([`Storefront::stock`],
//! [`Storefront::orders`], ...). A storefront that lacks a capability answers
//! [`PortError::NotSupported`] (the trait's default), so a third storefront implements only
//! what it has and every flow reports the gap by name instead of panicking or skipping.
//!
//! The BigCommerce and Sparklayer adapters ([`bigcommerce`], [`sparklayer`]) are the only
//! code of the host's flows that knows a connector crate.

pub mod bigcommerce;
pub mod sparklayer;

mod b2b;
mod catalog;
mod convert;
mod orders;
mod stock;

use async_trait::async_trait;
use selvedge_bluecherry::model::Shipment;

pub use b2b::{AccountTerms, B2bCustomer, B2bSink, TierSet};
pub use catalog::{
    CatalogPort, CreateRefused, ItemRefused, ProductSink, SkuListSink, SkuProblem, StoredOption,
    StoredProduct, StoredVariant,
};
pub use orders::{
    FetchedOrder, ListedOrder, ListedRefund, OrderSource, OrderTotals, RefundSource, StatusRule,
    StorefrontRefund,
};
pub use stock::{LocationTarget, StockLine, StockSink, StockSnapshot};

use crate::flows::FlowError;

/// What a flow may ask of a storefront.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    Catalog,
    Stock,
    StockRead,
    Orders,
    OrderWebhooks,
    Shipments,
    Refunds,
    B2b,
}

impl Capability {
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Catalog => "catalog publishing",
            Capability::Stock => "stock publishing",
            Capability::StockRead => "stock reads",
            Capability::Orders => "order reads",
            Capability::OrderWebhooks => "order webhooks",
            Capability::Shipments => "shipments",
            Capability::Refunds => "refund reads",
            Capability::B2b => "B2B terms and price lists",
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a storefront call did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// The storefront has no such capability: typed, never a panic or a silent skip.
    #[error("{storefront} does not support {capability}")]
    NotSupported {
        storefront: &'static str,
        capability: Capability,
    },
    #[error("BigCommerce: {0}")]
    BigCommerce(#[from] selvedge_bigcommerce::Error),
    #[error("Sparklayer: {0}")]
    Sparklayer(#[from] selvedge_sparklayer::Error),
    /// A storefront without a connector crate of its own (or a record it cannot use).
    #[error("{storefront}: {message}")]
    Other {
        storefront: &'static str,
        message: String,
        transient: bool,
    },
}

impl PortError {
    /// Worth retrying: timeouts, 5xx, 429.
    pub fn is_transient(&self) -> bool {
        match self {
            PortError::NotSupported { .. } => false,
            PortError::BigCommerce(e) => e.is_transient(),
            PortError::Sparklayer(e) => e.is_transient(),
            PortError::Other { transient, .. } => *transient,
        }
    }

    /// A record or answer of `storefront` the host cannot use; never retried.
    pub fn invalid(storefront: &'static str, message: impl Into<String>) -> Self {
        PortError::Other {
            storefront,
            message: message.into(),
            transient: false,
        }
    }
}

// The adapters' connector errors are flow errors through the port's error.
impl From<selvedge_bigcommerce::Error> for FlowError {
    fn from(e: selvedge_bigcommerce::Error) -> Self {
        FlowError::Storefront(e.into())
    }
}

impl From<selvedge_sparklayer::Error> for FlowError {
    fn from(e: selvedge_sparklayer::Error) -> Self {
        FlowError::Storefront(e.into())
    }
}

/// Requests and 429s a storefront client has counted since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCount {
    pub calls: u64,
    /// Answered 429.
    pub throttled: u64,
    /// Retried by the connector's transport.
    pub retries: u64,
}

/// One client's storefront: its name and the ports it offers.
#[async_trait]
pub trait Storefront: Send + Sync + 'static {
    /// The storefront key used in the store (`bigcommerce`, `sparklayer`).
    fn name(&self) -> &'static str;

    /// Calls made so far (for the inventory run's call report and the dashboard).
    fn calls(&self) -> CallCount;

    fn stock(&self) -> Result<&dyn StockSink, PortError> {
        Err(self.unsupported(Capability::Stock))
    }

    fn orders(&self) -> Result<&dyn OrderSource, PortError> {
        Err(self.unsupported(Capability::Orders))
    }

    fn refunds(&self) -> Result<&dyn RefundSource, PortError> {
        Err(self.unsupported(Capability::Refunds))
    }

    fn shipments(&self) -> Result<&dyn ShipmentSink, PortError> {
        Err(self.unsupported(Capability::Shipments))
    }

    fn catalog(&self) -> Result<CatalogPort<'_>, PortError> {
        Err(self.unsupported(Capability::Catalog))
    }

    fn b2b(&self) -> Result<&dyn B2bSink, PortError> {
        Err(self.unsupported(Capability::B2b))
    }

    /// The typed "not supported" for `capability`.
    fn unsupported(&self, capability: Capability) -> PortError {
        PortError::NotSupported {
            storefront: self.name(),
            capability,
        }
    }
}

/// Shipments (with tracking) back to the storefront order.
#[async_trait]
pub trait ShipmentSink: Send + Sync {
    /// Applies one ERP shipment to storefront order `order_id`, idempotently by shipment
    /// number. `Ok(Err(reason))`: it cannot be applied as is (an exception, not a retry).
    async fn apply_shipment(
        &self,
        order_id: &str,
        shipment: &Shipment,
    ) -> Result<Result<(), String>, PortError>;
}
