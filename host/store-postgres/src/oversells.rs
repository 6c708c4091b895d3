//! Oversells on PostgreSQL.

use time::OffsetDateTime;

use super::{PgStore, in_tx, op};
use selvedge_store::rows;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{Oversell, Oversells, StoreFuture};

impl Oversells for PgStore {
    fn record_oversells<'a>(&'a self, oversells: &'a [Oversell]) -> StoreFuture<'a, ()> {
        op(async move {
            in_tx!(self, |conn| {
                for o in oversells {
                    sqlx::query(
                        "INSERT INTO oversells (client, sku, location, order_id, ordered, \
                         available, buffer, cycle_id, lag_minutes, rule, at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(&o.client)
                    .bind(&o.sku)
                    .bind(&o.location)
                    .bind(&o.order_id)
                    .bind(o.ordered)
                    .bind(o.available)
                    .bind(o.buffer)
                    .bind(i64::try_from(o.cycle_id).unwrap_or(i64::MAX))
                    .bind(i64::from(o.lag_minutes))
                    .bind(&o.rule)
                    .bind(to_ms(o.at))
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
    }

    fn oversells_since<'a>(
        &'a self,
        client: &'a str,
        sku: Option<&'a str>,
        since: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<Oversell>> {
        op(async move {
            let rows = sqlx::query(
                "SELECT client, sku, location, order_id, ordered, available, buffer, cycle_id, \
                 lag_minutes, rule, at FROM oversells \
                 WHERE client = $1 AND ($2::text IS NULL OR sku = $2) AND at >= $3 \
                 ORDER BY at, id",
            )
            .bind(client)
            .bind(sku)
            .bind(to_ms(since))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::oversell).collect()
        })
    }
}
