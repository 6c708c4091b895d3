//! Timestamps are stored as integer unix milliseconds (UTC): they compare and sort as numbers
//! in SQL (lease expiry, run_at), map to BIGINT in PostgreSQL, and cannot fail to parse.

use time::OffsetDateTime;

use crate::StoreError;

/// Milliseconds since the unix epoch; sub-millisecond precision is dropped.
pub fn to_ms(t: OffsetDateTime) -> i64 {
    // i128 nanos / 1e6 fits i64 for every date `time` can represent.
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// Reads back a stored timestamp.
pub fn from_ms(ms: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {ms} ms out of range: {e}")))
}

/// Reads back an optional stored timestamp.
pub fn from_ms_opt(ms: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    ms.map(from_ms).transpose()
}

/// A duration as whole milliseconds, saturating.
pub fn duration_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
