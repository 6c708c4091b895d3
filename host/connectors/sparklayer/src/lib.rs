//! Sparklayer (B2B layer) connector: a typed client for the pricing, stock, purchasing,
//! customer and sync-log APIs, and a sandbox server that behaves like Sparklayer for tests
//! and the demo.
//!
//! Shapes follow `facts/sparklayer.md`; where Sparklayer's docs leave a shape open the
//! assumption is written on the type or method that makes it.

pub mod client;
pub mod config;
pub mod error;
pub mod model;
pub mod sandbox;

pub use client::{ClientStats, PurchaseQuery, SparklayerClient, StatsSnapshot};
pub use config::{ConfigError, Secret, SparklayerConfig};
pub use error::Error;
