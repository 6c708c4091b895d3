//! Who the caller is, and the audit log of writes.

use axum::Json;
use axum::extract::{Extension, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{cut_page, page_limit, tags};
use crate::http::access::Caller;
use crate::http::model::rfc3339;
use crate::http::{AdminState, HttpError};

/// Audit entries per page by default.
const AUDIT_PAGE: u32 = 100;

/// The caller's token: name, role and scope (the dashboard hides what it cannot do).
#[utoipa::path(get, path = "/api/whoami", tag = tags::ACCESS,
    responses((status = 200, body = Caller)), security(("bearer" = [])))]
pub async fn whoami(Extension(caller): Extension<Caller>) -> Json<Caller> {
    Json(caller)
}

/// A page of the audit log.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Entries per page (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Entries older than this id (`next` of the previous page).
    pub before: Option<i64>,
}

/// One write through the admin API.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    /// The token's name.
    pub actor: String,
    /// Method and route.
    pub action: String,
    pub client: Option<String>,
    /// The path as called.
    pub target: String,
    /// HTTP status answered (403: refused by role or scope).
    pub status: u16,
    pub at: String,
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditView>,
    /// `before` of the next (older) page; null on the last.
    pub next: Option<i64>,
}

/// Every write through the admin API (who, what, which client, when, result), newest first.
#[utoipa::path(get, path = "/api/audit", tag = tags::ACCESS, params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, description = "needs role admin")),
    security(("bearer" = [])))]
pub async fn audit(
    State(state): State<AdminState>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, HttpError> {
    let limit = page_limit(q.limit, AUDIT_PAGE);
    let mut rows = state.store.audit_before(q.before, limit + 1).await?;
    let next = cut_page(&mut rows, limit, |r| r.id);
    Ok(Json(AuditPage {
        entries: rows
            .into_iter()
            .map(|r| AuditView {
                id: r.id,
                actor: r.entry.actor,
                action: r.entry.action,
                client: r.entry.client,
                target: r.entry.target,
                status: r.entry.status,
                at: rfc3339(r.entry.at),
            })
            .collect(),
        next,
    }))
}
