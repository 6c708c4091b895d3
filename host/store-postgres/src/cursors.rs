//! Cursors on PostgreSQL.

use time::OffsetDateTime;

use super::{PgStore, op};
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Cursors, StoreFuture};

impl Cursors for PgStore {
    fn cursor<'a>(&'a self, client: &'a str, name: &'a str) -> StoreFuture<'a, Option<String>> {
        op(async move {
            Ok(
                sqlx::query_scalar("SELECT value FROM cursors WHERE client = $1 AND name = $2")
                    .bind(client)
                    .bind(name)
                    .fetch_optional(self.pool())
                    .await?,
            )
        })
    }

    fn set_cursor<'a>(
        &'a self,
        client: &'a str,
        name: &'a str,
        value: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        op(async move {
            // One upsert statement: racing writers cannot both insert.
            sqlx::query(
                "INSERT INTO cursors (client, name, value, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (client, name) DO UPDATE SET value = excluded.value, \
                 updated_at = excluded.updated_at",
            )
            .bind(client)
            .bind(name)
            .bind(value)
            .bind(to_ms(at))
            .execute(self.pool())
            .await?;
            Ok(())
        })
    }
}
