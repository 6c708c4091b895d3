//! Targeted re-sync of one order, SKU(-location) or style, through the job engine: the call
//! queues the job and waits a little for its answer, so a person sees what happened.

use std::time::Duration;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tags;
use crate::flows::resync::{self, Answer, Status, Target};
use crate::http::access::Caller;
use crate::http::{AdminState, HttpError};

/// How long a re-sync call waits for its answer by default, and at most (under the admin
/// listener's 120 s request timeout, so a long wait answers 202, never 408).
const WAIT_DEFAULT_SECS: u64 = 20;
const WAIT_MAX_SECS: u64 = 100;

/// One of `order`, `sku` (with an optional `location`) or `style`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResyncRequest {
    /// A storefront order id.
    pub order: Option<String>,
    /// An ERP SKU.
    pub sku: Option<String>,
    /// With `sku`: a Blue Cherry warehouse code or a storefront location.
    pub location: Option<String>,
    /// An ERP style.
    pub style: Option<String>,
    /// Seconds to wait for the answer (default 20, at most 100); 0 answers at once.
    pub wait_secs: Option<u64>,
}

impl ResyncRequest {
    fn target(&self) -> Result<Target, HttpError> {
        if self.location.is_some() && self.sku.is_none() {
            return Err(HttpError::bad_request("`location` goes with `sku`"));
        }
        match (named(&self.order), named(&self.sku), named(&self.style)) {
            (Some(o), None, None) => Ok(Target::Order {
                order_id: o.to_owned(),
            }),
            (None, Some(s), None) => Ok(Target::Sku {
                sku: s.to_owned(),
                location: named(&self.location).map(str::to_owned),
            }),
            (None, None, Some(s)) => Ok(Target::Style {
                style: s.to_owned(),
            }),
            _ => Err(HttpError::bad_request(
                "name exactly one of `order`, `sku` or `style`",
            )),
        }
    }
}

/// The value, trimmed, unless absent or blank.
fn named(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Where a re-sync stands.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResyncAnswer {
    pub client: String,
    /// The re-sync job (read it again with `GET /api/clients/{client}/resync/{job}`).
    pub job: i64,
    /// `pushed`, `synced`, `injected`, `already_injected`, `skipped`, `queued`,
    /// `exception`, `not_found` or `failed`.
    pub status: String,
    /// One sentence for a person.
    pub message: String,
    /// What was pushed or written, the ERP order number, the order's injection job.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

fn reply(client: &str, job: i64, a: Answer) -> Result<(StatusCode, Json<ResyncAnswer>), HttpError> {
    let code = match a.status {
        Status::NotFound => return Err(HttpError::not_found(a.message)),
        Status::Queued => StatusCode::ACCEPTED,
        _ => StatusCode::OK,
    };
    let status = serde_json::to_value(a.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok((
        code,
        Json(ResyncAnswer {
            client: client.to_owned(),
            job,
            status,
            message: a.message,
            details: a.details,
        }),
    ))
}

/// Re-syncs one order, SKU(-location) or style of a client now: 200 with the answer, 202
/// while it still waits (paced, or busy), 404 naming an unknown id, 409 when paused.
#[utoipa::path(post, path = "/api/clients/{client}/resync", tag = tags::CLIENTS,
    params(("client" = String, Path, description = "client id")), request_body = ResyncRequest,
    responses((status = 200, body = ResyncAnswer), (status = 202, body = ResyncAnswer),
        (status = 400), (status = 404), (status = 409, description = "paused")),
    security(("bearer" = [])))]
pub async fn resync(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Path(client): Path<String>,
    Json(req): Json<ResyncRequest>,
) -> Result<(StatusCode, Json<ResyncAnswer>), HttpError> {
    let c = state.client(&client)?;
    let target = req.target()?;
    // Not only scheduled flows: a BigCommerce client's orders arrive by webhook, and a
    // client may run its catalog by hand. A flow the client cannot do answers 404 from the job.
    super::control::refuse_if_paused(&state, &c.id, target.flow()).await?;
    let job = resync::request(state.store.as_ref(), &c.id, &target, &caller.name).await?;
    tracing::info!(client = %c.id, target = %target.describe(), by = %caller.name, job = job.id, "re-sync asked");
    let wait = Duration::from_secs(
        req.wait_secs
            .unwrap_or(WAIT_DEFAULT_SECS)
            .min(WAIT_MAX_SECS),
    );
    let answer = resync::answer(state.store.as_ref(), job.id, wait).await?;
    reply(&c.id, job.id, answer)
}

/// A re-sync's answer, read again (no waiting).
#[utoipa::path(get, path = "/api/clients/{client}/resync/{job}", tag = tags::CLIENTS,
    params(("client" = String, Path, description = "client id"), ("job" = i64, Path, description = "re-sync job")),
    responses((status = 200, body = ResyncAnswer), (status = 202, body = ResyncAnswer), (status = 404)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AdminState>,
    Path((client, job)): Path<(String, i64)>,
) -> Result<(StatusCode, Json<ResyncAnswer>), HttpError> {
    let c = state.client(&client)?;
    let found = state.store.job(job).await?;
    if !found.is_some_and(|j| j.client == c.id && j.kind == crate::jobs::kinds::resync_kind(&c.id))
    {
        return Err(HttpError::not_found(format!(
            "client `{}` has no re-sync job {job}",
            c.id
        )));
    }
    let answer = resync::answer(state.store.as_ref(), job, Duration::ZERO).await?;
    reply(&c.id, job, answer)
}
