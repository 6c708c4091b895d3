//! Kill -9 at arbitrary points, then check that nothing acknowledged was lost or doubled.
//!
//! The parent re-runs this test binary as a child (`crash_child_loop`, ignored in normal
//! runs). The child enqueues, claims and completes jobs in a loop, printing `ENQ <key>` and
//! `DONE <key>` only after the store returned, then the parent SIGKILLs it mid-loop.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use selvedge_store::{JobState, NewJob, OffsetDateTime};
use serde_json::json;

const DB_ENV: &str = "SELVEDGE_STORE_CRASH_DB";
const ROUND_ENV: &str = "SELVEDGE_STORE_CRASH_ROUND";
const KIND: &str = "crash.test";

#[tokio::test]
#[ignore = "child process of crash_at_any_point_loses_and_doubles_nothing"]
async fn crash_child_loop() {
    let (Ok(path), Ok(round)) = (std::env::var(DB_ENV), std::env::var(ROUND_ENV)) else {
        return;
    };
    let store = crate::open_at(&path).await;
    let mut out = std::io::stdout();
    for i in 0.. {
        let key = format!("r{round}-{i}");
        let job = NewJob {
            client: "acme".into(),
            kind: KIND.into(),
            idempotency_key: key.clone(),
            payload: json!({ "i": i }),
            run_at: OffsetDateTime::now_utc(),
            max_attempts: 100,
        };
        store
            .enqueue(job, OffsetDateTime::now_utc())
            .await
            .expect("enqueue");
        writeln!(out, "ENQ {key}")
            .and_then(|()| out.flush())
            .expect("stdout");
        // Claim two, complete one: some jobs are left running with a lease when killed.
        let claimed = store
            .claim(
                &[KIND],
                2,
                Duration::from_secs(3600),
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("claim");
        if let Some(job) = claimed.first() {
            store
                .complete(
                    job.lease(),
                    json!({ "by": round }),
                    OffsetDateTime::now_utc(),
                )
                .await
                .expect("complete");
            writeln!(out, "DONE {}", job.idempotency_key)
                .and_then(|()| out.flush())
                .expect("stdout");
        }
    }
}

/// Runs one child until it has acknowledged `done_before_kill` completions, then kills it.
fn run_child_and_kill(
    db: &str,
    round: usize,
    done_before_kill: usize,
) -> (Vec<String>, Vec<String>) {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args([
            "crash::crash_child_loop",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DB_ENV, db)
        .env(ROUND_ENV, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let (mut enqueued, mut done) = (Vec::new(), Vec::new());
    let mut killed = false;
    // Keep reading after the kill: lines already in the pipe were acknowledged too.
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read child stdout");
        // libtest prints "test <name> ... " without a newline before the test runs, so the
        // first marker shares its line with that prefix: look for the marker anywhere.
        if let Some(key) = marked(&line, "ENQ ") {
            enqueued.push(key.to_owned());
        } else if let Some(key) = marked(&line, "DONE ") {
            done.push(key.to_owned());
            if !killed && done.len() >= done_before_kill {
                // SIGKILL lands wherever the child is by now.
                child.kill().expect("kill child");
                killed = true;
            }
        }
    }
    child.wait().expect("reap child");
    assert!(
        done.len() >= done_before_kill,
        "child exited early in round {round}"
    );
    assert_eq!(
        enqueued.first().map(String::as_str),
        Some(format!("r{round}-0").as_str()),
        "the child's first acknowledged enqueue was not read in round {round}"
    );
    (enqueued, done)
}

/// The key after `marker` on a line of child output, wherever the marker starts.
fn marked<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|at| line[at + marker.len()..].trim())
}

#[tokio::test]
async fn crash_at_any_point_loses_and_doubles_nothing() {
    let (fixture, first) = crate::fresh_store().await;
    first.close().await.expect("close");
    let db = fixture.locator();
    let (mut acked_enqueued, mut acked_done) = (HashSet::new(), HashSet::new());
    for (round, kill_after) in [7, 23, 41, 13].into_iter().enumerate() {
        let (enqueued, done) = run_child_and_kill(&db, round, kill_after);
        acked_enqueued.extend(enqueued);
        acked_done.extend(done);
    }

    let store = fixture.open_again().await;
    fixture.assert_intact().await;

    for key in &acked_enqueued {
        let job = store.job_by_key("acme", KIND, key).await.expect("lookup");
        assert!(job.is_some(), "acknowledged enqueue {key} was lost");
    }
    for key in &acked_done {
        let job = store
            .job_by_key("acme", KIND, key)
            .await
            .expect("lookup")
            .expect("exists");
        assert_eq!(
            job.state,
            JobState::Done,
            "acknowledged completion of {key} was undone"
        );
    }

    // A completion committed but not yet printed is possible once per kill, no more.
    let mut done_unacked = 0;
    for key in &acked_enqueued {
        let job = store
            .job_by_key("acme", KIND, key)
            .await
            .expect("lookup")
            .expect("exists");
        if job.state == JobState::Done && !acked_done.contains(key) {
            done_unacked += 1;
        }
        assert!(
            job.attempts <= 1,
            "{key}: only one claim before the final drain"
        );
    }
    assert!(
        done_unacked <= 4,
        "{done_unacked} unacknowledged completions"
    );

    // Rescue what the killed children left running, then drain: each job finishes once.
    let far_future = OffsetDateTime::now_utc() + Duration::from_secs(7200);
    store
        .rescue_expired_leases(&[KIND], far_future)
        .await
        .expect("rescue");
    let mut drained = HashSet::new();
    loop {
        let jobs = store
            .claim(&[KIND], 50, Duration::from_secs(60), far_future)
            .await
            .expect("claim");
        if jobs.is_empty() {
            break;
        }
        for job in jobs {
            assert!(
                !acked_done.contains(&job.idempotency_key),
                "{} would run twice",
                job.idempotency_key
            );
            assert!(drained.insert(job.id), "job {} claimed twice", job.id);
            store
                .complete(job.lease(), json!("drained"), far_future)
                .await
                .expect("complete");
        }
    }
    assert_eq!(store.queue_depth("acme", KIND).await.expect("depth"), 0);
    // Every row is done, with a result, and was acknowledged or was in flight at a kill.
    assert_eq!(
        fixture
            .count(
                "SELECT COUNT(*) FROM jobs WHERE kind = 'crash.test' \
                 AND (state <> 'done' OR result IS NULL)"
            )
            .await,
        0
    );
    let all = fixture
        .strings("SELECT idempotency_key FROM jobs WHERE kind = 'crash.test'")
        .await;
    let unacked = all
        .iter()
        .filter(|key| !acked_enqueued.contains(*key))
        .count();
    assert!(
        unacked <= 4,
        "at most one unacknowledged enqueue per kill, got {unacked}"
    );
    assert!(all.len() >= acked_enqueued.len());
}
