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

use selvedge_bluecherry::BlueCherryError;
use selvedge_bluecherry::model::MemoStatus;
use selvedge_runtime::rules::types::Severity;
use selvedge_store::{Job, JobState, NewJob, NewRefund, OrderKey, RefundRecord, RefundState};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

mod memo;

use crate::flows::{ClientServices, ExceptionKind, FlowError, FlowReport};
use crate::jobs::kinds::{backoff, refund_kind};
use crate::jobs::{Outcome, settle};
use crate::references;

/// Cursor of the refund poll (`created:min`, inclusive).
pub const REFUNDS_CURSOR: &str = "bigcommerce.refunds.created_min";

/// The refund poll's cursor of a storefront (BigCommerce's is [`REFUNDS_CURSOR`]).
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

/// What a refund job carries.
/// What a refund job carries. Ids are numbers in jobs written before storefronts were behind
/// ports (and in BigCommerce webhooks), text otherwise.
#[derive(Debug, Deserialize)]
struct RefundJob {
    #[serde(deserialize_with = "id_text")]
    refund_id: String,
    #[serde(deserialize_with = "id_text")]
    order_id: String,
}

fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(i64),
        Text(String),
    }
    Ok(match Id::deserialize(d)? {
        Id::Number(n) => n.to_string(),
        Id::Text(t) => t,
    })
}

/// The scheduled refunds run: polls refunds created since the cursor and queues them. The
/// job engine's [`RefundWorker`] turns them into memos.
pub async fn run(
    ctx: &ClientServices,
    settings: &RefundsSettings,
) -> Result<FlowReport, FlowError> {
    let queued = poll(ctx, settings).await?;
    let mut report = FlowReport {
        summary: format!("{queued} refunds queued"),
        ..FlowReport::default()
    };
    report.measurements.records = Some(queued);
    Ok(report)
}

/// Polls, then works every claimable refund job in this task (no heartbeats): for tools and
/// tests that run one pass without the job engine.
pub async fn run_and_drain(
    ctx: &ClientServices,
    settings: &RefundsSettings,
) -> Result<FlowReport, FlowError> {
    let queued = poll(ctx, settings).await?;
    let (mut posted, mut waiting, mut failed) = (0u64, 0u64, 0u64);
    failed += rescue(ctx).await?;
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
                Step::Posted => posted += 1,
                Step::Waiting => waiting += 1,
                Step::Failed => failed += 1,
            }
        }
    }
    let mut report = FlowReport {
        summary: format!(
            "{queued} refunds queued, {posted} memos posted, {waiting} waiting, {failed} failed"
        ),
        ..FlowReport::default()
    };
    report.measurements.changed = Some(posted);
    Ok(report)
}

/// One client's refund jobs on the job engine.
pub struct RefundWorker {
    ctx: ClientServices,
    settings: RefundsSettings,
}

impl RefundWorker {
    /// A worker for `ctx`'s refunds.
    pub fn new(ctx: ClientServices, settings: RefundsSettings) -> Self {
        Self { ctx, settings }
    }
}

impl crate::jobs::Worker for RefundWorker {
    fn batch_size(&self) -> u32 {
        16
    }

    fn lease(&self) -> std::time::Duration {
        self.settings.lease()
    }

    fn work(
        self: std::sync::Arc<Self>,
        jobs: Vec<Job>,
    ) -> crate::scheduler::BoxFuture<'static, Result<crate::jobs::WorkOutcome, FlowError>> {
        Box::pin(async move {
            let mut outcome = crate::jobs::WorkOutcome {
                claimed: jobs.len(),
                ..Default::default()
            };
            for job in jobs {
                match work_one(&self.ctx, &self.settings, &job).await {
                    Step::Posted => outcome.done += 1,
                    Step::Waiting => outcome.retried += 1,
                    Step::Failed => outcome.exceptions += 1,
                }
            }
            Ok(outcome)
        })
    }

    fn dead(
        self: std::sync::Arc<Self>,
        job: Job,
    ) -> crate::scheduler::BoxFuture<'static, Result<(), FlowError>> {
        Box::pin(async move { file_dead(&self.ctx, &job).await })
    }
}

