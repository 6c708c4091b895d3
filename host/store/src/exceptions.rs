//! Exception queue: what needs a person, routed to an owner team.

use serde_json::Value;
use time::OffsetDateTime;

use crate::{Page, StoreFuture, text_enum};

text_enum! {
    /// Where an exception is in its handling.
    ExceptionState {
        /// Waiting for its owner.
        Open = "open",
        /// Someone asked for a retry; raising it again re-opens it.
        Retrying = "retrying",
        /// Closed with a note.
        Resolved = "resolved",
    }
}

/// An exception to raise.
#[derive(Debug, Clone, PartialEq)]
pub struct NewException {
    /// Client it belongs to.
    pub client: String,
    /// What went wrong (e.g. `order_invalid`, `sku_unmapped`, `drift_stock`, `plugin_error`).
    pub kind: String,
    /// Owner team from config (e.g. `finance`, `operations`, `ecommerce`).
    pub owner: String,
    /// What it is about (order id, SKU, ...): with client and kind, the de-duplication key.
    pub subject: String,
    /// One line for the list view.
    pub summary: String,
    /// Everything needed to act on it.
    pub details: Value,
}

/// A stored exception.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionRecord {
    /// Store-assigned id.
    pub id: i64,
    /// Client it belongs to.
    pub client: String,
    /// What went wrong.
    pub kind: String,
    /// Owner team.
    pub owner: String,
    /// What it is about.
    pub subject: String,
    /// Latest summary.
    pub summary: String,
    /// Latest details.
    pub details: Value,
    /// Current state.
    pub state: ExceptionState,
    /// How many times it was raised while unresolved: a recurrence bumps this and
    /// `last_seen` instead of adding a history entry.
    pub occurrences: u32,
    /// First raised.
    pub created_at: OffsetDateTime,
    /// Last change of any kind.
    pub updated_at: OffsetDateTime,
    /// Last raised.
    pub last_seen: OffsetDateTime,
}

/// One entry of an exception's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionHistoryEntry {
    /// Store-assigned id; increases with insertion order (a page cursor).
    pub id: i64,
    /// When.
    pub at: OffsetDateTime,
    /// Who: a user name, or `selvedge` for the host itself.
    pub actor: String,
    /// What: `raised`, `raised_again` (re-opened after a retry), `retrying`, `resolved`.
    pub action: String,
    /// Free text.
    pub note: Option<String>,
}

/// Outcome of raising an exception.
#[derive(Debug, Clone, PartialEq)]
pub struct Raised {
    /// The stored exception.
    pub exception: ExceptionRecord,
    /// `false` when an unresolved exception with the same (client, kind, subject) existed and
    /// was bumped instead of a new one being created.
    pub created: bool,
}

/// Filters for [`Exceptions::list_exceptions`]; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExceptionFilter {
    /// Only this client.
    pub client: Option<String>,
    /// Only this state.
    pub state: Option<ExceptionState>,
    /// Only this owner team.
    pub owner: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
}

/// Number of exceptions per owner and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionCount {
    /// Owner team.
    pub owner: String,
    /// Kind.
    pub kind: String,
    /// How many.
    pub count: u64,
}

/// The exception queue.
pub trait Exceptions: Send + Sync {
    /// Raises an exception. If an unresolved one with the same (client, kind, subject)
    /// exists, it is not duplicated: its summary, details and owner are refreshed, its
    /// `occurrences` and `last_seen` bumped, and it goes back to `open`. Only that change of
    /// state (from `retrying`) adds a history entry: a recurrence of an open exception is
    /// counted, not logged, so a problem seen every minute does not grow the history.
    fn raise_exception<'a>(
        &'a self,
        exception: NewException,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, Raised>;

    /// Exceptions matching the filter, most recently seen first.
    fn list_exceptions<'a>(
        &'a self,
        filter: &'a ExceptionFilter,
        page: Page,
    ) -> StoreFuture<'a, Vec<ExceptionRecord>>;

    /// An exception with its history, oldest entry first.
    fn exception<'a>(
        &'a self,
        id: i64,
    ) -> StoreFuture<'a, Option<(ExceptionRecord, Vec<ExceptionHistoryEntry>)>>;

    /// An exception with a page of its history, oldest first: at most `limit` entries with
    /// an id greater than `after`.
    fn exception_page<'a>(
        &'a self,
        id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreFuture<'a, Option<(ExceptionRecord, Vec<ExceptionHistoryEntry>)>>;

    /// Marks an unresolved exception `retrying` (a person asked for another try).
    fn mark_exception_retrying<'a>(
        &'a self,
        id: i64,
        actor: &'a str,
        note: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ExceptionRecord>;

    /// Resolves an exception with a note. Resolving a resolved exception is a no-op.
    fn resolve_exception<'a>(
        &'a self,
        id: i64,
        actor: &'a str,
        note: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ExceptionRecord>;

    /// Counts of exceptions in `state`, grouped by owner and kind, for one client or all.
    fn exception_counts<'a>(
        &'a self,
        client: Option<&'a str>,
        state: ExceptionState,
    ) -> StoreFuture<'a, Vec<ExceptionCount>>;
}
