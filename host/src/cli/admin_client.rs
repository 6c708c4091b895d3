//! A small client of the running host's admin API, for the CLI commands that mirror it
//! (`status`, `explain`, `plugin list|swap|rollback`). The URL and the token's environment
//! variable come from `selvedge.toml`; `--url` overrides the URL.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::exit::CliError;
use crate::http::AdminSettings;

/// How to reach the admin API.
#[derive(Debug, Args)]
pub struct Remote {
    /// Config folder (only `selvedge.toml` is read: admin address and token variable).
    #[arg(long, env = "SELVEDGE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Admin API base URL (default: `http://<admin_listen>` from the config).
    #[arg(long, env = "SELVEDGE_ADMIN_URL")]
    pub url: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// An authenticated admin API client.
pub struct AdminApi {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for AdminApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminApi")
            .field("base", &self.base)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl AdminApi {
    /// From `--url` / `--config` and the token's environment variable.
    pub fn connect(remote: &Remote) -> Result<Self, CliError> {
        let (listen, settings) = match &remote.config {
            Some(dir) => {
                let host = Config::load_host_only(dir)?;
                (Some(host.admin_listen), host.admin)
            }
            None => (None, AdminSettings::default()),
        };
        let base = match (&remote.url, listen) {
            (Some(url), _) => url.clone(),
            (None, Some(addr)) if addr.ip().is_unspecified() => {
                format!("http://127.0.0.1:{}", addr.port())
            }
            (None, Some(addr)) => format!("http://{addr}"),
            (None, None) => {
                return Err(CliError::bad_input(
                    "the admin API address is unknown\n  fix: pass --config <dir> (or set SELVEDGE_CONFIG), or --url http://127.0.0.1:8481",
                ));
            }
        };
        let token = std::env::var(&settings.token_env)
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                CliError::bad_input(format!(
                    "${} is not set\n  fix: export {}=<the admin token the host was started with>",
                    settings.token_env, settings.token_env
                ))
            })?;
        let http = reqwest::Client::builder()
            // Swaps compile a plugin and run its fixtures: allow for a slow one.
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| CliError::runtime(format!("HTTP client: {e}")))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            token,
            http,
        })
    }

    /// GET a JSON resource.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// POST JSON and read JSON back.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, CliError> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    /// POST raw bytes (a plugin upload).
    pub async fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        bytes: Vec<u8>,
    ) -> Result<T, CliError> {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/wasm")
            .body(bytes);
        self.send(req).await
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, CliError> {
        let res = req.bearer_auth(&self.token).send().await.map_err(|e| {
            CliError::runtime(format!(
                "cannot reach the host at {}: {}\n  fix: is `selvedge run` running? check --url / admin_listen",
                self.base,
                e.without_url()
            ))
        })?;
        let status = res.status();
        let text = res
            .text()
            .await
            .map_err(|e| CliError::runtime(format!("reading the answer: {e}")))?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(CliError::bad_input(
                "the host refused the admin token\n  fix: use the token the host was started with",
            ));
        }
        if !status.is_success() {
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .unwrap_or(text);
            return Err(if status.is_client_error() {
                CliError::bad_input(format!("{status}: {message}"))
            } else {
                CliError::runtime(format!("{status}: {message}"))
            });
        }
        serde_json::from_str(&text)
            .map_err(|e| CliError::runtime(format!("unexpected answer from the host: {e}")))
    }
}

/// Prints a value as pretty JSON.
pub fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}
