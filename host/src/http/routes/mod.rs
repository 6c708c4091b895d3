//! Admin API handlers, one file per resource.
//!
//! Every list that grows with time is read a page at a time: `limit` (clamped to
//! [`PAGE_MAX`]) plus a cursor, `before`/`after` an id or `offset` for the exception list
//! (ordered by last seen, which moves). The response names the cursor of the next page, or
//! null on the last one.

pub mod access;
pub mod clients;
pub mod control;
pub mod exceptions;
pub mod jobs;
pub mod lifecycle;
pub mod metrics;
pub mod overview;
pub mod plugins;
pub mod resync;
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
    /// Tokens and the audit log.
    pub const ACCESS: &str = "access";
}

/// Largest page any listing returns.
pub const PAGE_MAX: u32 = 1_000;

/// A page size: `asked`, or `default`, within 1..=[`PAGE_MAX`].
pub fn page_limit(asked: Option<u32>, default: u32) -> u32 {
    asked.unwrap_or(default).clamp(1, PAGE_MAX)
}

/// Cuts a page read with one row more than `limit` back to `limit`; returns the cursor of
/// the next page (from the last row kept) when there was more.
pub fn cut_page<T>(rows: &mut Vec<T>, limit: u32, cursor: impl Fn(&T) -> i64) -> Option<i64> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().map(cursor)
}
