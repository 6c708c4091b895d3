//! Prometheus metrics through the `metrics` facade.
//!
//! Counters of events (admin actions, refused requests, alerts sent) are incremented where
//! they happen. Gauges of state (open exceptions, last successful run, cycle latency, queue
//! depth, connector calls) are read from the store and the connectors at scrape time, so the
//! numbers are right even for work done by another process on the same store.
//!
//! The recorder is installed once per process; `/metrics` renders it.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use selvedge_store::ExceptionState;
use time::OffsetDateTime;

use crate::flows::orders::order_kind;
use crate::http::AdminState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder (first call only); `None` if another recorder was
/// installed first (then `/metrics` says so instead of serving wrong numbers).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(err) => {
                    tracing::warn!(%err, "metrics recorder already installed; /metrics is disabled");
                    None
                }
            }
        })
        .as_ref()
}

/// `GET /metrics`: refreshes the state gauges, then renders every metric.
pub async fn scrape(State(state): State<AdminState>) -> Response {
    let Some(handle) = handle() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed\n",
        )
            .into_response();
    };
    if let Err(err) = refresh(&state).await {
        tracing::warn!(%err, "metrics: cannot read the store");
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

async fn refresh(state: &AdminState) -> Result<(), selvedge_store::StoreError> {
    let now = OffsetDateTime::now_utc();
    // writes / commits = how many writes each fsync made durable (group commit).
    if let Some(stats) = state.store.write_stats() {
        metrics::counter!("selvedge_store_writes_total").absolute(stats.writes);
        metrics::counter!("selvedge_store_commits_total").absolute(stats.commits);
    }
    // Every job kind's queue, from one read (kinds carry their client).
    for k in state.store.job_kind_stats(now).await? {
        let labels = [("client", k.client.clone()), ("kind", k.kind.clone())];
        metrics::gauge!("selvedge_jobs_queued", &labels).set(k.queued as f64);
        metrics::gauge!("selvedge_jobs_running", &labels).set(k.running as f64);
        metrics::gauge!("selvedge_jobs_oldest_due_seconds", &labels).set(k.oldest_due_seconds);
        metrics::gauge!("selvedge_jobs_max_attempts_used", &labels)
            .set(f64::from(k.max_attempts_used));
    }
    for client in state.clients.iter() {
        let id = client.id.clone();
        for s in [ExceptionState::Open, ExceptionState::Retrying] {
            for c in state.store.exception_counts(Some(&id), s).await? {
                metrics::gauge!("selvedge_exceptions", "client" => id.clone(), "owner" => c.owner, "kind" => c.kind, "state" => s.as_str())
                    .set(c.count as f64);
            }
        }
        for flow in &client.flows {
            if let Some(run) = state.store.last_successful_run(&id, flow.as_str()).await?
                && let Some(finished) = run.finished_at
            {
                metrics::gauge!("selvedge_last_success_age_seconds", "client" => id.clone(), "flow" => flow.as_str())
                    .set((now - finished).as_seconds_f64());
                if let Some(latency) = run.measurements.cycle_latency() {
                    metrics::gauge!("selvedge_cycle_latency_seconds", "client" => id.clone(), "flow" => flow.as_str())
                        .set(latency.as_seconds_f64());
                }
            }
        }
        let depth = state.store.queue_depth(&id, &order_kind(&id)).await?;
        metrics::gauge!("selvedge_order_queue_depth", "client" => id.clone()).set(depth as f64);
        let (calls, throttled, retries) = client.stats.read();
        let storefront = client.storefront;
        metrics::counter!("selvedge_storefront_calls_total", "client" => id.clone(), "storefront" => storefront).absolute(calls);
        metrics::counter!("selvedge_storefront_throttled_total", "client" => id.clone(), "storefront" => storefront).absolute(throttled);
        metrics::counter!("selvedge_storefront_retries_total", "client" => id.clone(), "storefront" => storefront).absolute(retries);
    }
    Ok(())
}
