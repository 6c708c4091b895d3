//! Example client: a B2B wholesaler selling through Sparklayer.
//!
//! - ATS: physical stock only (never work orders or in-transit); a percentage buffer
//!   (`buffer_percent`, per category from the `category_buffer_percent` table when set).
//! - Orders: storefront location -> warehouse + division (`location_warehouse` table, values
//!   `WAREHOUSE/DIVISION`, `*` = default, used with a review flag); pay-on-account orders land
//!   authorised with the customer's terms and must carry a PO number (checkout field named by
//!   `po_field`), which goes to the ERP's other-reference field; credit limit checked.
//! - Pricing: ERP price levels -> Sparklayer price lists (`price_level_list` table), quantity breaks as tiers.

mod orders;
mod pricing;

use selvedge_plugin_sdk::prelude::*;

struct Wholesaler;

impl Rules for Wholesaler {
    fn compute_ats(context: StockContext, rows: StockRows) -> Result<AtsRows, String> {
        let default_percent: u32 = config::parse_or("buffer_percent", 10)?;
        let by_category = Table::load("category_buffer_percent");
        // Resolve the per-category percentage once per category, not per row.
        let mut percent = Vec::with_capacity(context.categories.len());
        for category in &context.categories {
            let p = match by_category.get(category) {
                Some(v) => v.parse::<u32>().map_err(|_| {
                    format!("category_buffer_percent.{category} = {v:?} is not a whole number")
                })?,
                None => default_percent,
            };
            percent.push(Buffer::Percent(p));
        }
        let buckets = Buckets::physical();
        ats::compute(&rows, |row| {
            let buffer = percent
                .get(usize::from(row.category))
                .copied()
                .unwrap_or(Buffer::Percent(default_percent));
            buckets.available(row).with_sku_buffer_or(row, buffer)
        })
    }

    fn map_orders(orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
        orders::map(orders)
    }

    fn map_refunds(refunds: Vec<Refund>) -> Vec<RefundDecision> {
        refunds
            .into_iter()
            .map(|r| {
                let lines: Vec<MemoLine> = r
                    .lines
                    .iter()
                    .map(|l| MemoLine {
                        sku: l.sku.clone(),
                        quantity: l.quantity,
                        amount: l.amount,
                        restock: true,
                    })
                    .collect();
                let restock = lines
                    .iter()
                    .map(|l| Restock {
                        sku: l.sku.clone(),
                        warehouse: r.warehouse.clone(),
                        quantity: l.quantity,
                    })
                    .collect();
                RefundDecision {
                    refund_id: r.refund_id.clone(),
                    memo: Some(CreditMemo {
                        customer: r.customer.clone(),
                        sales_order: r.sales_order.clone(),
                        warehouse: r.warehouse.clone(),
                        division: r.division.clone(),
                        lines,
                        freight: r.shipping,
                        tax: r.tax,
                        total: r.total,
                        reason_code: "RET".into(),
                    }),
                    restock,
                    issues: vec![],
                    reasons: vec![reason(
                        "restock",
                        "wholesale returns always go back to stock",
                    )],
                }
            })
            .collect()
    }

    fn map_prices(prices: Vec<ErpPrice>) -> PricingDecision {
        pricing::map(prices)
    }
}

selvedge_plugin_sdk::export_rules!(Wholesaler);
