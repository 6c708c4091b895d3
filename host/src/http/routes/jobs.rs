//! A client's jobs on the engine (orders to inject, refunds to post, re-syncs), and cancelling
//! one that is still queued: a person's decision, which no storefront event undoes.

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use selvedge_store::{Job, JobState};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{cut_page, page_limit, tags};
use crate::http::access::Caller;
use crate::http::model::rfc3339;
use crate::http::{AdminState, HttpError};

/// `GET /api/clients/{client}/jobs` parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JobsQuery {
    /// `queued`, `running`, `done`, `dead` or `cancelled`; absent: all.
    pub state: Option<String>,
    /// Jobs per page (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Jobs older than this id (`next` of the previous page).
    pub before: Option<i64>,
}

/// One job.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    pub id: i64,
    /// `order.inject/<client>`, `refund.post/<client>` or `resync/<client>`.
    pub kind: String,
    /// Its idempotency key (`bigcommerce:1042`, `sku:NW-TEE-BLK-M`, ...).
    pub key: String,
    pub state: String,
    pub attempts: u32,
    pub max_attempts: u32,
    /// Earliest next claim.
    pub run_at: String,
    /// The last failure, or who cancelled it and why.
    pub last_error: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    #[schema(value_type = Object)]
    pub result: Option<serde_json::Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Job> for JobView {
    fn from(j: Job) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            key: j.idempotency_key,
            state: j.state.as_str().to_owned(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: rfc3339(j.run_at),
            last_error: j.last_error,
            payload: j.payload,
            result: j.result,
            created_at: rfc3339(j.created_at),
            updated_at: rfc3339(j.updated_at),
        }
    }
}

/// A page of a client's jobs, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobsPage {
    pub jobs: Vec<JobView>,
    /// `before` of the next (older) page; null on the last.
    pub next: Option<i64>,
}

/// Why a job is cancelled.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// What a person reading the job later should know.
    pub note: Option<String>,
}

/// A client's jobs, newest first.
#[utoipa::path(get, path = "/api/clients/{client}/jobs", tag = tags::CLIENTS,
    params(("client" = String, Path, description = "client id"), JobsQuery),
    responses((status = 200, body = JobsPage), (status = 400), (status = 404)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AdminState>,
    Path(client): Path<String>,
    Query(q): Query<JobsQuery>,
) -> Result<Json<JobsPage>, HttpError> {
    let c = state.client(&client)?;
    let wanted = match q.state.as_deref() {
        None | Some("") | Some("all") => None,
        Some(s) => Some(JobState::parse(s).map_err(|_| {
            HttpError::bad_request(format!(
                "unknown job state `{s}`: queued, running, done, dead, cancelled or all"
            ))
        })?),
    };
    let limit = page_limit(q.limit, 100);
    let mut jobs = state
        .store
        .list_jobs(&c.id, wanted, limit.saturating_add(1), q.before)
        .await?;
    let next = cut_page(&mut jobs, limit, |j| j.id);
    Ok(Json(JobsPage {
        jobs: jobs.into_iter().map(JobView::from).collect(),
        next,
    }))
}

/// Cancels a queued job of a client: it is never claimed, and no storefront event re-arms it.
/// 409 names the state of a job that is no longer queued (a running one is its worker's).
#[utoipa::path(post, path = "/api/clients/{client}/jobs/{job}/cancel", tag = tags::CLIENTS,
    params(("client" = String, Path, description = "client id"), ("job" = i64, Path, description = "job id")),
    request_body = CancelRequest,
    responses((status = 200, body = JobView), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Path((client, job)): Path<(String, i64)>,
    body: Option<Json<CancelRequest>>,
) -> Result<Json<JobView>, HttpError> {
    let c = state.client(&client)?;
    let not_found = || HttpError::not_found(format!("client `{}` has no job {job}", c.id));
    if state.store.job(job).await?.is_none_or(|j| j.client != c.id) {
        return Err(not_found());
    }
    let note = body
        .and_then(|Json(b)| b.note)
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let note = match note {
        Some(n) => format!("cancelled by {}: {n}", caller.name),
        None => format!("cancelled by {}", caller.name),
    };
    let done = state
        .store
        .cancel_job(job, &note, OffsetDateTime::now_utc())
        .await?
        .ok_or_else(not_found)?;
    if done.state != JobState::Cancelled || done.last_error.as_deref() != Some(note.as_str()) {
        return Err(HttpError::conflict(format!(
            "job {job} is {}: only a queued job can be cancelled",
            done.state.as_str()
        )));
    }
    tracing::info!(client = %c.id, job, kind = %done.kind, by = %caller.name, "job cancelled");
    Ok(Json(JobView::from(done)))
}
