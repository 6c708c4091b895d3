//! Sync runs: one record per flow run, with measurements for the dashboard.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{StoreFuture, text_enum};

text_enum! {
    /// Outcome of a run.
    RunStatus {
        /// Started, not finished (or the host stopped before finishing it).
        Running = "running",
        /// Finished and applied everything.
        Succeeded = "succeeded",
        /// Finished with an error.
        Failed = "failed",
    }
}

/// What a run measured; stored as JSON so flows can add fields without a migration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Measurements {
    /// Records read.
    pub records: Option<u64>,
    /// Records that changed and were written.
    pub changed: Option<u64>,
    /// Remote API calls made.
    pub api_calls: Option<u64>,
    /// Calls answered with a throttle (429) response.
    pub throttled: Option<u64>,
    /// ERP cycle the run consumed.
    pub erp_cycle_id: Option<String>,
    /// When that ERP cycle ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub erp_cycle_end: Option<OffsetDateTime>,
    /// When the storefront had the cycle's data.
    #[serde(with = "time::serde::rfc3339::option")]
    pub storefront_updated_at: Option<OffsetDateTime>,
    /// Anything else a flow measures.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Measurements {
    /// ERP cycle end to storefront update: the latency a client sees.
    pub fn cycle_latency(&self) -> Option<time::Duration> {
        Some(self.storefront_updated_at? - self.erp_cycle_end?)
    }
}

/// A stored run.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRun {
    /// Store-assigned id.
    pub id: i64,
    /// Client.
    pub client: String,
    /// Flow (e.g. `inventory`, `catalog`).
    pub flow: String,
    /// Start.
    pub started_at: OffsetDateTime,
    /// End, once finished.
    pub finished_at: Option<OffsetDateTime>,
    /// Outcome.
    pub status: RunStatus,
    /// What it measured.
    pub measurements: Measurements,
    /// Error of a failed run.
    pub error: Option<String>,
}

/// Sync run records.
pub trait SyncRuns: Send + Sync {
    /// Starts a run; returns its id.
    fn start_run<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, i64>;

    /// Finishes a running run. `status` must not be `running`; `error` is for failures.
    fn finish_run<'a>(
        &'a self,
        run_id: i64,
        status: RunStatus,
        measurements: &'a Measurements,
        error: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, SyncRun>;

    /// Latest runs of a client's flow, newest first.
    fn recent_runs<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
        limit: u32,
    ) -> StoreFuture<'a, Vec<SyncRun>> {
        self.runs_before(client, flow, None, limit)
    }

    /// A page of [`SyncRuns::recent_runs`]: runs with an id below `before` (the last id of
    /// the previous page), newest first.
    fn runs_before<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
        before: Option<i64>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<SyncRun>>;

    /// The latest successful run of a client's flow.
    fn last_successful_run<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
    ) -> StoreFuture<'a, Option<SyncRun>>;

    /// Marks runs still `running` as failed with `reason` (the host stopped mid-run); call
    /// at startup, before flows start. Returns how many were closed.
    fn fail_unfinished_runs<'a>(
        &'a self,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, u64>;

    /// Marks the runs of `client`'s `flow` still `running` as failed with `reason`: on a
    /// shared store, where other hosts' runs go on, the host that takes over a dead host's
    /// run lease closes what that host left. Returns how many were closed.
    fn fail_unfinished_runs_of<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, u64>;
}
