//! Order intake: what a verified BigCommerce webhook delivery becomes ([`accept`]), hook
//! registration, and the Sparklayer purchase poll. Intake only writes durable jobs; the
//! injector does the work. The HTTP side (secret, limits, status codes) is `crate::http::webhook`.
//!
//! A delivery is acknowledged (200) only after its job is committed, so a crash before the
//! commit makes BigCommerce deliver again; duplicates collapse on the job's idempotency key
//! (the order id for `store/order/created`, the refund id for `store/order/refund/created`).

use std::collections::BTreeMap;
use std::sync::Arc;

use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::model::{NewWebhook, WebhookPayload};
use selvedge_sparklayer::model::Purchase;
use selvedge_store::{NewJob, Store};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::settings::{OrdersSettings, Pacing, WEBHOOK_SECRET_HEADER};
use super::status::StatusRule;
use super::{BIGCOMMERCE_CURSOR, SPARKLAYER_CURSOR, order_kind, refund_kind};
use crate::flows::refunds::{RefundsSettings, job_max_attempts};
use crate::flows::{ClientServices, FlowError, FlowReport, StorefrontClient};

/// Scopes the host registers on BigCommerce.
pub const SCOPES: [&str; 3] = [
    "store/order/created",
    "store/order/statusUpdated",
    "store/order/refund/created",
];

/// One client's webhook intake settings (the secret is checked before, on the HTTP side).
#[derive(Clone)]
pub struct IntakeClient {
    /// Where jobs go.
    pub store: Arc<dyn Store>,
    /// When received orders may be injected.
    pub pacing: Pacing,
    /// Claims allowed per order job before it is given up.
    pub max_attempts: u32,
    /// Claims allowed per refund job (see [`crate::flows::refunds::job_max_attempts`]).
    pub refund_max_attempts: u32,
    /// Woken after a job is stored, so the job engine starts it without waiting for a poll.
    waker: Option<Arc<tokio::sync::Notify>>,
    /// `stores/{store_hash}` of the client's store: a delivery from another store is refused.
    producer: Option<String>,
}

impl IntakeClient {
    /// The intake of one client.
    pub fn new(
        store: Arc<dyn Store>,
        settings: &OrdersSettings,
        refunds: &RefundsSettings,
    ) -> Self {
        Self {
            store,
            pacing: settings.pacing.clone(),
            max_attempts: settings.max_attempts,
            refund_max_attempts: job_max_attempts(refunds),
            waker: None,
            producer: None,
        }
    }

    /// Refuses deliveries whose `producer` is not `stores/{store_hash}`.
    pub fn with_store_hash(mut self, store_hash: &str) -> Self {
        self.producer = Some(format!("stores/{store_hash}"));
        self
    }

    /// Wakes `waker` after each stored delivery.
    pub fn with_waker(mut self, waker: Arc<tokio::sync::Notify>) -> Self {
        self.waker = Some(waker);
        self
    }
}

/// What a delivery became; serialised as the 200 body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Receipt {
    /// A job was queued (or was already: `duplicate`).
    Queued {
        /// Job id.
        job: i64,
        /// The delivery was seen before (same idempotency key).
        duplicate: bool,
    },
    /// A status change: the order's job was re-armed, or queued if never seen.
    StatusUpdated {
        /// Job id.
        job: i64,
        /// An existing job was re-armed.
        rearmed: bool,
        /// The job's state now.
        state: &'static str,
    },
    /// A scope the host does not act on, acknowledged so BigCommerce does not retry it.
    Ignored {
        /// The scope.
        ignored: String,
    },
}

/// Why a verified delivery was not taken.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The payload is not a delivery the host can use (the sender's fault: 400).
    #[error("invalid webhook payload: {0}")]
    BadPayload(String),
    /// The job could not be stored now (retry later: 503); the text is for the log.
    #[error("cannot store the delivery now: {0}")]
    Unavailable(String),
}

