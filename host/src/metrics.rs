//! Prometheus metrics through the `metrics` facade: the process-wide recorder and its text
//! rendering. A leaf module: it knows nothing of the HTTP edge or the app; the `/metrics`
//! route (`http::routes::metrics`) refreshes the state gauges and calls [`render`].
//!
//! Counters of events are incremented where they happen, with the names below.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Refused admin requests (no or wrong bearer token).
pub const ADMIN_UNAUTHORIZED: &str = "selvedge_admin_unauthorized_total";
/// Refused webhook deliveries (no or wrong secret, unknown client), by `client`.
pub const WEBHOOK_UNAUTHORIZED: &str = "selvedge_webhook_unauthorized_total";

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

/// Every metric in the Prometheus text format, or `None` without a recorder.
pub fn render() -> Option<String> {
    handle().map(PrometheusHandle::render)
}
