//! Plugin runtime benchmarks (run on demand: `cargo bench -p selvedge-runtime`).
//!
//! - `inventory-cycle-100k`: one ERP cycle of 100,000 SKU-location rows through the B2C
//!   apparel plugin's ATS rules, as a wasm component vs the same rules compiled natively.
//! - `b2b-compute-ats-100k`: the same cycle through the B2B wholesaler's rules, as the Rust
//!   plugin (`plugins/b2b-wholesale`) and as its Python port (`plugins/b2b-wholesale-py`, built
//!   by `scripts/build-python-plugins`; the row is skipped with a message when it is not
//!   built). Also prints each component's size, cold compile time and warm load time (from
//!   the disk compile cache).
//! - `instantiate-and-call`: a fresh instance per call with an empty batch (the fixed cost).
//! - `hot-swap`: compile-checked install of a cached component and an instant rollback.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use selvedge_runtime::rules::inventory::{AtsRows, StockContext, StockRows};
use selvedge_runtime::{ClientContext, PluginLimits, PluginRegistry, Runtime, RuntimeOptions};

const ROWS: usize = 100_000;

fn stock(n: usize) -> (StockContext, StockRows) {
    let ctx = StockContext {
        locations: vec!["NJ01".into(), "CA02".into()],
        categories: vec!["Tops".into(), "Bottoms".into(), "Outerwear".into()],
        seasons: vec!["SP25".into(), "FA26".into()],
        cycle_latency_minutes: 30,
    };
    let rows = StockRows {
        location: (0..n).map(|i| (i % 2) as u16).collect(),
        category: (0..n).map(|i| (i % 3) as u16).collect(),
        season: (0..n).map(|i| (i % 7 == 0) as u16).collect(),
        on_hand: (0..n).map(|i| (i * 7 % 120) as i32).collect(),
        picked: (0..n).map(|i| (i % 5) as i32).collect(),
        open_orders: (0..n).map(|i| (i % 4) as i32).collect(),
        ship_to_wip: vec![0; n],
        open_work_orders: (0..n).map(|i| (i % 11) as i32 * 10).collect(),
        in_transit: (0..n).map(|i| (i % 3) as i32).collect(),
        weekly_sales: (0..n).map(|i| (i * 13 % 45) as u32).collect(),
        sku_buffer: (0..n).map(|i| if i % 97 == 0 { 3 } else { -1 }).collect(),
    };
    (ctx, rows)
}

/// The B2C apparel plugin's ATS rule (plugins/b2c-apparel + SDK `ats`), compiled natively.
fn native_b2c(ctx: &StockContext, rows: &StockRows, preorder_season: &str) -> AtsRows {
    let preorder = ctx
        .seasons
        .iter()
        .position(|s| s.eq_ignore_ascii_case(preorder_season))
        .map(|i| i as u16);
    let n = rows.on_hand.len();
    let mut out = AtsRows {
        ats: Vec::with_capacity(n),
        buffer: Vec::with_capacity(n),
        reason: Vec::with_capacity(n),
    };
    for i in 0..n {
        let mut units = rows.on_hand[i]
            .saturating_sub(rows.picked[i])
            .saturating_sub(rows.open_orders[i]);
        let mut bits: u16 = 1 | 2 | 4;
        if Some(rows.season[i]) == preorder {
            units = units.saturating_add(rows.open_work_orders[i].max(0));
            bits |= 8;
        }
        let fast = rows.weekly_sales[i] >= 20;
        let mut buffer = 0;
        if rows.sku_buffer[i] >= 0 {
            if rows.sku_buffer[i] > 0 {
                buffer = rows.sku_buffer[i];
                bits |= 128;
            }
        } else if fast {
            buffer = 2;
            bits |= 32;
        }
        if fast {
            bits |= 512;
        }
        let net = units.saturating_sub(buffer);
        if net < 0 {
            out.ats.push(0);
            out.reason.push(bits | 256);
        } else {
            out.ats.push(net);
            out.reason.push(bits);
        }
        out.buffer.push(buffer);
    }
    out
}

