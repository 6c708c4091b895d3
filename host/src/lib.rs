//! Selvedge host: keeps CGS Blue Cherry and the BigCommerce / Sparklayer storefronts in step.
//!
//! The binary `selvedge` is a thin CLI over this library.

pub mod alerts;
pub mod app;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod control;
pub mod exceptions;
pub mod exit;
pub mod explain;
pub mod flows;
pub mod handover;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod overview;
pub mod plugins;
pub mod progress;
pub mod references;
pub mod retention;
pub mod runner;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod scheduler;
pub mod serve;
pub mod shutdown;
pub mod store;
pub mod storefronts;
