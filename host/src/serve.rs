//! Runs the host: scheduler, webhook and admin listeners, plugin hot-swap, progress output;
//! stops cleanly on Ctrl-C / SIGTERM or after a set duration.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::net::TcpListener;

use crate::app::App;
use crate::cluster::{Membership, default_host_id};
use crate::exit::CliError;
use crate::flows::orders::Injector;
use crate::flows::refunds::RefundWorker;
use crate::flows::resync::ResyncWorker;
use crate::http::webhook::{WebhookClient, WebhookState};
use crate::http::{AuthFailures, ListenerLimits};
use crate::runner::AppFlows;
use crate::scheduler::{
    ClientSchedule, ErpCycles, RunEvent, Scheduler, SchedulerHandle, SystemClock,
};
use crate::storefronts::bigcommerce::intake::IntakeClient;

/// How long work in flight gets to finish at shutdown: one deadline for the whole host.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How often run control reads the pauses and takes run-now requests.
const CONTROL_POLL: Duration = Duration::from_secs(1);

/// Listeners bound before the host starts (so a caller can learn their addresses first).
pub struct Listeners {
    /// Webhook endpoint.
    pub webhook: TcpListener,
    /// Admin endpoint.
    pub admin: TcpListener,
}

impl Listeners {
    /// Binds the addresses in the host config; a taken port is a config problem (exit 2).
    pub async fn bind(app_host: &crate::config::HostConfig) -> Result<Listeners, CliError> {
        let bind = |addr, key: &'static str| async move {
            TcpListener::bind(addr).await.map_err(|e| {
                CliError::bad_input(format!(
                    "selvedge.toml: `{key}` {addr} cannot be bound: {e}\n  fix: choose a free port or stop what uses it"
                ))
            })
        };
        Ok(Listeners {
            webhook: bind(app_host.webhook_listen, "webhook_listen").await?,
            admin: bind(app_host.admin_listen, "admin_listen").await?,
        })
    }
}

/// Called once the scheduler runs.
pub type OnStart = Box<dyn FnOnce(&SchedulerHandle) + Send>;

/// What `serve` is told.
pub struct ServeOptions {
    /// Stop by itself after this long.
    pub duration: Option<Duration>,
    /// Called with the scheduler once it runs (the demo uses it to trigger flows).
    pub on_start: Option<OnStart>,
    /// Ctrl-C / SIGTERM listeners, installed by the caller before anything slow starts.
    pub stop: crate::shutdown::StopSignals,
}

