//! Plugin changes are durable and shared: a swap recorded by one host is loaded by another
//! that never saw the build, a restart restores the desired version, a new configured build
//! wins, a rollback works from the store's history, a folder drop is installed once.
//!
//! Two "hosts" here are two plugin registries over one store file, as two processes would be.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use selvedge::config::AutoRollback;
use selvedge::plugins::{Guard, NewBuild, PluginChanges, digest_of, poll_folder};
use selvedge_runtime::rules::orders::StorefrontOrder;
use selvedge_runtime::watch::WatchedFolder;
use selvedge_runtime::{ClientContext, PluginLimits, PluginRegistry, Runtime, RuntimeOptions};
use selvedge_store::Store;
use selvedge_store_sqlite::SqliteStore;
use time::OffsetDateTime;

const CLIENT: &str = "brand";

/// A host's plugin side: its own engine and registry, the shared store.
fn host(store: &Arc<dyn Store>) -> PluginChanges {
    let runtime = Runtime::new(RuntimeOptions::default()).expect("engine");
    let registry = PluginRegistry::new(runtime);
    registry.add_client(
        CLIENT,
        ClientContext::default(),
        PluginLimits::default(),
        None,
    );
    PluginChanges::new(store.clone(), registry, [CLIENT.to_owned()])
}

fn running(host: &PluginChanges) -> String {
    host.slot(CLIENT)
        .expect("slot")
        .current()
        .expect("a version runs")
        .version
        .clone()
}

async fn desired(store: &Arc<dyn Store>) -> String {
    let open = store.active_plugin_versions().await.expect("desired");
    assert_eq!(open.len(), 1, "one open period per client: {open:?}");
    open[0].version_hash.clone()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read plugin")
}

/// The brand's plugin rebuilt with `tag`, written beside the test's store.
fn rebuilt(path: &Path, tag: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!("b2c_apparel-{tag}.wasm"));
    std::fs::write(&out, selvedge_plugin_artifacts::rebuilt(&read(path), tag))
        .expect("write rebuilt plugin");
    out
}

