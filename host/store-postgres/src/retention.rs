//! Retention on PostgreSQL: batched deletes by rule.
//!
//! A batch is one statement: `DELETE ... WHERE ctid = ANY(ARRAY(SELECT ctid ... ORDER BY
//! time LIMIT n)) RETURNING time`. Choosing and deleting in one statement leaves no gap for a
//! row to change in between; a row another transaction updates meanwhile gets a new `ctid`
//! and is left for the next pass instead of being deleted on a stale choice.
//!
//! Space: PostgreSQL's autovacuum makes deleted rows' space reusable on its own, and giving
//! it back to the file system needs `VACUUM FULL` (an exclusive lock), which a running host
//! must not take. So [`Retention::reclaim_space`] does nothing and answers zeros.

use std::time::Instant;

use sqlx::AssertSqlSafe;

use super::{PgStore, in_tx, op};
use selvedge_store::StoreFuture;
use selvedge_store::retention::{PurgedBatch, Reclaimed, Retention, RetentionAges, RetentionRule};

/// Identifies a row of any table: the physical row id, like SQLite's `rowid`.
const ROW_ID: &str = "ctid";

/// The rules for this schema's growing tables; the same rules as SQLite's, in PostgreSQL's
/// dialect (`$1` is the cutoff). Order matters: history goes before the exceptions it
/// refers to.
///
/// Not purged, on purpose: the `orders` and `refunds` ledgers are the exactly-once record (a
/// webhook re-delivered months later must still find its order injected or its memo posted),
/// and `sku_bindings`, `pushed_stock`, `published_prices`, `cursors` hold current state.
pub(crate) fn default_rules(ages: &RetentionAges) -> Vec<RetentionRule> {
    vec![
        // Finished jobs only. One an unresolved exception points at (`details.job`) stays:
        // retrying the exception re-runs that job's work. Compared as text, so a `job` that
        // is not a number never fails the cast.
        RetentionRule::new("jobs", "updated_at", ages.finished_jobs)
            .keep(
                "state NOT IN ('done', 'dead', 'cancelled') \
                 OR id::text IN (SELECT details::jsonb ->> 'job' FROM exceptions \
                                 WHERE state <> 'resolved' AND details::jsonb ->> 'job' IS NOT NULL)",
            )
            .keyed_by(ROW_ID),
        // An order's history goes all at once, once the order is final and has not changed
        // for the whole age; one still in flight or in exception keeps all of it.
        RetentionRule::new("order_history", "at", ages.ledger_history)
            .keep(
                "EXISTS (SELECT 1 FROM orders o WHERE o.client = order_history.client \
                 AND o.storefront = order_history.storefront \
                 AND o.storefront_order_id = order_history.storefront_order_id \
                 AND (o.state NOT IN ('injected', 'cancelled') OR o.updated_at >= $1))",
            )
            .keyed_by(ROW_ID),
        RetentionRule::new("refund_history", "at", ages.ledger_history)
            .keep(
                "EXISTS (SELECT 1 FROM refunds r WHERE r.client = refund_history.client \
                 AND r.refund_id = refund_history.refund_id \
                 AND (r.state <> 'posted' OR r.updated_at >= $1))",
            )
            .keyed_by(ROW_ID),
        // Dated by the exception's resolution, so a recently resolved one keeps its whole
        // history; an unresolved one keeps all of it.
        RetentionRule::new("exception_history", "at", ages.resolved_exceptions)
            .keep(
                "EXISTS (SELECT 1 FROM exceptions e WHERE e.id = exception_history.exception_id \
                 AND (e.state <> 'resolved' OR e.updated_at >= $1))",
            )
            .keyed_by(ROW_ID),
        // The history check keeps the foreign key satisfied if the ages were ever split.
        RetentionRule::new("exceptions", "updated_at", ages.resolved_exceptions)
            .keep(
                "state <> 'resolved' \
                 OR EXISTS (SELECT 1 FROM exception_history h WHERE h.exception_id = exceptions.id)",
            )
            .keyed_by(ROW_ID),
        // The newest decision per subject and flow stays.
        RetentionRule::new("decisions", "created_at", ages.decisions)
            .keep(
                "id = (SELECT MAX(d.id) FROM decisions d WHERE d.client = decisions.client \
                 AND d.subject = decisions.subject AND d.flow = decisions.flow)",
            )
            .keyed_by(ROW_ID),
        // The newest run and the last success per flow stay.
        RetentionRule::new("sync_runs", "started_at", ages.sync_runs)
            .keep(
                "status = 'running' \
                 OR id = (SELECT MAX(r.id) FROM sync_runs r \
                          WHERE r.client = sync_runs.client AND r.flow = sync_runs.flow) \
                 OR id = (SELECT MAX(r.id) FROM sync_runs r WHERE r.client = sync_runs.client \
                          AND r.flow = sync_runs.flow AND r.status = 'succeeded')",
            )
            .keyed_by(ROW_ID),
        RetentionRule::new("units_sold", "day", ages.units_sold)
            .in_days()
            .keyed_by(ROW_ID),
        // The active period has no `deactivated_at`, so it is never old.
        RetentionRule::new("plugin_versions", "deactivated_at", ages.plugin_versions)
            .keyed_by(ROW_ID),
        // A build goes once no period of the history names it (the desired one always does).
        RetentionRule::new("plugin_components", "stored_at", ages.plugin_versions)
            .keep("digest IN (SELECT version_hash FROM plugin_versions)")
            .keyed_by(ROW_ID),
        // Recorded inputs go by age; the newest call per client and rule stays, so a shadow
        // run always has something to run on.
        RetentionRule::new("plugin_calls", "created_at", ages.plugin_calls).keep(
            "created_at = (SELECT MAX(c.created_at) FROM plugin_calls c \
             WHERE c.client = plugin_calls.client AND c.call = plugin_calls.call)",
        )
        .keyed_by(ROW_ID),
        RetentionRule::new("shadow_runs", "created_at", ages.plugin_versions).keyed_by(ROW_ID),
        // Oversells feed buffer advice over the decisions' window.
        RetentionRule::new("oversells", "at", ages.decisions).keyed_by(ROW_ID),
        RetentionRule::new("audit_log", "at", ages.audit).keyed_by(ROW_ID),
        // A revoked token's row goes a while after revocation (live ones have no date).
        RetentionRule::new("api_tokens", "revoked_at", ages.audit).keyed_by(ROW_ID),
        // A run request no host took (its client is on no host) is stale after a day.
        RetentionRule::new("run_requests", "at", ages.silent_hosts).keyed_by(ROW_ID),
        // Hosts killed without leaving. A row per host ever run: no index on `last_seen`.
        RetentionRule::new("cluster_hosts", "last_seen", ages.silent_hosts).keyed_by(ROW_ID),
    ]
}

