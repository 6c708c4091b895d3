//! Retention: what the host deletes once it is old, as a table of rules.
//!
//! A [`RetentionRule`] names a table, the column that dates a row, a maximum age, and what
//! must be kept whatever its age (a job an open exception still points at, the last decision
//! about a SKU). [`Retention::purge_batch`] deletes at most `batch` rows of one rule in one
//! write, so the single writer is never held for long and other writes interleave between
//! batches; [`PurgeRun`] walks every rule batch by batch and can stop between any two.
//!
//! A feature that adds a growing table adds a rule next to the defaults
//! ([`Retention::default_rules`]); nothing else has to change.

use std::collections::BTreeMap;
use std::time::Duration;

use time::OffsetDateTime;

use crate::{StoreFuture, StoreResult};

/// How a rule's time column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Unix milliseconds (every `*_at` column).
    UnixMillis,
    /// Days since 1970-01-01 UTC (`units_sold.day`).
    UnixDays,
}

/// One table's retention: rows whose `time_column` is older than `max_age` are deleted,
/// except those `keep` holds for.
///
/// The SQL fragments are the backend's dialect and come from code only (`&'static str`),
/// never from config or requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionRule {
    /// Table to purge.
    pub table: &'static str,
    /// Column that dates a row; a NULL date is never old (e.g. an active plugin period).
    pub time_column: &'static str,
    /// Unit of `time_column`.
    pub unit: TimeUnit,
    /// Rows older than this may go.
    pub max_age: Duration,
    /// Predicate over the table's columns for rows that must stay whatever their age; a
    /// NULL answer keeps the row too. It may use `?1`, the cutoff in `unit`.
    pub keep: Option<&'static str>,
    /// Columns that identify a row: `rowid`, or the primary key of a `WITHOUT ROWID` table.
    pub key: &'static str,
}

impl RetentionRule {
    /// A rule for a rowid table dated in unix milliseconds, keeping nothing back.
    pub fn new(table: &'static str, time_column: &'static str, max_age: Duration) -> Self {
        Self {
            table,
            time_column,
            unit: TimeUnit::UnixMillis,
            max_age,
            keep: None,
            key: "rowid",
        }
    }

    /// Rows this predicate holds for are kept whatever their age.
    pub fn keep(mut self, predicate: &'static str) -> Self {
        self.keep = Some(predicate);
        self
    }

    /// The time column counts days, not milliseconds.
    pub fn in_days(mut self) -> Self {
        self.unit = TimeUnit::UnixDays;
        self
    }

    /// Rows are identified by these columns (a `WITHOUT ROWID` table's primary key).
    pub fn keyed_by(mut self, columns: &'static str) -> Self {
        self.key = columns;
        self
    }

    /// The oldest time that is kept, in the column's unit: rows dated before it may go.
    pub fn cutoff(&self, now: OffsetDateTime) -> i64 {
        let age = i128::try_from(self.max_age.as_millis()).unwrap_or(i128::MAX);
        let now_ms = now.unix_timestamp_nanos().div_euclid(1_000_000);
        let cutoff_ms = now_ms.saturating_sub(age);
        let cutoff = match self.unit {
            TimeUnit::UnixMillis => cutoff_ms,
            TimeUnit::UnixDays => cutoff_ms.div_euclid(86_400_000),
        };
        i64::try_from(cutoff).unwrap_or(if cutoff < 0 { i64::MIN } else { i64::MAX })
    }
}

/// Ages of the default rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionAges {
    /// `done` / `dead` / `cancelled` jobs, by last change. Their idempotency keys go with
    /// them, so this must stay well past the senders' retry window (BigCommerce: ~48 h).
    pub finished_jobs: Duration,
    /// Order and refund state history, once the order or refund is final.
    pub ledger_history: Duration,
    /// Resolved exceptions and their history, by resolution time.
    pub resolved_exceptions: Duration,
    /// Plugin decisions (the newest per subject and flow is always kept).
    pub decisions: Duration,
    /// Sync runs (the newest and the last successful per flow are always kept).
    pub sync_runs: Duration,
    /// Units sold per day; the weekly-sales feed reads the last 7 days.
    pub units_sold: Duration,
    /// Closed plugin activation periods, by when they closed; shadow runs, by when they ran.
    pub plugin_versions: Duration,
    /// Recorded plugin calls (inputs kept for replay and shadow runs); the newest per client
    /// and rule is always kept.
    pub plugin_calls: Duration,
    /// The admin API's audit log; revoked tokens, by when they were revoked.
    pub audit: Duration,
    /// Cluster hosts silent this long (stopped without leaving), by last heartbeat. A live
    /// host heartbeats every third of its lease, so any age past the lease is safe.
    pub silent_hosts: Duration,
}

const DAY: Duration = Duration::from_secs(86_400);

