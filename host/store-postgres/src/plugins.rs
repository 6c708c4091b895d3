//! Plugin version history on PostgreSQL. The active period is read `FOR UPDATE`; two hosts
//! activating the first version at once race for the partial unique index, and the loser
//! runs again ([`crate::in_tx!`]) to find the winner's period.

use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{PgStore, in_tx, op};
use selvedge_store::rows;
use selvedge_store::timestamp::to_ms;
use selvedge_store::{
    PluginComponent, PluginVersionRecord, PluginVersions, StoreError, StoreFuture,
};

macro_rules! plugin_cols {
    () => {
        "id, client, plugin, version_hash, label, activated_at, reason, deactivated_at, \
         deactivation_reason"
    };
}

/// The active period, locked until the transaction ends.
async fn active(
    conn: &mut PgConnection,
    client: &str,
    plugin: &str,
) -> Result<Option<PluginVersionRecord>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        plugin_cols!(),
        " FROM plugin_versions WHERE client = $1 AND plugin = $2 AND deactivated_at IS NULL \
         FOR UPDATE"
    ))
    .bind(client)
    .bind(plugin)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(rows::plugin_version).transpose()
}

async fn close_active(
    conn: &mut PgConnection,
    id: i64,
    reason: &str,
    at: i64,
) -> Result<PluginVersionRecord, StoreError> {
    let row = sqlx::query(concat!(
        "UPDATE plugin_versions SET deactivated_at = $1, deactivation_reason = $2 \
         WHERE id = $3 RETURNING ",
        plugin_cols!()
    ))
    .bind(at)
    .bind(reason)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    rows::plugin_version(&row)
}

impl PluginVersions for PgStore {
    fn put_plugin_component<'a>(
        &'a self,
        digest: &'a str,
        plugin: &'a str,
        bytes: &'a [u8],
        source: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        op(async move {
            sqlx::query(
                "INSERT INTO plugin_components (digest, plugin, bytes, source, stored_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (digest) DO NOTHING",
            )
            .bind(digest)
            .bind(plugin)
            .bind(bytes)
            .bind(source)
            .bind(to_ms(at))
            .execute(self.pool())
            .await?;
            Ok(())
        })
    }

    fn plugin_component<'a>(&'a self, digest: &'a str) -> StoreFuture<'a, Option<PluginComponent>> {
        op(async move {
            let row = sqlx::query(
                "SELECT digest, plugin, bytes, source, stored_at FROM plugin_components \
                 WHERE digest = $1",
            )
            .bind(digest)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(rows::plugin_component).transpose()
        })
    }

    fn active_plugin_versions(&self) -> StoreFuture<'_, Vec<PluginVersionRecord>> {
        op(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                plugin_cols!(),
                " FROM plugin_versions WHERE deactivated_at IS NULL ORDER BY client, plugin"
            ))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::plugin_version).collect()
        })
    }

    fn activate_plugin_version<'a>(
        &'a self,
        client: &'a str,
        plugin: &'a str,
        version_hash: &'a str,
        label: &'a str,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, PluginVersionRecord> {
        let at = to_ms(at);
        op(async move {
            in_tx!(self, |conn| {
                if let Some(current) = active(conn, client, plugin).await? {
                    if current.version_hash == version_hash {
                        return Ok(current);
                    }
                    let why = format!("replaced: {reason}");
                    close_active(conn, current.id, &why, at).await?;
                }
                let row = sqlx::query(concat!(
                    "INSERT INTO plugin_versions (client, plugin, version_hash, label, \
                     activated_at, reason) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
                    plugin_cols!()
                ))
                .bind(client)
                .bind(plugin)
                .bind(version_hash)
                .bind(label)
                .bind(at)
                .bind(reason)
                .fetch_one(&mut *conn)
                .await?;
                rows::plugin_version(&row)
            })
        })
    }

    fn deactivate_plugin<'a>(
        &'a self,
        client: &'a str,
        plugin: &'a str,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, Option<PluginVersionRecord>> {
        let at = to_ms(at);
        op(async move {
            in_tx!(self, |conn| {
                let Some(current) = active(conn, client, plugin).await? else {
                    return Ok(None);
                };
                Ok(Some(close_active(conn, current.id, reason, at).await?))
            })
        })
    }

    fn active_plugin_version<'a>(
        &'a self,
        client: &'a str,
        plugin: &'a str,
    ) -> StoreFuture<'a, Option<PluginVersionRecord>> {
        op(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                plugin_cols!(),
                " FROM plugin_versions WHERE client = $1 AND plugin = $2 \
                 AND deactivated_at IS NULL"
            ))
            .bind(client)
            .bind(plugin)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(rows::plugin_version).transpose()
        })
    }

    fn plugin_history_before<'a>(
        &'a self,
        client: &'a str,
        plugin: Option<&'a str>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<PluginVersionRecord>> {
        op(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                plugin_cols!(),
                " FROM plugin_versions WHERE client = $1 AND ($2::text IS NULL OR plugin = $2) \
                 AND id < $4 ORDER BY id DESC LIMIT $3"
            ))
            .bind(client)
            .bind(plugin)
            .bind(i64::from(limit))
            .bind(before.unwrap_or(i64::MAX))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::plugin_version).collect()
        })
    }
}
