//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and the
//! `ToSchema` types in [`super::model`]: the code is the only source of truth.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::model::*;
use super::routes::{
    access, clients, control, exceptions, jobs, lifecycle, overview, plugins, resync, series, why,
};

/// The admin API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Selvedge admin API", description = "Sync health, exceptions, drift, plugins and decision traces of every client. Every path needs `Authorization: Bearer <token>`."),
    paths(
        clients::list, clients::health, clients::drift, series::series,
        control::pause, control::resume, control::run_now, resync::resync, resync::show, jobs::list, jobs::cancel, overview::overview,
        exceptions::list, exceptions::summary, exceptions::show, exceptions::retry, exceptions::resolve,
        plugins::show, plugins::swap, plugins::rollback,
        lifecycle::shadow, lifecycle::accept, lifecycle::replay_recorded, lifecycle::replay_with,
        why::sku, why::order, why::buffers, access::whoami, access::audit,
    ),
    components(schemas(
        ClientSummary, SyncHealth, WebhookAuth, FlowStatus, RunView, ExceptionView, ExceptionDetail, HistoryView,
        OwnerGroup, KindCount, ActionRequest, RetryOutcome, DriftReport, PluginView, PluginPeriod,
        PluginEvent, SwapRequest, SwapResult, WhyReport, DecisionView, OrderView, TransitionView,
        Series, LagPoint, InjectionPoint, lifecycle::AcceptRequest, lifecycle::Accepted,
        why::BuffersReport, overview::OverviewPage, crate::overview::OverviewRow, crate::overview::ClientState, control::FlowRequest, control::ControlOutcome, resync::ResyncRequest, resync::ResyncAnswer, jobs::JobView, jobs::JobsPage, jobs::CancelRequest, PausedView, access::AuditView, access::AuditPage, crate::http::access::Caller, crate::http::access::Role, crate::flows::inventory::advice::BufferAdvice, crate::flows::inventory::advice::RuleAdvice,
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the paths refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/openapi.json` (open: the description holds no data).
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
