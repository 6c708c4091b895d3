//! The webhook listener: `POST /webhooks/bigcommerce/{client}` and `GET /healthz`.
//!
//! Each delivery is checked in this order, cheapest first, so an unauthenticated caller
//! costs us a header read and nothing more:
//! 1. the secret header ([`WEBHOOK_SECRET_HEADER`]), from the headers alone: 401 before a
//!    byte of the body is read (the same 401 for an unknown client: no probing for names);
//! 2. a declared `Content-Length` over the body limit: 413, still without reading;
//! 3. the body, read up to the limit (413 beyond it, for chunked bodies);
//! 4. [`crate::storefronts::bigcommerce::intake::accept`] turns it into a durable job.
//!
//! Every 401 is counted per client ([`failures`]) for the metrics and the dashboard.

pub mod failures;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use time::OffsetDateTime;

use self::failures::{AuthFailures, Refusal, UNKNOWN_CLIENT};
use super::HttpError;
use super::auth::Secret;
use crate::flows::orders::WEBHOOK_SECRET_HEADER;
use crate::storefronts::bigcommerce::intake::{IntakeClient, IntakeError, Receipt, accept};

/// Largest delivery body taken: BigCommerce payloads are ids, well under 1 KiB.
pub const BODY_LIMIT: usize = 256 * 1024;

/// One client's webhook endpoint: its secret and its intake.
pub struct WebhookClient {
    secret: Secret,
    intake: IntakeClient,
}

impl WebhookClient {
    /// A client whose hooks send `secret` in [`WEBHOOK_SECRET_HEADER`].
    pub fn new(secret: &str, intake: IntakeClient) -> Self {
        Self {
            secret: Secret::new(Some(secret)),
            intake,
        }
    }
}

/// Shared state of the webhook router.
#[derive(Clone)]
pub struct WebhookState {
    clients: Arc<HashMap<String, WebhookClient>>,
    failures: Arc<AuthFailures>,
    ready: Arc<AtomicBool>,
    body_limit: usize,
}

impl WebhookState {
    /// Every webhook client by id; refusals are recorded in `failures` (share it with the
    /// admin state so the dashboard shows them).
    pub fn new(clients: HashMap<String, WebhookClient>, failures: Arc<AuthFailures>) -> Self {
        Self {
            clients: Arc::new(clients),
            failures,
            ready: Arc::new(AtomicBool::new(true)),
            body_limit: BODY_LIMIT,
        }
    }

    /// `/healthz` answers 503 until `ready` is set (the host sets it once hooks are registered).
    pub fn ready_when(mut self, ready: Arc<AtomicBool>) -> Self {
        self.ready = ready;
        self
    }
}

/// The webhook router (serve it with [`super::listener::serve`] and
/// [`super::ListenerLimits::WEBHOOK`]).
pub fn router(state: WebhookState) -> Router {
    // Counters recorded before the first scrape must not be lost.
    let _ = crate::metrics::handle();
    let deliveries = Router::new()
        .route("/webhooks/bigcommerce/{client}", post(receive))
        // Layers run bottom-up: the secret check wraps (runs before) the body limit.
        .route_layer(DefaultBodyLimit::max(state.body_limit))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_secret,
        ));
    Router::new()
        .merge(deliveries)
        .route("/healthz", get(healthz))
        .with_state(state)
}

/// Ready once every store's hooks are registered (a store delivering before that would find
/// no hook).
async fn healthz(State(state): State<WebhookState>) -> (StatusCode, &'static str) {
    if state.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ok")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "starting: registering webhooks",
        )
    }
}

/// Middleware on headers only: the body is untouched until the secret is right.
async fn require_secret(
    State(state): State<WebhookState>,
    client: Result<Path<String>, PathRejection>,
    request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    let Path(client) = client.map_err(|e| HttpError::bad_request(e.body_text()))?;
    let now = OffsetDateTime::now_utc();
    let Some(known) = state.clients.get(&client) else {
        state
            .failures
            .record(UNKNOWN_CLIENT, Refusal::UnknownClient, now);
        return Err(HttpError::BadWebhookSecret);
    };
    match request.headers().get(WEBHOOK_SECRET_HEADER) {
        None => {
            state.failures.record(&client, Refusal::Missing, now);
            return Err(HttpError::BadWebhookSecret);
        }
        Some(sent) if !known.secret.matches(sent.as_bytes()) => {
            state.failures.record(&client, Refusal::Wrong, now);
            return Err(HttpError::BadWebhookSecret);
        }
        Some(_) => {}
    }
    if declared_length(request.headers()).is_some_and(|n| n > state.body_limit) {
        return Err(HttpError::PayloadTooLarge {
            limit: state.body_limit,
        });
    }
    Ok(next.run(request).await)
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

async fn receive(
    State(state): State<WebhookState>,
    Path(client): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Receipt>, HttpError> {
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => HttpError::PayloadTooLarge {
            limit: state.body_limit,
        },
        _ => HttpError::bad_request(e.body_text()),
    })?;
    // `require_secret` let it through, so the client exists.
    let known = state
        .clients
        .get(&client)
        .ok_or(HttpError::BadWebhookSecret)?;
    Ok(Json(accept(&known.intake, &client, &body).await?))
}

impl From<IntakeError> for HttpError {
    fn from(err: IntakeError) -> Self {
        match err {
            IntakeError::BadPayload(_) => HttpError::BadRequest(err.to_string()),
            IntakeError::Unavailable(internal) => HttpError::Unavailable {
                message: "cannot store the delivery now, retry later",
                internal,
            },
        }
    }
}
