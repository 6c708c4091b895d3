//! Cursors on SQLite.

use time::OffsetDateTime;

use super::SqliteStore;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Cursors, StoreFuture};

impl Cursors for SqliteStore {
    fn cursor<'a>(&'a self, client: &'a str, name: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            Ok(
                sqlx::query_scalar("SELECT value FROM cursors WHERE client = ? AND name = ?")
                    .bind(client)
                    .bind(name)
                    .fetch_optional(self.reader())
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
        let (client, name, value) = (client.to_owned(), name.to_owned(), value.to_owned());
        let at = to_ms(at);
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO cursors (client, name, value, updated_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (client, name) DO UPDATE SET value = excluded.value, \
                     updated_at = excluded.updated_at",
                )
                .bind(&client)
                .bind(&name)
                .bind(&value)
                .bind(at)
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        }))
    }
}
