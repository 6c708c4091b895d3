//! Pushed stock on SQLite: bulk upserts as multi-row INSERTs inside one transaction.

use std::fmt::Write as _;

use time::OffsetDateTime;

use super::{BATCH_ROWS, SqliteStore};
use selvedge_store::timestamp::to_ms;
use selvedge_store::{PushedStock, PushedStockStore, StoreFuture};

/// An upsert of `rows` rows. Client, storefront and time are bound once as ?1..?3 and
/// shared by every row, so each row costs three parameters.
fn upsert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO pushed_stock (client, storefront, sku, location, qty, pushed_at) VALUES ",
    );
    for i in 0..rows {
        let p = 4 + 3 * i;
        let sep = if i == 0 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = write!(sql, "{sep}(?1, ?2, ?{}, ?{}, ?{}, ?3)", p, p + 1, p + 2);
    }
    sql.push_str(
        " ON CONFLICT (client, storefront, sku, location) \
         DO UPDATE SET qty = excluded.qty, pushed_at = excluded.pushed_at",
    );
    sql
}

impl PushedStockStore for SqliteStore {
    fn pushed_stock<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, Vec<PushedStock>> {
        Box::pin(async move {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT sku, location, qty FROM pushed_stock \
                 WHERE client = ? AND storefront = ? ORDER BY sku, location",
            )
            .bind(client)
            .bind(storefront)
            .fetch_all(self.reader())
            .await?;
            Ok(rows
                .into_iter()
                .map(|(sku, location, qty)| PushedStock { sku, location, qty })
                .collect())
        })
    }

    fn upsert_pushed_stock<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        rows: &'a [PushedStock],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        let (client, storefront) = (client.to_owned(), storefront.to_owned());
        let (rows, at) = (rows.to_vec(), to_ms(at));
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                // Full batches share one SQL text, so the prepared statement is cached and reused.
                let full_sql = upsert_sql(BATCH_ROWS);
                for chunk in rows.chunks(BATCH_ROWS) {
                    let sql = if chunk.len() == BATCH_ROWS {
                        full_sql.clone()
                    } else {
                        upsert_sql(chunk.len())
                    };
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&client)
                        .bind(&storefront)
                        .bind(at);
                    for row in chunk {
                        query = query.bind(&row.sku).bind(&row.location).bind(row.qty);
                    }
                    query.execute(&mut *conn).await?;
                }
                Ok(())
            })
        }))
    }
}
