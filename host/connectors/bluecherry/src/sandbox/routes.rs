//! HTTP routes: `/v1/...` is the modelled gateway, `/sandbox/...` drives the fake ERP.

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::faults::{self, Faults};
use super::state::Refusal;
use super::{Shared, cycles, lock};
use crate::model::{
    Cents, CreditMemoRequest, ErrorBody, ErrorDetail, Page, SalesOrderRequest, SalesOrderRevision,
    ShipmentLine, ShipmentPage,
};
use selvedge_connector_kit::sandbox::{Quota, QuotaWindow};

/// Largest page the gateway serves.
const MAX_LIMIT: usize = 500;

/// An error answer in the documented body shape.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: ErrorDetail,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        field: Option<&str>,
    ) -> Self {
        Self {
            status,
            detail: ErrorDetail {
                code: code.to_string(),
                message: message.into(),
                field: field.map(str::to_string),
                existing_number: None,
                current_revision: None,
            },
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid { field, message } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
                Some(&field),
            ),
            Refusal::Duplicate { existing } => {
                let mut e = ApiError::new(
                    StatusCode::CONFLICT,
                    "duplicate_external_ref",
                    format!("external_ref already used by {existing}"),
                    Some("external_ref"),
                );
                e.detail.existing_number = Some(existing);
                e
            }
            Refusal::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
                None,
            ),
            Refusal::Locked { message } => {
                ApiError::new(StatusCode::CONFLICT, "order_locked", message, None)
            }
            Refusal::StaleRevision { message, current } => {
                let mut e = ApiError::new(
                    StatusCode::CONFLICT,
                    "stale_revision",
                    message,
                    Some("revision"),
                );
                e.detail.current_revision = Some(current);
                e
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: self.detail })).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            e.to_string(),
            None,
        )
    })
}

/// The sandbox's router.
pub fn router(shared: Shared) -> Router {
    let v1 = Router::new()
        .route("/cycles/status", get(cycle_status))
        .route("/styles", get(list_styles))
        .route("/ats/{cycle_id}", get(ats_snapshot))
        .route("/sales-orders", post(create_order).get(find_orders))
        .route("/sales-orders/{number}", get(get_order).put(revise_order))
        .route("/shipments", get(list_shipments))
        .route("/credit-memos", post(create_memo).get(find_memos))
        .route("/credit-memos/{number}", get(get_memo))
        .route("/customers", get(list_customers))
        .route("/price-levels", get(list_price_levels))
        // Layers run outermost-last: faults first (a failing proxy does not check keys), then auth.
        .layer(middleware::from_fn_with_state(shared.clone(), auth))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            faults::apply,
        ));
    let sandbox = Router::new()
        .route("/cycles/run", post(run_cycle))
        .route("/orders/{number}/ship", post(ship_order))
        .route("/orders/{number}/edit", post(edit_order))
        .route("/orders/{number}/cancel", post(cancel_order))
        .route(
            "/faults",
            put(set_faults).get(get_faults).delete(clear_faults),
        )
        .route("/quota", put(set_quota).get(get_quota).delete(clear_quota))
        .route("/creates", get(get_creates).delete(clear_creates))
        .route("/work-orders", post(add_work_order))
        .route("/inventory/adjust", post(adjust_inventory))
        .route("/styles/{style}/retail", post(set_retail));
    Router::new()
        .nest("/v1", v1)
        .nest("/sandbox", sandbox)
        .with_state(shared)
}

async fn auth(State(shared): State<Shared>, req: Request, next: Next) -> Response {
    let expected = format!("Bearer {}", lock(&shared).api_key);
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer API key",
            None,
        )
        .into_response();
    }
    next.run(req).await
}

/// Query parameters of the list routes (all optional, parsed by hand for clear errors).
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    offset: Option<String>,
    limit: Option<String>,
    changed_since: Option<String>,
    external_ref: Option<String>,
    level: Option<String>,
    since: Option<String>,
}

fn number(value: Option<&String>, field: &str, default: usize) -> ApiResult<usize> {
    match value {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "validation_failed",
                format!("{field} `{v}` is not a number"),
                Some(field),
            )
        }),
    }
}

fn paginate<T: Clone>(items: Vec<&T>, q: &ListQuery) -> ApiResult<Page<T>> {
    let offset = number(q.offset.as_ref(), "offset", 0)?;
    let limit = number(q.limit.as_ref(), "limit", 100)?.clamp(1, MAX_LIMIT);
    let end = (offset + limit).min(items.len());
    let page = items.get(offset..end).unwrap_or_default();
    Ok(Page {
        items: page.iter().map(|x| (*x).clone()).collect(),
        next_offset: (end < items.len()).then_some(end),
    })
}

