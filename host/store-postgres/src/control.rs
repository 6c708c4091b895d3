//! Pauses and run requests on PostgreSQL.

use super::{PgStore, op};
use selvedge_store::rows;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Pause, RunControl, RunRequest, StoreFuture};

impl RunControl for PgStore {
    fn pause<'a>(&'a self, pause: &'a Pause) -> StoreFuture<'a, ()> {
        op(async move {
            sqlx::query(
                "INSERT INTO pauses (client, flow, paused_by, paused_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (client, flow) DO NOTHING",
            )
            .bind(&pause.client)
            .bind(&pause.flow)
            .bind(&pause.by)
            .bind(to_ms(pause.at))
            .execute(self.pool())
            .await?;
            Ok(())
        })
    }

    fn resume<'a>(&'a self, client: &'a str, flow: &'a str) -> StoreFuture<'a, bool> {
        op(async move {
            let done = sqlx::query("DELETE FROM pauses WHERE client = $1 AND flow = $2")
                .bind(client)
                .bind(flow)
                .execute(self.pool())
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn pauses(&self) -> StoreFuture<'_, Vec<Pause>> {
        op(async move {
            let rows = sqlx::query(
                "SELECT client, flow, paused_by, paused_at FROM pauses ORDER BY client, flow",
            )
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::pause).collect()
        })
    }

    fn request_run<'a>(&'a self, request: &'a RunRequest) -> StoreFuture<'a, ()> {
        op(async move {
            sqlx::query(
                "INSERT INTO run_requests (client, flow, requested_by, at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&request.client)
            .bind(&request.flow)
            .bind(&request.by)
            .bind(to_ms(request.at))
            .execute(self.pool())
            .await?;
            Ok(())
        })
    }

    fn take_run_requests<'a>(&'a self, clients: &'a [String]) -> StoreFuture<'a, Vec<RunRequest>> {
        op(async move {
            // One statement: two hosts taking at once each get distinct rows.
            let rows = sqlx::query(
                "DELETE FROM run_requests WHERE client = ANY($1) \
                 RETURNING id, client, flow, requested_by, at",
            )
            .bind(clients)
            .fetch_all(self.pool())
            .await?;
            let mut taken: Vec<(i64, RunRequest)> = rows
                .iter()
                .map(|r| {
                    Ok((
                        sqlx::Row::try_get::<i64, _>(r, "id")?,
                        rows::run_request(r)?,
                    ))
                })
                .collect::<Result<_, selvedge_store::StoreError>>()?;
            taken.sort_by_key(|(id, _)| *id);
            Ok(taken.into_iter().map(|(_, r)| r).collect())
        })
    }
}
