//! Plugin runtime benchmarks (run on demand: `cargo bench -p selvedge-runtime`).
//!
//! - `inventory-cycle-100k`: one ERP cycle of 100,000 SKU-location rows through the B2C
//!   apparel plugin's ATS rules, as a wasm component vs the same rules compiled natively.
//! - `instantiate-and-call`: a fresh instance per call with an empty batch (the fixed cost).
//! - `hot-swap`: compile-checked install of a cached component and an instant rollback.

use std::sync::Arc;

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

criterion_group!(benches, bench_cycle, bench_swap);
criterion_main!(benches);
