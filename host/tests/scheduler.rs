//! Scheduler behaviour on a manual clock: cron ticks, time zones, ERP-cycle triggers, one run
//! at a time, catch-up once, failure isolation, and every run recorded with its measurements.
//! Waits are "until a condition holds" with a generous cap, never timing assertions.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use selvedge::config::{CompiledSchedule, parse_cron};
use selvedge::flows::{FlowError, FlowKind, FlowReport};
use selvedge::scheduler::{
    BoxFuture, ClientSchedule, Cycle, CycleSource, FlowRunner, ManualClock, Scheduler,
    SchedulerHandle,
};
use selvedge_store::{Measurements, RunStatus, Store, SyncRun};
use selvedge_store_sqlite::SqliteStore;

#[derive(Default)]
struct Stats {
    runs: AtomicU64,
    running: AtomicI32,
    max_running: AtomicI32,
}

/// A flow that counts, can be held at a gate, and fails or panics for chosen clients.
#[derive(Default)]
struct FakeFlows {
    stats: Arc<Stats>,
    gate: Option<Arc<tokio::sync::Semaphore>>,
    failing: Vec<&'static str>,
    panicking: Vec<&'static str>,
}

impl FlowRunner for FakeFlows {
    fn supports(&self, _client: &str, _flow: FlowKind) -> bool {
        true
    }

    fn run(
        &self,
        client: &str,
        _flow: FlowKind,
    ) -> BoxFuture<'static, Result<FlowReport, FlowError>> {
        let stats = self.stats.clone();
        let gate = self.gate.clone();
        let fail = self.failing.contains(&client);
        let panic = self.panicking.contains(&client);
        Box::pin(async move {
            let now = stats.running.fetch_add(1, Ordering::SeqCst) + 1;
            stats.max_running.fetch_max(now, Ordering::SeqCst);
            let n = stats.runs.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(gate) = gate
                && let Ok(permit) = gate.acquire().await
            {
                permit.forget();
            }
            stats.running.fetch_sub(1, Ordering::SeqCst);
            assert!(!panic, "plugin host blew up");
            if fail {
                return Err(FlowError::Invalid("ERP said no".into()));
            }
            Ok(FlowReport {
                measurements: Measurements {
                    records: Some(7),
                    changed: Some(n),
                    ..Measurements::default()
                },
                summary: format!("run {n}"),
            })
        })
    }
}

/// An ERP whose last completed cycle the test sets; counts polls.
#[derive(Default)]
struct FakeCycles {
    id: AtomicU64,
    polls: AtomicU64,
}

impl CycleSource for FakeCycles {
    fn last_cycle(&self) -> BoxFuture<'_, Result<Option<Cycle>, String>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        let id = self.id.load(Ordering::SeqCst);
        Box::pin(async move {
            Ok((id > 0).then_some(Cycle {
                id,
                completed_at: None,
            }))
        })
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
}

async fn rig(start: &str) -> Rig {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("state.sqlite"))
        .await
        .expect("store");
    let start: Timestamp = start.parse().expect("timestamp");
    Rig {
        _dir: dir,
        store: Arc::new(store),
        clock: Arc::new(ManualClock::new(start)),
    }
}

fn cron(flow: FlowKind, pattern: &str) -> CompiledSchedule {
    CompiledSchedule {
        flow,
        cron: Some(parse_cron(pattern).expect("cron")),
        after_erp_cycle: false,
        initial_run: true,
    }
}

fn client(
    id: &str,
    tz: &str,
    schedules: Vec<CompiledSchedule>,
    cycles: Arc<FakeCycles>,
) -> ClientSchedule {
    ClientSchedule {
        client: id.into(),
        time_zone: jiff::tz::TimeZone::get(tz).expect("tz"),
        schedules,
        erp_poll: Duration::from_secs(5),
        cycles,
    }
}

fn start(rig: &Rig, flows: FakeFlows, clients: Vec<ClientSchedule>) -> SchedulerHandle {
    start_capped(rig, flows, clients, 0)
}

fn start_capped(
    rig: &Rig,
    flows: FakeFlows,
    clients: Vec<ClientSchedule>,
    max_concurrent_runs: usize,
) -> SchedulerHandle {
    Scheduler {
        store: rig.store.clone(),
        runner: Arc::new(flows),
        clock: rig.clock.clone(),
        max_concurrent_runs,
        cluster: None,
        pauses: None,
    }
    .start(clients)
}

