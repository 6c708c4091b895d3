//! JSON bodies of the admin API. Their schemas in the OpenAPI document come from these types.
//! Timestamps are RFC 3339 strings in UTC.

mod exceptions;
mod health;
mod plugins;
mod why;

use time::OffsetDateTime;

pub use exceptions::*;
pub use health::*;
pub use plugins::*;
pub use why::*;

/// RFC 3339, or empty if the timestamp cannot be formatted (it always can in UTC).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
