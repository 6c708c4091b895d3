//! Exception kinds and the team that owns each (finance, operations, e-commerce), from config;
//! [`actions`]: retry and resolve, shared by the CLI and the admin API; [`auto_resolve`]: how
//! a flow clears its own exceptions once their condition is gone.

pub mod actions;
pub mod auto_resolve;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Every kind of exception a flow can raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// An order failed pre-validation or was rejected by the ERP.
    OrderInvalid,
    /// An order's storefront location was unknown: it went to the default warehouse.
    UnknownLocation,
    /// An order kept failing with transient errors until its attempts ran out.
    OrderStuck,
    /// A style or SKU could not be mapped to the storefront.
    SkuUnmapped,
    /// An order's ERP value or quantities no longer match the storefront.
    DriftOrder,
    /// Storefront stock differs from what it should be.
    DriftStock,
    /// A SKU exists on one side only.
    SkuMissing,
    /// A refund could not become a credit memo.
    RefundFailed,
    /// A shipment could not be sent to the storefront.
    ShipmentFailed,
    /// A plugin failed (trap, limit, malformed output).
    PluginError,
    /// B2B pricing or terms could not be published.
    B2bSync,
}

impl ExceptionKind {
    pub const ALL: [ExceptionKind; 11] = [
        ExceptionKind::OrderInvalid,
        ExceptionKind::UnknownLocation,
        ExceptionKind::OrderStuck,
        ExceptionKind::SkuUnmapped,
        ExceptionKind::DriftOrder,
        ExceptionKind::DriftStock,
        ExceptionKind::SkuMissing,
        ExceptionKind::RefundFailed,
        ExceptionKind::ShipmentFailed,
        ExceptionKind::PluginError,
        ExceptionKind::B2bSync,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionKind::OrderInvalid => "order_invalid",
            ExceptionKind::UnknownLocation => "unknown_location",
            ExceptionKind::OrderStuck => "order_stuck",
            ExceptionKind::SkuUnmapped => "sku_unmapped",
            ExceptionKind::DriftOrder => "drift_order",
            ExceptionKind::DriftStock => "drift_stock",
            ExceptionKind::SkuMissing => "sku_missing",
            ExceptionKind::RefundFailed => "refund_failed",
            ExceptionKind::ShipmentFailed => "shipment_failed",
            ExceptionKind::PluginError => "plugin_error",
            ExceptionKind::B2bSync => "b2b_sync",
        }
    }

    /// The team that owns this kind unless the client's config says otherwise.
    pub fn default_owner(self) -> &'static str {
        match self {
            ExceptionKind::OrderInvalid
            | ExceptionKind::UnknownLocation
            | ExceptionKind::OrderStuck
            | ExceptionKind::ShipmentFailed => "operations",
            ExceptionKind::DriftOrder | ExceptionKind::RefundFailed | ExceptionKind::B2bSync => {
                "finance"
            }
            ExceptionKind::SkuUnmapped
            | ExceptionKind::DriftStock
            | ExceptionKind::SkuMissing
            | ExceptionKind::PluginError => "ecommerce",
        }
    }
}

/// `[owners]` in a client's config: exception kind -> team. Unlisted kinds use the defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Owners(pub BTreeMap<ExceptionKind, String>);

impl Owners {
    pub fn owner(&self, kind: ExceptionKind) -> &str {
        self.0
            .get(&kind)
            .map(String::as_str)
            .unwrap_or(kind.default_owner())
    }
}