async fn finished_runs(store: &Arc<dyn Store>, client: &str, flow: FlowKind) -> Vec<SyncRun> {
    let runs = store
        .recent_runs(client, flow.as_str(), 100)
        .await
        .expect("runs");
    runs.into_iter()
        .filter(|r| r.status != RunStatus::Running)
        .collect()
}

/// Waits until `client`'s `flow` has `n` finished runs (panics after 10 s).
async fn until_runs(
    store: &Arc<dyn Store>,
    client: &str,
    flow: FlowKind,
    n: usize,
) -> Vec<SyncRun> {
    for _ in 0..1000 {
        let runs = finished_runs(store, client, flow).await;
        if runs.len() >= n {
            return runs;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{client}/{flow}: fewer than {n} finished runs after 10 s");
}

/// Gives stray runs a chance to appear before asserting there are none.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn record_run(
    store: &Arc<dyn Store>,
    client: &str,
    flow: FlowKind,
    at: &str,
    cycle: Option<&str>,
) {
    let at: time::OffsetDateTime =
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .expect("time");
    let id = store
        .start_run(client, flow.as_str(), at)
        .await
        .expect("start");
    let m = Measurements {
        erp_cycle_id: cycle.map(String::from),
        ..Measurements::default()
    };
    store
        .finish_run(id, RunStatus::Succeeded, &m, None, at)
        .await
        .expect("finish");
}

#[tokio::test]
async fn cron_ticks_run_the_flow_and_record_each_run_with_its_measurements() {
    let rig = rig("2026-01-05T10:00:00Z").await;
    let sched = start(
        &rig,
        FakeFlows::default(),
        vec![client(
            "acme",
            "UTC",
            vec![cron(FlowKind::Catalog, "*/10 * * * * *")],
            Default::default(),
        )],
    );
    // Never ran before: the first run happens at start.
    until_runs(&rig.store, "acme", FlowKind::Catalog, 1).await;
    rig.clock.advance(Duration::from_secs(10));
    until_runs(&rig.store, "acme", FlowKind::Catalog, 2).await;
    rig.clock.advance(Duration::from_secs(10));
    let runs = until_runs(&rig.store, "acme", FlowKind::Catalog, 3).await;
    assert_eq!(runs.len(), 3);
    for run in &runs {
        assert_eq!(run.status, RunStatus::Succeeded);
        assert_eq!(run.measurements.records, Some(7));
        assert!(run.finished_at.is_some());
    }
    sched.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn triggers_during_a_slow_run_are_caught_up_once_not_stacked() {
    let rig = rig("2026-01-05T10:00:00Z").await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let flows = FakeFlows {
        gate: Some(gate.clone()),
        ..FakeFlows::default()
    };
    let stats = flows.stats.clone();
    let sched = start(
        &rig,
        flows,
        vec![client(
            "acme",
            "UTC",
            vec![cron(FlowKind::Inventory, "*/10 * * * * *")],
            Default::default(),
        )],
    );
    // Run 1 starts and is held; three ticks pass meanwhile.
    while stats.runs.load(Ordering::SeqCst) < 1 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for _ in 0..3 {
        rig.clock.advance(Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        sched.trigger("acme", FlowKind::Inventory, "manual"),
        "a manual request coalesces too"
    );
    gate.add_permits(100);
    until_runs(&rig.store, "acme", FlowKind::Inventory, 2).await;
    settle().await;
    assert_eq!(
        finished_runs(&rig.store, "acme", FlowKind::Inventory)
            .await
            .len(),
        2,
        "one run plus one catch-up"
    );
    assert_eq!(
        stats.max_running.load(Ordering::SeqCst),
        1,
        "never two runs of one flow at once"
    );
    sched.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_failing_or_panicking_client_never_stops_the_others() {
    let rig = rig("2026-01-05T10:00:00Z").await;
    let flows = FakeFlows {
        failing: vec!["bad"],
        panicking: vec!["panicky"],
        ..FakeFlows::default()
    };
    let every = || vec![cron(FlowKind::Orders, "*/10 * * * * *")];
    let clients = vec![
        client("bad", "UTC", every(), Default::default()),
        client("panicky", "UTC", every(), Default::default()),
        client("good", "UTC", every(), Default::default()),
    ];
    let sched = start(&rig, flows, clients);
    for n in 1..=3 {
        for id in ["bad", "panicky", "good"] {
            until_runs(&rig.store, id, FlowKind::Orders, n).await;
        }
        rig.clock.advance(Duration::from_secs(10));
    }
    let good = finished_runs(&rig.store, "good", FlowKind::Orders).await;
    assert!(good.iter().all(|r| r.status == RunStatus::Succeeded));
    let bad = finished_runs(&rig.store, "bad", FlowKind::Orders).await;
    assert!(bad.iter().all(|r| {
        r.status == RunStatus::Failed
            && r.error
                .as_deref()
                .is_some_and(|e| e.contains("ERP said no"))
    }));
    let panicky = finished_runs(&rig.store, "panicky", FlowKind::Orders).await;
    assert!(panicky.iter().all(|r| r.status == RunStatus::Failed
        && r.error.as_deref().is_some_and(|e| e.contains("panicked"))));
    sched.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn each_new_erp_cycle_runs_inventory_exactly_once() {
    let rig = rig("2026-01-05T10:00:00Z").await;
    let cycles = Arc::new(FakeCycles::default());
    let schedule = CompiledSchedule {
        flow: FlowKind::Inventory,
        cron: None,
        after_erp_cycle: true,
        initial_run: true,
    };
    let sched = start(
        &rig,
        FakeFlows::default(),
        vec![client("acme", "UTC", vec![schedule], cycles.clone())],
    );
    let poll = |after: u64| {
        let cycles = cycles.clone();
        async move {
            while cycles.polls.load(Ordering::SeqCst) < after {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    poll(1).await;
    cycles.id.store(1, Ordering::SeqCst);
    for polls in 2..=4 {
        rig.clock.advance(Duration::from_secs(5));
        poll(polls).await;
    }
    until_runs(&rig.store, "acme", FlowKind::Inventory, 1).await;
    cycles.id.store(2, Ordering::SeqCst);
    rig.clock.advance(Duration::from_secs(5));
    poll(5).await;
    until_runs(&rig.store, "acme", FlowKind::Inventory, 2).await;
    settle().await;
    assert_eq!(
        finished_runs(&rig.store, "acme", FlowKind::Inventory)
            .await
            .len(),
        2,
        "one run per cycle, not per poll"
    );
    sched.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_cycle_consumed_before_a_restart_does_not_run_again() {
    let rig = rig("2026-01-05T10:00:00Z").await;
    record_run(
        &rig.store,
        "acme",
        FlowKind::Inventory,
        "2026-01-05T09:00:00Z",
        Some("7"),
    )
    .await;
    let cycles = Arc::new(FakeCycles::default());
    cycles.id.store(7, Ordering::SeqCst);
    let schedule = CompiledSchedule {
        flow: FlowKind::Inventory,
        cron: None,
        after_erp_cycle: true,
        initial_run: true,
    };
    let sched = start(
        &rig,
        FakeFlows::default(),
        vec![client("acme", "UTC", vec![schedule], cycles.clone())],
    );
    while cycles.polls.load(Ordering::SeqCst) < 1 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    settle().await;
    assert_eq!(
        finished_runs(&rig.store, "acme", FlowKind::Inventory)
            .await
            .len(),
        1,
        "only the recorded run"
    );
    sched.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_run_missed_while_the_host_was_down_is_caught_up_once_at_start() {
    let rig = rig("2026-01-07T12:00:00Z").await;
    // Last ran two days ago: the 06:00 runs of the 6th and the 7th were missed.
    record_run(
        &rig.store,
        "acme",
        FlowKind::Reconciliation,
        "2026-01-05T06:00:00Z",
        None,
    )
    .await;
    let sched = start(
        &rig,
        FakeFlows::default(),
        vec![client(
            "acme",
            "Europe/London",
            vec![cron(FlowKind::Reconciliation, "0 6 * * *")],
            Default::default(),
        )],
    );
    until_runs(&rig.store, "acme", FlowKind::Reconciliation, 2).await;
    rig.clock.advance(Duration::from_secs(3600));
    settle().await;
    assert_eq!(
        finished_runs(&rig.store, "acme", FlowKind::Reconciliation)
            .await
            .len(),
        2,
        "caught up once, not twice"
    );
    sched.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn cron_patterns_are_read_in_the_client_time_zone() {
    // 05:59:59 in New York; 06:00 UTC has long passed.
    let rig = rig("2026-01-05T10:59:59Z").await;
    record_run(
        &rig.store,
        "acme",
        FlowKind::Reconciliation,
        "2026-01-05T10:00:00Z",
        None,
    )
    .await;
    let sched = start(
        &rig,
        FakeFlows::default(),
        vec![client(
            "acme",
            "America/New_York",
            vec![cron(FlowKind::Reconciliation, "0 6 * * *")],
            Default::default(),
        )],
    );
    settle().await;
    assert_eq!(
        finished_runs(&rig.store, "acme", FlowKind::Reconciliation)
            .await
            .len(),
        1,
        "nothing due yet"
    );
    rig.clock.advance(Duration::from_secs(1));
    until_runs(&rig.store, "acme", FlowKind::Reconciliation, 2).await;
    sched.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_flow_that_never_ran_waits_for_its_time_when_initial_run_is_off() {
    let rig = rig("2026-01-05T05:59:59Z").await;
    let mut schedule = cron(FlowKind::Reconciliation, "0 6 * * *");
    schedule.initial_run = false;
    let sched = start(
        &rig,
        FakeFlows::default(),
        vec![client("acme", "UTC", vec![schedule], Default::default())],
    );
    settle().await;
    assert!(
        finished_runs(&rig.store, "acme", FlowKind::Reconciliation)
            .await
            .is_empty()
    );
    rig.clock.advance(Duration::from_secs(1));
    until_runs(&rig.store, "acme", FlowKind::Reconciliation, 1).await;
    sched.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_late_wake_up_over_many_occurrences_runs_once() {
    let rig = rig("2026-01-05T10:00:00Z").await;
    let sched = start(
        &rig,
        FakeFlows::default(),
        vec![client(
            "acme",
            "UTC",
            vec![cron(FlowKind::Fulfilment, "*/10 * * * * *")],
            Default::default(),
        )],
    );
    until_runs(&rig.store, "acme", FlowKind::Fulfilment, 1).await;
    // The machine slept for an hour: 360 occurrences passed, one run covers them.
    rig.clock.advance(Duration::from_secs(3600));
    until_runs(&rig.store, "acme", FlowKind::Fulfilment, 2).await;
    settle().await;
    assert_eq!(
        finished_runs(&rig.store, "acme", FlowKind::Fulfilment)
            .await
            .len(),
        2
    );
    sched.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn runs_in_flight_are_capped_host_wide_and_every_client_still_runs() {
    let rig = rig("2026-01-05T10:00:00Z").await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let flows = FakeFlows {
        gate: Some(gate.clone()),
        ..FakeFlows::default()
    };
    let stats = flows.stats.clone();
    let ids = ["a", "b", "c", "d", "e", "f"];
    let clients = ids
        .iter()
        .map(|id| {
            client(
                id,
                "UTC",
                vec![cron(FlowKind::Inventory, "0 0 * * * *")],
                Default::default(),
            )
        })
        .collect();
    let sched = start_capped(&rig, flows, clients, 2);
    // Six first runs are due at once; two start and are held at the gate.
    while stats.runs.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        stats.runs.load(Ordering::SeqCst),
        2,
        "the others wait for a slot"
    );
    gate.add_permits(100);
    for id in ids {
        until_runs(&rig.store, id, FlowKind::Inventory, 1).await;
    }
    assert_eq!(
        stats.max_running.load(Ordering::SeqCst),
        2,
        "never more than the cap at once"
    );
    sched.shutdown(Duration::from_secs(5)).await;
}

/// Waits until `membership` sees exactly `hosts` live.
async fn until_hosts(membership: &selvedge::cluster::Membership, hosts: &[&str]) {
    let mut live = membership.live_hosts();
    let seen = tokio::time::timeout(
        Duration::from_secs(20),
        live.wait_for(|l| l.iter().map(String::as_str).eq(hosts.iter().copied())),
    )
    .await;
    assert!(seen.is_ok(), "{} never saw {hosts:?}", membership.host_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hosts_split_the_clients_and_the_survivor_takes_over_a_dead_hosts_clients() {
    use selvedge::cluster::{Membership, owner};
    let rig = rig("2026-01-05T10:00:00Z").await;
    let lease = Duration::from_secs(1);
    let (stop_a, stop_rx_a) = tokio::sync::watch::channel(false);
    let (_stop_b, stop_rx_b) = tokio::sync::watch::channel(false);
    let a = Membership::join("host-a".into(), rig.store.clone(), lease)
        .await
        .expect("a joins");
    let b = Membership::join("host-b".into(), rig.store.clone(), lease)
        .await
        .expect("b joins");
    let heartbeat_a = a.clone().spawn(stop_rx_a);
    let _heartbeat_b = b.clone().spawn(stop_rx_b);
    until_hosts(&a, &["host-a", "host-b"]).await;
    until_hosts(&b, &["host-a", "host-b"]).await;

    let ids: Vec<String> = (0..20).map(|i| format!("client-{i}")).collect();
    let hosts = ["host-a".to_string(), "host-b".to_string()];
    let of_a: Vec<&String> = ids
        .iter()
        .filter(|c| owner(c, &hosts) == Some("host-a"))
        .collect();
    assert!(
        !of_a.is_empty() && of_a.len() < ids.len(),
        "both hosts own clients"
    );
    let schedules = || {
        ids.iter()
            .map(|id| {
                client(
                    id,
                    "UTC",
                    vec![cron(FlowKind::Catalog, "0 0 * * * *")],
                    Default::default(),
                )
            })
            .collect::<Vec<_>>()
    };
    let start_on = |membership: &Arc<Membership>, flows: FakeFlows| {
        Scheduler {
            store: rig.store.clone(),
            runner: Arc::new(flows),
            clock: rig.clock.clone(),
            max_concurrent_runs: 0,
            cluster: Some(membership.clone()),
            pauses: None,
        }
        .start(schedules())
    };
    let (flows_a, flows_b) = (FakeFlows::default(), FakeFlows::default());
    let (runs_a, runs_b) = (flows_a.stats.clone(), flows_b.stats.clone());
    let sched_a = start_on(&a, flows_a);
    let sched_b = start_on(&b, flows_b);

    // Every client's first run happens once, on the host that owns it.
    for id in &ids {
        until_runs(&rig.store, id, FlowKind::Catalog, 1).await;
    }
    assert_eq!(runs_a.runs.load(Ordering::SeqCst), of_a.len() as u64);
    assert_eq!(
        runs_b.runs.load(Ordering::SeqCst),
        (ids.len() - of_a.len()) as u64
    );
    // A manual trigger on the host that does not own the client runs nothing.
    let b_only = ids
        .iter()
        .find(|c| owner(c, &hosts) == Some("host-b"))
        .expect("b owns one");
    assert!(sched_a.trigger(b_only, FlowKind::Catalog, "asked on the wrong host"));

    // Host A dies: no more heartbeats, no goodbye. B takes its clients within the lease.
    heartbeat_a.abort();
    drop(stop_a);
    sched_a.shutdown(Duration::from_secs(1)).await;
    until_hosts(&b, &["host-b"]).await;
    for id in &of_a {
        let runs = until_runs(&rig.store, id, FlowKind::Catalog, 2).await;
        assert_eq!(runs.len(), 2, "{id}: one take-over run");
    }
    assert_eq!(
        runs_b.runs.load(Ordering::SeqCst),
        ids.len() as u64,
        "B ran its own clients once and A's once more"
    );
    let b_only_runs = finished_runs(&rig.store, b_only, FlowKind::Catalog).await;
    assert_eq!(b_only_runs.len(), 1, "the trigger on A ran nothing");
    sched_b.shutdown(Duration::from_secs(5)).await;
}

/// The status and error of `client`'s `flow`'s latest run.
async fn latest_run(
    store: &Arc<dyn Store>,
    client: &str,
    flow: FlowKind,
) -> (RunStatus, Option<String>) {
    let runs = store
        .recent_runs(client, flow.as_str(), 1)
        .await
        .expect("runs");
    let run = runs.first().expect("a run");
    (run.status, run.error.clone())
}

/// Host `id` joins the cluster on `rig`'s store.
async fn join(rig: &Rig, id: &str, lease: Duration) -> Arc<selvedge::cluster::Membership> {
    selvedge::cluster::Membership::join(id.into(), rig.store.clone(), lease)
        .await
        .expect("joins")
}

/// Starts a run of `client`'s `flow` under `host`'s run lease, as the scheduler does, and
/// leaves it running.
async fn start_leased(
    rig: &Rig,
    host: &selvedge::cluster::Membership,
    client: &str,
    flow: FlowKind,
) {
    assert!(host.take_run(client, flow).await, "{client}/{flow} is free");
    rig.store
        .start_run(client, flow.as_str(), time::OffsetDateTime::now_utc())
        .await
        .expect("start the run");
}

const LEFT_BY_A: &str = "host host-a stopped before the run finished";

#[tokio::test]
async fn the_host_that_takes_a_dead_hosts_run_lease_closes_the_run_it_left_running() {
    let rig = rig("2026-01-05T10:00:00Z").await;
    // Short, so the dead host's lease expires within the test.
    let lease = Duration::from_millis(200);
    let (a, b) = (
        join(&rig, "host-a", lease).await,
        join(&rig, "host-b", lease).await,
    );

    // A starts a catalog run of acme and dies: no record of its end, no release. Runs of
    // another flow and another client are going on meanwhile.
    let others = [("acme", FlowKind::Inventory), ("zeta", FlowKind::Catalog)];
    start_leased(&rig, &a, "acme", FlowKind::Catalog).await;
    for (client, flow) in others {
        start_leased(&rig, &a, client, flow).await;
    }
    assert!(
        !b.take_run("acme", FlowKind::Catalog).await,
        "A's lease holds while it lasts"
    );
    assert_eq!(
        latest_run(&rig.store, "acme", FlowKind::Catalog).await.0,
        RunStatus::Running,
        "a refused take closes nothing"
    );

    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    assert!(b.take_run("acme", FlowKind::Catalog).await, "B takes over");
    assert_eq!(
        latest_run(&rig.store, "acme", FlowKind::Catalog).await,
        (RunStatus::Failed, Some(LEFT_BY_A.into()))
    );
    for (client, flow) in others {
        assert_eq!(
            latest_run(&rig.store, client, flow).await.0,
            RunStatus::Running,
            "{client}/{flow} is not B's to close"
        );
    }
}

#[tokio::test]
async fn a_host_back_under_the_same_id_closes_the_run_its_earlier_process_left_running() {
    let rig = rig("2026-01-05T10:00:00Z").await;
    let lease = Duration::from_secs(30);
    let before = join(&rig, "host-a", lease).await;
    start_leased(&rig, &before, "acme", FlowKind::Catalog).await;
    drop(before);

    // Restarted at once: the lease it held has not even expired.
    let after = join(&rig, "host-a", lease).await;
    assert!(after.take_run("acme", FlowKind::Catalog).await);
    assert_eq!(
        latest_run(&rig.store, "acme", FlowKind::Catalog).await,
        (RunStatus::Failed, Some(LEFT_BY_A.into()))
    );
}

#[tokio::test]
async fn a_paused_flow_skips_its_runs_and_a_run_now_runs_it_once_resumed() {
    use selvedge::control::Pauses;
    use selvedge_store::Pause;
    let rig = rig("2026-01-05T10:00:00Z").await;
    rig.store
        .pause(&Pause {
            client: "acme".into(),
            flow: FlowKind::Catalog.as_str().into(),
            by: "ana".into(),
            at: time::OffsetDateTime::now_utc(),
        })
        .await
        .expect("pause");
    let pauses = Pauses::new(rig.store.clone());
    let sched = Scheduler {
        store: rig.store.clone(),
        runner: Arc::new(FakeFlows::default()),
        clock: rig.clock.clone(),
        max_concurrent_runs: 0,
        cluster: None,
        pauses: Some(pauses.clone()),
    }
    .start(vec![client(
        "acme",
        "UTC",
        vec![
            cron(FlowKind::Catalog, "*/10 * * * * *"),
            cron(FlowKind::Inventory, "*/10 * * * * *"),
        ],
        Default::default(),
    )]);
    // Inventory runs at start; the paused catalog does not, nor at its next tick.
    until_runs(&rig.store, "acme", FlowKind::Inventory, 1).await;
    rig.clock.advance(Duration::from_secs(10));
    until_runs(&rig.store, "acme", FlowKind::Inventory, 2).await;
    settle().await;
    assert!(
        finished_runs(&rig.store, "acme", FlowKind::Catalog)
            .await
            .is_empty()
    );
    assert!(
        sched
            .triggers()
            .trigger("acme", FlowKind::Catalog, "run now"),
        "the flow is scheduled"
    );
    settle().await;
    assert!(
        finished_runs(&rig.store, "acme", FlowKind::Catalog)
            .await
            .is_empty(),
        "run now is refused while paused too"
    );
    assert!(rig.store.resume("acme", "catalog").await.expect("resume"));
    sched
        .triggers()
        .trigger("acme", FlowKind::Catalog, "run now");
    until_runs(&rig.store, "acme", FlowKind::Catalog, 1).await;
    settle().await;
    assert_eq!(
        finished_runs(&rig.store, "acme", FlowKind::Catalog)
            .await
            .len(),
        1
    );
    sched.shutdown(Duration::from_secs(5)).await;
}
