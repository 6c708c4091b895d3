//! The job engine against a real SQLite file: fair across clients, one run per job while a
//! slow worker heartbeats, a crashed host's job rescued exactly once, dead jobs filed, and a
//! stop obeyed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use selvedge::flows::FlowError;
use selvedge::jobs::pacing::ErpWriteLimiter;
use selvedge::jobs::{Engine, EngineOptions, Outcome, WorkOutcome, Worker, settle};
use selvedge::scheduler::BoxFuture;
use selvedge_store::{Job, JobState, NewJob, Store};
use selvedge_store_sqlite::SqliteStore;
use serde_json::json;
use time::OffsetDateTime;

/// Records when each job ran; optionally paced by a limiter and slowed by a delay.
struct Recorder {
    store: Arc<dyn Store>,
    pace: Arc<ErpWriteLimiter>,
    delay: Duration,
    lease: Duration,
    batch: u32,
    runs: Arc<Mutex<Vec<(String, i64, Instant)>>>,
    dead: Arc<Mutex<Vec<i64>>>,
}

impl Worker for Recorder {
    fn batch_size(&self) -> u32 {
        self.batch
    }
    fn lease(&self) -> Duration {
        self.lease
    }
    fn work(self: Arc<Self>, jobs: Vec<Job>) -> BoxFuture<'static, Result<WorkOutcome, FlowError>> {
        Box::pin(async move {
            let claimed = jobs.len();
            for job in jobs {
                // Stopped (shutdown): the rest wait for their rescue, as the injector's do.
                if self.pace.until_ready().await.is_err() {
                    break;
                }
                tokio::time::sleep(self.delay).await;
                self.runs
                    .lock()
                    .unwrap()
                    .push((job.client.clone(), job.id, Instant::now()));
                settle(&*self.store, &job, Outcome::Done(json!({}))).await?;
            }
            Ok(WorkOutcome {
                claimed,
                done: claimed,
                ..WorkOutcome::default()
            })
        })
    }
    fn dead(self: Arc<Self>, job: Job) -> BoxFuture<'static, Result<(), FlowError>> {
        Box::pin(async move {
            self.dead.lock().unwrap().push(job.id);
            Ok(())
        })
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    runs: Arc<Mutex<Vec<(String, i64, Instant)>>>,
    dead: Arc<Mutex<Vec<i64>>>,
}

impl Rig {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(dir.path().join("state.db"))
                .await
                .unwrap(),
        );
        Self {
            _dir: dir,
            store,
            runs: Arc::default(),
            dead: Arc::default(),
        }
    }

    fn worker(
        &self,
        pace: Arc<ErpWriteLimiter>,
        delay: Duration,
        lease: Duration,
    ) -> Arc<Recorder> {
        Arc::new(Recorder {
            store: self.store.clone(),
            pace,
            delay,
            lease,
            batch: 16,
            runs: self.runs.clone(),
            dead: self.dead.clone(),
        })
    }

    async fn enqueue(&self, client: &str, key: &str, max_attempts: u32) -> Job {
        let now = OffsetDateTime::now_utc();
        self.store
            .enqueue(
                NewJob {
                    client: client.into(),
                    kind: format!("test.work/{client}"),
                    idempotency_key: key.into(),
                    payload: json!({}),
                    run_at: now,
                    max_attempts,
                },
                now,
            )
            .await
            .unwrap()
            .job
    }

    async fn wait_for_runs(&self, n: usize, within: Duration) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if self.runs.lock().unwrap().len() >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}

