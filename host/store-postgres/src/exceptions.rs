//! Exception queue on PostgreSQL. A partial unique index keeps one unresolved row per
//! (client, kind, subject); raising again bumps that row, locked, in the same transaction.
//! Two hosts raising the same new exception race for that index: the loser's transaction
//! is run again ([`crate::in_tx!`]) and finds the winner's row to bump.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use super::{PgStore, in_tx, op};
use selvedge_store::rows::{self, count_u64, json_text};
use selvedge_store::timestamp::{from_ms, to_ms};
use selvedge_store::{
    ExceptionCount, ExceptionFilter, ExceptionHistoryEntry, ExceptionRecord, ExceptionState,
    Exceptions, NewException, Page, Raised, StoreError, StoreFuture,
};

/// Actor recorded for entries the host itself writes.
const HOST_ACTOR: &str = "selvedge";

macro_rules! exception_cols {
    () => {
        "id, client, kind, owner, subject, summary, details, state, occurrences, created_at, \
         updated_at, last_seen"
    };
}

/// The exception; `lock` keeps it locked until the transaction ends.
async fn load<'e>(
    executor: impl PgExecutor<'e>,
    id: i64,
    lock: bool,
) -> Result<ExceptionRecord, StoreError> {
    let sql = if lock {
        concat!(
            "SELECT ",
            exception_cols!(),
            " FROM exceptions WHERE id = $1 FOR UPDATE"
        )
    } else {
        concat!(
            "SELECT ",
            exception_cols!(),
            " FROM exceptions WHERE id = $1"
        )
    };
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(executor)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "exception",
            key: id.to_string(),
        })?;
    rows::exception(&row)
}

