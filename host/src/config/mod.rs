//! Configuration: `<dir>/selvedge.toml` (the host) and `<dir>/clients/*.toml` (one file per
//! client). Typed and strict: unknown keys are errors, every field is documented on its
//! struct, defaults live next to each struct, and every error names the file, the key and
//! the fix. Secrets are never read from files: a config names the environment variable that
//! holds each one ([`Secrets`]).

mod client;
mod connectors;
mod error;
mod host;
mod plugin;
mod schedule;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use client::{ClientConfig, StorefrontConfig, StorefrontKind, default_webhook_secret_env};
pub use connectors::{BigCommerceSection, Secrets, SparklayerSection, bluecherry_key};
pub use error::ConfigError;
pub use host::{HostConfig, PluginEngineConfig};
pub use plugin::{AutoRollback, EXAMPLES, PluginConfig, ResolvedPlugin};
pub use schedule::{CompiledSchedule, FlowSchedule, Schedules, parse_cron};

/// Name of the host file inside a config folder.
pub const HOST_FILE: &str = "selvedge.toml";
/// Name of the folder of client files inside a config folder.
pub const CLIENTS_DIR: &str = "clients";

/// A whole config folder, parsed and checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config folder.
    pub dir: PathBuf,
    /// `selvedge.toml`, with `data_dir` resolved against the folder.
    pub host: HostConfig,
    /// Every client, sorted by file name.
    pub clients: Vec<ClientConfig>,
}

impl Config {
    /// Reads and checks `dir`. Nothing is started and no secret is read.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        let host = load_host(dir)?;
        let clients_dir = dir.join(CLIENTS_DIR);
        let entries = std::fs::read_dir(&clients_dir).map_err(|source| ConfigError::Read {
            path: clients_dir.clone(),
            source,
            fix: format!(
                "create {} with one `<client>.toml` per client",
                clients_dir.display()
            ),
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(ConfigError::invalid(
                &clients_dir,
                "*.toml",
                "no client files found",
                "add one `<client>.toml` per client (see examples/clients/)",
            ));
        }
        let mut clients = Vec::new();
        let mut ids: BTreeMap<String, PathBuf> = BTreeMap::new();
        for file in files {
            let text = read(&file)?;
            let client = client::parse(&file, &text, dir, &host)?;
            if let Some(first) = ids.insert(client.id.clone(), file.clone()) {
                return Err(ConfigError::invalid(
                    &file,
                    "id",
                    format!("`{}` is also the id of {}", client.id, first.display()),
                    "give every client a unique id",
                ));
            }
            clients.push(client);
        }
        check_shared(&clients)?;
        Ok(Config {
            dir: dir.to_path_buf(),
            host,
            clients,
        })
    }

    /// Reads only `selvedge.toml` (commands that need the store, not the clients).
    pub fn load_host_only(dir: &Path) -> Result<HostConfig, ConfigError> {
        load_host(dir)
    }

    /// The embedded SQLite state file (used unless `[store] url` names a shared database).
    pub fn state_file(host: &HostConfig) -> PathBuf {
        host.data_dir.join(crate::store::SQLITE_FILE)
    }
}

/// What clients may not share: a webhook secret (one client could sign another's
/// deliveries), and, on one Blue Cherry account, differing pacing (the account has one
/// limiter, so the clients must agree on its rate).
fn check_shared(clients: &[ClientConfig]) -> Result<(), ConfigError> {
    let mut secrets: BTreeMap<&str, &ClientConfig> = BTreeMap::new();
    let mut accounts: BTreeMap<(String, &str), &ClientConfig> = BTreeMap::new();
    for c in clients {
        if matches!(c.storefront, StorefrontConfig::BigCommerce(_))
            && let Some(first) = secrets.insert(&c.orders.webhook_secret_env, c)
        {
            return Err(ConfigError::invalid(
                &c.file,
                "orders.webhook_secret_env",
                format!(
                    "`{}` is also the webhook secret of client `{}` ({})",
                    c.orders.webhook_secret_env,
                    first.id,
                    first.file.display()
                ),
                "give every client its own secret (leave the key out for SELVEDGE_WEBHOOK_SECRET_<CLIENT ID>)",
            ));
        }
        let account = (
            c.bluecherry.base_url.trim_end_matches('/').to_string(),
            c.bluecherry.api_key_env.as_str(),
        );
        if let Some(first) = accounts.get(&account)
            && (
                first.orders.pacing.max_per_second,
                first.orders.pacing.burst,
            ) != (c.orders.pacing.max_per_second, c.orders.pacing.burst)
        {
            return Err(pacing_differs(c, first));
        }
        accounts.entry(account).or_insert(c);
    }
    Ok(())
}

/// Two clients on one Blue Cherry account with different `[orders.pacing]`.
pub fn pacing_differs(c: &ClientConfig, first: &ClientConfig) -> ConfigError {
    ConfigError::invalid(
        &c.file,
        "orders.pacing",
        format!(
            "max_per_second = {}, burst = {}, but client `{}` ({}) writes to the same Blue Cherry account with max_per_second = {}, burst = {}",
            c.orders.pacing.max_per_second,
            c.orders.pacing.burst,
            first.id,
            first.file.display(),
            first.orders.pacing.max_per_second,
            first.orders.pacing.burst
        ),
        "clients on one account share one limiter: give them the same pacing",
    )
}

fn load_host(dir: &Path) -> Result<HostConfig, ConfigError> {
    let file = dir.join(HOST_FILE);
    let text = read(&file)?;
    let mut host: HostConfig =
        toml::from_str(&text).map_err(|e| ConfigError::parse(&file, &text, &e))?;
    host.data_dir = dir.join(&host.data_dir);
    if let Some(cache) = &host.plugins.cache_dir {
        host.plugins.cache_dir = Some(dir.join(cache));
    }
    host.retention.check(&file)?;
    host.store.check(&file)?;
    if host.cluster != crate::cluster::ClusterConfig::default() && host.store.url.is_none() {
        return Err(ConfigError::invalid(
            &file,
            "cluster",
            "is set, but hosts can only share a PostgreSQL store and store.url names none",
            "add [store] url = \"postgres://...\", or remove [cluster] for one host on the embedded store",
        ));
    }
    if host.teams.is_empty() {
        return Err(ConfigError::invalid(
            &file,
            "teams",
            "is empty, so no exception could have an owner",
            "list the owner teams, e.g. teams = [\"finance\", \"operations\", \"ecommerce\"]",
        ));
    }
    if host.plugins.watch_interval_ms == 0 || host.plugins.max_concurrent_calls == 0 {
        return Err(ConfigError::invalid(
            &file,
            "plugins",
            "has a zero watch_interval_ms or max_concurrent_calls",
            "leave them out for the defaults or give positive values",
        ));
    }
    if let Some(url) = &host.public_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ConfigError::invalid(
            &file,
            "public_url",
            format!("`{url}` is not an http(s) URL"),
            "give the URL storefronts reach the webhook listener at, e.g. https://selvedge.example.com",
        ));
    }
    Ok(host)
}

fn read(file: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
        path: file.to_path_buf(),
        source,
        fix: "check the path given to --config (it must hold selvedge.toml and clients/)".into(),
    })
}
