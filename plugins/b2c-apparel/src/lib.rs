//! Example client: a B2C apparel brand selling on BigCommerce.
//!
//! - ATS: physical stock; open work orders also count for styles in the pre-order season
//!   (`preorder_season`); fast movers (`fast_mover_weekly_units`) keep a fixed buffer
//!   (`fast_mover_buffer`, 2 units); a per-SKU buffer from config wins.
//! - Orders: the warehouse is chosen by shipping method (`shipping_warehouse` table); one web
//!   customer account; card payments land authorised; tax is passed as fixed.
//! - Catalog: colour (swatch) and size (rectangles) options, plus fit when the style has one.
//! - Returns: restock unless the reason says the item is damaged.

mod catalog;
mod orders;
mod returns;

use selvedge_plugin_sdk::prelude::*;

struct ApparelBrand;

impl Rules for ApparelBrand {
    fn compute_ats(context: StockContext, rows: StockRows) -> Result<AtsRows, String> {
        let preorder_season = config::string_or("preorder_season", "");
        let preorder = ats::index_of(&context.seasons, &preorder_season);
        let fast_mover_units: u32 = config::parse_or("fast_mover_weekly_units", 20)?;
        let fast_mover_buffer = Buffer::Fixed(config::parse_or("fast_mover_buffer", 2)?);
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

selvedge_plugin_sdk::export_rules!(ApparelBrand);