async fn shared_store(dir: &Path) -> Arc<dyn Store> {
    Arc::new(
        SqliteStore::open(dir.join("state.sqlite"))
            .await
            .expect("store"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_on_one_host_reaches_another_and_survives_a_restart_and_a_new_deploy_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = shared_store(dir.path()).await;
    let b2c = selvedge_plugin_artifacts::b2c_apparel();
    let b2b = read(&selvedge_plugin_artifacts::b2b_wholesale());

    let a = host(&store);
    let b = host(&store);
    a.start_client(CLIENT, &b2c).await.expect("start a");
    b.start_client(CLIENT, &b2c).await.expect("start b");
    assert_eq!(desired(&store).await, digest_of(&read(&b2c)));

    let swapped = a
        .install(
            CLIENT,
            NewBuild {
                name: "b2b_wholesale".into(),
                bytes: b2b.clone(),
                label: None,
                source: "test upload".into(),
            },
            "swap",
        )
        .await
        .expect("swap on a");
    assert_eq!(swapped.to, digest_of(&b2b));
    assert_eq!(desired(&store).await, swapped.to);

    // b never saw the build: it loads it from the store, once.
    let followed = b.follow().await.expect("follow");
    assert_eq!(followed.loaded, [(CLIENT.to_owned(), swapped.to.clone())]);
    assert_eq!(running(&b), swapped.to);
    assert_eq!(b.follow().await.expect("follow").loaded, []);

    // A restarted host whose config still names b2c restores the desired b2b.
    let restarted = host(&store);
    let report = restarted.start_client(CLIENT, &b2c).await.expect("restart");
    assert_eq!(report.to, swapped.to);
    assert_eq!(running(&restarted), swapped.to);

    // After the restart nothing is compiled to roll back to: the store's history is used.
    let back = restarted
        .rollback(CLIENT, "rollback")
        .await
        .expect("rollback from history");
    assert_eq!(back.to, digest_of(&read(&b2c)));
    assert_eq!(desired(&store).await, back.to);
    a.follow().await.expect("follow");
    assert_eq!(running(&a), back.to);

    // A configured build the store has never seen is a new deploy: it wins at start.
    let deployed = rebuilt(&b2c, "v2", dir.path());
    let next = host(&store);
    let report = next.start_client(CLIENT, &deployed).await.expect("deploy");
    assert_eq!(report.to, digest_of(&read(&deployed)));
    assert_eq!(desired(&store).await, report.to);
    b.follow().await.expect("follow");
    assert_eq!(running(&b), report.to);

    let reasons: Vec<String> = store
        .plugin_history(CLIENT, None, 10)
        .await
        .expect("history")
        .into_iter()
        .map(|p| p.reason)
        .collect();
    assert_eq!(
        reasons,
        [
            "startup: a new configured build",
            "rollback",
            "swap",
            "startup"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desired_build_that_does_not_match_its_digest_is_refused_and_the_config_serves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = shared_store(dir.path()).await;
    let b2c = selvedge_plugin_artifacts::b2c_apparel();
    host(&store)
        .start_client(CLIENT, &b2c)
        .await
        .expect("first start");
    // Someone recorded a version whose stored bytes are another build.
    let forged = "0".repeat(64);
    let now = OffsetDateTime::now_utc();
    store
        .put_plugin_component(
            &forged,
            "b2b_wholesale",
            &read(&selvedge_plugin_artifacts::b2b_wholesale()),
            "forged",
            now,
        )
        .await
        .expect("put");
    store
        .activate_plugin_version(CLIENT, "b2c_apparel", &forged, "", "forged", now)
        .await
        .expect("activate");

    let follower = host(&store);
    follower.start_client(CLIENT, &b2c).await.expect("start");
    assert_eq!(
        running(&follower),
        digest_of(&read(&b2c)),
        "the configured build serves"
    );
    assert_eq!(
        desired(&store).await,
        digest_of(&read(&b2c)),
        "and is desired again"
    );
    let history = store
        .plugin_history(CLIENT, None, 1)
        .await
        .expect("history");
    assert_eq!(
        history[0].reason,
        "startup: the desired version could not be loaded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_drop_is_installed_once_so_a_rollback_holds_and_a_bad_drop_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let drops = tempfile::tempdir().expect("drops");
    let store = shared_store(dir.path()).await;
    let b2c = selvedge_plugin_artifacts::b2c_apparel();
    let changes = host(&store);
    changes.start_client(CLIENT, &b2c).await.expect("start");
    let folder = WatchedFolder {
        client: CLIENT.into(),
        dir: drops.path().to_path_buf(),
    };
    let mut rejected = BTreeSet::new();

    let b2b = selvedge_plugin_artifacts::b2b_wholesale();
    std::fs::copy(&b2b, drops.path().join("rules-v2.wasm")).expect("drop");
    poll_folder(&changes, &folder, &mut rejected).await;
    assert_eq!(running(&changes), digest_of(&read(&b2b)));
    assert_eq!(desired(&store).await, digest_of(&read(&b2b)));

    changes
        .rollback(CLIENT, "rollback")
        .await
        .expect("rollback");
    poll_folder(&changes, &folder, &mut rejected).await;
    assert_eq!(
        running(&changes),
        digest_of(&read(&b2c)),
        "the folder does not reinstall a build already decided about"
    );

    std::thread::sleep(std::time::Duration::from_millis(20));
    let bad = selvedge_plugin_artifacts::test_guest("wrong-world");
    std::fs::copy(&bad, drops.path().join("rules-v3.wasm")).expect("drop");
    poll_folder(&changes, &folder, &mut rejected).await;
    assert_eq!(running(&changes), digest_of(&read(&b2c)));
    assert_eq!(rejected.len(), 1);
    assert!(
        store
            .plugin_component(&digest_of(&read(&bad)))
            .await
            .expect("read")
            .is_none(),
        "a refused build is not kept"
    );
}

/// The guard of these tests: judge a change by its first 50 calls, 5 points of margin.
fn guarded(store: &Arc<dyn Store>) -> PluginChanges {
    let guard = Guard {
        settings: AutoRollback {
            calls: 50,
            margin: 0.05,
        },
        owner: "ecommerce".into(),
    };
    host(store).with_guards([(CLIENT.to_owned(), guard)])
}

/// A web order from the b2c fixtures, `poison` with a 13-unit line (the poison-order guest
/// traps on it).
fn order(id: usize, poison: bool) -> StorefrontOrder {
    let case = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/b2c-apparel/fixtures/orders-warehouse-by-shipping.json");
    let case: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case).expect("fixture")).expect("json");
    let mut order: StorefrontOrder =
        serde_json::from_value(case["input"][0].clone()).expect("an order");
    order.order_id = id.to_string();
    if poison {
        order.lines[0].quantity = 13;
    }
    order
}

/// 50 single-order calls, every tenth order poisoned; returns how many failed.
async fn fifty_calls(changes: &PluginChanges) -> usize {
    let slot = changes.slot(CLIENT).expect("slot");
    let mut failed = 0;
    for i in 0..50 {
        if slot.map_orders(vec![order(i, i % 10 == 9)]).await.is_err() {
            failed += 1;
        }
    }
    failed
}

fn poison_order() -> PathBuf {
    selvedge_plugin_artifacts::test_guest("poison-order")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_that_traps_on_one_order_in_ten_is_rolled_back_with_an_exception_for_its_owner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = shared_store(dir.path()).await;
    let b2c = selvedge_plugin_artifacts::b2c_apparel();
    let changes = guarded(&store);
    changes.start_client(CLIENT, &b2c).await.expect("start");
    assert_eq!(fifty_calls(&changes).await, 0, "b2c maps every order");

    let candidate = NewBuild::from_file(
        &poison_order(),
        read(&poison_order()),
        "v2".into(),
        "test".into(),
    );
    changes
        .install(CLIENT, candidate, "swap")
        .await
        .expect("swap");
    assert_eq!(fifty_calls(&changes).await, 5);
    assert_eq!(
        changes.check_guards().await.expect("judge").len(),
        1,
        "10% failures against 0% is past a 5-point margin"
    );
    assert_eq!(running(&changes), digest_of(&read(&b2c)));
    assert_eq!(desired(&store).await, digest_of(&read(&b2c)));
    let history = store
        .plugin_history(CLIENT, None, 1)
        .await
        .expect("history");
    assert!(
        history[0]
            .reason
            .starts_with("auto-rollback: 5 of the first 50 calls"),
        "{}",
        history[0].reason
    );
    let open = store
        .list_exceptions(&Default::default(), Default::default())
        .await
        .expect("exceptions");
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(
        (open[0].kind.as_str(), open[0].owner.as_str()),
        ("plugin_error", "ecommerce")
    );
    assert!(open[0].summary.contains("10.0%"), "{}", open[0].summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_failing_as_often_as_the_version_it_replaced_is_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = shared_store(dir.path()).await;
    let changes = guarded(&store);
    changes
        .start_client(CLIENT, &poison_order())
        .await
        .expect("start");
    assert_eq!(fifty_calls(&changes).await, 5);

    let rebuilt = selvedge_plugin_artifacts::rebuilt(&read(&poison_order()), "same-bugs");
    let digest = digest_of(&rebuilt);
    let candidate = NewBuild {
        name: "poison_order".into(),
        bytes: rebuilt,
        label: None,
        source: "test".into(),
    };
    changes
        .install(CLIENT, candidate, "swap")
        .await
        .expect("swap");
    let slot = changes.slot(CLIENT).expect("slot");
    for i in 0..10 {
        let _ = slot.map_orders(vec![order(i, i == 0)]).await;
    }
    assert_eq!(
        changes.check_guards().await.expect("judge"),
        [],
        "10 calls (one failed) are too few to judge"
    );
    assert_eq!(fifty_calls(&changes).await, 5);
    assert_eq!(changes.check_guards().await.expect("judge"), []);
    assert_eq!(running(&changes), digest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_require_shadow_a_swap_waits_for_a_clean_or_accepted_shadow_run() {
    use selvedge::plugins::shadow::{shadow_run, shadow_run_with};
    use selvedge::plugins::{ChangeError, record_call};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = shared_store(dir.path()).await;
    let b2c = selvedge_plugin_artifacts::b2c_apparel();
    let host = host(&store).with_shadow_gate([CLIENT.to_owned()]);
    host.start_client(CLIENT, &b2c)
        .await
        .expect("a deploy at start is not gated");
    let slot = host.slot(CLIENT).expect("slot");
    // One live order batch, recorded as the flows record it.
    let order: StorefrontOrder = serde_json::from_value(
        serde_json::from_str::<serde_json::Value>(
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../plugins/b2c-apparel/fixtures/orders-warehouse-by-shipping.json"),
            )
            .expect("fixture"),
        )
        .expect("json")["input"][0]
            .clone(),
    )
    .expect("an order");
    let called = slot.map_orders(vec![order]).await.expect("live call");
    record_call(
        store.as_ref(),
        CLIENT,
        "orders",
        &called.report,
        Vec::new,
        vec![],
    )
    .await
    .expect("recorded");

    let candidate = |bytes: Vec<u8>| NewBuild {
        name: "b2c_apparel".into(),
        bytes,
        label: None,
        source: "test".into(),
    };
    let plain = read(&selvedge_plugin_artifacts::test_guest("poison-order"));
    let refused = host
        .install(CLIENT, candidate(plain.clone()), "swap")
        .await
        .expect_err("no shadow run yet");
    assert!(
        matches!(&refused, ChangeError::ShadowRequired { why, .. } if why.contains("no shadow run")),
        "{refused}"
    );
    let progress = Counted::default();
    let run = shadow_run_with(&store, &slot, candidate(plain.clone()), 5, &progress)
        .await
        .expect("shadow run");
    assert_eq!((run.calls, run.changed), (1, 1), "{run:?}");
    assert_eq!(
        *progress.0.lock().expect("lock"),
        ["start shadow run: ?/1 calls", "advance 1", "finish"],
        "told the calls to replay up front, then each one"
    );
    let refused = host
        .install(CLIENT, candidate(plain.clone()), "swap")
        .await
        .expect_err("differences nobody accepted");
    assert!(refused.to_string().contains("nobody accepted"), "{refused}");
    assert_eq!(
        running(&host),
        digest_of(&read(&b2c)),
        "the live build still serves"
    );
    store
        .accept_shadow_run(CLIENT, run.run_id, "ops@agency", OffsetDateTime::now_utc())
        .await
        .expect("accept");
    host.install(CLIENT, candidate(plain.clone()), "swap")
        .await
        .expect("accepted: it goes live");
    assert_eq!(running(&host), digest_of(&plain));

    // A rebuild that decides alike clears itself.
    let same = selvedge_plugin_artifacts::rebuilt(&plain, "same");
    let run = shadow_run(&store, &slot, candidate(same.clone()), 5)
        .await
        .expect("shadow run");
    assert!(run.clean);
    host.install(CLIENT, candidate(same.clone()), "swap")
        .await
        .expect("a clean run clears");
}

/// What a long operation told its progress, in order.
#[derive(Default)]
struct Counted(std::sync::Mutex<Vec<String>>);

impl selvedge::progress::Progress for Counted {
    fn start(&self, what: &str, unit: &str, total: Option<u64>) {
        let total = total.map_or("-".into(), |t| t.to_string());
        self.note(format!("start {what}: ?/{total} {unit}"));
    }
    fn advance(&self, n: u64) {
        self.note(format!("advance {n}"));
    }
    fn finish(&self) {
        self.note("finish".into());
    }
}

impl Counted {
    fn note(&self, line: String) {
        self.0.lock().expect("lock").push(line);
    }
}
