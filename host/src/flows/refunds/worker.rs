//! The refunds worker on the job engine: one refund job to its end per attempt, the memo
//! created once under the host's reference, complete only when the ERP posts it.

use selvedge_bluecherry::BlueCherryError;
use selvedge_bluecherry::model::MemoStatus;
use selvedge_runtime::rules::types::Severity;
use selvedge_store::{Job, JobState, NewRefund, OrderKey, RefundRecord, RefundState};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::{RefundsSettings, memo};
use crate::flows::{ClientServices, ExceptionKind, FlowError, legacy_prefix};
use crate::jobs::kinds::{backoff, refund_kind};
use crate::jobs::{Outcome, settle};
use crate::plugins::record_call;
use crate::references;

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
pub(super) async fn work_one(ctx: &ClientServices, settings: &RefundsSettings, job: &Job) -> Step {
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

pub(super) enum Step {
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
    record_call(
        ctx.store.as_ref(),
        &ctx.client,
        "refunds",
        &called.report,
        Vec::new,
        vec![memo::decision_record(
            &ctx.client,
            &called.report,
            &refund_id,
            &decision,
        )],
    )
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
        (_, None) => references::legacy_refund_ref(legacy_prefix(ctx), &refund_id),
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
pub(super) async fn rescue(ctx: &ClientServices) -> Result<u64, FlowError> {
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
