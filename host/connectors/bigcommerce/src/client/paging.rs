//! The two kinds of list, both read with the kit's `collect_pages`: V3 collections
//! (`{data, meta.pagination}`) and V2 bare arrays. Every list call goes through one of them.

use selvedge_connector_kit::pagination::{Next, collect_pages};
use serde::de::DeserializeOwned;

use super::{BigCommerceClient, Call, Operation};
use crate::error::Error;
use crate::model::Envelope;

/// V2 page size (its maximum).
const V2_LIMIT: usize = 250;

/// Query pairs of a list call, besides `page` and `limit`.
pub(crate) type Params = Vec<(String, String)>;

/// Adds `key=value` to `params`.
pub(crate) fn param(params: &mut Params, key: &str, value: impl ToString) {
    params.push((key.to_owned(), value.to_string()));
}

impl BigCommerceClient {
    /// Every item of a V3 collection, `limit` per page, following `meta.pagination` until the
    /// last page (or an empty one, so a store that miscounts cannot loop forever).
    pub(crate) async fn v3_all<T: DeserializeOwned>(
        &self,
        op: Operation,
        ids: &[i64],
        params: &[(String, String)],
        limit: usize,
    ) -> Result<Vec<T>, Error> {
        let fetch = |page: i64| {
            let call = Call::new(op, ids)
                .query("page", page)
                .query("limit", limit)
                .params(params);
            async move {
                let env: Envelope<Vec<T>> = self.fetch(call).await?;
                let last = env
                    .meta
                    .pagination
                    .as_ref()
                    .is_none_or(|p| p.current_page >= p.total_pages);
                Ok((env.data, if last { Next::Done } else { Next::At(page + 1) }))
            }
        };
        collect_pages(1, fetch, |page, next| stuck(op, ids, page, next)).await
    }

    /// Every item of a V2 list: pages of 250 until a short one (V2 has no paging metadata;
    /// an empty list may come as 204).
    pub(crate) async fn v2_all<T: DeserializeOwned>(
        &self,
        op: Operation,
        ids: &[i64],
        params: &[(String, String)],
    ) -> Result<Vec<T>, Error> {
        let fetch = |page: i64| {
            let call = Call::new(op, ids)
                .query("page", page)
                .query("limit", V2_LIMIT)
                .params(params);
            async move {
                let items: Vec<T> = self.send(&call).await?.decode_list()?;
                let full = items.len() >= V2_LIMIT;
                Ok((items, if full { Next::At(page + 1) } else { Next::Done }))
            }
        };
        collect_pages(1, fetch, |page, next| stuck(op, ids, page, next)).await
    }
}

/// A page cursor that does not move forward (cannot happen with `page + 1`; the helper asks).
fn stuck(op: Operation, ids: &[i64], page: i64, next: i64) -> Error {
    Error::Decode {
        method: op.method().to_string(),
        path: op.path(ids),
        message: format!("the next page ({next}) does not follow {page}"),
    }
}
