//! Durable state of the Selvedge host.
//!
//! The contract is a set of small object-safe traits, one per entity (SKU bindings, pushed
//! stock, published prices, job queue, order and refund ledgers, cursors, exceptions, decision
//! audit, sync runs, plugin versions) plus [`Retention`]. [`Store`] bundles them so the host can pass one `Arc<dyn Store>` around,
//! while a flow that needs only the queue can take an `Arc<dyn JobQueue>` (trait upcasting).
//!
//! Methods return [`StoreFuture`], a boxed `Send` future: `async fn` in traits is not
//! dyn-compatible, and one allocation per database round trip is negligible. Nothing in the
//! contract assumes SQLite: keys are strings, timestamps are [`OffsetDateTime`] (stored with
//! millisecond precision), JSON is [`serde_json::Value`]. This crate holds no database driver:
//! `selvedge-store-sqlite` (the embedded default) and `selvedge-store-postgres` (shared by
//! several hosts) implement the traits, and `suite/` is the one test suite both must pass.
//!
//! Every record is scoped by `client`: several clients share one host.

#![warn(missing_docs)]

pub mod access;
mod error;
pub mod timestamp;

pub mod catalog;
pub mod cluster;
pub mod control;
pub mod cursors;
pub mod decisions;
pub mod exceptions;
pub mod jobs;
pub mod orders;
pub mod oversells;
pub mod overview;
pub mod plugin_calls;
pub mod plugins;
pub mod prices;
pub mod refunds;
pub mod retention;
pub mod rows;
pub mod runs;
pub mod stock;

use std::future::Future;
use std::pin::Pin;

pub use access::{Access, ApiToken, AuditEntry, AuditRecord};
pub use catalog::{Bindings, SkuBinding};
pub use cluster::{Cluster, HostRecord, LeaseTake};
pub use control::{ALL_FLOWS, Pause, RunControl, RunRequest};
pub use cursors::Cursors;
pub use decisions::{Decision, DecisionAudit, DecisionRecord};
pub use error::StoreError;
pub use exceptions::{
    ExceptionCount, ExceptionFilter, ExceptionHistoryEntry, ExceptionRecord, ExceptionState,
    Exceptions, NewException, Raised,
};
pub use jobs::{
    DueWork, Enqueued, FailAction, Job, JobKindStats, JobLease, JobQueue, JobState, NewJob,
};
pub use orders::{
    ErpSnapshot, Injection, OrderKey, OrderLedger, OrderRecord, OrderState, SoldUnits,
};
pub use oversells::{Oversell, Oversells};
pub use overview::{OrderOutcomes, Overview, TeamExceptions};
pub use plugin_calls::{NewShadowRun, PluginCall, PluginCallSummary, PluginCalls, ShadowRun};
pub use plugins::{PluginComponent, PluginVersionRecord, PluginVersions};
pub use prices::{PublishedPrice, PublishedPrices};
pub use refunds::{NewRefund, RefundLedger, RefundRecord, RefundState};
pub use retention::{
    PurgeReport, PurgeRun, PurgedBatch, Reclaimed, Retention, RetentionAges, RetentionRule, Step,
    TimeUnit,
};
pub use runs::{Measurements, RunStatus, SyncRun, SyncRuns};
pub use stock::{PushedStock, PushedStockStore};
pub use time::OffsetDateTime;

/// Result of every store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// The future every store method returns: boxed so the traits stay usable as `dyn`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// What the writer has done since the store opened: `writes / commits` is the average
/// group size (how many writes one fsync made durable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    /// Writes run (committed or rolled back).
    pub writes: u64,
    /// Transactions committed.
    pub commits: u64,
}

/// Where a database's schema stands against the migrations this binary carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Highest migration applied; `None` for a database never opened by Selvedge.
    pub applied: Option<i64>,
    /// Highest migration this binary carries.
    pub known: i64,
}

impl SchemaStatus {
    /// Refuses a schema newer than the binary knows.
    pub fn check(self) -> Result<Self, StoreError> {
        match self.applied {
            Some(found) if found > self.known => Err(StoreError::SchemaTooNew {
                found,
                known: self.known,
            }),
            _ => Ok(self),
        }
    }

    /// Migrations that opening the database would apply.
    pub fn pending(self) -> i64 {
        (self.known - self.applied.unwrap_or(0)).max(0)
    }
}

impl std::fmt::Display for SchemaStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.applied {
            Some(applied) => write!(f, "schema {applied} of {}", self.known)?,
            None => write!(f, "no schema yet, {} known", self.known)?,
        }
        write!(f, ", {} pending", self.pending())
    }
}

/// Called when a job is enqueued (see [`Backend::on_new_jobs`]).
pub type JobWaker = std::sync::Arc<dyn Fn() + Send + Sync>;

/// What every backend answers about itself.
pub trait Backend {
    /// `sqlite` or `postgres`, for logs and `selvedge check`.
    fn backend_name(&self) -> &'static str;

    /// How the backend's writes are going, for metrics. Backends without group commit answer
    /// `None`.
    fn write_stats(&self) -> Option<WriterStats> {
        None
    }

    /// Finishes what was queued and closes the connections; later calls fail with
    /// [`StoreError::Closed`].
    fn close(&self) -> StoreFuture<'_, ()>;

    /// Calls `wake` whenever a job is enqueued through any handle on this store, another
    /// host's included, so an idle host starts at once instead of at its next poll. Where the
    /// store serves one host it does nothing: the host wakes its own engine.
    fn on_new_jobs(&self, wake: JobWaker) -> StoreFuture<'_, ()> {
        let _ = wake;
        Box::pin(async { Ok(()) })
    }
}

/// All durable state of the host, as one object: `Arc<dyn Store>`.
pub trait Store:
    Bindings
    + PushedStockStore
    + PublishedPrices
    + JobQueue
    + OrderLedger
    + RefundLedger
    + Cursors
    + Exceptions
    + DecisionAudit
    + SyncRuns
    + PluginVersions
    + PluginCalls
    + Oversells
    + Access
    + RunControl
    + Overview
    + Retention
    + Cluster
    + Backend
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: Bindings
        + PushedStockStore
        + PublishedPrices
        + JobQueue
        + OrderLedger
        + RefundLedger
        + Cursors
        + Exceptions
        + DecisionAudit
        + SyncRuns
        + PluginVersions
        + PluginCalls
        + Oversells
        + Access
        + RunControl
        + Overview
        + Retention
        + Cluster
        + Backend
        + Send
        + Sync
{
}

/// A page of a listing: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Maximum number of rows returned.
    pub limit: u32,
    /// Rows skipped from the start of the ordering.
    pub offset: u32,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: 100,
            offset: 0,
        }
    }
}

/// One recorded state change of a ledger record (order or refund).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition<S> {
    /// State before the change; `None` for the first record.
    pub from: Option<S>,
    /// State after the change.
    pub to: S,
    /// Why, e.g. the error that sent an order to `exception`.
    pub note: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

/// Declares a string-backed state enum with `as_str` and a fallible parse for values read back.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// The stored (and serialized) name of this value.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses a stored name; an unknown name means the data is not ours or is corrupt.
            pub fn parse(text: &str) -> Result<Self, crate::StoreError> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    other => Err(crate::StoreError::Corrupt(format!(
                        "unknown {} `{other}`", stringify!($name)
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;
