//! `selvedge store status|migrate --config <dir>`: where the state store's schema stands, and
//! applying pending migrations before a fleet of hosts starts (each host also migrates at
//! start; PostgreSQL serialises concurrent migrators).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::config::{Config, HOST_FILE, Secrets};
use crate::exit::{self, CliError};
use crate::store::StoreLocation;

/// `selvedge store <command>`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// The configured store and its schema version, without changing anything.
    Status(StoreArgs),
    /// Apply pending schema migrations to the configured store.
    Migrate(StoreArgs),
}

/// Arguments every store command takes.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Config folder: `selvedge.toml` (its `[store]` section).
    #[arg(long, env = "SELVEDGE_CONFIG")]
    pub config: PathBuf,
    /// One JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs one store command.
pub fn run(cmd: StoreCommand) -> Result<u8, CliError> {
    let rt = super::tokio_runtime()?;
    rt.block_on(async move {
        match cmd {
            StoreCommand::Status(args) => status(args).await,
            StoreCommand::Migrate(args) => migrate(args).await,
        }
    })
}

async fn status(args: StoreArgs) -> Result<u8, CliError> {
    let host = Config::load_host_only(&args.config)?;
    let location = StoreLocation::of(&host);
    let host_file = args.config.join(HOST_FILE);
    let status = crate::store::schema_status(&location, &Secrets::from_env(), &host_file)
        .await
        .map_err(CliError::from)?;
    let too_new = status.check().is_err();
    if args.json {
        println!(
            "{}",
            json!({
                "store": location.describe(),
                "applied": status.applied,
                "known": status.known,
                "pending": status.pending(),
                "too_new": too_new,
            })
        );
    } else {
        println!("store: {}\n{status}", location.describe());
    }
    if too_new {
        return Err(CliError::runtime(format!(
            "{}: schema {} is newer than this binary knows ({}); run the Selvedge that migrated it",
            location.describe(),
            status.applied.unwrap_or_default(),
            status.known
        )));
    }
    Ok(exit::OK)
}

async fn migrate(args: StoreArgs) -> Result<u8, CliError> {
    let host = Config::load_host_only(&args.config)?;
    let location = StoreLocation::of(&host);
    let host_file = args.config.join(HOST_FILE);
    let secrets = Secrets::from_env();
    let before = crate::store::schema_status(&location, &secrets, &host_file)
        .await
        .map_err(CliError::from)?;
    let store = crate::store::open(&location, &secrets, &host_file)
        .await
        .map_err(CliError::from)?;
    if let Err(e) = store.close().await {
        tracing::warn!(error = %e, "the store did not close cleanly");
    }
    let applied = before.pending();
    if args.json {
        println!(
            "{}",
            json!({
                "store": location.describe(),
                "applied_migrations": applied,
                "version": before.known,
            })
        );
    } else {
        println!(
            "store: {}\napplied {applied} migration(s); schema now at {}",
            location.describe(),
            before.known
        );
    }
    Ok(exit::OK)
}
