//! The job engine: one dispatcher for every durable job of every client on this host.
//!
//! Flows that own effects (orders into the ERP, refunds into credit memos) register a
//! [`Worker`] per (client, kind); the engine does the rest, once, for all of them:
//!
//! - **dispatch**: one read asks which (client, kind) pairs have due jobs; each pair gets at
//!   most `batches_per_kind` batches in flight (two: the next is claimed while one runs), and
//!   batches share a fixed number of slots. A client whose backlog waits on its ERP pacing
//!   holds two slots, never the slots another client needs;
//! - **claim** with the attempt counted at claim time (the store's fencing token);
//! - **heartbeats**: while a batch runs, its leases are extended every third of a lease, so
//!   a slow ERP call is never rescued and run a second time;
//! - **rescue** of expired leases (a crashed host's jobs), guarded in the store against a
//!   completion that raced it; a job that used every attempt goes to [`Worker::dead`], which
//!   files the flow's exception;
//! - **stop**: no new batch after the stop signal; the caller bounds how long batches in
//!   flight may finish, and anything cut short is rescued after a restart.

pub mod kinds;
pub mod outcome;
pub mod pacing;

pub use outcome::{Outcome, count_outcome, settle};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use selvedge_store::{Job, JobLease, Store};
use time::OffsetDateTime;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::flows::FlowError;
use crate::scheduler::BoxFuture;

/// What a batch did, for logs and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkOutcome {
    /// Jobs in the batch.
    pub claimed: usize,
    /// Jobs whose effect happened (or was found already done).
    pub done: usize,
    /// Jobs that went to the exception queue.
    pub exceptions: usize,
    /// Jobs scheduled again (retry or snooze).
    pub retried: usize,
}

/// The work of one job kind for one client.
pub trait Worker: Send + Sync + 'static {
    /// Jobs claimed per batch.
    fn batch_size(&self) -> u32;
    /// Lease per claim; heartbeats keep it alive while the batch runs.
    fn lease(&self) -> Duration;
    /// Works a claimed batch: every job's attempt ends through [`settle`] with an
    /// [`Outcome`] (done, retry-after, snooze-until, give-up) before this returns; a job left
    /// `running` is rescued once its lease expires.
    fn work(self: Arc<Self>, jobs: Vec<Job>) -> BoxFuture<'static, Result<WorkOutcome, FlowError>>;
    /// A job whose worker stopped on every attempt: file it where a person sees it.
    fn dead(self: Arc<Self>, job: Job) -> BoxFuture<'static, Result<(), FlowError>>;
}

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Batches in flight at once, across every client and kind.
    pub slots: usize,
    /// How often an idle engine looks for due jobs (an enqueue through [`EngineHandle::wake`]
    /// is seen at once).
    pub idle_poll: Duration,
    /// How often expired leases are rescued.
    pub rescue_every: Duration,
    /// Batches one (client, kind) may have in flight: two, so the next batch is claimed while
    /// one runs (the gap between batches otherwise bounds a client's throughput); the ERP
    /// limiter paces the writes either way.
    pub batches_per_kind: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            // Each (client, kind) holds at most two slots, so a paced backlog holds two; the
            // cap only bites past 128 busy client-kinds.
            slots: 256,
            idle_poll: Duration::from_millis(250),
            rescue_every: Duration::from_secs(5),
            batches_per_kind: 2,
        }
    }
}

/// `[jobs]` in `selvedge.toml`.
#[derive(Debug, Clone, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Batches in flight at once across every client.
    pub slots: usize,
    /// Batches one client may have in flight per kind.
    pub batches_per_kind: usize,
    /// How often an idle engine looks for due jobs, in milliseconds.
    pub idle_poll_ms: u64,
    /// How often expired leases are rescued, in milliseconds.
    pub rescue_every_ms: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        let d = EngineOptions::default();
        Self {
            slots: d.slots,
            batches_per_kind: d.batches_per_kind,
            idle_poll_ms: d.idle_poll.as_millis() as u64,
            rescue_every_ms: d.rescue_every.as_millis() as u64,
        }
    }
}

impl JobsConfig {
    /// The engine options this section describes.
    pub fn options(&self) -> EngineOptions {
        EngineOptions {
            slots: self.slots.max(1),
            idle_poll: Duration::from_millis(self.idle_poll_ms.max(1)),
            rescue_every: Duration::from_millis(self.rescue_every_ms.max(1)),
            batches_per_kind: self.batches_per_kind.max(1),
        }
    }
}

