//! Admin API: auth on every path (401 and nothing changes), no CORS, the OpenAPI document, and
//! every read and action against a real store and real plugin slots.

#[path = "admin_api/support.rs"]
pub(crate) mod support;

#[path = "admin_api/access.rs"]
mod access;
#[path = "admin_api/auth.rs"]
mod auth;
#[path = "admin_api/control.rs"]
mod control;
#[path = "admin_api/exceptions.rs"]
mod exceptions;
#[path = "admin_api/plugins.rs"]
mod plugins;
#[path = "admin_api/reads.rs"]
mod reads;
