//! Runs every client's flows on their schedules.
//!
//! Per (client, flow) there is one runner task, so one run at a time. Triggers (cron ticks,
//! a new ERP cycle, a missed run found at start, a manual request) only *request* a run:
//! requests coalesce into at most one pending run ([`tokio::sync::Notify`] keeps a single
//! permit), so runs missed while a slow run was going are caught up once, never stacked.
//! Every run is recorded in the store's sync runs with its measurements. A run that fails,
//! or panics, is recorded as failed; other flows and clients carry on.

pub mod clock;
mod triggers;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use selvedge_store::{Measurements, RunStatus, Store};
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinSet;

pub use clock::{BoxFuture, Clock, ManualClock, SystemClock};
pub use triggers::{Cycle, CycleSource, ErpCycles};

use crate::cluster::Membership;
use crate::config::CompiledSchedule;
use crate::flows::{FlowError, FlowKind, FlowReport};

/// Runs one flow for one client. The host's implementation dispatches to the flow modules.
pub trait FlowRunner: Send + Sync {
    /// Whether this host can run `flow` for `client` (flows still being built are skipped).
    fn supports(&self, client: &str, flow: FlowKind) -> bool;
    /// Runs it once.
    fn run(
        &self,
        client: &str,
        flow: FlowKind,
    ) -> BoxFuture<'static, Result<FlowReport, FlowError>>;
}

/// One client's schedules.
#[derive(Clone)]
pub struct ClientSchedule {
    /// Client id.
    pub client: String,
    /// Time zone its cron patterns are read in.
    pub time_zone: jiff::tz::TimeZone,
    /// Flow schedules.
    pub schedules: Vec<CompiledSchedule>,
    /// How often the ERP cycle status is polled (for `after_erp_cycle`).
    pub erp_poll: Duration,
    /// Where cycle completions are read from.
    pub cycles: Arc<dyn CycleSource>,
}

/// What happened, for progress displays and logs.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// A run started.
    Started {
        /// Client.
        client: String,
        /// Flow.
        flow: FlowKind,
        /// What asked for it.
        reason: String,
    },
    /// A run finished.
    Finished {
        /// Client.
        client: String,
        /// Flow.
        flow: FlowKind,
        /// The flow's summary, or the error of a failed run.
        outcome: Result<String, String>,
        /// How long it took.
        elapsed: Duration,
        /// What it measured.
        measurements: Measurements,
    },
}

/// A run request for one (client, flow): coalescing, with the reason of the latest request.
struct Slot {
    notify: Notify,
    reason: std::sync::Mutex<String>,
}

impl Slot {
    fn request(&self, reason: &str) {
        if let Ok(mut r) = self.reason.lock() {
            *r = reason.to_string();
        }
        self.notify.notify_one();
    }
}

type Slots = Arc<BTreeMap<(String, FlowKind), Arc<Slot>>>;

/// The running scheduler. Dropping it without [`SchedulerHandle::shutdown`] aborts every task.
pub struct SchedulerHandle {
    tasks: JoinSet<()>,
    stop: watch::Sender<bool>,
    slots: Slots,
    events: broadcast::Sender<RunEvent>,
}

/// Asks a running scheduler for runs; cheap to clone (run control holds one).
#[derive(Clone)]
pub struct Triggers(Slots);

impl Triggers {
    /// As [`SchedulerHandle::trigger`].
    pub fn trigger(&self, client: &str, flow: FlowKind, reason: &str) -> bool {
        match self.0.get(&(client.to_string(), flow)) {
            Some(slot) => {
                slot.request(reason);
                true
            }
            None => false,
        }
    }
}

impl SchedulerHandle {
    /// A handle that triggers runs while this scheduler runs.
    pub fn triggers(&self) -> Triggers {
        Triggers(self.slots.clone())
    }

    /// Progress events from now on.
    pub fn events(&self) -> broadcast::Receiver<RunEvent> {
        self.events.subscribe()
    }

    /// Requests a run of `flow` for `client` now (coalesced like any trigger). Returns
    /// `false` if that flow is not scheduled for the client.
    pub fn trigger(&self, client: &str, flow: FlowKind, reason: &str) -> bool {
        match self.slots.get(&(client.to_string(), flow)) {
            Some(slot) => {
                slot.request(reason);
                true
            }
            None => false,
        }
    }

    /// Stops triggering, lets runs in flight finish for up to `grace`, then aborts the rest
    /// (an aborted run stays `running` and is closed as failed at the next start).
    pub async fn shutdown(mut self, grace: Duration) {
        self.stop.send_replace(true);
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, drain).await.is_err() {
            tracing::warn!("runs still going after the grace period were stopped");
            self.tasks.abort_all();
        }
    }
}