fn bench_cycle(c: &mut Criterion) {
    let runtime = Runtime::new(RuntimeOptions::default()).expect("engine");
    let plugin = runtime
        .load_file("brand", &selvedge_plugin_artifacts::b2c_apparel(), None)
        .expect("plugin");
    let context = Arc::new(ClientContext::new("brand").with_rule("preorder_season", "FA26"));
    let limits = PluginLimits::default();
    let (ctx, rows) = stock(ROWS);
    let wasm = plugin
        .compute_ats(&context, &limits, &ctx, &rows)
        .expect("wasm call");
    assert_eq!(
        wasm.output,
        native_b2c(&ctx, &rows, "FA26"),
        "native and wasm rules must agree"
    );
    eprintln!(
        "inventory-cycle-100k: fuel {} units, peak guest memory {:.1} MiB",
        wasm.report.fuel.unwrap_or(0),
        wasm.report.peak_memory_bytes as f64 / 1048576.0
    );

    let mut group = c.benchmark_group("inventory-cycle-100k");
    group.sample_size(30);
    group.bench_function("native", |b| b.iter(|| native_b2c(&ctx, &rows, "FA26")));
    group.bench_function("wasm-fuel-metered", |b| {
        b.iter(|| {
            plugin
                .compute_ats(&context, &limits, &ctx, &rows)
                .expect("call")
        })
    });
    let unmetered = Runtime::new(RuntimeOptions {
        fuel_metering: false,
        ..RuntimeOptions::default()
    })
    .expect("engine");
    let plugin_unmetered = unmetered
        .load_file("brand", &selvedge_plugin_artifacts::b2c_apparel(), None)
        .expect("plugin");
    group.bench_function("wasm-epoch-only", |b| {
        b.iter(|| {
            plugin_unmetered
                .compute_ats(&context, &limits, &ctx, &rows)
                .expect("call")
        })
    });
    group.finish();

    let (empty_ctx, empty_rows) = stock(0);
    c.bench_function("instantiate-and-call-empty-batch", |b| {
        b.iter(|| {
            plugin
                .compute_ats(&context, &limits, &empty_ctx, &empty_rows)
                .expect("call")
        })
    });
}

/// The wholesaler's rules as `examples/clients/harbour-wholesale.toml` sets them: 10% buffer,
/// 20% on outerwear.
fn wholesale_context() -> Arc<ClientContext> {
    Arc::new(
        ClientContext::new("wholesaler")
            .with_rule("buffer_percent", "10")
            .with_mapping("category_buffer_percent", "Outerwear", "20"),
    )
}

/// Size of `path`, its compile time into an empty disk cache and its load time from that
/// cache by a fresh engine (what a restarted host pays).
fn load_costs(path: &Path) -> (u64, Duration, Duration) {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let cache = tempfile::tempdir().expect("cache dir");
    let engine = || {
        Runtime::new(RuntimeOptions {
            cache_dir: Some(cache.path().to_path_buf()),
            ..RuntimeOptions::default()
        })
        .expect("engine")
    };
    let timed = |runtime: Arc<Runtime>| {
        let started = Instant::now();
        runtime
            .load_file("wholesaler", path, None)
            .expect("plugin loads");
        started.elapsed()
    };
    let cold = timed(engine());
    let warm = timed(engine());
    (size, cold, warm)
}

fn print_load_costs(name: &str, path: &Path) {
    let (size, cold, warm) = load_costs(path);
    eprintln!(
        "{name}: {:.1} MiB, cold compile {:.2} s, warm load from the compile cache {:.1} ms",
        size as f64 / 1048576.0,
        cold.as_secs_f64(),
        warm.as_secs_f64() * 1000.0
    );
}

