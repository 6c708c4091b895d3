//! `selvedge handover --config <dir> [--client id] [--out file]`.

use std::path::PathBuf;

use clap::Args;

use crate::config::Config;
use crate::exit::{self, CliError};

/// Arguments of `selvedge handover`.
#[derive(Debug, Args)]
pub struct HandoverArgs {
    /// Config folder: `selvedge.toml` and `clients/*.toml`.
    #[arg(long, env = "SELVEDGE_CONFIG")]
    pub config: PathBuf,
    /// Only this client.
    #[arg(long)]
    pub client: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Prints (or writes) the handover document.
pub fn run(args: HandoverArgs) -> Result<u8, CliError> {
    let config = Config::load(&args.config)?;
    let doc =
        crate::handover::render(&config, args.client.as_deref()).map_err(CliError::bad_input)?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &doc)
                .map_err(|e| CliError::runtime(format!("{}: {e}", path.display())))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{doc}"),
    }
    Ok(exit::OK)
}
