//! Typed, strict configuration of the BigCommerce connector.
//!
//! ```toml
//! store_hash = "abc123"
//! access_token = "..."
//! # base_url = "https://api.bigcommerce.com"   (the default)
//! timeout_ms = 30000
//! [retry]
//! max_retries = 4
//! base_delay_ms = 200
//! max_delay_ms = 10000
//! [rate_limit]
//! reserve = 10                 # leave 10 requests per window to other apps
//! max_throttled_attempts = 8
//! ```

use selvedge_connector_kit::RetryPolicy;
use serde::Deserialize;

/// How the connector reaches one BigCommerce store.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BigCommerceConfig {
    /// API host without the `/stores/...` part, e.g. `https://api.bigcommerce.com`
    /// (or a sandbox's `http://127.0.0.1:PORT`).
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Permanent store hash: the `{store_hash}` in `/stores/{store_hash}/v3`.
    pub store_hash: String,
    /// API account token sent as `X-Auth-Token`.
    pub access_token: String,
    /// Timeout of one HTTP attempt, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Backoff for idempotent calls (GET/PUT) after a 5xx or a timeout.
    #[serde(default)]
    pub retry: RetryPolicy,
    /// Self-pacing from the rate-limit headers and the 429 handling.
    #[serde(default)]
    pub rate_limit: RateLimitConfig,
}

/// How the client paces itself against the store's shared request quota.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Requests to leave unused in each window for other apps on the store;
    /// the client waits for the window reset once `X-Rate-Limit-Requests-Left` reaches it.
    pub reserve: u32,
    /// How many 429 answers in a row one call tolerates before giving up.
    pub max_throttled_attempts: u32,
    /// Extra wait after a reported reset, in milliseconds, to absorb clock skew.
    pub reset_margin_ms: u64,
    /// Longest single wait the client accepts, in milliseconds; longer resets fail the call.
    pub max_wait_ms: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            reserve: 0,
            max_throttled_attempts: 8,
            reset_margin_ms: 25,
            max_wait_ms: 120_000,
        }
    }
}

impl std::fmt::Debug for BigCommerceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token never reaches logs.
        f.debug_struct("BigCommerceConfig")
            .field("base_url", &self.base_url)
            .field("store_hash", &self.store_hash)
            .field("access_token", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

fn default_base_url() -> String {
    "https://api.bigcommerce.com".to_owned()
}

fn default_timeout_ms() -> u64 {
    30_000
}

impl BigCommerceConfig {
    /// A config with defaults for everything but the store and token.
    pub fn new(
        base_url: impl Into<String>,
        store_hash: impl Into<String>,
        access_token: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            store_hash: store_hash.into(),
            access_token: access_token.into(),
            timeout_ms: default_timeout_ms(),
            retry: RetryPolicy::default(),
            rate_limit: RateLimitConfig::default(),
        }
    }

    /// Checks values serde cannot: names the key and the fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.store_hash.trim().is_empty() {
            return Err(
                "bigcommerce.store_hash is empty: set the store hash from the API account".into(),
            );
        }
        if self.access_token.trim().is_empty() {
            return Err("bigcommerce.access_token is empty: set the API account token".into());
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(format!(
                "bigcommerce.base_url `{}` must start with http:// or https://",
                self.base_url
            ));
        }
        if self.timeout_ms == 0 {
            return Err("bigcommerce.timeout_ms must be above 0".into());
        }
        Ok(())
    }

    /// `{base}/stores/{hash}/v3`.
    pub fn v3_root(&self) -> String {
        format!(
            "{}/stores/{}/v3",
            self.base_url.trim_end_matches('/'),
            self.store_hash
        )
    }

    /// `{base}/stores/{hash}/v2`.
    pub fn v2_root(&self) -> String {
        format!(
            "{}/stores/{}/v2",
            self.base_url.trim_end_matches('/'),
            self.store_hash
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
store_hash = "abc123"
access_token = "tok"
timeout_ms = 15000
[retry]
max_retries = 3
base_delay_ms = 100
max_delay_ms = 5000
[rate_limit]
reserve = 10
max_throttled_attempts = 8
"#;

    #[test]
    fn example_config_parses_with_defaults_filled_in() {
        let cfg: BigCommerceConfig = toml::from_str(EXAMPLE).expect("example parses");
        assert_eq!(cfg.base_url, "https://api.bigcommerce.com");
        assert_eq!(cfg.rate_limit.reserve, 10);
        assert_eq!(cfg.rate_limit.reset_margin_ms, 25);
        assert_eq!(cfg.retry.max_retries, 3);
        assert_eq!(cfg.validate(), Ok(()));
        assert_eq!(
            cfg.v3_root(),
            "https://api.bigcommerce.com/stores/abc123/v3"
        );
    }

    #[test]
    fn unknown_keys_are_rejected_and_bad_values_are_named() {
        let typo = EXAMPLE.replace("timeout_ms", "timeout");
        let err = toml::from_str::<BigCommerceConfig>(&typo)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown field `timeout`"), "{err}");
        let mut cfg = BigCommerceConfig::new("ftp://x", "h", "t");
        assert!(cfg.validate().is_err_and(|e| e.contains("base_url")));
        cfg.base_url = "http://127.0.0.1:1".into();
        cfg.access_token = " ".into();
        assert!(cfg.validate().is_err_and(|e| e.contains("access_token")));
        cfg.access_token = "secret-token".into();
        assert!(!format!("{cfg:?}").contains("secret-token"));
    }
}