fn bench_python(c: &mut Criterion) {
    let runtime = Runtime::new(RuntimeOptions::default()).expect("engine");
    let context = wholesale_context();
    let limits = PluginLimits::default();
    let (ctx, rows) = stock(ROWS);
    let rust_path = selvedge_plugin_artifacts::b2b_wholesale();
    let rust = runtime
        .load_file("wholesaler", &rust_path, None)
        .expect("plugin");
    let rust_out = rust
        .compute_ats(&context, &limits, &ctx, &rows)
        .expect("wasm call");
    eprintln!(
        "b2b-compute-ats-100k/rust-wasm: fuel {} units, peak guest memory {:.1} MiB",
        rust_out.report.fuel.unwrap_or(0),
        rust_out.report.peak_memory_bytes as f64 / 1048576.0
    );
    print_load_costs("b2b-wholesale (Rust)", &rust_path);

    let mut group = c.benchmark_group("b2b-compute-ats-100k");
    group.sample_size(10);
    group.bench_function("rust-wasm", |b| {
        b.iter(|| {
            rust.compute_ats(&context, &limits, &ctx, &rows)
                .expect("call")
        })
    });
    let python_path = selvedge_plugin_artifacts::python_b2b_wholesale();
    if !python_path.is_file() {
        eprintln!(
            "b2b-compute-ats-100k/python-wasm: skipped: {} is not built (run scripts/build-python-plugins)",
            python_path.display()
        );
        group.finish();
        return;
    }
    print_load_costs("b2b-wholesale-py (Python)", &python_path);
    let python = runtime
        .load_file("wholesaler", &python_path, None)
        .expect("Python plugin");
    let python_out = python
        .compute_ats(&context, &limits, &ctx, &rows)
        .expect("Python wasm call");
    assert_eq!(
        python_out.output, rust_out.output,
        "the Python port decides as the Rust plugin"
    );
    eprintln!(
        "b2b-compute-ats-100k/python-wasm: fuel {} units, peak guest memory {:.1} MiB",
        python_out.report.fuel.unwrap_or(0),
        python_out.report.peak_memory_bytes as f64 / 1048576.0
    );
    group.bench_function("python-wasm", |b| {
        b.iter(|| {
            python
                .compute_ats(&context, &limits, &ctx, &rows)
                .expect("call")
        })
    });
    group.finish();
}

fn bench_swap(c: &mut Criterion) {
    let cache = std::env::temp_dir().join("selvedge-bench-cache");
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(cache),
        ..RuntimeOptions::default()
    })
    .expect("engine");
    let registry = PluginRegistry::new(runtime);
    let slot = registry.add_client(
        "brand",
        ClientContext::default(),
        PluginLimits::default(),
        None,
    );
    let tokio = tokio::runtime::Runtime::new().expect("tokio");
    let b2c = std::fs::read(selvedge_plugin_artifacts::b2c_apparel()).expect("b2c");
    let b2b = std::fs::read(selvedge_plugin_artifacts::b2b_wholesale()).expect("b2b");
    tokio
        .block_on(slot.install_bytes("b2c", b2c.clone(), None))
        .expect("warm");
    tokio
        .block_on(slot.install_bytes("b2b", b2b.clone(), None))
        .expect("warm");
    let mut toggle = false;
    c.bench_function("hot-swap-install-cached", |b| {
        b.iter(|| {
            toggle = !toggle;
            let bytes = if toggle { b2c.clone() } else { b2b.clone() };
            tokio
                .block_on(slot.install_bytes("p", bytes, None))
                .expect("swap")
        })
    });
    c.bench_function("rollback", |b| {
        b.iter_batched(
            || {
                tokio
                    .block_on(slot.install_bytes("b2c", b2c.clone(), None))
                    .expect("swap")
            },
            |_| slot.rollback().expect("rollback"),
            criterion::BatchSize::PerIteration,
        )
    });
}

criterion_group!(benches, bench_cycle, bench_python, bench_swap);
criterion_main!(benches);
