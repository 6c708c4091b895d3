//! Host bindings per released WIT version. Each version gets its own module so a new
//! contract can be added while plugins built for an older one keep working.

/// `selvedge:rules@0.1.0`, frozen in `wit/since_v0.1.0/`.
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        world: "client-rules",
        path: "../../wit/since_v0.1.0",
        additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
    });
}

/// `selvedge:rules@0.2.0`, frozen in `wit/since_v0.2.0/`: decisions name their order or
/// refund, and ERP references are the host's (no `external-ref` from the plugin).
pub mod v0_2_0 {
    wasmtime::component::bindgen!({
        world: "client-rules",
        path: "../../wit/since_v0.2.0",
        additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
    });
}

/// The rule types of the latest contract, for the host's flows. Calls into a plugin built
/// for an older contract are converted to and from these.
pub mod rules {
    pub use super::v0_2_0::exports::selvedge::rules::{
        catalog, inventory, orders, pricing, returns,
    };
    pub use super::v0_2_0::selvedge::rules::types;
}

/// The WIT world a new plugin targets, for error messages.
pub const WORLD: &str = "selvedge:rules/client-rules@0.2.0";

/// Every world the host runs plugins for, newest first.
pub const WORLDS: &str =
    "selvedge:rules/client-rules@0.2.0 (or @0.1.0 for plugins built before 0.2.0)";
