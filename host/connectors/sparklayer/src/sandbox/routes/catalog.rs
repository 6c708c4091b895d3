//! Price lists, tiers, stock levels and stock locations.

use std::collections::BTreeSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::MAX_PRICE_LIST_PAGE_SIZE;
use crate::model::{
    BatchSkuPricing, LocationRef, NewStockLocation, Pagination, PriceList, PriceListPage,
    SkuPricing, StockLocation, StockUpdate,
};
use crate::sandbox::problem::{SandboxError, parse_body};
use crate::sandbox::state::{PriceListRecord, SandboxState, StockRow};

type Answer<T> = Result<T, SandboxError>;

pub(super) async fn create_price_list(
    State(state): State<SandboxState>,
    body: Bytes,
) -> Answer<(StatusCode, Json<PriceList>)> {
    let list: PriceList = parse_body(&body)?;
    let slug_ok = !list.slug.is_empty()
        && list
            .slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !slug_ok {
        return Err(SandboxError::validation(
            "slug",
            "use lowercase letters, digits, '-' and '_'",
        ));
    }
    if list.name.trim().is_empty() {
        return Err(SandboxError::validation("name", "must not be empty"));
    }
    if list.currency_code.len() != 3 || !list.currency_code.bytes().all(|b| b.is_ascii_uppercase())
    {
        return Err(SandboxError::validation(
            "currency_code",
            "must be an ISO 4217 code such as GBP",
        ));
    }
    let mut store = state.lock();
    if store.price_lists.contains_key(&list.slug) {
        return Err(SandboxError::validation("slug", "is already in use"));
    }
    store.price_lists.insert(
        list.slug.clone(),
        PriceListRecord {
            list: list.clone(),
            pricing: Default::default(),
        },
    );
    Ok((StatusCode::CREATED, Json(list)))
}

pub(super) async fn get_price_list(
    State(state): State<SandboxState>,
    Path(slug): Path<String>,
) -> Answer<Json<PriceList>> {
    state
        .price_list(&slug)
        .map(|r| Json(r.list))
        .ok_or_else(|| SandboxError::not_found(format!("no price list with slug {slug}")))
}

#[derive(Deserialize)]
pub(super) struct PageQuery {
    page: Option<u32>,
    page_size: Option<u32>,
}

pub(super) async fn list_price_lists(
    State(state): State<SandboxState>,
    Query(query): Query<PageQuery>,
) -> Answer<Json<PriceListPage>> {
    let page = query.page.unwrap_or(1);
    let page_size = query.page_size.unwrap_or(25);
    if page == 0 {
        return Err(SandboxError::validation("page", "pages start at 1"));
    }
    if !(1..=MAX_PRICE_LIST_PAGE_SIZE).contains(&page_size) {
        return Err(SandboxError::validation(
            "page_size",
            "must be between 1 and 250",
        ));
    }
    let store = state.lock();
    let total = store.price_lists.len();
    let size = page_size as usize;
    let data = store
        .price_lists
        .values()
        .skip((page as usize - 1) * size)
        .take(size)
        .map(|r| r.list.clone())
        .collect();
    Ok(Json(PriceListPage {
        data,
        pagination: Pagination {
            current_page: page,
            total_pages: total.div_ceil(size) as u32,
            page_size,
            total: total as u64,
        },
    }))
}

/// Checks one SKU's tiers; `at` is the JSON path of the item.
fn check_sku_pricing(item: &SkuPricing, at: &str) -> Answer<()> {
    if item.sku.trim().is_empty() {
        return Err(SandboxError::validation(
            format!("{at}.sku"),
            "must not be empty",
        ));
    }
    if item.pricing.is_empty() {
        return Err(SandboxError::validation(
            format!("{at}.pricing"),
            "needs at least one tier",
        ));
    }
    let mut seen = BTreeSet::new();
    for (j, tier) in item.pricing.iter().enumerate() {
        if tier.quantity == 0 || !seen.insert(tier.quantity) {
            return Err(SandboxError::validation(
                format!("{at}.pricing[{j}].quantity"),
                "quantity breaks must be unique and at least 1",
            ));
        }
        if tier.price_cents < 0 {
            return Err(SandboxError::validation(
                format!("{at}.pricing[{j}].price"),
                "must not be negative",
            ));
        }
    }
    Ok(())
}

