//! `selvedge demo`: the sandboxes, the host with the example clients pointed at them, and
//! generated activity (orders in BigCommerce and Sparklayer, a shipment, a refund), all in
//! one process, printing what happens.

mod activity;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::app::App;
use crate::config::{Config, Secrets, StorefrontConfig};
use crate::exit::{self, CliError};
use crate::sandbox::{SandboxOptions, Sandboxes, credentials};
use crate::serve::{Listeners, ServeOptions, serve};

/// The example configs, in the repository this binary was built from.
const EXAMPLES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");

/// `selvedge demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Stop by itself after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub duration: Option<u64>,
    /// Config folder to run (default: the repository's `examples/`); its connector URLs are
    /// pointed at the demo's sandboxes.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Keep state here (default: a temporary folder removed at exit).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Seconds between ERP batch cycles.
    #[arg(long, default_value_t = 15)]
    pub cycle_secs: u64,
    /// Seconds between generated activity steps.
    #[arg(long, default_value_t = 6)]
    pub step_secs: u64,
}

/// Sandboxes, host and generated activity until the duration ends or a signal arrives.
pub fn run(args: DemoArgs) -> Result<u8, CliError> {
    let dir = args
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(EXAMPLES_DIR));
    let mut config = Config::load(&dir)?;
    let temp = tempfile::TempDir::with_prefix("selvedge-demo-")
        .map_err(|e| CliError::runtime(format!("cannot create a temporary folder: {e}")))?;
    config.host.data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    config.host.plugins.cache_dir = None;
    // Any free ports: the demo must not collide with a `selvedge sandbox` or host already running.
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    config.host.webhook_listen = loopback;
    config.host.admin_listen = loopback;
    let rt = super::tokio_runtime()?;
    rt.block_on(async move {
        // First: a signal during start-up must stop us cleanly, not kill us.
        let stop = crate::shutdown::StopSignals::install();
        let sandboxes = Sandboxes::start(&SandboxOptions {
            bluecherry_port: 0,
            bigcommerce_port: 0,
            sparklayer_port: 0,
            cycle_period: Some(Duration::from_secs(args.cycle_secs.max(1))),
            ..SandboxOptions::default()
        })
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
        let urls = sandboxes.urls();
        let seed = &sandboxes.seed;
        println!("demo: sandboxes up: Blue Cherry {} ({} styles, {} SKUs, warehouses {}), BigCommerce {}, Sparklayer {} ({} B2B customers)",
            urls.bluecherry, seed.styles, seed.skus, seed.warehouses.join(" + "), urls.bigcommerce, urls.sparklayer, seed.customers);
        let listeners = Listeners::bind(&config.host).await?;
        let webhook_addr = listeners.webhook.local_addr().map_err(|e| CliError::runtime(e.to_string()))?;
        if let Ok(admin_addr) = listeners.admin.local_addr() {
            let token_env = &config.host.admin.token_env;
            let hint = if std::env::var_os(token_env).is_some() { "set" } else { "not set: the dashboard stays locked" };
            println!("demo: dashboard http://{admin_addr}/ (token from ${token_env}, {hint})");
        }
        config.host.public_url = Some(format!("http://{webhook_addr}"));
        for client in &mut config.clients {
            client.bluecherry.base_url = urls.bluecherry.clone();
            match &mut client.storefront {
                StorefrontConfig::BigCommerce(s) => s.config.base_url = urls.bigcommerce.clone(),
                StorefrontConfig::Sparklayer(s) => s.config.base_url = urls.sparklayer.clone(),
            }
        }
        let secrets = credentials::ENV
            .iter()
            .fold(Secrets::from_env(), |s, (name, value)| s.with(name, value));
        let clients: Vec<String> = config.clients.iter().map(|c| format!("{} ({})", c.id, c.storefront_kind_name())).collect();
        println!("demo: host starting with {} from {}; webhooks on {webhook_addr}", clients.join(", "), dir.display());
        let app = App::build(config, &secrets).await?;
        let sandboxes = Arc::new(sandboxes);
        let advice_from = activity::AdviceSource {
            store: app.store.clone(),
            clients: app.config.clients.iter().map(|c| c.id.clone()).collect(),
        };
        let activity = tokio::spawn(activity::generate(sandboxes.clone(), Duration::from_secs(args.step_secs.max(1)), advice_from));
        let result = serve(
            app,
            listeners,
            ServeOptions {
                duration: args.duration.map(Duration::from_secs),
                on_start: None,
                stop,
            },
        )
        .await;
        activity.abort();
        let _ = activity.await;
        if let Ok(sandboxes) = Arc::try_unwrap(sandboxes) {
            sandboxes.shutdown().await;
        }
        result
    })?;
    drop(temp);
    Ok(exit::OK)
}
