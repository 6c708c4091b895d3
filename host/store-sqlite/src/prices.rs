//! Published prices on SQLite.

use time::OffsetDateTime;

use super::SqliteStore;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{PublishedPrice, PublishedPrices, StoreFuture};

impl PublishedPrices for SqliteStore {
    fn published_prices<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, Vec<PublishedPrice>> {
        Box::pin(async move {
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT price_list, sku, content_hash FROM published_prices \
                 WHERE client = ? AND storefront = ? ORDER BY price_list, sku",
            )
            .bind(client)
            .bind(storefront)
            .fetch_all(self.reader())
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
        let (client, storefront) = (client.to_owned(), storefront.to_owned());
        let (rows, at) = (rows.to_vec(), to_ms(at));
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                for row in &rows {
                    sqlx::query(
                        "INSERT INTO published_prices (client, storefront, price_list, sku, \
                         content_hash, published_at) VALUES (?, ?, ?, ?, ?, ?) \
                         ON CONFLICT (client, storefront, price_list, sku) DO UPDATE SET \
                         content_hash = excluded.content_hash, \
                         published_at = excluded.published_at",
                    )
                    .bind(&client)
                    .bind(&storefront)
                    .bind(&row.price_list)
                    .bind(&row.sku)
                    .bind(&row.content_hash)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        }))
    }
}
