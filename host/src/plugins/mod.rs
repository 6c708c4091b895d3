//! Every change of a client's plugin goes through here, so each one is durable and reaches
//! every host sharing the store.
//!
//! - A change (admin API swap or rollback, a folder drop) is checked and swapped in locally
//!   first (compile, type-check, fixtures), then its build is stored by digest and recorded
//!   as the client's desired version: the open period of the version history.
//! - Every host follows the desired versions ([`PluginChanges::follow`]): one recorded on
//!   another host is loaded from the stored build, even by a host that never saw the file.
//! - At start a host restores the desired version instead of the file its config names,
//!   unless that file is a build the store has never seen: that is a new deploy, and wins.
//!
//! One change per client at a time, whichever path it comes from, so a follower never
//! undoes a swap that is being recorded.

mod calls;
mod follow;
mod guard;
pub mod replay;
pub mod shadow;
mod watch;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use selvedge_runtime::PluginRegistry;
use selvedge_runtime::registry::{ClientPlugin, SwapError, SwapReport};
use selvedge_store::{PluginVersionRecord, Store, StoreError};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use calls::{CallRecorder, kind_name, record_call};
pub use follow::FollowReport;
pub use guard::{AutoRolledBack, Guard};
pub use watch::{poll_folder, spawn_folder_watch};

/// Why a plugin change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The candidate was refused (or the client is unknown); the current version serves.
    #[error(transparent)]
    Swap(#[from] SwapError),
    /// The store could not record or read the change.
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    /// A file could not be read.
    #[error("client {client}: cannot read {path}: {reason}")]
    Read {
        client: String,
        path: String,
        reason: String,
    },
    /// The history names a build the store does not hold (e.g. recorded before builds were
    /// kept, or purged).
    #[error("client {client}: version {digest} has no stored build to load")]
    MissingBuild { client: String, digest: String },
    /// The client requires a shadow run before a swap, and this build has none that cleared.
    #[error("client {client}: build {digest} cannot go live: {why} (plugin.require_shadow)")]
    ShadowRequired {
        client: String,
        digest: String,
        why: String,
    },
    /// The stored bytes do not hash to the digest they are kept under.
    #[error("client {client}: the build stored as {digest} hashes to {actual}; refused")]
    CorruptBuild {
        client: String,
        digest: String,
        actual: String,
    },
}

/// A build offered for a client, and where it came from.
#[derive(Debug, Clone)]
pub struct NewBuild {
    /// Plugin id (the file's stem, or the name given with an upload).
    pub name: String,
    /// The `.wasm` component.
    pub bytes: Vec<u8>,
    /// Label kept in the history.
    pub label: Option<String>,
    /// Where the bytes came from (`config <path>`, `admin upload`, `folder <path>`).
    pub source: String,
}

impl NewBuild {
    /// A build read from `path`; its plugin id is the file's stem.
    pub fn from_file(path: &Path, bytes: Vec<u8>, label: String, source: String) -> Self {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "plugin".into());
        Self {
            name,
            bytes,
            label: Some(label),
            source,
        }
    }
}

/// Ticks every `interval` until the stop signal; a late tick is delayed, never bunched.
struct Ticks {
    ticker: tokio::time::Interval,
    stop: tokio::sync::watch::Receiver<bool>,
}

impl Ticks {
    fn new(interval: std::time::Duration, stop: tokio::sync::watch::Receiver<bool>) -> Self {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self { ticker, stop }
    }

    /// Waits for the next tick; `false` once the host is stopping.
    async fn next(&mut self) -> bool {
        tokio::select! {
            _ = self.ticker.tick() => {}
            _ = self.stop.changed() => {}
        }
        !*self.stop.borrow()
    }
}

/// The SHA-256 of a build, as the history and the runtime name versions.
pub fn digest_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Plugin changes of every client of this host.
pub struct PluginChanges {
    store: Arc<dyn Store>,
    registry: Arc<PluginRegistry>,
    /// One change per client at a time (swap, rollback, folder drop, follow).
    locks: BTreeMap<String, tokio::sync::Mutex<()>>,
    /// (client, digest) this host failed to load while following: not retried every tick.
    refused: std::sync::Mutex<std::collections::BTreeSet<(String, String)>>,
    /// Auto-rollback settings per client (none: not guarded).
    guards: BTreeMap<String, Guard>,
    /// Version changes under the guard's watch, by client.
    watched: std::sync::Mutex<BTreeMap<String, guard::Watched>>,
    /// Clients whose new builds need a clean or accepted shadow run (`require_shadow`).
    shadow_gated: std::collections::BTreeSet<String>,
}

