//! One error type for both listeners (admin API and webhooks). Each variant has a fixed
//! status and a stable `code`; the body is `{"error": <message>, "code": <code>}`. Internal
//! causes of server errors go to the log, never to the caller.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An HTTP error of the admin API or the webhook endpoint.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// 400: the request itself is wrong (payload, parameters).
    #[error("{0}")]
    BadRequest(String),
    /// 401 on the admin listener: no bearer token, or not the configured one.
    #[error("missing or wrong bearer token")]
    BadToken,
    /// 401 on the admin listener: the host has no token, so nothing can match.
    #[error("the admin token is not set on the host (see [admin] token_env in selvedge.toml)")]
    TokenUnset,
    /// 401 on the webhook listener: no secret header, a wrong one, or an unknown client
    /// (same answer for all three: no probing for client names).
    #[error("missing or wrong webhook secret")]
    BadWebhookSecret,
    /// 403: the token is valid but its role or scope does not cover the request.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 408: the request was not complete within the listener's request timeout.
    #[error("the request did not complete in time")]
    Timeout,
    /// 409: the request is fine but the state does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is over the listener's limit.
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit, bytes.
        limit: usize,
    },
    /// 422: a plugin candidate was refused (load error, failed fixtures).
    #[error("{0}")]
    Unprocessable(String),
    /// 500: something on our side failed; `internal` is logged.
    #[error("{message}")]
    Internal {
        /// What the caller is told.
        message: &'static str,
        /// What the log is told.
        internal: String,
    },
    /// 503: too many requests in flight on this listener.
    #[error("too many requests in flight, retry later")]
    Overloaded,
    /// 503: cannot do it now (e.g. the store refused a write); `internal` is logged.
    #[error("{message}")]
    Unavailable {
        /// What the caller is told.
        message: &'static str,
        /// What the log is told.
        internal: String,
    },
}

impl HttpError {
    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    /// 422.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::Unprocessable(message.into())
    }

    /// The HTTP status; fixed per variant.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::BadToken | Self::TokenUnset | Self::BadWebhookSecret => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Overloaded | Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// A stable machine-readable name of what was wrong (the `code` of the body).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::BadToken => "bad_token",
            Self::TokenUnset => "token_unset",
            Self::BadWebhookSecret => "bad_webhook_secret",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Timeout => "timeout",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::Unprocessable(_) => "unprocessable",
            Self::Internal { .. } => "internal",
            Self::Overloaded => "overloaded",
            Self::Unavailable { .. } => "unavailable",
        }
    }
}

impl From<selvedge_store::StoreError> for HttpError {
    fn from(err: selvedge_store::StoreError) -> Self {
        Self::Internal {
            message: "the state store failed; see the host log",
            internal: err.to_string(),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal { internal, .. } | Self::Unavailable { internal, .. } = &self {
            tracing::error!(%status, error = %internal, "request failed");
        }
        let body = Json(serde_json::json!({ "error": self.to_string(), "code": self.code() }));
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        match self {
            Self::BadToken | Self::TokenUnset => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // Load is shed at once; a second later is a fair guess for the retry.
            Self::Overloaded => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn body_names_the_code_and_hides_internal_causes() {
        let err = HttpError::Unavailable {
            message: "cannot store the delivery now, retry later",
            internal: "disk I/O error at /secret/path".into(),
        };
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap_or_default();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert_eq!(body["code"], "unavailable");
        assert_eq!(body["error"], "cannot store the delivery now, retry later");
        assert!(!String::from_utf8_lossy(&bytes).contains("/secret/path"));
    }

    #[test]
    fn unauthorized_variants_share_401() {
        for e in [
            HttpError::BadToken,
            HttpError::TokenUnset,
            HttpError::BadWebhookSecret,
        ] {
            assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
        }
    }
}
