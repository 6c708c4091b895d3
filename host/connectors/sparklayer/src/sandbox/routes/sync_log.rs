//! The sync log: errors an integration wants shown in the Sparklayer dashboard.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::model::{SYNC_LOG_MAX_ERRORS, SyncLogStatus, SyncLogUpdate};
use crate::sandbox::problem::{SandboxError, parse_body};
use crate::sandbox::state::SandboxState;

pub(super) async fn put_log(
    State(state): State<SandboxState>,
    Path((integration, data_type)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, SandboxError> {
    let update: SyncLogUpdate = parse_body(&body)?;
    if update.errors.len() > SYNC_LOG_MAX_ERRORS {
        return Err(SandboxError::validation(
            "errors",
            format!("at most {SYNC_LOG_MAX_ERRORS} errors per log"),
        ));
    }
    if let Some(i) = update
        .errors
        .iter()
        .position(|e| e.message.trim().is_empty())
    {
        return Err(SandboxError::validation(
            format!("errors[{i}].message"),
            "must not be empty",
        ));
    }
    state
        .lock()
        .sync_logs
        .insert((integration, data_type), update);
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn get_log(
    State(state): State<SandboxState>,
    Path((integration, data_type)): Path<(String, String)>,
) -> Result<Json<SyncLogStatus>, SandboxError> {
    let log = state.sync_log(&integration, &data_type).ok_or_else(|| {
        SandboxError::not_found(format!("no sync log for {integration}/{data_type}"))
    })?;
    Ok(Json(SyncLogStatus {
        started_full_sync: log.started_full_sync,
        last_full_sync: log.last_full_sync,
        last_full_sync_succeeded: log.last_full_sync_succeeded,
        error_count: log.errors.len() as u64,
    }))
}

pub(super) async fn clear_logs(State(state): State<SandboxState>) -> StatusCode {
    state.lock().sync_logs.clear();
    StatusCode::NO_CONTENT
}
