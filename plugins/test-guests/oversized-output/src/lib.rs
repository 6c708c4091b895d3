//! Returns far more output than it was given: the host's output limit must reject it.
use selvedge_plugin_sdk::prelude::*;

struct Chatty;

impl Rules for Chatty {
    fn map_orders(orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
        let huge = "x".repeat(8 << 20);
        orders
            .iter()
            .map(|o| OrderDecision {
                order_id: o.order_id.clone(),
                sales_order: None,
                issues: vec![error("noise", "", huge.clone())],
                reasons: vec![],
            })
            .collect()
    }
}

selvedge_plugin_sdk::export_rules!(Chatty);
