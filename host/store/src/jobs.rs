//! Durable job queue: webhook-received orders, refunds and other effects.
//!
//! Delivery is at least once. A job is `queued` until claimed; a claim marks it `running`,
//! counts the attempt and sets a lease. The worker then completes it (`done`), fails it
//! (back to `queued` at a retry time, or `dead` when it gives up), or crashes, in which case
//! [`JobQueue::rescue_expired_leases`] returns it to the queue once the lease expires.

use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;

use crate::{StoreFuture, text_enum};

text_enum! {
    /// Where a job is in its life.
    JobState {
        /// Waiting for `run_at`, then for a worker.
        Queued = "queued",
        /// Claimed by a worker whose lease has not been rescued.
        Running = "running",
        /// Completed; `result` holds what the worker reported.
        Done = "done",
        /// Given up: the caller files an exception.
        Dead = "dead",
        /// Cancelled by a person while queued: never claimed, and never re-armed by an event
        /// (a storefront's status update); `last_error` holds who and why.
        Cancelled = "cancelled",
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// Client the job belongs to.
    pub client: String,
    /// What to do (e.g. `order.inject`, `refund.post`).
    pub kind: String,
    /// Unique per (client, kind): the webhook's delivery or resource id. A second enqueue
    /// with the same key is dropped and returns the first job.
    pub idempotency_key: String,
    /// Input of the job.
    pub payload: Value,
    /// Earliest time a worker may claim it.
    pub run_at: OffsetDateTime,
    /// Claims allowed before a job whose lease keeps expiring (its worker keeps crashing)
    /// goes `dead` on rescue.
    pub max_attempts: u32,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Store-assigned id, never reused.
    pub id: i64,
    /// Client the job belongs to.
    pub client: String,
    /// What to do.
    pub kind: String,
    /// De-duplication key (unique per client and kind).
    pub idempotency_key: String,
    /// Input of the job.
    pub payload: Value,
    /// Current state.
    pub state: JobState,
    /// Claims so far, counted at claim time.
    pub attempts: u32,
    /// See [`NewJob::max_attempts`].
    pub max_attempts: u32,
    /// Claims that ended in a snooze (a wait, not a failure): they do not count against
    /// `max_attempts`, while `attempts` still grows so old leases stay fenced.
    pub snoozes: u32,
    /// Earliest next claim.
    pub run_at: OffsetDateTime,
    /// End of the current lease while `running`.
    pub lease_until: Option<OffsetDateTime>,
    /// Error of the last failed attempt.
    pub last_error: Option<String>,
    /// What the worker reported on completion.
    pub result: Option<Value>,
    /// When it was enqueued.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

impl Job {
    /// The lease a worker holds after claiming this job; pass it to complete or fail.
    pub fn lease(&self) -> JobLease {
        JobLease {
            job_id: self.id,
            attempt: self.attempts,
        }
    }

    /// Claims that counted against `max_attempts` (snoozes excluded).
    pub fn attempts_used(&self) -> u32 {
        self.attempts.saturating_sub(self.snoozes)
    }
}

/// Queue health of one job kind (`order.inject/acme`), for metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct JobKindStats {
    /// Client the jobs belong to.
    pub client: String,
    /// The kind.
    pub kind: String,
    /// Jobs waiting (`queued`), due or not.
    pub queued: u64,
    /// Jobs claimed and running.
    pub running: u64,
    /// Seconds the oldest due job has waited past its `run_at` (0 when none is due).
    pub oldest_due_seconds: f64,
    /// Most attempts used (snoozes excluded) by a waiting or running job.
    pub max_attempts_used: u32,
}

/// Queued work that is due now, per client and kind (what the dispatcher reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueWork {
    /// Client the jobs belong to.
    pub client: String,
    /// Their kind.
    pub kind: String,
    /// How many are claimable now.
    pub ready: u64,
}

/// Proof of a claim: the job and the attempt number it was claimed as. The attempt number
/// is a fencing token: once the job is claimed again, the old lease no longer matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobLease {
    /// The job.
    pub job_id: i64,
    /// The attempt this lease was issued for.
    pub attempt: u32,
}

/// Outcome of an enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct Enqueued {
    /// The stored job: the new one, or the existing one for a duplicate key.
    pub job: Job,
    /// `false` when the key already existed and nothing was written.
    pub created: bool,
}

/// What to do with a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailAction {
    /// Queue it again, claimable from this time (the caller computes backoff and jitter).
    RetryAt(OffsetDateTime),
    /// Stop: the job goes `dead` and the caller files an exception.
    GiveUp,
}

