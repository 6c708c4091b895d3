//! Inventory batch cycles and ATS snapshots.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Status of the ERP's inventory batch cycles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CycleStatus {
    /// Id of the last completed cycle; 0 before the first one.
    pub last_cycle_id: u64,
    /// When the last cycle completed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_completed_at: Option<OffsetDateTime>,
    /// When the next cycle is scheduled, if a schedule is set.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_scheduled_at: Option<OffsetDateTime>,
}

/// Inventory buckets of one SKU in one warehouse, named after the inventory report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AtsBuckets {
    /// `Total QOH`: quantity on hand.
    pub total_qoh: i64,
    /// `Total Pick`: on pick tickets.
    pub total_pick: i64,
    /// `Avail QOH`: on hand minus pick minus open orders (as computed by the ERP).
    pub avail_qoh: i64,
    /// `Total Open`: open sales orders not yet shipped.
    pub total_open: i64,
    /// `Total Ship To WIP`: shipped to a work-in-progress location.
    pub total_ship_to_wip: i64,
    /// `Total Prod`: open work orders, in production.
    pub total_prod: i64,
    /// In transit between locations.
    pub in_transit: i64,
}

/// One row of an ATS snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtsRow {
    /// Warehouse code (`Location`).
    pub warehouse: String,
    /// Division (`Div`).
    pub division: String,
    /// SKU built as in [`sku_code`].
    pub sku: String,
    /// `UPC Number`.
    pub upc: String,
    /// `Style`.
    pub style: String,
    /// `Color #`.
    pub colour: String,
    /// `Size`.
    pub size: String,
    /// `Dm/Pk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// `Season`.
    pub season: String,
    /// The buckets.
    #[serde(flatten)]
    pub buckets: AtsBuckets,
}

/// Inventory as of the end of one batch cycle, all warehouses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtsSnapshot {
    /// The cycle that produced it.
    pub cycle_id: u64,
    /// When that cycle completed.
    #[serde(with = "time::serde::rfc3339")]
    pub completed_at: OffsetDateTime,
    /// One row per warehouse x SKU.
    pub rows: Vec<AtsRow>,
}
