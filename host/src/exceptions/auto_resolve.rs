//! How a flow clears the exceptions it raised once their condition is gone: only `open` ones
//! (a person handling one marks it `retrying`, and it stays theirs), only those whose details
//! have the shape that flow writes, re-checked just before resolving.

use selvedge_store::{ExceptionFilter, ExceptionRecord, ExceptionState, Page};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::ExceptionKind;
use crate::flows::{ClientServices, FlowError};

/// Actor written in the exception history.
pub const ACTOR: &str = "selvedge";

/// Exceptions read per page.
const PAGE: u32 = 500;

/// The exception's details, when they are of the shape a flow writes (`T`) and about its
/// subject: what tells a flow's own exception from another flow's of the same kind.
pub fn raised_here<T: DeserializeOwned>(
    e: &ExceptionRecord,
    about_subject: impl Fn(&T) -> bool,
) -> Option<T> {
    serde_json::from_value::<T>(e.details.clone())
        .ok()
        .filter(|d| about_subject(d))
}

/// Every open exception of this kind for the client, read before any is resolved (resolving
/// while paging would shift the pages).
pub async fn open(
    ctx: &ClientServices,
    kind: ExceptionKind,
) -> Result<Vec<ExceptionRecord>, FlowError> {
    let filter = ExceptionFilter {
        client: Some(ctx.client.clone()),
        state: Some(ExceptionState::Open),
        owner: None,
        kind: Some(kind.as_str().to_string()),
    };
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = ctx
            .store
            .list_exceptions(
                &filter,
                Page {
                    limit: PAGE,
                    offset,
                },
            )
            .await?;
        let n = page.len() as u32;
        all.extend(page);
        if n < PAGE {
            return Ok(all);
        }
        offset += n;
    }
}

/// Resolves `e` with `note` unless a person took it up since it was listed; whether it did.
pub async fn resolve_if_open(
    ctx: &ClientServices,
    e: &ExceptionRecord,
    note: &str,
) -> Result<bool, FlowError> {
    let still_open = ctx
        .store
        .exception(e.id)
        .await?
        .is_some_and(|(now, _)| now.state == ExceptionState::Open);
    if !still_open {
        return Ok(false);
    }
    ctx.store
        .resolve_exception(e.id, ACTOR, note, OffsetDateTime::now_utc())
        .await?;
    tracing::info!(client = %ctx.client, kind = %e.kind, subject = %e.subject, "exception auto-resolved");
    Ok(true)
}