/// Builds the engine: register every worker, then [`Engine::spawn`].
pub struct Engine {
    store: Arc<dyn Store>,
    options: EngineOptions,
    workers: HashMap<String, Arc<dyn Worker>>,
    pauses: Option<Arc<crate::control::Pauses>>,
}

impl Engine {
    /// An engine with no workers yet.
    pub fn new(store: Arc<dyn Store>, options: EngineOptions) -> Self {
        Self {
            store,
            options,
            workers: HashMap::new(),
            pauses: None,
        }
    }

    /// Claims nothing for a paused client's flow: its jobs wait, queued, until it resumes.
    pub fn with_pauses(mut self, pauses: Arc<crate::control::Pauses>) -> Self {
        self.pauses = Some(pauses);
        self
    }

    /// Serves jobs of `kind` (the full kind, e.g. `order.inject/acme`) with `worker`.
    pub fn register(&mut self, kind: String, worker: Arc<dyn Worker>) {
        self.workers.insert(kind, worker);
    }

    /// Kinds served.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.workers.keys().map(String::as_str)
    }

    /// Starts dispatching until `stop` turns true.
    pub fn spawn(self, stop: watch::Receiver<bool>) -> EngineHandle {
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(dispatch(
            Arc::new(self.workers),
            self.store,
            self.options,
            (wake.clone(), self.pauses),
            stop,
        ));
        EngineHandle { wake, task }
    }
}

/// The running engine.
pub struct EngineHandle {
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl EngineHandle {
    /// A waker to call after enqueueing, so due work starts without waiting for a poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Waits for the engine to stop (after the stop signal) for at most `grace`; batches
    /// still running then are dropped, their jobs rescued after the next start.
    pub async fn join(self, grace: Duration) -> bool {
        let mut task = self.task;
        match tokio::time::timeout(grace, &mut task).await {
            Ok(_) => true,
            Err(_) => {
                task.abort();
                false
            }
        }
    }
}

/// Kind families served (`order.inject/acme` -> `order.inject`), for the due-work query.
fn families(workers: &HashMap<String, Arc<dyn Worker>>) -> Vec<String> {
    let set: HashSet<String> = workers
        .keys()
        .map(|k| k.split('/').next().unwrap_or(k).to_string())
        .collect();
    let mut v: Vec<String> = set.into_iter().collect();
    v.sort();
    v
}

async fn dispatch(
    workers: Arc<HashMap<String, Arc<dyn Worker>>>,
    store: Arc<dyn Store>,
    options: EngineOptions,
    (wake, pauses): (Arc<Notify>, Option<Arc<crate::control::Pauses>>),
    mut stop: watch::Receiver<bool>,
) {
    let families = families(&workers);
    let prefixes: Vec<&str> = families.iter().map(String::as_str).collect();
    let kinds: Vec<&str> = workers.keys().map(String::as_str).collect();
    let slots = Arc::new(Semaphore::new(options.slots.max(1)));
    let mut in_flight: HashMap<tokio::task::Id, String> = HashMap::new();
    let mut batches: JoinSet<()> = JoinSet::new();
    let mut last_rescue: Option<tokio::time::Instant> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        if last_rescue.is_none_or(|t| t.elapsed() >= options.rescue_every) {
            last_rescue = Some(tokio::time::Instant::now());
            rescue(&store, &workers, &kinds).await;
        }
        match store.due_work(&prefixes, OffsetDateTime::now_utc()).await {
            Ok(due) => {
                metrics::gauge!("selvedge_jobs_due")
                    .set(due.iter().map(|d| d.ready).sum::<u64>() as f64);
                for d in due {
                    let Some(worker) = workers.get(&d.kind) else {
                        continue;
                    };
                    if pauses
                        .as_ref()
                        .is_some_and(|p| p.paused_kind(&d.kind).is_some())
                    {
                        continue;
                    }
                    let busy = in_flight.values().filter(|k| **k == d.kind).count();
                    // As many batches as the ready jobs fill, up to the per-kind cap.
                    let batch = usize::try_from(worker.batch_size().max(1)).unwrap_or(1);
                    let ready = usize::try_from(d.ready).unwrap_or(usize::MAX);
                    let wanted = ready
                        .div_ceil(batch)
                        .min(options.batches_per_kind.max(1))
                        .saturating_sub(busy);
                    for _ in 0..wanted {
                        let handle = batches.spawn(run_batch(
                            store.clone(),
                            worker.clone(),
                            d.kind.clone(),
                            slots.clone(),
                            stop.clone(),
                        ));
                        in_flight.insert(handle.id(), d.kind.clone());
                    }
                }
            }
            Err(err) => tracing::warn!(%err, "job engine: cannot read due work"),
        }
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            Some(joined) = batches.join_next_with_id(), if !batches.is_empty() => {
                let id = match joined {
                    Ok((id, ())) => id,
                    Err(e) => {
                        tracing::error!(error = %e, "job batch panicked; its jobs are rescued when their leases expire");
                        e.id()
                    }
                };
                in_flight.remove(&id);
            }
            _ = wake.notified() => {}
            _ = tokio::time::sleep(options.idle_poll) => {}
        }
    }
    // Stopping: no new batch; those in flight finish (the caller bounds the wait).
    while batches.join_next().await.is_some() {}
}

