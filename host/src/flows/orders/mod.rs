//! Orders: storefront orders into Blue Cherry, exactly once, paced.
//!
//! - webhook deliveries are queued by the storefront's adapter
//!   ([`crate::storefronts::bigcommerce::intake`], served by `crate::http::webhook`);
//! - [`sweep`]: the scheduled read of orders changed in the storefront (any storefront, through
//!   its [`OrderSource`](crate::storefronts::OrderSource) port);
//! - [`prepare`]: the full order from the storefront as the plugin's input; [`convert`]: the
//!   plugin's sales order as the ERP request;
//! - [`worker`]: the worker that maps through the plugin and creates the sales order;
//! - [`settings`]: `[orders]` of a client's config (pacing: as arrived, or on pick cycles).
//!
//! Every order passes through the durable job queue (`order.inject`), keyed by storefront
//! order id, so duplicates collapse and a crashed host loses nothing.

pub mod convert;
pub mod outcome;
pub mod prepare;
pub mod settings;
pub mod sweep;
pub mod worker;

use std::sync::Arc;

pub use settings::{OrdersSettings, Pacing, PacingMode, WEBHOOK_SECRET_HEADER};
pub use worker::{BatchOutcome, Injector, OrderTiming};

use crate::flows::{ClientServices, FlowError, FlowOutcome, FlowReport};

pub use crate::jobs::kinds::{order_kind, refund_kind};

/// The scheduled orders run: reads orders changed in the storefront (the safety net behind
/// webhooks, or the only way in for a storefront without them) and queues them. It never
/// injects: the job engine's one injector per client does, paced by the account's shared
/// limiter.
pub async fn run(ctx: &ClientServices, settings: &OrdersSettings) -> Result<FlowReport, FlowError> {
    Ok(sweep::run(ctx, settings).await?.report())
}

/// [`run`], then injects every order claimable now in this task (no heartbeats): for tools
/// and tests that run one pass without the job engine.
pub async fn run_and_drain(
    ctx: &ClientServices,
    settings: &OrdersSettings,
) -> Result<FlowReport, FlowError> {
    let mut outcome = sweep::run(ctx, settings).await?;
    let injector = Arc::new(Injector::new(ctx.clone(), settings.clone()));
    injector.rescue().await?;
    outcome.drained = Some(injector.drain().await?);
    Ok(outcome.report())
}

/// What an orders run did: the sweep, and the injections when the run also drained the queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrdersOutcome {
    /// A new client's first sweep: only the cursor was set.
    pub started_from_now: bool,
    /// Orders listed as changed since the cursor.
    pub read: u64,
    /// Of those, orders placed (not incomplete, declined or cancelled).
    pub placed: u64,
    /// Jobs created or re-armed.
    pub queued: u64,
    /// The injections of [`run_and_drain`].
    pub drained: Option<BatchOutcome>,
}

impl FlowOutcome for OrdersOutcome {
    fn summary(&self) -> String {
        let swept = if self.started_from_now {
            "order sweep starts from now".to_string()
        } else {
            format!(
                "{} orders read, {} placed, {} queued",
                self.read, self.placed, self.queued
            )
        };
        match &self.drained {
            Some(d) => format!(
                "{swept}; {} orders injected, {} exceptions, {} retrying",
                d.injected, d.exceptions, d.retried
            ),
            None => swept,
        }
    }

    fn records(&self) -> Option<u64> {
        match &self.drained {
            Some(d) => Some(d.claimed as u64),
            None => (!self.started_from_now).then_some(self.read),
        }
    }

    fn changed(&self) -> Option<u64> {
        match &self.drained {
            Some(d) => Some(d.injected as u64),
            None => (!self.started_from_now).then_some(self.queued),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_measures_orders_read_and_queued_and_a_first_sweep_nothing() {
        let swept = OrdersOutcome {
            read: 5,
            placed: 4,
            queued: 3,
            ..OrdersOutcome::default()
        }
        .report();
        assert_eq!(swept.summary, "5 orders read, 4 placed, 3 queued");
        assert_eq!(
            (swept.measurements.records, swept.measurements.changed),
            (Some(5), Some(3))
        );
        assert!(swept.measurements.extra.is_empty());
        let first = OrdersOutcome {
            started_from_now: true,
            ..OrdersOutcome::default()
        }
        .report();
        assert_eq!(first.summary, "order sweep starts from now");
        assert_eq!(
            (first.measurements.records, first.measurements.changed),
            (None, None)
        );
    }

    #[test]
    fn a_drained_run_measures_jobs_claimed_and_orders_injected() {
        let drained = OrdersOutcome {
            read: 5,
            placed: 4,
            queued: 3,
            drained: Some(BatchOutcome {
                claimed: 3,
                injected: 2,
                exceptions: 1,
                retried: 0,
            }),
            ..OrdersOutcome::default()
        }
        .report();
        assert_eq!(
            drained.summary,
            "5 orders read, 4 placed, 3 queued; 2 orders injected, 1 exceptions, 0 retrying"
        );
        assert_eq!(
            (drained.measurements.records, drained.measurements.changed),
            (Some(3), Some(2))
        );
    }
}
