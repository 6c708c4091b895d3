//! `selvedge explain sku|order`: the decision trace behind a SKU's stock or an order's routing.

use clap::{Args, Subcommand};

use super::admin_client::{AdminApi, Remote, print_json};
use crate::exit::{self, CliError};
use crate::http::model::{ClientSummary, WhyReport};

/// What to explain.
#[derive(Debug, Subcommand)]
pub enum ExplainCommand {
    /// Why a SKU's storefront stock is what it is (buckets, buffers, plugin version).
    Sku(ExplainArgs),
    /// Why an order went to its warehouse and division, and where it is now.
    Order(ExplainArgs),
}

/// Arguments of `selvedge explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The SKU or storefront order id.
    pub subject: String,
    /// Client (default: the only client of the host).
    #[arg(long)]
    pub client: Option<String>,
    /// Make the newest decision again from its recorded call, with the build that made it,
    /// and show both side by side.
    #[arg(long)]
    pub replay: bool,
    /// Also print each decision's raw record (what the plugin reported, as stored).
    #[arg(long)]
    pub details: bool,
    /// With `--replay`: replay with this build instead (a candidate `.wasm`).
    #[arg(long, requires = "replay")]
    pub with: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub remote: Remote,
}

/// Runs `selvedge explain`.
pub fn run(cmd: ExplainCommand) -> Result<u8, CliError> {
    let (kind, args) = match cmd {
        ExplainCommand::Sku(a) => ("sku", a),
        ExplainCommand::Order(a) => ("order", a),
    };
    let api = AdminApi::connect(&args.remote)?;
    let rt = super::tokio_runtime()?;
    rt.block_on(async {
        let client = match args.client.clone() {
            Some(c) => c,
            None => {
                let clients: Vec<ClientSummary> = api.get("/api/clients").await?;
                match clients.as_slice() {
                    [one] => one.id.clone(),
                    _ => {
                        let ids: Vec<&str> = clients.iter().map(|c| c.id.as_str()).collect();
                        return Err(CliError::bad_input(format!(
                            "several clients ({}): pass --client",
                            ids.join(", ")
                        )));
                    }
                }
            }
        };
        let path = format!(
            "/api/clients/{}/why/{kind}/{}",
            encode(&client),
            encode(&args.subject)
        );
        if args.replay {
            return replay(&api, &format!("{path}/replay"), &args).await;
        }
        let why: WhyReport = api.get(&path).await?;
        if args.remote.json {
            print_json(&why);
        } else {
            print_human(&why, args.details);
        }
        Ok(exit::OK)
    })
}

/// `--replay`: the stored decision and the same call made again; exits 1 when they differ.
async fn replay(api: &AdminApi, path: &str, args: &ExplainArgs) -> Result<u8, CliError> {
    let report: serde_json::Value = match &args.with {
        Some(file) => {
            let bytes = std::fs::read(file)
                .map_err(|e| CliError::bad_input(format!("{}: {e}", file.display())))?;
            api.post_bytes(path, bytes).await?
        }
        None => api.get(path).await?,
    };
    if args.remote.json {
        print_json(&report);
    } else {
        let short = |v: &serde_json::Value| {
            let s = v.as_str().unwrap_or("-").to_string();
            s.get(..12).map(str::to_string).unwrap_or(s)
        };
        println!(
            "{} {} of {}: decision {} from recorded call {}",
            report["flow"].as_str().unwrap_or("-"),
            report["subject"].as_str().unwrap_or("-"),
            report["client"].as_str().unwrap_or("-"),
            report["decision_id"],
            report["call_id"].as_str().unwrap_or("-")
        );
        println!(
            "  original  ({}): {}",
            short(&report["original"]["plugin_version"]),
            report["original"]["decided"]
        );
        println!(
            "  replayed  ({}{}): {}",
            short(&report["replayed"]["plugin_version"]),
            if report["with_candidate"].as_bool() == Some(true) {
                ", candidate"
            } else {
                ""
            },
            report["replayed"]["decided"]
        );
        println!(
            "  {}",
            if report["identical"].as_bool() == Some(true) {
                "identical"
            } else {
                "DIFFERENT"
            }
        );
    }
    Ok(if report["identical"].as_bool() == Some(true) {
        exit::OK
    } else {
        exit::CHECK_FAILED
    })
}

fn print_human(w: &WhyReport, details: bool) {
    println!("{} {} of {}", w.subject_kind, w.subject, w.client);
    if let Some(o) = &w.order {
        println!(
            "  state {}{}, {} attempt(s){}",
            o.state,
            o.erp_order_no
                .as_deref()
                .map(|n| format!(" as ERP order {n}"))
                .unwrap_or_default(),
            o.attempts,
            o.last_error
                .as_deref()
                .map(|e| format!(", last error: {e}"))
                .unwrap_or_default()
        );
        for t in &o.history {
            println!(
                "    {}  {} -> {}{}",
                t.at,
                t.from.as_deref().unwrap_or("-"),
                t.to,
                t.note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            );
        }
    }
    if w.decisions.is_empty() {
        println!("  no plugin decision recorded");
    }
    for d in &w.decisions {
        println!("  {}  {}: {}", d.at, d.flow, d.sentence);
        if details {
            println!("    why:   {}", d.reason);
            println!("    value: {}", d.value);
        }
    }
    for a in &w.buffer_advice {
        println!(
            "  buffer advice at {}: {} (now {}, rule {}): {}",
            a.location, a.recommended_buffer, a.current_buffer, a.rule, a.why
        );
    }
    for e in &w.exceptions {
        println!(
            "  exception {} [{}] {}: {}",
            e.id, e.state, e.kind, e.summary
        );
    }
}

/// Percent-encodes a path segment.
pub(crate) fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