/// Returns expired leases to the queue; hands jobs that used every attempt to their worker.
async fn rescue(
    store: &Arc<dyn Store>,
    workers: &HashMap<String, Arc<dyn Worker>>,
    kinds: &[&str],
) {
    let rescued = match store
        .rescue_expired_leases(kinds, OffsetDateTime::now_utc())
        .await
    {
        Ok(r) => r,
        Err(err) => {
            tracing::warn!(%err, "job engine: lease rescue failed");
            return;
        }
    };
    for job in rescued {
        metrics::counter!("selvedge_jobs_rescued_total").increment(1);
        if job.state != selvedge_store::JobState::Dead {
            continue;
        }
        metrics::counter!("selvedge_jobs_dead_total").increment(1);
        if let Some(worker) = workers.get(&job.kind) {
            let (id, kind) = (job.id, job.kind.clone());
            if let Err(err) = worker.clone().dead(job).await {
                tracing::error!(job_id = id, %kind, %err, "cannot file a dead job");
            }
        }
    }
}

/// One batch: claim, heartbeat while the worker runs, done.
async fn run_batch(
    store: Arc<dyn Store>,
    worker: Arc<dyn Worker>,
    kind: String,
    slots: Arc<Semaphore>,
    stop: watch::Receiver<bool>,
) {
    let Ok(_slot) = slots.acquire_owned().await else {
        return;
    };
    // A batch that waited for its slot past the stop signal claims nothing.
    if *stop.borrow() {
        return;
    }
    let lease = worker.lease();
    let jobs = match store
        .claim(
            &[kind.as_str()],
            worker.batch_size(),
            lease,
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(jobs) if !jobs.is_empty() => jobs,
        Ok(_) => return,
        Err(err) => {
            tracing::warn!(%kind, %err, "job engine: claim failed");
            return;
        }
    };
    metrics::counter!("selvedge_jobs_claimed_total").increment(jobs.len() as u64);
    let leases: Vec<JobLease> = jobs.iter().map(Job::lease).collect();
    let heartbeat = heartbeat(store.clone(), leases, lease);
    let work = worker.work(jobs);
    tokio::select! {
        outcome = work => match outcome {
            Ok(o) => tracing::debug!(%kind, claimed = o.claimed, done = o.done, exceptions = o.exceptions, retried = o.retried, "batch finished"),
            Err(err) => tracing::warn!(%kind, %err, "job batch failed; its jobs are retried when their leases expire"),
        },
        () = heartbeat => {}
    }
}

/// Extends `leases` every third of a lease, forever (the batch's end drops it).
async fn heartbeat(store: Arc<dyn Store>, leases: Vec<JobLease>, lease: Duration) {
    let every = (lease / 3).max(Duration::from_millis(10));
    let mut live = leases;
    loop {
        tokio::time::sleep(every).await;
        match store
            .heartbeat(&live, lease, OffsetDateTime::now_utc())
            .await
        {
            // Finished jobs drop out; a job rescued meanwhile is its worker's to notice.
            Ok(held) => live = held,
            Err(err) => tracing::warn!(%err, "job engine: heartbeat failed"),
        }
        if live.is_empty() {
            std::future::pending::<()>().await;
        }
    }
}
