//! Direct statements on the writer connection's SQLite handle.
//!
//! sqlx runs every statement as a round trip to the thread that owns its connection. The
//! writer's hottest writes (the job queue and the order and credit-memo ledgers: several
//! statements each, a few per order) paid two thread switches per statement, which `perf` put
//! at a fifth of the host's CPU under an order burst. These writes run instead as plain synchronous calls on
//! the writer's own thread, on the same handle, while sqlx's thread is locked out of it
//! ([`LockedSqliteHandle`]). One connection and one transaction still carry every write, so
//! group commit and savepoints are unchanged.

// The one `unsafe` of the backend: borrowing sqlx's handle for rusqlite (see `attach`).
#![allow(unsafe_code)]

use std::ops::Deref;

use sqlx::sqlite::LockedSqliteHandle;

use selvedge_store::StoreError;
use selvedge_store::rows::Columns;

/// Statements one connection keeps prepared: every direct write's statements, with room.
const CACHED_STATEMENTS: usize = 64;

/// A rusqlite view of the writer's handle, valid while the lock it was made under is held.
pub(crate) struct DirectConn<'h> {
    conn: rusqlite::Connection,
    // Ties this view to the lock: it cannot outlive it.
    _lock: std::marker::PhantomData<&'h mut ()>,
}

impl<'h> DirectConn<'h> {
    /// Views the handle `lock` holds.
    pub(crate) fn attach(lock: &'h mut LockedSqliteHandle<'_>) -> Result<Self, StoreError> {
        let handle = lock.as_raw_handle().as_ptr();
        // SAFETY: `handle` is a live connection (sqlx closes it only when its connection is
        // dropped or closed, which needs the `&mut` the lock borrows), and while `lock` is
        // held sqlx's thread makes no call on it or its statements (the lock's documented
        // purpose). `from_handle` does not take ownership: dropping the view finalizes only
        // the statements it prepared, and it is dropped before the lock by its lifetime.
        let conn = unsafe { rusqlite::Connection::from_handle(handle) }?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(Self {
            conn,
            _lock: std::marker::PhantomData,
        })
    }
}

impl Deref for DirectConn<'_> {
    type Target = rusqlite::Connection;

    fn deref(&self) -> &rusqlite::Connection {
        &self.conn
    }
}

/// A result row of a direct statement, read by name like sqlx rows.
pub(crate) struct DirectRow<'r, 's>(pub(crate) &'r rusqlite::Row<'s>);

impl Columns for DirectRow<'_, '_> {
    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.0.get(column)?)
    }

    fn text_opt(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.0.get(column)?)
    }

    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.0.get(column)?)
    }

    fn int_opt(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.0.get(column)?)
    }

    fn bytes(&self, column: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.0.get(column)?)
    }
}

/// Runs the cached statement `sql` and decodes its rows.
pub(crate) fn query_all<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl Fn(&DirectRow<'_, '_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode(&DirectRow(row))?);
    }
    Ok(out)
}

/// Runs the cached statement `sql` and decodes its first row, if it returns one. Every row is
/// stepped through: a `RETURNING` statement finishes its change only then.
pub(crate) fn query_opt<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl Fn(&DirectRow<'_, '_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    Ok(query_all(conn, sql, params, decode)?.into_iter().next())
}

/// Runs the cached statement `sql`; returns the rows it changed.
pub(crate) fn execute(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<usize, StoreError> {
    Ok(conn.prepare_cached(sql)?.execute(params)?)
}
