//! The plugin lifecycle beyond swap and rollback: shadow runs of a candidate on the client's
//! recorded calls, accepting a run's differences, and replaying a stored decision.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::tags;
use crate::http::{AdminClient, AdminState, HttpError};
use crate::plugins::NewBuild;
use crate::plugins::replay::{ReplayError, ReplayReport, replay};
use crate::plugins::shadow::{ShadowError, ShadowReport, shadow_run};

/// Recorded calls per rule a shadow run takes by default.
const SHADOW_CALLS: u32 = 5;

/// Query of a shadow run.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ShadowQuery {
    /// Recent recorded calls per rule to run (default 5, at most 100).
    pub calls: Option<u32>,
    /// Plugin id of the candidate (default: the live plugin's).
    pub name: Option<String>,
}

/// Who accepts a shadow run's differences.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// The person accepting (kept with the run).
    pub by: String,
}

/// A shadow run accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub run_id: i64,
    pub accepted_by: String,
}

fn candidate(c: &AdminClient, name: Option<String>, body: Bytes) -> Result<NewBuild, HttpError> {
    if body.is_empty() {
        return Err(HttpError::bad_request(
            "empty upload: send the candidate .wasm bytes as application/wasm",
        ));
    }
    Ok(NewBuild {
        name: name
            .or_else(|| c.plugin.current().map(|v| v.name.clone()))
            .unwrap_or_else(|| "plugin".into()),
        bytes: body.to_vec(),
        label: Some("shadow candidate".into()),
        source: "admin upload (shadow)".into(),
    })
}

/// Runs the uploaded candidate beside the live version on the client's recent recorded
/// calls and reports, per rule, the decisions it would change. Nothing is written but the
/// run's report.
#[utoipa::path(post, path = "/api/clients/{client}/plugin/shadow", tag = tags::PLUGINS,
    params(("client" = String, Path, description = "client id"), ShadowQuery),
    request_body(content_type = "application/wasm", description = "the candidate component"),
    responses((status = 200, description = "the shadow report: per rule, calls run, subjects compared and changed, ATS deltas, the first examples"),
        (status = 409, description = "nothing recorded yet, or no live plugin"), (status = 422, description = "the candidate does not load")),
    security(("bearer" = [])))]
pub async fn shadow(
    State(state): State<AdminState>,
    Path(client): Path<String>,
    Query(q): Query<ShadowQuery>,
    body: Bytes,
) -> Result<Json<ShadowReport>, HttpError> {
    let c = state.client(&client)?;
    let build = candidate(c, q.name, body)?;
    let calls = q.calls.unwrap_or(SHADOW_CALLS).clamp(1, 100);
    let report = shadow_run(&state.store, &c.plugin, build, calls)
        .await
        .map_err(|e| match e {
            ShadowError::Store(e) => e.into(),
            e @ (ShadowError::NoLivePlugin(_) | ShadowError::NothingRecorded(_)) => {
                HttpError::conflict(e.to_string())
            }
            e @ ShadowError::Load(_) => HttpError::unprocessable(e.to_string()),
        })?;
    metrics::counter!("selvedge_admin_actions_total", "action" => "plugin_shadow").increment(1);
    Ok(Json(report))
}

/// Records that a person reviewed a shadow run's differences and accepts them: under
/// `require_shadow` its candidate may then go live.
#[utoipa::path(post, path = "/api/clients/{client}/plugin/shadow/{run}/accept", tag = tags::PLUGINS,
    params(("client" = String, Path, description = "client id"), ("run" = i64, Path, description = "shadow run id")),
    request_body = AcceptRequest,
    responses((status = 200, body = Accepted), (status = 404, description = "no such run for this client")),
    security(("bearer" = [])))]
pub async fn accept(
    State(state): State<AdminState>,
    Path((client, run)): Path<(String, i64)>,
    Json(req): Json<AcceptRequest>,
) -> Result<Json<Accepted>, HttpError> {
    let c = state.client(&client)?;
    let by = req.by.trim();
    if by.is_empty() {
        return Err(HttpError::bad_request("`by` names who reviewed the run"));
    }
    let found = state
        .store
        .accept_shadow_run(&c.id, run, by, time::OffsetDateTime::now_utc())
        .await?;
    if !found {
        return Err(HttpError::not_found(format!(
            "client `{}` has no shadow run {run}",
            c.id
        )));
    }
    metrics::counter!("selvedge_admin_actions_total", "action" => "plugin_shadow_accept")
        .increment(1);
    Ok(Json(Accepted {
        run_id: run,
        accepted_by: by.to_owned(),
    }))
}

fn flow_of(kind: &str) -> Result<&'static str, HttpError> {
    match kind {
        "sku" => Ok("inventory"),
        "order" => Ok("orders"),
        other => Err(HttpError::not_found(format!(
            "nothing to replay for `{other}`: use sku or order"
        ))),
    }
}

fn replay_error(e: ReplayError) -> HttpError {
    match e {
        ReplayError::Store(e) => e.into(),
        e @ ReplayError::NoDecision { .. } => HttpError::not_found(e.to_string()),
        e @ (ReplayError::NotRecorded(_)
        | ReplayError::InputPurged { .. }
        | ReplayError::MissingBuild(_)) => HttpError::conflict(e.to_string()),
        e => HttpError::unprocessable(e.to_string()),
    }
}

/// Makes the newest decision about a SKU (`sku`) or an order (`order`) again from its
/// recorded call, with the build that made it, and shows both side by side.
#[utoipa::path(get, path = "/api/clients/{client}/why/{kind}/{subject}/replay", tag = tags::WHY,
    params(("client" = String, Path, description = "client id"), ("kind" = String, Path, description = "`sku` or `order`"), ("subject" = String, Path, description = "ERP SKU or storefront order id")),
    responses((status = 200, description = "the original and the replayed decision, and whether they are identical"),
        (status = 404), (status = 409, description = "the decision's input was not recorded or is purged")),
    security(("bearer" = [])))]
pub async fn replay_recorded(
    State(state): State<AdminState>,
    Path((client, kind, subject)): Path<(String, String, String)>,
) -> Result<Json<ReplayReport>, HttpError> {
    let c = state.client(&client)?;
    let flow = flow_of(&kind)?;
    let report = replay(&state.store, &c.plugin, flow, &subject, None)
        .await
        .map_err(replay_error)?;
    Ok(Json(report))
}

/// The same replay with the uploaded build instead of the one that decided.
#[utoipa::path(post, path = "/api/clients/{client}/why/{kind}/{subject}/replay", tag = tags::WHY,
    params(("client" = String, Path, description = "client id"), ("kind" = String, Path, description = "`sku` or `order`"), ("subject" = String, Path, description = "ERP SKU or storefront order id")),
    request_body(content_type = "application/wasm", description = "the build to replay with"),
    responses((status = 200, description = "the original and the replayed decision"), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn replay_with(
    State(state): State<AdminState>,
    Path((client, kind, subject)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<ReplayReport>, HttpError> {
    let c = state.client(&client)?;
    let flow = flow_of(&kind)?;
    let build = candidate(c, None, body)?;
    let report = replay(&state.store, &c.plugin, flow, &subject, Some(build))
        .await
        .map_err(replay_error)?;
    Ok(Json(report))
}