/// Starts the schedules.
pub struct Scheduler {
    /// Where runs are recorded.
    pub store: Arc<dyn Store>,
    /// What runs a flow.
    pub runner: Arc<dyn FlowRunner>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Runs in flight at once across every client and flow (0 = no cap). Every client's
    /// schedules tick together (one ERP cycle, the same cron minute), and each run holds its
    /// own working set: the cap keeps a host of many clients at a few runs' memory, while the
    /// queue behind it drains in order.
    pub max_concurrent_runs: usize,
    /// Where several hosts share the store: this host runs only the clients it owns, each run
    /// under a store lease, and takes over the clients of a host that leaves.
    pub cluster: Option<Arc<Membership>>,
    /// Pauses an operator holds: a paused flow's runs are skipped.
    pub pauses: Option<Arc<crate::control::Pauses>>,
}

impl Scheduler {
    /// Starts one runner per scheduled (client, flow) the runner supports, plus the cron and
    /// ERP-cycle triggers. Flows the runner does not support are logged and skipped.
    pub fn start(self, clients: Vec<ClientSchedule>) -> SchedulerHandle {
        let (stop, _) = watch::channel(false);
        let (events, _) = broadcast::channel(1024);
        let permits = (self.max_concurrent_runs > 0)
            .then(|| Arc::new(tokio::sync::Semaphore::new(self.max_concurrent_runs)));
        let mut tasks = JoinSet::new();
        let mut slots = BTreeMap::new();
        for client in &clients {
            for schedule in &client.schedules {
                if !self.runner.supports(&client.client, schedule.flow) {
                    tracing::warn!(client = %client.client, flow = %schedule.flow, "flow not available in this build; schedule skipped");
                    continue;
                }
                let slot = Arc::new(Slot {
                    notify: Notify::new(),
                    reason: std::sync::Mutex::new(String::new()),
                });
                slots.insert((client.client.clone(), schedule.flow), slot.clone());
                tasks.spawn(run_loop(
                    RunCtx {
                        client: client.client.clone(),
                        flow: schedule.flow,
                        store: self.store.clone(),
                        runner: self.runner.clone(),
                        events: events.clone(),
                        permits: permits.clone(),
                        cluster: self.cluster.clone(),
                        pauses: self.pauses.clone(),
                    },
                    slot.clone(),
                    stop.subscribe(),
                ));
                if let Some(cron) = &schedule.cron {
                    tasks.spawn(triggers::cron_loop(triggers::CronTrigger {
                        client: client.client.clone(),
                        flow: schedule.flow,
                        cron: cron.clone(),
                        initial_run: schedule.initial_run,
                        time_zone: client.time_zone.clone(),
                        clock: self.clock.clone(),
                        store: self.store.clone(),
                        slot: {
                            let slot = slot.clone();
                            Arc::new(move |reason: &str| slot.request(reason))
                        },
                        stop: stop.subscribe(),
                    }));
                }
            }
            let cycle_flows: Vec<Arc<Slot>> = client
                .schedules
                .iter()
                .filter(|s| s.after_erp_cycle)
                .filter_map(|s| slots.get(&(client.client.clone(), s.flow)).cloned())
                .collect();
            let first_cycle_flow = client
                .schedules
                .iter()
                .find(|s| s.after_erp_cycle)
                .map(|s| s.flow);
            if let Some(flow) = first_cycle_flow
                && !cycle_flows.is_empty()
            {
                tasks.spawn(triggers::cycle_loop(triggers::CycleTrigger {
                    client: client.client.clone(),
                    flow,
                    poll: client.erp_poll,
                    cycles: client.cycles.clone(),
                    clock: self.clock.clone(),
                    store: self.store.clone(),
                    request: Arc::new(move |reason: &str| {
                        cycle_flows.iter().for_each(|s| s.request(reason))
                    }),
                    stop: stop.subscribe(),
                }));
            }
        }
        let slots = Arc::new(slots);
        if let Some(cluster) = &self.cluster {
            tasks.spawn(take_over(cluster.clone(), slots.clone(), stop.subscribe()));
        }
        SchedulerHandle {
            tasks,
            stop,
            slots,
            events,
        }
    }
}

struct RunCtx {
    client: String,
    flow: FlowKind,
    store: Arc<dyn Store>,
    runner: Arc<dyn FlowRunner>,
    events: broadcast::Sender<RunEvent>,
    permits: Option<Arc<tokio::sync::Semaphore>>,
    cluster: Option<Arc<Membership>>,
    pauses: Option<Arc<crate::control::Pauses>>,
}

