//! `selvedge client run|pause|resume <client> [flow]`: run control on a running host,
//! through its admin API (operator role).

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
