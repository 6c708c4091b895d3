//! Decision audit on SQLite (append-only).

use sqlx::SqliteConnection;

use super::SqliteStore;
use selvedge_store::rows::{self, json_text};
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Decision, DecisionAudit, DecisionRecord, StoreError, StoreFuture};

impl DecisionAudit for SqliteStore {
    fn record_decisions<'a>(&'a self, decisions: &'a [Decision]) -> StoreFuture<'a, ()> {
        let decisions = decisions.to_vec();
        Box::pin(self.write(move |conn| Box::pin(insert_decisions(conn, decisions))))
    }

    fn decisions_before<'a>(
        &'a self,
        client: &'a str,
        flow: Option<&'a str>,
        subject: &'a str,
        before: Option<i64>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<DecisionRecord>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT id, client, flow, subject, plugin_id, plugin_version, reason, value, \
                 call_id, created_at FROM decisions \
                 WHERE client = ?1 AND subject = ?2 AND (?3 IS NULL OR flow = ?3) AND id < ?5 \
                 ORDER BY id DESC LIMIT ?4",
            )
            .bind(client)
            .bind(subject)
            .bind(flow)
            .bind(i64::from(limit))
            .bind(before.unwrap_or(i64::MAX))
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::decision).collect()
        })
    }
}

/// Appends decisions on the writer's connection (inside its transaction).
pub(crate) async fn insert_decisions(
    conn: &mut SqliteConnection,
    decisions: Vec<Decision>,
) -> Result<(), StoreError> {
    for d in &decisions {
        // One cached prepared statement per row: cheap inside a single transaction.
        sqlx::query(
            "INSERT INTO decisions (client, flow, subject, plugin_id, plugin_version, \
             reason, value, call_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&d.client)
        .bind(&d.flow)
        .bind(&d.subject)
        .bind(&d.plugin_id)
        .bind(&d.plugin_version)
        .bind(json_text(&d.reason)?)
        .bind(json_text(&d.value)?)
        .bind(&d.call_id)
        .bind(to_ms(d.created_at))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
