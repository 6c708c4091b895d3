//! "Why": the decision trace of a SKU or an order (buckets read, plugin version, buffer
//! applied, value pushed; warehouse and division chosen and why), plus its ledger state and
//! its exceptions.

use axum::Json;
use axum::extract::{Path, Query, State};
use selvedge_store::{DecisionRecord, ExceptionFilter, OrderKey, Page};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{cut_page, page_limit, tags};
use crate::flows::inventory::advice;
use crate::http::model::{
    DecisionView, ExceptionView, OrderView, TransitionView, WhyReport, rfc3339,
};
use crate::http::{AdminClient, AdminState, HttpError};

/// Days of oversells buffer advice reads.
pub const ADVICE_DAYS: u32 = 28;

/// Decisions per page by default.
const DECISIONS: u32 = 50;

/// A page of the decisions.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct DecisionsQuery {
    /// Decisions per page (default 50, at most 1000).
    pub limit: Option<u32>,
    /// Decisions older than this one (`decisions_next` of the previous page).
    pub before: Option<i64>,
}

/// Why a SKU's storefront stock (or listing) is what it is.
#[utoipa::path(get, path = "/api/clients/{client}/why/sku/{sku}", tag = tags::WHY,
    params(("client" = String, Path, description = "client id"), ("sku" = String, Path, description = "ERP SKU"), DecisionsQuery),
    responses((status = 200, body = WhyReport), (status = 404)), security(("bearer" = [])))]
pub async fn sku(
    State(state): State<AdminState>,
    Path((client, sku)): Path<(String, String)>,
    Query(q): Query<DecisionsQuery>,
) -> Result<Json<WhyReport>, HttpError> {
    let c = state.client(&client)?;
    report(&state, c, "sku", &sku, None, &q).await.map(Json)
}

/// Why an order went where it went (warehouse, division), and where it is now.
#[utoipa::path(get, path = "/api/clients/{client}/why/order/{order}", tag = tags::WHY,
    params(("client" = String, Path, description = "client id"), ("order" = String, Path, description = "storefront order id"), DecisionsQuery),
    responses((status = 200, body = WhyReport), (status = 404)), security(("bearer" = [])))]
pub async fn order(
    State(state): State<AdminState>,
    Path((client, order)): Path<(String, String)>,
    Query(q): Query<DecisionsQuery>,
) -> Result<Json<WhyReport>, HttpError> {
    let c = state.client(&client)?;
    let key = OrderKey::new(&c.id, c.storefront, &order);
    let ledger = match state.store.order(&key).await? {
        Some(record) => {
            let history = state.store.order_history(&key).await?;
            Some(OrderView {
                state: record.state.as_str().into(),
                erp_order_no: record.erp_order_no,
                attempts: record.attempts,
                last_error: record.last_error,
                history: history
                    .into_iter()
                    .map(|t| TransitionView {
                        from: t.from.map(|s| s.as_str().to_string()),
                        to: t.to.as_str().into(),
                        note: t.note,
                        at: rfc3339(t.at),
                    })
                    .collect(),
            })
        }
        None => None,
    };
    report(&state, c, "order", &order, ledger, &q)
        .await
        .map(Json)
}

async fn report(
    state: &AdminState,
    c: &AdminClient,
    kind: &str,
    subject: &str,
    order: Option<OrderView>,
    page: &DecisionsQuery,
) -> Result<WhyReport, HttpError> {
    let limit = page_limit(page.limit, DECISIONS);
    let mut decisions = state
        .store
        .decisions_before(&c.id, None, subject, page.before, limit + 1)
        .await?;
    let decisions_next = cut_page(&mut decisions, limit, |d| d.id);
    // The store filters exceptions by client; the subject is matched here (a client has few
    // exceptions per subject, and this keeps the store contract unchanged).
    let filter = ExceptionFilter {
        client: Some(c.id.clone()),
        ..ExceptionFilter::default()
    };
    let exceptions = state
        .store
        .list_exceptions(
            &filter,
            Page {
                limit: 5_000,
                offset: 0,
            },
        )
        .await?;
    let exceptions: Vec<ExceptionView> = exceptions
        .iter()
        .filter(|e| e.subject == subject)
        .map(ExceptionView::from)
        .collect();
    let buffer_advice = if kind == "sku" {
        advice::for_client(state.store.as_ref(), &c.id, Some(subject), ADVICE_DAYS).await?
    } else {
        Vec::new()
    };
    if decisions.is_empty() && order.is_none() && exceptions.is_empty() {
        return Err(HttpError::not_found(format!(
            "nothing recorded about {kind} `{subject}` for client {}",
            c.id
        )));
    }
    Ok(WhyReport {
        client: c.id.clone(),
        subject_kind: kind.into(),
        subject: subject.into(),
        decisions: decisions.iter().map(decision).collect(),
        decisions_next,
        order,
        exceptions,
        buffer_advice,
    })
}

fn decision(r: &DecisionRecord) -> DecisionView {
    let d = &r.decision;
    DecisionView {
        id: r.id,
        flow: d.flow.clone(),
        plugin_id: d.plugin_id.clone(),
        plugin_version: d.plugin_version.clone(),
        sentence: crate::explain::sentence(d),
        reason: d.reason.clone(),
        value: d.value.clone(),
        at: rfc3339(d.created_at),
    }
}

/// How far back buffer advice reads.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AdviceQuery {
    /// Days of oversells (default 28, at most 365).
    pub days: Option<u32>,
}

/// Buffer advice for a client: per SKU-location and per plugin rule.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BuffersReport {
    pub client: String,
    /// Days of oversells read.
    pub days: u32,
    /// Per plugin rule (`fast_mover`, ...): the buffer covering every SKU it sets.
    pub rules: Vec<advice::RuleAdvice>,
    /// Per SKU-location with oversells, the largest rise first.
    pub skus: Vec<advice::BufferAdvice>,
}

/// The buffers that would have prevented the oversells seen: order lines that took more of a
/// SKU-location than Blue Cherry had left since its last cycle. Advice only.
#[utoipa::path(get, path = "/api/clients/{client}/buffers", tag = tags::WHY,
    params(("client" = String, Path, description = "client id"), AdviceQuery),
    responses((status = 200, body = BuffersReport), (status = 404)), security(("bearer" = [])))]
pub async fn buffers(
    State(state): State<AdminState>,
    Path(client): Path<String>,
    Query(q): Query<AdviceQuery>,
) -> Result<Json<BuffersReport>, HttpError> {
    let c = state.client(&client)?;
    let days = q.days.unwrap_or(ADVICE_DAYS).clamp(1, 365);
    let skus = advice::for_client(state.store.as_ref(), &c.id, None, days).await?;
    Ok(Json(BuffersReport {
        client: c.id.clone(),
        days,
        rules: advice::by_rule(&skus),
        skus,
    }))
}
