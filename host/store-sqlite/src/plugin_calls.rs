//! Recorded plugin calls and shadow runs on SQLite.

use time::OffsetDateTime;

use super::SqliteStore;
use super::decisions::insert_decisions;
use selvedge_store::rows::{self, json_text};
use selvedge_store::timestamp::to_ms;
use selvedge_store::{
    Decision, NewShadowRun, PluginCall, PluginCallSummary, PluginCalls, ShadowRun, StoreError,
    StoreFuture,
};

fn labels_text(call: &PluginCall) -> Result<String, StoreError> {
    serde_json::to_string(&call.labels)
        .map_err(|e| StoreError::InvalidArgument(format!("plugin call labels: {e}")))
}

impl PluginCalls for SqliteStore {
    fn record_call_decisions<'a>(
        &'a self,
        calls: &'a [PluginCall],
        decisions: &'a [Decision],
    ) -> StoreFuture<'a, ()> {
        let calls = calls.to_vec();
        let decisions = decisions.to_vec();
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                for c in &calls {
                    // The id is a digest of version and input: a second recording is the same.
                    sqlx::query(
                        "INSERT INTO plugin_calls (id, client, flow, call, plugin_id, \
                         plugin_version, input, labels, created_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(&c.id)
                    .bind(&c.client)
                    .bind(&c.flow)
                    .bind(&c.call)
                    .bind(&c.plugin_id)
                    .bind(&c.plugin_version)
                    .bind(&c.input)
                    .bind(labels_text(c)?)
                    .bind(to_ms(c.created_at))
                    .execute(&mut *conn)
                    .await?;
                }
                insert_decisions(conn, decisions).await
            })
        }))
    }

    fn plugin_call<'a>(
        &'a self,
        client: &'a str,
        id: &'a str,
    ) -> StoreFuture<'a, Option<PluginCall>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT id, client, flow, call, plugin_id, plugin_version, input, labels, \
                 created_at FROM plugin_calls WHERE client = ? AND id = ?",
            )
            .bind(client)
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
            row.as_ref().map(rows::plugin_call).transpose()
        })
    }

    fn recent_plugin_calls<'a>(
        &'a self,
        client: &'a str,
        call: &'a str,
        limit: u32,
    ) -> StoreFuture<'a, Vec<PluginCallSummary>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT id, flow, call, plugin_id, plugin_version, created_at FROM plugin_calls \
                 WHERE client = ? AND call = ? ORDER BY created_at DESC, id LIMIT ?",
            )
            .bind(client)
            .bind(call)
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::plugin_call_summary).collect()
        })
    }

    fn record_shadow_run<'a>(&'a self, run: &'a NewShadowRun) -> StoreFuture<'a, i64> {
        let run = run.clone();
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                Ok(sqlx::query_scalar(
                    "INSERT INTO shadow_runs (client, candidate, live, calls, changed, report, \
                     created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(&run.client)
                .bind(&run.candidate)
                .bind(&run.live)
                .bind(i64::try_from(run.calls).unwrap_or(i64::MAX))
                .bind(i64::try_from(run.changed).unwrap_or(i64::MAX))
                .bind(json_text(&run.report)?)
                .bind(to_ms(run.created_at))
                .fetch_one(&mut *conn)
                .await?)
            })
        }))
    }

    fn shadow_runs<'a>(
        &'a self,
        client: &'a str,
        candidate: Option<&'a str>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<ShadowRun>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT id, client, candidate, live, calls, changed, report, accepted_by, \
                 accepted_at, created_at FROM shadow_runs \
                 WHERE client = ?1 AND (?2 IS NULL OR candidate = ?2) ORDER BY id DESC LIMIT ?3",
            )
            .bind(client)
            .bind(candidate)
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::shadow_run).collect()
        })
    }

    fn accept_shadow_run<'a>(
        &'a self,
        client: &'a str,
        id: i64,
        by: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, bool> {
        let (client, by) = (client.to_string(), by.to_string());
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE shadow_runs SET accepted_by = ?, accepted_at = ? \
                     WHERE client = ? AND id = ?",
                )
                .bind(&by)
                .bind(to_ms(at))
                .bind(&client)
                .bind(id)
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() == 1)
            })
        }))
    }
}
