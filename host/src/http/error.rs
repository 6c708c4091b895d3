//! One error type for every admin handler: a status, a message for the caller, and (for
//! server errors) the internal cause, which goes to the log and not to the caller.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An admin API error.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// What the caller is told.
    pub message: String,
    /// What the log is told (never sent).
    internal: Option<String>,
}

impl ApiError {
    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 409: the request is fine but the state does not allow it.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// 422: a plugin candidate was refused (load error, failed fixtures).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            internal: None,
        }
    }
}

impl From<selvedge_store::StoreError> for ApiError {
    fn from(err: selvedge_store::StoreError) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "the state store failed; see the host log".into(),
            internal: Some(err.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(internal) = &self.internal {
            tracing::error!(status = %self.status, error = %internal, "admin request failed");
        }
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
