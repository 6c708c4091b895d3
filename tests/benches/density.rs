//! Density: N clients (copies of `examples/clients/northwind-apparel.toml` with their own ids
//! and webhook secrets) on one real host, `selvedge run --config <dir>` as a child process,
//! against the sandboxes of `selvedge sandbox` started in this process. Every client's
//! schedules are active from the start (no lazy start); the bench waits SECS, checks through
//! the admin API that every client has run inventory and orders, reads the host's resident
//! memory (VmRSS, VmHWM of the host process alone) and then stops it with SIGTERM, timing the
//! exit and reading its code. Nothing is asserted: it prints a table.
//!
//! Run: `cargo bench -p selvedge-e2e --bench density` (`CLIENTS=100`, `SECS=60`;
//! `CYCLE_SECS=20`: the ERP's batch cycle; `QUOTA=150`: BigCommerce requests per 30 s window
//! per client — the clients share one sandbox store, where 100 real stores would have a quota
//! each; `HOST_BIN=<path>` measures another build of the `selvedge` binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use selvedge::sandbox::{SandboxOptions, Sandboxes};
use support::many_clients::ManyClients;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The example client file against these sandboxes.
fn northwind(bluecherry: &str, bigcommerce: &str) -> toml::Table {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("examples/clients/northwind-apparel.toml"))
        .expect("the example client file");
    let mut client: toml::Table = text.parse().expect("the example client file parses");
    client["bluecherry"]
        .as_table_mut()
        .expect("[bluecherry]")
        .insert("base_url".into(), bluecherry.into());
    client["bigcommerce"]
        .as_table_mut()
        .expect("[bigcommerce]")
        .insert("base_url".into(), bigcommerce.into());
    let fixtures = root.join("plugins/b2c-apparel/fixtures");
    client["plugin"]
        .as_table_mut()
        .expect("[plugin]")
        .insert("fixtures".into(), fixtures.display().to_string().into());
    client
}

async fn run() {
    let clients = env_num("CLIENTS", 100) as usize;
    let secs = env_num("SECS", 60);
    let cycle = env_num("CYCLE_SECS", 20);
    let quota = env_num("QUOTA", 150);
    let sandboxes = Sandboxes::start(&SandboxOptions {
        bluecherry_port: 0,
        bigcommerce_port: 0,
        sparklayer_port: 0,
        cycle_period: Some(Duration::from_secs(cycle)),
        ..SandboxOptions::default()
    })
    .await
    .expect("sandboxes");
    sandboxes
        .bigcommerce
        .handle()
        .set_quota((quota as usize * clients) as u32, 30_000);
    let urls = sandboxes.urls();
    let template = northwind(&urls.bluecherry, &urls.bigcommerce);
    let dir = ManyClients::new(&template, clients, "");
    eprintln!(
        "density: {clients} clients, {secs} s, ERP cycle {cycle} s, BigCommerce {quota} requests / 30 s per client"
    );

    let mut host = dir
        .start(Duration::from_secs(300))
        .await
        .expect("the host answers /healthz");
    let at_start = host.memory();
    let healthy = Instant::now();
    let mut all_ran: Option<Duration> = None;
    let mut missing = None;
    while healthy.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_secs(5).min(
            Duration::from_secs(secs).saturating_sub(healthy.elapsed()) + Duration::from_millis(1),
        ))
        .await;
        if all_ran.is_none() {
            missing = host.clients_missing(&["inventory", "orders"]).await;
            if missing == Some(0) {
                all_ran = Some(healthy.elapsed());
            }
        }
    }
    let at_end = host.memory();
    let threads = host.threads();
    let stopped = host.stop(Duration::from_secs(60)).await;

    println!("| measure | figure |");
    println!("|---|---|");
    println!("| clients | {clients} |");
    println!(
        "| start (spawn -> /healthz) | {:.1} s |",
        host.started_in.as_secs_f64()
    );
    println!("| RSS at /healthz | {} |", mib(at_start.rss_kib));
    println!(
        "| every client ran inventory and orders | {} |",
        match all_ran {
            Some(t) => format!("yes, within {:.0} s", t.as_secs_f64()),
            None => format!("NO ({missing:?} clients missing)"),
        }
    );
    println!(
        "| RSS after {secs} s (VmRSS / VmHWM) | {} / {} |",
        mib(at_end.rss_kib),
        mib(at_end.hwm_kib)
    );
    println!("| threads | {threads} |");
    println!(
        "| SIGTERM -> exit | {:.2} s, code {} |",
        stopped.after.as_secs_f64(),
        stopped
            .status
            .and_then(|s| s.code())
            .map_or("none (killed)".to_string(), |c| c.to_string())
    );
    sandboxes.shutdown().await;
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(run());
}
