//! `selvedge plugin list|swap|rollback`: a running host's plugins, through its admin API.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::cli::admin_client::{AdminApi, Remote, print_json};
use crate::cli::explain::encode;
use crate::cli::progress::Reporter;
use crate::exit::{self, CliError};
use crate::http::model::{ClientSummary, PluginView, SwapResult};
use crate::progress::Progress;

/// `selvedge plugin list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this client.
    #[arg(long)]
    pub client: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}

/// `selvedge plugin swap`.
#[derive(Debug, Args)]
pub struct SwapArgs {
    /// Client whose plugin is replaced.
    pub client: String,
    /// The new `.wasm`.
    pub plugin: PathBuf,
    /// Send the file's bytes instead of its path (when the host cannot read this path).
    #[arg(long)]
    pub upload: bool,
    /// Label kept in the history.
    #[arg(long)]
    pub label: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}

/// `selvedge plugin rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Client whose plugin goes back one version.
    pub client: String,
    #[command(flatten)]
    pub remote: Remote,
}

/// Lists every client's active plugin, rollback candidates and history.
pub fn list(args: ListArgs) -> Result<u8, CliError> {
    let api = AdminApi::connect(&args.remote)?;
    let rt = crate::cli::tokio_runtime()?;
    let views = rt.block_on(async {
        let ids: Vec<String> = match &args.client {
            Some(c) => vec![c.clone()],
            None => api
                .get::<Vec<ClientSummary>>("/api/clients")
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect(),
        };
        let mut views = Vec::new();
        for id in ids {
            views.push(
                api.get::<PluginView>(&format!("/api/clients/{}/plugin", encode(&id)))
                    .await?,
            );
        }
        Ok::<_, CliError>(views)
    })?;
    if args.remote.json {
        print_json(&views);
        return Ok(exit::OK);
    }
    for v in &views {
        let short = |s: &str| s.get(..12).unwrap_or(s).to_string();
        println!(
            "{}: {} {}{}",
            v.client,
            v.plugin.as_deref().unwrap_or("(none)"),
            v.version.as_deref().map(short).unwrap_or_default(),
            v.label
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        );
        if !v.previous.is_empty() {
            println!(
                "  rollback ready: {}",
                v.previous
                    .iter()
                    .map(|p| short(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for h in &v.history {
            println!(
                "  {} {:<12} {:<24} {} -> {}",
                h.activated_at,
                short(&h.version),
                h.reason,
                h.label,
                h.deactivated_at.as_deref().unwrap_or("active")
            );
        }
    }
    Ok(exit::OK)
}

/// Swaps a client's plugin; the host compiles it and runs the fixtures first.
pub fn swap(args: SwapArgs) -> Result<u8, CliError> {
    let api = AdminApi::connect(&args.remote)?;
    let rt = crate::cli::tokio_runtime()?;
    let path = format!("/api/clients/{}/plugin/swap", encode(&args.client));
    let progress = Reporter::for_command(args.remote.json);
    progress.wait("compiling the plugin and running the fixtures on the host");
    let result: Result<SwapResult, CliError> = rt.block_on(async {
        if args.upload {
            let bytes = tokio::fs::read(&args.plugin)
                .await
                .map_err(|e| CliError::bad_input(format!("{}: {e}", args.plugin.display())))?;
            let mut query = String::new();
            if let Some(l) = &args.label {
                query = format!("?label={}", encode(l));
            }
            api.post_bytes(&format!("{path}{query}"), bytes).await
        } else {
            let abs = std::fs::canonicalize(&args.plugin).unwrap_or_else(|_| args.plugin.clone());
            api.post(
                &path,
                &json!({ "path": abs.display().to_string(), "label": args.label }),
            )
            .await
        }
    });
    progress.finish();
    report(result?, args.remote.json)
}

/// Rolls a client's plugin back to the previous version.
pub fn rollback(args: RollbackArgs) -> Result<u8, CliError> {
    let api = AdminApi::connect(&args.remote)?;
    let rt = crate::cli::tokio_runtime()?;
    let path = format!("/api/clients/{}/plugin/rollback", encode(&args.client));
    let result: SwapResult = rt.block_on(api.post(&path, &json!({})))?;
    report(result, args.remote.json)
}

fn report(r: SwapResult, json: bool) -> Result<u8, CliError> {
    if json {
        print_json(&r);
    } else {
        println!(
            "{}: {} {} -> {} ({} fixtures passed, {:.0} ms)",
            r.client,
            r.plugin,
            r.from
                .as_deref()
                .map(|f| f.get(..12).unwrap_or(f))
                .unwrap_or("-"),
            r.to.get(..12).unwrap_or(&r.to),
            r.fixtures_passed,
            r.duration_ms
        );
    }
    Ok(exit::OK)
}
