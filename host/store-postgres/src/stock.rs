//! Pushed stock on PostgreSQL: bulk upserts from arrays (`unnest`), a chunk per statement,
//! all in one transaction.

use time::OffsetDateTime;

use super::{PgStore, in_tx, last_per_key, op};
use selvedge_store::timestamp::to_ms;
use selvedge_store::{PushedStock, PushedStockStore, StoreFuture};

/// Rows per statement: four array parameters, whatever the row count.
const CHUNK_ROWS: usize = 5_000;

impl PushedStockStore for PgStore {
    fn pushed_stock<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, Vec<PushedStock>> {
        op(async move {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT sku, location, qty FROM pushed_stock \
                 WHERE client = $1 AND storefront = $2 ORDER BY sku, location",
            )
            .bind(client)
            .bind(storefront)
            .fetch_all(self.pool())
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
        let at = to_ms(at);
        // One statement may not touch a row twice; key order keeps two hosts from deadlocking.
        let rows = last_per_key(rows, |r| (&r.sku, &r.location));
        op(async move {
            in_tx!(self, |conn| {
                for chunk in rows.chunks(CHUNK_ROWS) {
                    let skus: Vec<&str> = chunk.iter().map(|r| r.sku.as_str()).collect();
                    let locations: Vec<&str> = chunk.iter().map(|r| r.location.as_str()).collect();
                    let qtys: Vec<i64> = chunk.iter().map(|r| r.qty).collect();
                    sqlx::query(
                        "INSERT INTO pushed_stock (client, storefront, sku, location, qty, pushed_at) \
                         SELECT $1, $2, sku, location, qty, $3 \
                         FROM unnest($4::text[], $5::text[], $6::bigint[]) AS r(sku, location, qty) \
                         ON CONFLICT (client, storefront, sku, location) \
                         DO UPDATE SET qty = excluded.qty, pushed_at = excluded.pushed_at",
                    )
                    .bind(client)
                    .bind(storefront)
                    .bind(at)
                    .bind(&skus)
                    .bind(&locations)
                    .bind(&qtys)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
    }
}
