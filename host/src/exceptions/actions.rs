//! What a person can do to the exception queue, from the CLI or the admin API alike: list it,
//! retry one (re-queueing the job it came from when that job gave up) or resolve one with a
//! note.

use selvedge_store::{
    ExceptionFilter, ExceptionRecord, ExceptionState, JobState, Page, Store, StoreError,
};
use serde_json::Value;
use time::OffsetDateTime;

/// Why an action on an exception was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// There is no exception with this id.
    #[error("no exception {0}")]
    NotFound(i64),
    /// Retrying a resolved exception makes no sense.
    #[error("exception {0} is resolved; nothing to retry")]
    AlreadyResolved(i64),
    /// Resolving needs a note saying what was done.
    #[error("a note is required: say what was done")]
    NoNote,
    /// A state filter that is not one of the names below.
    #[error("state `{0}`: use open, retrying, resolved, unresolved or all")]
    UnknownState(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Exceptions matching `filter` in `state` (`open`, `retrying`, `resolved`, `unresolved` =
/// open or retrying, `all`), most recently seen first, at most `limit`. `filter.state` is
/// ignored.
pub async fn list(
    store: &dyn Store,
    state: &str,
    filter: &ExceptionFilter,
    limit: u32,
) -> Result<Vec<ExceptionRecord>, ActionError> {
    let states: Vec<Option<ExceptionState>> = match state {
        "unresolved" => vec![Some(ExceptionState::Open), Some(ExceptionState::Retrying)],
        "all" => vec![None],
        other => vec![Some(
            ExceptionState::parse(other).map_err(|_| ActionError::UnknownState(other.into()))?,
        )],
    };
    let mut rows = Vec::new();
    for state in states {
        let filter = ExceptionFilter {
            state,
            ..filter.clone()
        };
        rows.extend(
            store
                .list_exceptions(&filter, Page { limit, offset: 0 })
                .await?,
        );
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.last_seen));
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(rows)
}

/// Marks exception `id` as `retrying` and, when it came from a job that gave up (an order or
/// a refund), re-arms that job. Returns the job's id, if it was re-armed.
pub async fn retry(
    store: &dyn Store,
    id: i64,
    actor: &str,
    note: Option<&str>,
) -> Result<Option<i64>, ActionError> {
    let (record, _history) = store
        .exception(id)
        .await?
        .ok_or(ActionError::NotFound(id))?;
    if record.state == ExceptionState::Resolved {
        return Err(ActionError::AlreadyResolved(id));
    }
    let requeued = requeue(store, &record).await?;
    let note = match (note.filter(|n| !n.trim().is_empty()), requeued) {
        (Some(n), Some(job)) => Some(format!("{n} (job {job} re-armed)")),
        (None, Some(job)) => Some(format!("job {job} re-armed")),
        (note, None) => note.map(str::to_owned),
    };
    store
        .mark_exception_retrying(id, actor, note.as_deref(), OffsetDateTime::now_utc())
        .await?;
    Ok(requeued)
}

/// Resolves exception `id` with `note` (required: what was done).
pub async fn resolve(
    store: &dyn Store,
    id: i64,
    actor: &str,
    note: &str,
) -> Result<ExceptionRecord, ActionError> {
    if note.trim().is_empty() {
        return Err(ActionError::NoNote);
    }
    if store.exception(id).await?.is_none() {
        return Err(ActionError::NotFound(id));
    }
    Ok(store
        .resolve_exception(id, actor, note, OffsetDateTime::now_utc())
        .await?)
}

/// Re-arms the job an exception came from (`details.job`), if that job gave up: the same
/// job with its one idempotency key, never a second one, and as many attempts again as it
/// had. The flows stay exactly-once through their ledgers either way.
async fn requeue(store: &dyn Store, record: &ExceptionRecord) -> Result<Option<i64>, StoreError> {
    let Some(job_id) = record.details.get("job").and_then(Value::as_i64) else {
        return Ok(None);
    };
    let Some(job) = store.job(job_id).await? else {
        return Ok(None);
    };
    if job.state != JobState::Dead {
        // Still queued or running: it will be tried anyway.
        return Ok(None);
    }
    let now = OffsetDateTime::now_utc();
    let rearmed = store
        .rearm(job.id, now, job.max_attempts, None, now)
        .await?;
    Ok(Some(rearmed.id))
}
