//! Sparklayer (B2B layer) connector: a typed client for the pricing, stock, purchasing,
//! customer and sync-log APIs, and a sandbox server that behaves like Sparklayer for tests
//! and the demo.
//!
//! - [`SparklayerClient`]: one method per operation (`create_price_list`, `update_pricing`,
//!   `batch_update_stock`, `poll_purchases`, `replace_purchase`, `set_payment_on_account`,
//!   `put_sync_log`, ...). Tokens are cached and refreshed before expiry; a 401 gets one fresh
//!   token and one retry; 5xx (idempotent calls), 429 (after `Retry-After`) and 409 are retried
//!   with jittered backoff; creates look their document up before posting again.
//! - [`Error`]: problem bodies (RFC 7807) are kept whole, so callers see the property at fault.
//! - [`model`]: wire types, money as `i64` cents.
//! - [`sandbox::Sandbox`]: the loopback stand-in, with fault injection and admin routes.
//!
//! Shapes follow `facts/sparklayer.md`. Where Sparklayer's docs leave a shape open (the
//! customers endpoints, the purchases list envelope and its modified-since parameter) the
//! assumption is written on the type or method that makes it.

pub mod client;
pub mod config;
pub mod error;
pub mod model;
#[cfg(feature = "sandbox")]
pub mod sandbox;

pub use client::{ClientStats, PurchaseQuery, SparklayerClient, StatsSnapshot};
pub use config::{ConfigError, Secret, SparklayerConfig};
pub use error::Error;
