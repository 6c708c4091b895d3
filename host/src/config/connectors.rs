//! Connector sections of a client file. Each reuses its connector's own config type; the
//! secrets those types carry (BigCommerce token, Sparklayer client secret) are replaced by the
//! name of an environment variable, because secrets never live in config files.

use std::collections::BTreeMap;
use std::path::Path;

use selvedge_bigcommerce::BigCommerceConfig;
use selvedge_bluecherry::BlueCherryConfig;
use selvedge_sparklayer::SparklayerConfig;

use super::ConfigError;

/// Placeholder put where a secret goes until [`Secrets`] supplies the real value.
const UNRESOLVED: &str = "<from-env>";

/// `[bigcommerce]`: the connector's config plus where its secrets come from.
#[derive(Debug, Clone, PartialEq)]
pub struct BigCommerceSection {
    /// The connector config; `access_token` is filled from `access_token_env` at start.
    pub config: BigCommerceConfig,
    /// Environment variable holding the API account token (`access_token_env`). The webhook
    /// secret is `[orders] webhook_secret_env`.
    pub access_token_env: String,
}

/// `[sparklayer]`: the connector's config plus where its client secret comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct SparklayerSection {
    /// The connector config; `client_secret` is filled from `client_secret_env` at start.
    pub config: SparklayerConfig,
    /// Environment variable holding the OAuth client secret (`client_secret_env`).
    pub client_secret_env: String,
}

/// Default environment variable names, in one place.
mod defaults {
    pub const BIGCOMMERCE_TOKEN: &str = "SELVEDGE_BIGCOMMERCE_ACCESS_TOKEN";
    pub const SPARKLAYER_SECRET: &str = "SELVEDGE_SPARKLAYER_CLIENT_SECRET";
}

/// Parses `[bluecherry]` and runs the connector's own checks.
pub fn bluecherry(file: &Path, table: toml::Table) -> Result<BlueCherryConfig, ConfigError> {
    let config: BlueCherryConfig = shape(file, "bluecherry", table)?;
    config.validate().map_err(|problem| {
        ConfigError::invalid(file, "bluecherry", problem, "correct the value named above")
    })?;
    Ok(config)
}

/// Parses `[bigcommerce]`, taking the secret-env keys out first.
pub fn bigcommerce(file: &Path, mut table: toml::Table) -> Result<BigCommerceSection, ConfigError> {
    refuse_inline_secret(
        file,
        &table,
        "bigcommerce",
        "access_token",
        "access_token_env",
    )?;
    let access_token_env = take_env(
        file,
        &mut table,
        "bigcommerce",
        "access_token_env",
        defaults::BIGCOMMERCE_TOKEN,
    )?;
    table.insert(
        "access_token".into(),
        toml::Value::String(UNRESOLVED.into()),
    );
    let config: BigCommerceConfig = shape(file, "bigcommerce", table)?;
    config.validate().map_err(|problem| {
        ConfigError::invalid(
            file,
            "bigcommerce",
            problem,
            "correct the value named above",
        )
    })?;
    Ok(BigCommerceSection {
        config,
        access_token_env,
    })
}

/// Parses `[sparklayer]`, taking `client_secret_env` out first.
pub fn sparklayer(file: &Path, mut table: toml::Table) -> Result<SparklayerSection, ConfigError> {
    refuse_inline_secret(
        file,
        &table,
        "sparklayer",
        "client_secret",
        "client_secret_env",
    )?;
    let client_secret_env = take_env(
        file,
        &mut table,
        "sparklayer",
        "client_secret_env",
        defaults::SPARKLAYER_SECRET,
    )?;
    table.insert(
        "client_secret".into(),
        toml::Value::String(UNRESOLVED.into()),
    );
    let config: SparklayerConfig = shape(file, "sparklayer", table)?;
    config.validate().map_err(|e| {
        ConfigError::invalid(
            file,
            format!("sparklayer.{}", e.key),
            e.problem,
            "correct the value",
        )
    })?;
    Ok(SparklayerSection {
        config,
        client_secret_env,
    })
}

fn shape<T: serde::de::DeserializeOwned>(
    file: &Path,
    section: &str,
    table: toml::Table,
) -> Result<T, ConfigError> {
    toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| {
            ConfigError::invalid(
                file,
                section,
                e.message().trim().to_string(),
                format!("correct the [{section}] section (see examples/ for a complete one)"),
            )
        })
}

fn refuse_inline_secret(
    file: &Path,
    table: &toml::Table,
    section: &str,
    key: &str,
    env_key: &str,
) -> Result<(), ConfigError> {
    if table.contains_key(key) {
        return Err(ConfigError::invalid(
            file,
            format!("{section}.{key}"),
            "is a secret, and secrets never live in config files",
            format!("remove it, set `{env_key} = \"NAME\"` and export NAME in the environment"),
        ));
    }
    Ok(())
}

fn take_env(
    file: &Path,
    table: &mut toml::Table,
    section: &str,
    key: &str,
    default: &str,
) -> Result<String, ConfigError> {
    match table.remove(key) {
        None => Ok(default.to_string()),
        Some(toml::Value::String(name)) if is_env_name(&name) => Ok(name),
        Some(other) => Err(ConfigError::invalid(
            file,
            format!("{section}.{key}"),
            format!("`{other}` is not an environment variable name"),
            "use letters, digits and underscores, e.g. \"ACME_BIGCOMMERCE_TOKEN\"",
        )),
    }
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Where secrets come from: the process environment, with optional overrides (the demo
/// passes the sandboxes' credentials this way instead of mutating its own environment).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    overrides: BTreeMap<String, String>,
}

impl Secrets {
    /// Secrets from the environment only.
    pub fn from_env() -> Self {
        Self::default()
    }

    /// Adds a value used instead of the environment variable `name`.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.overrides.insert(name.to_string(), value.to_string());
        self
    }

    /// The value of `env`, named by `key` in `file`.
    pub fn get(&self, env: &str, file: &Path, key: &str) -> Result<String, ConfigError> {
        if let Some(value) = self.overrides.get(env) {
            return Ok(value.clone());
        }
        match std::env::var(env) {
            Ok(value) if !value.is_empty() => Ok(value),
            _ => Err(ConfigError::invalid(
                file,
                key,
                format!("names the environment variable {env}, which is not set"),
                format!("export {env}=<secret> before starting selvedge"),
            )),
        }
    }
}

impl BigCommerceSection {
    /// The connector config with the token from the environment.
    pub fn resolve(
        &self,
        secrets: &Secrets,
        file: &Path,
    ) -> Result<BigCommerceConfig, ConfigError> {
        let mut config = self.config.clone();
        config.access_token =
            secrets.get(&self.access_token_env, file, "bigcommerce.access_token_env")?;
        Ok(config)
    }
}

impl SparklayerSection {
    /// The connector config with the client secret from the environment.
    pub fn resolve(&self, secrets: &Secrets, file: &Path) -> Result<SparklayerConfig, ConfigError> {
        let mut config = self.config.clone();
        config.client_secret = selvedge_sparklayer::Secret::new(secrets.get(
            &self.client_secret_env,
            file,
            "sparklayer.client_secret_env",
        )?);
        Ok(config)
    }
}

/// The Blue Cherry API key from the environment variable the config names.
pub fn bluecherry_key(
    config: &BlueCherryConfig,
    secrets: &Secrets,
    file: &Path,
) -> Result<String, ConfigError> {
    secrets.get(&config.api_key_env, file, "bluecherry.api_key_env")
}
