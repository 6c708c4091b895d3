//! Errors of the Blue Cherry connector.
//!
//! The variants are the decisions a flow has to make: fix the data (`Rejected`), record the
//! existing document (`Duplicate`), retry later (`Transient`), look up before retrying
//! (`Ambiguous`), wait out the quota (`RateLimited`), hand an order a person must change to that person (`Locked`), or re-read
//! our own revision count (`StaleRevision`). HTTP details stay inside the client.

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong talking to the ERP gateway.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The ERP validated the request and refused it; retrying the same data will fail again.
    #[error("rejected by Blue Cherry ({code}{}): {message}", field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
    Rejected {
        /// ERP error code, e.g. `validation_failed`.
        code: String,
        /// The ERP's own message.
        message: String,
        /// The field at fault, when the ERP names one.
        field: Option<String>,
    },
    /// A document with this external reference already exists: the create had already happened.
    #[error("Blue Cherry already has {existing_number} for external reference {external_ref}")]
    Duplicate {
        /// Our reference.
        external_ref: String,
        /// The ERP number of the existing document.
        existing_number: String,
    },
    /// The order can no longer be revised through the gateway: it is shipped in part or in
    /// whole, or cancelled. A person has to change it inside the ERP.
    #[error("Blue Cherry order {order_number} cannot be revised: {reason}")]
    Locked {
        /// ERP order number.
        order_number: String,
        /// Why, as the ERP put it (e.g. partially shipped).
        reason: String,
    },
    /// A revision at or below the order's current one, with other content than the current
    /// revision: the ERP already holds newer (or different) data than what was sent.
    #[error(
        "revision {sent} of Blue Cherry order {order_number} is stale: the order is at revision {current} with other content"
    )]
    StaleRevision {
        /// ERP order number.
        order_number: String,
        /// The revision we sent.
        sent: u32,
        /// The revision the order holds.
        current: u32,
    },
    /// Nothing was committed (5xx, connection refused, read timed out), or a revision's answer
    /// was lost (re-sending the same revision is safe); retry later.
    #[error("Blue Cherry unavailable: {0}")]
    Transient(String),
    /// The gateway is over its request quota (429); nothing was done. Transient: wait at
    /// least `retry_after`, when the gateway said, before sending again.
    #[error("Blue Cherry over its request quota: {message}")]
    RateLimited {
        /// The gateway's `Retry-After`.
        retry_after: Option<Duration>,
        /// The gateway's message.
        message: String,
    },
    /// A create was sent and no answer came back: it may or may not be committed. Look the
    /// document up by `external_ref` before retrying; never re-POST blindly.
    #[error("outcome unknown for external reference {external_ref}: {reason}")]
    Ambiguous {
        /// Our reference, to look the document up by.
        external_ref: String,
        /// What happened on the wire.
        reason: String,
    },
    /// The resource does not exist (e.g. an expired ATS snapshot or an unknown order number).
    #[error("not found in Blue Cherry: {0}")]
    NotFound(String),
    /// The API key was refused.
    #[error("Blue Cherry refused the API key")]
    Unauthorized,
    /// The gateway answered with something this contract does not describe.
    #[error("unexpected answer from Blue Cherry: {0}")]
    Protocol(String),
    /// The connector is misconfigured.
    #[error("Blue Cherry connector configuration: {0}")]
    Config(String),
}

impl Error {
    /// True when the same call may simply be retried.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Transient(_) | Error::RateLimited { .. })
    }

    /// How long the gateway asked to wait before the next request, for a 429.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// One bad cell or row in a dropped CSV file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line} column `{column}`: {problem}")]
pub struct CsvRowError {
    /// File name (without folder).
    pub file: String,
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// Column name as in the header.
    pub column: String,
    /// What is wrong with it.
    pub problem: String,
}

/// What went wrong with the CSV drop folder itself (not with a file's content).
#[derive(Debug, thiserror::Error)]
pub enum CsvDropError {
    /// The folder or a file in it could not be read, moved or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
