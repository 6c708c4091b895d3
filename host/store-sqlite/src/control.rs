//! Pauses and run requests on SQLite.

use super::SqliteStore;
use selvedge_store::rows;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Pause, RunControl, RunRequest, StoreFuture};

impl RunControl for SqliteStore {
    fn pause<'a>(&'a self, pause: &'a Pause) -> StoreFuture<'a, ()> {
        let p = pause.clone();
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO pauses (client, flow, paused_by, paused_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (client, flow) DO NOTHING",
                )
                .bind(&p.client)
                .bind(&p.flow)
                .bind(&p.by)
                .bind(to_ms(p.at))
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        }))
    }

    fn resume<'a>(&'a self, client: &'a str, flow: &'a str) -> StoreFuture<'a, bool> {
        let (client, flow) = (client.to_string(), flow.to_string());
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let done = sqlx::query("DELETE FROM pauses WHERE client = ? AND flow = ?")
                    .bind(&client)
                    .bind(&flow)
                    .execute(&mut *conn)
                    .await?;
                Ok(done.rows_affected() > 0)
            })
        }))
    }

    fn pauses(&self) -> StoreFuture<'_, Vec<Pause>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT client, flow, paused_by, paused_at FROM pauses ORDER BY client, flow",
            )
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::pause).collect()
        })
    }

    fn request_run<'a>(&'a self, request: &'a RunRequest) -> StoreFuture<'a, ()> {
        let r = request.clone();
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO run_requests (client, flow, requested_by, at) VALUES (?, ?, ?, ?)",
                )
                .bind(&r.client)
                .bind(&r.flow)
                .bind(&r.by)
                .bind(to_ms(r.at))
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        }))
    }

    fn take_run_requests<'a>(&'a self, clients: &'a [String]) -> StoreFuture<'a, Vec<RunRequest>> {
        let clients = serde_json::to_string(clients).unwrap_or_else(|_| "[]".into());
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let rows = sqlx::query(
                    "DELETE FROM run_requests WHERE client IN (SELECT value FROM json_each(?)) \
                     RETURNING id, client, flow, requested_by, at",
                )
                .bind(&clients)
                .fetch_all(&mut *conn)
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
        }))
    }
}
