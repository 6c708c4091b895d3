//! `selvedge plugin test|new`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use selvedge_runtime::fixtures::{self, CaseResult};
use selvedge_runtime::{ClientContext, PluginLimits, PluginVersion, Runtime, RuntimeOptions};

use crate::exit::{self, CliError};

mod remote;
mod scaffold;
mod shadow;

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Run fixture cases (input JSON -> expected JSON) against a plugin under the production
    /// limits; exits 1 if any case fails.
    Test(TestArgs),
    /// Scaffold a new client plugin (a Rust crate, or a Python module with `--lang python`)
    /// with a passing fixture.
    New(NewArgs),
    /// A running host's plugins: active version, rollback candidates, history (admin API).
    List(remote::ListArgs),
    /// Swap a client's plugin on a running host (checked against its fixtures first).
    Swap(remote::SwapArgs),
    /// Roll a client's plugin back to the previous version on a running host.
    Rollback(remote::RollbackArgs),
    /// Run a candidate beside a client's live plugin on its recorded calls (the last ERP
    /// cycles, order batches, refunds, styles, price runs) and show the decisions it would
    /// change; exits 1 when any would.
    Shadow(shadow::ShadowArgs),
    /// Accept a shadow run's differences after review (what `require_shadow` asks before a
    /// swap).
    ShadowAccept(shadow::AcceptArgs),
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The plugin component (`.wasm`).
    pub plugin: PathBuf,
    /// Folder of fixture cases (`*.json`, optional `context.toml`).
    pub fixtures: PathBuf,
    /// Print results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write each case's actual output as its expected output (review the diff before committing).
    #[arg(long, env = "BLESS", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false")]
    pub bless: bool,
    /// CPU time limit per call, ms (default: production default).
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// Memory limit per call, MiB.
    #[arg(long)]
    pub max_memory_mib: Option<usize>,
    /// Fuel limit per call (0 = none).
    #[arg(long)]
    pub fuel: Option<u64>,
    /// Output limit per call, KiB.
    #[arg(long)]
    pub max_output_kib: Option<usize>,
    /// Compile cache folder, shared with the host and `selvedge check` (default:
    /// `$SELVEDGE_PLUGIN_CACHE`, else `~/.cache/selvedge/plugin-cache`).
    #[arg(long, conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    /// Compile without reading or writing the cache.
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Plugin name, e.g. `acme-apparel` (letters, digits, dashes).
    pub name: String,
    /// Folder to create the crate in.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Path of the SDK: the `selvedge-plugin-sdk` crate (Rust) or `plugins/sdk-python`
    /// (Python); defaults to the one this binary was built with.
    #[arg(long)]
    pub sdk: Option<PathBuf>,
    /// Language of the plugin: a Rust crate, or a Python module built with componentize-py.
    #[arg(long, value_enum, default_value_t = scaffold::Lang::Rust)]
    pub lang: scaffold::Lang,
}

pub fn run(cmd: PluginCommand) -> Result<u8, CliError> {
    match cmd {
        PluginCommand::Test(args) => test(args),
        PluginCommand::New(args) => {
            scaffold::new_plugin(&args.name, &args.dir, args.sdk.as_deref(), args.lang)
        }
        PluginCommand::List(args) => remote::list(args),
        PluginCommand::Swap(args) => remote::swap(args),
        PluginCommand::Rollback(args) => remote::rollback(args),
        PluginCommand::Shadow(args) => shadow::shadow(args),
        PluginCommand::ShadowAccept(args) => shadow::accept(args),
    }
}

fn limits(args: &TestArgs) -> PluginLimits {
    let mut limits = PluginLimits::default();
    if let Some(v) = args.timeout_ms {
        limits.timeout_ms = v;
    }
    if let Some(v) = args.max_memory_mib {
        limits.max_memory_bytes = v << 20;
    }
    if let Some(v) = args.fuel {
        limits.fuel = v;
    }
    if let Some(v) = args.max_output_kib {
        limits.max_output_bytes = v << 10;
    }
    limits
}

fn test(args: TestArgs) -> Result<u8, CliError> {
    let cache_dir = if args.no_cache {
        None
    } else {
        args.cache_dir
            .clone()
            .or_else(selvedge_runtime::cache::default_dir)
    };
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir,
        ..RuntimeOptions::default()
    })
    .map_err(CliError::runtime)?;
    let plugin = runtime
        .load_file("plugin-test", &args.plugin, None)
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    let context = Arc::new(ClientContext::new("plugin-test"));
    let limits = limits(&args);
    let results = fixtures::run_dir(&plugin, &context, &limits, &args.fixtures)
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    // Blessing rewrites the cases that did not pass; they are reported as blessed, not failed.
    let blessed = if args.bless {
        fixtures::bless(&args.fixtures, &results).map_err(|e| CliError::runtime(e.to_string()))?
    } else {
        Vec::new()
    };
    let failed = results
        .iter()
        .filter(|r| !r.passed && !blessed.contains(&r.name))
        .count();
    let load = serde_json::json!({
        "origin": plugin.origin,
        "ms": plugin.load_time.as_secs_f64() * 1e3,
    });
    if args.json {
        let doc = serde_json::json!({
            "plugin": args.plugin.display().to_string(),
            "version": plugin.version,
            "load": load,
            "passed": results.len() - failed - blessed.len(),
            "failed": failed,
            "blessed": blessed,
            "cases": results,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print_human(&plugin, &results, &blessed);
    }
    Ok(if failed == 0 {
        exit::OK
    } else {
        exit::CHECK_FAILED
    })
}

fn print_human(plugin: &PluginVersion, results: &[CaseResult], blessed: &[String]) {
    println!(
        "plugin {} ({}): {} in {:.0} ms",
        plugin.name,
        plugin.short_version(),
        plugin.origin.describe(),
        plugin.load_time.as_secs_f64() * 1e3
    );
    for r in results {
        let was_blessed = blessed.contains(&r.name);
        let status = match (r.passed, was_blessed) {
            (true, _) => "PASS",
            (false, true) => "BLESSED",
            (false, false) => "FAIL",
        };
        let measures = r
            .report
            .as_ref()
            .map(|rep| {
                let fuel = rep
                    .fuel
                    .map(|f| format!("fuel {f}"))
                    .unwrap_or_else(|| "fuel -".into());
                format!(
                    "{fuel}, peak memory {:.1} MiB, {:.2} ms",
                    rep.peak_memory_bytes as f64 / 1048576.0,
                    rep.duration.as_secs_f64() * 1e3
                )
            })
            .unwrap_or_default();
        println!("{status} {:<40} {measures}", r.name);
        if !r.passed && !was_blessed {
            if let Some(err) = &r.error {
                println!("  error: {err}");
            }
            if let Some(diff) = &r.diff {
                for line in diff.lines() {
                    println!("  {line}");
                }
            }
        }
        if let Some(rep) = &r.report {
            for t in &rep.trace {
                println!("  trace [{}] {} {:?}", t.level, t.message, t.fields);
            }
        }
    }
    let failed = results.iter().filter(|r| !r.passed).count() - blessed.len();
    println!(
        "fixtures: {} passed, {} failed",
        results.len() - failed - blessed.len(),
        failed
    );
    if !blessed.is_empty() {
        println!(
            "blessed {} case(s), their expected output rewritten (review the diff): {}",
            blessed.len(),
            blessed.join(", ")
        );
    }
}
