//! SKU bindings on PostgreSQL.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::{PgStore, in_tx, last_per_key, op};
use selvedge_store::rows;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Bindings, SkuBinding, StoreFuture};

macro_rules! binding_cols {
    () => {
        "client, storefront, erp_sku, product_id, variant_id, storefront_sku, content_hash, \
         updated_at"
    };
}

impl Bindings for PgStore {
    fn upsert_bindings<'a>(
        &'a self,
        bindings: &'a [SkuBinding],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        let at = to_ms(at);
        // In key order, so two hosts upserting overlapping sets lock rows in one order.
        let bindings = last_per_key(bindings, |b| (&b.client, &b.storefront, &b.erp_sku));
        op(async move {
            in_tx!(self, |conn| {
                for b in &bindings {
                    // SET expressions read the old row, so the hash check sees the old ids.
                    sqlx::query(
                        "INSERT INTO sku_bindings (client, storefront, erp_sku, product_id, \
                         variant_id, storefront_sku, content_hash, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7) \
                         ON CONFLICT (client, storefront, erp_sku) DO UPDATE SET \
                         content_hash = CASE WHEN sku_bindings.product_id = excluded.product_id \
                           AND sku_bindings.variant_id IS NOT DISTINCT FROM excluded.variant_id \
                           THEN sku_bindings.content_hash ELSE NULL END, \
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
        })
    }

    fn binding_by_erp_sku<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
        erp_sku: &'a str,
    ) -> StoreFuture<'a, Option<SkuBinding>> {
        op(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                binding_cols!(),
                " FROM sku_bindings WHERE client = $1 AND storefront = $2 AND erp_sku = $3"
            ))
            .bind(client)
            .bind(storefront)
            .bind(erp_sku)
            .fetch_optional(self.pool())
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
        op(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                binding_cols!(),
                " FROM sku_bindings WHERE client = $1 AND storefront = $2 \
                 AND storefront_sku = $3 ORDER BY erp_sku LIMIT 1"
            ))
            .bind(client)
            .bind(storefront)
            .bind(storefront_sku)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(rows::binding).transpose()
        })
    }

    fn list_bindings<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, Vec<SkuBinding>> {
        op(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                binding_cols!(),
                " FROM sku_bindings WHERE client = $1 AND storefront = $2 ORDER BY erp_sku"
            ))
            .bind(client)
            .bind(storefront)
            .fetch_all(self.pool())
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
        let at = to_ms(at);
        op(async move {
            in_tx!(self, |conn| {
                let mut updated = 0;
                for (erp_sku, hash) in hashes {
                    updated += sqlx::query(
                        "UPDATE sku_bindings SET content_hash = $1, updated_at = $2 \
                         WHERE client = $3 AND storefront = $4 AND erp_sku = $5",
                    )
                    .bind(hash)
                    .bind(at)
                    .bind(client)
                    .bind(storefront)
                    .bind(erp_sku)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                }
                Ok(updated)
            })
        })
    }

    fn content_hashes<'a>(
        &'a self,
        client: &'a str,
        storefront: &'a str,
    ) -> StoreFuture<'a, HashMap<String, String>> {
        op(async move {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT erp_sku, content_hash FROM sku_bindings \
                 WHERE client = $1 AND storefront = $2 AND content_hash IS NOT NULL",
            )
            .bind(client)
            .bind(storefront)
            .fetch_all(self.pool())
            .await?;
            Ok(rows.into_iter().collect())
        })
    }
}
