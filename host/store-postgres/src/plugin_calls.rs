//! Recorded plugin calls and shadow runs on PostgreSQL.

use time::OffsetDateTime;

use super::decisions::insert_decisions;
use super::{PgStore, in_tx, op};
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

impl PluginCalls for PgStore {
    fn record_call_decisions<'a>(
        &'a self,
        calls: &'a [PluginCall],
        decisions: &'a [Decision],
    ) -> StoreFuture<'a, ()> {
        op(async move {
            let labels = calls
                .iter()
                .map(labels_text)
                .collect::<Result<Vec<_>, _>>()?;
            in_tx!(self, |conn| {
                for (c, labels) in calls.iter().zip(&labels) {
                    // The id is a digest of version and input: a second recording is the same.
                    sqlx::query(
                        "INSERT INTO plugin_calls (id, client, flow, call, plugin_id, \
                         plugin_version, input, labels, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(&c.id)
                    .bind(&c.client)
                    .bind(&c.flow)
                    .bind(&c.call)
                    .bind(&c.plugin_id)
                    .bind(&c.plugin_version)
                    .bind(&c.input)
                    .bind(labels)
                    .bind(to_ms(c.created_at))
                    .execute(&mut *conn)
                    .await?;
                }
                insert_decisions(conn, decisions).await
            })
        })
    }

    fn plugin_call<'a>(
        &'a self,
        client: &'a str,
        id: &'a str,
    ) -> StoreFuture<'a, Option<PluginCall>> {
        op(async move {
            let row = sqlx::query(
                "SELECT id, client, flow, call, plugin_id, plugin_version, input, labels, \
                 created_at FROM plugin_calls WHERE client = $1 AND id = $2",
            )
            .bind(client)
            .bind(id)
            .fetch_optional(self.pool())
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
        op(async move {
            let rows = sqlx::query(
                "SELECT id, flow, call, plugin_id, plugin_version, created_at FROM plugin_calls \
                 WHERE client = $1 AND call = $2 ORDER BY created_at DESC, id LIMIT $3",
            )
            .bind(client)
            .bind(call)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::plugin_call_summary).collect()
        })
    }

    fn record_shadow_run<'a>(&'a self, run: &'a NewShadowRun) -> StoreFuture<'a, i64> {
        op(async move {
            let report = json_text(&run.report)?;
            Ok(sqlx::query_scalar(
                "INSERT INTO shadow_runs (client, candidate, live, calls, changed, report, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&run.client)
            .bind(&run.candidate)
            .bind(&run.live)
            .bind(i64::try_from(run.calls).unwrap_or(i64::MAX))
            .bind(i64::try_from(run.changed).unwrap_or(i64::MAX))
            .bind(report)
            .bind(to_ms(run.created_at))
            .fetch_one(self.pool())
            .await?)
        })
    }

    fn shadow_runs<'a>(
        &'a self,
        client: &'a str,
        candidate: Option<&'a str>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<ShadowRun>> {
        op(async move {
            let rows = sqlx::query(
                "SELECT id, client, candidate, live, calls, changed, report, accepted_by, \
                 accepted_at, created_at FROM shadow_runs \
                 WHERE client = $1 AND ($2::text IS NULL OR candidate = $2) \
                 ORDER BY id DESC LIMIT $3",
            )
            .bind(client)
            .bind(candidate)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
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
        op(async move {
            let done = sqlx::query(
                "UPDATE shadow_runs SET accepted_by = $1, accepted_at = $2 \
                 WHERE client = $3 AND id = $4",
            )
            .bind(by)
            .bind(to_ms(at))
            .bind(client)
            .bind(id)
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }
}
