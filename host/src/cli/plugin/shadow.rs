//! `selvedge plugin shadow|shadow-accept`: try a candidate beside the live plugin on a
//! running host's recorded calls, and accept a run's differences after review.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use crate::cli::admin_client::{AdminApi, Remote, print_json};
use crate::cli::explain::encode;
use crate::cli::progress::Reporter;
use crate::exit::{self, CliError};
use crate::progress::Progress;

/// `selvedge plugin shadow`.
#[derive(Debug, Args)]
pub struct ShadowArgs {
    /// Client whose recorded calls the candidate runs on.
    pub client: String,
    /// The candidate `.wasm` (uploaded; nothing goes live).
    pub plugin: PathBuf,
    /// Recent recorded calls per rule (cycles, order batches, refunds, styles, price runs).
    #[arg(long, default_value_t = 5)]
    pub calls: u32,
    #[command(flatten)]
    pub remote: Remote,
}

/// `selvedge plugin shadow-accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// Client of the run.
    pub client: String,
    /// The shadow run's id (printed by `selvedge plugin shadow`).
    pub run: i64,
    /// Who reviewed the differences.
    #[arg(long)]
    pub by: String,
    #[command(flatten)]
    pub remote: Remote,
}

/// Runs a shadow run; exits 0 when nothing changed, 1 when decisions would change.
pub fn shadow(args: ShadowArgs) -> Result<u8, CliError> {
    let bytes = std::fs::read(&args.plugin)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.plugin.display())))?;
    let api = AdminApi::connect(&args.remote)?;
    let rt = crate::cli::tokio_runtime()?;
    let path = format!(
        "/api/clients/{}/plugin/shadow?calls={}",
        encode(&args.client),
        args.calls
    );
    let progress = Reporter::for_command(args.remote.json);
    progress.wait("running the candidate beside the live plugin on recorded calls");
    let report: Result<Value, CliError> = rt.block_on(api.post_bytes(&path, bytes));
    progress.finish();
    let report = report?;
    if args.remote.json {
        print_json(&report);
    } else {
        print_report(&report);
    }
    Ok(if report["clean"].as_bool() == Some(true) {
        exit::OK
    } else {
        exit::CHECK_FAILED
    })
}

fn short(v: &Value) -> &str {
    let s = v.as_str().unwrap_or("-");
    s.get(..12).unwrap_or(s)
}

fn print_report(r: &Value) {
    println!(
        "shadow run {} of {}: candidate {} beside live {}, {} recorded call(s), {} decision(s) change",
        r["run_id"],
        r["client"].as_str().unwrap_or("-"),
        short(&r["candidate"]),
        short(&r["live"]),
        r["calls"],
        r["changed"]
    );
    for rule in r["rules"].as_array().into_iter().flatten() {
        let delta = &rule["ats_delta"];
        let moved = if delta.is_object() {
            format!(
                ", ATS {:+} in all ({}..{} per row)",
                delta["total"].as_i64().unwrap_or(0),
                delta["min"],
                delta["max"]
            )
        } else {
            String::new()
        };
        println!(
            "  {:<12} {} call(s), {} compared, {} changed{moved}",
            rule["call"].as_str().unwrap_or("-"),
            rule["calls"],
            rule["subjects"],
            rule["changed"]
        );
        for e in rule["examples"].as_array().into_iter().flatten() {
            println!(
                "    {}: {} -> {}",
                e["subject"].as_str().unwrap_or("-"),
                e["live"],
                e["candidate"]
            );
        }
    }
    if r["clean"].as_bool() == Some(true) {
        println!("clean: the candidate decides as the live plugin does on every recorded call");
    } else {
        println!(
            "review the changes; accept them with `selvedge plugin shadow-accept {} {} --by <you>`",
            r["client"].as_str().unwrap_or("-"),
            r["run_id"]
        );
    }
}

/// Accepts a shadow run's differences.
pub fn accept(args: AcceptArgs) -> Result<u8, CliError> {
    let api = AdminApi::connect(&args.remote)?;
    let rt = crate::cli::tokio_runtime()?;
    let path = format!(
        "/api/clients/{}/plugin/shadow/{}/accept",
        encode(&args.client),
        args.run
    );
    let done: Value = rt.block_on(api.post(&path, &json!({ "by": args.by })))?;
    if args.remote.json {
        print_json(&done);
    } else {
        println!("shadow run {} accepted by {}", args.run, args.by);
    }
    Ok(exit::OK)
}
