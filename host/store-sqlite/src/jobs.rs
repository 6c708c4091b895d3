//! Job queue on SQLite: claims are one `UPDATE ... WHERE id IN (SELECT ... LIMIT)` on the
//! single writer connection, so two claimers can never take the same job. Every write runs as
//! direct statements on the writer's thread (see `direct.rs`).

use std::time::Duration;

use rusqlite::params;
use serde_json::Value;
use sqlx::Row;
use time::OffsetDateTime;

use super::SqliteStore;
use crate::direct;
use selvedge_store::rows::{self, count_u64, json_text};
use selvedge_store::timestamp::{duration_ms, to_ms};
use selvedge_store::{
    DueWork, Enqueued, FailAction, Job, JobKindStats, JobLease, JobQueue, JobState, NewJob,
    StoreError, StoreFuture,
};

macro_rules! job_cols {
    () => {
        "id, client, kind, idempotency_key, payload, state, attempts, max_attempts, snoozes, \
         run_at, lease_until, last_error, result, created_at, updated_at"
    };
}

/// (client, kind, queued, running, oldest due run_at, most attempts used).
type KindStatsRow = (String, String, i64, i64, Option<i64>, Option<i64>);

/// RETURNING gives rows in no particular order.
fn in_run_order(mut jobs: Vec<Job>) -> Vec<Job> {
    jobs.sort_by_key(|j| (j.run_at, j.id));
    jobs
}

fn job_by_id(conn: &rusqlite::Connection, id: i64) -> Result<Option<Job>, StoreError> {
    direct::query_opt(
        conn,
        concat!("SELECT ", job_cols!(), " FROM jobs WHERE id = ?"),
        [id],
        |row| rows::job(row),
    )
}

/// Why a guarded update matched nothing: an idempotent repeat (`Ok`) or a lost lease.
fn explain_lease_miss(
    conn: &rusqlite::Connection,
    lease: JobLease,
    repeat_state: JobState,
) -> Result<Job, StoreError> {
    let job = job_by_id(conn, lease.job_id)?.ok_or_else(|| StoreError::NotFound {
        entity: "job",
        key: lease.job_id.to_string(),
    })?;
    if job.attempts == lease.attempt && job.state == repeat_state {
        return Ok(job);
    }
    Err(StoreError::LeaseLost {
        job_id: lease.job_id,
        attempt: lease.attempt,
        current_attempt: job.attempts,
        state: job.state.to_string(),
    })
}