async fn add_history(
    conn: &mut PgConnection,
    id: i64,
    at: i64,
    actor: &str,
    action: &str,
    note: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO exception_history (exception_id, at, actor, action, note) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(at)
    .bind(actor)
    .bind(action)
    .bind(note)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// History entries of exception `id` after entry `after`, oldest first, at most `limit`.
async fn history(
    conn: &mut PgConnection,
    id: i64,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<ExceptionHistoryEntry>, StoreError> {
    let rows: Vec<(i64, i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, at, actor, action, note FROM exception_history \
         WHERE exception_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(id)
    .bind(after.unwrap_or(i64::MIN))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id, at, actor, action, note)| {
            Ok(ExceptionHistoryEntry {
                id,
                at: from_ms(at)?,
                actor,
                action,
                note,
            })
        })
        .collect()
}

/// Moves an unresolved exception to `to` with a history entry (retry or resolve).
async fn set_state(
    conn: &mut PgConnection,
    id: i64,
    to: ExceptionState,
    entry: (&str, Option<&str>),
    at: i64,
) -> Result<ExceptionRecord, StoreError> {
    let row = sqlx::query(concat!(
        "UPDATE exceptions SET state = $1, updated_at = $2 WHERE id = $3 RETURNING ",
        exception_cols!()
    ))
    .bind(to.as_str())
    .bind(at)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    add_history(conn, id, at, entry.0, to.as_str(), entry.1).await?;
    rows::exception(&row)
}

impl Exceptions for PgStore {
    fn raise_exception<'a>(
        &'a self,
        e: NewException,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, Raised> {
        let at = to_ms(at);
        op(async move {
            let details = json_text(&e.details)?;
            in_tx!(self, |conn| {
                let existing: Option<(i64, String)> = sqlx::query_as(
                    "SELECT id, state FROM exceptions WHERE client = $1 AND kind = $2 \
                     AND subject = $3 AND state <> 'resolved' FOR UPDATE",
                )
                .bind(&e.client)
                .bind(&e.kind)
                .bind(&e.subject)
                .fetch_optional(&mut *conn)
                .await?;
                let (id, created) = match existing {
                    Some((id, state)) => {
                        sqlx::query(
                            "UPDATE exceptions SET owner = $1, summary = $2, details = $3, \
                             state = 'open', occurrences = occurrences + 1, last_seen = $4, \
                             updated_at = $4 WHERE id = $5",
                        )
                        .bind(&e.owner)
                        .bind(&e.summary)
                        .bind(&details)
                        .bind(at)
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                        // Re-opening after a retry is a change worth a line; a recurrence
                        // of an open exception is only counted.
                        if state == ExceptionState::Retrying.as_str() {
                            let summary = Some(e.summary.as_str());
                            add_history(conn, id, at, HOST_ACTOR, "raised_again", summary).await?;
                        }
                        (id, false)
                    }
                    None => {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO exceptions (client, kind, owner, subject, summary, \
                             details, state, occurrences, created_at, updated_at, last_seen) \
                             VALUES ($1, $2, $3, $4, $5, $6, 'open', 1, $7, $7, $7) RETURNING id",
                        )
                        .bind(&e.client)
                        .bind(&e.kind)
                        .bind(&e.owner)
                        .bind(&e.subject)
                        .bind(&e.summary)
                        .bind(&details)
                        .bind(at)
                        .fetch_one(&mut *conn)
                        .await?;
                        add_history(conn, id, at, HOST_ACTOR, "raised", Some(&e.summary)).await?;
                        (id, true)
                    }
                };
                let exception = load(&mut *conn, id, false).await?;
                Ok(Raised { exception, created })
            })
        })
    }

    fn list_exceptions<'a>(
        &'a self,
        filter: &'a ExceptionFilter,
        page: Page,
    ) -> StoreFuture<'a, Vec<ExceptionRecord>> {
        op(async move {
            // NULL parameters disable their filter, so one static statement covers every combination.
            let rows = sqlx::query(concat!(
                "SELECT ",
                exception_cols!(),
                " FROM exceptions WHERE ($1::text IS NULL OR client = $1) \
                 AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR owner = $3) \
                 AND ($4::text IS NULL OR kind = $4) \
                 ORDER BY last_seen DESC, id DESC LIMIT $5 OFFSET $6"
            ))
            .bind(&filter.client)
            .bind(filter.state.map(ExceptionState::as_str))
            .bind(&filter.owner)
            .bind(&filter.kind)
            .bind(i64::from(page.limit))
            .bind(i64::from(page.offset))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::exception).collect()
        })
    }

    fn exception<'a>(
        &'a self,
        id: i64,
    ) -> StoreFuture<'a, Option<(ExceptionRecord, Vec<ExceptionHistoryEntry>)>> {
        self.exception_page(id, None, u32::MAX)
    }

    fn exception_page<'a>(
        &'a self,
        id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreFuture<'a, Option<(ExceptionRecord, Vec<ExceptionHistoryEntry>)>> {
        op(async move {
            // One snapshot for the record and its history (READ COMMITTED would take two).
            let mut tx = self
                .pool()
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
            let record = match load(&mut *tx, id, false).await {
                Ok(record) => record,
                Err(StoreError::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(e),
            };
            let history = history(&mut tx, id, after, limit).await?;
            tx.commit().await?;
            Ok(Some((record, history)))
        })
    }

    fn mark_exception_retrying<'a>(
        &'a self,
        id: i64,
        actor: &'a str,
        note: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ExceptionRecord> {
        let at = to_ms(at);
        op(async move {
            in_tx!(self, |conn| {
                let current = load(&mut *conn, id, true).await?;
                if current.state == ExceptionState::Resolved {
                    return Err(StoreError::InvalidTransition {
                        entity: "exception",
                        key: id.to_string(),
                        from: current.state.to_string(),
                        to: ExceptionState::Retrying.to_string(),
                    });
                }
                set_state(conn, id, ExceptionState::Retrying, (actor, note), at).await
            })
        })
    }

    fn resolve_exception<'a>(
        &'a self,
        id: i64,
        actor: &'a str,
        note: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ExceptionRecord> {
        let at = to_ms(at);
        op(async move {
            in_tx!(self, |conn| {
                let current = load(&mut *conn, id, true).await?;
                if current.state == ExceptionState::Resolved {
                    return Ok(current);
                }
                let entry = (actor, Some(note));
                set_state(conn, id, ExceptionState::Resolved, entry, at).await
            })
        })
    }

    fn exception_counts<'a>(
        &'a self,
        client: Option<&'a str>,
        state: ExceptionState,
    ) -> StoreFuture<'a, Vec<ExceptionCount>> {
        op(async move {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT owner, kind, COUNT(*) FROM exceptions \
                 WHERE ($1::text IS NULL OR client = $1) AND state = $2 \
                 GROUP BY owner, kind ORDER BY owner, kind",
            )
            .bind(client)
            .bind(state.as_str())
            .fetch_all(self.pool())
            .await?;
            rows.into_iter()
                .map(|(owner, kind, n)| {
                    let count = count_u64(n, "exception count")?;
                    Ok(ExceptionCount { owner, kind, count })
                })
                .collect()
        })
    }
}
