//! Moving an embedded install to PostgreSQL: every row of every table of a SQLite state file
//! copied into an empty PostgreSQL database in one transaction, so the copy is whole or
//! nothing, then the row counts compared table by table. Tables go in the order the schema
//! created them (an exception's history after the exception), ids are kept (jobs, ledgers and
//! exceptions are referred to by id), and each identity sequence restarts after the highest
//! id copied.

use std::path::Path;

use sqlx::postgres::PgArguments;
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{Arguments, ConnectOptions, Connection, Row};

use selvedge_store::StoreError;

use crate::PgStore;

/// One table copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedTable {
    /// Table name.
    pub table: String,
    /// Rows copied (and counted again in PostgreSQL).
    pub rows: u64,
}

/// Rows per INSERT; well under PostgreSQL's 65535 bound parameters for our widest table.
const BATCH_ROWS: usize = 500;

/// A column of the target table and how its values are read from SQLite.
struct Column {
    name: String,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Bool,
    Bytes,
}

/// How far a copy got, as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyProgress<'a> {
    /// The rows of every table to copy, counted in the SQLite file before the first insert.
    Counted(u64),
    /// `rows` more rows of `table` inserted (one batch).
    Copied { table: &'a str, rows: u64 },
}

/// Copies the SQLite state file at `source` (already migrated to the schema this binary
/// knows) into `target`, which must hold no rows yet. `progress` hears the total first, then
/// every batch.
pub async fn copy_from_sqlite(
    source: &Path,
    target: &PgStore,
    mut progress: impl FnMut(CopyProgress<'_>),
) -> Result<Vec<CopiedTable>, StoreError> {
    let mut sqlite = SqliteConnectOptions::new()
        .filename(source)
        .read_only(true)
        .connect()
        .await?;
    let mut tx = target.pool().begin().await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'r' AND n.nspname = current_schema() \
         AND c.relname NOT LIKE '\\_sqlx%' ORDER BY c.oid",
    )
    .fetch_all(&mut *tx)
    .await?;
    // Counted first so the copy can say how far along it is; cheap beside the copy itself.
    let mut total = 0u64;
    for table in &tables {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut sqlite)
                .await
                .map_err(|e| not_migrated(table, source, e))?;
        total += n.max(0) as u64;
    }
    progress(CopyProgress::Counted(total));
    let mut copied = Vec::new();
    for table in &tables {
        let existing: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut *tx)
                .await?;
        if existing > 0 {
            return Err(StoreError::InvalidArgument(format!(
                "the PostgreSQL database already holds rows in `{table}`: copy only into an empty, migrated database"
            )));
        }
        let columns = columns_of(&mut tx, table).await?;
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let select = format!("SELECT {} FROM {table}", names.join(", "));
        let rows: Vec<SqliteRow> = sqlx::query(sqlx::AssertSqlSafe(select))
            .fetch_all(&mut sqlite)
            .await
            .map_err(|e| not_migrated(table, source, e))?;
        let identity = has_identity(&mut tx, table).await?;
        let mut done = 0u64;
        for batch in rows.chunks(BATCH_ROWS) {
            insert_batch(&mut tx, table, &columns, identity, batch).await?;
            done += batch.len() as u64;
            progress(CopyProgress::Copied {
                table,
                rows: batch.len() as u64,
            });
        }
        if identity {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )))
            .execute(&mut *tx)
            .await?;
        }
        let counted: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut *tx)
                .await?;
        if counted as u64 != rows.len() as u64 {
            return Err(StoreError::WriteFailed(format!(
                "{table}: {} rows read but {counted} written; nothing was copied",
                rows.len()
            )));
        }
        copied.push(CopiedTable {
            table: table.clone(),
            rows: done,
        });
    }
    tx.commit().await?;
    let _ = sqlite.close().await;
    Ok(copied)
}

fn not_migrated(table: &str, source: &Path, e: sqlx::Error) -> StoreError {
    StoreError::Corrupt(format!(
        "{table} in {}: {e} (is the file migrated to this version?)",
        source.display()
    ))
}

async fn columns_of(conn: &mut sqlx::PgConnection, table: &str) -> Result<Vec<Column>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(name, data_type)| {
            let kind = match data_type.as_str() {
                "bigint" | "integer" | "smallint" => Kind::Int,
                "text" | "character varying" => Kind::Text,
                "boolean" => Kind::Bool,
                "bytea" => Kind::Bytes,
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "{table}.{name} has type {other}, which the copy does not know"
                    )));
                }
            };
            Ok(Column { name, kind })
        })
        .collect()
}

async fn has_identity(conn: &mut sqlx::PgConnection, table: &str) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() \
         AND table_name = $1 AND column_name = 'id' AND is_identity = 'YES'",
    )
    .bind(table)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

async fn insert_batch(
    conn: &mut sqlx::PgConnection,
    table: &str,
    columns: &[Column],
    identity: bool,
    rows: &[SqliteRow],
) -> Result<(), StoreError> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let mut args = PgArguments::default();
    let mut tuples = Vec::with_capacity(rows.len());
    let mut n = 0;
    for row in rows {
        let mut slots = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            let read =
                |e: sqlx::Error| StoreError::Corrupt(format!("{table}.{}: {e}", column.name));
            let bound = match column.kind {
                Kind::Int => args.add(row.try_get::<Option<i64>, _>(i).map_err(read)?),
                Kind::Text => args.add(row.try_get::<Option<String>, _>(i).map_err(read)?),
                // SQLite keeps booleans as 0 / 1.
                Kind::Bool => args.add(
                    row.try_get::<Option<i64>, _>(i)
                        .map_err(read)?
                        .map(|v| v != 0),
                ),
                Kind::Bytes => args.add(row.try_get::<Option<Vec<u8>>, _>(i).map_err(read)?),
            };
            bound.map_err(|e| StoreError::Corrupt(format!("{table}.{}: {e}", column.name)))?;
            n += 1;
            slots.push(format!("${n}"));
        }
        tuples.push(format!("({})", slots.join(", ")));
    }
    // Ids are copied as they are: other rows and the admin API refer to them.
    let overriding = if identity {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO {table} ({}){overriding} VALUES {}",
        names.join(", "),
        tuples.join(", ")
    );
    sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
