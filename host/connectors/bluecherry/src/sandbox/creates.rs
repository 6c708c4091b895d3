//! The create log: every create (and revision) the sandbox ERP handled, in call order.
//!
//! Tests read it (`GET /sandbox/creates`, [`super::Sandbox::creates`]) to count how many
//! documents the host really made for one reference, which the books alone cannot tell
//! apart from a refused retry.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What kind of call a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateKind {
    /// `POST /v1/sales-orders`.
    SalesOrder,
    /// `POST /v1/credit-memos`.
    CreditMemo,
    /// `PUT /v1/sales-orders/{number}`.
    Revision,
}

/// What the call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateOutcome {
    /// A new document with a new number.
    Created,
    /// Refused with `409 duplicate_external_ref`; nothing was created.
    DuplicateRefused,
    /// A revision was applied.
    Revised,
    /// The current revision was sent again with the same content; nothing changed.
    Unchanged,
}

/// One logged call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateLogEntry {
    /// Sales order, credit memo or revision.
    pub kind: CreateKind,
    /// The `external_ref` the call carried.
    pub external_ref: String,
    /// The document created or revised; for a refused duplicate, the existing document's
    /// number (the one the 409 names).
    pub number: String,
    /// What happened.
    pub outcome: CreateOutcome,
    /// The revision sent, for revisions; `None` for creates.
    pub revision: Option<u32>,
    /// When the sandbox handled the call (RFC 3339, nanoseconds when the clock has them).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The log itself. Entries only get appended, with times that never go down.
#[derive(Debug, Default)]
pub struct CreateLog {
    entries: Vec<CreateLogEntry>,
}

impl CreateLog {
    /// Appends an entry stamped now.
    pub fn record(
        &mut self,
        kind: CreateKind,
        external_ref: &str,
        number: &str,
        outcome: CreateOutcome,
        revision: Option<u32>,
    ) {
        let now = OffsetDateTime::now_utc();
        // The wall clock can step back; the log promises non-decreasing times in call order.
        let at = self.entries.last().map_or(now, |last| now.max(last.at));
        self.entries.push(CreateLogEntry {
            kind,
            external_ref: external_ref.to_string(),
            number: number.to_string(),
            outcome,
            revision,
            at,
        });
    }

    /// Entries in call order.
    pub fn entries(&self) -> &[CreateLogEntry] {
        &self.entries
    }

    /// Forgets every entry (the books are untouched).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
