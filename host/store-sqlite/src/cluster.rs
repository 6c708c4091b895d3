//! Cluster membership, leases and the ERP pace on SQLite. One SQLite file serves one host, so
//! these matter little here, but the same contract holds on every backend.

use std::time::Duration;

use sqlx::Row;
use time::OffsetDateTime;

use super::SqliteStore;
use selvedge_store::cluster::gcra_step;
use selvedge_store::timestamp::{duration_ms, from_ms, to_ms};
use selvedge_store::{Cluster, HostRecord, LeaseTake, StoreFuture};

impl Cluster for SqliteStore {
    fn host_heartbeat<'a>(&'a self, host: &'a str, now: OffsetDateTime) -> StoreFuture<'a, ()> {
        let (host, now) = (host.to_owned(), to_ms(now));
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO cluster_hosts (id, started_at, last_seen) VALUES (?1, ?2, ?2) \
                     ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen",
                )
                .bind(&host)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        }))
    }

    fn live_hosts<'a>(&'a self, since: OffsetDateTime) -> StoreFuture<'a, Vec<HostRecord>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT id, started_at, last_seen FROM cluster_hosts WHERE last_seen >= ? ORDER BY id",
            )
            .bind(to_ms(since))
            .fetch_all(self.reader())
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
        let host = host.to_owned();
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                sqlx::query("DELETE FROM cluster_hosts WHERE id = ?")
                    .bind(&host)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        }))
    }

    fn try_lease<'a>(
        &'a self,
        name: &'a str,
        holder: &'a str,
        lease: Duration,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, LeaseTake> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        let (now, until) = (to_ms(now), to_ms(now) + duration_ms(lease));
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                // The write transaction (`BEGIN IMMEDIATE`) holds the file, so no other handle
                // changes the lease between this read and the take.
                let previous: Option<String> =
                    sqlx::query_scalar("SELECT holder FROM cluster_leases WHERE name = ?")
                        .bind(&name)
                        .fetch_optional(&mut *conn)
                        .await?;
                let taken = sqlx::query(
                    "INSERT INTO cluster_leases (name, holder, until) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
                     WHERE cluster_leases.until < ?4 OR cluster_leases.holder = excluded.holder \
                     RETURNING holder",
                )
                .bind(&name)
                .bind(&holder)
                .bind(until)
                .bind(now)
                .fetch_optional(&mut *conn)
                .await?;
                Ok(LeaseTake::after(previous, &holder, taken.is_some()))
            })
        }))
    }

    fn release_lease<'a>(&'a self, name: &'a str, holder: &'a str) -> StoreFuture<'a, ()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                sqlx::query("DELETE FROM cluster_leases WHERE name = ? AND holder = ?")
                    .bind(&name)
                    .bind(&holder)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        }))
    }

    fn reserve_erp_write<'a>(
        &'a self,
        account: &'a str,
        rate: u32,
        burst: u32,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Duration> {
        let (account, now) = (account.to_owned(), to_ms(now));
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                // The single writer serialises this read and write.
                let tat: Option<i64> =
                    sqlx::query_scalar("SELECT tat FROM erp_pace WHERE account = ?")
                        .bind(&account)
                        .fetch_optional(&mut *conn)
                        .await?;
                let (next, wait) = gcra_step(tat, now, rate, burst);
                sqlx::query(
                    "INSERT INTO erp_pace (account, tat) VALUES (?, ?) \
                     ON CONFLICT (account) DO UPDATE SET tat = excluded.tat",
                )
                .bind(&account)
                .bind(next)
                .execute(&mut *conn)
                .await?;
                Ok(Duration::from_millis(wait.unsigned_abs()))
            })
        }))
    }
}