/// Turns an authenticated delivery to `client` into a durable job (or re-arms one).
pub async fn accept(
    intake: &IntakeClient,
    client: &str,
    body: &[u8],
) -> Result<Receipt, IntakeError> {
    let payload: WebhookPayload =
        serde_json::from_slice(body).map_err(|e| IntakeError::BadPayload(e.to_string()))?;
    if let Some(producer) = &intake.producer
        && payload.producer != *producer
    {
        return Err(IntakeError::BadPayload(format!(
            "producer `{}` is not this client's store",
            payload.producer
        )));
    }
    let now = OffsetDateTime::now_utc();
    let order_id = || match payload.resource_id() {
        Some(id) if id > 0 => Ok(id),
        _ => Err(IntakeError::BadPayload(
            "data.id must be a positive order id".into(),
        )),
    };
    let (kind, key, job_payload, run_at, max_attempts) = match payload.scope.as_str() {
        "store/order/created" => {
            let id = order_id()?;
            let run_at = intake
                .pacing
                .release_at(now)
                .map_err(IntakeError::Unavailable)?;
            (
                order_kind(client),
                format!("bigcommerce:{id}"),
                json!({ "storefront": "bigcommerce", "order_id": id.to_string() }),
                run_at,
                intake.max_attempts,
            )
        }
        "store/order/statusUpdated" => {
            let id = order_id()?;
            let new_status = payload
                .data
                .pointer("/status/new_status_id")
                .and_then(serde_json::Value::as_i64)
                .ok_or_else(|| {
                    IntakeError::BadPayload("data.status.new_status_id must be a status id".into())
                })?;
            return status_updated(intake, client, id, new_status, now).await;
        }
        "store/order/refund/created" => {
            let refund_id = payload
                .data
                .pointer("/refund/refund_id")
                .and_then(serde_json::Value::as_i64)
                .filter(|id| *id > 0)
                .ok_or_else(|| {
                    IntakeError::BadPayload(
                        "data.refund.refund_id must be a positive refund id".into(),
                    )
                })?;
            let order_id = order_id()?;
            (
                refund_kind(client),
                format!("bigcommerce:{refund_id}"),
                json!({ "refund_id": refund_id, "order_id": order_id }),
                now,
                intake.refund_max_attempts,
            )
        }
        // Acknowledged so BigCommerce does not retry a scope we do not act on.
        other => {
            return Ok(Receipt::Ignored {
                ignored: other.to_string(),
            });
        }
    };
    let enqueued = intake
        .store
        .enqueue(
            NewJob {
                client: client.to_string(),
                kind,
                idempotency_key: key,
                payload: job_payload,
                run_at,
                max_attempts,
            },
            now,
        )
        .await
        .map_err(|e| IntakeError::Unavailable(e.to_string()))?;
    if let Some(w) = &intake.waker {
        w.notify_one();
    }
    Ok(Receipt::Queued {
        job: enqueued.job.id,
        duplicate: !enqueued.created,
    })
}

/// A status change re-arms the order's job (the same job: one idempotency key per order), or
/// queues one if the order was never seen. The worker applies the status rules with the
/// order as BigCommerce has it then, so a late or out-of-order delivery cannot inject a
/// declined order.
async fn status_updated(
    intake: &IntakeClient,
    client: &str,
    order_id: i64,
    new_status: i64,
    now: OffsetDateTime,
) -> Result<Receipt, IntakeError> {
    let unavailable = |e: selvedge_store::StoreError| IntakeError::Unavailable(e.to_string());
    let run_at = intake
        .pacing
        .release_at(now)
        .map_err(IntakeError::Unavailable)?;
    let payload = json!({ "storefront": "bigcommerce", "order_id": order_id.to_string(), "new_status_id": new_status });
    let enqueued = intake
        .store
        .enqueue(
            NewJob {
                client: client.to_string(),
                kind: order_kind(client),
                idempotency_key: format!("bigcommerce:{order_id}"),
                payload: payload.clone(),
                run_at,
                max_attempts: intake.max_attempts,
            },
            now,
        )
        .await
        .map_err(unavailable)?;
    let job = if enqueued.created {
        enqueued.job
    } else {
        intake
            .store
            .rearm(
                enqueued.job.id,
                run_at,
                intake.max_attempts,
                Some(payload),
                now,
            )
            .await
            .map_err(unavailable)?
    };
    if let Some(w) = &intake.waker {
        w.notify_one();
    }
    Ok(Receipt::StatusUpdated {
        job: job.id,
        rearmed: !enqueued.created,
        state: job.state.as_str(),
    })
}

