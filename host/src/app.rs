//! Builds the running host from a config: the store, the plugin engine and one
//! [`ClientServices`] per client (ERP client, storefront client, plugin slot, owners).
//!
//! Order matters: every secret is resolved and every connector client built before anything
//! is opened or compiled, so a bad config fails in milliseconds with exit code 2.

use std::sync::Arc;
use std::time::Duration;

use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bluecherry::{BlueCherryClient, ErpGateway};
use selvedge_runtime::watch::WatchedFolder;
use selvedge_runtime::{PluginRegistry, Runtime, RuntimeOptions};
use selvedge_sparklayer::SparklayerClient;
use selvedge_store::Store;
use time::OffsetDateTime;

use crate::config::{ClientConfig, Config, ConfigError, Secrets, StorefrontConfig, bluecherry_key};
use crate::exit::CliError;
use crate::flows::ClientServices;
use crate::storefronts::Storefront;
use crate::storefronts::bigcommerce::BigCommerce;
use crate::storefronts::sparklayer::Sparklayer;

/// Why the host could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The config (or a secret it names) is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The state store could not be opened.
    #[error("state store: {0}")]
    Store(#[from] selvedge_store::StoreError),
    /// The configured store could not be opened.
    #[error("state store: {0}")]
    OpenStore(#[from] crate::store::OpenError),
    /// The plugin engine could not start.
    #[error("plugin engine: {0}")]
    Engine(String),
    /// A client's plugin could not be loaded or failed its fixtures.
    #[error(
        "{file}: plugin of client {client} cannot be installed: {reason}\n  fix: run `selvedge plugin test <plugin.wasm> <fixtures>` and correct the plugin or its [plugin] section"
    )]
    Plugin {
        /// Client file.
        file: String,
        /// Client id.
        client: String,
        /// What failed.
        reason: String,
    },
}

impl From<AppError> for CliError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Config(_) | AppError::Plugin { .. } => CliError::bad_input(err.to_string()),
            AppError::OpenStore(crate::store::OpenError::Config(_)) => {
                CliError::bad_input(err.to_string())
            }
            AppError::Store(_) | AppError::OpenStore(_) | AppError::Engine(_) => {
                CliError::runtime(err.to_string())
            }
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(err: ConfigError) -> Self {
        CliError::bad_input(err.to_string())
    }
}

/// One client, ready to run.
#[derive(Clone)]
pub struct ClientApp {
    /// What the flows get.
    pub services: ClientServices,
    /// The client's config.
    pub config: ClientConfig,
    /// Secret BigCommerce webhooks carry (BigCommerce clients only).
    pub webhook_secret: Option<String>,
    /// The `producer` its webhooks must name (`stores/{store_hash}`; BigCommerce clients only).
    pub webhook_producer: Option<String>,
}

/// The running host's parts.
pub struct App {
    /// The whole config.
    pub config: Config,
    /// The state store (SQLite or PostgreSQL), as every part of the host sees it.
    pub store: Arc<dyn Store>,
    /// Every client's plugin slot.
    pub registry: Arc<PluginRegistry>,
    /// Every plugin change (swap, rollback, folder drop, following other hosts) goes here.
    pub plugins: Arc<crate::plugins::PluginChanges>,
    /// Every client, in config order.
    pub clients: Vec<ClientApp>,
    /// The ERP write limiters of every Blue Cherry account (stopped at shutdown).
    pub erp_accounts: Arc<crate::jobs::pacing::ErpAccounts>,
}

/// Connector clients of one client, built before anything is opened.
struct Connections {
    erp: Arc<dyn ErpGateway>,
    /// Which Blue Cherry account the client writes to (for the shared pacing).
    erp_account: String,
    storefront: Arc<dyn Storefront>,
    webhook_secret: Option<String>,
    webhook_producer: Option<String>,
}

/// HTTP clients (connection pools, TLS config) shared by every client's connectors; the
/// connectors set their timeouts and headers per request. Blue Cherry clients are grouped
/// by connect timeout, the one setting that lives in the HTTP client.
#[derive(Default)]
struct SharedHttp {
    storefronts: Option<reqwest::Client>,
    erp: std::collections::BTreeMap<u64, reqwest::Client>,
}

impl SharedHttp {
    fn storefronts(&mut self) -> Result<reqwest::Client, reqwest::Error> {
        if let Some(http) = &self.storefronts {
            return Ok(http.clone());
        }
        let http = reqwest::Client::builder().build()?;
        self.storefronts = Some(http.clone());
        Ok(http)
    }