fn options() -> EngineOptions {
    EngineOptions {
        slots: 8,
        idle_poll: Duration::from_millis(20),
        rescue_every: Duration::from_millis(50),
        batches_per_kind: 2,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_clients_paced_backlog_does_not_delay_another_clients_order() {
    let rig = Rig::new().await;
    // A: 300 jobs at 5 a second (a minute of backlog). B: one job at 2 a second.
    for i in 0..300 {
        rig.enqueue("a", &i.to_string(), 3).await;
    }
    let mut engine = Engine::new(rig.store.clone(), options());
    let slow = ErpWriteLimiter::new(5, 1);
    engine.register(
        "test.work/a".into(),
        rig.worker(slow.clone(), Duration::ZERO, Duration::from_secs(30)),
    );
    let b_rate = ErpWriteLimiter::new(2, 1);
    engine.register(
        "test.work/b".into(),
        rig.worker(b_rate, Duration::ZERO, Duration::from_secs(30)),
    );
    let (stop, rx) = tokio::sync::watch::channel(false);
    let handle = engine.spawn(rx);
    // A's backlog is running and paced.
    assert!(rig.wait_for_runs(2, Duration::from_secs(5)).await);
    let b_job = rig.enqueue("b", "only", 3).await;
    let enqueued = Instant::now();
    handle.waker().notify_one();
    let b_done = {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let found = rig
                .runs
                .lock()
                .unwrap()
                .iter()
                .find(|(c, id, _)| c == "b" && *id == b_job.id)
                .map(|r| r.2);
            if let Some(t) = found {
                break Some(t);
            }
            if Instant::now() > until {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let b_done = b_done.expect("B's order ran while A's backlog was still queued");
    // One pacing interval of B's (2/s): B waited on nothing of A's.
    let waited = b_done.duration_since(enqueued);
    assert!(
        waited <= Duration::from_millis(500),
        "B's single order waited {waited:?} behind A's backlog"
    );
    let a_done = rig
        .runs
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.0 == "a")
        .count();
    assert!(
        a_done < 300,
        "A's backlog was still going ({a_done} of 300)"
    );
    // As the host does at shutdown: stop the engine and the ERP limiters.
    stop.send_replace(true);
    slow.stop();
    assert!(
        handle.join(Duration::from_secs(5)).await,
        "the engine stopped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_outlives_its_lease_is_kept_alive_by_heartbeats_and_runs_once() {
    let rig = Rig::new().await;
    let job = rig.enqueue("a", "slow", 3).await;
    let mut engine = Engine::new(rig.store.clone(), options());
    // Each job takes 4 leases' time; the rescuer looks every 50 ms.
    engine.register(
        "test.work/a".into(),
        rig.worker(
            ErpWriteLimiter::unlimited(),
            Duration::from_millis(1_200),
            Duration::from_millis(300),
        ),
    );
    let (stop, rx) = tokio::sync::watch::channel(false);
    let handle = engine.spawn(rx);
    assert!(rig.wait_for_runs(1, Duration::from_secs(10)).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let runs: Vec<i64> = rig.runs.lock().unwrap().iter().map(|r| r.1).collect();
    assert_eq!(runs, vec![job.id], "run once, never rescued and run again");
    let stored = rig.store.job(job.id).await.unwrap().unwrap();
    assert_eq!(stored.state, JobState::Done);
    assert_eq!(stored.attempts, 1, "one claim");
    stop.send_replace(true);
    handle.join(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_host_died_is_rescued_once_and_a_job_out_of_attempts_is_filed_dead() {
    let rig = Rig::new().await;
    let again = rig.enqueue("a", "again", 3).await;
    let last = rig.enqueue("a", "last", 1).await;
    // Another host claimed both and died: no heartbeats, 200 ms leases.
    let claimed = rig
        .store
        .claim(
            &["test.work/a"],
            2,
            Duration::from_millis(200),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    let mut engine = Engine::new(rig.store.clone(), options());
    engine.register(
        "test.work/a".into(),
        rig.worker(
            ErpWriteLimiter::unlimited(),
            Duration::ZERO,
            Duration::from_secs(5),
        ),
    );
    let (stop, rx) = tokio::sync::watch::channel(false);
    let handle = engine.spawn(rx);
    assert!(rig.wait_for_runs(1, Duration::from_secs(10)).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut per_job: HashMap<i64, usize> = HashMap::new();
    for r in rig.runs.lock().unwrap().iter() {
        *per_job.entry(r.1).or_default() += 1;
    }
    assert_eq!(
        per_job.get(&again.id),
        Some(&1),
        "rescued and run exactly once"
    );
    assert_eq!(
        per_job.get(&last.id),
        None,
        "a job out of attempts is not run again"
    );
    assert_eq!(
        *rig.dead.lock().unwrap(),
        vec![last.id],
        "filed once as dead"
    );
    stop.send_replace(true);
    handle.join(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_stop_signal_no_new_batch_starts() {
    let rig = Rig::new().await;
    let mut engine = Engine::new(rig.store.clone(), options());
    engine.register(
        "test.work/a".into(),
        rig.worker(
            ErpWriteLimiter::unlimited(),
            Duration::ZERO,
            Duration::from_secs(5),
        ),
    );
    let (stop, rx) = tokio::sync::watch::channel(false);
    let handle = engine.spawn(rx);
    stop.send_replace(true);
    assert!(
        handle.join(Duration::from_secs(5)).await,
        "stopped promptly"
    );
    rig.enqueue("a", "late", 3).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rig.runs.lock().unwrap().is_empty());
}

#[tokio::test]
async fn outcomes_end_an_attempt_the_same_way_for_every_worker() {
    let rig = Rig::new().await;
    let lease = Duration::from_secs(30);
    let claim = || async {
        rig.store
            .claim(&["test.work/a"], 1, lease, OffsetDateTime::now_utc())
            .await
            .unwrap()
            .pop()
    };
    let job = rig.enqueue("a", "o", 2).await;
    // A snooze waits without using the attempt.
    let claimed = claim().await.expect("claimable");
    let until = OffsetDateTime::now_utc() + Duration::from_millis(50);
    let after = settle(
        &*rig.store,
        &claimed,
        Outcome::SnoozeUntil {
            until,
            note: "waiting".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!((after.state, after.attempts_used()), (JobState::Queued, 0));
    assert!(claim().await.is_none(), "not before its time");
    tokio::time::sleep(Duration::from_millis(60)).await;
    // A retry counts the attempt and waits its delay.
    let claimed = claim().await.expect("claimable after the snooze");
    let after = settle(
        &*rig.store,
        &claimed,
        Outcome::RetryAfter {
            delay: Duration::from_millis(50),
            error: "ERP 503".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!((after.state, after.attempts_used()), (JobState::Queued, 1));
    assert_eq!(after.last_error.as_deref(), Some("ERP 503"));
    tokio::time::sleep(Duration::from_millis(60)).await;
    // Give-up is final; a stale lease cannot settle again.
    let claimed = claim().await.expect("claimable after the retry delay");
    let dead = settle(
        &*rig.store,
        &claimed,
        Outcome::GiveUp {
            error: "rejected".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.id, job.id);
    let stale = settle(&*rig.store, &claimed, Outcome::Done(json!({}))).await;
    assert!(
        matches!(stale, Err(selvedge_store::StoreError::LeaseLost { .. })),
        "{stale:?}"
    );
}

/// Counts the batches of one worker running at once.
struct Overlap {
    inner: Arc<Recorder>,
    now: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}

impl Worker for Overlap {
    fn batch_size(&self) -> u32 {
        self.inner.batch_size()
    }
    fn lease(&self) -> Duration {
        self.inner.lease()
    }
    fn work(self: Arc<Self>, jobs: Vec<Job>) -> BoxFuture<'static, Result<WorkOutcome, FlowError>> {
        use std::sync::atomic::Ordering::SeqCst;
        Box::pin(async move {
            let running = self.now.fetch_add(1, SeqCst) + 1;
            self.most.fetch_max(running, SeqCst);
            let outcome = self.inner.clone().work(jobs).await;
            self.now.fetch_sub(1, SeqCst);
            outcome
        })
    }
    fn dead(self: Arc<Self>, job: Job) -> BoxFuture<'static, Result<(), FlowError>> {
        self.inner.clone().dead(job)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_runs_the_next_batch_while_one_runs_but_never_more_than_the_cap() {
    let rig = Rig::new().await;
    for i in 0..96 {
        rig.enqueue("a", &i.to_string(), 3).await;
    }
    let worker = Arc::new(Overlap {
        inner: rig.worker(
            ErpWriteLimiter::unlimited(),
            Duration::from_millis(5),
            Duration::from_secs(30),
        ),
        now: Default::default(),
        most: Default::default(),
    });
    let mut engine = Engine::new(rig.store.clone(), options());
    engine.register("test.work/a".into(), worker.clone());
    let (stop, rx) = tokio::sync::watch::channel(false);
    let handle = engine.spawn(rx);
    assert!(rig.wait_for_runs(96, Duration::from_secs(20)).await);
    let _ = stop.send(true);
    assert!(handle.join(Duration::from_secs(5)).await);
    let most = worker.most.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        most,
        options().batches_per_kind,
        "batches of one kind at once"
    );
    let runs = rig.runs.lock().unwrap();
    let ids: std::collections::HashSet<i64> = runs.iter().map(|(_, id, _)| *id).collect();
    assert_eq!((runs.len(), ids.len()), (96, 96), "every job ran once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_clients_orders_wait_queued_and_each_runs_once_after_resume() {
    use selvedge::control::Pauses;
    use selvedge::flows::orders::order_kind;
    use selvedge_store::{ALL_FLOWS, Pause};
    let rig = Rig::new().await;
    let now = OffsetDateTime::now_utc();
    for client in ["paused", "running"] {
        for n in 0..5 {
            rig.store
                .enqueue(
                    NewJob {
                        client: client.into(),
                        kind: order_kind(client),
                        idempotency_key: format!("bigcommerce:{n}"),
                        payload: json!({}),
                        run_at: now,
                        max_attempts: 3,
                    },
                    now,
                )
                .await
                .unwrap();
        }
    }
    rig.store
        .pause(&Pause {
            client: "paused".into(),
            flow: ALL_FLOWS.into(),
            by: "ana".into(),
            at: now,
        })
        .await
        .unwrap();
    // The engine of a host started after the pause (a restart): it reads the pause first.
    let pauses = Pauses::new(rig.store.clone());
    pauses.refresh().await.unwrap();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut engine = Engine::new(rig.store.clone(), options()).with_pauses(pauses.clone());
    for client in ["paused", "running"] {
        let worker = rig.worker(
            ErpWriteLimiter::unlimited(),
            Duration::ZERO,
            Duration::from_secs(30),
        );
        engine.register(order_kind(client), worker);
    }
    let handle = engine.spawn(stop_rx);
    assert!(rig.wait_for_runs(5, Duration::from_secs(10)).await);
    // Time for the paused client's jobs to have been claimed, were they claimable.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let clients =
        |runs: &[(String, i64, Instant)]| runs.iter().filter(|(c, _, _)| c == "paused").count();
    assert_eq!(
        clients(&rig.runs.lock().unwrap()),
        0,
        "nothing of a paused client runs"
    );
    assert_eq!(rig.runs.lock().unwrap().len(), 5);

    assert!(rig.store.resume("paused", ALL_FLOWS).await.unwrap());
    pauses.refresh().await.unwrap();
    assert!(rig.wait_for_runs(10, Duration::from_secs(10)).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let runs = rig.runs.lock().unwrap().clone();
    assert_eq!(clients(&runs), 5);
    let mut ids: Vec<i64> = runs.iter().map(|(_, id, _)| *id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10, "every job once");
    stop.send_replace(true);
    assert!(handle.join(Duration::from_secs(5)).await);
}
