//! Behaviour of the Sparklayer client against the sandbox, over real loopback HTTP.
//! One test binary (one link) with a module per API area.

mod admin;
mod auth;
mod common;
mod customers;
mod faults;
mod pricing;
mod purchases;
mod stock;
mod sync_log;
