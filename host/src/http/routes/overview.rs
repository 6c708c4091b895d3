//! `GET /api/overview`: every client in one list, in trouble first, filtered and paged on
//! the server (a few grouped store reads for all clients, whatever their number).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Extension, Query, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::tags;
use crate::http::access::Caller;
use crate::http::model::rfc3339;
use crate::http::{AdminState, HttpError};
use crate::overview::{ClientState, Facts, OverviewRow, judge, sort};

/// Rows per page by default.
const PAGE: u32 = 50;

/// Filters and page of the overview.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct OverviewQuery {
    /// `failing`, `degraded`, `paused` or `ok`.
    pub state: Option<String>,
    /// Only clients with unresolved exceptions of this owner team.
    pub team: Option<String>,
    /// Text in the client id.
    pub q: Option<String>,
    /// Rows per page (default 50, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// A page of the overview.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OverviewPage {
    /// Clients matching the filters.
    pub total: usize,
    /// Per state, over every client the token sees (before the filters).
    pub counts: std::collections::BTreeMap<String, usize>,
    pub rows: Vec<OverviewRow>,
    /// `offset` of the next page; null on the last.
    pub next_offset: Option<u32>,
}

/// Every client with its state (paused, failing, degraded, ok; see docs/operations.md),
/// last success per flow, inventory lag, order injection success over 24 h, unresolved
/// exceptions per owner team and plugin version; in trouble first.
#[utoipa::path(get, path = "/api/overview", tag = tags::CLIENTS, params(OverviewQuery),
    responses((status = 200, body = OverviewPage), (status = 400, description = "unknown state")),
    security(("bearer" = [])))]
pub async fn overview(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<OverviewQuery>,
) -> Result<Json<OverviewPage>, HttpError> {
    let wanted = match q.state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(ClientState::parse(s).ok_or_else(|| {
            HttpError::bad_request(format!(
                "unknown state `{s}`: failing, degraded, paused or ok"
            ))
        })?),
    };
    let now = OffsetDateTime::now_utc();
    let store = &state.store;
    let (latest, succeeded) = store.latest_runs_all().await?;
    let exceptions = store.unresolved_by_team().await?;
    let orders: HashMap<String, _> = store
        .order_outcomes_since(now - time::Duration::hours(24))
        .await?
        .into_iter()
        .collect();
    let pauses = store.pauses().await?;
    // Grouped by client once: the rows below take their share without scanning everything.
    fn share<'a, T>(map: &HashMap<&str, Vec<&'a T>>, id: &str) -> Vec<&'a T> {
        map.get(id).cloned().unwrap_or_default()
    }
    fn by_client<T>(items: &[T], client: impl Fn(&T) -> &str) -> HashMap<&str, Vec<&T>> {
        let mut map: HashMap<&str, Vec<&T>> = HashMap::new();
        for item in items {
            map.entry(client(item)).or_default().push(item);
        }
        map
    }
    let latest = by_client(&latest, |r| r.client.as_str());
    let succeeded = by_client(&succeeded, |r| r.client.as_str());
    let exceptions = by_client(&exceptions, |e| e.client.as_str());
    let pauses = by_client(&pauses, |p| p.client.as_str());
    let mut rows: Vec<OverviewRow> = state
        .clients
        .iter()
        .filter(|c| caller.sees_client(&c.id))
        .map(|c| {
            let mut facts = Facts {
                latest: share(&latest, &c.id),
                succeeded: share(&succeeded, &c.id),
                exceptions: share(&exceptions, &c.id),
                orders_24h: orders.get(&c.id).copied().unwrap_or_default(),
                pauses: share(&pauses, &c.id),
            };
            facts.exceptions.retain(|e| caller.sees_team(&e.owner));
            let (client_state, reasons, lag, success) = judge(&facts, &state.overview_rules, now);
            OverviewRow {
                client: c.id.clone(),
                storefront: c.storefront.to_owned(),
                state: client_state,
                reasons,
                last_success: facts
                    .succeeded
                    .iter()
                    .filter_map(|r| r.finished_at.map(|f| (r.flow.clone(), rfc3339(f))))
                    .collect(),
                inventory_lag_secs: lag,
                injection_success_24h: success,
                exceptions_by_team: facts
                    .exceptions
                    .iter()
                    .map(|e| (e.owner.clone(), e.unresolved))
                    .collect(),
                plugin_version: c.plugin.current().map(|v| v.short_version().to_owned()),
            }
        })
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    for r in &rows {
        let name = serde_json::to_value(r.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        *counts.entry(name).or_insert(0) += 1;
    }
    let text =
        q.q.as_deref()
            .map(str::to_lowercase)
            .filter(|t| !t.is_empty());
    rows.retain(|r| {
        wanted.is_none_or(|w| r.state == w)
            && q.team
                .as_deref()
                .is_none_or(|t| r.exceptions_by_team.contains_key(t))
            && text
                .as_deref()
                .is_none_or(|t| r.client.to_lowercase().contains(t))
    });
    sort(&mut rows);
    let total = rows.len();
    let limit = super::page_limit(q.limit, PAGE) as usize;
    let offset = q.offset.unwrap_or(0) as usize;
    let page: Vec<OverviewRow> = rows.into_iter().skip(offset).take(limit).collect();
    let next_offset = (offset + page.len() < total).then(|| (offset + page.len()) as u32);
    Ok(Json(OverviewPage {
        total,
        counts,
        rows: page,
        next_offset,
    }))
}
