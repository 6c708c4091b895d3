//! `selvedge sandbox`: the three sandboxes on loopback until Ctrl-C.

use std::net::IpAddr;
use std::time::Duration;

use clap::Args;

use crate::exit::{self, CliError};
use crate::sandbox::{SandboxOptions, Sandboxes, ports};

/// `selvedge sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Interface to bind (loopback by default; the sandboxes have fixed demo credentials).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Blue Cherry gateway port (0 = any free port).
    #[arg(long, default_value_t = ports::BLUECHERRY)]
    pub bluecherry_port: u16,
    /// BigCommerce store port.
    #[arg(long, default_value_t = ports::BIGCOMMERCE)]
    pub bigcommerce_port: u16,
    /// Sparklayer site port.
    #[arg(long, default_value_t = ports::SPARKLAYER)]
    pub sparklayer_port: u16,
    /// Seconds between ERP batch cycles (0 = only on request).
    #[arg(long, default_value_t = 60)]
    pub cycle_secs: u64,
    /// Styles in the seeded catalogue.
    #[arg(long, default_value_t = 60)]
    pub styles: usize,
    /// Print the URLs as one JSON object (on one line) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Starts the sandboxes, prints their URLs, waits for Ctrl-C / SIGTERM.
pub fn run(args: SandboxArgs) -> Result<u8, CliError> {
    let options = SandboxOptions {
        host: args.host,
        bluecherry_port: args.bluecherry_port,
        bigcommerce_port: args.bigcommerce_port,
        sparklayer_port: args.sparklayer_port,
        cycle_period: (args.cycle_secs > 0).then(|| Duration::from_secs(args.cycle_secs)),
        styles: args.styles,
        ..SandboxOptions::default()
    };
    let rt = super::tokio_runtime()?;
    rt.block_on(async move {
        let mut stop = crate::shutdown::StopSignals::install();
        let sandboxes = Sandboxes::start(&options)
            .await
            .map_err(|e| CliError::runtime(e.to_string()))?;
        let urls = sandboxes.urls();
        if args.json {
            let doc = serde_json::json!({
                "bluecherry": urls.bluecherry,
                "bigcommerce": urls.bigcommerce,
                "sparklayer": urls.sparklayer,
                "seed": sandboxes.seed,
            });
            println!("{doc}");
        } else {
            let seed = &sandboxes.seed;
            println!(
                "Blue Cherry  {}   ({} styles, {} SKUs, warehouses {})",
                urls.bluecherry,
                seed.styles,
                seed.skus,
                seed.warehouses.join(", ")
            );
            println!(
                "BigCommerce  {}   (store hash `sandbox`, locations {}, empty catalog)",
                urls.bigcommerce,
                seed.warehouses.join(", ")
            );
            println!(
                "Sparklayer   {}   ({} B2B customers)",
                urls.sparklayer, seed.customers
            );
            println!("Credentials for the example configs:");
            for (name, value) in crate::sandbox::credentials::ENV {
                println!("  export {name}={value}");
            }
            println!("Ctrl-C stops.");
        }
        stop.wait(None).await;
        sandboxes.shutdown().await;
        Ok::<_, CliError>(())
    })?;
    Ok(exit::OK)
}
