//! `GET /metrics`: refreshes the state gauges from the store and the connectors, then renders
//! every metric. Gauges are read at scrape time so they are right even for work done by
//! another process on the same store.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use selvedge_store::ExceptionState;
use time::OffsetDateTime;

use crate::http::{AdminState, HttpError};
use crate::jobs::kinds::order_kind;

/// `GET /metrics`.
pub async fn scrape(State(state): State<AdminState>) -> Result<Response, HttpError> {
    // Without our recorder the numbers would be wrong: say so instead (503).
    if crate::metrics::handle().is_none() {
        return Err(HttpError::Unavailable {
            message: "metrics recorder not installed",
            internal: "another metrics recorder was installed first".into(),
        });
    }
    if let Err(err) = refresh(&state).await {
        tracing::warn!(%err, "metrics: cannot read the store");
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render().unwrap_or_default(),
    )
        .into_response())
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
