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
    /// Seconds to wait for the answer (at most 120).
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
