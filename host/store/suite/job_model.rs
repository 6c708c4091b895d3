//! Model-based test of the job state machine: random sequences of queue operations run
//! against the store and a plain in-memory model, and every answer must agree.

use std::collections::HashMap;
use std::time::Duration;

use proptest::prelude::*;
use selvedge_store::{FailAction, JobLease, JobState, NewJob, StoreError};
use serde_json::json;

use crate::at;

const LEASE_SECS: i64 = 30;
const MAX_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone)]
enum Op {
    Enqueue { key: u8, delay: i64 },
    Claim { limit: u32 },
    Complete { lease: usize },
    Fail { lease: usize, retry_in: Option<i64> },
    Advance { secs: i64 },
    Rescue,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..6, 0i64..3).prop_map(|(key, delay)| Op::Enqueue { key, delay }),
        (1u32..3).prop_map(|limit| Op::Claim { limit }),
        any::<usize>().prop_map(|lease| Op::Complete { lease }),
        (any::<usize>(), proptest::option::of(0i64..20))
            .prop_map(|(lease, retry_in)| Op::Fail { lease, retry_in }),
        (0i64..50).prop_map(|secs| Op::Advance { secs }),
        Just(Op::Rescue),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct ModelJob {
    state: JobState,
    attempts: u32,
    run_at: i64,
    lease_until: Option<i64>,
}

#[derive(Default)]
struct Model {
    jobs: HashMap<i64, ModelJob>,
    keys: HashMap<u8, i64>,
    leases: Vec<JobLease>,
    now: i64,
}

impl Model {
    /// Whether a complete/fail with `lease` is accepted, per the documented rule.
    fn lease_ok(&self, lease: JobLease, repeat: JobState) -> bool {
        let job = &self.jobs[&lease.job_id];
        // Accepted while nobody re-claimed the job; repeating the finished outcome is a no-op.
        let live = matches!(job.state, JobState::Running | JobState::Queued);
        job.attempts == lease.attempt && (live || job.state == repeat)
    }
}

async fn run(ops: Vec<Op>) {
    let (_fixture, store) = crate::fresh_store().await;
    let mut m = Model::default();
    for op in ops {
        match op {
            Op::Enqueue { key, delay } => {
                let job = NewJob {
                    client: "acme".into(),
                    kind: "k".into(),
                    idempotency_key: key.to_string(),
                    payload: json!(key),
                    run_at: at(m.now + delay),
                    max_attempts: MAX_ATTEMPTS,
                };
                let got = store.enqueue(job, at(m.now)).await.expect("enqueue");
                assert_eq!(got.created, !m.keys.contains_key(&key));
                if got.created {
                    m.keys.insert(key, got.job.id);
                    let model = ModelJob {
                        state: JobState::Queued,
                        attempts: 0,
                        run_at: m.now + delay,
                        lease_until: None,
                    };
                    m.jobs.insert(got.job.id, model);
                }
                assert_eq!(Some(&got.job.id), m.keys.get(&key));
            }
            Op::Claim { limit } => {
                let lease = Duration::from_secs(LEASE_SECS as u64);
                let got = store
                    .claim(&["k"], limit, lease, at(m.now))
                    .await
                    .expect("claim");
                let mut due: Vec<_> = m
                    .jobs
                    .iter()
                    .filter(|(_, j)| j.state == JobState::Queued && j.run_at <= m.now)
                    .map(|(id, j)| (j.run_at, *id))
                    .collect();
                due.sort();
                due.truncate(limit as usize);
                let got_ids: Vec<_> = got.iter().map(|j| (j.run_at, j.id)).collect();
                let expected: Vec<_> = due.iter().map(|(r, id)| (at(*r), *id)).collect();
                assert_eq!(got_ids, expected, "claim hands out the oldest due jobs");
                for job in got {
                    let model = m.jobs.get_mut(&job.id).expect("known job");
                    model.state = JobState::Running;
                    model.attempts += 1;
                    model.lease_until = Some(m.now + LEASE_SECS);
                    assert_eq!(job.attempts, model.attempts);
                    m.leases.push(job.lease());
                }
            }
            Op::Complete { lease } | Op::Fail { lease, .. } if m.leases.is_empty() => {
                let _ = lease;
            }
            Op::Complete { lease } => {
                let lease = m.leases[lease % m.leases.len()];
                let ok = m.lease_ok(lease, JobState::Done);
                let got = store.complete(lease, json!("ok"), at(m.now)).await;
                assert_eq!(got.is_ok(), ok, "complete {lease:?}: {got:?}");
                if ok {
                    let model = m.jobs.get_mut(&lease.job_id).expect("known job");
                    model.state = JobState::Done;
                    model.lease_until = None;
                } else {
                    assert!(matches!(got, Err(StoreError::LeaseLost { .. })));
                }
            }
            Op::Fail { lease, retry_in } => {
                let lease = m.leases[lease % m.leases.len()];
                let (action, repeat) = match retry_in {
                    Some(s) => (FailAction::RetryAt(at(m.now + s)), JobState::Queued),
                    None => (FailAction::GiveUp, JobState::Dead),
                };
                let ok = m.lease_ok(lease, repeat);
                let got = store.fail(lease, "boom", action, at(m.now)).await;
                assert_eq!(got.is_ok(), ok, "fail {lease:?}: {got:?}");
                if ok {
                    let model = m.jobs.get_mut(&lease.job_id).expect("known job");
                    model.lease_until = None;
                    match retry_in {
                        Some(s) => {
                            model.state = JobState::Queued;
                            model.run_at = m.now + s;
                        }
                        None if model.state != JobState::Dead => {
                            model.state = JobState::Dead;
                            model.run_at = m.now;
                        }
                        None => {}
                    }
                }
            }
            Op::Advance { secs } => m.now += secs,
            Op::Rescue => {
                let got = store
                    .rescue_expired_leases(&["k"], at(m.now))
                    .await
                    .expect("rescue");
                let mut expected = Vec::new();
                for (id, job) in &mut m.jobs {
                    if job.state == JobState::Running && job.lease_until < Some(m.now) {
                        job.state = if job.attempts >= MAX_ATTEMPTS {
                            JobState::Dead
                        } else {
                            JobState::Queued
                        };
                        job.run_at = m.now;
                        job.lease_until = None;
                        expected.push(*id);
                    }
                }
                let mut got_ids: Vec<_> = got.iter().map(|j| j.id).collect();
                got_ids.sort();
                expected.sort();
                assert_eq!(got_ids, expected, "rescue takes exactly the expired leases");
            }
        }
        for (id, model) in &m.jobs {
            let job = store.job(*id).await.expect("get").expect("exists");
            let stored = ModelJob {
                state: job.state,
                attempts: job.attempts,
                run_at: job.run_at.unix_timestamp() - at(0).unix_timestamp(),
                lease_until: job
                    .lease_until
                    .map(|t| t.unix_timestamp() - at(0).unix_timestamp()),
            };
            assert_eq!(&stored, model, "job {id} diverged from the model");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn job_queue_agrees_with_its_model(ops in proptest::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(run(ops));
    }
}
