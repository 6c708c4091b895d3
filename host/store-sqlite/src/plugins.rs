//! Plugin version history and builds by digest on SQLite.

use sqlx::SqliteConnection;
use time::OffsetDateTime;

use super::SqliteStore;
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

async fn active(
    conn: &mut SqliteConnection,
    client: &str,
    plugin: &str,
) -> Result<Option<PluginVersionRecord>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        plugin_cols!(),
        " FROM plugin_versions WHERE client = ? AND plugin = ? AND deactivated_at IS NULL"
    ))
    .bind(client)
    .bind(plugin)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(rows::plugin_version).transpose()
}

async fn close_active(
    conn: &mut SqliteConnection,
    id: i64,
    reason: &str,
    at: i64,
) -> Result<PluginVersionRecord, StoreError> {
    let row = sqlx::query(concat!(
        "UPDATE plugin_versions SET deactivated_at = ?, deactivation_reason = ? WHERE id = ? \
         RETURNING ",
        plugin_cols!()
    ))
    .bind(at)
    .bind(reason)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    rows::plugin_version(&row)
}

impl PluginVersions for SqliteStore {
    fn put_plugin_component<'a>(
        &'a self,
        digest: &'a str,
        plugin: &'a str,
        bytes: &'a [u8],
        source: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        let (digest, plugin, source) = (digest.to_owned(), plugin.to_owned(), source.to_owned());
        let bytes = bytes.to_vec();
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO plugin_components (digest, plugin, bytes, source, stored_at) \
                     VALUES (?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                )
                .bind(digest)
                .bind(plugin)
                .bind(bytes)
                .bind(source)
                .bind(to_ms(at))
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        }))
    }

    fn plugin_component<'a>(&'a self, digest: &'a str) -> StoreFuture<'a, Option<PluginComponent>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT digest, plugin, bytes, source, stored_at FROM plugin_components \
                 WHERE digest = ?",
            )
            .bind(digest)
            .fetch_optional(self.reader())
            .await?;
            row.as_ref().map(rows::plugin_component).transpose()
        })
    }

    fn active_plugin_versions(&self) -> StoreFuture<'_, Vec<PluginVersionRecord>> {
        Box::pin(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                plugin_cols!(),
                " FROM plugin_versions WHERE deactivated_at IS NULL ORDER BY client, plugin"
            ))
            .fetch_all(self.reader())
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
        let (client, plugin) = (client.to_owned(), plugin.to_owned());
        let (version_hash, label, reason) =
            (version_hash.to_owned(), label.to_owned(), reason.to_owned());
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let (client, plugin, version_hash) =
                    (client.as_str(), plugin.as_str(), version_hash.as_str());
                let (label, reason) = (label.as_str(), reason.as_str());
                let at = to_ms(at);
                if let Some(current) = active(conn, client, plugin).await? {
                    if current.version_hash == version_hash {
                        return Ok(current);
                    }
                    let why = format!("replaced: {reason}");
                    close_active(conn, current.id, &why, at).await?;
                }
                let row = sqlx::query(concat!(
                "INSERT INTO plugin_versions (client, plugin, version_hash, label, activated_at, \
                 reason) VALUES (?, ?, ?, ?, ?, ?) RETURNING ",
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
                let record = rows::plugin_version(&row)?;
                Ok(record)
            })
        }))
    }

    fn deactivate_plugin<'a>(
        &'a self,
        client: &'a str,
        plugin: &'a str,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, Option<PluginVersionRecord>> {
        let (client, plugin, reason) = (client.to_owned(), plugin.to_owned(), reason.to_owned());
        Box::pin(self.write(move |conn| {
            Box::pin(async move {
                let (client, plugin, reason) = (client.as_str(), plugin.as_str(), reason.as_str());
                let Some(current) = active(conn, client, plugin).await? else {
                    return Ok(None);
                };
                let closed = close_active(conn, current.id, reason, to_ms(at)).await?;
                Ok(Some(closed))
            })
        }))
    }

    fn active_plugin_version<'a>(
        &'a self,
        client: &'a str,
        plugin: &'a str,
    ) -> StoreFuture<'a, Option<PluginVersionRecord>> {
        Box::pin(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                plugin_cols!(),
                " FROM plugin_versions WHERE client = ? AND plugin = ? AND deactivated_at IS NULL"
            ))
            .bind(client)
            .bind(plugin)
            .fetch_optional(self.reader())
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
        Box::pin(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                plugin_cols!(),
                " FROM plugin_versions WHERE client = ?1 AND (?2 IS NULL OR plugin = ?2) \
                 AND id < ?4 ORDER BY id DESC LIMIT ?3"
            ))
            .bind(client)
            .bind(plugin)
            .bind(i64::from(limit))
            .bind(before.unwrap_or(i64::MAX))
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::plugin_version).collect()
        })
    }
}
