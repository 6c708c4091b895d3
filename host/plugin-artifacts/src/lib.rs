//! Paths of the components built from `plugins/` by this crate's build script.

use std::path::PathBuf;

/// Folder holding the built `*.wasm` components.
pub const PLUGIN_DIR: &str = env!("SELVEDGE_PLUGIN_DIR");

/// Path of the component built from the guest crate `crate_name` (dashes or underscores).
pub fn component(crate_name: &str) -> PathBuf {
    PathBuf::from(PLUGIN_DIR).join(format!("{}.wasm", crate_name.replace('-', "_")))
}

/// Example client plugin: B2C apparel brand on BigCommerce.
pub fn b2c_apparel() -> PathBuf {
    component("b2c-apparel")
}

/// Example client plugin: B2B wholesaler on Sparklayer.
pub fn b2b_wholesale() -> PathBuf {
    component("b2b-wholesale")
}

/// Test plugin by name: the faulty `infinite-loop`, `memory-bomb`, `trap`, `oversized-output`,
/// `malformed-output`, `wrong-world`, `poison-order` (traps on one order's content) and
/// `log-flood` (logs a line per stock row; its order mapping tries to forge host log lines)
/// and `wider-buffer` (b2c-apparel with one more unit of fast-mover buffer).
pub fn test_guest(name: &str) -> PathBuf {
    component(&format!("guest-{name}"))
}

/// `component` rebuilt with a build tag: a custom section named `selvedge-build` holding
/// `tag` is appended, which changes the bytes and so the version digest but not what the
/// plugin does, as a rebuild with a new version string would. `tag` must be short (under
/// 100 bytes), as a test's tags are.
pub fn rebuilt(component: &[u8], tag: &str) -> Vec<u8> {
    const NAME: &[u8] = b"selvedge-build";
    let payload = 1 + NAME.len() + tag.len();
    assert!(
        payload < 128,
        "build tag {tag:?} is too long for a one-byte section size"
    );
    let mut bytes = component.to_vec();
    // Custom section: id 0, LEB128 size (one byte here), name length, name, payload.
    bytes.extend_from_slice(&[0, payload as u8, NAME.len() as u8]);
    bytes.extend_from_slice(NAME);
    bytes.extend_from_slice(tag.as_bytes());
    bytes
}

/// Folder of the Python plugin components `scripts/build-python-plugins` builds:
/// `$SELVEDGE_PYTHON_PLUGIN_DIR`, else `plugins/target/python` in this repository. The Rust
/// build never builds them (they need componentize-py, which `scripts/test` installs).
pub fn python_plugin_dir() -> PathBuf {
    match std::env::var_os("SELVEDGE_PYTHON_PLUGIN_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plugins/target/python"),
    }
}

/// Path of the Python component built from `plugins/<folder>` (dashes or underscores), e.g.
/// `b2b-wholesale-py`; it may not exist (see [`python_component_or_skip`]).
pub fn python_component(folder: &str) -> PathBuf {
    python_plugin_dir().join(format!("{}.wasm", folder.replace('-', "_")))
}

/// The example Python plugin: `plugins/b2b-wholesale-py`, the port of `b2b-wholesale`.
pub fn python_b2b_wholesale() -> PathBuf {
    python_component("b2b-wholesale-py")
}

/// Whether missing tooling or artifacts must fail a test rather than skip it (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The Python component built from `plugins/<folder>` for a test, or `None` with a plain
/// message when it is not built (the test then skips). Under `CI=true` a missing component
/// fails the test instead: `scripts/test` builds it first.
pub fn python_component_or_skip(folder: &str, test: &str) -> Option<PathBuf> {
    let path = python_component(folder);
    if path.is_file() {
        return Some(path);
    }
    let message = format!(
        "{test}: {} is not built: run `eval \"$(scripts/build-python-plugins)\"` (scripts/test does)",
        path.display()
    );
    assert!(!in_ci(), "{message} (CI=true: not skipping)");
    eprintln!("skipped: {message}");
    None
}

/// The componentize-py that `scripts/build-python-plugins` installs:
/// `$SELVEDGE_COMPONENTIZE_PY`, else its default venv under `~/.cache/selvedge`; `None` when
/// neither exists.
pub fn componentize_py() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SELVEDGE_COMPONENTIZE_PY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let path = cache.join(format!(
        "selvedge/componentize-py-{COMPONENTIZE_PY_VERSION}/bin/componentize-py"
    ));
    path.is_file().then_some(path)
}

/// The componentize-py version `scripts/build-python-plugins` pins (kept equal by a test).
pub const COMPONENTIZE_PY_VERSION: &str = "0.18.0";
