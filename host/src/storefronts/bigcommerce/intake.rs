//! Order intake: what a verified BigCommerce webhook delivery becomes ([`accept`]). Intake
//! only writes durable jobs; the injector does the work (the scheduled sweep is
//! [`crate::flows::orders::sweep`]). The HTTP side (secret, limits, status codes) is `crate::http::webhook`.
//!
//! A delivery is acknowledged (200) only after its job is committed, so a crash before the
//! commit makes BigCommerce deliver again; duplicates collapse on the job's idempotency key
//! (the order id for `store/order/created`, the refund id for `store/order/refund/created`).

use std::sync::Arc;

use selvedge_bigcommerce::model::WebhookPayload;
use selvedge_store::{NewJob, Store};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::flows::orders::settings::{OrdersSettings, Pacing};
use crate::flows::refunds::{RefundsSettings, job_max_attempts};
use crate::jobs::kinds::{order_kind, refund_kind};

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
    pub fn with_store_hash(self, store_hash: &str) -> Self {
        self.with_producer(&format!("stores/{store_hash}"))
    }

    /// Refuses deliveries whose `producer` is not `producer`.
    pub fn with_producer(mut self, producer: &str) -> Self {
        self.producer = Some(producer.to_string());
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
