//! `selvedge.toml`: settings of the host process itself.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// The host: where state lives, what it listens on, how plugins run.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// Folder for the SQLite state file and the compiled-plugin cache; relative paths are
    /// resolved against the config folder.
    #[serde(default = "defaults::data_dir")]
    pub data_dir: PathBuf,
    /// Address the storefront webhook endpoint listens on (BigCommerce delivers here).
    #[serde(default = "defaults::webhook_listen")]
    pub webhook_listen: SocketAddr,
    /// Public base URL the storefronts deliver webhooks to (the webhook listener as seen from
    /// outside, e.g. behind a proxy). Defaults to `http://<webhook_listen>`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Address of the admin endpoint (dashboard, admin API, metrics); loopback by default. It
    /// needs the bearer token `[admin] token_env` names.
    #[serde(default = "defaults::admin_listen")]
    pub admin_listen: SocketAddr,
    /// Owner teams an exception can be routed to; `[owners]` in a client file may only name these.
    #[serde(default = "defaults::teams")]
    pub teams: Vec<String>,
    /// Plugin engine options.
    #[serde(default)]
    pub plugins: PluginEngineConfig,
    /// `[admin]`: admin API / dashboard token and public URL.
    #[serde(default)]
    pub admin: crate::http::AdminSettings,
    /// `[alerts]`: when owner teams are alerted, and where.
    #[serde(default)]
    pub alerts: crate::alerts::AlertSettings,
    /// Flow runs in flight at once across every client (0 = no cap): many clients' schedules
    /// tick together, and each run holds its own working set.
    #[serde(default = "defaults::max_concurrent_runs")]
    pub max_concurrent_runs: usize,
    /// `[jobs]`: the job engine every client's orders and refunds run on.
    #[serde(default)]
    pub jobs: crate::jobs::JobsConfig,
    /// `[retention]`: how long finished jobs, histories, decisions and runs are kept.
    #[serde(default)]
    pub retention: crate::retention::RetentionConfig,
    /// `[store]`: the embedded SQLite file (default) or a PostgreSQL database hosts share.
    #[serde(default)]
    pub store: crate::store::StoreConfig,
    /// `[cluster]`: this host among the others sharing the store (PostgreSQL only).
    #[serde(default)]
    pub cluster: crate::cluster::ClusterConfig,
}

/// `[plugins]` in `selvedge.toml`: the one wasmtime engine every client shares.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PluginEngineConfig {
    /// Count fuel (instructions) so calls report it and obey each client's fuel limit.
    pub fuel_metering: bool,
    /// Plugin calls that may run at once across all clients; more wait for a slot.
    pub max_concurrent_calls: u32,
    /// Largest linear memory any client's plugin may be given, MiB.
    pub max_memory_mib: usize,
    /// Folder of the compiled-component cache, shared with `selvedge plugin test` and
    /// `selvedge check`; default `$SELVEDGE_PLUGIN_CACHE`, else the user's cache folder
    /// (`$XDG_CACHE_HOME` or `~/.cache`)`/selvedge/plugin-cache`, else
    /// `<data_dir>/plugin-cache`.
    pub cache_dir: Option<PathBuf>,
    /// How often watched plugin folders are checked for a dropped `.wasm`, milliseconds.
    pub watch_interval_ms: u64,
}

impl PluginEngineConfig {
    /// The compile cache folder this config means (see `cache_dir`).
    pub fn cache_folder(&self, data_dir: &std::path::Path) -> PathBuf {
        self.cache_dir
            .clone()
            .or_else(selvedge_runtime::cache::default_dir)
            .unwrap_or_else(|| data_dir.join("plugin-cache"))
    }
}

impl Default for PluginEngineConfig {
    fn default() -> Self {
        Self {
            fuel_metering: true,
            max_concurrent_calls: 32,
            max_memory_mib: 512,
            cache_dir: None,
            watch_interval_ms: 2_000,
        }
    }
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            data_dir: defaults::data_dir(),
            webhook_listen: defaults::webhook_listen(),
            public_url: None,
            admin_listen: defaults::admin_listen(),
            teams: defaults::teams(),
            plugins: PluginEngineConfig::default(),
            admin: crate::http::AdminSettings::default(),
            alerts: crate::alerts::AlertSettings::default(),
            max_concurrent_runs: defaults::max_concurrent_runs(),
            jobs: crate::jobs::JobsConfig::default(),
            retention: Default::default(),
            store: Default::default(),
            cluster: Default::default(),
        }
    }
}

impl HostConfig {
    /// Where storefronts deliver webhooks.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.webhook_listen))
            .trim_end_matches('/')
            .to_string()
    }
}

/// Defaults of `selvedge.toml`, in one place.
mod defaults {
    use std::net::SocketAddr;
    use std::path::PathBuf;

    pub fn data_dir() -> PathBuf {
        PathBuf::from("data")
    }
    pub fn webhook_listen() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 8480))
    }
    pub fn admin_listen() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 8481))
    }
    pub fn max_concurrent_runs() -> usize {
        4
    }
    pub fn teams() -> Vec<String> {
        ["finance", "operations", "ecommerce"]
            .map(String::from)
            .to_vec()
    }
}
