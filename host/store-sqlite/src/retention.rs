//! Retention on SQLite: batched deletes by rule, and incremental vacuum.
//!
//! A batch is one statement on the writer: `DELETE ... WHERE key IN (SELECT key ... ORDER
//! BY time LIMIT n) RETURNING time`. Choosing and deleting in one statement leaves no gap
//! for a row to change in between (a job re-armed, an exception re-opened). Migration 0004
//! indexes each time column, so a batch reads only old rows; resuming at the newest deleted
//! time keeps kept rows from being read again by every batch.

use std::time::Instant;

use sqlx::{AssertSqlSafe, SqliteConnection};

use super::SqliteStore;
use selvedge_store::retention::{PurgedBatch, Reclaimed, Retention, RetentionAges, RetentionRule};
use selvedge_store::rows::count_u64;
use selvedge_store::{StoreError, StoreFuture};

/// The rules for this schema's growing tables. Order matters: history goes before the
/// exceptions it refers to.
///
/// Not purged, on purpose: the `orders` and `refunds` ledgers are the exactly-once record (a
/// webhook re-delivered months later must still find its order injected or its memo posted),
/// and `sku_bindings`, `pushed_stock`, `published_prices`, `cursors` hold current state, one
/// row per thing synced, not history.
pub(crate) fn default_rules(ages: &RetentionAges) -> Vec<RetentionRule> {
    vec![
        // Finished jobs only. One an unresolved exception points at (`details.job`) stays:
        // retrying the exception re-runs that job's work.
        RetentionRule::new("jobs", "updated_at", ages.finished_jobs).keep(
            "state NOT IN ('done', 'dead', 'cancelled') \
             OR id IN (SELECT json_extract(details, '$.job') FROM exceptions \
                       WHERE state <> 'resolved' AND json_extract(details, '$.job') IS NOT NULL)",
        ),
        // An order's history goes all at once, once the order is final and has not changed
        // for the whole age; one still in flight or in exception keeps all of it.
        RetentionRule::new("order_history", "at", ages.ledger_history).keep(
            "EXISTS (SELECT 1 FROM orders o WHERE o.client = order_history.client \
             AND o.storefront = order_history.storefront \
             AND o.storefront_order_id = order_history.storefront_order_id \
             AND (o.state NOT IN ('injected', 'cancelled') OR o.updated_at >= ?1))",
        ),
        RetentionRule::new("refund_history", "at", ages.ledger_history).keep(
            "EXISTS (SELECT 1 FROM refunds r WHERE r.client = refund_history.client \
             AND r.refund_id = refund_history.refund_id \
             AND (r.state <> 'posted' OR r.updated_at >= ?1))",
        ),
        // Dated by the exception's resolution, so a recently resolved one keeps its whole
        // history; an unresolved one keeps all of it (what a person acting on it reads).
        RetentionRule::new("exception_history", "at", ages.resolved_exceptions).keep(
            "EXISTS (SELECT 1 FROM exceptions e WHERE e.id = exception_history.exception_id \
             AND (e.state <> 'resolved' OR e.updated_at >= ?1))",
        ),
        // The history check keeps the foreign key satisfied if the ages were ever split.
        RetentionRule::new("exceptions", "updated_at", ages.resolved_exceptions).keep(
            "state <> 'resolved' \
             OR EXISTS (SELECT 1 FROM exception_history h WHERE h.exception_id = exceptions.id)",
        ),
        // The newest decision per subject and flow stays, so "why" always has an answer
        // for a SKU whose stock has not changed in a while.
        RetentionRule::new("decisions", "created_at", ages.decisions).keep(
            "id = (SELECT MAX(d.id) FROM decisions d WHERE d.client = decisions.client \
             AND d.subject = decisions.subject AND d.flow = decisions.flow)",
        ),
        // The newest run and the last success per flow stay: health and staleness alerts
        // read them.
        RetentionRule::new("sync_runs", "started_at", ages.sync_runs).keep(
            "status = 'running' \
             OR id = (SELECT MAX(r.id) FROM sync_runs r \
                      WHERE r.client = sync_runs.client AND r.flow = sync_runs.flow) \
             OR id = (SELECT MAX(r.id) FROM sync_runs r WHERE r.client = sync_runs.client \
                      AND r.flow = sync_runs.flow AND r.status = 'succeeded')",
        ),
        RetentionRule::new("units_sold", "day", ages.units_sold)
            .in_days()
            .keyed_by("client, sku, location, day"),
        // The active period has no `deactivated_at`, so it is never old.
        RetentionRule::new("plugin_versions", "deactivated_at", ages.plugin_versions),
        // A build goes once no period of the history names it (the desired one always does).
        RetentionRule::new("plugin_components", "stored_at", ages.plugin_versions)
            .keep("digest IN (SELECT version_hash FROM plugin_versions)"),
        // Recorded inputs go by age; the newest call per client and rule stays, so a shadow
        // run always has something to run on.
        RetentionRule::new("plugin_calls", "created_at", ages.plugin_calls).keep(
            "created_at = (SELECT MAX(c.created_at) FROM plugin_calls c \
             WHERE c.client = plugin_calls.client AND c.call = plugin_calls.call)",
        ),
        RetentionRule::new("shadow_runs", "created_at", ages.plugin_versions),
        // Oversells feed buffer advice over the decisions' window.
        RetentionRule::new("oversells", "at", ages.decisions),
        RetentionRule::new("audit_log", "at", ages.audit),
        // A revoked token's row goes a while after revocation (live ones have no date).
        RetentionRule::new("api_tokens", "revoked_at", ages.audit),
        // A run request no host took (its client is on no host) is stale after a day.
        RetentionRule::new("run_requests", "at", ages.silent_hosts),
        // Hosts killed without leaving. A row per host ever run: no index on `last_seen`.
        RetentionRule::new("cluster_hosts", "last_seen", ages.silent_hosts).keyed_by("id"),
    ]
}

