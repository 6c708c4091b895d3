//! Errors of the Sparklayer client.

use std::time::Duration;

use crate::config::ConfigError;
use crate::model::Problem;

/// Everything a Sparklayer call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config cannot work (see [`ConfigError`]).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client could not be set up (TLS backend).
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// The token endpoint refused the credentials or Site-Id.
    #[error("sparklayer refused the API credentials ({status}): {problem}")]
    Credentials {
        /// HTTP status of the token response.
        status: u16,
        /// The problem body (synthesised when the response had none).
        problem: Box<Problem>,
    },
    /// A call still got 401 after fetching a fresh token once.
    #[error("sparklayer {method} {path} answered 401 again with a fresh token: {problem}")]
    Unauthorized {
        /// HTTP method.
        method: String,
        /// Path and query of the call.
        path: String,
        /// The problem body of the second 401.
        problem: Box<Problem>,
    },
    /// A non-success answer: a 4xx we must not retry, or a 5xx/409/429 once retries ran out.
    #[error("sparklayer {method} {path} failed after {attempts} attempt(s): {problem}")]
    Api {
        /// HTTP method.
        method: String,
        /// Path and query of the call.
        path: String,
        /// HTTP status.
        status: u16,
        /// The problem body (synthesised when the response had none).
        problem: Box<Problem>,
        /// Attempts made, the first included.
        attempts: u32,
        /// `Retry-After` of a 429, so a scheduler can defer the job by that much.
        retry_after: Option<Duration>,
    },
    /// The request never got an answer (connect error, timeout, reset).
    #[error("sparklayer {method} {path}: transport error after {attempts} attempt(s): {source}")]
    Transport {
        /// HTTP method.
        method: String,
        /// Path and query of the call.
        path: String,
        /// Attempts made, the first included.
        attempts: u32,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// A 2xx body that does not have the expected shape (names the JSON path).
    #[error("sparklayer {method} {path}: unexpected response body at `{at}`: {message}")]
    Decode {
        /// HTTP method.
        method: String,
        /// Path and query of the call.
        path: String,
        /// JSON path of the offending value (`data[3].price`), `.` for the root.
        at: String,
        /// What was wrong with it.
        message: String,
    },
    /// Our own input cannot be sent (for example an amount that has no exact decimal form).
    #[error("cannot encode the sparklayer request: {0}")]
    Encode(String),
}

impl Error {
    /// HTTP status when the error came from an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Credentials { status, .. } | Error::Api { status, .. } => Some(*status),
            Error::Unauthorized { .. } => Some(401),
            _ => None,
        }
    }

    /// The problem body, when there was an answer.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Credentials { problem, .. }
            | Error::Unauthorized { problem, .. }
            | Error::Api { problem, .. } => Some(problem.as_ref()),
            _ => None,
        }
    }

    /// True for a 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True when trying later may succeed without changing the request (5xx, 409, 429,
    /// transport): a job runner reschedules these and dead-letters the rest.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::Api { status, .. } => *status >= 500 || *status == 409 || *status == 429,
            _ => false,
        }
    }

    /// True when a write may have been applied even though we saw an error (5xx or no answer):
    /// look the document up before creating it again.
    pub(crate) fn is_ambiguous(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