impl Default for RetentionAges {
    fn default() -> Self {
        Self {
            finished_jobs: DAY * 7,
            ledger_history: DAY * 30,
            resolved_exceptions: DAY * 30,
            decisions: DAY * 30,
            sync_runs: DAY * 30,
            units_sold: DAY * 14,
            plugin_versions: DAY * 90,
            plugin_calls: DAY * 7,
            audit: DAY * 365,
            silent_hosts: DAY,
        }
    }
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgedBatch {
    /// Rows deleted.
    pub deleted: u64,
    /// Newest time among them (the column's unit): where the next batch of the same rule
    /// resumes, so kept rows older than it are not scanned again.
    pub resume_at: Option<i64>,
}

/// Rows deleted per table by a purge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Table -> rows deleted.
    pub deleted: BTreeMap<&'static str, u64>,
    /// Writes (batches) it took.
    pub batches: u64,
}

impl PurgeReport {
    /// Rows deleted over every table.
    pub fn total(&self) -> u64 {
        self.deleted.values().sum()
    }
}

/// Space given back to the file system by an incremental vacuum step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reclaimed {
    /// Free pages before the step.
    pub free_before: u64,
    /// Free pages left after it.
    pub free_after: u64,
}

/// Deleting old rows and giving the space back.
pub trait Retention: Send + Sync {
    /// The backend's rules for its own tables, with these ages.
    fn default_rules(&self, ages: &RetentionAges) -> Vec<RetentionRule>;

    /// Deletes at most `batch` rows of `rule` older than its cutoff at `now`, oldest first,
    /// in one write. `resume_at` is the previous batch's [`PurgedBatch::resume_at`].
    fn purge_batch<'a>(
        &'a self,
        rule: &'a RetentionRule,
        now: OffsetDateTime,
        batch: u32,
        resume_at: Option<i64>,
    ) -> StoreFuture<'a, PurgedBatch>;

    /// Returns up to `pages` free pages to the file system (one write). A no-op for a
    /// backend or file without incremental vacuum.
    fn reclaim_space<'a>(&'a self, pages: u32) -> StoreFuture<'a, Reclaimed>;

    /// Every rule to the end, batch by batch. For a caller that must be able to stop in
    /// between, drive a [`PurgeRun`] instead.
    fn purge<'a>(
        &'a self,
        rules: &'a [RetentionRule],
        now: OffsetDateTime,
        batch: u32,
    ) -> StoreFuture<'a, PurgeReport> {
        Box::pin(async move {
            let mut run = PurgeRun::new(rules, now, batch);
            while run.step(self).await?.is_some() {}
            Ok(run.into_report())
        })
    }
}

/// One pass over a set of rules, a batch at a time: the caller can check for shutdown
/// between batches.
#[derive(Debug)]
pub struct PurgeRun<'r> {
    rules: &'r [RetentionRule],
    now: OffsetDateTime,
    batch: u32,
    rule: usize,
    resume_at: Option<i64>,
    report: PurgeReport,
}

/// What [`PurgeRun::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Table of the batch.
    pub table: &'static str,
    /// Rows it deleted.
    pub deleted: u64,
}

impl<'r> PurgeRun<'r> {
    /// A pass over `rules` (in order: a rule may rely on an earlier one having deleted
    /// rows that refer to its own), with cutoffs taken at `now`.
    pub fn new(rules: &'r [RetentionRule], now: OffsetDateTime, batch: u32) -> Self {
        Self {
            rules,
            now,
            batch: batch.max(1),
            rule: 0,
            resume_at: None,
            report: PurgeReport::default(),
        }
    }

    /// Runs the next batch; `None` once every rule is done.
    pub async fn step<S: Retention + ?Sized>(&mut self, store: &S) -> StoreResult<Option<Step>> {
        let Some(rule) = self.rules.get(self.rule) else {
            return Ok(None);
        };
        let done = store
            .purge_batch(rule, self.now, self.batch, self.resume_at)
            .await?;
        self.report.batches += 1;
        *self.report.deleted.entry(rule.table).or_default() += done.deleted;
        // A short batch means nothing older is left. A full one deleted rows, so the
        // next batch of the same rule always makes progress.
        if done.deleted < u64::from(self.batch) {
            self.rule += 1;
            self.resume_at = None;
        } else {
            self.resume_at = done.resume_at;
        }
        Ok(Some(Step {
            table: rule.table,
            deleted: done.deleted,
        }))
    }

    /// What the run has deleted so far.
    pub fn report(&self) -> &PurgeReport {
        &self.report
    }

    /// The report, consuming the run.
    pub fn into_report(self) -> PurgeReport {
        self.report
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn cutoff_counts_in_the_column_unit() {
        let now = OffsetDateTime::from_unix_timestamp(10 * 86_400 + 3_600).unwrap();
        let rule = RetentionRule::new("t", "at", DAY * 7);
        assert_eq!(rule.cutoff(now), (3 * 86_400 + 3_600) * 1_000);
        assert_eq!(rule.clone().in_days().cutoff(now), 3);
        let forever = RetentionRule::new("t", "at", Duration::MAX);
        assert_eq!(forever.cutoff(now), i64::MIN);
    }
}
