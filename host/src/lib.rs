//! Selvedge host: keeps CGS Blue Cherry and the BigCommerce / Sparklayer storefronts in step.
//!
//! The binary `selvedge` is a thin CLI over this library.

pub mod cli;
pub mod exit;
pub mod flows;
