//! `selvedge store status|migrate --config <dir>`: where the state store's schema stands, and
//! applying pending migrations before a fleet of hosts starts (each host also migrates at
//! start; PostgreSQL serialises concurrent migrators).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use selvedge_store_postgres::CopyProgress;
use serde_json::json;

use super::progress::Reporter;
use crate::config::{Config, HOST_FILE, Secrets};
use crate::exit::{self, CliError};
use crate::progress::Progress;
use crate::store::StoreLocation;

/// `selvedge store <command>`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// The configured store and its schema version, without changing anything.
    Status(StoreArgs),
    /// Apply pending schema migrations to the configured store.
    Migrate(StoreArgs),
    /// Move an embedded install to the configured PostgreSQL store: every row of the SQLite
    /// file copied into the empty database in one transaction (whole or nothing).
    Copy(CopyArgs),
}

/// Where a copy reads from and writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// The embedded SQLite file.
    Sqlite,
    /// The PostgreSQL database `[store] url` names.
    Postgres,
}

/// `selvedge store copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The store copied from.
    #[arg(long, value_enum)]
    pub from: Backend,
    /// The store copied to.
    #[arg(long, value_enum)]
    pub to: Backend,
    /// The SQLite file (default `<data_dir>/selvedge.sqlite` of the config).
    #[arg(long)]
    pub file: Option<PathBuf>,
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
            StoreCommand::Copy(args) => copy(args).await,
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

async fn copy(args: CopyArgs) -> Result<u8, CliError> {
    if (args.from, args.to) != (Backend::Sqlite, Backend::Postgres) {
        return Err(CliError::bad_input(
            "only --from sqlite --to postgres is supported (moving an embedded install to a shared store)",
        ));
    }
    let dir = &args.store.config;
    let host = Config::load_host_only(dir)?;
    let host_file = dir.join(HOST_FILE);
    let target = StoreLocation::of(&host);
    if !target.is_shared() {
        return Err(CliError::bad_input(format!(
            "{}: [store] url names no PostgreSQL database to copy to\n  fix: add [store] url = \"postgres://...\"",
            host_file.display()
        )));
    }
    let file = args.file.unwrap_or_else(|| Config::state_file(&host));
    if !file.is_file() {
        return Err(CliError::bad_input(format!(
            "{}: no SQLite state file to copy",
            file.display()
        )));
    }
    // Both ends at this binary's schema first: the copy maps table to table.
    let source = crate::store::open(
        &StoreLocation::Sqlite(file.clone()),
        &Secrets::from_env(),
        &host_file,
    )
    .await
    .map_err(CliError::from)?;
    let _ = source.close().await;
    let target_store = crate::store::open_postgres(&target, &Secrets::from_env(), &host_file)
        .await
        .map_err(CliError::from)?;
    let progress = Reporter::for_command(args.store.json);
    let copied =
        selvedge_store_postgres::copy_from_sqlite(&file, &target_store, |step| match step {
            CopyProgress::Counted(total) => progress.start("store copy", "rows", Some(total)),
            CopyProgress::Copied { rows, .. } => progress.advance(rows),
        })
        .await
        .map_err(|e| CliError::runtime(format!("copy to {}: {e}", target.describe())))?;
    progress.finish();
    target_store.close().await;
    let total: u64 = copied.iter().map(|t| t.rows).sum();
    if args.store.json {
        let tables: serde_json::Map<String, serde_json::Value> = copied
            .iter()
            .map(|t| (t.table.clone(), json!(t.rows)))
            .collect();
        println!(
            "{}",
            json!({ "from": file.display().to_string(), "to": target.describe(), "rows": total, "tables": tables })
        );
    } else {
        for t in &copied {
            println!("{:<20} {:>10} rows", t.table, t.rows);
        }
        println!(
            "copied {total} rows from {} to {} (counts checked table by table)",
            file.display(),
            target.describe()
        );
    }
    Ok(exit::OK)
}