async fn cycle_status(State(shared): State<Shared>) -> impl IntoResponse {
    Json(lock(&shared).cycle.clone())
}

async fn list_styles(
    State(shared): State<Shared>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let since = match &q.changed_since {
        None => None,
        Some(t) => Some(OffsetDateTime::parse(t, &Rfc3339).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "validation_failed",
                format!("changed_since `{t}`: {e}"),
                Some("changed_since"),
            )
        })?),
    };
    let s = lock(&shared);
    let items = s
        .styles
        .iter()
        .filter(|st| since.is_none_or(|t| st.updated_at > t))
        .collect();
    Ok(Json(paginate(items, &q)?).into_response())
}

async fn ats_snapshot(
    State(shared): State<Shared>,
    Path(cycle_id): Path<String>,
) -> ApiResult<Response> {
    let s = lock(&shared);
    let snap = cycle_id
        .parse::<u64>()
        .ok()
        .and_then(|id| s.snapshots.iter().find(|x| x.cycle_id == id));
    match snap {
        Some(snap) => Ok(Json(snap).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "no ATS snapshot for cycle {cycle_id} (only the last {} are kept)",
                s.snapshot_retention
            ),
            None,
        )),
    }
}

async fn create_order(State(shared): State<Shared>, body: Bytes) -> ApiResult<Response> {
    let req: SalesOrderRequest = parse(&body)?;
    let order = lock(&shared).create_order(req, OffsetDateTime::now_utc())?;
    faults::hang_after_commit(&shared).await;
    Ok((StatusCode::CREATED, Json(order)).into_response())
}

async fn find_orders(
    State(shared): State<Shared>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let s = lock(&shared);
    let items = match &q.external_ref {
        Some(r) => s.orders_with_ref(r).collect(),
        None => s.orders.iter().map(|o| &o.order).collect(),
    };
    Ok(Json(paginate(items, &q)?).into_response())
}

async fn get_order(
    State(shared): State<Shared>,
    Path(number): Path<String>,
) -> ApiResult<Response> {
    let s = lock(&shared);
    let idx = s
        .order_index(&number)
        .ok_or_else(|| Refusal::NotFound(format!("order {number}")))?;
    Ok(Json(&s.orders[idx].order).into_response())
}

async fn revise_order(
    State(shared): State<Shared>,
    Path(number): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let req: SalesOrderRevision = parse(&body)?;
    let order =
        lock(&shared).revise_order(&number, req.revision, req.order, OffsetDateTime::now_utc())?;
    faults::hang_after_revision(&shared).await;
    Ok(Json(order).into_response())
}

async fn list_shipments(
    State(shared): State<Shared>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let since = number(q.since.as_ref(), "since", 0)?;
    let limit = number(q.limit.as_ref(), "limit", 100)?.clamp(1, MAX_LIMIT);
    let s = lock(&shared);
    let start = since.min(s.shipments.len());
    let end = (start + limit).min(s.shipments.len());
    Ok(Json(ShipmentPage {
        items: s.shipments[start..end].to_vec(),
        // A cursor past the end (another ERP instance) stays put rather than going back.
        next_cursor: end.max(since).to_string(),
        has_more: end < s.shipments.len(),
    })
    .into_response())
}

async fn create_memo(State(shared): State<Shared>, body: Bytes) -> ApiResult<Response> {
    let req: CreditMemoRequest = parse(&body)?;
    let memo = lock(&shared).create_memo(req)?;
    faults::hang_after_commit(&shared).await;
    Ok((StatusCode::CREATED, Json(memo)).into_response())
}

async fn find_memos(
    State(shared): State<Shared>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let s = lock(&shared);
    let items = s
        .memos
        .iter()
        .filter(|m| q.external_ref.as_ref().is_none_or(|r| &m.external_ref == r))
        .collect();
    Ok(Json(paginate(items, &q)?).into_response())
}

async fn get_memo(State(shared): State<Shared>, Path(number): Path<String>) -> ApiResult<Response> {
    let s = lock(&shared);
    let memo = s
        .memos
        .iter()
        .find(|m| m.memo_number == number)
        .ok_or_else(|| Refusal::NotFound(format!("credit memo {number}")))?;
    Ok(Json(memo).into_response())
}

async fn list_customers(
    State(shared): State<Shared>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let s = lock(&shared);
    Ok(Json(paginate(s.customers.iter().collect(), &q)?).into_response())
}

async fn list_price_levels(
    State(shared): State<Shared>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let s = lock(&shared);
    let items = s
        .price_levels
        .iter()
        .filter(|p| q.level.as_ref().is_none_or(|l| &p.level == l))
        .collect();
    Ok(Json(paginate(items, &q)?).into_response())
}

