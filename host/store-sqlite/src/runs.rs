//! Sync runs on SQLite.

use time::OffsetDateTime;

use super::SqliteStore;
use selvedge_store::rows;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Measurements, RunStatus, StoreError, StoreFuture, SyncRun, SyncRuns};

macro_rules! run_cols {
    () => {
        "id, client, flow, started_at, finished_at, status, measurements, error"
    };
}

/// Closes running runs as failed: `?1` the reason, `?2` the time.
macro_rules! fail_running {
    () => {
        "UPDATE sync_runs SET status = 'failed', error = ?1, finished_at = ?2 \
         WHERE status = 'running'"
    };
}

impl SyncRuns for SqliteStore {
    fn start_run<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, i64> {
        let (client, flow) = (client.to_owned(), flow.to_owned());
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let (client, flow) = (client.as_str(), flow.as_str());
                Ok(sqlx::query_scalar(
                    "INSERT INTO sync_runs (client, flow, started_at, status, measurements) \
                 VALUES (?, ?, ?, 'running', '{}') RETURNING id",
                )
                .bind(client)
                .bind(flow)
                .bind(to_ms(at))
                .fetch_one(&mut *conn)
                .await?)
            })
        }))
    }

    fn finish_run<'a>(
        &'a self,
        run_id: i64,
        status: RunStatus,
        measurements: &'a Measurements,
        error: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, SyncRun> {
        let (measurements, error) = (measurements.clone(), error.map(str::to_owned));
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let (measurements, error) = (&measurements, error.as_deref());
                if status == RunStatus::Running {
                    return Err(StoreError::InvalidArgument(
                        "a run cannot finish as `running`".into(),
                    ));
                }
                let row = sqlx::query(concat!(
                    "UPDATE sync_runs SET status = ?, measurements = ?, error = ?, finished_at = ? \
                 WHERE id = ? AND status = 'running' RETURNING ",
                    run_cols!()
                ))
                .bind(status.as_str())
                .bind(serde_json::to_string(measurements)?)
                .bind(error)
                .bind(to_ms(at))
                .bind(run_id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    entity: "running sync run",
                    key: run_id.to_string(),
                })?;
                rows::sync_run(&row)
            })
        }))
    }

    fn runs_before<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
        before: Option<i64>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<SyncRun>> {
        Box::pin(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                run_cols!(),
                " FROM sync_runs WHERE client = ? AND flow = ? AND id < ? \
                 ORDER BY id DESC LIMIT ?"
            ))
            .bind(client)
            .bind(flow)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::sync_run).collect()
        })
    }

    fn last_successful_run<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
    ) -> StoreFuture<'a, Option<SyncRun>> {
        Box::pin(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                run_cols!(),
                " FROM sync_runs WHERE client = ? AND flow = ? AND status = 'succeeded' \
                 ORDER BY id DESC LIMIT 1"
            ))
            .bind(client)
            .bind(flow)
            .fetch_optional(self.reader())
            .await?;
            row.as_ref().map(rows::sync_run).transpose()
        })
    }

    fn fail_unfinished_runs<'a>(
        &'a self,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, u64> {
        self.fail_running(None, reason, at)
    }

    fn fail_unfinished_runs_of<'a>(
        &'a self,
        client: &'a str,
        flow: &'a str,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, u64> {
        self.fail_running(Some((client, flow)), reason, at)
    }
}

impl SqliteStore {
    /// Marks the runs still `running` as failed with `reason`: every one, or (`of`) those of
    /// one client's flow.
    fn fail_running<'a>(
        &'a self,
        of: Option<(&str, &str)>,
        reason: &str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, u64> {
        let of = of.map(|(client, flow)| (client.to_owned(), flow.to_owned()));
        let reason = reason.to_owned();
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let sql = match of {
                    None => fail_running!(),
                    Some(_) => concat!(fail_running!(), " AND client = ?3 AND flow = ?4"),
                };
                let mut query = sqlx::query(sql).bind(reason).bind(to_ms(at));
                if let Some((client, flow)) = of {
                    query = query.bind(client).bind(flow);
                }
                Ok(query.execute(&mut *conn).await?.rows_affected())
            })
        }))
    }
}
