//! Loops forever in `compute-ats` and `map-orders`: the host must stop it by its CPU limit.
use selvedge_plugin_sdk::prelude::*;

struct Spin;

impl Rules for Spin {
    fn compute_ats(_c: StockContext, rows: StockRows) -> Result<AtsRows, String> {
        let mut x: u64 = rows.on_hand.len() as u64;
        loop {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }

    fn map_orders(orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
        let mut x = orders.len() as u64;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
}

selvedge_plugin_sdk::export_rules!(Spin);
