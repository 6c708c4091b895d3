//! Retention: one background task deletes what the host no longer needs, by the store's
//! table of rules ([`selvedge_store::RetentionRule`]), then gives the freed pages back to the
//! file system.
//!
//! Each batch is its own small write on the store's single writer, so orders and webhooks
//! keep flowing while it runs; the task checks `stop` between batches, so shutdown waits for
//! one batch at most. Deleted rows are counted in `selvedge_retention_deleted_total{table}`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use selvedge_store::{PurgeReport, PurgeRun, Retention, RetentionAges, RetentionRule, StoreError};
use serde::Deserialize;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ConfigError;

/// Rows per delete batch: one write that holds the writer for a few milliseconds.
pub const BATCH_ROWS: u32 = 1_000;
/// Pages per incremental-vacuum write (4 MiB with SQLite's 4 KiB pages).
pub const VACUUM_PAGES: u32 = 1_024;
/// The first purge waits this long (or `every`, if shorter) so it stays out of startup.
const FIRST_RUN_AFTER: Duration = Duration::from_secs(60);

/// `[retention]` in `selvedge.toml`: how long what grows is kept. Ages are whole days.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Run the purge at all.
    pub enabled: bool,
    /// Seconds between purges (at least 60).
    pub interval_secs: u64,
    /// Days a finished job (`done`, `dead`, `cancelled`) is kept after its last change. Its
    /// idempotency key goes with it, so at least 3 (storefronts retry webhooks for ~48 h).
    /// Jobs still queued or running, or that an unresolved exception points at, are kept.
    pub finished_jobs_days: u32,
    /// Days the state history of a final order or refund is kept after its last change.
    /// The ledger rows themselves are never deleted: they are the exactly-once record.
    pub ledger_history_days: u32,
    /// Days a resolved exception (with its history) is kept after it was resolved.
    pub resolved_exceptions_days: u32,
    /// Days plugin decisions are kept; the newest per subject and flow always stays.
    pub decisions_days: u32,
    /// Days sync runs are kept; the newest and the last successful per flow always stay.
    pub sync_runs_days: u32,
    /// Days of units sold kept per SKU; at least 8 (the weekly-sales feed reads 7).
    pub units_sold_days: u32,
    /// Days a closed plugin activation period is kept; the active one always stays. Shadow
    /// runs are kept as long.
    pub plugin_versions_days: u32,
    /// Days a recorded plugin call (its input, for replay and shadow runs) is kept; the
    /// newest per rule always stays. Replaying a decision older than this says its input
    /// is gone.
    pub plugin_calls_days: u32,
    /// Days the admin API's audit log is kept (revoked tokens too, after revocation).
    pub audit_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        let day = |d: Duration| u32::try_from(d.as_secs() / 86_400).unwrap_or(u32::MAX);
        let ages = RetentionAges::default();
        Self {
            enabled: true,
            interval_secs: 3_600,
            finished_jobs_days: day(ages.finished_jobs),
            ledger_history_days: day(ages.ledger_history),
            resolved_exceptions_days: day(ages.resolved_exceptions),
            decisions_days: day(ages.decisions),
            sync_runs_days: day(ages.sync_runs),
            units_sold_days: day(ages.units_sold),
            plugin_versions_days: day(ages.plugin_versions),
            plugin_calls_days: day(ages.plugin_calls),
            audit_days: day(ages.audit),
        }
    }
}

