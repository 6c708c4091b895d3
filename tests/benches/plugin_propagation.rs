//! Plugin propagation: how long after host A's admin API accepted a swap host B serves the
//! new version. Two real hosts on one PostgreSQL database (a fresh database of the test
//! cluster), the brand's real plugin rebuilt with a new tag for every swap, so host B has
//! never loaded any of them. B's admin API is polled every 20 ms. Nothing is asserted on time.
//!
//! Run: `eval "$(scripts/pg-cluster start)"`, then
//! `cargo bench -p selvedge-e2e --bench plugin_propagation`
//! (`SWAPS=10` swaps by default; `WATCH_MS` sets `[plugins] watch_interval_ms`, the follow
//! interval, 2000 by default as in a real install).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use selvedge_bluecherry::sandbox::faults::Faults;
use support::burst::brand_sandboxes;
use support::host_process::{HostDir, brand_client};
use support::stores::{Backend, TestDb};
use support::wait_until;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
        })
        .unwrap_or(default)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(db) = TestDb::fresh(Backend::Postgres) else {
        eprintln!(
            "plugin_propagation needs the PostgreSQL test cluster: eval \"$(scripts/pg-cluster start)\""
        );
        std::process::exit(2);
    };
    let url = db.postgres_url().expect("a PostgreSQL database").to_owned();
    let swaps = env_num("SWAPS", 10);
    let watch_ms = env_num("WATCH_MS", 2_000);
    let (erp, bc, _skus) = brand_sandboxes(Faults::default(), 1).await;
    let client = brand_client(&erp.base_url(), &bc.base_url());
    let dirs = [
        HostDir::in_cluster(&client, &url, "host-a", 15_000),
        HostDir::in_cluster(&client, &url, "host-b", 15_000),
    ];
    for dir in &dirs {
        dir.add_host_toml(&format!("\n[plugins]\nwatch_interval_ms = {watch_ms}\n"));
    }
    let _hosts = [
        dirs[0].start("host A came up").await,
        dirs[1].start("host B came up").await,
    ];
    let plugin = std::fs::read(selvedge_plugin_artifacts::b2c_apparel()).expect("plugin");
    let (mut accepted, mut propagated) = (Vec::new(), Vec::new());
    for i in 0..swaps {
        let build = selvedge_plugin_artifacts::rebuilt(&plugin, &format!("bench-{i}"));
        let digest = selvedge::plugins::digest_of(&build);
        // Swaps land at spread points of B's follow interval, not just after its last tick.
        tokio::time::sleep(Duration::from_millis(watch_ms * i / swaps)).await;
        let asked = Instant::now();
        dirs[0].swap_plugin("brand", build).await;
        let done = Instant::now();
        accepted.push(done - asked);
        let served = wait_until(Duration::from_secs(60), || async {
            dirs[1].plugin_version("brand").await.as_deref() == Some(digest.as_str())
        })
        .await;
        assert!(served, "swap {i} never reached host B");
        propagated.push(done.elapsed());
    }
    accepted.sort();
    propagated.sort();
    let mid = |v: &[Duration]| v[v.len() / 2];
    println!("plugin propagation, {swaps} swaps, follow interval {watch_ms} ms, PostgreSQL");
    println!(
        "  swap accepted on host A (compile + fixtures + record): p50 {}  max {}",
        ms(mid(&accepted)),
        ms(*accepted.last().unwrap())
    );
    println!(
        "  then served by host B (follow + load a never-seen build): p50 {}  max {}",
        ms(mid(&propagated)),
        ms(*propagated.last().unwrap())
    );
}
