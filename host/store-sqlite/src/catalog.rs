//! SKU bindings on SQLite.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::SqliteStore;
use selvedge_store::rows;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Bindings, SkuBinding, StoreFuture};

macro_rules! binding_cols {
    () => {
        "client, storefront, erp_sku, product_id, variant_id, storefront_sku, content_hash, \
         updated_at"
    };
}

impl Bindings for SqliteStore {
    fn upsert_bindings<'a>(
        &'a self,
        bindings: &'a [SkuBinding],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        let (bindings, at) = (bindings.to_vec(), to_ms(at));
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                for b in &bindings {
                    // SET expressions read the old row, so the hash check sees the old ids.
                    sqlx::query(
                        "INSERT INTO sku_bindings (client, storefront, erp_sku, product_id, \
                         variant_id, storefront_sku, content_hash, updated_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7) \
                         ON CONFLICT (client, storefront, erp_sku) DO UPDATE SET \
                         content_hash = CASE WHEN product_id = excluded.product_id \
                           AND variant_id IS excluded.variant_id THEN content_hash ELSE NULL END, \
                         product_id = excluded.product_id, variant_id = excluded.variant_id, \
                         storefront_sku = excluded.storefront_sku, updated_at = excluded.updated_at",
                    )
                    .bind(&b.client)
                    .bind(&b.storefront)
                    .bind(&b.erp_sku)
                    .bind(&b.product_id)
                    .bind(&b.variant_id)
                    .bind(&b.storefront_sku)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        }))
    }

    fn binding_by_erp_sku<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        erp_sku: &'a str,
    ) -> StoreFuture<'a, Option<SkuBinding>> {
        Box::pin(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                binding_cols!(),
                " FROM sku_bindings WHERE client = ? AND storefront = ? AND erp_sku = ?"
            ))
            .bind(client)
            .bind(storefront)
            .bind(erp_sku)
            .fetch_optional(self.reader())
            .await?;
            row.as_ref().map(rows::binding).transpose()
        })
    }

    fn binding_by_storefront_sku<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        storefront_sku: &'a str,
    ) -> StoreFuture<'a, Option<SkuBinding>> {
        Box::pin(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                binding_cols!(),
                " FROM sku_bindings WHERE client = ? AND storefront = ? AND storefront_sku = ? \
                 ORDER BY erp_sku LIMIT 1"
            ))
            .bind(client)
            .bind(storefront)
            .bind(storefront_sku)
            .fetch_optional(self.reader())
            .await?;
            row.as_ref().map(rows::binding).transpose()
        })
    }

    fn list_bindings<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, Vec<SkuBinding>> {
        Box::pin(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                binding_cols!(),
                " FROM sku_bindings WHERE client = ? AND storefront = ? ORDER BY erp_sku"
            ))
            .bind(client)
            .bind(storefront)
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::binding).collect()
        })
    }

    fn set_content_hashes<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        hashes: &'a [(String, String)],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, u64> {
        let (client, storefront) = (client.to_owned(), storefront.to_owned());
        let (hashes, at) = (hashes.to_vec(), to_ms(at));
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let mut updated = 0;
                for (erp_sku, hash) in &hashes {
                    updated += sqlx::query(
                        "UPDATE sku_bindings SET content_hash = ?, updated_at = ? \
                         WHERE client = ? AND storefront = ? AND erp_sku = ?",
                    )
                    .bind(hash)
                    .bind(at)
                    .bind(&client)
                    .bind(&storefront)
                    .bind(erp_sku)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                }
                Ok(updated)
            })
        }))
    }

    fn content_hashes<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, HashMap<String, String>> {
        Box::pin(async move {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT erp_sku, content_hash FROM sku_bindings \
                 WHERE client = ? AND storefront = ? AND content_hash IS NOT NULL",
            )
            .bind(client)
            .bind(storefront)
            .fetch_all(self.reader())
            .await?;
            Ok(rows.into_iter().collect())
        })
    }
}
