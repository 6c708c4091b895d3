//! Reconciliation: the daily report of what no longer matches between Blue Cherry and the
//! storefront. Every finding becomes an exception with the owner team from config, and the
//! whole report is returned typed and serializable for the CLI and the dashboard.
//!
//! - **Order drift** (`drift_order`, finance by default): for every order the ledger shows as
//!   injected, the ERP order as it is now (`get_sales_order`: edits made inside Blue Cherry do
//!   not flow back) against what the storefront order became at injection (the ledger's ERP
//!   snapshot; the storefront order itself when there is no snapshot) and the storefront
//!   order's quantities as they are now.
//! - **Stock drift** (`drift_stock`, e-commerce): storefront stock per SKU and location
//!   against what was last computed and accepted (the last-pushed store), beyond a tolerance.
//!   Run it after an inventory run: between cycles the storefront sells stock down on its own.
//!   Sparklayer has no stock read API, so stock drift is checked on BigCommerce only.
//! - **SKU exceptions** (`sku_missing`, e-commerce): SKUs of the ERP style master that the
//!   storefront does not carry, and storefront SKUs the ERP does not know. Sparklayer has no
//!   catalog of its own: its side is the set of SKUs bound by the catalog flow.
//!
//! An open exception this flow raised whose condition a later run no longer finds is resolved
//! with a note ([`resolve`]): only for checks that ran, keys they compared, and exceptions
//! still `open`.

mod apply;
mod plan;
mod resolve;

pub use resolve::AutoResolved;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{ClientServices, FlowError, FlowOutcome, FlowReport, extra_of};

/// `[reconciliation]` in a client's config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcileSettings {
    /// Compare injected orders with the ERP.
    pub orders: bool,
    /// Compare storefront stock with the last pushed values.
    pub stock: bool,
    /// Look for SKUs on one side only.
    pub skus: bool,
    /// Most injected orders checked per run (newest changes first are not guaranteed: the
    /// ledger is read oldest change first).
    pub max_orders: u32,
    /// Units of stock difference tolerated before a SKU-location counts as drifted.
    pub stock_tolerance: i64,
    /// Order value difference tolerated, in cents (rounding of tax-inclusive prices).
    pub value_tolerance_cents: i64,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        Self {
            orders: true,
            stock: true,
            skus: true,
            max_orders: 10_000,
            stock_tolerance: 0,
            value_tolerance_cents: 0,
        }
    }
}

/// Which side a SKU is missing from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingFrom {
    /// In the ERP style master, not on the storefront.
    Storefront,
    /// On the storefront, unknown to the ERP.
    Erp,
}

/// An injected order whose ERP value or quantities no longer match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDrift {
    /// Storefront order id.
    pub storefront_order_id: String,
    /// ERP sales order number.
    pub erp_order_no: String,
    /// Value expected (at injection), in cents, excluding tax.
    pub expected_value_cents: i64,
    /// Value the ERP holds now, in cents, excluding tax.
    pub erp_value_cents: i64,
    /// Units expected (at injection).
    pub expected_qty: i64,
    /// Units the ERP holds now.
    pub erp_qty: i64,
    /// Units on the storefront order now, when it could be read.
    pub storefront_qty: Option<i64>,
    /// Owner team of the exception.
    pub owner: String,
}

/// A SKU-location whose storefront stock differs from what was last pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockDrift {
    /// Storefront SKU.
    pub sku: String,
    /// Storefront location (BigCommerce location id).
    pub location: String,
    /// Last computed and accepted value.
    pub expected: i64,
    /// What the storefront shows; `None` when it has no stock record there.
    pub storefront: Option<i64>,
    /// Owner team of the exception.
    pub owner: String,
}

/// A SKU on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuMissing {
    /// The SKU.
    pub sku: String,
    /// The side it is missing from.
    pub missing_from: MissingFrom,
    /// Owner team of the exception.
    pub owner: String,
}

/// The reconciliation report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationReport {
    /// Client.
    pub client: String,
    /// Storefront (`bigcommerce`, `sparklayer`).
    pub storefront: String,
    /// When it was produced.
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// Injected orders compared.
    pub orders_checked: u64,
    /// Orders that drifted.
    pub order_drift: Vec<OrderDrift>,
    /// SKU-locations compared.
    pub stock_checked: u64,
    /// SKU-locations that drifted.
    pub stock_drift: Vec<StockDrift>,
    /// SKUs compared (union of both sides).
    pub skus_checked: u64,
    /// SKUs on one side only.
    pub sku_missing: Vec<SkuMissing>,
    /// Checks that could not run, and why (e.g. no stock read on Sparklayer).
    pub notes: Vec<String>,
    /// Open exceptions of earlier runs whose condition this run no longer found: resolved.
    #[serde(default)]
    pub resolved: Vec<AutoResolved>,
}

