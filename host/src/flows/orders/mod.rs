//! Orders: storefront orders into Blue Cherry, exactly once, paced.
//!
//! - [`intake`]: what a BigCommerce webhook delivery becomes (strict parsing, durable
//!   enqueue before the 200; the endpoint itself is `crate::http::webhook`), hook
//!   registration, and the Sparklayer purchase poll;
//! - [`prepare`] and [`convert`]: the full order from the storefront as the plugin's input;
//! - [`inject`]: the worker that maps through the plugin and creates the sales order;
//! - [`settings`]: `[orders]` of a client's config (pacing: as arrived, or on pick cycles).
//!
//! Every order passes through the durable job queue (`order.inject`), keyed by storefront
//! order id, so duplicates collapse and a crashed host loses nothing.

pub mod convert;
pub mod inject;
pub mod intake;
mod outcome;
pub mod prepare;
pub mod settings;
pub mod status;

use std::sync::Arc;

pub use inject::{BatchOutcome, Injector, OrderTiming};
pub use intake::{
    IntakeClient, IntakeError, Receipt, accept, poll_sparklayer, register_webhooks,
    sweep_bigcommerce,
};
pub use settings::{OrdersSettings, Pacing, PacingMode, WEBHOOK_SECRET_HEADER};

use crate::flows::{ClientServices, FlowError, FlowReport, StorefrontClient};

pub use crate::jobs::kinds::{order_kind, refund_kind};

/// Cursor of the BigCommerce order sweep (RFC 3339 `min_date_modified`, inclusive).
pub const BIGCOMMERCE_CURSOR: &str = "bigcommerce.orders.modified_since";
/// Cursor of the Sparklayer purchase poll (RFC 3339, inclusive).
pub const SPARKLAYER_CURSOR: &str = "sparklayer.purchases.updated_since";

/// The scheduled orders run: polls Sparklayer, or sweeps BigCommerce for orders the webhooks
/// missed, and queues them. It never injects: the job engine's one injector per client does,
/// paced by the account's shared limiter.
pub async fn run(ctx: &ClientServices, settings: &OrdersSettings) -> Result<FlowReport, FlowError> {
    match ctx.storefront {
        StorefrontClient::Sparklayer(_) => poll_sparklayer(ctx, settings).await,
        StorefrontClient::BigCommerce(_) => sweep_bigcommerce(ctx, settings).await,
    }
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
