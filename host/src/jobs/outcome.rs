//! How one attempt of a job ends: the single place every worker settles a claimed job, so
//! attempt accounting, lease fencing and the outcome counters are the engine's, not each
//! flow's.

use std::time::Duration;

use selvedge_store::{FailAction, Job, JobQueue, StoreError};
use serde_json::Value;
use time::OffsetDateTime;

/// What an attempt ended with.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The effect happened (or was found already done); the job is finished with `result`.
    Done(Value),
    /// Failed for now: claimable again after `delay` (computed with [`super::kinds::backoff`],
    /// jitter included). The attempt counts.
    RetryAfter { delay: Duration, error: String },
    /// Waiting on someone else (an ERP that has not posted a memo, an incomplete checkout):
    /// claimable again at `until`. The attempt does not count against the limit.
    SnoozeUntil { until: OffsetDateTime, note: String },
    /// Never going to work: the job is dead; the worker files the exception.
    GiveUp { error: String },
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Done(_) => "done",
            Outcome::RetryAfter { .. } => "retry",
            Outcome::SnoozeUntil { .. } => "snooze",
            Outcome::GiveUp { .. } => "give_up",
        }
    }
}

/// Ends `job`'s current attempt with `outcome`, fenced by its lease: a worker whose job was
/// rescued and claimed again gets [`StoreError::LeaseLost`] and changes nothing.
pub async fn settle(store: &dyn JobQueue, job: &Job, outcome: Outcome) -> Result<Job, StoreError> {
    let now = OffsetDateTime::now_utc();
    count_outcome(job, outcome.label());
    match outcome {
        Outcome::Done(result) => store.complete(job.lease(), result, now).await,
        Outcome::RetryAfter { delay, error } => {
            store
                .fail(job.lease(), &error, FailAction::RetryAt(now + delay), now)
                .await
        }
        Outcome::SnoozeUntil { until, note } => store.snooze(job.lease(), &note, until, now).await,
        Outcome::GiveUp { error } => {
            store
                .fail(job.lease(), &error, FailAction::GiveUp, now)
                .await
        }
    }
}

/// Counts an attempt's outcome (`done`, `retry`, `snooze`, `give_up`) for a job that a flow
/// settles in a write of its own (an order's injection completes its job with the ledger).
pub fn count_outcome(job: &Job, outcome: &'static str) {
    let family = job.kind.split('/').next().unwrap_or(&job.kind).to_string();
    metrics::counter!("selvedge_job_outcomes_total", "kind" => family, "outcome" => outcome)
        .increment(1);
}
