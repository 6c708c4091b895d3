//! Inventory cycle benchmark: 100,000 SKU-locations (10,000 SKUs x 10 locations), a full
//! first push and then a cycle with 5% changed, against a rate-limited BigCommerce sandbox.
//! Prints calls made vs the minimum, 429s, and wall time vs the rate-limit bound.
//!
//! `CARGO_TARGET_DIR=/work/target-flows cargo bench -p selvedge-e2e --bench inventory_cycle`
//! Environment: `BENCH_QUOTA` (requests per window, default 4) and `BENCH_WINDOW_MS` (default
//! 1000) set the sandbox's rate limit for the measured cycles.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use selvedge::flows::FlowReport;
use selvedge::flows::inventory::{self, InventorySettings};
use support::Harness;
use support::b2c::brand_with_locations;

/// Styles giving about 10,000 SKUs with the sandbox's seed.
const STYLES: usize = 352;
const WAREHOUSES: [&str; 10] = [
    "NJ01", "CA02", "W03", "W04", "W05", "W06", "W07", "W08", "W09", "W10",
];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Row {
    cycle: &'static str,
    report: FlowReport,
    elapsed: Duration,
    throttled: u64,
    bound: Duration,
}

/// Least wall time `calls` requests can take under `quota` per `window`.
fn rate_limit_bound(calls: u64, quota: u64, window: Duration) -> Duration {
    let windows = calls.div_ceil(quota.max(1)).saturating_sub(1);
    window * u32::try_from(windows).unwrap_or(u32::MAX)
}

async fn measured(
    h: &Harness,
    settings: &InventorySettings,
    cycle: &'static str,
    quota: u64,
    window: Duration,
) -> Row {
    h.bc().handle().set_quota(
        u32::try_from(quota).unwrap_or(u32::MAX),
        window.as_millis() as u64,
    );
    h.bc().handle().clear_log();
    let started = Instant::now();
    let report = inventory::run(&h.ctx, settings)
        .await
        .unwrap_or_else(|e| panic!("{cycle}: {e}"));
    let elapsed = started.elapsed();
    let calls = h.bc().handle().counters().total;
    Row {
        cycle,
        elapsed,
        throttled: h.bc().handle().counters().throttled,
        bound: rate_limit_bound(calls, quota, window),
        report,
    }
}

async fn bench() {
    let quota = env_u64("BENCH_QUOTA", 4);
    let window = Duration::from_millis(env_u64("BENCH_WINDOW_MS", 1_000));
    let setup = Instant::now();
    let (h, settings) = brand_with_locations(STYLES, &WAREHOUSES).await;
    eprintln!(
        "setup (sandboxes, catalog of {STYLES} styles, locations): {:.1?}",
        setup.elapsed()
    );

    let full = measured(&h, &settings, "first (full push)", quota, window).await;
    let changed = h.erp.with_state(|s| {
        let keys: Vec<_> = s
            .stock
            .keys()
            .filter(|(w, _)| WAREHOUSES.contains(&w.as_str()))
            .cloned()
            .collect();
        let mut n = 0;
        for k in keys.iter().step_by(20) {
            if let Some(b) = s.stock.get_mut(k) {
                b.total_qoh += 3;
                n += 1;
            }
        }
        n
    });
    h.erp.run_cycle();
    let delta = measured(&h, &settings, "5% changed", quota, window).await;

    println!();
    println!(
        "inventory cycle vs BigCommerce sandbox limited to {quota} requests / {} ms ({changed} SKU-locations changed)",
        window.as_millis()
    );
    println!(
        "| cycle | SKU-locations | pushed | push calls | minimum | all calls | 429s | time | rate-limit bound | latency |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in [full, delta] {
        let m = &r.report.measurements;
        let latency = m.cycle_latency().map_or(0.0, |d| d.as_seconds_f64());
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.2} s | {:.2} s | {:.2} s |",
            r.cycle,
            m.records.unwrap_or(0),
            m.changed.unwrap_or(0),
            m.extra
                .get("push_requests")
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            m.extra
                .get("push_requests_minimum")
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            m.api_calls.unwrap_or(0),
            r.throttled,
            r.elapsed.as_secs_f64(),
            r.bound.as_secs_f64(),
            latency,
        );
    }
}

fn main() {
    // `cargo test --benches` runs benches with `--test`: skip the heavy run there.
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(bench());
}
