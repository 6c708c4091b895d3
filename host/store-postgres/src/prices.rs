//! Published prices on PostgreSQL.

use time::OffsetDateTime;

use super::{PgStore, in_tx, last_per_key, op};
use selvedge_store::timestamp::to_ms;
use selvedge_store::{PublishedPrice, PublishedPrices, StoreFuture};

impl PublishedPrices for PgStore {
    fn published_prices<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, Vec<PublishedPrice>> {
        op(async move {
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT price_list, sku, content_hash FROM published_prices \
                 WHERE client = $1 AND storefront = $2 ORDER BY price_list, sku",
            )
            .bind(client)
            .bind(storefront)
            .fetch_all(self.pool())
            .await?;
            Ok(rows
                .into_iter()
                .map(|(price_list, sku, content_hash)| PublishedPrice {
                    price_list,
                    sku,
                    content_hash,
                })
                .collect())
        })
    }

    fn upsert_published_prices<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        rows: &'a [PublishedPrice],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        let at = to_ms(at);
        // In key order, so overlapping upserts from two hosts cannot deadlock.
        let rows = last_per_key(rows, |r| (&r.price_list, &r.sku));
        op(async move {
            in_tx!(self, |conn| {
                for row in &rows {
                    sqlx::query(
                        "INSERT INTO published_prices (client, storefront, price_list, sku, \
                         content_hash, published_at) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (client, storefront, price_list, sku) DO UPDATE SET \
                         content_hash = excluded.content_hash, \
                         published_at = excluded.published_at",
                    )
                    .bind(client)
                    .bind(storefront)
                    .bind(&row.price_list)
                    .bind(&row.sku)
                    .bind(&row.content_hash)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
    }
}
