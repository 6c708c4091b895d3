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
/// `malformed-output`, `wrong-world`, and `poison-order` (traps on one order's content).
pub fn test_guest(name: &str) -> PathBuf {
    component(&format!("guest-{name}"))
}
