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

/// The rule types of the latest contract, for the host's flows.
pub mod rules {
    pub use super::v0_1_0::exports::selvedge::rules::{
        catalog, inventory, orders, pricing, returns,
    };
    pub use super::v0_1_0::selvedge::rules::types;
}

/// The WIT world every plugin must target, for error messages.
pub const WORLD: &str = "selvedge:rules/client-rules@0.1.0";
