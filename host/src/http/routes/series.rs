//! Time series for the charts: inventory lag from the sync runs, injection success from the
//! order ledger.

use axum::Json;
use axum::extract::{Path, Query, State};
use selvedge_store::{OrderState, Page, RunStatus};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::IntoParams;

use super::{cut_page, page_limit, tags};
use crate::http::model::{InjectionPoint, LagPoint, Series, rfc3339};
use crate::http::{AdminState, HttpError};

/// How many runs to chart.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SeriesQuery {
    /// Latest runs per series (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Only runs older than this one (`inventory_lag_next` of the previous page).
    pub before: Option<i64>,
}

/// Inventory lag (per inventory run) and injection success (per time bucket), oldest first.
#[utoipa::path(get, path = "/api/clients/{client}/series", tag = tags::CLIENTS,
    params(("client" = String, Path, description = "client id"), SeriesQuery),
    responses((status = 200, body = Series), (status = 404)), security(("bearer" = [])))]
pub async fn series(
    State(state): State<AdminState>,
    Path(client): Path<String>,
    Query(q): Query<SeriesQuery>,
) -> Result<Json<Series>, HttpError> {
    let c = state.client(&client)?;
    let limit = page_limit(q.limit, 100);
    let mut inventory = state
        .store
        .runs_before(&c.id, "inventory", q.before, limit + 1)
        .await?;
    let inventory_lag_next = cut_page(&mut inventory, limit, |r| r.id);
    inventory.reverse();
    Ok(Json(Series {
        client: c.id.clone(),
        inventory_lag: inventory
            .iter()
            .filter(|r| r.status != RunStatus::Running)
            .map(|r| LagPoint {
                at: rfc3339(r.started_at),
                latency_secs: r.measurements.cycle_latency().map(|d| d.as_seconds_f64()),
                status: r.status.as_str().into(),
            })
            .collect(),
        inventory_lag_next,
        injection: injection(&state, &c.id).await?,
    }))
}

/// Buckets of the injection chart.
const BUCKETS: i64 = 24;
/// Orders read for the chart (the latest that reached a final state).
const ORDERS: u32 = 20_000;

/// Injection success per time bucket, from the order ledger: the webhook worker injects
/// between scheduled orders runs, so the runs' own counts would miss most orders. An order
/// counts in the bucket of its last change: injected, or failed (exception state).
async fn injection(state: &AdminState, client: &str) -> Result<Vec<InjectionPoint>, HttpError> {
    let page = Page {
        limit: ORDERS,
        offset: 0,
    };
    let mut done: Vec<(OffsetDateTime, bool)> = Vec::new();
    for (s, ok) in [(OrderState::Injected, true), (OrderState::Exception, false)] {
        done.extend(
            state
                .store
                .orders_in_state(client, s, page)
                .await?
                .iter()
                .map(|o| (o.updated_at, ok)),
        );
    }
    let Some(first) = done.iter().map(|(at, _)| *at).min() else {
        return Ok(Vec::new());
    };
    let now = OffsetDateTime::now_utc();
    // Whole minutes per bucket, so a young host still gets a readable chart.
    let width = ((now - first).whole_seconds() / BUCKETS).max(60);
    let mut points: Vec<InjectionPoint> = (0..BUCKETS)
        .map(|i| InjectionPoint {
            at: rfc3339(first + time::Duration::seconds(i * width)),
            attempted: 0,
            injected: 0,
            success_rate: None,
        })
        .collect();
    for (at, ok) in done {
        let i = usize::try_from(((at - first).whole_seconds() / width).clamp(0, BUCKETS - 1))
            .unwrap_or(0);
        if let Some(p) = points.get_mut(i) {
            p.attempted += 1;
            p.injected += u64::from(ok);
        }
    }
    let last_used = points.iter().rposition(|p| p.attempted > 0).unwrap_or(0);
    points.truncate(last_used + 1);
    for p in &mut points {
        p.success_rate = (p.attempted > 0).then(|| p.injected as f64 / p.attempted as f64);
    }
    Ok(points)
}
