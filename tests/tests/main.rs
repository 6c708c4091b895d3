//! The end-to-end tests, as one test binary: the selvedge host against the sandboxes. One binary
//! links the host, wasmtime and the sandboxes once instead of once per file, which keeps a cold
//! build's disk and link time down; nextest still runs every test in a process of its own.

mod support;

mod b2b;
mod buffer_advice;
mod catalog;
mod fulfilment;
mod inventory;
mod inventory_missing;
mod kill9;
mod orders_b2b;
mod orders_crash;
mod orders_exactly_once;
mod orders_poison;
mod orders_references;
mod orders_status;
mod orders_webhook;
mod pacing;
mod plugin_shadow;
mod python_plugin_b2b;
mod reconcile;
mod refunds;
mod refunds_crash;
mod resync;
mod returns_b2b;
mod returns_crash;
mod run_control;
mod shutdown;
mod third_storefront;
mod two_hosts;
