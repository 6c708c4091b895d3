//! The exception queue: grouped counts, list, one with history, retry, resolve.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use selvedge_store::{ExceptionFilter, ExceptionState, Store};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{cut_page, page_limit, tags};
use crate::exceptions::actions::{self, ActionError};
use crate::http::access::Caller;
use crate::http::model::{
    ActionRequest, ExceptionDetail, ExceptionView, HistoryView, KindCount, OwnerGroup, RetryOutcome,
};
use crate::http::{AdminState, HttpError};

impl From<ActionError> for HttpError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound(_) => HttpError::not_found(e.to_string()),
            ActionError::AlreadyResolved(_) => HttpError::conflict(e.to_string()),
            ActionError::NoNote | ActionError::UnknownState(_) => {
                HttpError::bad_request(e.to_string())
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
    /// At most this many (default 200, at most 1000).
    pub limit: Option<u32>,
    /// Skip this many first (the `x-next-offset` header of the previous page); at most
    /// 100000.
    pub offset: Option<u32>,
}

/// A page of an exception's history.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// History entries per page (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Entries after this one (`history_next` of the previous page).
    pub after: Option<i64>,
}

/// Response header holding the offset of the next page of the exception list.
pub const NEXT_OFFSET: &str = "x-next-offset";
/// Exceptions one list request may skip: deeper pages cost a scan; narrow the filter.
const MAX_OFFSET: u32 = 100_000;
/// Default page of the exception list (the dashboard reads one page).
const LIST_DEFAULT: u32 = 200;
/// Default page of an exception's history.
const HISTORY_DEFAULT: u32 = 100;

/// Filter of the grouped counts.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SummaryQuery {
    /// Only this client.
    pub client: Option<String>,
}

/// Exceptions, most recently seen first, a page at a time: when more follow, the
/// `x-next-offset` header gives the `offset` of the next page.
#[utoipa::path(get, path = "/api/exceptions", tag = tags::EXCEPTIONS, params(ListQuery),
    responses((status = 200, body = [ExceptionView],
        headers(("x-next-offset" = u32, description = "`offset` of the next page; absent on the last page"))),
        (status = 400, description = "bad state or offset")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Result<Response, HttpError> {
    if let Some(c) = &q.client {
        caller.check_client(c)?;
    }
    if let Some(t) = &q.owner {
        caller.check_team(t)?;
    }
    let filter = ExceptionFilter {
        client: q.client,
        state: None,
        owner: q.owner,
        kind: q.kind,
    };
    let state_name = q.state.as_deref().unwrap_or("unresolved");
    let limit = page_limit(q.limit, LIST_DEFAULT);
    let offset = q.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(HttpError::bad_request(format!(
            "offset {offset} is past {MAX_OFFSET}: narrow the list with client, owner, kind or state"
        )));
    }
    // `unresolved` merges two states by last seen, so the page is cut here rather than in
    // the store; one row more tells whether another page follows.
    let fetched = actions::list(
        state.store.as_ref(),
        state_name,
        &filter,
        offset + limit + 1,
    )
    .await?;
    // A token limited to some clients or teams sees only theirs.
    let mut rows: Vec<_> = fetched
        .into_iter()
        .filter(|e| caller.sees_client(&e.client) && caller.sees_team(&e.owner))
        .skip(offset as usize)
        .collect();
    let next = (rows.len() > limit as usize).then_some(offset + limit);
    rows.truncate(limit as usize);
    let views: Vec<ExceptionView> = rows.iter().map(ExceptionView::from).collect();
    let mut response = Json(views).into_response();
    if let Some(next) = next {
        response.headers_mut().insert(
            HeaderName::from_static(NEXT_OFFSET),
            HeaderValue::from(next),
        );
    }
    Ok(response)
}

/// Unresolved exceptions grouped by owner team and kind.
#[utoipa::path(get, path = "/api/exceptions/summary", tag = tags::EXCEPTIONS, params(SummaryQuery),
    responses((status = 200, body = [OwnerGroup])), security(("bearer" = [])))]
