//! Errors of the BigCommerce client, typed by what the caller does about them.

use std::collections::BTreeMap;

use crate::model::MoneyError;

/// A failed BigCommerce call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is unusable.
    #[error("bigcommerce config: {0}")]
    Config(String),
    /// The token was refused (401/403).
    #[error("{method} {path}: unauthorized ({status}): {message}")]
    Unauthorized {
        /// HTTP method.
        method: String,
        /// Path below the API root.
        path: String,
        /// 401 or 403.
        status: u16,
        /// Server message.
        message: String,
    },
    /// 404: the resource does not exist.
    #[error("{method} {path}: not found: {message}")]
    NotFound {
        /// HTTP method.
        method: String,
        /// Path below the API root.
        path: String,
        /// Server message.
        message: String,
    },
    /// 409: conflict, typically a SKU already used by another product or variant.
    #[error("{method} {path}: conflict: {message}")]
    Conflict {
        /// HTTP method.
        method: String,
        /// Path below the API root.
        path: String,
        /// Server title.
        message: String,
        /// Per-field details.
        fields: BTreeMap<String, String>,
    },
    /// 413: the batch exceeds BigCommerce's cap.
    #[error("{method} {path}: request too large: {message}")]
    TooLarge {
        /// HTTP method.
        method: String,
        /// Path below the API root.
        path: String,
        /// Server message.
        message: String,
    },
    /// 400/422: the request is invalid.
    #[error("{method} {path}: invalid request ({status}): {message} {fields:?}")]
    Validation {
        /// HTTP method.
        method: String,
        /// Path below the API root.
        path: String,
        /// 400 or 422.
        status: u16,
        /// Server title.
        message: String,
        /// Field -> message.
        fields: BTreeMap<String, String>,
    },
    /// Still 429 after the configured number of waits.
    #[error("{method} {path}: still rate limited after {attempts} attempts")]
    RateLimited {
        /// HTTP method.
        method: String,
        /// Path below the API root.
        path: String,
        /// Attempts made.
        attempts: u32,
    },
    /// 5xx (after retries for idempotent calls; at once for creates).
    #[error("{method} {path}: server error {status} after {attempts} attempt(s): {message}")]
    Server {
        /// HTTP method.
        method: String,
        /// Path below the API root.
        path: String,
        /// HTTP status.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// Server message.
        message: String,
    },
    /// Any other non-success status.
    #[error("{method} {path}: unexpected status {status}: {message}")]
    Status {
        /// HTTP method.
        method: String,
        /// Path below the API root.
        path: String,
        /// HTTP status.
        status: u16,
        /// Server message.
        message: String,
    },
    /// Connection failure or timeout (after retries for idempotent calls). A create that timed out
    /// may have been applied: look it up before creating again.
    #[error("{method} {path}: transport error after {attempts} attempt(s): {source}")]
    Transport {
        /// HTTP method.
        method: String,
        /// Path below the API root.
        path: String,
        /// Attempts made.
        attempts: u32,
        /// The reqwest error.
        #[source]
        source: reqwest::Error,
    },
    /// The response body does not have the documented shape.
    #[error("{method} {path}: cannot decode response: {message}")]
    Decode {
        /// HTTP method.
        method: String,
        /// Path below the API root.
        path: String,
        /// What failed (serde message, includes bad money).
        message: String,
    },
    /// A money amount could not be parsed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl Error {
    /// HTTP status behind the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. }
            | Error::Validation { status, .. }
            | Error::Server { status, .. }
            | Error::Status { status, .. } => Some(*status),
            Error::NotFound { .. } => Some(404),
            Error::Conflict { .. } => Some(409),
            Error::TooLarge { .. } => Some(413),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Worth retrying later (throttling, server or network trouble).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. } | Error::Server { .. } | Error::Transport { .. }
        )
    }
}

/// The parts of a BigCommerce error body, whatever its dialect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    pub message: String,
    pub fields: BTreeMap<String, String>,
}

impl ErrorBody {
    /// Reads V2 `[{status, message}]`, V3 `{status, title, type, errors}` and the refunds
    /// `{data: [{status, type, errors}]}` forms; falls back to the raw text.
    pub(crate) fn parse(body: &str) -> Self {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
            return Self {
                message: body.chars().take(300).collect(),
                fields: BTreeMap::new(),
            };
        };
        let mut out = Self::default();
        let mut messages = Vec::new();
        let mut take_object = |obj: &serde_json::Value, out: &mut Self| {
            for key in ["title", "message", "detail"] {
                if let Some(s) = obj.get(key).and_then(|v| v.as_str()) {
                    messages.push(s.to_owned());
                    break;
                }
            }
            if let Some(errors) = obj.get("errors").and_then(|v| v.as_object()) {
                for (k, v) in errors {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    out.fields.insert(k.clone(), text);
                }
            }
        };
        match &value {
            serde_json::Value::Array(items) => items.iter().for_each(|i| take_object(i, &mut out)),
            serde_json::Value::Object(map) => match map.get("data").and_then(|d| d.as_array()) {
                Some(items) if !map.contains_key("title") => {
                    items.iter().for_each(|i| take_object(i, &mut out))
                }
                _ => take_object(&value, &mut out),
            },
            _ => {}
        }
        out.message = messages.join("; ");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_error_dialects_are_read() {
        let v2 = ErrorBody::parse(
            r#"[{"status":404,"message":"The requested resource was not found."}]"#,
        );
        assert_eq!(v2.message, "The requested resource was not found.");
        let v3 = ErrorBody::parse(
            r#"{"status":422,"title":"Invalid","type":"x","errors":{"price":"required"}}"#,
        );
        assert_eq!(v3.message, "Invalid");
        assert_eq!(v3.fields.get("price").map(String::as_str), Some("required"));
        let refunds = ErrorBody::parse(
            r#"{"data":[{"status":422,"type":"x","errors":{"items":"too many"}}]}"#,
        );
        assert_eq!(
            refunds.fields.get("items").map(String::as_str),
            Some("too many")
        );
        assert_eq!(ErrorBody::parse("gateway down").message, "gateway down");
    }
}
