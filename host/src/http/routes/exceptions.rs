//! The exception queue: grouped counts, list, one with history, retry, resolve.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use selvedge_store::{ExceptionFilter, ExceptionState, Store};
use serde::Deserialize;
use utoipa::IntoParams;

use super::tags;
use crate::flows::exceptions::actions::{self, ActionError};
use crate::http::model::{
    ActionRequest, ExceptionDetail, ExceptionView, HistoryView, KindCount, OwnerGroup, RetryOutcome,
};
use crate::http::{AdminState, ApiError};

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound(_) => ApiError::not_found(e.to_string()),
            ActionError::AlreadyResolved(_) => ApiError::conflict(e.to_string()),
            ActionError::NoNote | ActionError::UnknownState(_) => {
                ApiError::bad_request(e.to_string())
            }
            ActionError::Store(e) => e.into(),
        }
    }
}

/// Filters of the exception list.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this client.
    pub client: Option<String>,
    /// `open`, `retrying`, `resolved`, `unresolved` (default) or `all`.
    pub state: Option<String>,
    /// Only this owner team.
    pub owner: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// At most this many (default 200).
    pub limit: Option<u32>,
}

/// Filter of the grouped counts.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SummaryQuery {
    /// Only this client.
    pub client: Option<String>,
}

/// Exceptions, most recently seen first.
#[utoipa::path(get, path = "/api/exceptions", tag = tags::EXCEPTIONS, params(ListQuery),
    responses((status = 200, body = [ExceptionView]), (status = 400, description = "bad state")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AdminState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<ExceptionView>>, ApiError> {
    let filter = ExceptionFilter {
        client: q.client,
        state: None,
        owner: q.owner,
        kind: q.kind,
    };
    let state_name = q.state.as_deref().unwrap_or("unresolved");
    let limit = q.limit.unwrap_or(200).min(5_000);
    let rows = actions::list(state.store.as_ref(), state_name, &filter, limit).await?;
    Ok(Json(rows.iter().map(ExceptionView::from).collect()))
}

/// Unresolved exceptions grouped by owner team and kind.
#[utoipa::path(get, path = "/api/exceptions/summary", tag = tags::EXCEPTIONS, params(SummaryQuery),
    responses((status = 200, body = [OwnerGroup])), security(("bearer" = [])))]
pub async fn summary(
    State(state): State<AdminState>,
    Query(q): Query<SummaryQuery>,
) -> Result<Json<Vec<OwnerGroup>>, ApiError> {
    let client = q.client.as_deref();
    let mut groups: BTreeMap<String, BTreeMap<String, (u64, u64)>> = BTreeMap::new();
    for c in state
        .store
        .exception_counts(client, ExceptionState::Open)
        .await?
    {
        groups
            .entry(c.owner)
            .or_default()
            .entry(c.kind)
            .or_default()
            .0 += c.count;
    }
    for c in state
        .store
        .exception_counts(client, ExceptionState::Retrying)
        .await?
    {
        groups
            .entry(c.owner)
            .or_default()
            .entry(c.kind)
            .or_default()
            .1 += c.count;
    }
    let out = groups
        .into_iter()
        .map(|(owner, kinds)| OwnerGroup {
            owner,
            total: kinds.values().map(|(o, r)| o + r).sum(),
            kinds: kinds
                .into_iter()
                .map(|(kind, (open, retrying))| KindCount {
                    kind,
                    open,
                    retrying,
                })
                .collect(),
        })
        .collect();
    Ok(Json(out))
}

/// One exception with its history.
#[utoipa::path(get, path = "/api/exceptions/{id}", tag = tags::EXCEPTIONS,
    params(("id" = i64, Path, description = "exception id")),
    responses((status = 200, body = ExceptionDetail), (status = 404, description = "no such exception")),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AdminState>,
    Path(id): Path<i64>,
) -> Result<Json<ExceptionDetail>, ApiError> {
    Ok(Json(detail(state.store.as_ref(), id).await?))
}

/// Ask for another try: marks it `retrying` and, when it came from a job that gave up (an
/// order or a refund), queues that job's work again.
#[utoipa::path(post, path = "/api/exceptions/{id}/retry", tag = tags::EXCEPTIONS,
    params(("id" = i64, Path, description = "exception id")), request_body = ActionRequest,
    responses((status = 200, body = RetryOutcome), (status = 404), (status = 409, description = "already resolved")),
    security(("bearer" = [])))]
pub async fn retry(
    State(state): State<AdminState>,
    Path(id): Path<i64>,
    body: Option<Json<ActionRequest>>,
) -> Result<Json<RetryOutcome>, ApiError> {
    let req = body.map(|Json(b)| b).unwrap_or_default();
    let store = state.store.as_ref();
    let who = actor(req.actor);
    let requeued = actions::retry(store, id, &who, req.note.as_deref()).await?;
    metrics::counter!("selvedge_admin_actions_total", "action" => "retry").increment(1);
    tracing::info!(exception = id, actor = %who, "exception marked for retry");
    Ok(Json(RetryOutcome {
        requeued_job: requeued,
        detail: detail(store, id).await?,
    }))
}

/// Close it with a note saying what was done.
#[utoipa::path(post, path = "/api/exceptions/{id}/resolve", tag = tags::EXCEPTIONS,
    params(("id" = i64, Path, description = "exception id")), request_body = ActionRequest,
    responses((status = 200, body = ExceptionDetail), (status = 400, description = "no note"), (status = 404)),
    security(("bearer" = [])))]
pub async fn resolve(
    State(state): State<AdminState>,
    Path(id): Path<i64>,
    body: Option<Json<ActionRequest>>,
) -> Result<Json<ExceptionDetail>, ApiError> {
    let req = body.map(|Json(b)| b).unwrap_or_default();
    let store = state.store.as_ref();
    let who = actor(req.actor);
    let note = req.note.unwrap_or_default();
    actions::resolve(store, id, &who, &note).await?;
    metrics::counter!("selvedge_admin_actions_total", "action" => "resolve").increment(1);
    tracing::info!(exception = id, actor = %who, "exception resolved");
    Ok(Json(detail(store, id).await?))
}

fn actor(given: Option<String>) -> String {
    given
        .map(|a| a.trim().chars().take(64).collect::<String>())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "dashboard".into())
}

async fn detail(store: &dyn Store, id: i64) -> Result<ExceptionDetail, ApiError> {
    let (record, history) = store
        .exception(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no exception {id}")))?;
    Ok(ExceptionDetail {
        exception: ExceptionView::from(&record),
        history: history.iter().map(HistoryView::from).collect(),
    })
}
