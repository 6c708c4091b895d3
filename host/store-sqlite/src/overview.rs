//! The overview's grouped reads.

use time::OffsetDateTime;

use super::SqliteStore;
use selvedge_store::rows::{self, Columns, count_u64};
use selvedge_store::timestamp::{from_ms, to_ms};
use selvedge_store::{OrderOutcomes, Overview, StoreFuture, SyncRun, TeamExceptions};

const RUN_COLS: &str = "id, client, flow, started_at, finished_at, status, measurements, error";

impl Overview for SqliteStore {
    fn latest_runs_all(&self) -> StoreFuture<'_, (Vec<SyncRun>, Vec<SyncRun>)> {
        Box::pin(async move {
            let latest = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {RUN_COLS} FROM sync_runs WHERE id IN \
                 (SELECT MAX(id) FROM sync_runs WHERE status <> 'running' GROUP BY client, flow)"
            )))
            .fetch_all(self.reader())
            .await?;
            let succeeded = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {RUN_COLS} FROM sync_runs WHERE id IN \
                 (SELECT MAX(id) FROM sync_runs WHERE status = 'succeeded' GROUP BY client, flow)"
            )))
            .fetch_all(self.reader())
            .await?;
            Ok((
                latest
                    .iter()
                    .map(rows::sync_run)
                    .collect::<Result<_, _>>()?,
                succeeded
                    .iter()
                    .map(rows::sync_run)
                    .collect::<Result<_, _>>()?,
            ))
        })
    }

    fn unresolved_by_team(&self) -> StoreFuture<'_, Vec<TeamExceptions>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT client, owner, COUNT(*) AS unresolved, MIN(created_at) AS oldest \
                 FROM exceptions WHERE state <> 'resolved' GROUP BY client, owner \
                 ORDER BY client, owner",
            )
            .fetch_all(self.reader())
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(TeamExceptions {
                        client: r.text("client")?,
                        owner: r.text("owner")?,
                        unresolved: count_u64(r.int("unresolved")?, "unresolved")?,
                        oldest: from_ms(r.int("oldest")?)?,
                    })
                })
                .collect()
        })
    }

    fn order_outcomes_since(
        &self,
        since: OffsetDateTime,
    ) -> StoreFuture<'_, Vec<(String, OrderOutcomes)>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT client, \
                 SUM(CASE WHEN state = 'injected' THEN 1 ELSE 0 END) AS injected, \
                 SUM(CASE WHEN state = 'exception' THEN 1 ELSE 0 END) AS failed \
                 FROM orders WHERE updated_at >= ? GROUP BY client ORDER BY client",
            )
            .bind(to_ms(since))
            .fetch_all(self.reader())
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.text("client")?,
                        OrderOutcomes {
                            injected: count_u64(r.int("injected")?, "injected")?,
                            failed: count_u64(r.int("failed")?, "failed")?,
                        },
                    ))
                })
                .collect()
        })
    }
}
