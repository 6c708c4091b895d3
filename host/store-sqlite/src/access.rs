//! Admin API tokens and the audit log on SQLite.

use time::OffsetDateTime;

use super::SqliteStore;
use selvedge_store::rows;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Access, ApiToken, AuditEntry, AuditRecord, StoreError, StoreFuture};

const TOKEN_COLS: &str = "name, hash, role, clients, teams, created_at, expires_at, revoked_at";

fn list_text(list: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(list).map_err(|e| StoreError::InvalidArgument(e.to_string()))
}

impl Access for SqliteStore {
    fn create_token<'a>(&'a self, token: &'a ApiToken) -> StoreFuture<'a, ()> {
        let token = token.clone();
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let done = sqlx::query(
                    "INSERT INTO api_tokens (name, hash, role, clients, teams, created_at, \
                     expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(&token.name)
                .bind(&token.hash)
                .bind(&token.role)
                .bind(list_text(&token.clients)?)
                .bind(list_text(&token.teams)?)
                .bind(to_ms(token.created_at))
                .bind(token.expires_at.map(to_ms))
                .execute(&mut *conn)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::InvalidArgument(format!(
                        "a token named `{}` exists already",
                        token.name
                    )));
                }
                Ok(())
            })
        }))
    }

    fn api_tokens(&self) -> StoreFuture<'_, Vec<ApiToken>> {
        Box::pin(async move {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {TOKEN_COLS} FROM api_tokens ORDER BY name"
            )))
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::api_token).collect()
        })
    }

    fn token_by_hash<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, Option<ApiToken>> {
        Box::pin(async move {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE hash = ?"
            )))
            .bind(hash)
            .fetch_optional(self.reader())
            .await?;
            row.as_ref().map(rows::api_token).transpose()
        })
    }

    fn revoke_token<'a>(&'a self, name: &'a str, at: OffsetDateTime) -> StoreFuture<'a, bool> {
        let name = name.to_string();
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                )
                .bind(to_ms(at))
                .bind(&name)
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() == 1)
            })
        }))
    }

    fn record_audit<'a>(&'a self, entry: &'a AuditEntry) -> StoreFuture<'a, ()> {
        let e = entry.clone();
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO audit_log (actor, action, client, target, status, at) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(&e.actor)
                .bind(&e.action)
                .bind(&e.client)
                .bind(&e.target)
                .bind(i64::from(e.status))
                .bind(to_ms(e.at))
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        }))
    }

    fn audit_before(&self, before: Option<i64>, limit: u32) -> StoreFuture<'_, Vec<AuditRecord>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT id, actor, action, client, target, status, at FROM audit_log \
                 WHERE id < ? ORDER BY id DESC LIMIT ?",
            )
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::audit).collect()
        })
    }
}