/// The batch statement of a rule: `$1` cutoff, `$2` batch size, `$3` resume time. A rule
/// keyed by SQLite's `rowid` (the contract's default) is keyed by `ctid` here.
fn batch_sql(rule: &RetentionRule) -> String {
    let RetentionRule {
        table,
        time_column: time,
        ..
    } = rule;
    let key = if rule.key == "rowid" {
        ROW_ID
    } else {
        rule.key
    };
    let keep = rule
        .keep
        .map(|k| format!(" AND NOT ({k})"))
        .unwrap_or_default();
    let chosen = format!(
        "SELECT {key} FROM {table} WHERE {time} < $1 AND {time} >= $3{keep} \
         ORDER BY {time} LIMIT $2"
    );
    // `= ANY(ARRAY(...))` lets the planner fetch the chosen rows by ctid directly.
    if key == ROW_ID {
        format!("DELETE FROM {table} WHERE ctid = ANY(ARRAY({chosen})) RETURNING {time}")
    } else {
        format!("DELETE FROM {table} WHERE ({key}) IN ({chosen}) RETURNING {time}")
    }
}

impl Retention for PgStore {
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
        op(async move {
            let started = Instant::now();
            let times: Vec<i64> = in_tx!(self, |conn| {
                // Built only from the rule's `&'static str` parts: no outside text.
                Ok(sqlx::query_scalar(AssertSqlSafe(sql.as_str()))
                    .bind(cutoff)
                    .bind(i64::from(batch.max(1)))
                    .bind(resume_at.unwrap_or(i64::MIN))
                    .fetch_all(&mut *conn)
                    .await?)
            })?;
            tracing::debug!(
                table = rule.table,
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

    fn reclaim_space<'a>(&'a self, _pages: u32) -> StoreFuture<'a, Reclaimed> {
        op(async move {
            Ok(Reclaimed {
                free_before: 0,
                free_after: 0,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_without_keep_deletes_by_age_alone_by_ctid() {
        let rule = RetentionRule::new("t", "at", std::time::Duration::from_secs(1));
        assert_eq!(
            batch_sql(&rule),
            "DELETE FROM t WHERE ctid = ANY(ARRAY(SELECT ctid FROM t \
             WHERE at < $1 AND at >= $3 ORDER BY at LIMIT $2)) RETURNING at"
        );
    }
}
