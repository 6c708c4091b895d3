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
mod outcome;
pub mod prepare;
pub mod settings;
pub mod sweep;
pub mod worker;

use std::sync::Arc;

pub use settings::{OrdersSettings, Pacing, PacingMode, WEBHOOK_SECRET_HEADER};
pub use worker::{BatchOutcome, Injector, OrderTiming};

use crate::flows::{ClientServices, FlowError, FlowReport};

pub use crate::jobs::kinds::{order_kind, refund_kind};

/// The scheduled orders run: reads orders changed in the storefront (the safety net behind
/// webhooks, or the only way in for a storefront without them) and queues them. It never
/// injects: the job engine's one injector per client does, paced by the account's shared
/// limiter.
pub async fn run(ctx: &ClientServices, settings: &OrdersSettings) -> Result<FlowReport, FlowError> {
    sweep::run(ctx, settings).await
}

/// [`run`], then injects every order claimable now in this task (no heartbeats): for tools
/// and tests that run one pass without the job engine.
pub async fn run_and_drain(
    ctx: &ClientServices,
    settings: &OrdersSettings,
) -> Result<FlowReport, FlowError> {
    let queued = run(ctx, settings).await?;
    let injector = Arc::new(Injector::new(ctx.clone(), settings.clone()));
    injector.rescue().await?;
    let outcome = injector.drain().await?;
    let mut report = FlowReport {
        summary: format!(
            "{}; {} orders injected, {} exceptions, {} retrying",
            queued.summary, outcome.injected, outcome.exceptions, outcome.retried
        ),
        ..FlowReport::default()
    };
    report.measurements.records = Some(outcome.claimed as u64);
    report.measurements.changed = Some(outcome.injected as u64);
    Ok(report)
}
