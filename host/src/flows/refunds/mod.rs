//! Refunds: BigCommerce refunds (webhook and poll) -> plugin `map_refunds` -> a credit memo in
//! Blue Cherry, exactly once; complete only when the memo is posted.
//!
//! Exactly once as for orders: the refund ledger is the source of truth, the memo's external
//! reference is the idempotency key (`Duplicate` = already there), and any attempt after the
//! first, or an ambiguous create, looks the memo up by external reference before creating.
//!
//! Restock: the plugin decides which memo lines go back to stock (`restock: true`). Blue
//! Cherry turns those lines into an inventory adjustment when it posts the memo: the units
//! return on hand in the original order's warehouse and show in ATS from that cycle on (the
//! sandbox does exactly this at its next batch cycle), and the inventory flow pushes them.

use selvedge_store::NewJob;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

mod memo;
mod worker;

use crate::flows::{ClientServices, FlowError, FlowOutcome, FlowReport};
use crate::jobs::kinds::refund_kind;

pub use worker::RefundWorker;
use worker::{Step, rescue, work_one};

/// The refund poll's cursor of a storefront (`created:min`, inclusive; BigCommerce's is
/// `bigcommerce.refunds.created_min`).
fn cursor_name(storefront: &str) -> String {
    format!("{storefront}.refunds.created_min")
}

/// `[refunds]` in a client's config.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RefundsSettings {
    /// ERP write attempts before the refund goes to the exception queue (`refund_failed`).
    pub max_attempts: u32,
    /// First retry delay after a transient failure, in milliseconds (doubles per attempt).
    pub retry_base_ms: u64,
    /// Longest retry delay, in milliseconds.
    pub retry_max_ms: u64,
    /// How often an open (not yet posted) memo is checked again, in milliseconds.
    pub memo_check_ms: u64,
    /// Lease of a claimed refund job, in milliseconds.
    pub lease_ms: u64,
    /// A memo still open (entered, not posted by the ERP) this long after the refund arrived
    /// raises `refund_failed` for finance, in hours.
    pub memo_deadline_hours: u64,
}

impl RefundsSettings {
    /// Lease of a claimed refund job.
    pub fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.lease_ms.max(1))
    }
}

impl Default for RefundsSettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            retry_base_ms: 2_000,
            retry_max_ms: 600_000,
            memo_check_ms: 60_000,
            lease_ms: 60_000,
            memo_deadline_hours: 72,
        }
    }
}

/// Claims a refund job may use. The ledger counts ERP writes against `max_attempts`; a job
/// is also claimed for storefront or plugin failures and after crashes, so it gets more room
/// and never runs out before the ledger's limit files the refund as an exception.
pub fn job_max_attempts(settings: &RefundsSettings) -> u32 {
    settings.max_attempts.saturating_mul(4)
}

/// The scheduled refunds run: polls refunds created since the cursor and queues them. The
/// job engine's [`RefundWorker`] turns them into memos.
pub async fn run(
    ctx: &ClientServices,
    settings: &RefundsSettings,
) -> Result<FlowReport, FlowError> {
    let queued = poll(ctx, settings).await?;
    Ok(RefundsOutcome {
        queued,
        drained: None,
    }
    .report())
}

/// Polls, then works every claimable refund job in this task (no heartbeats): for tools and
/// tests that run one pass without the job engine.
pub async fn run_and_drain(
    ctx: &ClientServices,
    settings: &RefundsSettings,
) -> Result<FlowReport, FlowError> {
    let queued = poll(ctx, settings).await?;
    let mut memos = Drained {
        failed: rescue(ctx).await?,
        ..Drained::default()
    };
    loop {
        let now = OffsetDateTime::now_utc();
        let jobs = ctx
            .store
            .claim(
                &[refund_kind(&ctx.client).as_str()],
                16,
                settings.lease(),
                now,
            )
            .await?;
        if jobs.is_empty() {
            break;
        }
        for job in jobs {
            match work_one(ctx, settings, &job).await {
                Step::Posted => memos.posted += 1,
                Step::Waiting => memos.waiting += 1,
                Step::Failed => memos.failed += 1,
            }
        }
    }
    Ok(RefundsOutcome {
        queued,
        drained: Some(memos),
    }
    .report())
}

/// What a refunds run did: the poll, and the memos when the run also drained the queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefundsOutcome {
    /// Refund jobs created by the poll.
    pub queued: u64,
    /// The memos of [`run_and_drain`].
    pub drained: Option<Drained>,
}

/// Refund jobs worked in one pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    /// Memos posted: the refund is complete.
    pub posted: u64,
    /// Memos entered, not yet posted by the ERP.
    pub waiting: u64,
    /// Refunds sent to the exception queue (rescued ones included).
    pub failed: u64,
}

impl FlowOutcome for RefundsOutcome {
    fn summary(&self) -> String {
        match self.drained {
            None => format!("{} refunds queued", self.queued),
            Some(d) => format!(
                "{} refunds queued, {} memos posted, {} waiting, {} failed",
                self.queued, d.posted, d.waiting, d.failed
            ),
        }
    }

    /// A poll counts the refunds it queued; a drained run counts memos, not refunds read.
    fn records(&self) -> Option<u64> {
        self.drained.is_none().then_some(self.queued)
    }

    fn changed(&self) -> Option<u64> {
        self.drained.map(|d| d.posted)
    }
}

/// Queues refunds created since the cursor (the same job key as the webhook's, so a refund
/// seen both ways is one job). The cursor is saved after the jobs are committed.
pub async fn poll(ctx: &ClientServices, settings: &RefundsSettings) -> Result<u64, FlowError> {
    let source = ctx.storefront.refunds()?;
    let storefront = ctx.storefront.name();
    let since = ctx
        .store
        .cursor(&ctx.client, &cursor_name(storefront))
        .await?;
    let refunds = source.created_since(since.as_deref()).await?;
    let now = OffsetDateTime::now_utc();
    let mut queued = 0;
    let mut cursor = since.clone();
    for r in &refunds {
        let enqueued = ctx
            .store
            .enqueue(
                NewJob {
                    client: ctx.client.clone(),
                    kind: refund_kind(&ctx.client),
                    idempotency_key: format!("{storefront}:{}", r.id),
                    payload: json!({ "refund_id": r.id, "order_id": r.order_id }),
                    run_at: now,
                    max_attempts: job_max_attempts(settings),
                },
                now,
            )
            .await?;
        queued += u64::from(enqueued.created);
        // ISO 8601 in one format compares as text.
        if cursor.as_deref().is_none_or(|c| r.created.as_str() > c) {
            cursor = Some(r.created.clone());
        }
    }
    if let Some(c) = cursor.filter(|c| Some(c) != since.as_ref()) {
        ctx.store
            .set_cursor(&ctx.client, &cursor_name(storefront), &c, now)
            .await?;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_measures_refunds_queued_and_a_drained_run_memos_posted() {
        let polled = RefundsOutcome {
            queued: 3,
            drained: None,
        }
        .report();
        assert_eq!(polled.summary, "3 refunds queued");
        assert_eq!(
            (polled.measurements.records, polled.measurements.changed),
            (Some(3), None)
        );
        let drained = RefundsOutcome {
            queued: 3,
            drained: Some(Drained {
                posted: 2,
                waiting: 1,
                failed: 0,
            }),
        }
        .report();
        assert_eq!(
            drained.summary,
            "3 refunds queued, 2 memos posted, 1 waiting, 0 failed"
        );
        assert_eq!(
            (drained.measurements.records, drained.measurements.changed),
            (None, Some(2))
        );
    }
}
