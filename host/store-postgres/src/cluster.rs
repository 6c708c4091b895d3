//! Cluster membership, leases and the ERP pace on PostgreSQL, the store several hosts share.
//! Each operation is one statement or one transaction holding the row it changes, so hosts
//! racing for a lease or a write slot are ordered by PostgreSQL's row locks.

use std::time::Duration;

use sqlx::Row;
use time::OffsetDateTime;

use super::{PgStore, in_tx, op};
use selvedge_store::cluster::gcra_step;
use selvedge_store::timestamp::{duration_ms, from_ms, to_ms};
use selvedge_store::{Cluster, HostRecord, LeaseTake, StoreFuture};

impl Cluster for PgStore {
    fn host_heartbeat<'a>(&'a self, host: &'a str, now: OffsetDateTime) -> StoreFuture<'a, ()> {
        op(async move {
            sqlx::query(
                "INSERT INTO cluster_hosts (id, started_at, last_seen) VALUES ($1, $2, $2) \
                 ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen",
            )
            .bind(host)
            .bind(to_ms(now))
            .execute(self.pool())
            .await?;
            Ok(())
        })
    }

    fn live_hosts<'a>(&'a self, since: OffsetDateTime) -> StoreFuture<'a, Vec<HostRecord>> {
        op(async move {
            let rows = sqlx::query(
                "SELECT id, started_at, last_seen FROM cluster_hosts WHERE last_seen >= $1 ORDER BY id",
            )
            .bind(to_ms(since))
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(HostRecord {
                        id: row.try_get("id")?,
                        started_at: from_ms(row.try_get("started_at")?)?,
                        last_seen: from_ms(row.try_get("last_seen")?)?,
                    })
                })
                .collect()
        })
    }

    fn host_left<'a>(&'a self, host: &'a str) -> StoreFuture<'a, ()> {
        op(async move {
            sqlx::query("DELETE FROM cluster_hosts WHERE id = $1")
                .bind(host)
                .execute(self.pool())
                .await?;
            Ok(())
        })
    }

    fn try_lease<'a>(
        &'a self,
        name: &'a str,
        holder: &'a str,
        lease: Duration,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, LeaseTake> {
        op(async move {
            let now = to_ms(now);
            in_tx!(self, |conn| {
                // The row lock, held until the take commits, makes a racing taker wait and
                // then read this one's lease as the previous holder. With no row yet, the
                // upsert's conflict check orders two first takers instead.
                let previous: Option<String> = sqlx::query_scalar(
                    "SELECT holder FROM cluster_leases WHERE name = $1 FOR UPDATE",
                )
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
                // The WHERE lets only a free, expired or own lease change hands.
                let taken = sqlx::query(
                    "INSERT INTO cluster_leases (name, holder, until) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
                     WHERE cluster_leases.until < $4 OR cluster_leases.holder = excluded.holder \
                     RETURNING holder",
                )
                .bind(name)
                .bind(holder)
                .bind(now + duration_ms(lease))
                .bind(now)
                .fetch_optional(&mut *conn)
                .await?;
                Ok(LeaseTake::after(previous, holder, taken.is_some()))
            })
        })
    }

    fn release_lease<'a>(&'a self, name: &'a str, holder: &'a str) -> StoreFuture<'a, ()> {
        op(async move {
            sqlx::query("DELETE FROM cluster_leases WHERE name = $1 AND holder = $2")
                .bind(name)
                .bind(holder)
                .execute(self.pool())
                .await?;
            Ok(())
        })
    }

    fn reserve_erp_write<'a>(
        &'a self,
        account: &'a str,
        rate: u32,
        burst: u32,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Duration> {
        op(async move {
            let now = to_ms(now);
            let wait = in_tx!(self, |conn| {
                sqlx::query(
                    "INSERT INTO erp_pace (account, tat) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(account)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                // The row lock makes every host's reservation see the one before it.
                let tat: i64 =
                    sqlx::query_scalar("SELECT tat FROM erp_pace WHERE account = $1 FOR UPDATE")
                        .bind(account)
                        .fetch_one(&mut *conn)
                        .await?;
                let (next, wait) = gcra_step(Some(tat), now, rate, burst);
                sqlx::query("UPDATE erp_pace SET tat = $2 WHERE account = $1")
                    .bind(account)
                    .bind(next)
                    .execute(&mut *conn)
                    .await?;
                Ok(wait)
            })?;
            Ok(Duration::from_millis(wait.unsigned_abs()))
        })
    }
}
