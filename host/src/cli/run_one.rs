//! `selvedge run --config <dir> <client> <flow>`: one flow of one client, once, in this
//! process, then exit; the way to watch a first full push or a catalog's first sync. The run
//! is recorded like a scheduled one, its progress drawn on stderr (`cli::progress`).

use std::time::Instant;

use serde_json::json;
use time::OffsetDateTime;

use super::progress::Reporter;
use crate::app::{App, AppError};
use crate::config::{Config, Secrets};
use crate::exit::{self, CliError};
use crate::flows::{self, FlowKind, FlowReport};
use crate::progress::Progress;
use crate::runner::AppFlows;
use crate::scheduler::FlowRunner;
use crate::store::StoreLocation;
use selvedge_store::{Measurements, RunStatus};

/// Runs `flow` of `client` once; exit 0 when it succeeded, 3 when it failed.
pub fn run_one(config: Config, client: &str, flow: &str, json: bool) -> Result<u8, CliError> {
    let kind = FlowKind::parse(flow).ok_or_else(|| {
        let known: Vec<&str> = FlowKind::ALL.iter().map(|f| f.as_str()).collect();
        CliError::bad_input(format!(
            "unknown flow `{flow}`\n  fix: one of {}",
            known.join(", ")
        ))
    })?;
    if !config.clients.iter().any(|c| c.id == client) {
        let known: Vec<&str> = config.clients.iter().map(|c| c.id.as_str()).collect();
        return Err(CliError::bad_input(format!(
            "{}: no client `{client}`\n  fix: one of {}",
            config.dir.display(),
            known.join(", ")
        )));
    }
    if StoreLocation::of(&config.host).is_shared() {
        // Hosts on a shared store hold run leases this process does not take part in.
        return Err(CliError::bad_input(format!(
            "a one-off run needs the embedded store; on a shared store ask the hosts\n  fix: selvedge client run {client} {flow}"
        )));
    }
    let rt = super::tokio_runtime()?;
    let done = rt.block_on(async move {
        let app = App::build_for(config, &Secrets::from_env(), false).await?;
        let pauses = crate::control::Pauses::new(app.store.clone());
        pauses.refresh().await.map_err(AppError::Store)?;
        if let Some(p) = pauses.paused(client, kind.as_str()) {
            return Err(CliError::bad_input(format!(
                "{client} {flow} is paused by {}\n  fix: selvedge client resume {client}",
                p.by
            )));
        }
        let progress = Reporter::for_command(json);
        let run_id = app
            .store
            .start_run(client, kind.as_str(), OffsetDateTime::now_utc())
            .await
            .map_err(AppError::Store)?;
        let started = Instant::now();
        let outcome = flow_once(&app, client, kind, &progress).await;
        progress.finish();
        let (status, measurements, error) = match &outcome {
            Ok(report) => (RunStatus::Succeeded, report.measurements.clone(), None),
            Err(e) => (RunStatus::Failed, Measurements::default(), Some(e.clone())),
        };
        app.store
            .finish_run(
                run_id,
                status,
                &measurements,
                error.as_deref(),
                OffsetDateTime::now_utc(),
            )
            .await
            .map_err(AppError::Store)?;
        Ok((run_id, outcome, started.elapsed()))
    });
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    let (run_id, outcome, elapsed) = done?;
    let seconds = elapsed.as_secs_f64();
    if json {
        let (status, summary, measurements, error) = match &outcome {
            Ok(r) => ("succeeded", Some(&r.summary), Some(&r.measurements), None),
            Err(e) => ("failed", None, None, Some(e)),
        };
        println!(
            "{}",
            json!({
                "client": client, "flow": kind.as_str(), "run_id": run_id, "status": status,
                "summary": summary, "measurements": measurements, "error": error,
                "seconds": seconds,
            })
        );
    }
    match outcome {
        Ok(report) => {
            if !json {
                println!("{client} {kind}: {} ({seconds:.1} s)", report.summary);
            }
            Ok(exit::OK)
        }
        Err(e) if json => {
            eprintln!("{client} {kind} failed: {e}");
            Ok(exit::RUNTIME_FAILURE)
        }
        Err(e) => Err(CliError::runtime(format!("{client} {kind} failed: {e}"))),
    }
}

/// The flow itself: catalog and inventory report their progress; the others are short.
async fn flow_once(
    app: &App,
    client: &str,
    kind: FlowKind,
    progress: &dyn Progress,
) -> Result<FlowReport, String> {
    let Some(c) = app.clients.iter().find(|c| c.config.id == client) else {
        return Err(format!("unknown client {client}"));
    };
    let ran = match kind {
        FlowKind::Catalog => {
            flows::catalog::run_with(&c.services, &c.config.catalog, progress).await
        }
        FlowKind::Inventory => {
            flows::inventory::run_with(&c.services, &c.config.inventory, progress).await
        }
        other => AppFlows::new(&app.clients).run(client, other).await,
    };
    ran.map_err(|e| e.to_string())
}
