//! The plugin runtime of the tests: one wasm engine, and the example plugins from `plugins/`
//! installed with their fixture context.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use selvedge_runtime::{
    ClientContext, ClientPlugin, PluginLimits, PluginRegistry, Runtime, RuntimeOptions,
};

/// One engine for the whole test binary; compiled components are cached on disk.
pub fn runtime() -> Arc<Runtime> {
    static RUNTIME: OnceLock<Arc<Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache");
            Runtime::new(RuntimeOptions {
                cache_dir: Some(cache),
                max_concurrent_calls: 4,
                ..RuntimeOptions::default()
            })
            .expect("wasm engine")
        })
        .clone()
}

/// The rule settings the example plugin's fixtures run with, plus what the sandboxes need.
pub fn plugin_context(plugin: &str) -> ClientContext {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins")
        .join(plugin)
        .join("fixtures/context.toml");
    let text = std::fs::read_to_string(&path).expect("fixture context");
    let ctx: ClientContext = toml::from_str(&text).expect("fixture context parses");
    // Sparklayer's stock location ids: WH-NJ is mapped, WH-LDN is not (default warehouse).
    ctx.with_mapping("location_warehouse", "WH-NJ", "NJ01/02")
}

/// Installs the example plugin `name` for `client`.
pub async fn plugin(client: &str, name: &str) -> Arc<ClientPlugin> {
    let registry = PluginRegistry::new(runtime());
    // Debug builds on two cores: a large inventory batch can outrun the production 2 s, and
    // no test here is about the time limit.
    let limits = PluginLimits {
        timeout_ms: 30_000,
        ..PluginLimits::default()
    };
    let slot = registry.add_client(client, plugin_context(name), limits, None);
    slot.install_file(&selvedge_plugin_artifacts::component(name), None)
        .await
        .expect("plugin installs");
    slot
}

/// Installs the test plugin `guest` (`plugins/test-guests/<guest>`) for `client`, with no
/// rule settings and production limits.
pub async fn test_guest(client: &str, guest: &str) -> Arc<ClientPlugin> {
    let registry = PluginRegistry::new(runtime());
    let slot = registry.add_client(
        client,
        ClientContext::default(),
        PluginLimits::default(),
        None,
    );
    slot.install_file(&selvedge_plugin_artifacts::test_guest(guest), None)
        .await
        .expect("the test plugin installs");
    slot
}