/// When membership changes, every flow of a client this host has just come to own runs once:
/// the host that owned it may have died mid-schedule.
async fn take_over(cluster: Arc<Membership>, slots: Slots, mut stop: watch::Receiver<bool>) {
    let mut live = cluster.live_hosts();
    let mut owned: std::collections::BTreeSet<String> = slots
        .keys()
        .map(|(client, _)| client.clone())
        .filter(|c| cluster.owns(c))
        .collect();
    loop {
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return,
            changed = live.changed() => if changed.is_err() { return },
        }
        for ((client, flow), slot) in slots.iter() {
            let mine = cluster.owns(client);
            if mine && !owned.contains(client) {
                tracing::info!(%client, %flow, host = %cluster.host_id(), "taking over a client from a host that left");
                slot.request("taken over from a host that left");
            }
        }
        owned = slots
            .keys()
            .map(|(client, _)| client.clone())
            .filter(|c| cluster.owns(c))
            .collect();
    }
}

async fn run_loop(ctx: RunCtx, slot: Arc<Slot>, mut stop: watch::Receiver<bool>) {
    loop {
        // Biased: once stopping, a pending trigger never starts another run.
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return,
            _ = slot.notify.notified() => {}
        }
        if *stop.borrow() {
            return;
        }
        // Wait for a host-wide run slot; a stop while waiting starts nothing.
        let _permit = match &ctx.permits {
            Some(permits) => tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => return,
                p = permits.clone().acquire_owned() => match p {
                    Ok(p) => Some(p),
                    Err(_) => return,
                },
            },
            None => None,
        };
        let reason = slot.reason.lock().map(|r| r.clone()).unwrap_or_default();
        if let Some(pauses) = &ctx.pauses {
            // Read at the moment of the run: a pause made on another host a second ago holds.
            if let Err(e) = pauses.refresh().await {
                tracing::warn!(error = %e, "cannot read the pauses; using the last ones read");
            }
            if let Some(p) = pauses.paused(&ctx.client, ctx.flow.as_str()) {
                tracing::info!(client = %ctx.client, flow = %ctx.flow, paused_by = %p.by, %reason, "run skipped: paused");
                continue;
            }
        }
        match &ctx.cluster {
            None => run_once(&ctx, &reason).await,
            Some(cluster) => run_leased(&ctx, cluster, &reason).await,
        }
    }
}

/// One run on a host of a cluster: only for a client this host owns, and only under the
/// store lease of (client, flow), renewed while the run goes and released once it is
/// recorded, so no two hosts run one client's flow at once.
async fn run_leased(ctx: &RunCtx, cluster: &Arc<Membership>, reason: &str) {
    let (client, flow) = (ctx.client.as_str(), ctx.flow);
    if !cluster.owns(client) {
        tracing::debug!(%client, %flow, "another host schedules this client");
        return;
    }
    if !cluster.take_run(client, flow).await {
        tracing::debug!(%client, %flow, "another host is running this flow");
        return;
    }
    let renew = {
        let (cluster, client) = (cluster.clone(), client.to_string());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(cluster.lease() / 3).await;
                if !cluster.renew_run(&client, flow).await {
                    tracing::warn!(%client, %flow, "the run lease was lost while running");
                }
            }
        })
    };
    run_once(ctx, reason).await;
    renew.abort();
    cluster.release_run(client, flow).await;
}

/// One recorded run. The flow runs on its own task so a panic is caught and recorded.
async fn run_once(ctx: &RunCtx, reason: &str) {
    let (client, flow) = (ctx.client.as_str(), ctx.flow);
    let _ = ctx.events.send(RunEvent::Started {
        client: client.to_string(),
        flow,
        reason: reason.to_string(),
    });
    let run_id = match ctx
        .store
        .start_run(client, flow.as_str(), time::OffsetDateTime::now_utc())
        .await
    {
        Ok(id) => Some(id),
        Err(err) => {
            // Not recording is bad, but not syncing is worse: run anyway.
            tracing::error!(%client, %flow, %err, "cannot record the start of a run");
            None
        }
    };
    let started = Instant::now();
    let outcome = match tokio::spawn(ctx.runner.run(client, flow)).await {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(err)) => Err(err.to_string()),
        Err(join) => Err(format!("the flow panicked: {join}")),
    };
    let elapsed = started.elapsed();
    let (status, measurements, error, event_outcome) = match outcome {
        Ok(report) => {
            tracing::info!(%client, %flow, summary = %report.summary, ms = elapsed.as_millis() as u64, "run succeeded");
            (
                RunStatus::Succeeded,
                report.measurements,
                None,
                Ok(report.summary),
            )
        }
        Err(err) => {
            tracing::warn!(%client, %flow, error = %err, "run failed");
            (
                RunStatus::Failed,
                Measurements::default(),
                Some(err.clone()),
                Err(err),
            )
        }
    };
    if let Some(id) = run_id
        && let Err(err) = ctx
            .store
            .finish_run(
                id,
                status,
                &measurements,
                error.as_deref(),
                time::OffsetDateTime::now_utc(),
            )
            .await
    {
        tracing::error!(%client, %flow, %err, "cannot record the end of a run");
    }
    let _ = ctx.events.send(RunEvent::Finished {
        client: client.to_string(),
        flow,
        outcome: event_outcome,
        elapsed,
        measurements,
    });
}