async fn run_cycle(State(shared): State<Shared>) -> impl IntoResponse {
    let mut s = lock(&shared);
    let period = s.cycle_period;
    cycles::run_cycle(&mut s, OffsetDateTime::now_utc(), period);
    Json(s.cycle.clone())
}

/// Body of `POST /sandbox/orders/{number}/ship`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShipBody {
    carrier: String,
    tracking: String,
    /// Lines to ship; everything still open when absent.
    #[serde(default)]
    lines: Option<Vec<ShipmentLine>>,
}

async fn ship_order(
    State(shared): State<Shared>,
    Path(number): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let b: ShipBody = parse(&body)?;
    let shipment = lock(&shared).ship(
        &number,
        &b.carrier,
        &b.tracking,
        b.lines,
        OffsetDateTime::now_utc(),
    )?;
    Ok((StatusCode::CREATED, Json(shipment)).into_response())
}

/// Body of `POST /sandbox/orders/{number}/edit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    line_no: u32,
    #[serde(default)]
    qty: Option<i64>,
    #[serde(default)]
    unit_price: Option<Cents>,
}

async fn edit_order(
    State(shared): State<Shared>,
    Path(number): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let b: EditBody = parse(&body)?;
    let order = lock(&shared).edit_order_line(
        &number,
        b.line_no,
        b.qty,
        b.unit_price,
        OffsetDateTime::now_utc(),
    )?;
    Ok(Json(order).into_response())
}

async fn cancel_order(
    State(shared): State<Shared>,
    Path(number): Path<String>,
) -> ApiResult<Response> {
    let order = lock(&shared).cancel_order(&number, OffsetDateTime::now_utc())?;
    Ok(Json(order).into_response())
}

async fn set_faults(State(shared): State<Shared>, body: Bytes) -> ApiResult<Response> {
    let f: Faults = parse(&body)?;
    lock(&shared).faults = f.clone();
    Ok(Json(f).into_response())
}

async fn get_faults(State(shared): State<Shared>) -> impl IntoResponse {
    Json(lock(&shared).faults.clone())
}

async fn clear_faults(State(shared): State<Shared>) -> impl IntoResponse {
    lock(&shared).faults = Faults::default();
    StatusCode::NO_CONTENT
}

async fn set_quota(State(shared): State<Shared>, body: Bytes) -> ApiResult<Response> {
    let quota: Quota = parse(&body)?;
    lock(&shared).quota = Some(QuotaWindow::new(quota));
    Ok(Json(quota).into_response())
}

async fn get_quota(State(shared): State<Shared>) -> impl IntoResponse {
    let s = lock(&shared);
    Json(serde_json::json!({
        "quota": s.quota.as_ref().map(QuotaWindow::quota),
        "rate_limited": s.rate_limited,
    }))
}

async fn clear_quota(State(shared): State<Shared>) -> impl IntoResponse {
    lock(&shared).quota = None;
    StatusCode::NO_CONTENT
}

async fn get_creates(State(shared): State<Shared>) -> impl IntoResponse {
    Json(lock(&shared).creates.entries().to_vec())
}

async fn clear_creates(State(shared): State<Shared>) -> impl IntoResponse {
    lock(&shared).creates.clear();
    StatusCode::NO_CONTENT
}

/// Body of `POST /sandbox/work-orders`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkOrderBody {
    warehouse: String,
    sku: String,
    qty: i64,
    #[serde(default)]
    cycles: Option<u32>,
}

async fn add_work_order(State(shared): State<Shared>, body: Bytes) -> ApiResult<Response> {
    let b: WorkOrderBody = parse(&body)?;
    lock(&shared).add_work_order(&b.warehouse, &b.sku, b.qty, b.cycles)?;
    Ok(StatusCode::CREATED.into_response())
}

/// Body of `POST /sandbox/inventory/adjust`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustBody {
    warehouse: String,
    sku: String,
    qoh_delta: i64,
}

async fn adjust_inventory(State(shared): State<Shared>, body: Bytes) -> ApiResult<Response> {
    let b: AdjustBody = parse(&body)?;
    lock(&shared).adjust_on_hand(&b.warehouse, &b.sku, b.qoh_delta)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Body of `POST /sandbox/styles/{style}/retail`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetailBody {
    retail: Cents,
}

async fn set_retail(
    State(shared): State<Shared>,
    Path(style): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let b: RetailBody = parse(&body)?;
    let mut s = lock(&shared);
    let st = s
        .styles
        .iter_mut()
        .find(|x| x.style == style)
        .ok_or_else(|| Refusal::NotFound(format!("style {style}")))?;
    st.prices.retail = b.retail;
    st.updated_at = OffsetDateTime::now_utc();
    Ok(Json(st.clone()).into_response())
}