impl RetentionConfig {
    /// Checks the values `file` gave; every error names the key and the fix.
    pub fn check(&self, file: &Path) -> Result<(), ConfigError> {
        let minimums = [
            (
                "finished_jobs_days",
                self.finished_jobs_days,
                3,
                "storefronts retry webhooks for ~48 h and a forgotten key would run a delivery again",
            ),
            (
                "ledger_history_days",
                self.ledger_history_days,
                1,
                "a zero age would delete history as it is written",
            ),
            (
                "resolved_exceptions_days",
                self.resolved_exceptions_days,
                1,
                "a zero age would delete exceptions as they are resolved",
            ),
            (
                "decisions_days",
                self.decisions_days,
                1,
                "a zero age would delete decisions as they are made",
            ),
            (
                "sync_runs_days",
                self.sync_runs_days,
                1,
                "a zero age would delete runs as they finish",
            ),
            (
                "units_sold_days",
                self.units_sold_days,
                8,
                "the weekly-sales feed reads the last 7 days",
            ),
            (
                "plugin_versions_days",
                self.plugin_versions_days,
                1,
                "a zero age would delete periods as they close",
            ),
            (
                "plugin_calls_days",
                self.plugin_calls_days,
                1,
                "a zero age would delete recorded calls before a shadow run could read them",
            ),
            (
                "audit_days",
                self.audit_days,
                30,
                "an audit log must outlive the month it is reviewed in",
            ),
        ];
        for (key, value, min, why) in minimums {
            if value < min {
                return Err(ConfigError::invalid(
                    file,
                    format!("retention.{key}"),
                    format!("is {value}, below {min}: {why}"),
                    format!("set it to {min} or more, or leave it out for the default"),
                ));
            }
        }
        if self.interval_secs < 60 {
            return Err(ConfigError::invalid(
                file,
                "retention.interval_secs",
                format!("is {}, below 60", self.interval_secs),
                "purge at most once a minute (the default is 3600), or set enabled = false",
            ));
        }
        Ok(())
    }

    /// The ages as the store takes them.
    pub fn ages(&self) -> RetentionAges {
        let days = |d: u32| Duration::from_secs(u64::from(d) * 86_400);
        RetentionAges {
            finished_jobs: days(self.finished_jobs_days),
            ledger_history: days(self.ledger_history_days),
            resolved_exceptions: days(self.resolved_exceptions_days),
            decisions: days(self.decisions_days),
            sync_runs: days(self.sync_runs_days),
            units_sold: days(self.units_sold_days),
            plugin_versions: days(self.plugin_versions_days),
            plugin_calls: days(self.plugin_calls_days),
            audit: days(self.audit_days),
            // Not a setting: any age past the cluster lease is safe.
            silent_hosts: RetentionAges::default().silent_hosts,
        }
    }

    /// Starts the purge task with the store's default rules at these ages, unless
    /// `enabled = false`.
    pub fn spawn(
        &self,
        store: Arc<dyn Retention>,
        stop: watch::Receiver<bool>,
    ) -> Option<JoinHandle<()>> {
        if !self.enabled {
            tracing::info!("retention is off: nothing is ever deleted");
            return None;
        }
        let rules = store.default_rules(&self.ages());
        Some(spawn(
            store,
            rules,
            Duration::from_secs(self.interval_secs),
            stop,
        ))
    }
}

/// What one purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// Rows deleted per table.
    pub report: PurgeReport,
    /// Pages given back to the file system.
    pub pages_freed: u64,
    /// `stop` turned true before it finished.
    pub interrupted: bool,
}

/// Purges by `rules` every `every` (the first time after a minute, or `every` if shorter)
/// until `stop` turns true or its sender goes away.
pub fn spawn(
    store: Arc<dyn Retention>,
    rules: Vec<RetentionRule>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut wait = every.min(FIRST_RUN_AFTER);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
            if let Err(err) =
                purge_once(store.as_ref(), &rules, OffsetDateTime::now_utc(), &stop).await
            {
                metrics::counter!("selvedge_retention_failures_total").increment(1);
                tracing::warn!(%err, "retention purge failed; trying again at the next interval");
            }
            wait = every;
        }
        tracing::debug!("retention stopped");
    })
}