/// Runs until Ctrl-C, SIGTERM or `duration`.
pub async fn serve(app: App, listeners: Listeners, options: ServeOptions) -> Result<(), CliError> {
    let schedules = app
        .clients
        .iter()
        .map(|c| ClientSchedule {
            client: c.config.id.clone(),
            time_zone: c.config.time_zone.clone(),
            schedules: c.config.compiled_schedules.clone(),
            erp_poll: Duration::from_secs(c.config.schedules.erp_cycle_poll_secs),
            cycles: Arc::new(ErpCycles(c.services.erp.clone())),
        })
        .collect();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let cluster = join_cluster(&app).await?;
    let heartbeat = cluster.clone().map(|c| c.spawn(stop_rx.clone()));
    let pauses = crate::control::Pauses::new(app.store.clone());
    if let Err(e) = pauses.refresh().await {
        tracing::warn!(error = %e, "cannot read the pauses at start; retrying every second");
    }
    let scheduler = Scheduler {
        store: app.store.clone(),
        runner: Arc::new(AppFlows::new(&app.clients)),
        clock: Arc::new(SystemClock),
        max_concurrent_runs: app.config.host.max_concurrent_runs,
        cluster: cluster.clone(),
        pauses: Some(pauses.clone()),
    }
    .start(schedules);
    let control = {
        let triggers = scheduler.triggers();
        let clients: Vec<String> = app.clients.iter().map(|c| c.config.id.clone()).collect();
        let owned: crate::control::Owned = Arc::new(move || match &cluster {
            Some(c) => clients.iter().filter(|id| c.owns(id)).cloned().collect(),
            None => clients.clone(),
        });
        crate::control::spawn_control_loop(
            pauses.clone(),
            owned,
            Arc::new(move |client, flow, reason| triggers.trigger(client, flow, reason)),
            CONTROL_POLL,
            stop_rx.clone(),
        )
    };
    let progress = spawn_progress(&scheduler);
    let watch = app.spawn_plugin_watch(stop_rx.clone());
    let follower = app.spawn_plugin_follower(stop_rx.clone());
    let engine = job_engine(&app)
        .with_pauses(pauses.clone())
        .spawn(stop_rx.clone());
    // Jobs enqueued by other hosts on a shared store wake this one at once.
    let wake = engine.waker();
    if let Err(e) = app
        .store
        .on_new_jobs(Arc::new(move || wake.notify_one()))
        .await
    {
        tracing::warn!(error = %e, "no job notifications from other hosts; their jobs wait for the next poll");
    }
    let admin_state = crate::http::AdminState::from_app(&app).with_pauses(pauses.clone());
    let (webhook_state, registrations) = start_order_intake(
        &app,
        engine.waker(),
        stop_rx.clone(),
        admin_state.webhook_auth.clone(),
    );
    let webhook = spawn_server(
        listeners.webhook,
        crate::http::webhook::router(webhook_state),
        ListenerLimits::WEBHOOK,
        stop_rx.clone(),
    );
    let alerts = crate::alerts::spawn_for(&app, stop_rx.clone());
    let retention = app
        .config
        .host
        .retention
        .spawn(app.store.clone(), stop_rx.clone());
    let admin = spawn_server(
        listeners.admin,
        crate::http::admin_router(admin_state),
        ListenerLimits::ADMIN,
        stop_rx,
    );
    tracing::info!(clients = app.clients.len(), "host running");
    if let Some(hook) = options.on_start {
        hook(&scheduler);
    }
    let mut stop = options.stop;
    stop.wait(options.duration).await;
    // One deadline for the whole host; a second signal exits at once.
    let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
    stop.exit_on_next();
    eprintln!(
        "stopping: letting work in flight finish (up to {}s; a second signal exits now)",
        SHUTDOWN_GRACE.as_secs()
    );
    let _ = stop_tx.send(true);
    // ERP writes still waiting for their turn give up now (their jobs wait for the restart).
    app.erp_accounts.stop_all();
    let left = || deadline.saturating_duration_since(tokio::time::Instant::now());
    scheduler.shutdown(left()).await;
    // Batches cut short are rescued after the next start (their leases expire).
    // The listeners and the store close in the last second of the deadline.
    if !engine
        .join(left().saturating_sub(Duration::from_secs(1)))
        .await
    {
        tracing::warn!("job batches still running at the deadline were stopped");
    }
    progress.abort();
    control.abort();
    for task in [
        watch,
        Some(follower),
        Some(webhook),
        Some(admin),
        alerts,
        retention,
        Some(registrations),
        heartbeat,
    ]
    .into_iter()
    .flatten()
    {
        if tokio::time::timeout(left(), task).await.is_err() {
            tracing::warn!("a listener did not stop by the deadline");
        }
    }
    match tokio::time::timeout(left(), app.store.close()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "the store did not close cleanly"),
        Err(_) => tracing::warn!("the store did not close by the deadline"),
    }
    Ok(())
}

/// Joins the cluster where the store is shared (PostgreSQL); the embedded store has one host.
async fn join_cluster(app: &App) -> Result<Option<Arc<Membership>>, CliError> {
    if !crate::store::StoreLocation::of(&app.config.host).is_shared() {
        return Ok(None);
    }
    let config = &app.config.host.cluster;
    let host_id = config
        .host_id
        .clone()
        .unwrap_or_else(|| default_host_id(app.config.host.admin_listen.port()));
    Membership::join(host_id, app.store.clone(), config.lease())
        .await
        .map(Some)
        .map_err(|e| CliError::runtime(format!("cannot join the cluster in the shared store: {e}")))
}

