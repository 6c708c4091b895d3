//! Command line: `selvedge <command>`. Human output by default, `--json` for scripts.

pub mod admin_client;
mod client;
#[cfg(feature = "sandbox")]
mod demo;
mod exceptions;
mod explain;
mod handover;
mod plugin;
mod progress;
mod run;
mod run_one;
#[cfg(feature = "sandbox")]
mod sandbox;
mod status;
mod store;
mod token;

use clap::{Parser, Subcommand};

use crate::exit::CliError;

/// Selvedge: keeps CGS Blue Cherry and your storefronts (BigCommerce, Sparklayer) in step.
#[derive(Debug, Parser)]
#[command(name = "selvedge", version, about, long_about = None)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info,selvedge=debug`.
    #[arg(long, global = true, env = "SELVEDGE_LOG", default_value = "warn")]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Client rule plugins: test, scaffold.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Run every flow for every client in a config folder until Ctrl-C / SIGTERM, or one
    /// flow of one client once (`run --config <dir> <client> <flow>`).
    Run(run::RunArgs),
    /// Check a config folder without starting anything (exit 2 with the file, key and fix).
    Check(run::CheckArgs),
    #[cfg(feature = "sandbox")]
    /// Start the Blue Cherry, BigCommerce and Sparklayer sandboxes with seeded apparel data.
    Sandbox(sandbox::SandboxArgs),
    #[cfg(feature = "sandbox")]
    /// Sandboxes + the host with the example clients + generated activity, in one process.
    Demo(demo::DemoArgs),
    /// The exception queue: list, show, retry, resolve.
    #[command(subcommand)]
    Exceptions(exceptions::ExceptionsCommand),
    /// Sync health of every client of a running host (admin API).
    Status(status::StatusArgs),
    /// Why a SKU's stock or an order's routing is what it is (decision trace, admin API).
    #[command(subcommand)]
    Explain(explain::ExplainCommand),
    /// Write the handover document (markdown) from the config and plugins.
    Handover(handover::HandoverArgs),
    /// The state store: schema status, migrations.
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Run control on a running host: run a flow now, pause or resume a client or flow.
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Admin API tokens: create (with a role and scope), list, revoke.
    #[command(subcommand)]
    Token(token::TokenCommand),
}

impl Cli {
    pub fn init_logging(&self) {
        let filter = tracing_subscriber::EnvFilter::try_new(&self.log)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        let _ = match self.log_format {
            LogFormat::Text => builder.try_init(),
            LogFormat::Json => builder.json().try_init(),
        };
    }

    /// Runs the command; returns the process exit code.
    pub fn run(self) -> Result<u8, CliError> {
        match self.command {
            Command::Plugin(cmd) => plugin::run(cmd),
            Command::Run(args) => run::run(args),
            Command::Check(args) => run::check(args),
            #[cfg(feature = "sandbox")]
            Command::Sandbox(args) => sandbox::run(args),
            #[cfg(feature = "sandbox")]
            Command::Demo(args) => demo::run(args),
            Command::Exceptions(cmd) => exceptions::run(cmd),
            Command::Status(args) => status::run(args),
            Command::Explain(cmd) => explain::run(cmd),
            Command::Handover(args) => handover::run(args),
            Command::Store(cmd) => store::run(cmd),
            Command::Token(cmd) => token::run(cmd),
            Command::Client(cmd) => client::run(cmd),
        }
    }
}

/// A multi-threaded tokio runtime for commands that need one.
pub(crate) fn tokio_runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(format!("cannot start the async runtime: {e}")))
}
