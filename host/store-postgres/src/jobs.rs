//! Job queue on PostgreSQL: a claim picks rows with `FOR UPDATE SKIP LOCKED` and marks them
//! in the same statement, so claimers on any number of hosts never take the same job and
//! never wait for each other. Every other change is one guarded `UPDATE`, fenced by the
//! lease's attempt number as on SQLite.

use std::time::Duration;

use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use super::{PgStore, in_tx, op};
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

fn jobs_from_rows(rows: &[PgRow]) -> Result<Vec<Job>, StoreError> {
    let mut jobs = rows.iter().map(rows::job).collect::<Result<Vec<_>, _>>()?;
    // RETURNING gives rows in no particular order.
    jobs.sort_by_key(|j| (j.run_at, j.id));
    Ok(jobs)
}

fn owned(kinds: &[&str]) -> Vec<String> {
    kinds.iter().map(|k| (*k).to_owned()).collect()
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        entity: "job",
        key: id.to_string(),
    }
}

async fn job_by_id(conn: &mut PgConnection, id: i64) -> Result<Option<Job>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", job_cols!(), " FROM jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(rows::job).transpose()
}

/// Why a guarded update matched nothing: an idempotent repeat (`Ok`) or a lost lease.
async fn explain_lease_miss(
    conn: &mut PgConnection,
    lease: JobLease,
    repeat_state: JobState,
) -> Result<Job, StoreError> {
    let job = job_by_id(conn, lease.job_id)
        .await?
        .ok_or_else(|| not_found(lease.job_id))?;
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

/// The answer to a guarded update by lease: the updated job, or why there was none.
async fn settle(
    store: &PgStore,
    row: Option<PgRow>,
    lease: JobLease,
    repeat_state: JobState,
) -> Result<Job, StoreError> {
    match row {
        Some(row) => rows::job(&row),
        None => {
            let mut conn = store.pool().acquire().await?;
            explain_lease_miss(&mut conn, lease, repeat_state).await
        }
    }
}

/// [`JobQueue::complete`] on a connection the caller holds (so a flow can complete its
/// job in the same transaction as its own record).
pub(crate) async fn complete_in(
    conn: &mut PgConnection,
    lease: JobLease,
    result: &Value,
    now: OffsetDateTime,
) -> Result<Job, StoreError> {
    // Matching `attempts` is the guard: a rescued job nobody re-claimed (`queued`, same
    // attempt) may still be completed; one claimed again may not. A re-arm asked while this
    // run went on queues the job once more.
    let row = sqlx::query(concat!(
        "UPDATE jobs SET result = $1, lease_until = NULL, updated_at = $2, \
         state = CASE WHEN rearm_pending THEN 'queued' ELSE 'done' END, \
         run_at = CASE WHEN rearm_pending THEN $2 ELSE run_at END, \
         rearm_pending = FALSE \
         WHERE id = $3 AND attempts = $4 AND state IN ('running', 'queued') RETURNING ",
        job_cols!()
    ))
    .bind(json_text(result)?)
    .bind(to_ms(now))
    .bind(lease.job_id)
    .bind(i64::from(lease.attempt))
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => rows::job(&row),
        None => explain_lease_miss(conn, lease, JobState::Done).await,
    }
}

