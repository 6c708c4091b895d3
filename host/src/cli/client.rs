//! `selvedge client run|pause|resume <client> [flow]` and `selvedge client resync`: run
//! control and targeted re-syncs on a running host, through its admin API (operator role).

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::admin_client::{AdminApi, Remote, print_json};
use super::explain::encode;
use crate::exit::{self, CliError};

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Run a flow of a client now (on the host that runs the client).
    Run(RunArgs),
    /// Pause a client, or one of its flows: schedules skip it, its order and refund jobs wait
    /// queued (webhooks are still stored) until it is resumed. Holds across restarts.
    Pause(PauseArgs),
    /// Resume a paused client or flow.
    Resume(PauseArgs),
    /// Re-sync one order, SKU(-location) or style now, through the job engine: a SKU is
    /// recomputed and pushed, a style rewritten, an order injected if it is not in Blue Cherry
    /// (never a second ERP order). Exit 0 done, 1 still waiting or sent to the exception
    /// queue, 2 unknown id or paused, 3 failed.
    Resync(ResyncArgs),
    /// A client's jobs on the engine, newest first (orders to inject, refunds, re-syncs).
    Jobs(JobsArgs),
    /// Cancel a queued job: it is never claimed, and no storefront event brings it back.
    /// Exit 2 when the job is not queued any more (a running one is its worker's).
    Cancel(CancelArgs),
}

#[derive(Debug, Args)]
pub struct JobsArgs {
    pub client: String,
    /// queued, running, done, dead, cancelled or all.
    #[arg(long, default_value = "queued")]
    pub state: String,
    /// Jobs to show (at most 1000).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    pub client: String,
    /// The job id (from `selvedge client jobs`).
    pub job: i64,
    /// Why, for whoever reads the job later.
    #[arg(long)]
    pub note: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["order", "sku", "style"])))]
pub struct ResyncArgs {
    pub client: String,
    /// A storefront order id.
    #[arg(long)]
    pub order: Option<String>,
    /// An ERP SKU.
    #[arg(long)]
    pub sku: Option<String>,
    /// With --sku: one Blue Cherry warehouse code or storefront location.
    #[arg(long, requires = "sku")]
    pub location: Option<String>,
    /// An ERP style.
    #[arg(long)]
    pub style: Option<String>,
    /// Seconds to wait for the answer (at most 100).
    #[arg(long, default_value_t = 20)]
    pub wait_secs: u64,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    pub client: String,
    /// The flow (`inventory`, `orders`, `catalog`, ...).
    pub flow: String,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    pub client: String,
    /// One flow only; default the whole client.
    pub flow: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}

pub fn run(cmd: ClientCommand) -> Result<u8, CliError> {
    let (remote, path, body) = match &cmd {
        ClientCommand::Resync(a) => return resync(a),
        ClientCommand::Jobs(a) => return jobs(a),
        ClientCommand::Cancel(a) => (
            &a.remote,
            format!("/api/clients/{}/jobs/{}/cancel", encode(&a.client), a.job),
            json!({ "note": a.note }),
        ),
        ClientCommand::Run(a) => (
            &a.remote,
            format!("/api/clients/{}/run/{}", encode(&a.client), encode(&a.flow)),
            json!({}),
        ),
        ClientCommand::Pause(a) => (
            &a.remote,
            format!("/api/clients/{}/pause", encode(&a.client)),
            json!({ "flow": a.flow }),
        ),
        ClientCommand::Resume(a) => (
            &a.remote,
            format!("/api/clients/{}/resume", encode(&a.client)),
            json!({ "flow": a.flow }),
        ),
    };
    let api = AdminApi::connect(remote)?;
    let rt = super::tokio_runtime()?;
    let done: Value = rt.block_on(api.post(&path, &body))?;
    if remote.json {
        print_json(&done);
    } else if let ClientCommand::Cancel(a) = &cmd {
        println!(
            "job {} of {}: {}",
            a.job,
            a.client,
            done["last_error"].as_str().unwrap_or("cancelled")
        );
    } else {
        let flow = done["flow"].as_str().unwrap_or("*");
        println!(
            "{} {}: {}",
            done["client"].as_str().unwrap_or("-"),
            if flow == "*" { "(all flows)" } else { flow },
            done["outcome"].as_str().unwrap_or("-")
        );
    }
    Ok(exit::OK)
}

fn resync(a: &ResyncArgs) -> Result<u8, CliError> {
    let api = AdminApi::connect(&a.remote)?;
    let rt = super::tokio_runtime()?;
    let body = json!({
        "order": a.order, "sku": a.sku, "location": a.location, "style": a.style,
        "wait_secs": a.wait_secs,
    });
    let path = format!("/api/clients/{}/resync", encode(&a.client));
    let done: Value = rt.block_on(api.post(&path, &body))?;
    let status = done["status"].as_str().unwrap_or("-");
    if a.remote.json {
        print_json(&done);
    } else {
        println!(
            "{} ({status}): {}",
            done["client"].as_str().unwrap_or("-"),
            done["message"].as_str().unwrap_or("-")
        );
    }
    Ok(match status {
        "queued" | "exception" => exit::CHECK_FAILED,
        "failed" => exit::RUNTIME_FAILURE,
        _ => exit::OK,
    })
}

fn jobs(a: &JobsArgs) -> Result<u8, CliError> {
    let api = AdminApi::connect(&a.remote)?;
    let rt = super::tokio_runtime()?;
    let path = format!(
        "/api/clients/{}/jobs?state={}&limit={}",
        encode(&a.client),
        encode(&a.state),
        a.limit
    );
    let page: Value = rt.block_on(api.get(&path))?;
    if a.remote.json {
        print_json(&page);
        return Ok(exit::OK);
    }
    let jobs = page["jobs"].as_array().cloned().unwrap_or_default();
    if jobs.is_empty() {
        println!("no {} jobs for {}", a.state, a.client);
    }
    for j in jobs {
        println!(
            "{:>8}  {:<9} {:<32} {:<28} run at {}{}",
            j["id"],
            j["state"].as_str().unwrap_or("-"),
            j["kind"].as_str().unwrap_or("-"),
            j["key"].as_str().unwrap_or("-"),
            j["run_at"].as_str().unwrap_or("-"),
            j["last_error"]
                .as_str()
                .map(|e| format!("  ({e})"))
                .unwrap_or_default()
        );
    }
    Ok(exit::OK)
}