fn store_pricing(record: &mut PriceListRecord, item: &SkuPricing) {
    let mut item = item.clone();
    item.pricing.sort_by_key(|t| t.quantity);
    record.pricing.insert(item.sku.clone(), item);
}

pub(super) async fn update_pricing(
    State(state): State<SandboxState>,
    Path(slug): Path<String>,
    body: Bytes,
) -> Answer<Json<Value>> {
    let items: Vec<SkuPricing> = parse_body(&body)?;
    for (i, item) in items.iter().enumerate() {
        check_sku_pricing(item, &format!("[{i}]"))?;
    }
    let mut store = state.lock();
    let record = store
        .price_lists
        .get_mut(&slug)
        .ok_or_else(|| SandboxError::not_found(format!("no price list with slug {slug}")))?;
    for item in &items {
        store_pricing(record, item);
    }
    Ok(Json(json!({ "updated": items.len() })))
}

pub(super) async fn batch_update_pricing(
    State(state): State<SandboxState>,
    body: Bytes,
) -> Answer<Json<Value>> {
    let items: Vec<BatchSkuPricing> = parse_body(&body)?;
    let mut store = state.lock();
    // Validate everything first: a rejected batch changes nothing.
    for (i, entry) in items.iter().enumerate() {
        check_sku_pricing(&entry.item, &format!("[{i}]"))?;
        if !store.price_lists.contains_key(&entry.price_list_slug) {
            return Err(SandboxError::validation(
                format!("[{i}].price_list_slug"),
                format!("no price list with slug {}", entry.price_list_slug),
            ));
        }
    }
    for entry in &items {
        if let Some(record) = store.price_lists.get_mut(&entry.price_list_slug) {
            store_pricing(record, &entry.item);
        }
    }
    Ok(Json(json!({ "updated": items.len() })))
}

pub(super) async fn batch_update_stock(
    State(state): State<SandboxState>,
    body: Bytes,
) -> Answer<Json<Value>> {
    let rows: Vec<StockUpdate> = parse_body(&body)?;
    let mut store = state.lock();
    let max = store.config.max_stock_batch;
    if rows.len() > max {
        return Err(SandboxError::invalid_request(format!(
            "{} rows sent; at most {max} per call",
            rows.len()
        )));
    }
    let mut resolved = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let (field, found) = match &row.location {
            LocationRef::Id(id) => (
                "stock_location_id",
                store.locations.iter().find(|l| &l.id == id),
            ),
            LocationRef::ExternalId(ext) => (
                "stock_location_external_id",
                store.location_by_external_id(ext),
            ),
        };
        let location = found.ok_or_else(|| {
            SandboxError::validation(format!("[{i}].{field}"), "unknown stock location")
        })?;
        if row.sku.trim().is_empty() {
            return Err(SandboxError::validation(
                format!("[{i}].sku"),
                "must not be empty",
            ));
        }
        if let Some(date) = &row.restock_date {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            if time::Date::parse(date, format).is_err() {
                return Err(SandboxError::validation(
                    format!("[{i}].restock_date"),
                    "must be a date like 2026-01-31",
                ));
            }
        }
        resolved.push((location.id.clone(), row));
    }
    for (location_id, row) in resolved {
        store.stock.insert(
            (location_id, row.sku.clone()),
            StockRow {
                stock_level: row.stock_level,
                restock_date: row.restock_date.clone(),
                min_stock_level: row.min_stock_level,
            },
        );
    }
    Ok(Json(json!({ "updated": rows.len() })))
}

pub(super) async fn create_stock_location(
    State(state): State<SandboxState>,
    body: Bytes,
) -> Answer<(StatusCode, Json<StockLocation>)> {
    let new: NewStockLocation = parse_body(&body)?;
    if new.name.trim().is_empty() {
        return Err(SandboxError::validation("name", "must not be empty"));
    }
    if new.external_id.trim().is_empty() {
        return Err(SandboxError::validation("external_id", "must not be empty"));
    }
    let mut store = state.lock();
    if store.location_by_external_id(&new.external_id).is_some() {
        return Err(SandboxError::validation("external_id", "is already in use"));
    }
    let location = StockLocation {
        id: format!("loc_{}", store.next_seq()),
        name: new.name,
        external_id: Some(new.external_id),
    };
    store.locations.push(location.clone());
    Ok((StatusCode::CREATED, Json(location)))
}

pub(super) async fn list_stock_locations(
    State(state): State<SandboxState>,
) -> Json<Vec<StockLocation>> {
    Json(state.stock_locations())
}