pub async fn summary(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<SummaryQuery>,
) -> Result<Json<Vec<OwnerGroup>>, HttpError> {
    if let Some(c) = &q.client {
        caller.check_client(c)?;
    }
    // A token limited to some clients counts theirs, one client at a time.
    let clients: Vec<Option<&str>> = match (&q.client, caller.clients.is_empty()) {
        (Some(c), _) => vec![Some(c.as_str())],
        (None, true) => vec![None],
        (None, false) => caller.clients.iter().map(|c| Some(c.as_str())).collect(),
    };
    let mut open = Vec::new();
    let mut retrying = Vec::new();
    for client in clients {
        open.extend(
            state
                .store
                .exception_counts(client, ExceptionState::Open)
                .await?,
        );
        retrying.extend(
            state
                .store
                .exception_counts(client, ExceptionState::Retrying)
                .await?,
        );
    }
    open.retain(|c| caller.sees_team(&c.owner));
    retrying.retain(|c| caller.sees_team(&c.owner));
    let mut groups: BTreeMap<String, BTreeMap<String, (u64, u64)>> = BTreeMap::new();
    for c in open {
        groups
            .entry(c.owner)
            .or_default()
            .entry(c.kind)
            .or_default()
            .0 += c.count;
    }
    for c in retrying {
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

/// One exception with a page of its history (oldest first; `history_next` is the `after`
/// of the next page).
#[utoipa::path(get, path = "/api/exceptions/{id}", tag = tags::EXCEPTIONS,
    params(("id" = i64, Path, description = "exception id"), HistoryQuery),
    responses((status = 200, body = ExceptionDetail), (status = 404, description = "no such exception")),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<ExceptionDetail>, HttpError> {
    in_scope(state.store.as_ref(), &caller, id).await?;
    Ok(Json(detail(state.store.as_ref(), id, &q).await?))
}

/// Ask for another try: marks it `retrying` and, when it came from a job that gave up (an
/// order or a refund), queues that job's work again.
#[utoipa::path(post, path = "/api/exceptions/{id}/retry", tag = tags::EXCEPTIONS,
    params(("id" = i64, Path, description = "exception id")), request_body = ActionRequest,
    responses((status = 200, body = RetryOutcome), (status = 404), (status = 409, description = "already resolved")),
    security(("bearer" = [])))]
pub async fn retry(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    body: Option<Json<ActionRequest>>,
) -> Result<Json<RetryOutcome>, HttpError> {
    let req = body.map(|Json(b)| b).unwrap_or_default();
    let store = state.store.as_ref();
    in_scope(store, &caller, id).await?;
    let who = actor(req.actor, &caller);
    let requeued = actions::retry(store, id, &who, req.note.as_deref()).await?;
    metrics::counter!("selvedge_admin_actions_total", "action" => "retry").increment(1);
    tracing::info!(exception = id, actor = %who, "exception marked for retry");
    Ok(Json(RetryOutcome {
        requeued_job: requeued,
        detail: detail(store, id, &HistoryQuery::default()).await?,
    }))
}

/// Close it with a note saying what was done.
#[utoipa::path(post, path = "/api/exceptions/{id}/resolve", tag = tags::EXCEPTIONS,
    params(("id" = i64, Path, description = "exception id")), request_body = ActionRequest,
    responses((status = 200, body = ExceptionDetail), (status = 400, description = "no note"), (status = 404)),
    security(("bearer" = [])))]
pub async fn resolve(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    body: Option<Json<ActionRequest>>,
) -> Result<Json<ExceptionDetail>, HttpError> {
    let req = body.map(|Json(b)| b).unwrap_or_default();
    let store = state.store.as_ref();
    in_scope(store, &caller, id).await?;
    let who = actor(req.actor, &caller);
    let note = req.note.unwrap_or_default();
    actions::resolve(store, id, &who, &note).await?;
    metrics::counter!("selvedge_admin_actions_total", "action" => "resolve").increment(1);
    tracing::info!(exception = id, actor = %who, "exception resolved");
    Ok(Json(detail(store, id, &HistoryQuery::default()).await?))
}

/// Who the history names: the name given, else the token's.
fn actor(given: Option<String>, caller: &Caller) -> String {
    given
        .map(|a| a.trim().chars().take(64).collect::<String>())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| caller.name.clone())
}

/// 403 when the token is limited to other clients or owner teams than the exception's (404
/// when there is no such exception).
async fn in_scope(store: &dyn Store, caller: &Caller, id: i64) -> Result<(), HttpError> {
    let Some((e, _)) = store.exception_page(id, None, 1).await? else {
        return Err(HttpError::not_found(format!("no exception {id}")));
    };
    caller.check_client(&e.client)?;
    caller.check_team(&e.owner)
}

