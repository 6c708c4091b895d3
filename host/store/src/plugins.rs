//! Plugin versions: which build of a client plugin was active when and why, and the builds
//! themselves by content digest.
//!
//! The open period of a client is its *desired* version: every host sharing the store runs
//! it, and a host that has never seen that build loads it from [`PluginComponent`] bytes.

use time::OffsetDateTime;

use crate::StoreFuture;

/// One activation period of a plugin version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginVersionRecord {
    /// Store-assigned id.
    pub id: i64,
    /// Client.
    pub client: String,
    /// Plugin id.
    pub plugin: String,
    /// Hash of the plugin build.
    pub version_hash: String,
    /// Human label (e.g. a version string or file name).
    pub label: String,
    /// When it became active.
    pub activated_at: OffsetDateTime,
    /// Why it was activated (e.g. `startup`, `hot reload`).
    pub reason: String,
    /// When it stopped being active; `None` while active.
    pub deactivated_at: Option<OffsetDateTime>,
    /// Why it stopped.
    pub deactivation_reason: Option<String>,
}

/// A plugin build kept by its content digest, so any host can load it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginComponent {
    /// SHA-256 of `bytes`, lowercase hex (the version hash the history names).
    pub digest: String,
    /// Plugin id it was first stored under.
    pub plugin: String,
    /// The `.wasm` component.
    pub bytes: Vec<u8>,
    /// Where it came from (`config <path>`, `admin upload`, `folder <path>`).
    pub source: String,
    /// When it was first stored.
    pub stored_at: OffsetDateTime,
}

/// Plugin version history and the builds it names.
pub trait PluginVersions: Send + Sync {
    /// Keeps a build under its digest. Storing a digest that is already kept changes nothing
    /// (the first source and time stay). The caller computed `digest` from `bytes`; readers
    /// check it again before running the build.
    fn put_plugin_component<'a>(
        &'a self,
        digest: &'a str,
        plugin: &'a str,
        bytes: &'a [u8],
        source: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()>;

    /// The build kept under `digest`, if any.
    fn plugin_component<'a>(&'a self, digest: &'a str) -> StoreFuture<'a, Option<PluginComponent>>;

    /// Every open period (each client's desired version), by client and plugin.
    fn active_plugin_versions(&self) -> StoreFuture<'_, Vec<PluginVersionRecord>>;

    /// Makes a version the active one for (client, plugin), closing the previous period in
    /// the same transaction. Activating the version that is already active is a no-op and
    /// returns the current period.
    fn activate_plugin_version<'a>(
        &'a self,
        client: &'a str,
        plugin: &'a str,
        version_hash: &'a str,
        label: &'a str,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, PluginVersionRecord>;

    /// Closes the active period (plugin removed or failed to load). Returns it, if any.
    fn deactivate_plugin<'a>(
        &'a self,
        client: &'a str,
        plugin: &'a str,
        reason: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, Option<PluginVersionRecord>>;

    /// The active version, if any.
    fn active_plugin_version<'a>(
        &'a self,
        client: &'a str,
        plugin: &'a str,
    ) -> StoreFuture<'a, Option<PluginVersionRecord>>;

    /// History of a client's plugins (one plugin or all), newest first.
    fn plugin_history<'a>(
        &'a self,
        client: &'a str,
        plugin: Option<&'a str>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<PluginVersionRecord>> {
        self.plugin_history_before(client, plugin, None, limit)
    }

    /// A page of [`PluginVersions::plugin_history`]: periods with an id below `before` (the
    /// last id of the previous page), newest first.
    fn plugin_history_before<'a>(
        &'a self,
        client: &'a str,
        plugin: Option<&'a str>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<PluginVersionRecord>>;
}
