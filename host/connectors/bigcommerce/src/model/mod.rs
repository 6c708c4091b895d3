//! Wire types of the BigCommerce REST API, limited to the fields the sync flows use.
//!
//! Reading ignores unknown fields (the real API sends many more); writing skips unset options
//! so a batch update touches only what the caller set.

pub mod catalog;
pub mod catalog_updates;
pub mod inventory;
pub mod money;
pub mod options;
pub mod order_create;
pub mod order_query;
pub mod orders;
pub mod refunds;
pub mod shipments;
pub mod webhooks;

pub use catalog::*;
pub use catalog_updates::*;
pub use inventory::*;
pub use money::{Money, MoneyError};
pub use options::*;
pub use order_create::*;
pub use order_query::*;
pub use orders::*;
pub use refunds::*;
pub use shipments::*;
pub use webhooks::*;

use serde::{Deserialize, Serialize};

/// V3 collection paging (`meta.pagination`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Pagination {
    /// Items in the whole result set.
    #[serde(default)]
    pub total: i64,
    /// Items on this page.
    #[serde(default)]
    pub count: i64,
    /// Page size.
    #[serde(default)]
    pub per_page: i64,
    /// This page, from 1.
    #[serde(default)]
    pub current_page: i64,
    /// Number of pages.
    #[serde(default)]
    pub total_pages: i64,
    /// Query strings of this page and its neighbours (`?page=2&limit=50`).
    #[serde(default, deserialize_with = "lenient_links")]
    pub links: PageLinks,
}

/// Links are informative: a shape other than an object (some endpoints send `[]`) must not
/// fail the whole page, so it reads as no links.
fn lenient_links<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PageLinks, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

/// `meta.pagination.links`: `previous` and `next` only where such a page exists.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PageLinks {
    /// The page before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// This page.
    #[serde(default)]
    pub current: String,
    /// The page after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// V3 `meta` object.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    /// Present on collections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
}

/// V3 `{data, meta}` envelope.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Envelope<T> {
    /// The resource or the page of resources.
    pub data: T,
    /// Paging and other metadata.
    #[serde(default)]
    pub meta: Meta,
}

/// Per-item result of a batch call: which ids were applied and which were refused and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchReport<T> {
    /// Items BigCommerce applied, as it returned them.
    pub succeeded: Vec<T>,
    /// Items it refused.
    pub failed: Vec<ItemFailure>,
}

impl<T> Default for BatchReport<T> {
    fn default() -> Self {
        Self {
            succeeded: Vec::new(),
            failed: Vec::new(),
        }
    }
}

/// One refused item of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFailure {
    /// The id the caller sent.
    pub id: i64,
    /// HTTP status that refused it (the batch status for a whole-batch refusal).
    pub status: u16,
    /// BigCommerce's reason.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_links_read_as_sent_and_an_odd_shape_reads_as_none() {
        let p: Pagination = serde_json::from_value(serde_json::json!({
            "total": 3, "current_page": 2, "total_pages": 3,
            "links": {"previous": "?page=1&limit=1", "current": "?page=2&limit=1", "next": "?page=3&limit=1"}
        }))
        .unwrap_or_default();
        assert_eq!(p.links.next.as_deref(), Some("?page=3&limit=1"));
        let odd: Result<Pagination, _> =
            serde_json::from_value(serde_json::json!({"total": 0, "links": []}));
        assert_eq!(odd.ok().map(|p| p.links), Some(PageLinks::default()));
    }
}
