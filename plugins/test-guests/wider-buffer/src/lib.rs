//! The b2c-apparel example's rules with one change: fast movers keep one more unit of
//! buffer than `fast_mover_buffer` says. Orders, catalog and refunds are the example's own
//! code, so a shadow run of this build against b2c-apparel differs on fast movers only.

#[path = "../../../b2c-apparel/src/catalog.rs"]
mod catalog;
#[path = "../../../b2c-apparel/src/orders.rs"]
mod orders;
#[path = "../../../b2c-apparel/src/returns.rs"]
mod returns;

use selvedge_plugin_sdk::prelude::*;

struct WiderBuffer;

impl Rules for WiderBuffer {
    fn compute_ats(context: StockContext, rows: StockRows) -> Result<AtsRows, String> {
        let preorder_season = config::string_or("preorder_season", "");
        let preorder = ats::index_of(&context.seasons, &preorder_season);
        let fast_mover_units: u32 = config::parse_or("fast_mover_weekly_units", 20)?;
        let fast_mover_buffer = Buffer::Fixed(config::parse_or::<i32>("fast_mover_buffer", 2)? + 1);
        let physical = Buckets::physical();
        let with_work_orders = physical.with_work_orders(true);
        ats::compute(&rows, |row| {
            let buckets = if Some(row.season) == preorder {
                with_work_orders
            } else {
                physical
            };
            let fast = row.weekly_sales >= fast_mover_units;
            let buffer = if fast {
                fast_mover_buffer
            } else {
                Buffer::None
            };
            let decision = buckets.available(row).with_sku_buffer_or(row, buffer);
            if fast {
                decision.mark(ats_reason::FAST_MOVER)
            } else {
                decision
            }
        })
    }

    fn map_orders(orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
        orders::map(orders)
    }

    fn map_styles(styles: Vec<ErpStyle>) -> Vec<CatalogDecision> {
        catalog::map(styles)
    }

    fn map_refunds(refunds: Vec<Refund>) -> Vec<RefundDecision> {
        refunds.into_iter().map(returns::map_refund).collect()
    }
}

selvedge_plugin_sdk::export_rules!(WiderBuffer);
