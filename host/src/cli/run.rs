//! `selvedge run --config <dir> [<client> <flow>]` and `selvedge check --config <dir>`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::app::App;
use crate::config::{Config, Secrets};
use crate::exit::{self, CliError};
use crate::serve::{Listeners, ServeOptions, serve};
use crate::store::StoreLocation;

/// `selvedge run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Config folder: `selvedge.toml` and `clients/*.toml`.
    #[arg(long, env = "SELVEDGE_CONFIG")]
    pub config: PathBuf,
    /// Run one flow of this client once, then exit (with FLOW), instead of serving.
    #[arg(requires = "flow")]
    pub client: Option<String>,
    /// The flow to run once: `catalog`, `inventory`, `orders`, ...
    pub flow: Option<String>,
    /// Stop by itself after this many seconds (default: run until Ctrl-C / SIGTERM).
    #[arg(long, conflicts_with = "client")]
    pub duration: Option<u64>,
    /// With CLIENT FLOW: the run as one JSON object on stdout, and no progress.
    #[arg(long, requires = "client")]
    pub json: bool,
}

/// `selvedge check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Config folder: `selvedge.toml` and `clients/*.toml`.
    #[arg(long, env = "SELVEDGE_CONFIG")]
    pub config: PathBuf,
    /// Also require every secret's environment variable to be set.
    #[arg(long)]
    pub secrets: bool,
}

/// Loads the config (exit 2 on any problem), builds the host and serves until stopped (or
/// runs the one flow named, once).
pub fn run(args: RunArgs) -> Result<u8, CliError> {
    // Config errors surface before the async runtime, the store or any plugin starts.
    let config = Config::load(&args.config)?;
    if let (Some(client), Some(flow)) = (&args.client, &args.flow) {
        return super::run_one::run_one(config, client, flow, args.json);
    }
    let rt = super::tokio_runtime()?;
    let served = rt.block_on(async move {
        // First: a signal during start-up must stop us cleanly, not kill us.
        let stop = crate::shutdown::StopSignals::install();
        let listeners = Listeners::bind(&config.host).await?;
        eprintln!(
            "selvedge: {} client(s) from {}; webhooks on {}, admin on {}",
            config.clients.len(),
            args.config.display(),
            config.host.webhook_listen,
            config.host.admin_listen
        );
        let app = App::build(config, &Secrets::from_env()).await?;
        serve(
            app,
            listeners,
            ServeOptions {
                duration: args.duration.map(Duration::from_secs),
                on_start: None,
                stop,
            },
        )
        .await
    });
    // Work cut short at the deadline is not waited for: it is picked up after a restart.
    rt.shutdown_timeout(Duration::from_millis(500));
    served?;
    Ok(exit::OK)
}

/// Validates a config folder and prints one line per client.
pub fn check(args: CheckArgs) -> Result<u8, CliError> {
    let config = Config::load(&args.config)?;
    if args.secrets {
        let secrets = Secrets::from_env();
        for client in &config.clients {
            crate::config::bluecherry_key(&client.bluecherry, &secrets, &client.file)?;
            match &client.storefront {
                crate::config::StorefrontConfig::BigCommerce(bc) => {
                    bc.resolve(&secrets, &client.file)?;
                    secrets.get(
                        &client.orders.webhook_secret_env,
                        &client.file,
                        "orders.webhook_secret_env",
                    )?;
                }
                crate::config::StorefrontConfig::Sparklayer(sl) => {
                    sl.resolve(&secrets, &client.file)?;
                }
            }
        }
    }
    report_store(&config, args.secrets)?;
    report_plugins(&config)?;
    for client in &config.clients {
        let flows: Vec<String> = client
            .compiled_schedules
            .iter()
            .map(|s| s.flow.to_string())
            .collect();
        println!(
            "ok {:<20} {} ({}), flows: {}",
            client.id,
            client.file.display(),
            client.time_zone_name,
            flows.join(", ")
        );
    }
    Ok(exit::OK)
}

/// Compiles (or loads from the compile cache the host shares) every client's plugin and
/// type-checks it against the rules contract: one line per distinct build.
fn report_plugins(config: &Config) -> Result<(), CliError> {
    let engine = &config.host.plugins;
    let runtime = selvedge_runtime::Runtime::new(selvedge_runtime::RuntimeOptions {
        fuel_metering: engine.fuel_metering,
        max_concurrent_calls: 1,
        max_memory_bytes: engine.max_memory_mib << 20,
        cache_dir: Some(engine.cache_folder(&config.host.data_dir)),
        ..selvedge_runtime::RuntimeOptions::default()
    })
    .map_err(CliError::runtime)?;
    let mut seen = std::collections::BTreeSet::new();
    for client in &config.clients {
        let plugin = runtime
            .load_file(&client.id, &client.plugin.path, None)
            .map_err(|e| {
                CliError::bad_input(format!(
                    "{}: plugin of client {} cannot be loaded: {e}",
                    client.file.display(),
                    client.id
                ))
            })?;
        if seen.insert(plugin.version.clone()) {
            println!(
                "ok plugin {:<13} {} ({}): {} in {:.0} ms",
                plugin.name,
                client.plugin.path.display(),
                plugin.short_version(),
                plugin.origin.describe(),
                plugin.load_time.as_secs_f64() * 1e3
            );
        }
    }
    Ok(())
}

/// One line on the configured store. SQLite's file is read without creating it; PostgreSQL is
/// contacted only with `--secrets` (its password is a secret). A schema newer than this
/// binary fails the check.
fn report_store(config: &Config, with_secrets: bool) -> Result<(), CliError> {
    let location = StoreLocation::of(&config.host);
    if matches!(location, StoreLocation::Postgres { .. }) && !with_secrets {
        println!(
            "ok store                {} (not contacted; --secrets connects)",
            location.describe()
        );
        return Ok(());
    }
    let host_file = config.dir.join(crate::config::HOST_FILE);
    let status = super::tokio_runtime()?
        .block_on(crate::store::schema_status(
            &location,
            &Secrets::from_env(),
            &host_file,
        ))
        .map_err(CliError::from)?;
    status
        .check()
        .map_err(|e| CliError::runtime(format!("{}: {e}", location.describe())))?;
    println!("ok store                {} ({status})", location.describe());
    Ok(())
}