/// Runs `sql`, an update of the job `lease` names guarded by its attempt that returns the
/// job; when it matches nothing, says why ([`explain_lease_miss`]).
fn leased_update(
    conn: &rusqlite::Connection,
    lease: JobLease,
    repeat_state: JobState,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Job, StoreError> {
    match direct::query_opt(conn, sql, params, |row| rows::job(row))? {
        Some(job) => Ok(job),
        None => explain_lease_miss(conn, lease, repeat_state),
    }
}

/// [`JobQueue::complete`] inside a write already open (so a flow can complete its job in
/// the same transaction as its own record).
pub(crate) fn complete_in(
    conn: &rusqlite::Connection,
    lease: JobLease,
    result: &Value,
    now: OffsetDateTime,
) -> Result<Job, StoreError> {
    // Matching `attempts` is the guard: a rescued job nobody re-claimed (`queued`, same
    // attempt) may still be completed; one claimed again may not.
    leased_update(
        conn,
        lease,
        JobState::Done,
        concat!(
            // A re-arm asked while this run went on queues the job once more.
            "UPDATE jobs SET result = ?1, lease_until = NULL, updated_at = ?2, \
             state = CASE WHEN rearm_pending = 1 THEN 'queued' ELSE 'done' END, \
             run_at = CASE WHEN rearm_pending = 1 THEN ?2 ELSE run_at END, \
             rearm_pending = 0 \
             WHERE id = ?3 AND attempts = ?4 AND state IN ('running', 'queued') RETURNING ",
            job_cols!()
        ),
        params![
            json_text(result)?,
            to_ms(now),
            lease.job_id,
            i64::from(lease.attempt)
        ],
    )
}

impl JobQueue for SqliteStore {
    fn enqueue<'a>(&'a self, job: NewJob, now: OffsetDateTime) -> StoreFuture<'a, Enqueued> {
        Box::pin(self.write_direct(move |conn| {
            if job.max_attempts == 0 {
                return Err(StoreError::InvalidArgument(
                    "max_attempts must be at least 1".into(),
                ));
            }
            let inserted = direct::query_opt(
                conn,
                concat!(
                    "INSERT INTO jobs (client, kind, idempotency_key, payload, state, attempts, \
                     max_attempts, run_at, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?6, ?7, ?7) \
                     ON CONFLICT (client, kind, idempotency_key) DO NOTHING RETURNING ",
                    job_cols!()
                ),
                params![
                    job.client,
                    job.kind,
                    job.idempotency_key,
                    json_text(&job.payload)?,
                    i64::from(job.max_attempts),
                    to_ms(job.run_at),
                    to_ms(now)
                ],
                |row| rows::job(row),
            )?;
            if let Some(created) = inserted {
                return Ok(Enqueued {
                    job: created,
                    created: true,
                });
            }
            let existing = direct::query_opt(
                conn,
                concat!(
                    "SELECT ",
                    job_cols!(),
                    " FROM jobs WHERE client = ? AND kind = ? AND idempotency_key = ?"
                ),
                params![job.client, job.kind, job.idempotency_key],
                |row| rows::job(row),
            )?;
            let job = existing.ok_or_else(|| StoreError::NotFound {
                entity: "job",
                key: job.idempotency_key.clone(),
            })?;
            Ok(Enqueued {
                job,
                created: false,
            })
        }))
    }

    fn claim<'a>(
        &'a self,
        kinds: &'a [&'a str],
        limit: u32,
        lease: Duration,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<Job>> {
        // Nothing to claim takes no write.
        let nothing = kinds.is_empty() || limit == 0;
        let kinds = serde_json::to_string(kinds);
        Box::pin(async move {
            let kinds = kinds?;
            if nothing {
                return Ok(Vec::new());
            }
            self.write_direct(move |conn| {
                let now = to_ms(now);
                // One statement: selecting and marking cannot interleave with another claimer.
                let jobs = direct::query_all(
                    conn,
                    concat!(
                        "UPDATE jobs SET state = 'running', attempts = attempts + 1, \
                         lease_until = ?1, updated_at = ?2, rearm_pending = 0 \
                         WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= ?2 \
                         AND kind IN (SELECT value FROM json_each(?3)) ORDER BY run_at, id LIMIT ?4) \
                         RETURNING ",
                        job_cols!()
                    ),
                    params![
                        now.saturating_add(duration_ms(lease)),
                        now,
                        kinds,
                        i64::from(limit)
                    ],
                    |row| rows::job(row),
                )?;
                Ok(in_run_order(jobs))
            })
            .await
        })
    }

    fn complete<'a>(
        &'a self,
        lease: JobLease,
        result: Value,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job> {
        Box::pin(self.write_direct(move |conn| complete_in(conn, lease, &result, now)))
    }

    fn fail<'a>(
        &'a self,
        lease: JobLease,
        error: &'a str,
        action: FailAction,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job> {
        let error = error.to_owned();
        Box::pin(self.write_direct(move |conn| {
            let now = to_ms(now);
            let (state, run_at) = match action {
                FailAction::RetryAt(at) => (JobState::Queued, to_ms(at)),
                FailAction::GiveUp => (JobState::Dead, now),
            };
            leased_update(
                conn,
                lease,
                state,
                concat!(
                    "UPDATE jobs SET state = ?1, run_at = ?2, last_error = ?3, lease_until = NULL, \
                     updated_at = ?4 \
                     WHERE id = ?5 AND attempts = ?6 AND state IN ('running', 'queued') RETURNING ",
                    job_cols!()
                ),
                params![
                    state.as_str(),
                    run_at,
                    error,
                    now,
                    lease.job_id,
                    i64::from(lease.attempt)
                ],
            )
        }))
    }

    fn snooze<'a>(
        &'a self,
        lease: JobLease,
        note: &'a str,
        run_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job> {
        let (note, run_at, now) = (note.to_owned(), to_ms(run_at), to_ms(now));
        Box::pin(self.write_direct(move |conn| {
            // The attempt stays counted (attempt numbers only grow, which is what fences
            // stale leases); counting it as a snooze keeps the wait off the limit.
            leased_update(
                conn,
                lease,
                JobState::Queued,
                concat!(
                    "UPDATE jobs SET state = 'queued', run_at = ?1, last_error = ?2, \
                     lease_until = NULL, snoozes = snoozes + 1, updated_at = ?3 \
                     WHERE id = ?4 AND attempts = ?5 AND state = 'running' RETURNING ",
                    job_cols!()
                ),
                params![run_at, note, now, lease.job_id, i64::from(lease.attempt)],
            )
        }))
    }

    fn rescue_expired_leases<'a>(
        &'a self,
        kinds: &'a [&'a str],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<Job>> {
        let kinds = serde_json::to_string(kinds);
        Box::pin(async move {
            let kinds = kinds?;
            let jobs = self
                .write_direct(move |conn| {
                    // Checking `running` and the lease in the same statement that updates
                    // is what keeps a completion that committed first from being undone.
                    direct::query_all(
                        conn,
                        concat!(
                            "UPDATE jobs SET \
                             state = CASE WHEN attempts - snoozes >= max_attempts THEN 'dead' ELSE 'queued' END, \
                             last_error = 'lease expired during attempt ' || attempts, \
                             run_at = ?1, lease_until = NULL, updated_at = ?1 \
                             WHERE state = 'running' AND lease_until < ?1 \
                             AND kind IN (SELECT value FROM json_each(?2)) RETURNING ",
                            job_cols!()
                        ),
                        params![to_ms(now), kinds],
                        |row| rows::job(row),
                    )
                })
                .await?;
            let jobs = in_run_order(jobs);
            for job in &jobs {
                tracing::warn!(
                    job_id = job.id, client = %job.client, kind = %job.kind,
                    attempts = job.attempts, state = %job.state,
                    "job lease expired: worker stopped before finishing it"
                );
            }
            Ok(jobs)
        })
    }

    fn job<'a>(&'a self, id: i64) -> StoreFuture<'a, Option<Job>> {
        Box::pin(async move {
            let row = sqlx::query(concat!("SELECT ", job_cols!(), " FROM jobs WHERE id = ?"))
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
            row.as_ref().map(rows::job).transpose()
        })
    }

    fn job_by_key<'a>(
        &'a self,
        client: &'a str,
        kind: &'a str,
        idempotency_key: &'a str,
    ) -> StoreFuture<'a, Option<Job>> {
        Box::pin(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                job_cols!(),
                " FROM jobs WHERE client = ? AND kind = ? AND idempotency_key = ?"
            ))
            .bind(client)
            .bind(kind)
            .bind(idempotency_key)
            .fetch_optional(self.reader())
            .await?;
            row.as_ref().map(rows::job).transpose()
        })
    }

    fn cancel_job<'a>(
        &'a self,
        job_id: i64,
        note: &'a str,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Option<Job>> {
        let note = note.to_owned();
        Box::pin(self.write_direct(move |conn| {
            direct::execute(
                conn,
                "UPDATE jobs SET state = 'cancelled', last_error = ?1, updated_at = ?2 \
                 WHERE id = ?3 AND state = 'queued'",
                params![note, to_ms(now), job_id],
            )?;
            job_by_id(conn, job_id)
        }))
    }

    fn list_jobs<'a>(
        &'a self,
        client: &'a str,
        state: Option<JobState>,
        limit: u32,
        before: Option<i64>,
    ) -> StoreFuture<'a, Vec<Job>> {
        Box::pin(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                job_cols!(),
                " FROM jobs WHERE client = ?1 AND (?2 IS NULL OR state = ?2) \
                 AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4"
            ))
            .bind(client)
            .bind(state.map(|s| s.as_str()))
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::job).collect()
        })
    }

    fn queue_depth<'a>(&'a self, client: &'a str, kind: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE client = ? AND kind = ? \
                 AND state IN ('queued', 'running')",
            )
            .bind(client)
            .bind(kind)
            .fetch_one(self.reader())
            .await?;
            count_u64(n, "queue depth")
        })
    }

    fn heartbeat<'a>(
        &'a self,
        leases: &'a [JobLease],
        lease: Duration,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<JobLease>> {
        let leases = leases.to_vec();
        Box::pin(self.write_direct(move |conn| {
            let now = to_ms(now);
            let until = now.saturating_add(duration_ms(lease));
            let mut held = Vec::with_capacity(leases.len());
            for l in leases {
                // The attempt is the fence: a job rescued and claimed again is not extended.
                let updated = direct::execute(
                    conn,
                    "UPDATE jobs SET lease_until = ?1, updated_at = ?2 \
                     WHERE id = ?3 AND attempts = ?4 AND state = 'running'",
                    params![until, now, l.job_id, i64::from(l.attempt)],
                )?;
                if updated == 1 {
                    held.push(l);
                }
            }
            Ok(held)
        }))
    }

    fn lease_held<'a>(&'a self, lease: JobLease, now: OffsetDateTime) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE id = ? AND attempts = ? AND state = 'running' \
                 AND lease_until >= ?",
            )
            .bind(lease.job_id)
            .bind(i64::from(lease.attempt))
            .bind(to_ms(now))
            .fetch_one(self.reader())
            .await?;
            Ok(n == 1)
        })
    }

    fn due_work<'a>(
        &'a self,
        kind_prefixes: &'a [&'a str],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<DueWork>> {
        let prefixes = serde_json::to_string(kind_prefixes);
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT client, kind, COUNT(*) AS ready FROM jobs \
                 WHERE state = 'queued' AND run_at <= ?1 \
                 AND EXISTS (SELECT 1 FROM json_each(?2) p \
                   WHERE jobs.kind = p.value OR substr(jobs.kind, 1, length(p.value) + 1) = p.value || '/') \
                 GROUP BY client, kind ORDER BY MIN(run_at)",
            )
            .bind(to_ms(now))
            .bind(prefixes?)
            .fetch_all(self.reader())
            .await?;
            rows.iter()
                .map(|r| {
                    let ready: i64 = r.try_get("ready")?;
                    Ok(DueWork {
                        client: r.try_get("client")?,
                        kind: r.try_get("kind")?,
                        ready: u64::try_from(ready).unwrap_or(0),
                    })
                })
                .collect()
        })
    }

    fn job_kind_stats<'a>(&'a self, now: OffsetDateTime) -> StoreFuture<'a, Vec<JobKindStats>> {
        Box::pin(async move {
            let now = to_ms(now);
            let rows: Vec<KindStatsRow> = sqlx::query_as(
                "SELECT client, kind, \
                 SUM(state = 'queued'), SUM(state = 'running'), \
                 MIN(CASE WHEN state = 'queued' AND run_at <= ?1 THEN run_at END), \
                 MAX(attempts - snoozes) \
                 FROM jobs WHERE state IN ('queued', 'running') GROUP BY client, kind",
            )
            .bind(now)
            .fetch_all(self.reader())
            .await?;
            Ok(rows
                .into_iter()
                .map(
                    |(client, kind, queued, running, oldest, attempts)| JobKindStats {
                        client,
                        kind,
                        queued: u64::try_from(queued).unwrap_or(0),
                        running: u64::try_from(running).unwrap_or(0),
                        oldest_due_seconds: oldest
                            .map_or(0.0, |t| (now - t).max(0) as f64 / 1000.0),
                        max_attempts_used: attempts
                            .and_then(|a| u32::try_from(a).ok())
                            .unwrap_or(0),
                    },
                )
                .collect())
        })
    }

    fn rearm<'a>(
        &'a self,
        job_id: i64,
        run_at: OffsetDateTime,
        extra_attempts: u32,
        payload: Option<Value>,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job> {
        let payload = payload.as_ref().map(json_text).transpose();
        Box::pin(async move {
            let payload = payload?;
            self.write_direct(move |conn| {
                let values = params![
                    to_ms(run_at),
                    i64::from(extra_attempts.max(1)),
                    to_ms(now),
                    job_id,
                    payload
                ];
                let queued = direct::query_opt(
                    conn,
                    concat!(
                        "UPDATE jobs SET state = 'queued', run_at = ?1, lease_until = NULL, \
                         max_attempts = attempts - snoozes + ?2, updated_at = ?3, \
                         payload = COALESCE(?5, payload) \
                         WHERE id = ?4 AND state IN ('queued', 'done', 'dead') RETURNING ",
                        job_cols!()
                    ),
                    values,
                    |row| rows::job(row),
                )?;
                if let Some(job) = queued {
                    return Ok(job);
                }
                // Running: remembered, and acted on when this run completes. (`?1` is unused
                // here, and bound all the same: the count is the highest number used.)
                let noted = direct::query_opt(
                    conn,
                    concat!(
                        "UPDATE jobs SET rearm_pending = 1, updated_at = ?3, \
                         max_attempts = MAX(max_attempts, attempts - snoozes + ?2), \
                         payload = COALESCE(?5, payload) \
                         WHERE id = ?4 AND state = 'running' RETURNING ",
                        job_cols!()
                    ),
                    values,
                    |row| rows::job(row),
                )?;
                match noted {
                    Some(job) => Ok(job),
                    // Unknown.
                    None => job_by_id(conn, job_id)?.ok_or_else(|| StoreError::NotFound {
                        entity: "job",
                        key: job_id.to_string(),
                    }),
                }
            })
            .await
        })
    }
}
