//! Panics (a wasm trap) while mapping orders; inventory works, to show the instance is fresh per call.
use selvedge_plugin_sdk::prelude::*;

struct Trap;

impl Rules for Trap {
    fn compute_ats(_c: StockContext, rows: StockRows) -> Result<AtsRows, String> {
        ats::compute(&rows, |row| Buckets::physical().available(row))
    }

    fn map_orders(orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
        // A divisor the compiler cannot see is zero: a real divide-by-zero trap.
        let divisor = std::hint::black_box(orders.len() as u32).saturating_sub(orders.len() as u32);
        let _ = std::hint::black_box(100 / divisor);
        unreachable!("divide by zero traps first")
    }
}

selvedge_plugin_sdk::export_rules!(Trap);