/// The durable job queue.
pub trait JobQueue: Send + Sync {
    /// Adds a job, or returns the existing one if (client, kind, idempotency_key) exists.
    fn enqueue<'a>(&'a self, job: NewJob, now: OffsetDateTime) -> StoreFuture<'a, Enqueued>;

    /// Claims up to `limit` queued jobs of the given kinds whose `run_at <= now`, oldest
    /// first: marks them `running`, increments `attempts` and sets `lease_until = now +
    /// lease`. A job is handed to one claimer only. An empty `kinds` claims nothing.
    fn claim<'a>(
        &'a self,
        kinds: &'a [&'a str],
        limit: u32,
        lease: Duration,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<Job>>;

    /// Marks the job `done` with its result. Accepted while the job is `running` or
    /// `queued` at this lease's attempt, i.e. even if the lease expired and the job was
    /// rescued, as long as nobody claimed it again (the work is done, so it is not run
    /// again). Otherwise, including when a rescue sent it `dead`, the answer is
    /// [`crate::StoreError::LeaseLost`]. Completing again with the same lease is a no-op.
    fn complete<'a>(
        &'a self,
        lease: JobLease,
        result: Value,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job>;

    /// Records a failed attempt: back to the queue at a retry time, or `dead`. Same lease
    /// rule as [`JobQueue::complete`]; giving up again with the same lease is a no-op.
    fn fail<'a>(
        &'a self,
        lease: JobLease,
        error: &'a str,
        action: FailAction,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job>;

    /// Puts a claimed job back in the queue until `run_at` without using up its attempts
    /// (the claim is counted in `snoozes`, so `max_attempts` stays as set): for work that is waiting on
    /// someone else, not failing (River calls it snoozing). Same lease rule as
    /// [`JobQueue::fail`]; snoozing again with the same lease is a no-op.
    fn snooze<'a>(
        &'a self,
        lease: JobLease,
        note: &'a str,
        run_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job>;

    /// Returns `running` jobs of the given kinds whose lease ended before `now` to the queue
    /// (claimable at once), or to `dead` if they used all their attempts. Returns the jobs it
    /// changed, in their new state, so the worker that owns those kinds can file the dead
    /// ones as exceptions. A job completed concurrently is never touched: the check of state
    /// and lease and the update are one atomic statement.
    fn rescue_expired_leases<'a>(
        &'a self,
        kinds: &'a [&'a str],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<Job>>;

    /// A job by id.
    fn job<'a>(&'a self, id: i64) -> StoreFuture<'a, Option<Job>>;

    /// A job by its de-duplication key.
    fn job_by_key<'a>(
        &'a self,
        client: &'a str,
        kind: &'a str,
        idempotency_key: &'a str,
    ) -> StoreFuture<'a, Option<Job>>;

    /// Cancels job `job_id` if it is `queued`, with `note` (who and why) as its last error.
    /// A job in any other state is returned unchanged (one running is its worker's to
    /// finish); `None` when there is no such job.
    fn cancel_job<'a>(
        &'a self,
        job_id: i64,
        note: &'a str,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Option<Job>>;

    /// A client's jobs, newest first, in `state` if given: at most `limit`, with ids below
    /// `before` when given (the next page).
    fn list_jobs<'a>(
        &'a self,
        client: &'a str,
        state: Option<JobState>,
        limit: u32,
        before: Option<i64>,
    ) -> StoreFuture<'a, Vec<Job>>;

    /// Jobs of a client and kind that are not finished (`queued` or `running`).
    fn queue_depth<'a>(&'a self, client: &'a str, kind: &'a str) -> StoreFuture<'a, u64>;

    /// Extends the leases of jobs a worker still runs to `now + lease` (a heartbeat).
    /// Returns the leases still held: a job rescued or claimed again since is left alone,
    /// and its worker must stop before any further effect.
    fn heartbeat<'a>(
        &'a self,
        leases: &'a [JobLease],
        lease: Duration,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<JobLease>>;

    /// Whether `lease` is still the job's current claim and unexpired at `now`: checked
    /// right before an effect that must not happen twice.
    fn lease_held<'a>(&'a self, lease: JobLease, now: OffsetDateTime) -> StoreFuture<'a, bool>;

    /// Claimable work per (client, kind) among `kinds` (prefix match: `order.inject` matches
    /// `order.inject/acme`), for a dispatcher that serves many clients fairly.
    fn due_work<'a>(
        &'a self,
        kind_prefixes: &'a [&'a str],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<DueWork>>;

    /// Queue health per (client, kind) of the unfinished jobs, read at metrics scrape time.
    fn job_kind_stats<'a>(&'a self, now: OffsetDateTime) -> StoreFuture<'a, Vec<JobKindStats>>;

    /// Re-arms an existing job (an exception retried, an order whose status changed): a
    /// `done`, `dead` or `queued` job becomes `queued` at `run_at` with `extra_attempts` more
    /// claims allowed than it has used, and `payload` instead of its own when given (what
    /// re-armed it, e.g. the new order status). A `running` job takes the payload and is
    /// queued once more when that run completes (a status update during the injection is
    /// acted on, not lost). The same job, never a second one, so every effect keeps its one
    /// idempotency key.
    fn rearm<'a>(
        &'a self,
        job_id: i64,
        run_at: OffsetDateTime,
        extra_attempts: u32,
        payload: Option<Value>,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job>;
}
