//! Returns results that do not match the input: too few ATS rows, one decision too few.
use selvedge_plugin_sdk::prelude::*;

struct Malformed;

impl Rules for Malformed {
    fn compute_ats(_c: StockContext, rows: StockRows) -> Result<AtsRows, String> {
        let n = rows.on_hand.len().saturating_sub(1);
        Ok(AtsRows {
            ats: vec![1; n],
            buffer: vec![0; n],
            reason: vec![0; n],
        })
    }

    fn map_orders(mut orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
        orders.pop();
        orders
            .iter()
            .map(|o| OrderDecision {
                order_id: o.order_id.clone(),
                sales_order: None,
                issues: vec![],
                reasons: vec![],
            })
            .collect()
    }
}

selvedge_plugin_sdk::export_rules!(Malformed);
