//! Exception queue on SQLite. A partial unique index keeps one unresolved row per
//! (client, kind, subject); raising again bumps that row inside the same transaction.

use sqlx::{SqliteConnection, SqliteExecutor};
use time::OffsetDateTime;

use super::SqliteStore;
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

async fn load<'e>(
    executor: impl SqliteExecutor<'e>,
    id: i64,
) -> Result<ExceptionRecord, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        exception_cols!(),
        " FROM exceptions WHERE id = ?"
    ))
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
    conn: &mut SqliteConnection,
    id: i64,
    at: i64,
    actor: &str,
    action: &str,
    note: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO exception_history (exception_id, at, actor, action, note) \
         VALUES (?, ?, ?, ?, ?)",
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
    conn: &mut SqliteConnection,
    id: i64,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<ExceptionHistoryEntry>, StoreError> {
    let rows: Vec<(i64, i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, at, actor, action, note FROM exception_history \
         WHERE exception_id = ? AND id > ? ORDER BY id LIMIT ?",
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

impl Exceptions for SqliteStore {
    fn raise_exception<'a>(
        &'a self,
        e: NewException,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, Raised> {
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let at = to_ms(at);
                let details = json_text(&e.details)?;
                let existing: Option<(i64, String)> = sqlx::query_as(
                    "SELECT id, state FROM exceptions WHERE client = ? AND kind = ? \
                     AND subject = ? AND state <> 'resolved'",
                )
                .bind(&e.client)
                .bind(&e.kind)
                .bind(&e.subject)
                .fetch_optional(&mut *conn)
                .await?;
                let (id, created) = match existing {
                    Some((id, state)) => {
                        sqlx::query(
                            "UPDATE exceptions SET owner = ?, summary = ?, details = ?, \
                         state = 'open', occurrences = occurrences + 1, last_seen = ?, \
                         updated_at = ? WHERE id = ?",
                        )
                        .bind(&e.owner)
                        .bind(&e.summary)
                        .bind(&details)
                        .bind(at)
                        .bind(at)
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                        // Re-opening after a retry is a change worth a line; a recurrence
                        // of an open exception is only counted.
                        if state == ExceptionState::Retrying.as_str() {
                            add_history(conn, id, at, HOST_ACTOR, "raised_again", Some(&e.summary))
                                .await?;
                        }
                        (id, false)
                    }
                    None => {
                        let id: i64 = sqlx::query_scalar(
                        "INSERT INTO exceptions (client, kind, owner, subject, summary, details, \
                         state, occurrences, created_at, updated_at, last_seen) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', 1, ?7, ?7, ?7) RETURNING id",
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
                let exception = load(&mut *conn, id).await?;
                Ok(Raised { exception, created })
            })
        }))
    }

    fn list_exceptions<'a>(
        &'a self,
        filter: &'a ExceptionFilter,
        page: Page,
    ) -> StoreFuture<'a, Vec<ExceptionRecord>> {
        Box::pin(async move {
            // NULL parameters disable their filter, so one static statement covers every combination.
            let rows = sqlx::query(concat!(
                "SELECT ",
                exception_cols!(),
                " FROM exceptions WHERE (?1 IS NULL OR client = ?1) AND (?2 IS NULL OR state = ?2) \
                 AND (?3 IS NULL OR owner = ?3) AND (?4 IS NULL OR kind = ?4) \
                 ORDER BY last_seen DESC, id DESC LIMIT ?5 OFFSET ?6"
            ))
            .bind(&filter.client)
            .bind(filter.state.map(ExceptionState::as_str))
            .bind(&filter.owner)
            .bind(&filter.kind)
            .bind(i64::from(page.limit))
            .bind(i64::from(page.offset))
            .fetch_all(self.reader())
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
        Box::pin(async move {
            // One read transaction: the record and its history come from the same snapshot.
            let mut tx = self.reader().begin().await?;
            let record = match load(&mut *tx, id).await {
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
        let (actor, note) = (actor.to_owned(), note.map(str::to_owned));
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let at = to_ms(at);
                let current = load(&mut *conn, id).await?;
                if current.state == ExceptionState::Resolved {
                    return Err(StoreError::InvalidTransition {
                        entity: "exception",
                        key: id.to_string(),
                        from: current.state.to_string(),
                        to: ExceptionState::Retrying.to_string(),
                    });
                }
                sqlx::query(
                    "UPDATE exceptions SET state = 'retrying', updated_at = ? WHERE id = ?",
                )
                .bind(at)
                .bind(id)
                .execute(&mut *conn)
                .await?;
                add_history(conn, id, at, &actor, "retrying", note.as_deref()).await?;
                let record = load(&mut *conn, id).await?;
                Ok(record)
            })
        }))
    }

    fn resolve_exception<'a>(
        &'a self,
        id: i64,
        actor: &'a str,
        note: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ExceptionRecord> {
        let (actor, note) = (actor.to_owned(), note.to_owned());
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let at = to_ms(at);
                let current = load(&mut *conn, id).await?;
                if current.state == ExceptionState::Resolved {
                    return Ok(current);
                }
                sqlx::query(
                    "UPDATE exceptions SET state = 'resolved', updated_at = ? WHERE id = ?",
                )
                .bind(at)
                .bind(id)
                .execute(&mut *conn)
                .await?;
                add_history(conn, id, at, &actor, "resolved", Some(&note)).await?;
                let record = load(&mut *conn, id).await?;
                Ok(record)
            })
        }))
    }

    fn exception_counts<'a>(
        &'a self,
        client: Option<&'a str>,
        state: ExceptionState,
    ) -> StoreFuture<'a, Vec<ExceptionCount>> {
        Box::pin(async move {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT owner, kind, COUNT(*) FROM exceptions \
                 WHERE (?1 IS NULL OR client = ?1) AND state = ?2 \
                 GROUP BY owner, kind ORDER BY owner, kind",
            )
            .bind(client)
            .bind(state.as_str())
            .fetch_all(self.reader())
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
