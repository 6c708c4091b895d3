//! Shared building blocks for the Blue Cherry, BigCommerce and Sparklayer connectors.
//!
//! Every connector has the same shape: `config.rs` (typed, strict), `client.rs` (reqwest),
//! `model.rs` (wire types), `sandbox/` (an axum server that behaves like the real system)
//! and tests against that sandbox. This crate holds what they share.

pub mod http;
pub mod money;
pub mod retry;
#[cfg(feature = "sandbox")]
pub mod sandbox;

pub use money::{Cents, MoneyError, Rounding};
pub use retry::{Attempts, RetryPolicy};
#[cfg(feature = "sandbox")]
pub use sandbox::SandboxServer;
