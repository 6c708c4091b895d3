//! Order intake: the BigCommerce webhook endpoint. Intake only writes durable jobs; the
//! injector does the work (the scheduled sweep is [`super::sweep`]).
//!
//! A delivery is acknowledged (200) only after its job is committed, so a crash before the
//! commit makes BigCommerce deliver again; duplicates collapse on the job's idempotency key
//! (the order id for `store/order/created`, the refund id for `store/order/refund/created`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use selvedge_bigcommerce::model::WebhookPayload;
use selvedge_store::{NewJob, Store};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::settings::{OrdersSettings, Pacing, WEBHOOK_SECRET_HEADER};
use super::{order_kind, refund_kind};
use crate::flows::refunds::{RefundsSettings, job_max_attempts};

/// One client's webhook receiver settings.
#[derive(Clone)]
pub struct IntakeClient {
    /// Where jobs go.
    pub store: Arc<dyn Store>,
    /// SHA-256 of the shared secret: comparing digests takes the same time for any guess.
    secret_digest: [u8; 32],
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
    /// A receiver for a client whose hooks send `secret`.
    pub fn new(
        store: Arc<dyn Store>,
        secret: &str,
        settings: &OrdersSettings,
        refunds: &RefundsSettings,
    ) -> Self {
        Self {
            store,
            secret_digest: Sha256::digest(secret.as_bytes()).into(),
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

    fn authentic(&self, headers: &HeaderMap) -> bool {
        let Some(sent) = headers.get(WEBHOOK_SECRET_HEADER) else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(sent.as_bytes()).into();
        // Constant time: no early exit on the first differing byte.
        digest
            .iter()
            .zip(self.secret_digest.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// The HTTP endpoint of every client of a host: `POST /webhooks/bigcommerce/{client}`.
pub fn router(clients: HashMap<String, IntakeClient>) -> Router {
    Router::new()
        .route("/webhooks/bigcommerce/{client}", post(receive))
        .with_state(Arc::new(clients))
}

/// Why a delivery was refused: the status, and a message safe to show the sender.
#[derive(Debug, thiserror::Error)]
enum IntakeError {
    #[error("missing or wrong webhook secret")]
    Unauthorized,
    #[error("invalid webhook payload: {0}")]
    BadPayload(String),
    #[error("cannot store the delivery now, retry later")]
    Unavailable(String),
}

impl IntoResponse for IntakeError {
    fn into_response(self) -> Response {
        let status = match &self {
            IntakeError::Unauthorized => StatusCode::UNAUTHORIZED,
            IntakeError::BadPayload(_) => StatusCode::BAD_REQUEST,
            IntakeError::Unavailable(internal) => {
                tracing::error!(error = %internal, "webhook not stored");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        (status, axum::Json(json!({ "error": self.to_string() }))).into_response()
    }
}

async fn receive(
    State(clients): State<Arc<HashMap<String, IntakeClient>>>,
    Path(client): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IntakeError> {
    // An unknown client gets the same answer as a wrong secret: no probing for names.
    let intake = clients.get(&client).ok_or(IntakeError::Unauthorized)?;
    if !intake.authentic(&headers) {
        return Err(IntakeError::Unauthorized);
    }
    let payload: WebhookPayload =
        serde_json::from_slice(&body).map_err(|e| IntakeError::BadPayload(e.to_string()))?;
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
                order_kind(&client),
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
            return status_updated(intake, &client, id, new_status, now).await;
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
                refund_kind(&client),
                format!("bigcommerce:{refund_id}"),
                json!({ "refund_id": refund_id, "order_id": order_id }),
                now,
                intake.refund_max_attempts,
            )
        }
        // Acknowledged so BigCommerce does not retry a scope we do not act on.
        other => {
            return Ok((StatusCode::OK, axum::Json(json!({ "ignored": other }))).into_response());
        }
    };
    let enqueued = intake
        .store
        .enqueue(
            NewJob {
                client: client.clone(),
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
    Ok((
        StatusCode::OK,
        axum::Json(json!({ "job": enqueued.job.id, "duplicate": !enqueued.created })),
    )
        .into_response())
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
) -> Result<Response, IntakeError> {
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
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({ "job": job.id, "rearmed": !enqueued.created, "state": job.state.as_str() }),
        ),
    )
        .into_response())
}
