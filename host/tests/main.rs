//! The host's integration tests, as one test binary: one link of the host and wasmtime instead
//! of one per file, which keeps a cold build's disk and link time down; nextest still runs every
//! test in a process of its own. Run one part with its module path, e.g.
//! `cargo test -p selvedge --test integration admin_api::`.

mod admin_api;
mod alerts;
// Drives the sandboxes.
#[cfg(feature = "sandbox")]
mod cli;
mod config;
// Drives the sandboxes.
#[cfg(feature = "sandbox")]
mod dashboard_browser;
mod http_edge;
mod job_engine;
mod layout;
mod ops_cli;
mod plugin_changes;
mod plugin_cli;
// Drives the sandboxes.
#[cfg(feature = "sandbox")]
mod progress_cli;
mod scheduler;
mod store_copy;