    fn erp(
        &mut self,
        config: &selvedge_bluecherry::BlueCherryConfig,
    ) -> Result<reqwest::Client, selvedge_bluecherry::BlueCherryError> {
        if let Some(http) = self.erp.get(&config.connect_timeout_ms) {
            return Ok(http.clone());
        }
        let http = BlueCherryClient::http_client(config)?;
        self.erp.insert(config.connect_timeout_ms, http.clone());
        Ok(http)
    }
}

fn connect(
    client: &ClientConfig,
    secrets: &Secrets,
    http: &mut SharedHttp,
) -> Result<Connections, ConfigError> {
    let file = &client.file;
    let key = bluecherry_key(&client.bluecherry, secrets, file)?;
    let erp_account = crate::jobs::pacing::account_key(&client.bluecherry.base_url, &key);
    let erp = http
        .erp(&client.bluecherry)
        .and_then(|shared| BlueCherryClient::with_http(&client.bluecherry, key, shared))
        .map_err(|e| {
            ConfigError::invalid(
                file,
                "bluecherry",
                e.to_string(),
                "correct the [bluecherry] section",
            )
        })?;
    let mut storefront_http = |section: &str| {
        http.storefronts().map_err(|e| {
            ConfigError::invalid(
                file,
                section,
                format!("cannot build HTTP client: {e}"),
                "check the host's TLS setup",
            )
        })
    };
    let (storefront, webhook_secret, webhook_producer): (Arc<dyn Storefront>, _, _) =
        match &client.storefront {
            StorefrontConfig::BigCommerce(section) => {
                let config = section.resolve(secrets, file)?;
                let secret = secrets.get(
                    &client.orders.webhook_secret_env,
                    file,
                    "orders.webhook_secret_env",
                )?;
                let shared = storefront_http("bigcommerce")?;
                let bc = BigCommerceClient::with_http(config, shared).map_err(|e| {
                    ConfigError::invalid(
                        file,
                        "bigcommerce",
                        e.to_string(),
                        "correct the [bigcommerce] section",
                    )
                })?;
                let producer = format!("stores/{}", bc.config().store_hash);
                (
                    Arc::new(BigCommerce::new(Arc::new(bc))),
                    Some(secret),
                    Some(producer),
                )
            }
            StorefrontConfig::Sparklayer(section) => {
                let config = section.resolve(secrets, file)?;
                let shared = storefront_http("sparklayer")?;
                let sl = SparklayerClient::with_http(config, shared).map_err(|e| {
                    ConfigError::invalid(
                        file,
                        "sparklayer",
                        e.to_string(),
                        "correct the [sparklayer] section",
                    )
                })?;
                (Arc::new(Sparklayer::new(Arc::new(sl))), None, None)
            }
        };
    Ok(Connections {
        erp_account,
        erp: Arc::new(erp),
        storefront,
        webhook_secret,
        webhook_producer,
    })
}

/// Two clients whose webhook secrets hold the same value could sign each other's deliveries
/// (the config check compares variable names; this compares what they hold).
fn check_distinct_secrets(
    clients: &[ClientConfig],
    connections: &[Connections],
) -> Result<(), ConfigError> {
    let mut seen: std::collections::HashMap<&str, &ClientConfig> = Default::default();
    for (c, conn) in clients.iter().zip(connections) {
        if let Some(secret) = conn.webhook_secret.as_deref()
            && let Some(first) = seen.insert(secret, c)
        {
            return Err(ConfigError::invalid(
                &c.file,
                "orders.webhook_secret_env",
                format!(
                    "`{}` holds the same secret as client `{}`'s webhook secret",
                    c.orders.webhook_secret_env, first.id
                ),
                "give every client its own webhook secret",
            ));
        }
    }
    Ok(())
}

impl App {
    /// Builds everything the config describes and installs each client's plugin (which
    /// must pass its fixtures). Runs marked `running` by a previous process are closed.
    pub async fn build(config: Config, secrets: &Secrets) -> Result<App, AppError> {
        Self::build_for(config, secrets, true).await
    }

