//! Run control: run a client's flow now, pause and resume a client or one of its flows.
//! Pauses and run requests are stored, so they hold on every host and across restarts.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use selvedge_store::{ALL_FLOWS, Pause, RunRequest};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::tags;
use crate::flows::FlowKind;
use crate::http::access::Caller;
use crate::http::{AdminClient, AdminState, HttpError};

/// Which flow to pause or resume.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowRequest {
    /// A flow of the client (`inventory`, `orders`, ...); absent: the whole client.
    pub flow: Option<String>,
}

/// What run control did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ControlOutcome {
    pub client: String,
    /// The flow, or `*` for the whole client.
    pub flow: String,
    /// `paused`, `resumed`, `not-paused` or `run-requested`.
    pub outcome: String,
}

/// The flow `name` of client `c`, 404 naming it when the client has no such flow.
fn flow_of(c: &AdminClient, name: &str) -> Result<FlowKind, HttpError> {
    FlowKind::parse(name)
        .filter(|f| c.flows.contains(f))
        .ok_or_else(|| {
            let flows: Vec<&str> = c.flows.iter().map(|f| f.as_str()).collect();
            HttpError::not_found(format!(
                "client `{}` has no flow `{name}` (its flows: {})",
                c.id,
                flows.join(", ")
            ))
        })
}

fn flow_name(c: &AdminClient, req: Option<Json<FlowRequest>>) -> Result<String, HttpError> {
    match req.and_then(|Json(r)| r.flow) {
        // Order and refund jobs run on the engine whether or not a sweep is scheduled (a
        // BigCommerce client's orders come by webhook): those flows can always be paused.
        Some(name)
            if matches!(
                FlowKind::parse(&name),
                Some(FlowKind::Orders | FlowKind::Refunds)
            ) =>
        {
            Ok(name)
        }
        Some(name) => Ok(flow_of(c, &name)?.as_str().to_owned()),
        None => Ok(ALL_FLOWS.to_owned()),
    }
}

/// Pauses a client (or one of its flows): its scheduled runs are skipped and its order and
/// refund jobs wait queued (webhooks are still taken and stored) until it is resumed.
#[utoipa::path(post, path = "/api/clients/{client}/pause", tag = tags::CLIENTS,
    params(("client" = String, Path, description = "client id")), request_body = FlowRequest,
    responses((status = 200, body = ControlOutcome), (status = 404)), security(("bearer" = [])))]
pub async fn pause(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Path(client): Path<String>,
    body: Option<Json<FlowRequest>>,
) -> Result<Json<ControlOutcome>, HttpError> {
    let c = state.client(&client)?;
    let flow = flow_name(c, body)?;
    state
        .store
        .pause(&Pause {
            client: c.id.clone(),
            flow: flow.clone(),
            by: caller.name.clone(),
            at: OffsetDateTime::now_utc(),
        })
        .await?;
    state.pauses_changed().await;
    tracing::info!(client = %c.id, %flow, by = %caller.name, "paused");
    Ok(Json(ControlOutcome {
        client: c.id.clone(),
        flow,
        outcome: "paused".into(),
    }))
}

/// Lifts a pause: queued jobs are claimed again and the schedules run.
#[utoipa::path(post, path = "/api/clients/{client}/resume", tag = tags::CLIENTS,
    params(("client" = String, Path, description = "client id")), request_body = FlowRequest,
    responses((status = 200, body = ControlOutcome), (status = 404)), security(("bearer" = [])))]
pub async fn resume(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Path(client): Path<String>,
    body: Option<Json<FlowRequest>>,
) -> Result<Json<ControlOutcome>, HttpError> {
    let c = state.client(&client)?;
    let flow = flow_name(c, body)?;
    let was = state.store.resume(&c.id, &flow).await?;
    state.pauses_changed().await;
    tracing::info!(client = %c.id, %flow, by = %caller.name, was_paused = was, "resumed");
    Ok(Json(ControlOutcome {
        client: c.id.clone(),
        flow,
        outcome: if was { "resumed" } else { "not-paused" }.into(),
    }))
}

/// 409 naming the pause when `client`'s `flow` (or the whole client) is paused.
pub(super) async fn refuse_if_paused(
    state: &AdminState,
    client: &str,
    flow: FlowKind,
) -> Result<(), HttpError> {
    let pauses = state.store.pauses().await?;
    match pauses.iter().find(|p| p.stops(client, flow.as_str())) {
        Some(p) => Err(HttpError::conflict(format!(
            "client `{client}` is paused ({} by {}): resume it first",
            p.what(),
            p.by
        ))),
        None => Ok(()),
    }
}

/// Runs a flow of a client now, on the host that runs the client (within a second).
#[utoipa::path(post, path = "/api/clients/{client}/run/{flow}", tag = tags::CLIENTS,
    params(("client" = String, Path, description = "client id"), ("flow" = String, Path, description = "flow")),
    responses((status = 202, body = ControlOutcome), (status = 404), (status = 409, description = "paused")),
    security(("bearer" = [])))]
pub async fn run_now(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Path((client, flow)): Path<(String, String)>,
) -> Result<(StatusCode, Json<ControlOutcome>), HttpError> {
    let c = state.client(&client)?;
    let flow = flow_of(c, &flow)?;
    refuse_if_paused(&state, &c.id, flow).await?;
    state
        .store
        .request_run(&RunRequest {
            client: c.id.clone(),
            flow: flow.as_str().into(),
            by: caller.name.clone(),
            at: OffsetDateTime::now_utc(),
        })
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ControlOutcome {
            client: c.id.clone(),
            flow: flow.as_str().into(),
            outcome: "run-requested".into(),
        }),
    ))
}
