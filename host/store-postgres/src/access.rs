//! Admin API tokens and the audit log on PostgreSQL.

use time::OffsetDateTime;

use super::{PgStore, op};
use selvedge_store::rows;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Access, ApiToken, AuditEntry, AuditRecord, StoreError, StoreFuture};

fn list_text(list: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(list).map_err(|e| StoreError::InvalidArgument(e.to_string()))
}

impl Access for PgStore {
    fn create_token<'a>(&'a self, token: &'a ApiToken) -> StoreFuture<'a, ()> {
        op(async move {
            let done = sqlx::query(
                "INSERT INTO api_tokens (name, hash, role, clients, teams, created_at, \
                 expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&token.name)
            .bind(&token.hash)
            .bind(&token.role)
            .bind(list_text(&token.clients)?)
            .bind(list_text(&token.teams)?)
            .bind(to_ms(token.created_at))
            .bind(token.expires_at.map(to_ms))
            .execute(self.pool())
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::InvalidArgument(format!(
                    "a token named `{}` exists already",
                    token.name
                )));
            }
            Ok(())
        })
    }

    fn api_tokens(&self) -> StoreFuture<'_, Vec<ApiToken>> {
        op(async move {
            let rows = sqlx::query(
                "SELECT name, hash, role, clients, teams, created_at, expires_at, revoked_at \
                 FROM api_tokens ORDER BY name",
            )
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::api_token).collect()
        })
    }

    fn token_by_hash<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, Option<ApiToken>> {
        op(async move {
            let row = sqlx::query(
                "SELECT name, hash, role, clients, teams, created_at, expires_at, revoked_at \
                 FROM api_tokens WHERE hash = $1",
            )
            .bind(hash)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(rows::api_token).transpose()
        })
    }

    fn revoke_token<'a>(&'a self, name: &'a str, at: OffsetDateTime) -> StoreFuture<'a, bool> {
        op(async move {
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
            )
            .bind(to_ms(at))
            .bind(name)
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn record_audit<'a>(&'a self, entry: &'a AuditEntry) -> StoreFuture<'a, ()> {
        op(async move {
            sqlx::query(
                "INSERT INTO audit_log (actor, action, client, target, status, at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&entry.actor)
            .bind(&entry.action)
            .bind(&entry.client)
            .bind(&entry.target)
            .bind(i64::from(entry.status))
            .bind(to_ms(entry.at))
            .execute(self.pool())
            .await?;
            Ok(())
        })
    }

    fn audit_before(&self, before: Option<i64>, limit: u32) -> StoreFuture<'_, Vec<AuditRecord>> {
        op(async move {
            let rows = sqlx::query(
                "SELECT id, actor, action, client, target, status, at FROM audit_log \
                 WHERE id < $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::audit).collect()
        })
    }
}
