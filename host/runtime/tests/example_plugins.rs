//! The example client plugins: their fixtures pass, and their rules differ on the same input.

mod common;

use std::path::PathBuf;

use common::*;
use selvedge_runtime::PluginLimits;
use selvedge_runtime::fixtures::{self, reason_names};

fn fixtures_dir(plugin: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins")
        .join(plugin)
        .join("fixtures")
}

fn assert_fixtures_pass(plugin: &str, path: PathBuf) {
    let rt = runtime();
    let version = load(&rt, "example", &path);
    let results = fixtures::run_dir(
        &version,
        &context("example"),
        &PluginLimits::default(),
        &fixtures_dir(plugin),
    )
    .expect("fixtures load");
    if std::env::var_os("BLESS").is_some() {
        fixtures::bless(&fixtures_dir(plugin), &results).expect("bless");
        return;
    }
    assert!(results.len() >= 3, "{plugin} ships several cases");
    for r in &results {
        assert!(
            r.passed,
            "{plugin} case {} failed: {:?} {:?}",
            r.name, r.error, r.diff
        );
    }
}

#[test]
fn b2c_apparel_fixtures_pass() {
    assert_fixtures_pass("b2c-apparel", selvedge_plugin_artifacts::b2c_apparel());
}

#[test]
fn b2b_wholesale_fixtures_pass() {
    assert_fixtures_pass("b2b-wholesale", selvedge_plugin_artifacts::b2b_wholesale());
}

#[test]
fn the_two_clients_compute_different_ats_from_the_same_buckets() {
    let rt = runtime();
    let b2c = load(&rt, "brand", &selvedge_plugin_artifacts::b2c_apparel());
    let b2b = load(
        &rt,
        "wholesale",
        &selvedge_plugin_artifacts::b2b_wholesale(),
    );
    let brand_ctx = std::sync::Arc::new(
        selvedge_runtime::ClientContext::new("brand").with_rule("preorder_season", "FA26"),
    );
    let wholesale_ctx = context("wholesale");
    let (ctx, mut rows) = stock(1);
    // One pre-order row: 10 on hand, 2 picked, 1 open, 40 in production, a fast mover.
    rows.season = vec![1];
    rows.on_hand = vec![10];
    rows.picked = vec![2];
    rows.open_orders = vec![1];
    rows.open_work_orders = vec![40];
    rows.in_transit = vec![5];
    rows.weekly_sales = vec![30];
    rows.sku_buffer = vec![-1];
    let limits = PluginLimits::default();
    let brand = b2c
        .compute_ats(&brand_ctx, &limits, &ctx, &rows)
        .expect("b2c");
    let wholesale = b2b
        .compute_ats(&wholesale_ctx, &limits, &ctx, &rows)
        .expect("b2b");
    // B2C: 10 - 2 - 1 + 40 work orders = 47, less a 2-unit fast-mover buffer = 45.
    assert_eq!((brand.output.ats[0], brand.output.buffer[0]), (45, 2));
    assert!(reason_names(brand.output.reason[0]).contains(&"work-orders".to_string()));
    // B2B: physical only, 10 - 2 - 1 = 7, less 10% rounded up = 1 -> 6.
    assert_eq!(
        (wholesale.output.ats[0], wholesale.output.buffer[0]),
        (6, 1)
    );
    assert!(!reason_names(wholesale.output.reason[0]).contains(&"work-orders".to_string()));
}
