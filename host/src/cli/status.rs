//! `selvedge status`: every client's sync health, from the running host's admin API.

use clap::Args;

use super::admin_client::{AdminApi, Remote, print_json};
use crate::exit::{self, CliError};
use crate::http::model::ClientSummary;

/// Arguments of `selvedge status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Only this client.
    #[arg(long)]
    pub client: Option<String>,
}

/// Runs `selvedge status`; exits 1 when a client has unresolved exceptions or a failed last run.
pub fn run(args: StatusArgs) -> Result<u8, CliError> {
    let api = AdminApi::connect(&args.remote)?;
    let rt = super::tokio_runtime()?;
    let mut clients: Vec<ClientSummary> = rt.block_on(api.get("/api/clients"))?;
    if let Some(id) = &args.client {
        clients.retain(|c| &c.id == id);
        if clients.is_empty() {
            return Err(CliError::bad_input(format!(
                "no client `{id}` on this host"
            )));
        }
    }
    let unhealthy = clients.iter().any(|c| {
        c.unresolved_exceptions > 0
            || c.health
                .flows
                .iter()
                .any(|f| f.last_run.as_ref().is_some_and(|r| r.status == "failed"))
    });
    if args.remote.json {
        print_json(&clients);
    } else {
        for c in &clients {
            print_client(c);
        }
    }
    Ok(if unhealthy {
        exit::CHECK_FAILED
    } else {
        exit::OK
    })
}

fn print_client(c: &ClientSummary) {
    let h = &c.health;
    println!(
        "{} ({}), plugin {}",
        c.id,
        c.storefront,
        c.plugin_version.as_deref().unwrap_or("none")
    );
    let last = h
        .last_inventory
        .as_ref()
        .map(|r| {
            format!(
                "{} {}",
                r.status,
                r.finished_at.as_deref().unwrap_or(&r.started_at)
            )
        })
        .unwrap_or_else(|| "never".into());
    println!("  last inventory cycle  {last}");
    println!(
        "  cycle latency         {}",
        h.cycle_latency_secs
            .map(|s| format!("{s:.1} s"))
            .unwrap_or_else(|| "-".into())
    );
    println!("  updates last hour     {}", h.inventory_updates_last_hour);
    println!(
        "  API calls / 429s      {} / {} ({} retries)",
        h.api_calls, h.throttled, h.retries
    );
    println!("  order queue           {}", h.order_queue_depth);
    println!(
        "  injection success     {}",
        h.injection_success_rate
            .map(|r| format!(
                "{:.1} % ({} injected, {} failed)",
                r * 100.0,
                h.orders_injected,
                h.orders_failed
            ))
            .unwrap_or_else(|| "-".into())
    );
    println!("  unresolved exceptions {}", c.unresolved_exceptions);
    for f in &h.flows {
        let run = f
            .last_run
            .as_ref()
            .map(|r| {
                format!(
                    "{:<9} {}{}",
                    r.status,
                    r.started_at,
                    r.error
                        .as_deref()
                        .map(|e| format!("  {e}"))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_else(|| "never ran".into());
        println!("  {:<15} {run}", f.flow);
    }
}