/// The job engine with every client's workers: one order injector and one re-sync worker
/// per client, and one refund worker per storefront with refunds to read.
fn job_engine(app: &App) -> crate::jobs::Engine {
    let mut engine = crate::jobs::Engine::new(app.store.clone(), app.config.host.jobs.options());
    for c in &app.clients {
        let id = &c.config.id;
        let injector = Injector::new(c.services.clone(), c.config.orders.clone());
        engine.register(crate::flows::orders::order_kind(id), Arc::new(injector));
        let resync = ResyncWorker::new(
            c.services.clone(),
            c.config.inventory.clone(),
            c.config.catalog.clone(),
            c.config.orders.clone(),
        );
        engine.register(crate::jobs::kinds::resync_kind(id), Arc::new(resync));
        // Storefronts with refunds to read get the refund worker.
        if c.services.storefront.refunds().is_ok() {
            let refunds = RefundWorker::new(c.services.clone(), c.config.refunds.clone());
            engine.register(crate::flows::orders::refund_kind(id), Arc::new(refunds));
        }
    }
    engine
}

/// The BigCommerce webhook endpoint for every BigCommerce client, its hooks registered at
/// `<public_url>/webhooks/bigcommerce/<client>` in the background (the listener and the stop
/// signal do not wait for 100 stores' registrations; `/healthz` says when they are done).
/// A stored delivery wakes the job engine; a refused one is recorded in `failures`.
fn start_order_intake(
    app: &App,
    wake: Arc<tokio::sync::Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    failures: Arc<AuthFailures>,
) -> (WebhookState, tokio::task::JoinHandle<()>) {
    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut intake = std::collections::HashMap::new();
    let mut registrations = Vec::new();
    for c in &app.clients {
        let (Some(secret), Some(producer)) = (&c.webhook_secret, &c.webhook_producer) else {
            continue;
        };
        let id = &c.config.id;
        let client = IntakeClient::new(app.store.clone(), &c.config.orders, &c.config.refunds)
            .with_waker(wake.clone())
            .with_producer(producer);
        intake.insert(id.clone(), WebhookClient::new(secret, client));
        let destination = format!("{}/webhooks/bigcommerce/{id}", app.config.host.public_url());
        let storefront = c.services.storefront.clone();
        registrations.push((id.clone(), storefront, destination, secret.clone()));
    }
    let state = WebhookState::new(intake, failures).ready_when(ready.clone());
    let register = tokio::spawn(async move {
        for (id, storefront, destination, secret) in registrations {
            let register = async {
                storefront
                    .orders()?
                    .register_webhooks(&destination, &secret)
                    .await
            };
            let registered = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => return,
                r = register => r,
            };
            match registered {
                Ok(created) => {
                    tracing::info!(client = %id, %destination, created, "BigCommerce order hooks registered")
                }
                // Orders still arrive through the scheduled orders run's sweep; say so loudly.
                Err(err) => {
                    tracing::error!(client = %id, %err, "cannot register BigCommerce hooks")
                }
            }
        }
        ready.store(true, std::sync::atomic::Ordering::Release);
    });
    (state, register)
}

fn spawn_server(
    listener: TcpListener,
    router: Router,
    limits: ListenerLimits,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let stop = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::spawn(crate::http::listener::serve(listener, router, limits, stop))
}

/// A spinner with counts while running; one line per finished run.
fn spawn_progress(scheduler: &SchedulerHandle) -> tokio::task::JoinHandle<()> {
    let mut events = scheduler.events();
    tokio::spawn(async move {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        let (mut ok, mut failed, mut running) = (0u64, 0u64, 0i64);
        loop {
            let event = match events.recv().await {
                Ok(e) => e,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            };
            let line = match &event {
                RunEvent::Started {
                    client,
                    flow,
                    reason,
                } => {
                    running += 1;
                    format!("{client:<16} {flow:<14} started ({reason})")
                }
                RunEvent::Finished {
                    client,
                    flow,
                    outcome,
                    elapsed,
                    ..
                } => {
                    running -= 1;
                    match outcome {
                        Ok(summary) => {
                            ok += 1;
                            format!(
                                "{client:<16} {flow:<14} ok in {:.1}s: {summary}",
                                elapsed.as_secs_f64()
                            )
                        }
                        Err(err) => {
                            failed += 1;
                            format!("{client:<16} {flow:<14} FAILED: {err}")
                        }
                    }
                }
            };
            if bar.is_hidden() {
                eprintln!("{line}");
            } else {
                bar.println(line);
            }
            bar.set_message(format!("{running} running, {ok} ok, {failed} failed"));
        }
        bar.finish_and_clear();
    })
}