/// The batch statement of a rule: `?1` cutoff, `?2` batch size, `?3` resume time.
fn batch_sql(rule: &RetentionRule) -> String {
    let RetentionRule {
        table,
        time_column: time,
        key,
        ..
    } = rule;
    let keep = rule
        .keep
        .map(|k| format!(" AND NOT ({k})"))
        .unwrap_or_default();
    format!(
        "DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} \
         WHERE {time} < ?1 AND {time} >= ?3{keep} ORDER BY {time} LIMIT ?2) \
         RETURNING {time}"
    )
}

/// Free pages of the file.
async fn free_pages(conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("PRAGMA freelist_count")
        .fetch_one(&mut *conn)
        .await?;
    count_u64(n, "freelist_count")
}

impl Retention for SqliteStore {
    fn default_rules(&self, ages: &RetentionAges) -> Vec<RetentionRule> {
        default_rules(ages)
    }

    fn purge_batch<'a>(
        &'a self,
        rule: &'a RetentionRule,
        now: time::OffsetDateTime,
        batch: u32,
        resume_at: Option<i64>,
    ) -> StoreFuture<'a, PurgedBatch> {
        let sql = batch_sql(rule);
        let cutoff = rule.cutoff(now);
        let table = rule.table;
        Box::pin(async move {
            let started = Instant::now();
            let times: Vec<i64> = self
                .write(move |conn| {
                    Box::pin(async move {
                        // Built only from the rule's `&'static str` parts: no outside text.
                        Ok(sqlx::query_scalar(AssertSqlSafe(sql))
                            .bind(cutoff)
                            .bind(i64::from(batch.max(1)))
                            .bind(resume_at.unwrap_or(i64::MIN))
                            .fetch_all(&mut *conn)
                            .await?)
                    })
                })
                .await?;
            tracing::debug!(
                table,
                deleted = times.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "retention batch"
            );
            Ok(PurgedBatch {
                deleted: times.len() as u64,
                resume_at: times.into_iter().max(),
            })
        })
    }

    fn reclaim_space<'a>(&'a self, pages: u32) -> StoreFuture<'a, Reclaimed> {
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let free_before = free_pages(conn).await?;
                if free_before > 0 && pages > 0 {
                    // PRAGMA arguments cannot be bound; `pages` is a number we formatted.
                    sqlx::raw_sql(AssertSqlSafe(format!("PRAGMA incremental_vacuum({pages})")))
                        .execute(&mut *conn)
                        .await?;
                }
                let free_after = free_pages(conn).await?;
                Ok(Reclaimed {
                    free_before,
                    free_after,
                })
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_without_keep_deletes_by_age_alone() {
        let sql = batch_sql(&RetentionRule::new(
            "t",
            "at",
            std::time::Duration::from_secs(1),
        ));
        assert_eq!(
            sql,
            "DELETE FROM t WHERE (rowid) IN (SELECT rowid FROM t \
             WHERE at < ?1 AND at >= ?3 ORDER BY at LIMIT ?2) RETURNING at"
        );
    }
}
