//! Blue Cherry (CGS apparel ERP) connector: the modelled JSON gateway behind one adapter
//! trait ([`ErpGateway`]), its HTTP client, the CSV batch-export route, and a sandbox server
//! that behaves like the ERP (batch cycles, validation, faults).
//!
//! The gateway contract is an assumption: Blue Cherry publishes no API. It is documented in
//! `docs/bluecherry-gateway.md`; a client's real gateway gets its own [`ErpGateway`] impl.

#![warn(missing_docs)]

pub mod client;
pub mod config;
pub mod csv_drop;
pub mod error;
pub mod gateway;
pub mod model;
#[cfg(feature = "sandbox")]
pub mod sandbox;

/// Money is the connectors' one type, integer cents read through a decimal crate.
pub use selvedge_connector_kit::money;

pub use client::BlueCherryClient;
pub use config::{BlueCherryConfig, Completion, CsvDropConfig};
pub use csv_drop::{CsvDrop, DropContent, DropFile, Pickup};
/// The name the host's flows use for [`Error`]; every connector's error type is `Error`.
pub use error::Error as BlueCherryError;
pub use error::{CsvDropError, CsvRowError, Error};
pub use gateway::{ErpGateway, GatewayFuture};
#[cfg(feature = "sandbox")]
pub use sandbox::{Sandbox, SandboxConfig};
