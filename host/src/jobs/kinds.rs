//! Job kinds and retry timing shared by every flow on the engine. A kind carries its client
//! (`order.inject/<client>`), so one client's jobs can be claimed, paused or counted alone.

use std::time::Duration;

/// Family of order-injection jobs.
pub const ORDER_INJECT: &str = "order.inject";
/// Family of refund-to-credit-memo jobs.
pub const REFUND_POST: &str = "refund.post";

/// Family of targeted re-syncs (one order, SKU or style, asked for by a person).
pub const RESYNC: &str = "resync";

/// Job kind of `client`'s targeted re-syncs, e.g. `resync/northwind`.
pub fn resync_kind(client: &str) -> String {
    format!("{RESYNC}/{client}")
}

/// Job kind of `client`'s orders to inject, e.g. `order.inject/northwind`.
pub fn order_kind(client: &str) -> String {
    format!("{ORDER_INJECT}/{client}")
}

/// Job kind of `client`'s refunds to turn into credit memos, e.g. `refund.post/northwind`.
pub fn refund_kind(client: &str) -> String {
    format!("{REFUND_POST}/{client}")
}

/// Exponential backoff with +-10% jitter (jitter so retries of a burst spread out).
pub fn backoff(base_ms: u64, max_ms: u64, attempt: u32) -> Duration {
    let exp = base_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    let capped = exp.min(max_ms.max(base_ms)) as f64;
    let jitter = 0.9 + rand::random::<f64>() * 0.2;
    Duration::from_secs_f64(capped * jitter / 1000.0)
}
