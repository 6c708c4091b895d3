//! What the all-clients overview reads, for every client at once: a few grouped queries
//! instead of several per client, so 500 clients stay one quick page.

use time::OffsetDateTime;

use crate::{StoreFuture, SyncRun};

/// A client's unresolved exceptions of one owner team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamExceptions {
    /// Client.
    pub client: String,
    /// Owner team.
    pub owner: String,
    /// Open and retrying.
    pub unresolved: u64,
    /// When the oldest of them was raised.
    pub oldest: OffsetDateTime,
}

/// A client's orders that ended since a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderOutcomes {
    /// Injected into the ERP.
    pub injected: u64,
    /// Ended in the exception queue.
    pub failed: u64,
}

/// Grouped reads for the overview.
pub trait Overview: Send + Sync {
    /// The newest finished run of every (client, flow) (a run in progress does not hide
    /// the failure before it), and the newest successful one.
    fn latest_runs_all(&self) -> StoreFuture<'_, (Vec<SyncRun>, Vec<SyncRun>)>;

    /// Unresolved exceptions per client and owner team.
    fn unresolved_by_team(&self) -> StoreFuture<'_, Vec<TeamExceptions>>;

    /// Orders injected or failed since `since`, per client.
    fn order_outcomes_since(
        &self,
        since: OffsetDateTime,
    ) -> StoreFuture<'_, Vec<(String, OrderOutcomes)>>;
}
