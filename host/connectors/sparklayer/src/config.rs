//! Typed, strict configuration of the Sparklayer connector.
//!
//! Every field has a default here and nowhere else; unknown keys are an error so a typo in a
//! client config is caught at start-up rather than silently ignored.

use std::fmt;
use std::time::Duration;

use selvedge_connector_kit::RetryPolicy;
use serde::Deserialize;

/// Largest `page_size` Sparklayer accepts on `GET /api/v2/price-lists`.
pub const MAX_PRICE_LIST_PAGE_SIZE: u32 = 250;
/// Largest `limit` Sparklayer accepts on `GET /api/v1/purchases`.
pub const MAX_PURCHASES_LIMIT: u32 = 500;

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: only for building the token request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Connection and behaviour settings for one Sparklayer site (`[sparklayer]` in a client config).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SparklayerConfig {
    /// API base URL without a trailing slash: `https://app.sparklayer.io` (live) or
    /// `https://test.app.sparklayer.io` (test); the sandbox prints its own.
    pub base_url: String,
    /// The Site ID from Settings > API in the Sparklayer dashboard; sent as `Site-Id` on every call.
    pub site_id: String,
    /// OAuth client id from the same API key.
    pub client_id: String,
    /// OAuth client secret from the same API key.
    pub client_secret: Secret,
    /// Whole-request timeout, in seconds.
    #[serde(default = "defaults::timeout_secs")]
    pub timeout_secs: u64,
    /// Fetch a new token this many seconds before the cached one expires (capped at half its lifetime).
    #[serde(default = "defaults::token_refresh_margin_secs")]
    pub token_refresh_margin_secs: u64,
    /// `page_size` used when listing price lists (1-250).
    #[serde(default = "defaults::price_list_page_size")]
    pub price_list_page_size: u32,
    /// `limit` used when polling purchases (1-500).
    #[serde(default = "defaults::purchases_page_limit")]
    pub purchases_page_limit: u32,
    /// Stock rows per `batch-update-stock` call; larger inputs are split into several calls.
    #[serde(default = "defaults::stock_batch_size")]
    pub stock_batch_size: usize,
    /// Longest `Retry-After` the client waits out inside one call, in seconds; a longer one is
    /// returned as an error so the scheduler can defer the job instead of holding a worker.
    #[serde(default = "defaults::max_retry_after_secs")]
    pub max_retry_after_secs: u64,
    /// Order attribute that carries the buyer's PO number at checkout (not documented by
    /// Sparklayer, so it is configured per site).
    #[serde(default = "defaults::po_number_attribute")]
    pub po_number_attribute: String,
    /// Retries after 5xx, 429 and concurrent-update 409 responses.
    #[serde(default)]
    pub retry: RetryPolicy,
}

mod defaults {
    pub fn timeout_secs() -> u64 {
        30
    }
    pub fn token_refresh_margin_secs() -> u64 {
        60
    }
    pub fn price_list_page_size() -> u32 {
        super::MAX_PRICE_LIST_PAGE_SIZE
    }
    pub fn purchases_page_limit() -> u32 {
        super::MAX_PURCHASES_LIMIT
    }
    pub fn stock_batch_size() -> usize {
        500
    }
    pub fn max_retry_after_secs() -> u64 {
        60
    }
    pub fn po_number_attribute() -> String {
        "po_number".to_owned()
    }
}

/// A config value that parsed but cannot work; names the key and the fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("sparklayer.{key}: {problem}")]
pub struct ConfigError {
    /// The offending key, relative to the `[sparklayer]` table.
    pub key: &'static str,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl SparklayerConfig {
    /// A config with every optional field at its default.
    pub fn new(
        base_url: impl Into<String>,
        site_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            site_id: site_id.into(),
            client_id: client_id.into(),
            client_secret: Secret::new(client_secret),
            timeout_secs: defaults::timeout_secs(),
            token_refresh_margin_secs: defaults::token_refresh_margin_secs(),
            price_list_page_size: defaults::price_list_page_size(),
            purchases_page_limit: defaults::purchases_page_limit(),
            stock_batch_size: defaults::stock_batch_size(),
            max_retry_after_secs: defaults::max_retry_after_secs(),
            po_number_attribute: defaults::po_number_attribute(),
            retry: RetryPolicy::default(),
        }
    }

    /// Cheap checks, no network: the `check` command and `SparklayerClient::new` call this.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key, problem: &str| {
            Err(ConfigError {
                key,
                problem: problem.to_owned(),
            })
        };
        match reqwest::Url::parse(&self.base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => {
                return err(
                    "base_url",
                    "must be an http(s) URL such as https://app.sparklayer.io",
                );
            }
        }
        if self.base_url.ends_with('/') {
            return err("base_url", "remove the trailing slash");
        }
        if self.site_id.trim().is_empty() {
            return err("site_id", "is empty: copy the Site ID from Settings > API");
        }
        if self.client_id.trim().is_empty() {
            return err("client_id", "is empty: copy it from Settings > API");
        }
        if self.client_secret.expose().is_empty() {
            return err("client_secret", "is empty: copy it from Settings > API");
        }
        if self.timeout_secs == 0 {
            return err("timeout_secs", "must be at least 1");
        }
        if !(1..=MAX_PRICE_LIST_PAGE_SIZE).contains(&self.price_list_page_size) {
            return err("price_list_page_size", "must be between 1 and 250");
        }
        if !(1..=MAX_PURCHASES_LIMIT).contains(&self.purchases_page_limit) {
            return err("purchases_page_limit", "must be between 1 and 500");
        }
        if self.stock_batch_size == 0 {
            return err("stock_batch_size", "must be at least 1");
        }
        if self.po_number_attribute.trim().is_empty() {
            return err(
                "po_number_attribute",
                "is empty: name the checkout attribute that holds the PO number",
            );
        }
        Ok(())
    }

    /// Whole-request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
        base_url = "https://test.app.sparklayer.io"
        site_id = "site-123"
        client_id = "abc"
        client_secret = "shh"
        stock_batch_size = 200
        [retry]
        max_retries = 3
    "#;

    #[test]
    fn example_config_parses_with_defaults_for_omitted_keys() {
        let config: SparklayerConfig = toml::from_str(EXAMPLE).expect("example parses");
        assert_eq!(config.stock_batch_size, 200);
        assert_eq!(config.retry.max_retries, 3);
        assert_eq!(config.purchases_page_limit, 500);
        assert_eq!(config.po_number_attribute, "po_number");
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn unknown_key_is_rejected() {
        let text = format!("{EXAMPLE}\nbatch_size = 3");
        assert!(toml::from_str::<SparklayerConfig>(&text).is_err());
    }

    #[test]
    fn secret_is_redacted_in_debug_output() {
        let config: SparklayerConfig = toml::from_str(EXAMPLE).expect("example parses");
        assert!(!format!("{config:?}").contains("shh"));
    }

    #[test]
    fn out_of_range_page_size_names_the_key() {
        let mut config = SparklayerConfig::new("https://x.test", "s", "c", "p");
        config.price_list_page_size = 251;
        let err = config.validate().expect_err("251 is over the limit");
        assert_eq!(err.key, "price_list_page_size");
    }
}
