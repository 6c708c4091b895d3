//! How an order job ends: injected and flagged, sent to the exception queue (invalid or
//! stuck), or scheduled for a retry with backoff and jitter. Also the decision audit record.

use selvedge_runtime::rules::orders::OrderDecision;
use selvedge_runtime::rules::types::Severity;
use selvedge_store::{Decision, Job, OrderKey, OrderRecord, OrderState, StoreError};
use serde_json::json;
use time::OffsetDateTime;

use selvedge_bluecherry::BlueCherryError;

use super::prepare::Prepared;
use super::worker::{Injected, Injector};
use crate::flows::{ExceptionKind, FlowError};
use crate::jobs::{Outcome, settle};

impl Injector {
    pub(super) async fn flag_reviews(
        &self,
        key: &OrderKey,
        number: &str,
        decision: &OrderDecision,
    ) -> Result<(), FlowError> {
        for issue in decision
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Review)
        {
            // Both mean "no warehouse for this order: the default was used".
            let kind = if issue.code.contains("location") || issue.code.contains("shipping-method")
            {
                ExceptionKind::UnknownLocation
            } else {
                tracing::info!(order = %key, code = %issue.code, "order injected with a review note");
                continue;
            };
            let details =
                json!({ "erp_order_no": number, "code": issue.code, "field": issue.field });
            self.ctx
                .raise(
                    kind,
                    &key.storefront_order_id,
                    issue.message.clone(),
                    details,
                )
                .await?;
        }
        Ok(())
    }

    /// Closes the ledger records of the earlier revisions (the ERP order now holds the new
    /// content), so reconciliation compares the ERP with the current revision only.
    pub(super) async fn supersede(
        &self,
        old: &OrderRecord,
        new_key: &OrderKey,
        revision: u32,
        number: &str,
    ) -> Result<(), FlowError> {
        let now = OffsetDateTime::now_utc();
        let note = format!(
            "superseded by {}: ERP order {number} revised to the edited content",
            new_key.storefront_order_id
        );
        let base = old
            .key
            .storefront_order_id
            .split_once("~r")
            .map_or(old.key.storefront_order_id.as_str(), |(base, _)| base);
        for n in 1..revision {
            let id = if n == 1 {
                base.to_string()
            } else {
                format!("{base}~r{n}")
            };
            let key = OrderKey::new(&old.key.client, &old.key.storefront, &id);
            if let Some(rec) = self.ctx.store.order(&key).await?
                && rec.state.can_go_to(OrderState::Cancelled)
            {
                self.ctx
                    .store
                    .transition_order(&key, OrderState::Cancelled, Some(&note), now)
                    .await?;
            }
        }
        Ok(())
    }

    /// The ERP would not take an edit (the order is shipping, cancelled, or holds a newer
    /// revision): the ERP keeps the old content, and a person decides (`drift_order`).
    pub(super) async fn revision_refused(
        &self,
        job: &Job,
        p: &Prepared,
        error: &BlueCherryError,
    ) -> Result<(), FlowError> {
        let reason = format!("edit not applied to Blue Cherry: {error}");
        self.to_exception(&p.key, &reason).await?;
        let base = p
            .supersedes
            .as_ref()
            .map_or(&p.key, |previous| &previous.key);
        let summary = format!(
            "order edited in the storefront (revision {}) but {error}; the ERP still holds the \
             earlier content",
            p.revision
        );
        let details = json!({
            "revision": p.revision,
            "ledger_key": p.key.storefront_order_id,
            "erp_order_no": p.supersedes.as_ref().and_then(|r| r.erp_order_no.clone()),
            "error": error.to_string(),
        });
        self.ctx
            .raise(
                ExceptionKind::DriftOrder,
                &base.storefront_order_id,
                summary,
                details,
            )
            .await?;
        self.give_up(job, &reason).await;
        Ok(())
    }

    pub(super) async fn invalid(
        &self,
        job: &Job,
        key: &OrderKey,
        reason: &str,
        details: serde_json::Value,
    ) -> Result<(), FlowError> {
        self.to_exception(key, reason).await?;
        let details = json!({ "reason": reason, "job": job.id, "details": details });
        self.ctx
            .raise(
                ExceptionKind::OrderInvalid,
                &key.storefront_order_id,
                reason,
                details,
            )
            .await?;
        self.give_up(job, reason).await;
        Ok(())
    }

    /// Retries with backoff, or after the last attempt sends the order to `order_stuck`.
    pub(super) async fn retry(
        &self,
        job: &Job,
        key: Option<&OrderKey>,
        error: &str,
    ) -> Result<Injected, FlowError> {
        if job.attempts_used() >= job.max_attempts {
            if let Some(key) = key {
                self.to_exception(key, error).await?;
            }
            self.stuck(job, error).await?;
            self.give_up(job, error).await;
            return Ok(Injected::Exception);
        }
        let outcome = Outcome::RetryAfter {
            delay: self.settings.retry_delay(job.attempts_used()),
            error: error.to_string(),
        };
        match settle(&*self.ctx.store, job, outcome).await {
            Ok(_) | Err(StoreError::LeaseLost { .. }) => Ok(Injected::Retry),
            Err(e) => Err(e.into()),
        }
    }

    /// An order whose checkout is not finished: checked again with backoff (a snooze, not a
    /// failed attempt) up to `incomplete_checks` times, then recorded as skipped. A status
    /// update from the storefront re-arms the job.
    pub(super) async fn recheck(
        &self,
        job: &Job,
        key: &OrderKey,
        reason: &str,
    ) -> Result<(), FlowError> {
        let now = OffsetDateTime::now_utc();
        if job.snoozes >= self.settings.incomplete_checks {
            let skipped = format!("{reason}; skipped after {} checks", job.snoozes);
            tracing::info!(client = %self.ctx.client, order = %key.storefront_order_id, reason = %skipped, "order skipped");
            self.finish(job, json!({ "skipped": skipped })).await;
            return Ok(());
        }
        let outcome = Outcome::SnoozeUntil {
            until: now + self.settings.retry_delay(job.snoozes + 1),
            note: reason.to_string(),
        };
        match settle(&*self.ctx.store, job, outcome).await {
            Ok(_) | Err(StoreError::LeaseLost { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The storefront cancelled an order the ERP already holds (see
    /// [`report_cancelled_after_injection`]); the job is done.
    pub(super) async fn cancelled_after_injection(
        &self,
        job: &Job,
        record: &OrderRecord,
        reason: &str,
    ) -> Result<(), FlowError> {
        report_cancelled_after_injection(&self.ctx, record, reason).await?;
        let number = record.erp_order_no.clone().unwrap_or_default();
        self.finish(
            job,
            json!({ "erp_order_no": number, "cancelled_after_injection": reason }),
        )
        .await;
        Ok(())
    }

    /// Our reference is already on an ERP order with other content (another store on the
    /// same ERP, an order entered by hand): never recorded as ours; a person decides.
    pub(super) async fn reference_taken(
        &self,
        job: &Job,
        p: &Prepared,
        erp_ref: &str,
        number: &str,
        difference: &str,
    ) -> Result<(), FlowError> {
        let summary = format!(
            "ERP order {number} already carries reference {erp_ref} with other content ({difference})"
        );
        self.to_exception(&p.key, &summary).await?;
        let details = json!({ "job": job.id, "erp_ref": erp_ref, "erp_order_no": number, "difference": difference });
        self.ctx
            .raise(
                ExceptionKind::OrderInvalid,
                &p.key.storefront_order_id,
                summary.clone(),
                details,
            )
            .await?;
        self.give_up(job, &summary).await;
        Ok(())
    }

    /// An order the plugin fails on by itself: to the exception queue at once (retrying the
    /// same content would fail the same way), naming the plugin and its version.
    pub(super) async fn poison(
        &self,
        job: &Job,
        key: &OrderKey,
        error: &str,
        plugin: Option<&selvedge_runtime::PluginError>,
    ) -> Result<(), FlowError> {
        self.to_exception(key, error).await?;
        let details = json!({
            "job": job.id,
            "error": error,
            "plugin": plugin.map(|p| &p.plugin),
            "version": plugin.map(|p| &p.version),
            "code": plugin.map(|p| p.kind.code()),
        });
        self.ctx
            .raise(
                ExceptionKind::PluginError,
                &key.storefront_order_id,
                format!("the plugin failed on this order alone: {error}"),
                details,
            )
            .await?;
        self.give_up(job, error).await;
        Ok(())
    }

    pub(super) async fn stuck(&self, job: &Job, error: &str) -> Result<(), FlowError> {
        let subject = job
            .payload
            .get("order_id")
            .and_then(|v| v.as_str())
            .unwrap_or(&job.idempotency_key)
            .to_string();
        let summary = format!("gave up after {} attempts: {error}", job.attempts);
        let details = json!({ "job": job.id, "attempts": job.attempts, "last_error": error });
        self.ctx
            .raise(ExceptionKind::OrderStuck, &subject, summary, details)
            .await
    }

    pub(super) async fn to_exception(&self, key: &OrderKey, note: &str) -> Result<(), FlowError> {
        let now = OffsetDateTime::now_utc();
        // The ledger may not know an order that could not even be read: create it first.
        let rec = match self.ctx.store.order(key).await? {
            Some(rec) => rec,
            None => self.ctx.store.record_order_received(key, "", now).await?,
        };
        if rec.state.can_go_to(OrderState::Exception) {
            self.ctx
                .store
                .transition_order(key, OrderState::Exception, Some(note), now)
                .await?;
        }
        Ok(())
    }

    pub(super) async fn give_up(&self, job: &Job, reason: &str) {
        let outcome = Outcome::GiveUp {
            error: reason.to_string(),
        };
        if let Err(e) = settle(&*self.ctx.store, job, outcome).await {
            tracing::warn!(job = job.id, error = %e, "could not give up job");
        }
    }

    pub(super) async fn finish(&self, job: &Job, result: serde_json::Value) {
        // A lost lease means another worker owns the job now; the ledger keeps it single.
        if let Err(e) = settle(&*self.ctx.store, job, Outcome::Done(result)).await {
            tracing::warn!(job = job.id, error = %e, "could not complete job");
        }
    }
}

pub(super) fn issues_json(d: &OrderDecision) -> serde_json::Value {
    d.issues
        .iter()
        .map(|i| {
            json!({ "severity": format!("{:?}", i.severity).to_lowercase(), "code": i.code,
                    "field": i.field, "message": i.message })
        })
        .collect()
}

pub(super) fn decision_record(
    client: &str,
    report: &selvedge_runtime::CallReport,
    key: &OrderKey,
    d: &OrderDecision,
) -> Decision {
    let (reason, value) = decision_json(d);
    Decision {
        client: client.to_string(),
        flow: "orders".into(),
        subject: key.storefront_order_id.clone(),
        plugin_id: report.plugin.clone(),
        plugin_version: report.version.clone(),
        reason,
        value,
        call_id: None,
        created_at: OffsetDateTime::now_utc(),
    }
}

/// The stored `(reason, value)` of an order decision: what "why" shows and replay compares.
pub fn decision_json(d: &OrderDecision) -> (serde_json::Value, serde_json::Value) {
    let value = d.sales_order.as_ref().map_or(json!(null), |so| {
        json!({ "warehouse": so.warehouse, "division": so.division,
                "customer": so.customer, "terms": so.terms_code, "authorised": so.authorised,
                "po_number": so.po_number, "tax": so.tax, "review": so.review })
    });
    let reason = json!({
        "reasons": d.reasons.iter().map(|r| json!({ "code": r.code, "detail": r.detail })).collect::<Vec<_>>(),
        "issues": issues_json(d),
    });
    (reason, value)
}

/// The storefront cancelled an order the ERP already holds: the integration does not touch
/// the ERP order (it may be picking); its owner team decides (`drift_order`).
pub(super) async fn report_cancelled_after_injection(
    ctx: &crate::flows::ClientServices,
    record: &OrderRecord,
    reason: &str,
) -> Result<(), FlowError> {
    let number = record.erp_order_no.clone().unwrap_or_default();
    let summary = format!("{reason} after it reached Blue Cherry as sales order {number}");
    let details = json!({ "erp_order_no": number, "reason": reason });
    ctx.raise(
        ExceptionKind::DriftOrder,
        &record.key.storefront_order_id,
        summary,
        details,
    )
    .await
}
