//! Types of the modelled Blue Cherry gateway (see `docs/bluecherry-gateway.md`).
//!
//! The same types are produced by the JSON client and by the CSV drop, so flows never care
//! which route the data came by. Field names match the wire; quantities are whole units.
//!
//! One file per resource; the envelopes every resource shares (pages, error bodies) live here.

mod catalog;
mod customers;
mod inventory;
mod memos;
mod orders;
mod shipments;

use serde::{Deserialize, Serialize};

pub use crate::money::Cents;
pub use catalog::*;
pub use customers::*;
pub use inventory::*;
pub use memos::*;
pub use orders::*;
pub use shipments::*;

/// A page of a list resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Offset of the next page, absent on the last one.
    pub next_offset: Option<usize>,
}

/// The error body every non-2xx response carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Details of an error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine code: `validation_failed`, `duplicate_external_ref`, `stale_revision`,
    /// `order_locked`, `not_found`, `unauthorized`, ...
    pub code: String,
    /// Human message from the ERP.
    pub message: String,
    /// The field at fault, for validation errors (`division`, `lines[2].sku`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The document that already carries this external reference, for duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_number: Option<String>,
    /// The order's current revision, for `stale_revision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_revision: Option<u32>,
}