impl JobQueue for PgStore {
    fn enqueue<'a>(&'a self, job: NewJob, now: OffsetDateTime) -> StoreFuture<'a, Enqueued> {
        op(async move {
            if job.max_attempts == 0 {
                return Err(StoreError::InvalidArgument(
                    "max_attempts must be at least 1".into(),
                ));
            }
            let payload = json_text(&job.payload)?;
            let now = to_ms(now);
            // DO NOTHING waits for a racing insert of the same key to commit, and the SELECT
            // after it (a new snapshot) then sees that row: a duplicate never errors.
            let inserted = sqlx::query(concat!(
                "INSERT INTO jobs (client, kind, idempotency_key, payload, state, attempts, \
                 max_attempts, run_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $7) \
                 ON CONFLICT (client, kind, idempotency_key) DO NOTHING RETURNING ",
                job_cols!()
            ))
            .bind(&job.client)
            .bind(&job.kind)
            .bind(&job.idempotency_key)
            .bind(payload)
            .bind(i64::from(job.max_attempts))
            .bind(to_ms(job.run_at))
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
            let (job, created) = match inserted {
                Some(row) => {
                    notify_new_job(self, &job.client).await;
                    (rows::job(&row)?, true)
                }
                None => (
                    self.job_by_key(&job.client, &job.kind, &job.idempotency_key)
                        .await?
                        .ok_or_else(|| {
                            StoreError::WriteFailed(format!(
                                "job {}/{}/{} conflicted but cannot be read",
                                job.client, job.kind, job.idempotency_key
                            ))
                        })?,
                    false,
                ),
            };
            Ok(Enqueued { job, created })
        })
    }

    fn claim<'a>(
        &'a self,
        kinds: &'a [&'a str],
        limit: u32,
        lease: Duration,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<Job>> {
        op(async move {
            if kinds.is_empty() || limit == 0 {
                return Ok(Vec::new());
            }
            let now = to_ms(now);
            // SKIP LOCKED: rows another claimer is taking right now are left to it, so
            // concurrent claims split the due jobs instead of queueing on each other.
            let rows = sqlx::query(concat!(
                "WITH picked AS (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $2 \
                 AND kind = ANY($3) ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1, \
                 updated_at = $2, rearm_pending = FALSE \
                 WHERE id IN (SELECT id FROM picked) RETURNING ",
                job_cols!()
            ))
            .bind(now.saturating_add(duration_ms(lease)))
            .bind(now)
            .bind(owned(kinds))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            jobs_from_rows(&rows)
        })
    }

    fn complete<'a>(
        &'a self,
        lease: JobLease,
        result: Value,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job> {
        op(async move {
            let mut conn = self.pool().acquire().await?;
            complete_in(&mut conn, lease, &result, now).await
        })
    }

    fn fail<'a>(
        &'a self,
        lease: JobLease,
        error: &'a str,
        action: FailAction,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job> {
        op(async move {
            let now = to_ms(now);
            let (state, run_at) = match action {
                FailAction::RetryAt(at) => (JobState::Queued, to_ms(at)),
                FailAction::GiveUp => (JobState::Dead, now),
            };
            let row = sqlx::query(concat!(
                "UPDATE jobs SET state = $1, run_at = $2, last_error = $3, lease_until = NULL, \
                 updated_at = $4 \
                 WHERE id = $5 AND attempts = $6 AND state IN ('running', 'queued') RETURNING ",
                job_cols!()
            ))
            .bind(state.as_str())
            .bind(run_at)
            .bind(error)
            .bind(now)
            .bind(lease.job_id)
            .bind(i64::from(lease.attempt))
            .fetch_optional(self.pool())
            .await?;
            settle(self, row, lease, state).await
        })
    }

    fn snooze<'a>(
        &'a self,
        lease: JobLease,
        note: &'a str,
        run_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Job> {
        op(async move {
            // The attempt stays counted (attempt numbers only grow, which is what fences
            // stale leases); counting it as a snooze keeps the wait off the limit.
            let row = sqlx::query(concat!(
                "UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2, \
                 lease_until = NULL, snoozes = snoozes + 1, updated_at = $3 \
                 WHERE id = $4 AND attempts = $5 AND state = 'running' RETURNING ",
                job_cols!()
            ))
            .bind(to_ms(run_at))
            .bind(note)
            .bind(to_ms(now))
            .bind(lease.job_id)
            .bind(i64::from(lease.attempt))
            .fetch_optional(self.pool())
            .await?;
            settle(self, row, lease, JobState::Queued).await
        })
    }

    fn rescue_expired_leases<'a>(
        &'a self,
        kinds: &'a [&'a str],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<Job>> {
        op(async move {
            let kinds = owned(kinds);
            // Checking `running` and the lease in the statement that updates is what keeps a
            // completion that committed first from being undone: PostgreSQL re-checks both on
            // a row another transaction changed meanwhile.
            let rows = in_tx!(self, |conn| {
                Ok(sqlx::query(concat!(
                    "UPDATE jobs SET \
                     state = CASE WHEN attempts - snoozes >= max_attempts THEN 'dead' ELSE 'queued' END, \
                     last_error = 'lease expired during attempt ' || attempts, \
                     run_at = $1, lease_until = NULL, updated_at = $1 \
                     WHERE state = 'running' AND lease_until < $1 AND kind = ANY($2) RETURNING ",
                    job_cols!()
                ))
                .bind(to_ms(now))
                .bind(&kinds)
                .fetch_all(&mut *conn)
                .await?)
            })?;
            let jobs = jobs_from_rows(&rows)?;
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
        op(async move {
            let row = sqlx::query(concat!("SELECT ", job_cols!(), " FROM jobs WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
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
        op(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                job_cols!(),
                " FROM jobs WHERE client = $1 AND kind = $2 AND idempotency_key = $3"
            ))
            .bind(client)
            .bind(kind)
            .bind(idempotency_key)
            .fetch_optional(self.pool())
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
        op(async move {
            sqlx::query(
                "UPDATE jobs SET state = 'cancelled', last_error = $1, updated_at = $2 \
                 WHERE id = $3 AND state = 'queued'",
            )
            .bind(note)
            .bind(to_ms(now))
            .bind(job_id)
            .execute(self.pool())
            .await?;
            let row = sqlx::query(concat!("SELECT ", job_cols!(), " FROM jobs WHERE id = $1"))
                .bind(job_id)
                .fetch_optional(self.pool())
                .await?;
            row.as_ref().map(rows::job).transpose()
        })
    }

    fn list_jobs<'a>(
        &'a self,
        client: &'a str,
        state: Option<JobState>,
        limit: u32,
        before: Option<i64>,
    ) -> StoreFuture<'a, Vec<Job>> {
        op(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                job_cols!(),
                " FROM jobs WHERE client = $1 AND ($2::text IS NULL OR state = $2) \
                 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
            ))
            .bind(client)
            .bind(state.map(|s| s.as_str()))
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::job).collect()
        })
    }

    fn queue_depth<'a>(&'a self, client: &'a str, kind: &'a str) -> StoreFuture<'a, u64> {
        op(async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE client = $1 AND kind = $2 \
                 AND state IN ('queued', 'running')",
            )
            .bind(client)
            .bind(kind)
            .fetch_one(self.pool())
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
        op(async move {
            let now = to_ms(now);
            let until = now.saturating_add(duration_ms(lease));
            let ids: Vec<i64> = leases.iter().map(|l| l.job_id).collect();
            let attempts: Vec<i64> = leases.iter().map(|l| i64::from(l.attempt)).collect();
            // One statement for all leases; the attempt is the fence: a job rescued and
            // claimed again is not extended.
            let extended: Vec<(i64, i64)> = in_tx!(self, |conn| {
                Ok(sqlx::query_as(
                    "UPDATE jobs SET lease_until = $1, updated_at = $2 \
                     FROM unnest($3::bigint[], $4::bigint[]) AS l(id, attempt) \
                     WHERE jobs.id = l.id AND jobs.attempts = l.attempt AND jobs.state = 'running' \
                     RETURNING jobs.id, jobs.attempts",
                )
                .bind(until)
                .bind(now)
                .bind(&ids)
                .bind(&attempts)
                .fetch_all(&mut *conn)
                .await?)
            })?;
            Ok(leases
                .iter()
                .filter(|l| extended.contains(&(l.job_id, i64::from(l.attempt))))
                .copied()
                .collect())
        })
    }

    fn lease_held<'a>(&'a self, lease: JobLease, now: OffsetDateTime) -> StoreFuture<'a, bool> {
        op(async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE id = $1 AND attempts = $2 \
                 AND state = 'running' AND lease_until >= $3",
            )
            .bind(lease.job_id)
            .bind(i64::from(lease.attempt))
            .bind(to_ms(now))
            .fetch_one(self.pool())
            .await?;
            Ok(n == 1)
        })
    }

    fn due_work<'a>(
        &'a self,
        kind_prefixes: &'a [&'a str],
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<DueWork>> {
        op(async move {
            let rows = sqlx::query(
                "SELECT client, kind, COUNT(*) AS ready FROM jobs \
                 WHERE state = 'queued' AND run_at <= $1 \
                 AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS p(prefix) \
                   WHERE jobs.kind = p.prefix OR starts_with(jobs.kind, p.prefix || '/')) \
                 GROUP BY client, kind ORDER BY MIN(run_at), client, kind",
            )
            .bind(to_ms(now))
            .bind(owned(kind_prefixes))
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(DueWork {
                        client: r.try_get("client")?,
                        kind: r.try_get("kind")?,
                        ready: count_u64(r.try_get("ready")?, "ready jobs")?,
                    })
                })
                .collect()
        })
    }

    fn job_kind_stats<'a>(&'a self, now: OffsetDateTime) -> StoreFuture<'a, Vec<JobKindStats>> {
        op(async move {
            let now = to_ms(now);
            let rows = sqlx::query(
                "SELECT client, kind, \
                 COUNT(*) FILTER (WHERE state = 'queued') AS queued, \
                 COUNT(*) FILTER (WHERE state = 'running') AS running, \
                 MIN(run_at) FILTER (WHERE state = 'queued' AND run_at <= $1) AS oldest, \
                 MAX(attempts - snoozes) AS used \
                 FROM jobs WHERE state IN ('queued', 'running') \
                 GROUP BY client, kind ORDER BY client, kind",
            )
            .bind(now)
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|r| {
                    let oldest: Option<i64> = r.try_get("oldest")?;
                    let used: Option<i64> = r.try_get("used")?;
                    Ok(JobKindStats {
                        client: r.try_get("client")?,
                        kind: r.try_get("kind")?,
                        queued: count_u64(r.try_get("queued")?, "queued jobs")?,
                        running: count_u64(r.try_get("running")?, "running jobs")?,
                        oldest_due_seconds: oldest
                            .map_or(0.0, |t| (now - t).max(0) as f64 / 1000.0),
                        max_attempts_used: used.and_then(|a| u32::try_from(a).ok()).unwrap_or(0),
                    })
                })
                .collect()
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
        op(async move {
            let payload = payload.as_ref().map(json_text).transpose()?;
            let (run_at, now) = (to_ms(run_at), to_ms(now));
            let extra = i64::from(extra_attempts.max(1));
            let job = in_tx!(self, |conn| {
                // Locked first: a completion or claim between reading the state and acting on
                // it would otherwise lose the re-arm.
                let state: Option<String> =
                    sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1 FOR UPDATE")
                        .bind(job_id)
                        .fetch_optional(&mut *conn)
                        .await?;
                let state = JobState::parse(&state.ok_or_else(|| not_found(job_id))?)?;
                if state == JobState::Cancelled {
                    // A person's cancel: no event brings the job back.
                    let row =
                        sqlx::query(concat!("SELECT ", job_cols!(), " FROM jobs WHERE id = $1"))
                            .bind(job_id)
                            .fetch_one(&mut *conn)
                            .await?;
                    return rows::job(&row);
                }
                let running = state == JobState::Running;
                let sql = if running {
                    // Remembered, and acted on when this run completes.
                    concat!(
                        "UPDATE jobs SET rearm_pending = TRUE, updated_at = $2, \
                         max_attempts = GREATEST(max_attempts, attempts - snoozes + $1), \
                         payload = COALESCE($4, payload) WHERE id = $3 RETURNING ",
                        job_cols!()
                    )
                } else {
                    concat!(
                        "UPDATE jobs SET state = 'queued', run_at = $5, lease_until = NULL, \
                         max_attempts = attempts - snoozes + $1, updated_at = $2, \
                         payload = COALESCE($4, payload) WHERE id = $3 RETURNING ",
                        job_cols!()
                    )
                };
                let query = sqlx::query(sql)
                    .bind(extra)
                    .bind(now)
                    .bind(job_id)
                    .bind(payload.as_deref());
                let query = if running { query } else { query.bind(run_at) };
                let row = query.fetch_one(&mut *conn).await?;
                rows::job(&row)
            })?;
            if job.state == JobState::Queued {
                notify_new_job(self, &job.client).await;
            }
            Ok(job)
        })
    }
}

/// Tells every host listening (`LISTEN selvedge_jobs`) that `client` has a new job. A lost
/// notification only delays the job to the next poll, so a failure is logged, not returned.
pub(crate) async fn notify_new_job(store: &PgStore, client: &str) {
    if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
        .bind(crate::JOBS_CHANNEL)
        .bind(client)
        .execute(store.pool())
        .await
    {
        tracing::debug!(%client, error = %e, "cannot notify other hosts of a new job");
    }
}
