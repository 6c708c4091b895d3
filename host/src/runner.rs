//! The host's [`FlowRunner`]: dispatches a (client, flow) to the flow module's `run` with the
//! client's services and that flow's settings section.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::app::ClientApp;
use crate::flows::{self, FlowError, FlowKind, FlowReport};
use crate::scheduler::{BoxFuture, FlowRunner};

/// Runs the flows of every configured client.
pub struct AppFlows {
    clients: BTreeMap<String, Arc<ClientApp>>,
}

impl AppFlows {
    /// A runner for these clients.
    pub fn new(clients: &[ClientApp]) -> Self {
        Self {
            clients: clients
                .iter()
                .map(|c| (c.config.id.clone(), Arc::new(c.clone())))
                .collect(),
        }
    }
}

/// Flows whose module provides `run` in this build (all of them now; the check stays so a
/// build without a flow skips its schedules instead of failing every run).
const AVAILABLE: [FlowKind; 7] = FlowKind::ALL;

impl FlowRunner for AppFlows {
    fn supports(&self, client: &str, flow: FlowKind) -> bool {
        self.clients.contains_key(client) && AVAILABLE.contains(&flow)
    }

    fn run(
        &self,
        client: &str,
        flow: FlowKind,
    ) -> BoxFuture<'static, Result<FlowReport, FlowError>> {
        let app = self.clients.get(client).cloned();
        let client = client.to_string();
        Box::pin(async move {
            let Some(app) = app else {
                return Err(FlowError::Invalid(format!("unknown client {client}")));
            };
            let (ctx, cfg) = (&app.services, &app.config);
            match flow {
                FlowKind::Catalog => flows::catalog::run(ctx, &cfg.catalog).await,
                FlowKind::Inventory => flows::inventory::run(ctx, &cfg.inventory).await,
                FlowKind::Orders => flows::orders::run(ctx, &cfg.orders).await,
                FlowKind::B2b => flows::b2b::run(ctx, &cfg.b2b).await,
                FlowKind::Reconciliation => flows::reconcile::run(ctx, &cfg.reconciliation).await,
                FlowKind::Fulfilment => flows::fulfilment::run(ctx, &cfg.fulfilment).await,
                FlowKind::Refunds => flows::refunds::run(ctx, &cfg.refunds).await,
            }
        })
    }
}
