//! The exception queue.

use selvedge_store::{ExceptionHistoryEntry, ExceptionRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::rfc3339;

/// An exception.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExceptionView {
    /// Id.
    pub id: i64,
    /// Client.
    pub client: String,
    /// Kind (e.g. `order_invalid`).
    pub kind: String,
    /// Owner team.
    pub owner: String,
    /// What it is about (order id, SKU).
    pub subject: String,
    /// One line.
    pub summary: String,
    /// Everything needed to act on it.
    #[schema(value_type = Object)]
    pub details: Value,
    /// `open`, `retrying`, `resolved`.
    pub state: String,
    /// Times raised while unresolved.
    pub occurrences: u32,
    /// First raised.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Last raised.
    pub last_seen: String,
}

impl From<&ExceptionRecord> for ExceptionView {
    fn from(r: &ExceptionRecord) -> Self {
        Self {
            id: r.id,
            client: r.client.clone(),
            kind: r.kind.clone(),
            owner: r.owner.clone(),
            subject: r.subject.clone(),
            summary: r.summary.clone(),
            details: r.details.clone(),
            state: r.state.as_str().into(),
            occurrences: r.occurrences,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            last_seen: rfc3339(r.last_seen),
        }
    }
}

/// An exception with its history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExceptionDetail {
    /// The exception.
    pub exception: ExceptionView,
    /// A page of it, oldest first (`limit`, default 100).
    pub history: Vec<HistoryView>,
    /// `after` for the next page of the history; null on the last page.
    #[serde(default)]
    pub history_next: Option<i64>,
}

/// One history entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryView {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// `raised`, `raised_again` (re-opened after a retry), `retrying`, `resolved`. A
    /// recurrence of an open exception adds no entry: it bumps `occurrences` and
    /// `last_seen`.
    pub action: String,
    /// Note.
    pub note: Option<String>,
}

impl From<&ExceptionHistoryEntry> for HistoryView {
    fn from(h: &ExceptionHistoryEntry) -> Self {
        Self {
            at: rfc3339(h.at),
            actor: h.actor.clone(),
            action: h.action.clone(),
            note: h.note.clone(),
        }
    }
}

/// Unresolved exceptions of one owner team, by kind.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OwnerGroup {
    /// Owner team.
    pub owner: String,
    /// Unresolved in total.
    pub total: u64,
    /// Per kind.
    pub kinds: Vec<KindCount>,
}

/// Counts of one kind.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KindCount {
    /// Kind.
    pub kind: String,
    /// Open.
    pub open: u64,
    /// Retrying.
    pub retrying: u64,
}

/// Body of retry and resolve.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct ActionRequest {
    /// Why / what was done (required to resolve).
    pub note: Option<String>,
    /// Who (default `dashboard`).
    pub actor: Option<String>,
}

/// What a retry did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RetryOutcome {
    /// The job queued again, when the exception came from a job that gave up.
    pub requeued_job: Option<i64>,
    /// The exception after the change.
    pub detail: ExceptionDetail,
}
