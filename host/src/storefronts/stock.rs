//! The stock port: where stock is published, how changes are split into requests, and (for
//! reconciliation) what the storefront holds now.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;

use super::PortError;

/// A storefront location stock is published to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationTarget {
    /// The location as written in `inventory.locations`.
    pub configured: String,
    /// Key of last-pushed stock: the storefront's location id or external id.
    pub key: String,
    /// The storefront's numeric location id, where it has one.
    pub numeric_id: Option<i64>,
}

/// One SKU-location quantity to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    /// Storefront SKU.
    pub sku: String,
    /// Index into the location targets.
    pub location: usize,
    /// The storefront's variant id, when the catalog bound one.
    pub variant_id: Option<i64>,
    /// Quantity to publish.
    pub qty: i64,
}

/// What the storefront holds, read once for the reconciliation checks.
#[derive(Debug, Clone, Default)]
pub struct StockSnapshot {
    /// (SKU, location key) -> on hand.
    pub on_hand: HashMap<(String, String), i64>,
    /// Lower-cased SKU -> SKU as the storefront spells it.
    pub skus: BTreeMap<String, String>,
}

/// Publishes stock levels.
#[async_trait]
pub trait StockSink: Send + Sync {
    /// Resolves `inventory.locations` values to storefront locations, creating a location
    /// the storefront needs before stock can be written to it.
    async fn resolve_locations(
        &self,
        configured: &[String],
    ) -> Result<Vec<LocationTarget>, PortError>;

    /// Splits lines (given by their location index) into the fewest requests the
    /// storefront allows: each inner list holds indexes into `locations_of_lines`.
    fn split(&self, locations_of_lines: &[usize], locations: usize) -> Vec<Vec<usize>>;

    /// Sends one request made by [`StockSink::split`].
    async fn push(&self, targets: &[LocationTarget], lines: &[StockLine]) -> Result<(), PortError>;

    /// The storefront's stock as it is now; [`PortError::NotSupported`] when it offers no
    /// stock read.
    async fn read_stock(&self) -> Result<StockSnapshot, PortError>;
}