impl PluginChanges {
    /// For the clients of `registry` named in `clients`.
    pub fn new(
        store: Arc<dyn Store>,
        registry: Arc<PluginRegistry>,
        clients: impl IntoIterator<Item = String>,
    ) -> Self {
        Self {
            store,
            registry,
            locks: clients
                .into_iter()
                .map(|c| (c, tokio::sync::Mutex::new(())))
                .collect(),
            refused: std::sync::Mutex::default(),
            guards: BTreeMap::new(),
            watched: std::sync::Mutex::default(),
            shadow_gated: std::collections::BTreeSet::new(),
        }
    }

    /// Guards each listed client's version changes with its auto-rollback settings.
    /// New builds of these clients go live only after a shadow run cleared them.
    pub fn with_shadow_gate(mut self, clients: impl IntoIterator<Item = String>) -> Self {
        self.shadow_gated = clients.into_iter().collect();
        self
    }

    pub fn with_guards(mut self, guards: impl IntoIterator<Item = (String, Guard)>) -> Self {
        self.guards = guards.into_iter().collect();
        self
    }

    /// The client's plugin slot.
    pub fn slot(&self, client: &str) -> Result<Arc<ClientPlugin>, ChangeError> {
        Ok(self.registry.client(client)?)
    }

    async fn lock(&self, client: &str) -> Result<tokio::sync::MutexGuard<'_, ()>, ChangeError> {
        match self.locks.get(client) {
            Some(lock) => Ok(lock.lock().await),
            None => Err(SwapError::UnknownClient(client.to_owned()).into()),
        }
    }

    /// Checks and swaps in `build` for `client`, stores it and makes it the desired version
    /// on every host; `reason` goes to the history.
    pub async fn install(
        &self,
        client: &str,
        build: NewBuild,
        reason: &str,
    ) -> Result<SwapReport, ChangeError> {
        let _one_change = self.lock(client).await?;
        // A deploy (the configured file at start) is not gated: only live changes are.
        if self.shadow_gated.contains(client) {
            self.check_shadow_cleared(client, &digest_of(&build.bytes))
                .await?;
        }
        self.install_locked(client, build, reason).await
    }

    async fn install_locked(
        &self,
        client: &str,
        build: NewBuild,
        reason: &str,
    ) -> Result<SwapReport, ChangeError> {
        let slot = self.slot(client)?;
        let NewBuild {
            name,
            bytes,
            label,
            source,
        } = build;
        let old = slot.current().map(|v| v.version.clone());
        let report = slot.install_bytes(&name, bytes.clone(), label).await?;
        self.store
            .put_plugin_component(
                &report.to,
                &report.plugin,
                &bytes,
                &source,
                OffsetDateTime::now_utc(),
            )
            .await?;
        self.record(&slot, &report, reason).await?;
        self.watch_change(client, old);
        Ok(report)
    }

    /// Goes back to the previous version: the one this host still has compiled (instant), or
    /// after a restart or on another host, the last other version of the durable history,
    /// loaded from its stored build. Either way it becomes the desired version everywhere.
    pub async fn rollback(&self, client: &str, reason: &str) -> Result<SwapReport, ChangeError> {
        let _one_change = self.lock(client).await?;
        let slot = self.slot(client)?;
        let report = if slot.previous_versions().is_empty() {
            let current = slot
                .current()
                .map(|v| v.version.clone())
                .ok_or_else(|| SwapError::NoPlugin(client.to_owned()))?;
            let history = self.store.plugin_history(client, None, 100).await?;
            let previous = history
                .into_iter()
                .find(|p| p.version_hash != current)
                .ok_or_else(|| SwapError::NoPrevious(client.to_owned()))?;
            self.load_stored(&slot, &previous).await?
        } else {
            slot.rollback()?
        };
        self.record(&slot, &report, reason).await?;
        // Back to a version already judged: nothing to watch.
        self.unwatch(client);
        Ok(report)
    }

    /// Installs the client's plugin at start: the desired version the store records, or the
    /// configured file when the store has no desired version yet or has never seen that
    /// file's build (a new deploy). A desired version that cannot be loaded here falls back
    /// to the configured file, which then becomes the desired version.
    pub async fn start_client(
        &self,
        client: &str,
        configured: &Path,
    ) -> Result<SwapReport, ChangeError> {
        let _one_change = self.lock(client).await?;
        let bytes = tokio::fs::read(configured)
            .await
            .map_err(|e| ChangeError::Read {
                client: client.to_owned(),
                path: configured.display().to_string(),
                reason: e.to_string(),
            })?;
        let digest = digest_of(&bytes);
        let known = self.store.plugin_component(&digest).await?.is_some();
        let desired = self.desired(client).await?;
        let reason = match &desired {
            Some(d) if known && d.version_hash != digest => {
                let slot = self.slot(client)?;
                match self.load_stored(&slot, d).await {
                    Ok(report) => {
                        tracing::info!(%client, version = %report.to, "restored the desired plugin version");
                        return Ok(report);
                    }
                    Err(err) => {
                        tracing::error!(%client, %err, "the desired plugin version cannot be loaded; installing the configured file");
                        "startup: the desired version could not be loaded"
                    }
                }
            }
            Some(d) if d.version_hash != digest => "startup: a new configured build",
            _ => "startup",
        };
        let source = format!("config {}", configured.display());
        let build = NewBuild::from_file(configured, bytes, "config".into(), source);
        self.install_locked(client, build, reason).await
    }

    /// A gated client's build may go live: its newest shadow run changed nothing or was
    /// accepted. The build the client already runs needs none.
    async fn check_shadow_cleared(&self, client: &str, digest: &str) -> Result<(), ChangeError> {
        let slot = self.slot(client)?;
        if slot.current().is_some_and(|v| v.version == digest) {
            return Ok(());
        }
        let newest = self.store.shadow_runs(client, Some(digest), 1).await?;
        let why = match newest.first() {
            Some(run) if run.clears() => return Ok(()),
            Some(run) => format!(
                "its shadow run {} changed {} decision(s) and nobody accepted them \
                 (`selvedge plugin shadow-accept {client} {}` after review)",
                run.id, run.run.changed, run.id
            ),
            None => {
                format!("it has no shadow run (`selvedge plugin shadow {client} <plugin.wasm>`)")
            }
        };
        Err(ChangeError::ShadowRequired {
            client: client.to_owned(),
            digest: digest.to_owned(),
            why,
        })
    }

    /// The client's desired version: its open period (the newest, should there be more).
    async fn desired(&self, client: &str) -> Result<Option<PluginVersionRecord>, ChangeError> {
        let open = self.store.active_plugin_versions().await?;
        Ok(open
            .into_iter()
            .filter(|p| p.client == client)
            .max_by_key(|p| (p.activated_at, p.id)))
    }

    /// Loads a recorded version from its stored build, checking the bytes against the digest.
    async fn load_stored(
        &self,
        slot: &ClientPlugin,
        version: &PluginVersionRecord,
    ) -> Result<SwapReport, ChangeError> {
        let client = slot.client().to_owned();
        let build = self
            .store
            .plugin_component(&version.version_hash)
            .await?
            .ok_or_else(|| ChangeError::MissingBuild {
                client: client.clone(),
                digest: version.version_hash.clone(),
            })?;
        let actual = digest_of(&build.bytes);
        if actual != version.version_hash {
            return Err(ChangeError::CorruptBuild {
                client,
                digest: version.version_hash.clone(),
                actual,
            });
        }
        let label = Some(version.label.clone()).filter(|l| !l.is_empty());
        Ok(slot
            .install_bytes(&version.plugin, build.bytes, label)
            .await?)
    }

    /// Writes a change to the durable history. An open period of another plugin id (another
    /// plugin replaced it, here or on another host) is closed too, so one period is open.
    async fn record(
        &self,
        slot: &ClientPlugin,
        report: &SwapReport,
        reason: &str,
    ) -> Result<(), ChangeError> {
        let now = OffsetDateTime::now_utc();
        let open = self.store.active_plugin_versions().await?;
        for old in open
            .iter()
            .filter(|p| p.client == report.client && p.plugin != report.plugin)
        {
            let why = format!("replaced by {}", report.plugin);
            self.store
                .deactivate_plugin(&report.client, &old.plugin, &why, now)
                .await?;
        }
        let label = slot
            .current()
            .and_then(|v| v.label.clone())
            .unwrap_or_default();
        self.store
            .activate_plugin_version(
                &report.client,
                &report.plugin,
                &report.to,
                &label,
                reason,
                now,
            )
            .await?;
        tracing::info!(client = %report.client, plugin = %report.plugin, to = %report.to, reason, "plugin version changed");
        Ok(())
    }
}