/// Registers the order hooks on BigCommerce with the secret header, skipping hooks already
/// registered the same way. Returns how many were created. Call at start.
pub async fn register_webhooks(
    bigcommerce: &BigCommerceClient,
    destination: &str,
    secret: &str,
) -> Result<usize, selvedge_bigcommerce::Error> {
    let existing = bigcommerce.list_webhooks().await?;
    let headers = BTreeMap::from([(WEBHOOK_SECRET_HEADER.to_string(), secret.to_string())]);
    let mut created = 0;
    for scope in SCOPES {
        let present = existing.iter().any(|h| {
            h.scope == scope
                && h.destination == destination
                && h.is_active
                && h.headers.as_ref() == Some(&headers)
        });
        if !present {
            bigcommerce
                .create_webhook(&NewWebhook {
                    scope: scope.into(),
                    destination: destination.into(),
                    is_active: true,
                    headers: Some(headers.clone()),
                })
                .await?;
            created += 1;
        }
    }
    Ok(created)
}

/// The safety net behind the webhooks: queues BigCommerce orders modified since the cursor
/// (same job key as the webhook, so an order seen both ways is one job). The first run only
/// sets the cursor to now: a new client must not inject the store's whole history.
pub async fn sweep_bigcommerce(
    ctx: &ClientServices,
    settings: &OrdersSettings,
) -> Result<FlowReport, FlowError> {
    let StorefrontClient::BigCommerce(bc) = &ctx.storefront else {
        return Err(FlowError::NotApplicable {
            flow: crate::flows::FlowKind::Orders,
            storefront: ctx.storefront.name(),
        });
    };
    let now = OffsetDateTime::now_utc();
    // Whole seconds, rounded down: BigCommerce dates have no fraction, and down keeps the
    // cursor inclusive.
    let format = |t: OffsetDateTime| {
        let t = t.replace_nanosecond(0).unwrap_or(t);
        t.format(&Rfc3339)
            .map_err(|e| FlowError::Invalid(e.to_string()))
    };
    let Some(since) = ctx.store.cursor(&ctx.client, BIGCOMMERCE_CURSOR).await? else {
        ctx.store
            .set_cursor(&ctx.client, BIGCOMMERCE_CURSOR, &format(now)?, now)
            .await?;
        return Ok(FlowReport {
            summary: "order sweep starts from now".into(),
            ..FlowReport::default()
        });
    };
    let found = bc
        .list_orders(&selvedge_bigcommerce::model::OrderQuery {
            min_date_modified: Some(since.clone()),
            ..Default::default()
        })
        .await?;
    let run_at = settings
        .pacing
        .release_at(now)
        .map_err(FlowError::Invalid)?;
    let mut cursor = OffsetDateTime::parse(&since, &Rfc3339).ok();
    let mut queued = 0u64;
    for order in &found {
        cursor = cursor.max(order.modified_at());
        // Incomplete orders come back once modified; declined and cancelled ones are not
        // sales (one cancelled after injection is the worker's to report, via its job).
        match super::status::bigcommerce(order.status_id) {
            StatusRule::Inject => {}
            StatusRule::Recheck => continue,
            StatusRule::Skip(reason) => {
                let key = selvedge_store::OrderKey::new(
                    &ctx.client,
                    "bigcommerce",
                    &order.id.to_string(),
                );
                if let Some(rec) = ctx.store.order(&key).await?
                    && rec.state == selvedge_store::OrderState::Injected
                {
                    super::outcome::report_cancelled_after_injection(ctx, &rec, reason).await?;
                }
                continue;
            }
        }
        let enqueued = ctx
            .store
            .enqueue(
                NewJob {
                    client: ctx.client.clone(),
                    kind: order_kind(&ctx.client),
                    idempotency_key: format!("bigcommerce:{}", order.id),
                    payload: json!({ "storefront": "bigcommerce", "order_id": order.id.to_string() }),
                    run_at,
                    max_attempts: settings.max_attempts,
                },
                now,
            )
            .await?;
        queued += u64::from(enqueued.created);
    }
    if let Some(c) = cursor {
        ctx.store
            .set_cursor(&ctx.client, BIGCOMMERCE_CURSOR, &format(c)?, now)
            .await?;
    }
    let mut report = FlowReport {
        summary: format!("{} orders swept, {queued} missed by webhooks", found.len()),
        ..FlowReport::default()
    };
    report.measurements.records = Some(found.len() as u64);
    report.measurements.changed = Some(queued);
    Ok(report)
}

