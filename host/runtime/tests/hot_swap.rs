//! Registry: checked hot-swap under load, rollback, history, version stamping, folder drops.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use selvedge_runtime::{
    ClientContext, ClientPlugin, PluginLimits, PluginRegistry, Runtime, RuntimeOptions, SwapError,
};
use sha2::{Digest, Sha256};

fn sha(path: &std::path::Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read")))
}

fn b2c() -> PathBuf {
    selvedge_plugin_artifacts::b2c_apparel()
}

fn b2b() -> PathBuf {
    selvedge_plugin_artifacts::b2b_wholesale()
}

fn fixtures(plugin: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins")
        .join(plugin)
        .join("fixtures")
}

/// Client `brand` gated by the b2c example's fixtures, running the b2c plugin.
async fn b2c_with_its_fixtures(registry: &PluginRegistry) -> Arc<ClientPlugin> {
    let slot = registry.add_client(
        "brand",
        ClientContext::default(),
        PluginLimits::default(),
        Some(fixtures("b2c-apparel")),
    );
    slot.install_file(&b2c(), None)
        .await
        .expect("b2c passes its own fixtures");
    slot
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hot_swap_under_concurrent_calls_fails_no_call() {
    let registry = PluginRegistry::new(runtime());
    let slot = registry.add_client(
        "brand",
        ClientContext::default(),
        PluginLimits::default(),
        None,
    );
    slot.install_file(&b2c(), None)
        .await
        .expect("first install");
    let versions: BTreeSet<String> = [sha(&b2c()), sha(&b2b())].into();
    let calls = Arc::new(AtomicUsize::new(0));
    let mut workers = vec![];
    for _ in 0..6 {
        let slot = slot.clone();
        let calls = calls.clone();
        let versions = versions.clone();
        workers.push(tokio::spawn(async move {
            for _ in 0..40 {
                let (ctx, rows) = stock(2_000);
                let called = slot
                    .compute_ats(ctx, rows)
                    .await
                    .expect("no call fails during swaps");
                assert_eq!(called.output.ats.len(), 2_000);
                assert!(versions.contains(&called.report.version));
                calls.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for i in 0..10 {
        let next = if i % 2 == 0 { b2b() } else { b2c() };
        slot.install_file(&next, Some(format!("swap {i}")))
            .await
            .expect("swap");
    }
    for w in workers {
        w.await.expect("worker");
    }
    assert_eq!(calls.load(Ordering::Relaxed), 240);
    // After the last swap (to b2c), new calls are stamped with its version.
    let (ctx, rows) = stock(10);
    assert_eq!(
        slot.compute_ats(ctx, rows)
            .await
            .expect("call")
            .report
            .version,
        sha(&b2c())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_swap_while_every_pool_slot_is_busy_waits_for_a_slot_and_fails_no_live_call() {
    const SLOTS: u32 = 2;
    let runtime = Runtime::new(RuntimeOptions {
        max_concurrent_calls: SLOTS,
        ..RuntimeOptions::default()
    })
    .expect("engine");
    let registry = PluginRegistry::new(runtime.clone());
    let slot = b2c_with_its_fixtures(&registry).await;
    // Three callers per slot, each calling back to back with a large cycle (tens of ms per
    // call) until the swap is done: every slot stays busy and callers queue for one, so the
    // swap's fixture cases find the pool full. The input is built once: building it per
    // call would leave the pool idle as long as the calls keep it busy.
    const ROWS: usize = 200_000;
    let input = Arc::new(stock(ROWS));
    let swapped = Arc::new(AtomicBool::new(false));
    let mut workers = vec![];
    for _ in 0..3 * SLOTS {
        let slot = slot.clone();
        let swapped = swapped.clone();
        let input = input.clone();
        workers.push(tokio::spawn(async move {
            let mut calls = 0;
            while calls < 2 || !swapped.load(Ordering::Relaxed) {
                let (ctx, rows) = (*input).clone();
                let called = slot
                    .compute_ats(ctx, rows)
                    .await
                    .expect("no live call fails during the swap");
                assert_eq!(called.output.ats.len(), ROWS);
                calls += 1;
            }
            calls
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while runtime.idle_call_slots() > 0 {
        assert!(
            Instant::now() < deadline,
            "the live calls never filled the pool"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let candidate = selvedge_plugin_artifacts::rebuilt(
        &std::fs::read(b2c()).expect("read"),
        "swap under full load",
    );
    let report = slot
        .install_bytes("b2c_apparel", candidate, None)
        .await
        .expect("the swap waits for a slot and passes its fixtures");
    swapped.store(true, Ordering::Relaxed);
    assert!(report.fixtures_passed > 0, "{report:?}");
    assert_eq!(report.from.as_deref(), Some(sha(&b2c()).as_str()));
    assert_eq!(slot.current().expect("current").version, report.to);
    for w in workers {
        assert!(w.await.expect("worker") >= 2);
    }
}

#[tokio::test]
async fn rollback_restores_the_previous_version_and_records_history() {
    let registry = PluginRegistry::new(runtime());
    let slot = registry.add_client(
        "brand",
        ClientContext::default(),
        PluginLimits::default(),
        None,
    );
    assert!(matches!(slot.rollback(), Err(SwapError::NoPrevious(_))));
    slot.install_file(&b2c(), Some("v1".into()))
        .await
        .expect("v1");
    let report = slot
        .install_file(&b2b(), Some("v2".into()))
        .await
        .expect("v2");
    assert_eq!(report.from.as_deref(), Some(sha(&b2c()).as_str()));
    assert_eq!(slot.current().expect("current").version, sha(&b2b()));
    let back = slot.rollback().expect("rollback");
    assert_eq!(back.to, sha(&b2c()));
    assert_eq!(slot.current().expect("current").version, sha(&b2c()));
    let (ctx, rows) = stock(3);
    assert_eq!(
        slot.compute_ats(ctx, rows)
            .await
            .expect("call")
            .report
            .version,
        sha(&b2c())
    );
    let events: Vec<String> = slot.history().iter().map(|h| h.event.clone()).collect();
    assert_eq!(events, ["installed", "installed", "rolled-back-to"]);
    assert!(matches!(slot.rollback(), Err(SwapError::NoPrevious(_))));
}

#[tokio::test]
async fn a_candidate_failing_the_client_fixtures_is_rejected_and_the_current_version_keeps_serving()
{
    let registry = PluginRegistry::new(runtime());
    let slot = b2c_with_its_fixtures(&registry).await;
    let err = slot.install_file(&b2b(), None).await.unwrap_err();
    assert!(
        matches!(err, SwapError::FixturesFailed { failed, .. } if failed > 0),
        "{err}"
    );
    assert_eq!(slot.current().expect("current").version, sha(&b2c()));
    assert_eq!(slot.history().last().expect("history").event, "rejected");
}

#[tokio::test]
async fn a_wrong_world_candidate_is_rejected_before_the_swap() {
    let registry = PluginRegistry::new(runtime());
    let slot = registry.add_client(
        "brand",
        ClientContext::default(),
        PluginLimits::default(),
        None,
    );
    slot.install_file(&b2c(), None).await.expect("install");
    let err = slot
        .install_file(&guest("wrong-world"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, SwapError::Load(_)), "{err}");
    assert_eq!(slot.current().expect("current").version, sha(&b2c()));
}

#[tokio::test]
async fn every_call_is_stamped_with_the_content_hash_of_the_plugin() {
    let registry = PluginRegistry::new(runtime());
    let slot = registry.add_client(
        "brand",
        ClientContext::default(),
        PluginLimits::default(),
        None,
    );
    slot.install_file(&b2c(), None).await.expect("install");
    let called = slot
        .map_orders(vec![order("1", "Express")])
        .await
        .expect("call");
    assert_eq!(called.report.version, sha(&b2c()));
    assert_eq!(called.report.client, "brand");
    assert_eq!(called.report.plugin, "b2c_apparel");
    assert!(called.report.fuel.is_some_and(|f| f > 0));
    assert!(called.report.peak_memory_bytes > 0);
}

#[test]
fn compiled_components_are_cached_by_content_hash_and_engine_and_checked_before_loading() {
    use selvedge_runtime::Origin;
    let cache = tempfile::tempdir().expect("tempdir");
    let engine = || {
        selvedge_runtime::Runtime::new(selvedge_runtime::RuntimeOptions {
            cache_dir: Some(cache.path().to_path_buf()),
            ..Default::default()
        })
        .expect("engine")
    };
    let rt = engine();
    let first = rt.load_file("brand", &b2c(), None).expect("compile");
    assert_eq!(first.origin, Origin::Compiled);
    let entries: Vec<_> = std::fs::read_dir(cache.path())
        .expect("dir")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(entries.len(), 1);
    let entry = entries[0].path();
    let name = entries[0].file_name().to_string_lossy().to_string();
    assert!(name.starts_with(&sha(&b2c())), "{name}");
    assert_eq!(
        rt.load_file("brand", &b2c(), None).expect("again").origin,
        Origin::Memory,
        "one process compiles a build once"
    );
    // Another process (here: another engine) reads the entry instead of compiling.
    let second = engine()
        .load_file("brand", &b2c(), None)
        .expect("from cache");
    assert_eq!(second.origin, Origin::Cache);
    let (ctx, rows) = stock(100);
    let a = first
        .compute_ats(&context("brand"), &PluginLimits::default(), &ctx, &rows)
        .expect("a");
    let b = second
        .compute_ats(&context("brand"), &PluginLimits::default(), &ctx, &rows)
        .expect("b");
    assert_eq!(a.output, b.output);
    drop((first, second));
    // An entry whose artifact no longer matches the digest recorded at compile time (one
    // byte flipped: bit rot, a half copy) is compiled again, never loaded.
    let mut bytes = std::fs::read(&entry).expect("read entry");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&entry, &bytes).expect("corrupt");
    let third = engine()
        .load_file("brand", &b2c(), None)
        .expect("recompiles");
    assert_eq!(third.origin, Origin::Compiled);
    // A truncated entry too; and the rewritten entry is sound again.
    std::fs::write(&entry, b"SVCWASM1").expect("truncate");
    assert_eq!(
        engine()
            .load_file("brand", &b2c(), None)
            .expect("recompiles")
            .origin,
        Origin::Compiled
    );
    assert_eq!(
        engine()
            .load_file("brand", &b2c(), None)
            .expect("cached")
            .origin,
        Origin::Cache
    );
}

#[test]
fn cache_entries_unused_for_the_keep_period_are_pruned() {
    let cache = tempfile::tempdir().expect("tempdir");
    let old = cache.path().join("old-entry.cwasm");
    let fresh = cache.path().join("fresh-entry.cwasm");
    let other = cache.path().join("notes.txt");
    for path in [&old, &fresh, &other] {
        std::fs::write(path, b"x").expect("write");
    }
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 24 * 3600);
    for path in [&old, &other] {
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(long_ago))
            .expect("age");
    }
    let removed =
        selvedge_runtime::cache::prune(cache.path(), selvedge_runtime::cache::KEEP_UNUSED);
    assert_eq!(removed, 1);
    assert!(!old.exists() && fresh.exists(), "only the stale entry goes");
    assert!(
        other.exists(),
        "files the cache did not write are left alone"
    );
}
