//! Guest SDK for Selvedge client rule plugins.
//!
//! A client plugin is one WebAssembly component targeting the `selvedge:rules/client-rules`
//! world. With this crate it is a type implementing [`Rules`] (every method has a default, so
//! a plugin writes only the rules its client needs) and one [`export_rules!`] line:
//!
//! ```ignore
//! use selvedge_plugin_sdk::prelude::*;
//!
//! struct Brand;
//!
//! impl Rules for Brand {
//!     fn compute_ats(ctx: StockContext, rows: StockRows) -> Result<AtsRows, String> {
//!         let buckets = Buckets::physical();
//!         ats::compute(&rows, |row| buckets.available(&row).with_buffer(Buffer::Fixed(2)))
//!     }
//! }
//!
//! selvedge_plugin_sdk::export_rules!(Brand);
//! ```
//!
//! Build with `cargo build --release --target wasm32-wasip2`; test with
//! `selvedge plugin test <plugin.wasm> <fixtures-dir>`.

#![deny(missing_docs)]

/// Generated WIT bindings for `selvedge:rules@0.2.0` (decisions name their order or refund;
/// ERP references are the host's).
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.2.0",
        world: "client-rules",
        pub_export_macro: true,
        default_bindings_module: "selvedge_plugin_sdk::bindings",
    });
}

pub mod ats;
pub mod config;
pub mod decisions;
pub mod mapping;

pub use bindings::exports::selvedge::rules::{catalog, inventory, orders, pricing, returns};
pub use bindings::selvedge::rules::{host, types};

/// Everything a plugin usually needs, in one `use`.
pub mod prelude {
    pub use crate::Rules;
    pub use crate::ats::{self, Buckets, Buffer, Decision, RowView, reason as ats_reason};
    pub use crate::catalog::{
        Availability, CatalogDecision, ErpStyle, OptionKind, Product, ProductOption, ProductVariant,
    };
    pub use crate::config;
    pub use crate::decisions::{error, reason, review, warning};
    pub use crate::inventory::{AtsRows, StockContext, StockRows};
    pub use crate::mapping::Table;
    pub use crate::orders::{
        OrderDecision, PaymentKind, SalesOrder, SalesOrderLine, StorefrontOrder,
    };
    pub use crate::pricing::{ErpPrice, PriceEntry, PriceList, PriceTier, PricingDecision};
    pub use crate::returns::{CreditMemo, MemoLine, Refund, RefundDecision, Restock};
    pub use crate::types::{Address, Issue, Reason, Severity, Storefront};
}

use prelude::*;

/// A client's rules. Every method has a default that declines the work with a clear issue,
/// so a plugin implements only the flows its client uses.
pub trait Rules {
    /// ATS for a whole ERP cycle (see [`ats::compute`]).
    fn compute_ats(_context: StockContext, _rows: StockRows) -> Result<AtsRows, String> {
        Err("this plugin has no inventory rules".to_string())
    }

    /// Storefront orders -> sales orders, one decision per order.
    fn map_orders(orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
        orders
            .into_iter()
            .map(|o| OrderDecision {
                order_id: o.order_id,
                sales_order: None,
                issues: vec![error(
                    "no-order-rules",
                    "",
                    "this plugin has no order rules",
                )],
                reasons: vec![],
            })
            .collect()
    }

    /// ERP styles -> storefront products, one decision per style.
    fn map_styles(styles: Vec<ErpStyle>) -> Vec<CatalogDecision> {
        styles
            .iter()
            .map(|_| CatalogDecision {
                product: None,
                issues: vec![error(
                    "no-catalog-rules",
                    "",
                    "this plugin has no catalog rules",
                )],
                reasons: vec![],
            })
            .collect()
    }

    /// Refunds -> credit memos and restock, one decision per refund.
    fn map_refunds(refunds: Vec<Refund>) -> Vec<RefundDecision> {
        refunds
            .into_iter()
            .map(|r| RefundDecision {
                refund_id: r.refund_id,
                memo: None,
                restock: vec![],
                issues: vec![error(
                    "no-return-rules",
                    "",
                    "this plugin has no return rules",
                )],
                reasons: vec![],
            })
            .collect()
    }

    /// ERP price levels -> B2B price lists. The default publishes no lists.
    fn map_prices(_prices: Vec<ErpPrice>) -> PricingDecision {
        PricingDecision {
            lists: vec![],
            issues: vec![],
            reasons: vec![reason(
                "no-pricing-rules",
                "this plugin publishes no price lists",
            )],
        }
    }
}

/// Exports a [`Rules`] implementation as the plugin's component.
#[macro_export]
macro_rules! export_rules {
    ($rules:ident) => {
        impl $crate::inventory::Guest for $rules {
            fn compute_ats(
                context: $crate::inventory::StockContext,
                rows: $crate::inventory::StockRows,
            ) -> Result<$crate::inventory::AtsRows, String> {
                <$rules as $crate::Rules>::compute_ats(context, rows)
            }
        }
        impl $crate::orders::Guest for $rules {
            fn map_orders(
                orders: Vec<$crate::orders::StorefrontOrder>,
            ) -> Vec<$crate::orders::OrderDecision> {
                <$rules as $crate::Rules>::map_orders(orders)
            }
        }
        impl $crate::catalog::Guest for $rules {
            fn map_styles(
                styles: Vec<$crate::catalog::ErpStyle>,
            ) -> Vec<$crate::catalog::CatalogDecision> {
                <$rules as $crate::Rules>::map_styles(styles)
            }
        }
        impl $crate::returns::Guest for $rules {
            fn map_refunds(
                refunds: Vec<$crate::returns::Refund>,
            ) -> Vec<$crate::returns::RefundDecision> {
                <$rules as $crate::Rules>::map_refunds(refunds)
            }
        }
        impl $crate::pricing::Guest for $rules {
            fn map_prices(
                prices: Vec<$crate::pricing::ErpPrice>,
            ) -> $crate::pricing::PricingDecision {
                <$rules as $crate::Rules>::map_prices(prices)
            }
        }
        $crate::bindings::export!($rules with_types_in $crate::bindings);
    };
}
