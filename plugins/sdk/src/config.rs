//! The client's `[rules]` config values, read through the host.

use std::str::FromStr;

use crate::host;

/// The raw value for `key`, if the client's config sets it.
pub fn get(key: &str) -> Option<String> {
    host::config_value(key)
}

/// The value for `key` parsed as `T`, `default` when unset, or an error naming the key.
pub fn parse_or<T: FromStr>(key: &str, default: T) -> Result<T, String> {
    match get(key) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| format!("config value `{key}` = {raw:?} is not valid")),
    }
}

/// The value for `key` or `default` when unset.
pub fn string_or(key: &str, default: &str) -> String {
    get(key).unwrap_or_else(|| default.to_string())
}

/// Writes a structured log line to the host (it shows in the call's trace).
pub fn log(level: host::LogLevel, message: &str, fields: &[(&str, &str)]) {
    let fields = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<Vec<_>>();
    host::log(level, message, &fields);
}