    /// [`App::build`]; `close_unfinished` false for a one-off run beside a host that may be
    /// serving the same file (its runs in progress are its own, not left over).
    pub async fn build_for(
        config: Config,
        secrets: &Secrets,
        close_unfinished: bool,
    ) -> Result<App, AppError> {
        let mut http = SharedHttp::default();
        let connections = config
            .clients
            .iter()
            .map(|c| connect(c, secrets, &mut http))
            .collect::<Result<Vec<_>, _>>()?;
        check_distinct_secrets(&config.clients, &connections)?;
        let location = crate::store::StoreLocation::of(&config.host);
        let store = crate::store::open(
            &location,
            secrets,
            &config.dir.join(crate::config::HOST_FILE),
        )
        .await?;
        tracing::info!(store = %location.describe(), "state store opened");
        // On a shared store the runs marked running may be another live host's.
        let closed = if location.is_shared() || !close_unfinished {
            0
        } else {
            store
                .fail_unfinished_runs(
                    "the host stopped before the run finished",
                    OffsetDateTime::now_utc(),
                )
                .await?
        };
        if closed > 0 {
            tracing::warn!(
                closed,
                "closed runs left unfinished by the previous process"
            );
        }
        let engine = &config.host.plugins;
        let runtime = Runtime::new(RuntimeOptions {
            fuel_metering: engine.fuel_metering,
            max_concurrent_calls: engine.max_concurrent_calls,
            max_memory_bytes: engine.max_memory_mib << 20,
            cache_dir: Some(engine.cache_folder(&config.host.data_dir)),
            ..RuntimeOptions::default()
        })
        .map_err(AppError::Engine)?;
        let registry = PluginRegistry::new(runtime);
        // Hosts sharing the store share each account's pace through it.
        let accounts = Arc::new(if location.is_shared() {
            crate::jobs::pacing::ErpAccounts::shared(store.clone())
        } else {
            crate::jobs::pacing::ErpAccounts::default()
        });
        let guards = config.clients.iter().map(|c| {
            let guard = crate::plugins::Guard {
                settings: c.plugin.auto_rollback,
                owner: c
                    .owners
                    .owner(crate::exceptions::ExceptionKind::PluginError)
                    .to_owned(),
            };
            (c.id.clone(), guard)
        });
        let plugins = Arc::new(
            crate::plugins::PluginChanges::new(
                store.clone(),
                registry.clone(),
                config.clients.iter().map(|c| c.id.clone()),
            )
            .with_guards(guards)
            .with_shadow_gate(
                config
                    .clients
                    .iter()
                    .filter(|c| c.plugin.require_shadow)
                    .map(|c| c.id.clone()),
            ),
        );
        let mut clients = Vec::new();
        for (client, conn) in config.clients.iter().zip(connections) {
            let slot = registry.add_client(
                &client.id,
                client.context.clone(),
                client.plugin.limits,
                client.plugin.fixtures.clone(),
            );
            let report = plugins
                .start_client(&client.id, &client.plugin.path)
                .await
                .map_err(|e| match e {
                    crate::plugins::ChangeError::Store(e) => AppError::Store(e),
                    e => AppError::Plugin {
                        file: client.file.display().to_string(),
                        client: client.id.clone(),
                        reason: e.to_string(),
                    },
                })?;
            tracing::info!(client = %client.id, plugin = %report.plugin, fixtures = report.fixtures_passed, "plugin installed");
            clients.push(ClientApp {
                services: ClientServices {
                    client: client.id.clone(),
                    store: store.clone(),
                    erp: conn.erp,
                    storefront: conn.storefront,
                    plugin: slot,
                    owners: Arc::new(client.owners.clone()),
                    erp_writes: accounts.limiter(
                        &conn.erp_account,
                        client.orders.pacing.max_per_second,
                        client.orders.pacing.burst,
                    ),
                    availability: Default::default(),
                },
                config: client.clone(),
                webhook_secret: conn.webhook_secret,
                webhook_producer: conn.webhook_producer,
            });
        }
        Ok(App {
            config,
            store,
            registry,
            plugins,
            clients,
            erp_accounts: accounts,
        })
    }

    /// Starts the hot-swap loader for every client with a `plugin.watch` folder.
    pub fn spawn_plugin_watch(
        &self,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let folders: Vec<WatchedFolder> = self
            .clients
            .iter()
            .filter_map(|c| {
                c.config.plugin.watch.clone().map(|dir| WatchedFolder {
                    client: c.config.id.clone(),
                    dir,
                })
            })
            .collect();
        if folders.is_empty() {
            return None;
        }
        let interval = Duration::from_millis(self.config.host.plugins.watch_interval_ms);
        Some(crate::plugins::spawn_folder_watch(
            self.plugins.clone(),
            folders,
            interval,
            stop,
        ))
    }

    /// Follows the desired plugin versions recorded in the store (by another host, or by an
    /// admin action), at the folder watch's interval.
    pub fn spawn_plugin_follower(
        &self,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let interval = Duration::from_millis(self.config.host.plugins.watch_interval_ms);
        self.plugins.clone().spawn_follower(interval, stop)
    }
}
