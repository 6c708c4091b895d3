//! Connector configuration: typed and strict. Defaults live in the `Default` impls below.

use std::path::PathBuf;

use selvedge_connector_kit::RetryPolicy;
use serde::Deserialize;

/// How Selvedge reaches a Blue Cherry gateway (`[bluecherry]` in a client config).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BlueCherryConfig {
    /// Base URL of the gateway, without the `/v1` suffix, e.g. `https://erp-gw.example.com`.
    pub base_url: String,
    /// Name of the environment variable holding the bearer API key (keys never live in files).
    #[serde(default = "default_api_key_env")]
    pub api_key_env: String,
    /// Whole-request timeout in milliseconds. A create that times out is reported as ambiguous.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// TCP connect timeout in milliseconds; a connect failure never reached the ERP.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Items per page when listing (the gateway caps it at 500).
    #[serde(default = "default_page_size")]
    pub page_size: usize,
    /// Retry policy for reads. Creates are never retried by the client.
    #[serde(default)]
    pub retry: RetryPolicy,
    /// Longest `Retry-After` of a 429 the client waits out itself, in seconds; a longer one
    /// fails the call as `RateLimited` and the job is retried later.
    #[serde(default = "default_max_retry_after_secs")]
    pub max_retry_after_secs: u64,
    /// Optional batch-export route: CSV reports dropped into a folder after each cycle.
    #[serde(default)]
    pub csv_drop: Option<CsvDropConfig>,
}

fn default_api_key_env() -> String {
    "SELVEDGE_BLUECHERRY_API_KEY".to_string()
}
fn default_timeout_ms() -> u64 {
    15_000
}
fn default_connect_timeout_ms() -> u64 {
    3_000
}
fn default_max_retry_after_secs() -> u64 {
    30
}
fn default_page_size() -> usize {
    200
}

impl BlueCherryConfig {
    /// A config for `base_url` with every other field at its default.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key_env: default_api_key_env(),
            timeout_ms: default_timeout_ms(),
            connect_timeout_ms: default_connect_timeout_ms(),
            page_size: default_page_size(),
            retry: RetryPolicy::default(),
            max_retry_after_secs: default_max_retry_after_secs(),
            csv_drop: None,
        }
    }

    /// Cheap checks with messages that name the key and the fix (no network).
    pub fn validate(&self) -> Result<(), String> {
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(format!(
                "bluecherry.base_url `{}` must start with http:// or https://",
                self.base_url
            ));
        }
        if self.timeout_ms == 0 {
            return Err("bluecherry.timeout_ms must be above 0".to_string());
        }
        if !(1..=500).contains(&self.page_size) {
            return Err(format!(
                "bluecherry.page_size {} must be between 1 and 500",
                self.page_size
            ));
        }
        Ok(())
    }
}

/// When a dropped CSV counts as complete (a half-written file is never read).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    /// The writer writes `name.csv.tmp` (or any non-`.csv` name) and renames it to `name.csv`
    /// when done; every `*.csv` is complete.
    #[default]
    Rename,
    /// The writer creates `name.csv.done` after `name.csv` is closed; a `*.csv` without its
    /// marker is still being written.
    DoneMarker,
}

/// The batch-export drop folder (`[bluecherry.csv_drop]`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CsvDropConfig {
    /// Folder the ERP exports into.
    pub folder: PathBuf,
    /// How a finished file is recognised.
    #[serde(default)]
    pub completion: Completion,
    /// Subfolder for processed files (also holds the ledger of ingested file hashes).
    #[serde(default = "default_archive_dir")]
    pub archive_dir: String,
    /// Subfolder for files that failed validation, each with `NAME.error.txt` beside it.
    #[serde(default = "default_rejected_dir")]
    pub rejected_dir: String,
    /// Division assumed for inventory rows whose `Div` cell is empty.
    #[serde(default)]
    pub default_division: Option<String>,
}

fn default_archive_dir() -> String {
    "archive".to_string()
}
fn default_rejected_dir() -> String {
    "rejected".to_string()
}

impl CsvDropConfig {
    /// A drop folder with default rules.
    pub fn new(folder: impl Into<PathBuf>) -> Self {
        Self {
            folder: folder.into(),
            completion: Completion::default(),
            archive_dir: default_archive_dir(),
            rejected_dir: default_rejected_dir(),
            default_division: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses_and_validates() {
        let text = include_str!("../config.example.toml");
        let config: BlueCherryConfig = toml::from_str(text).expect("example parses");
        config.validate().expect("example validates");
        let drop = config.csv_drop.expect("csv_drop present");
        assert_eq!(drop.completion, Completion::DoneMarker);
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_name() {
        let err = toml::from_str::<BlueCherryConfig>("base_url = \"http://x\"\ntimeout = 5\n")
            .expect_err("unknown key");
        assert!(err.to_string().contains("timeout"), "{err}");
    }

    #[test]
    fn a_base_url_without_scheme_is_refused() {
        let err = BlueCherryConfig::new("erp.example.com")
            .validate()
            .expect_err("no scheme");
        assert!(err.contains("bluecherry.base_url"), "{err}");
    }
}