async fn detail(
    store: &dyn Store,
    id: i64,
    page: &HistoryQuery,
) -> Result<ExceptionDetail, HttpError> {
    let limit = page_limit(page.limit, HISTORY_DEFAULT);
    let (record, mut history) = store
        .exception_page(id, page.after, limit + 1)
        .await?
        .ok_or_else(|| HttpError::not_found(format!("no exception {id}")))?;
    let next = cut_page(&mut history, limit, |h| h.id);
    Ok(ExceptionDetail {
        exception: ExceptionView::from(&record),
        history: history.iter().map(HistoryView::from).collect(),
        history_next: next,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Arc;

    use selvedge_runtime::{PluginRegistry, Runtime, RuntimeOptions};
    use selvedge_store::NewException;
    use selvedge_store_sqlite::SqliteStore;
    use serde_json::{Value, json};
    use time::OffsetDateTime;

    use super::*;
    use crate::http::AdminToken;

    async fn admin() -> (tempfile::TempDir, AdminState) {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(dir.path().join("s.db"))
            .await
            .expect("open");
        let runtime = Runtime::new(RuntimeOptions::default()).expect("runtime");
        let state = AdminState::for_clients(
            Arc::new(store),
            PluginRegistry::new(runtime),
            Vec::new(),
            AdminToken::new(Some("t".into())),
        );
        (dir, state)
    }

    async fn raise(state: &AdminState, subject: &str, t: i64) -> i64 {
        let at = OffsetDateTime::from_unix_timestamp(1_780_000_000 + t).expect("time");
        state
            .store
            .raise_exception(
                NewException {
                    client: "acme".into(),
                    kind: "order_invalid".into(),
                    owner: "operations".into(),
                    subject: subject.into(),
                    summary: format!("order {subject}"),
                    details: json!({}),
                },
                at,
            )
            .await
            .expect("raise")
            .exception
            .id
    }

    /// One page of the list: its subjects and the next offset, if any.
    async fn page(state: &AdminState, query: ListQuery) -> (Vec<String>, Option<String>) {
        let response = list(
            State(state.clone()),
            Extension(Caller::bootstrap()),
            Query(query),
        )
        .await
        .expect("listed");
        let next = response
            .headers()
            .get(NEXT_OFFSET)
            .map(|v| v.to_str().expect("ascii").to_string());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let rows: Vec<Value> = serde_json::from_slice(&body).expect("json");
        let subjects = rows
            .iter()
            .map(|r| r["subject"].as_str().expect("subject").to_string())
            .collect();
        (subjects, next)
    }

    fn query(limit: u32, offset: Option<u32>) -> ListQuery {
        ListQuery {
            limit: Some(limit),
            offset,
            ..ListQuery::default()
        }
    }

    #[tokio::test]
    async fn the_exception_list_pages_by_offset_and_says_where_the_next_page_starts() {
        let (_dir, state) = admin().await;
        for i in 0..5 {
            raise(&state, &format!("10{i}"), i).await;
        }
        // A retried one is still unresolved: the merged list pages across both states.
        let retried = raise(&state, "200", 10).await;
        state
            .store
            .mark_exception_retrying(retried, "ana", None, OffsetDateTime::now_utc())
            .await
            .expect("retry");

        let (first, next) = page(&state, query(4, None)).await;
        assert_eq!(first, ["200", "104", "103", "102"]);
        assert_eq!(next.as_deref(), Some("4"));
        let (second, next) = page(&state, query(4, Some(4))).await;
        assert_eq!(second, ["101", "100"]);
        assert_eq!(next, None, "last page");
        let (past, next) = page(&state, query(4, Some(40))).await;
        assert!(past.is_empty() && next.is_none());

        let too_deep = list(
            State(state.clone()),
            Extension(Caller::bootstrap()),
            Query(query(4, Some(MAX_OFFSET + 1))),
        )
        .await;
        assert!(too_deep.is_err());
    }

    #[tokio::test]
    async fn an_exception_history_pages_with_after() {
        let (_dir, state) = admin().await;
        let id = raise(&state, "100", 0).await;
        for note in ["a", "b", "c"] {
            state
                .store
                .mark_exception_retrying(id, "ana", Some(note), OffsetDateTime::now_utc())
                .await
                .expect("retry");
        }
        let ask = |limit, after| HistoryQuery {
            limit: Some(limit),
            after,
        };
        let Json(first) = show(
            State(state.clone()),
            Extension(Caller::bootstrap()),
            Path(id),
            Query(ask(3, None)),
        )
        .await
        .expect("shown");
        assert_eq!(first.history.len(), 3);
        let after = first.history_next.expect("a next page");
        let Json(rest) = show(
            State(state.clone()),
            Extension(Caller::bootstrap()),
            Path(id),
            Query(ask(3, Some(after))),
        )
        .await
        .expect("shown");
        let notes: Vec<_> = rest.history.iter().map(|h| h.note.clone()).collect();
        assert_eq!(notes, [Some("c".to_string())]);
        assert_eq!(rest.history_next, None);
    }
}
