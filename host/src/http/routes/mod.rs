//! Admin API handlers, one file per resource.

pub mod clients;
pub mod exceptions;
pub mod plugins;
pub mod series;
pub mod why;

/// Tag names in the OpenAPI document.
pub mod tags {
    /// Clients and sync health.
    pub const CLIENTS: &str = "clients";
    /// Exception queue.
    pub const EXCEPTIONS: &str = "exceptions";
    /// Plugins.
    pub const PLUGINS: &str = "plugins";
    /// Decision traces.
    pub const WHY: &str = "why";
}
