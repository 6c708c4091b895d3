//! Order drop: 10,000 BigCommerce orders at once, webhook -> durable queue -> plugin ->
//! Blue Cherry sandbox, all on loopback with a SQLite file and the real `b2c-apparel` plugin.
//!
//! Reports host-added latency per order (the order's own stages: prepare, its share of the
//! batch's plugin call, inject; minus the time inside storefront and ERP calls, which the
//! injector measures per order), end-to-end latency (webhook acknowledged -> injected, queueing included),
//! orders per second and peak memory (VmHWM). Pacing is off: the GCRA limit is a per-client
//! setting and would only measure itself. Nothing is asserted on time.
//!
//! Run: `cargo bench -p selvedge-e2e --bench order_drop`
//! (`ORDERS=1000` for a quick run; `BATCH` and `CONCURRENCY` override the injector's,
//! `BATCHES` the engine's batches in flight per client and kind;
//! `STORE=postgres` runs it on a database of the PostgreSQL test cluster named by
//! `SELVEDGE_TEST_PG_URL`, e.g. after `eval "$(scripts/pg-cluster start)"`; `HOSTS=2` adds a
//! second job engine with its own store pool on the same queue, as a second host; the
//! two-process case with a SIGKILL is the `two_hosts` test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use selvedge::flows::orders::{Injector, OrderTiming, order_kind};
use selvedge::jobs::{Engine, EngineOptions};
use support::orders::{Options, b2c, fast_settings};
use support::wait_until;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn drop_orders(n: usize) {
    let mut settings = fast_settings();
    let env_num = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    settings.batch_size = env_num("BATCH", settings.batch_size as usize) as u32;
    settings.concurrency = env_num("CONCURRENCY", settings.concurrency);
    settings.lease_ms = 60_000;
    let store = match std::env::var("STORE").as_deref() {
        Ok("postgres") => support::stores::Backend::Postgres,
        Ok("sqlite") | Err(_) => support::stores::Backend::Sqlite,
        Ok(other) => panic!("STORE={other}: use sqlite or postgres"),
    };
    if support::stores::unavailable(store) {
        return;
    }
    let hosts = env_num("HOSTS", 1).max(1);
    eprintln!("order_drop on {store:?}, {hosts} host(s)");
    let env = b2c(
        Options {
            store,
            ..Options::default()
        },
        &settings,
    )
    .await;
    let timings: Arc<Mutex<Vec<OrderTiming>>> = Arc::default();
    let sink = timings.clone();
    let observer: Arc<dyn Fn(OrderTiming) + Send + Sync> = Arc::new(move |t| {
        if let Ok(mut v) = sink.lock() {
            v.push(t);
        }
    });
    // The production path: the job engine (claim, heartbeats, lease-fenced settle) runs the
    // client's injector, as `selvedge run` does; with HOSTS=2 a second engine with its own
    // store pool claims from the same queue, as a second host does.
    let (stop, rx) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for host in 0..hosts {
        let mut ctx = env.ctx.clone();
        if host > 0 {
            ctx.store = env.open_store_again().await;
        }
        let injector = Injector::new(ctx.clone(), settings.clone()).with_observer(observer.clone());
        let options = EngineOptions {
            batches_per_kind: env_num("BATCHES", EngineOptions::default().batches_per_kind),
            ..EngineOptions::default()
        };
        let mut engine = Engine::new(ctx.store.clone(), options);
        engine.register(order_kind("brand"), Arc::new(injector));
        let worker = engine.spawn(rx.clone());
        // Jobs the webhook intake enqueues wake every engine (PostgreSQL NOTIFY), as in serve.
        let wake = worker.waker();
        ctx.store
            .on_new_jobs(Arc::new(move || wake.notify_one()))
            .await
            .expect("job notifications");
        workers.push(worker);
    }
    let skus = env.skus.clone();
    let started = Instant::now();
    for i in 0..n {
        env.checkout("Express", &[(&skus[i % skus.len()], 1 + (i % 3) as i64)]);
    }
    let dropped_in = started.elapsed();
    let done = wait_until(Duration::from_secs(900), || async {
        timings.lock().map(|v| v.len()).unwrap_or(0) >= n
    })
    .await;
    let wall = started.elapsed();
    let _ = stop.send(true);
    for worker in workers {
        let _ = worker.join(Duration::from_secs(10)).await;
    }
    let timings = timings.lock().map(|v| v.clone()).unwrap_or_default();
    let erp_orders = env.erp_orders().len();
    let mut host: Vec<Duration> = timings.iter().map(|t| t.host).collect();
    let mut service: Vec<Duration> = timings
        .iter()
        .map(|t| t.service.saturating_sub(t.storefront + t.erp + t.paced))
        .collect();
    let mut plugin: Vec<Duration> = timings.iter().map(|t| t.plugin).collect();
    let mut e2e: Vec<Duration> = timings
        .iter()
        .map(|t| Duration::try_from(t.done_at - t.queued_at).unwrap_or_default())
        .collect();
    let mut sandbox: Vec<Duration> = timings.iter().map(|t| t.storefront + t.erp).collect();
    let mut in_store: Vec<Duration> = timings.iter().map(|t| t.store).collect();
    let mut prepare: Vec<Duration> = timings.iter().map(|t| t.prepare).collect();
    in_store.sort();
    prepare.sort();
    host.sort();
    service.sort();
    plugin.sort();
    e2e.sort();
    sandbox.sort();
    let first = timings.iter().map(|t| t.queued_at).min();
    let last = timings.iter().map(|t| t.done_at).max();
    let span = match (first, last) {
        (Some(a), Some(b)) => Duration::try_from(b - a).unwrap_or(wall),
        _ => wall,
    };
    println!();
    println!(
        "order drop: {n} orders, {store:?}, {hosts} host(s), batch {}, concurrency {}, batches in flight {} (all injected: {done}; ERP sales orders: {erp_orders})",
        settings.batch_size,
        settings.concurrency,
        env_num("BATCHES", EngineOptions::default().batches_per_kind)
    );
    println!("| measure                                   | value |");
    println!("|-------------------------------------------|-------|");
    // Labels padded to the header's column.
    let rows = [
        (
            "host-added latency p50 (own stages, minus sandbox calls)",
            ms(percentile(&host, 0.50)),
        ),
        ("host-added latency p99", ms(percentile(&host, 0.99))),
        (
            "of which inject-stage store calls p50 / p99",
            format!(
                "{} / {}",
                ms(percentile(&in_store, 0.50)),
                ms(percentile(&in_store, 0.99))
            ),
        ),
        (
            "of which prepare (storefront reads excluded) p50 / p99",
            format!(
                "{} / {}",
                ms(percentile(&prepare, 0.50)),
                ms(percentile(&prepare, 0.99))
            ),
        ),
        (
            "sandbox time per order p50 (BigCommerce reads + ERP create)",
            ms(percentile(&sandbox, 0.50)),
        ),
        (
            "end-to-end p50 (webhook acked -> injected, queueing included)",
            ms(percentile(&e2e, 0.50)),
        ),
        ("end-to-end p99", ms(percentile(&e2e, 0.99))),
        (
            "plugin share p50 / batch service p50, p99 (batch waits included)",
            format!(
                "{} / {} / {}",
                ms(percentile(&plugin, 0.50)),
                ms(percentile(&service, 0.50)),
                ms(percentile(&service, 0.99))
            ),
        ),
        (
            "orders per second (first ack -> last injected)",
            format!("{:.0}", n as f64 / span.as_secs_f64()),
        ),
        ("checkouts + webhook deliveries took", ms(dropped_in)),
        (
            "peak memory (VmHWM, whole process incl. sandboxes)",
            format!("{} MiB", vm_hwm_kib() / 1024),
        ),
    ];
    for (measure, value) in rows {
        println!("| {measure:<41} | {value} |");
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run small then.
    let n = std::env::var("ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if std::env::args().any(|a| a == "--bench") {
            10_000
        } else {
            200
        });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(drop_orders(n));
}
