#![warn(missing_docs)]
//! BigCommerce connector: a typed client of the REST API (catalog, inventory, orders, refunds,
//! webhooks) and a sandbox server that behaves like a store, for tests and demos.
//!
//! The OpenAPI documents in `shared/specs/bigcommerce` are the authority for every shape;
//! `tests/conformance` checks both the client and the sandbox against them.
//!
//! # Client
//! [`BigCommerceClient::new`] takes a [`BigCommerceConfig`]. Every call paces itself from the
//! `X-Rate-Limit-*` headers, waits out a 429 (the longer of `X-Rate-Limit-Time-Reset-Ms` and
//! `X-Retry-After`) before sending again, retries GET/PUT with jittered backoff on 5xx and
//! timeouts, and never re-sends a POST. Batches are split at BigCommerce's caps (10 products,
//! 50 variants, 2,000 inventory items) and reported per item ([`BatchReport`]).
//! [`BigCommerceClient::stats`] exposes call, 429 and retry counters.
//!
//! Money is [`Money`] (integer cents): V2 decimal strings (`"25.6300"`) and V3 numbers both
//! parse into it and are written back in the form each API uses.
//!
//! # Sandbox
//! [`Sandbox::start`] serves the same endpoints on loopback; [`sandbox::SandboxHandle`] reads
//! and steers its state. Admin routes (no auth, no rate limit):
//!
//! | route | does |
//! |---|---|
//! | `POST /sandbox/orders` | simulated checkout ([`sandbox::SandboxOrder`]); fires `store/order/created` |
//! | `POST /sandbox/seed` / `POST /sandbox/seed/apparel` | load styles ([`sandbox::SeedProduct`]) / the demo catalog |
//! | `PUT /sandbox/quota` `{quota, window_ms}` | request quota per window |
//! | `PUT /sandbox/inventory_lag` `{lag_ms}` | delay before adjustments are visible |
//! | `POST /sandbox/faults` ([`sandbox::Fault`]) | inject 5xx or slow answers |
//! | `POST /sandbox/duplicates` `{count}` | deliver the next webhooks twice |
//! | `GET`/`DELETE /sandbox/requests` | recorded exchanges |
//! | `GET /sandbox/counters` | requests per route, 429s served |
//! | `GET /sandbox/deliveries` | webhook delivery attempts |

pub mod client;
pub mod config;
pub mod error;
pub mod model;
#[cfg(feature = "sandbox")]
pub mod sandbox;

pub use client::{BigCommerceClient, ClientStats, StatsSnapshot};
pub use config::{BigCommerceConfig, RateLimitConfig};
pub use error::Error;
pub use model::{BatchReport, ItemFailure, Money, MoneyError};
#[cfg(feature = "sandbox")]
pub use sandbox::{Sandbox, SandboxConfig, SandboxHandle};