impl ReconciliationReport {
    /// Number of findings (each is an exception).
    pub fn findings(&self) -> usize {
        self.order_drift.len() + self.stock_drift.len() + self.sku_missing.len()
    }
}

/// Runs the checks, raises one exception per finding, resolves the exceptions of earlier runs
/// that no longer hold, and returns the report.
pub async fn report(
    ctx: &ClientServices,
    settings: &ReconcileSettings,
) -> Result<ReconciliationReport, FlowError> {
    let mut report = ReconciliationReport {
        client: ctx.client.clone(),
        storefront: ctx.storefront.name().into(),
        generated_at: OffsetDateTime::now_utc(),
        orders_checked: 0,
        order_drift: Vec::new(),
        stock_checked: 0,
        stock_drift: Vec::new(),
        skus_checked: 0,
        sku_missing: Vec::new(),
        notes: Vec::new(),
        resolved: Vec::new(),
    };
    let mut checked = resolve::Checked::default();
    if settings.orders {
        checked.orders = Some(apply::orders(ctx, settings, &mut report).await?);
    }
    let storefront = if settings.stock || settings.skus {
        Some(apply::storefront_view(ctx, &mut report).await?)
    } else {
        None
    };
    if let Some(view) = &storefront {
        if settings.stock {
            checked.stock = apply::stock(ctx, settings, view, &mut report).await?;
        }
        if settings.skus {
            apply::skus(ctx, view, &mut report).await?;
            checked.skus = true;
        }
    }
    apply::raise_all(ctx, &report).await?;
    resolve::resolve_gone(ctx, &checked, &mut report).await?;
    Ok(report)
}

/// The flow entry point: [`report`] with its counts as measurements.
pub async fn run(
    ctx: &ClientServices,
    settings: &ReconcileSettings,
) -> Result<FlowReport, FlowError> {
    let r = report(ctx, settings).await?;
    Ok(ReconcileOutcome::of(&r).report())
}

/// What a reconciliation run found, beside the common measurements (stored with the run).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileOutcome {
    /// Orders, SKU-locations and SKUs compared.
    #[serde(skip)]
    pub checked: u64,
    /// Injected orders compared.
    #[serde(skip)]
    pub orders_checked: u64,
    /// SKU-locations compared.
    #[serde(skip)]
    pub stock_checked: u64,
    /// Orders that drifted.
    pub order_drift: u64,
    /// SKU-locations that drifted.
    pub stock_drift: u64,
    /// SKUs on one side only.
    pub sku_missing: u64,
    /// Earlier exceptions this run showed are over.
    pub exceptions_resolved: u64,
}

impl ReconcileOutcome {
    /// The counts of `r`.
    pub fn of(r: &ReconciliationReport) -> Self {
        Self {
            checked: r.orders_checked + r.stock_checked + r.skus_checked,
            orders_checked: r.orders_checked,
            stock_checked: r.stock_checked,
            order_drift: r.order_drift.len() as u64,
            stock_drift: r.stock_drift.len() as u64,
            sku_missing: r.sku_missing.len() as u64,
            exceptions_resolved: r.resolved.len() as u64,
        }
    }

    /// Every finding is an exception.
    pub fn findings(&self) -> u64 {
        self.order_drift + self.stock_drift + self.sku_missing
    }
}

impl FlowOutcome for ReconcileOutcome {
    fn summary(&self) -> String {
        format!(
            "{} orders drifted of {}, {} SKU-locations drifted of {}, {} SKUs on one side only; {} earlier exceptions resolved",
            self.order_drift,
            self.orders_checked,
            self.stock_drift,
            self.stock_checked,
            self.sku_missing,
            self.exceptions_resolved
        )
    }

    fn records(&self) -> Option<u64> {
        Some(self.checked)
    }

    fn changed(&self) -> Option<u64> {
        Some(self.findings())
    }

    fn extra(&self) -> serde_json::Map<String, serde_json::Value> {
        extra_of(self)
    }
}
