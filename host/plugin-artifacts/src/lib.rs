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
