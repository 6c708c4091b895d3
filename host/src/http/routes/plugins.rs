//! A client's plugin: versions with history, swap (upload or path on the host), rollback.
//! Every change is also written to the durable version history in the store.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use selvedge_runtime::registry::{SwapError, SwapReport};

use crate::plugins::{ChangeError, NewBuild};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{cut_page, page_limit, tags};
use crate::http::model::{PluginEvent, PluginPeriod, PluginView, SwapRequest, SwapResult, rfc3339};
use crate::http::{AdminState, HttpError};

/// Query of an upload swap.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// Plugin id for an uploaded file (default: the active plugin's).
    pub name: Option<String>,
    /// Label kept in the history.
    pub label: Option<String>,
}

/// A page of the durable version history.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Periods per page (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Periods older than this one (`history_next` of the previous page).
    pub before: Option<i64>,
}

/// Active version, rollback candidates and a page of the history (newest first).
#[utoipa::path(get, path = "/api/clients/{client}/plugin", tag = tags::PLUGINS,
    params(("client" = String, Path, description = "client id"), HistoryQuery),
    responses((status = 200, body = PluginView), (status = 404)), security(("bearer" = [])))]
pub async fn show(
    State(state): State<AdminState>,
    Path(client): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<PluginView>, HttpError> {
    let c = state.client(&client)?;
    let current = c.plugin.current();
    let limit = page_limit(q.limit, 100);
    let mut history = state
        .store
        .plugin_history_before(&c.id, None, q.before, limit + 1)
        .await?;
    let history_next = cut_page(&mut history, limit, |h| h.id);
    Ok(Json(PluginView {
        client: c.id.clone(),
        plugin: current.as_ref().map(|v| v.name.clone()),
        version: current.as_ref().map(|v| v.version.clone()),
        label: current.as_ref().and_then(|v| v.label.clone()),
        previous: c.plugin.previous_versions(),
        history: history
            .into_iter()
            .map(|h| PluginPeriod {
                id: h.id,
                plugin: h.plugin,
                version: h.version_hash,
                label: h.label,
                activated_at: rfc3339(h.activated_at),
                reason: h.reason,
                deactivated_at: h.deactivated_at.map(rfc3339),
                deactivation_reason: h.deactivation_reason,
            })
            .collect(),
        history_next,
        events: c
            .plugin
            .history()
            .into_iter()
            .map(|e| PluginEvent {
                plugin: e.plugin,
                version: e.version,
                event: e.event,
                at_unix_ms: e.at_unix_ms,
                detail: e.detail,
            })
            .collect(),
    }))
}

/// Swaps in a new plugin version after it compiles and passes the client's fixtures; the
/// current version keeps serving if it does not (422).
#[utoipa::path(post, path = "/api/clients/{client}/plugin/swap", tag = tags::PLUGINS,
    params(("client" = String, Path, description = "client id"), UploadQuery),
    request_body(content = SwapRequest, description = "JSON `{path}`, or the `.wasm` bytes as application/wasm"),
    responses((status = 200, body = SwapResult), (status = 400), (status = 422, description = "candidate refused")),
    security(("bearer" = [])))]
pub async fn swap(
    State(state): State<AdminState>,
    Path(client): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<SwapResult>, HttpError> {
    let c = state.client(&client)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let build = if is_json {
        let req: SwapRequest = serde_json::from_slice(&body)
            .map_err(|e| HttpError::bad_request(format!("body is not a swap request: {e}")))?;
        let path = req.path.filter(|p| !p.trim().is_empty()).ok_or_else(|| {
            HttpError::bad_request("`path` is required (or upload the .wasm as application/wasm)")
        })?;
        let file = std::path::Path::new(&path);
        let bytes = tokio::fs::read(file)
            .await
            .map_err(|e| HttpError::unprocessable(format!("cannot read {path}: {e}")))?;
        let label = req.label.unwrap_or_else(|| format!("api: {path}"));
        NewBuild::from_file(file, bytes, label, format!("admin path {path}"))
    } else {
        if body.is_empty() {
            return Err(HttpError::bad_request(
                "empty upload: send the .wasm bytes, or JSON {\"path\": ...}",
            ));
        }
        NewBuild {
            name: q
                .name
                .or_else(|| c.plugin.current().map(|v| v.name.clone()))
                .unwrap_or_else(|| "plugin".into()),
            bytes: body.to_vec(),
            label: Some(q.label.unwrap_or_else(|| "api: upload".into())),
            source: "admin upload".into(),
        }
    };
    let report = state
        .plugins
        .install(&c.id, build, "swap (admin API)")
        .await
        .map_err(change_error)?;
    metrics::counter!("selvedge_admin_actions_total", "action" => "plugin_swap").increment(1);
    Ok(Json(result(report)))
}

/// Switches back to the previous version: instant while this host still has it compiled,
/// otherwise loaded from the build the store keeps. Every host follows.
#[utoipa::path(post, path = "/api/clients/{client}/plugin/rollback", tag = tags::PLUGINS,
    params(("client" = String, Path, description = "client id")),
    responses((status = 200, body = SwapResult), (status = 409, description = "nothing to roll back to")),
    security(("bearer" = [])))]
pub async fn rollback(
    State(state): State<AdminState>,
    Path(client): Path<String>,
) -> Result<Json<SwapResult>, HttpError> {
    let c = state.client(&client)?;
    let report = state
        .plugins
        .rollback(&c.id, "rollback (admin API)")
        .await
        .map_err(change_error)?;
    metrics::counter!("selvedge_admin_actions_total", "action" => "plugin_rollback").increment(1);
    Ok(Json(result(report)))
}

fn change_error(err: ChangeError) -> HttpError {
    match err {
        ChangeError::Swap(err) => swap_error(err),
        ChangeError::Store(err) => err.into(),
        err @ ChangeError::ShadowRequired { .. } => HttpError::conflict(err.to_string()),
        other => HttpError::unprocessable(other.to_string()),
    }
}

fn swap_error(err: SwapError) -> HttpError {
    match err {
        SwapError::UnknownClient(c) => HttpError::not_found(format!("no client `{c}`")),
        SwapError::NoPrevious(_) | SwapError::NoPlugin(_) => HttpError::conflict(err.to_string()),
        other => HttpError::unprocessable(other.to_string()),
    }
}

fn result(r: SwapReport) -> SwapResult {
    SwapResult {
        client: r.client,
        plugin: r.plugin,
        from: r.from,
        to: r.to,
        fixtures_passed: r.fixtures_passed,
        duration_ms: r.duration_ms,
    }
}
