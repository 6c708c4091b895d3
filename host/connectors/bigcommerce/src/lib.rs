//! BigCommerce connector: a typed client of the REST API (catalog, inventory, orders, refunds,
//! webhooks) and a sandbox server that behaves like a store, for tests and demos.
//!
//! The OpenAPI documents in `shared/specs/bigcommerce` are the authority for every shape;
//! `tests/conformance.rs` checks both the client and the sandbox against them.

pub mod client;
pub mod config;
pub mod error;
pub mod model;
pub mod sandbox;

pub use client::{BigCommerceClient, ClientStats, StatsSnapshot};
pub use config::{BigCommerceConfig, RateLimitConfig};
pub use error::Error;
pub use model::{BatchReport, ItemFailure, Money, MoneyError};
pub use sandbox::{Sandbox, SandboxConfig};