/// What of a purchase the ERP order is made of: an edit changes it, a status or package
/// update (ours included) does not.
pub fn purchase_content_hash(p: &Purchase) -> String {
    let content = json!({
        "lines": p.line_items.iter().map(|l| (&l.sku, l.quantity, l.price_cents)).collect::<Vec<_>>(),
        "attributes": &p.attributes,
        "location": &p.stock_location_external_id,
        "payment": &p.payment_method,
        "customer": p.customer.as_ref().and_then(|c| c.external_id.as_ref()),
    });
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

/// Polls Sparklayer for purchases changed since the cursor and queues each new or edited
/// order. The cursor (inclusive) is saved only after every job is committed.
pub async fn poll_sparklayer(
    ctx: &ClientServices,
    settings: &OrdersSettings,
) -> Result<FlowReport, FlowError> {
    let StorefrontClient::Sparklayer(sparklayer) = &ctx.storefront else {
        return Err(FlowError::NotApplicable {
            flow: crate::flows::FlowKind::Orders,
            storefront: ctx.storefront.name(),
        });
    };
    let since = ctx
        .store
        .cursor(&ctx.client, SPARKLAYER_CURSOR)
        .await?
        .and_then(|c| OffsetDateTime::parse(&c, &Rfc3339).ok());
    let purchases = sparklayer.poll_purchases(since).await?;
    let now = OffsetDateTime::now_utc();
    let run_at = settings
        .pacing
        .release_at(now)
        .map_err(FlowError::Invalid)?;
    let (mut queued, mut seen) = (0u64, 0u64);
    let mut cursor = since;
    for p in &purchases {
        cursor = cursor.max(p.updated_at);
        let Some(id) = p.purchase_identifiers.sparklayer.as_deref() else {
            continue;
        };
        if p.purchase_type != "order"
            || super::status::sparklayer(p.status.as_deref()) != StatusRule::Inject
        {
            continue;
        }
        seen += 1;
        let hash = purchase_content_hash(p);
        let enqueued = ctx
            .store
            .enqueue(
                NewJob {
                    client: ctx.client.clone(),
                    kind: order_kind(&ctx.client),
                    // The content hash in the key: an edit is a new job, a re-read is not.
                    idempotency_key: format!("sparklayer:{id}:{}", &hash[..16]),
                    payload: json!({ "storefront": "sparklayer", "order_id": id, "content_hash": hash }),
                    run_at,
                    max_attempts: settings.max_attempts,
                },
                now,
            )
            .await?;
        queued += u64::from(enqueued.created);
        // Content seen before but changed since that job finished (an edit back to it,
        // A -> B -> A): the same job again; the worker compares with the latest revision.
        let job = &enqueued.job;
        if !enqueued.created
            && job.state == selvedge_store::JobState::Done
            && p.updated_at.is_some_and(|t| t > job.updated_at)
        {
            ctx.store
                .rearm(job.id, run_at, settings.max_attempts, None, now)
                .await?;
            queued += 1;
        }
    }
    if let Some(cursor) = cursor.filter(|c| Some(*c) != since) {
        let value = cursor
            .format(&Rfc3339)
            .map_err(|e| FlowError::Invalid(e.to_string()))?;
        ctx.store
            .set_cursor(&ctx.client, SPARKLAYER_CURSOR, &value, now)
            .await?;
    }
    let mut report = FlowReport {
        summary: format!("{seen} purchases read, {queued} queued"),
        ..FlowReport::default()
    };
    report.measurements.records = Some(seen);
    report.measurements.changed = Some(queued);
    Ok(report)
}