/// One refund job to its end for this attempt; an error becomes a retry.
async fn work_one(ctx: &ClientServices, settings: &RefundsSettings, job: &Job) -> Step {
    match process(ctx, settings, job).await {
        Ok(step) => step,
        Err(e) => {
            if let Err(err) = retry(ctx, settings, job, None, &e.to_string()).await {
                tracing::warn!(job = job.id, error = %err, "cannot schedule the refund's retry");
            }
            Step::Waiting
        }
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

enum Step {
    Posted,
    Waiting,
    Failed,
}

async fn process(
    ctx: &ClientServices,
    settings: &RefundsSettings,
    job: &Job,
) -> Result<Step, FlowError> {
    let source = ctx.storefront.refunds()?;
    let storefront = ctx.storefront.name();
    let payload: RefundJob = serde_json::from_value(job.payload.clone())
        .map_err(|e| FlowError::Invalid(format!("refund job payload: {e}")))?;
    let refund_id = payload.refund_id.clone();
    let now = OffsetDateTime::now_utc();
    let rec = ctx
        .store
        .record_refund_received(
            &NewRefund {
                client: ctx.client.clone(),
                refund_id: refund_id.clone(),
                storefront: storefront.into(),
                storefront_order_id: Some(payload.order_id.clone()),
                payload_hash: job.idempotency_key.clone(),
            },
            now,
        )
        .await?;
    if rec.state == RefundState::Posted {
        complete(ctx, job, &rec.memo_no).await;
        return Ok(Step::Posted);
    }
    let refund = source.fetch(&payload.refund_id, &payload.order_id).await?;
    let order_key = OrderKey::new(&ctx.client, storefront, &payload.order_id);
    let erp_no = ctx
        .store
        .order(&order_key)
        .await?
        .and_then(|o| o.erp_order_no);
    let sales_order = match &erp_no {
        Some(no) => Some(ctx.erp.get_sales_order(no).await?),
        None => None,
    };
    let input = memo::with_erp_order(refund, erp_no.clone(), sales_order.as_ref());
    let called = ctx.plugin.map_refunds(vec![input]).await?;
    let Some(decision) = called.output.into_iter().next() else {
        return Err(FlowError::Invalid(
            "the plugin answered no refund decision".into(),
        ));
    };
    ctx.store
        .record_decisions(&[memo::decision_record(
            &ctx.client,
            &called.report,
            &refund_id,
            &decision,
        )])
        .await?;
    let errors: Vec<String> = decision
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| format!("{}: {}", i.field, i.message))
        .collect();
    let memo = match (&decision.memo, errors.is_empty(), &erp_no) {
        (Some(m), true, Some(_)) => m,
        _ => {
            let reason = if errors.is_empty() {
                "no credit memo decided".to_string()
            } else {
                errors.join("; ")
            };
            fail_refund(ctx, job, &rec, &reason).await?;
            return Ok(Step::Failed);
        }
    };
    // The host's reference, stored before the first ERP call; a refund sent before
    // references were the host's keeps the one its plugin built then.
    let candidate = match (rec.attempts, &rec.erp_ref) {
        (_, Some(r)) => r.clone(),
        (0, None) => references::refund_ref(&ctx.client, &rec.storefront, &refund_id),
        (_, None) => references::legacy_refund_ref(&rec.storefront, &refund_id),
    };
    let erp_ref = ctx
        .store
        .assign_refund_ref(
            &ctx.client,
            &refund_id,
            &candidate,
            OffsetDateTime::now_utc(),
        )
        .await?
        .erp_ref
        .unwrap_or(candidate);
    let request = memo::memo_request(memo, erp_no.as_deref(), erp_ref);
    let found = match rec.attempts {
        0 => None,
        _ => ctx.erp.find_credit_memo(&request.external_ref).await?,
    };
    let found = match found.map(|m| memo::verified(&request, m)) {
        Some(Err(difference)) => {
            fail_refund(ctx, job, &rec, &difference).await?;
            return Ok(Step::Failed);
        }
        Some(Ok(m)) => Some(m),
        None => None,
    };
    let memo = match found {
        Some(m) => m,
        None => {
            let rec = ctx
                .store
                .transition_refund(
                    &ctx.client,
                    &refund_id,
                    RefundState::Posting,
                    None,
                    OffsetDateTime::now_utc(),
                )
                .await?;
            match memo::create_once(ctx, &request).await {
                Ok(m) => m,
                Err(e @ (BlueCherryError::Rejected { .. } | BlueCherryError::Protocol(_))) => {
                    fail_refund(ctx, job, &rec, &e.to_string()).await?;
                    return Ok(Step::Failed);
                }
                Err(e) => {
                    retry(ctx, settings, job, Some(&rec), &e.to_string()).await?;
                    return Ok(Step::Waiting);
                }
            }
        }
    };
    if memo.status == MemoStatus::Posted {
        ctx.store
            .record_memo_posted(
                &ctx.client,
                &refund_id,
                &memo.memo_number,
                OffsetDateTime::now_utc(),
            )
            .await?;
        complete(ctx, job, &Some(memo.memo_number)).await;
        return Ok(Step::Posted);
    }
    // Entered, not posted yet: check again later; this is not a failed attempt. Past the
    // deadline a person must look (an ERP that never posts it would otherwise wait forever).
    let open_for = OffsetDateTime::now_utc() - rec.created_at;
    let deadline = time::Duration::hours(
        i64::try_from(settings.memo_deadline_hours).unwrap_or(i64::MAX / 3_600_000),
    );
    if open_for > deadline {
        let reason = format!(
            "credit memo {} still not posted {} hours after the refund",
            memo.memo_number,
            open_for.whole_hours()
        );
        let details = json!({ "refund_id": refund_id, "memo_no": memo.memo_number, "job": job.id, "open_hours": open_for.whole_hours() });
        ctx.raise(ExceptionKind::RefundFailed, &refund_id, reason, details)
            .await?;
    }
    let at = OffsetDateTime::now_utc() + std::time::Duration::from_millis(settings.memo_check_ms);
    let note = format!(
        "memo {} open, waiting for the ERP to post it",
        memo.memo_number
    );
    settle(&*ctx.store, job, Outcome::SnoozeUntil { until: at, note }).await?;
    Ok(Step::Waiting)
}

/// Returns refund jobs of crashed workers to the queue; one that used all its claims is
/// dead, and its refund becomes a `refund_failed` exception rather than waiting forever.
async fn rescue(ctx: &ClientServices) -> Result<u64, FlowError> {
    let now = OffsetDateTime::now_utc();
    let kind = refund_kind(&ctx.client);
    let mut filed = 0;
    for job in ctx.store.rescue_expired_leases(&[&kind], now).await? {
        if job.state == JobState::Dead {
            file_dead(ctx, &job).await?;
            filed += 1;
        }
    }
    Ok(filed)
}

/// A refund job whose worker stopped on every attempt: `refund_failed` for finance.
async fn file_dead(ctx: &ClientServices, job: &Job) -> Result<(), FlowError> {
    let now = OffsetDateTime::now_utc();
    let refund_id = job
        .payload
        .get("refund_id")
        .map_or_else(|| job.idempotency_key.clone(), |v| v.to_string());
    let reason = format!(
        "its worker stopped on every attempt ({} claims, lease expired)",
        job.attempts_used()
    );
    if let Some(rec) = ctx.store.refund(&ctx.client, &refund_id).await?
        && rec.state.can_go_to(RefundState::Exception)
    {
        ctx.store
            .transition_refund(
                &ctx.client,
                &refund_id,
                RefundState::Exception,
                Some(&reason),
                now,
            )
            .await?;
    }
    let details = json!({ "refund_id": refund_id, "job": job.id, "last_error": job.last_error });
    ctx.raise(ExceptionKind::RefundFailed, &refund_id, reason, details)
        .await
}

async fn retry(
    ctx: &ClientServices,
    settings: &RefundsSettings,
    job: &Job,
    rec: Option<&RefundRecord>,
    error: &str,
) -> Result<(), FlowError> {
    let attempts = rec.map_or(job.attempts, |r| r.attempts);
    if rec.is_none() && attempts >= settings.max_attempts {
        // Failed before any ERP write (storefront or plugin): give up the same way.
        let subject = job
            .payload
            .get("refund_id")
            .map_or_else(|| job.idempotency_key.clone(), |v| v.to_string());
        let summary = format!("gave up after {attempts} attempts: {error}");
        if let Some(rec) = ctx.store.refund(&ctx.client, &subject).await? {
            return fail_refund(ctx, job, &rec, &summary).await;
        }
        let details = json!({ "refund_id": subject, "job": job.id, "last_error": error });
        ctx.raise(ExceptionKind::RefundFailed, &subject, summary, details)
            .await?;
        let outcome = Outcome::GiveUp {
            error: error.to_string(),
        };
        settle(&*ctx.store, job, outcome).await?;
        return Ok(());
    }
    if let Some(rec) = rec.filter(|_| attempts >= settings.max_attempts) {
        return fail_refund(
            ctx,
            job,
            rec,
            &format!("gave up after {attempts} attempts: {error}"),
        )
        .await;
    }
    let outcome = Outcome::RetryAfter {
        delay: backoff(
            settings.retry_base_ms,
            settings.retry_max_ms,
            attempts.max(1),
        ),
        error: error.to_string(),
    };
    settle(&*ctx.store, job, outcome).await?;
    Ok(())
}

async fn fail_refund(
    ctx: &ClientServices,
    job: &Job,
    rec: &RefundRecord,
    reason: &str,
) -> Result<(), FlowError> {
    let now = OffsetDateTime::now_utc();
    if rec.state.can_go_to(RefundState::Exception) {
        ctx.store
            .transition_refund(
                &ctx.client,
                &rec.refund_id,
                RefundState::Exception,
                Some(reason),
                now,
            )
            .await?;
    }
    let details = json!({ "refund_id": rec.refund_id, "order_id": rec.storefront_order_id, "reason": reason });
    ctx.raise(ExceptionKind::RefundFailed, &rec.refund_id, reason, details)
        .await?;
    let outcome = Outcome::GiveUp {
        error: reason.to_string(),
    };
    settle(&*ctx.store, job, outcome).await?;
    Ok(())
}

async fn complete(ctx: &ClientServices, job: &Job, memo_no: &Option<String>) {
    let outcome = Outcome::Done(json!({ "memo_no": memo_no }));
    if let Err(e) = settle(&*ctx.store, job, outcome).await {
        tracing::warn!(job = job.id, error = %e, "could not complete refund job");
    }
}
