//! Sync runs on PostgreSQL: every write is one statement.

use time::OffsetDateTime;

use super::{PgStore, op};
use selvedge_store::rows;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Measurements, RunStatus, StoreError, StoreFuture, SyncRun, SyncRuns};

macro_rules! run_cols {
    () => {
        "id, client, flow, started_at, finished_at, status, measurements, error"
    };
}

/// Closes running runs as failed: `$1` the reason, `$2` the time.
macro_rules! fail_running {
    () => {
        "UPDATE sync_runs SET status = 'failed', error = $1, finished_at = $2 \
         WHERE status = 'running'"
    };
}

impl SyncRuns for PgStore {
    fn start_run<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, i64> {
        op(async move {
            Ok(sqlx::query_scalar(
                "INSERT INTO sync_runs (client, flow, started_at, status, measurements) \
                 VALUES ($1, $2, $3, 'running', '{}') RETURNING id",
            )
            .bind(client)
            .bind(flow)
            .bind(to_ms(at))
            .fetch_one(self.pool())
            .await?)
        })
    }

    fn finish_run<'a>(
        &'a self,
        run_id: i64,
        status: RunStatus,
        measurements: &'a Measurements,
        error: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, SyncRun> {
        op(async move {
            if status == RunStatus::Running {
                return Err(StoreError::InvalidArgument(
                    "a run cannot finish as `running`".into(),
                ));
            }
            let row = sqlx::query(concat!(
                "UPDATE sync_runs SET status = $1, measurements = $2, error = $3, \
                 finished_at = $4 WHERE id = $5 AND status = 'running' RETURNING ",
                run_cols!()
            ))
            .bind(status.as_str())
            .bind(serde_json::to_string(measurements)?)
            .bind(error)
            .bind(to_ms(at))
            .bind(run_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "running sync run",
                key: run_id.to_string(),
            })?;
            rows::sync_run(&row)
        })
    }

    fn runs_before<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
        before: Option<i64>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<SyncRun>> {
        op(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                run_cols!(),
                " FROM sync_runs WHERE client = $1 AND flow = $2 AND id < $3 \
                 ORDER BY id DESC LIMIT $4"
            ))
            .bind(client)
            .bind(flow)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::sync_run).collect()
        })
    }

    fn last_successful_run<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
    ) -> StoreFuture<'a, Option<SyncRun>> {
        op(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                run_cols!(),
                " FROM sync_runs WHERE client = $1 AND flow = $2 AND status = 'succeeded' \
                 ORDER BY id DESC LIMIT 1"
            ))
            .bind(client)
            .bind(flow)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(rows::sync_run).transpose()
        })
    }

    fn fail_unfinished_runs<'a>(
        &'a self,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, u64> {
        op(async move {
            Ok(sqlx::query(fail_running!())
                .bind(reason)
                .bind(to_ms(at))
                .execute(self.pool())
                .await?
                .rows_affected())
        })
    }

    fn fail_unfinished_runs_of<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, u64> {
        op(async move {
            Ok(
                sqlx::query(concat!(fail_running!(), " AND client = $3 AND flow = $4"))
                    .bind(reason)
                    .bind(to_ms(at))
                    .bind(client)
                    .bind(flow)
                    .execute(self.pool())
                    .await?
                    .rows_affected(),
            )
        })
    }
}