/// One purge at `now`: every rule batch by batch, then incremental vacuum; returns early
/// (between two writes) once `stop` is true.
pub async fn purge_once(
    store: &dyn Retention,
    rules: &[RetentionRule],
    now: OffsetDateTime,
    stop: &watch::Receiver<bool>,
) -> Result<PurgeOutcome, StoreError> {
    let started = std::time::Instant::now();
    let mut run = PurgeRun::new(rules, now, BATCH_ROWS);
    let mut interrupted = false;
    loop {
        if *stop.borrow() {
            interrupted = true;
            break;
        }
        let Some(step) = run.step(store).await? else {
            break;
        };
        if step.deleted > 0 {
            metrics::counter!("selvedge_retention_deleted_total", "table" => step.table)
                .increment(step.deleted);
        }
    }
    let mut pages_freed = 0;
    while !interrupted {
        if *stop.borrow() {
            interrupted = true;
            break;
        }
        let step = store.reclaim_space(VACUUM_PAGES).await?;
        let freed = step.free_before.saturating_sub(step.free_after);
        pages_freed += freed;
        // Stops when nothing is free, or when a step frees nothing (no incremental vacuum).
        if step.free_after == 0 || freed == 0 {
            break;
        }
    }
    if pages_freed > 0 {
        metrics::counter!("selvedge_retention_vacuumed_pages_total").increment(pages_freed);
    }
    let report = run.into_report();
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if report.total() > 0 || pages_freed > 0 || interrupted {
        tracing::info!(
            deleted = report.total(),
            tables = ?report.deleted,
            batches = report.batches,
            pages_freed,
            interrupted,
            elapsed_ms,
            "retention purge"
        );
    } else {
        tracing::debug!(elapsed_ms, "retention purge: nothing old enough");
    }
    Ok(PurgeOutcome {
        report,
        pages_freed,
        interrupted,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use selvedge_store::{Decision, DecisionAudit};
    use selvedge_store_sqlite::SqliteStore;
    use serde_json::json;

    use super::*;

    fn decisions(n: i64, at: OffsetDateTime) -> Vec<Decision> {
        (0..n)
            .map(|i| Decision {
                client: "acme".into(),
                flow: "inventory".into(),
                subject: "TEE".into(),
                plugin_id: "stock-rules".into(),
                plugin_version: "sha256:ab".into(),
                reason: json!({}),
                value: json!(i),
                call_id: None,
                created_at: at,
            })
            .collect()
    }

    async fn count(store: &SqliteStore) -> usize {
        store
            .latest_decisions("acme", None, "TEE", 100_000)
            .await
            .expect("read")
            .len()
    }

    #[tokio::test]
    async fn the_task_purges_on_its_interval_and_stops_when_told() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(dir.path().join("s.db"))
            .await
            .expect("open");
        let old = OffsetDateTime::now_utc() - time::Duration::days(60);
        store
            .record_decisions(&decisions(2_500, old))
            .await
            .expect("record");
        let shared: Arc<dyn Retention> = Arc::new(store.clone());
        let rules = shared.default_rules(&RetentionConfig::default().ages());
        let (stop_tx, stop) = watch::channel(false);
        let task = spawn(shared, rules, Duration::from_millis(20), stop);
        tokio::time::timeout(Duration::from_secs(20), async {
            while count(&store).await > 1 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("purged within the interval");
        stop_tx.send(true).expect("stop");
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("stops promptly")
            .expect("no panic");
    }

    #[tokio::test]
    async fn a_purge_asked_to_stop_deletes_nothing_more() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(dir.path().join("s.db"))
            .await
            .expect("open");
        let old = OffsetDateTime::now_utc() - time::Duration::days(60);
        store
            .record_decisions(&decisions(2_500, old))
            .await
            .expect("record");
        let rules = store.default_rules(&RetentionAges::default());
        let (_tx, stopped) = watch::channel(true);
        let outcome = purge_once(&store, &rules, OffsetDateTime::now_utc(), &stopped)
            .await
            .expect("purge");
        assert!(outcome.interrupted);
        assert_eq!(outcome.report.total(), 0);
        assert_eq!(count(&store).await, 2_500);

        let (_tx, running) = watch::channel(false);
        let outcome = purge_once(&store, &rules, OffsetDateTime::now_utc(), &running)
            .await
            .expect("purge");
        assert!(!outcome.interrupted);
        assert_eq!(outcome.report.deleted.get("decisions"), Some(&2_499));
        assert!(outcome.pages_freed > 0, "{outcome:?}");
        assert_eq!(count(&store).await, 1);
    }

    #[test]
    fn config_defaults_pass_and_a_too_short_job_age_names_its_key() {
        let file = Path::new("selvedge.toml");
        RetentionConfig::default()
            .check(file)
            .expect("defaults are valid");
        let parsed: RetentionConfig = toml::from_str("finished_jobs_days = 1").expect("parses");
        let err = parsed.check(file).expect_err("too short").to_string();
        assert!(err.contains("retention.finished_jobs_days"), "{err}");
        assert!(toml::from_str::<RetentionConfig>("history_days = 3").is_err());
    }
}
