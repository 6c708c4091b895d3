//! `selvedge status`: every client in one list, in trouble first (the overview), or one
//! client's sync health in detail (`--client`), from the running host's admin API.

use clap::Args;

use super::admin_client::{AdminApi, Remote, print_json};
use crate::exit::{self, CliError};
use crate::http::model::ClientSummary;

/// Arguments of `selvedge status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// One client in detail.
    #[arg(long)]
    pub client: Option<String>,
    /// Only clients in this state: failing, degraded, paused, ok.
    #[arg(long)]
    pub state: Option<String>,
    /// Only clients with unresolved exceptions of this owner team.
    #[arg(long)]
    pub team: Option<String>,
    /// Only clients whose id contains this text.
    #[arg(long)]
    pub query: Option<String>,
}

/// Runs `selvedge status`; exits 1 when a client listed is failing or degraded (unresolved
/// exceptions, a failed last run, lag, injection success).
pub fn run(args: StatusArgs) -> Result<u8, CliError> {
    let api = AdminApi::connect(&args.remote)?;
    let rt = super::tokio_runtime()?;
    if args.client.is_none() {
        return overview(&api, &rt, &args);
    }
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

/// Every client, a page at a time (all pages), in trouble first.
fn overview(
    api: &AdminApi,
    rt: &tokio::runtime::Runtime,
    args: &StatusArgs,
) -> Result<u8, CliError> {
    let mut query = vec!["limit=1000".to_string()];
    for (key, value) in [
        ("state", &args.state),
        ("team", &args.team),
        ("q", &args.query),
    ] {
        if let Some(v) = value {
            query.push(format!("{key}={}", super::explain::encode(v)));
        }
    }
    let mut rows: Vec<serde_json::Value> = Vec::new();
    let mut offset = 0u64;
    let mut counts;
    loop {
        let page: serde_json::Value = rt.block_on(api.get(&format!(
            "/api/overview?{}&offset={offset}",
            query.join("&")
        )))?;
        rows.extend(page["rows"].as_array().cloned().unwrap_or_default());
        counts = page["counts"].clone();
        match page["next_offset"].as_u64() {
            Some(next) => offset = next,
            None => break,
        }
    }
    let troubled = rows
        .iter()
        .any(|r| matches!(r["state"].as_str(), Some("failing" | "degraded")));
    if args.remote.json {
        print_json(&serde_json::json!({ "counts": counts, "rows": rows }));
    } else {
        println!(
            "{:<9} {:<24} {:<12} {:>8} {:>9} {:>5} {:<8} why",
            "state", "client", "storefront", "lag", "injected", "exc", "plugin"
        );
        for r in &rows {
            let exceptions: u64 = r["exceptions_by_team"]
                .as_object()
                .map(|m| m.values().filter_map(|v| v.as_u64()).sum())
                .unwrap_or(0);
            println!(
                "{:<9} {:<24} {:<12} {:>8} {:>9} {:>5} {:<8} {}",
                r["state"].as_str().unwrap_or("-"),
                r["client"].as_str().unwrap_or("-"),
                r["storefront"].as_str().unwrap_or("-"),
                r["inventory_lag_secs"]
                    .as_f64()
                    .map(|s| format!("{s:.0} s"))
                    .unwrap_or_else(|| "-".into()),
                r["injection_success_24h"]
                    .as_f64()
                    .map(|s| format!("{:.1}%", s * 100.0))
                    .unwrap_or_else(|| "-".into()),
                exceptions,
                r["plugin_version"].as_str().unwrap_or("-"),
                r["reasons"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join("; "))
                    .unwrap_or_default()
            );
        }
    }
    Ok(if troubled {
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
