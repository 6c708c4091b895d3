//! RFC 7807 answers of the sandbox (`Content-Type: application/problem+json`).

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::model::{Problem, ProblemError};

/// An error answer of the sandbox; also what its Rust admin API returns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status}: {problem}")]
pub struct SandboxError {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub problem: Box<Problem>,
    /// `Retry-After` seconds for 429s.
    pub retry_after: Option<Duration>,
}

impl SandboxError {
    fn new(status: u16, title: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            problem: Box::new(Problem {
                title: title.to_owned(),
                status: Some(status),
                detail: Some(detail.into()),
                ..Problem::default()
            }),
            retry_after: None,
        }
    }

    /// 422 naming the property at fault.
    pub fn validation(property: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut err = Self::new(422, "Validation Failed", message.clone());
        err.problem.errors.push(ProblemError {
            code: Some("invalid".to_owned()),
            message,
            property: Some(property.into()),
        });
        err
    }

    /// 422 about the request as a whole.
    pub fn invalid_request(detail: impl Into<String>) -> Self {
        Self::new(422, "Validation Failed", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, "Not Found", detail)
    }

    /// 401.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, "Unauthorized", detail)
    }

    /// 409 concurrent update.
    pub fn conflict() -> Self {
        let mut err = Self::new(
            409,
            "Conflict",
            "the resource was updated concurrently; retry the request",
        );
        err.problem.errors.push(ProblemError {
            code: Some("concurrent_update".to_owned()),
            message: "concurrent update".to_owned(),
            property: None,
        });
        err
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(retry_after: Duration) -> Self {
        let mut err = Self::new(429, "Too Many Requests", "rate limit exceeded");
        err.retry_after = Some(retry_after);
        err
    }

    /// A 5xx.
    pub fn server_error(status: u16) -> Self {
        Self::new(
            status,
            "Server Error",
            "the sandbox was told to fail this request",
        )
    }
}

impl IntoResponse for SandboxError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(ra) = self.retry_after {
            let secs = selvedge_connector_kit::sandbox::quota::retry_after_secs(ra);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Parses a JSON request body; a bad value is a 422 naming its JSON path.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, SandboxError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        if path == "." {
            SandboxError::invalid_request(format!("request body: {message}"))
        } else {
            SandboxError::validation(path, message)
        }
    })
}
