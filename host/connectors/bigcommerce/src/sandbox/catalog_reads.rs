//! Catalog V3 reads: products (list, one), a product's variants, variants across the catalog.
//! Each applies its documented filters or refuses them by name (400).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::catalog::not_found;
use super::query::{Params, Refusal, page_answer};
use super::state::{Store, parse_date};
use super::{SandboxHandle, json_response, paginate};
use crate::model::{Product, Variant};

type Q = Query<Vec<(String, String)>>;

const SPARSE: [&str; 2] = ["include_fields", "exclude_fields"];
/// `include` values shown: variants and options on demand; custom fields are always present.
const INCLUDES: [&str; 3] = ["variants", "options", "custom_fields"];

/// `data` items as JSON after `include_fields` / `exclude_fields`.
fn sparse_items<T: serde::Serialize>(p: &Params<'_>, items: &[T]) -> Vec<Value> {
    let mut values: Vec<Value> = items.iter().map(|i| json!(i)).collect();
    p.sparse(&mut values);
    values
}

fn products_page(s: &Store, p: &Params<'_>) -> Result<(Vec<Value>, Value), Refusal> {
    let includes = p.include(&INCLUDES)?;
    let (with_variants, with_options) = (
        includes.contains(&"variants"),
        includes.contains(&"options"),
    );
    // With options included BigCommerce serves at most 10 per page.
    let (page, limit) = p.page_limit(if with_options { 10 } else { 250 })?;
    let id = p.int("id")?;
    let ids = p.ids("id:in")?;
    let sku = p.str("sku").map(str::to_lowercase);
    let skus: Vec<String> = p.list("sku:in").iter().map(|x| x.to_lowercase()).collect();
    let min = p.date("date_modified:min")?;
    let matches_sku = |prod: &Product, wanted: &[String]| {
        wanted.contains(&prod.sku.to_lowercase())
            || s.variants
                .values()
                .any(|v| v.product_id == prod.id && wanted.contains(&v.sku.to_lowercase()))
    };
    let found: Vec<i64> = s
        .products
        .values()
        .filter(|prod| id.is_none_or(|i| prod.id == i))
        .filter(|prod| ids.is_empty() || ids.contains(&prod.id))
        .filter(|prod| {
            sku.as_ref()
                .is_none_or(|w| matches_sku(prod, std::slice::from_ref(w)))
        })
        .filter(|prod| skus.is_empty() || matches_sku(prod, &skus))
        .filter(|prod| {
            min.is_none_or(|m| {
                prod.date_modified
                    .as_deref()
                    .and_then(parse_date)
                    .is_none_or(|d| d >= m)
            })
        })
        .map(|prod| prod.id)
        .collect();
    let (slice, meta) = paginate(&found, page, limit);
    let data: Vec<Product> = slice
        .iter()
        .filter_map(|id| s.full_product(*id, with_variants, with_options))
        .collect();
    Ok((sparse_items(p, &data), meta))
}

pub(crate) async fn list(State(h): State<SandboxHandle>, Query(q): Q) -> Response {
    let applied = [
        "page",
        "limit",
        "id",
        "id:in",
        "sku",
        "sku:in",
        "date_modified:min",
        "include",
        SPARSE[0],
        SPARSE[1],
    ];
    let mut s = h.store();
    s.settle_stock();
    page_answer(
        Params::strict(&q, &applied).and_then(|p| products_page(&s, &p)),
        false,
    )
}

/// The product id of the path, if it exists.
fn product_id(s: &Store, raw: &str) -> Option<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| s.products.contains_key(id))
}

pub(crate) async fn get_product(
    State(h): State<SandboxHandle>,
    Path((_, id)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    let p = match Params::strict(&q, &["include", SPARSE[0], SPARSE[1]]) {
        Ok(p) => p,
        Err(r) => return r.v3(),
    };
    let includes = match p.include(&INCLUDES) {
        Ok(i) => i,
        Err(r) => return r.v3(),
    };
    let mut s = h.store();
    s.settle_stock();
    let product = product_id(&s, &id).and_then(|id| {
        s.full_product(
            id,
            includes.contains(&"variants"),
            includes.contains(&"options"),
        )
    });
    match product {
        Some(prod) => {
            let data = sparse_items(&p, &[prod]).pop().unwrap_or_default();
            json_response(StatusCode::OK, json!({"data": data, "meta": {}}))
        }
        None => not_found("product"),
    }
}

fn variants_page<'v>(
    s: &Store,
    p: &Params<'_>,
    of: impl Iterator<Item = &'v Variant>,
) -> Result<(Vec<Value>, Value), Refusal> {
    let (page, limit) = p.page_limit(250)?;
    let found: Vec<Variant> = of.map(|v| s.shown_variant(v)).collect();
    let (slice, meta) = paginate(&found, page, limit);
    Ok((sparse_items(p, &slice), meta))
}

pub(crate) async fn product_variants(
    State(h): State<SandboxHandle>,
    Path((_, id)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    let p = match Params::strict(&q, &["page", "limit", SPARSE[0], SPARSE[1]]) {
        Ok(p) => p,
        Err(r) => return r.v3(),
    };
    let mut s = h.store();
    s.settle_stock();
    let Some(pid) = product_id(&s, &id) else {
        return not_found("product");
    };
    let of = s.variants.values().filter(|v| v.product_id == pid);
    page_answer(variants_page(&s, &p, of), false)
}

pub(crate) async fn variants(State(h): State<SandboxHandle>, Query(q): Q) -> Response {
    let applied = [
        "id",
        "sku",
        "upc",
        "product_id:in",
        "page",
        "limit",
        SPARSE[0],
        SPARSE[1],
    ];
    let mut s = h.store();
    s.settle_stock();
    let answer = Params::strict(&q, &applied).and_then(|p| {
        let id = p.int("id")?;
        let sku = p.str("sku");
        let upc = p.str("upc");
        let products = p.ids("product_id:in")?;
        let of = s
            .variants
            .values()
            .filter(|v| id.is_none_or(|i| v.id == i))
            .filter(|v| sku.is_none_or(|k| v.sku.eq_ignore_ascii_case(k)))
            .filter(|v| upc.is_none_or(|u| v.upc.as_deref() == Some(u)))
            .filter(|v| products.is_empty() || products.contains(&v.product_id));
        variants_page(&s, &p, of)
    });
    page_answer(answer, false)
}
