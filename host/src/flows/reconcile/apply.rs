//! The three reconciliation checks' I/O: both sides read (the ERP, the ledger, the storefront
//! through its ports), compared by [`super::plan`], and every finding raised.

use std::collections::{BTreeMap, HashMap, HashSet};

use selvedge_bluecherry::BlueCherryError;
use selvedge_store::{OrderRecord, OrderState, Page};

use super::plan::{self, OrderSides, Totals, stock_subject};
use super::{MissingFrom, ReconcileSettings, ReconciliationReport};
use crate::flows::{ClientServices, ExceptionKind, FlowError};
use crate::storefronts::{Capability, PortError};

/// Ledger rows read per page.
const PAGE: u32 = 500;

/// What the storefront holds, read once for the stock and SKU checks.
pub(super) struct StorefrontView {
    /// (SKU, location) -> on hand; `None` when the storefront offers no stock read.
    stock: Option<HashMap<(String, String), i64>>,
    /// Lower-cased SKU -> SKU as the storefront spells it.
    skus: BTreeMap<String, String>,
}

/// Compares injected orders with the ERP; returns the storefront order ids it compared.
pub(super) async fn orders(
    ctx: &ClientServices,
    settings: &ReconcileSettings,
    report: &mut ReconciliationReport,
) -> Result<HashSet<String>, FlowError> {
    let mut checked = HashSet::new();
    let mut offset = 0;
    while offset < settings.max_orders {
        let limit = PAGE.min(settings.max_orders - offset);
        let page = ctx
            .store
            .orders_in_state(&ctx.client, OrderState::Injected, Page { limit, offset })
            .await?;
        let n = page.len() as u32;
        for rec in &page {
            if check_order(ctx, settings, rec, report).await? {
                checked.insert(rec.key.storefront_order_id.clone());
            }
        }
        if n < limit {
            break;
        }
        offset += n;
    }
    Ok(checked)
}

/// Whether the order could be compared.
async fn check_order(
    ctx: &ClientServices,
    settings: &ReconcileSettings,
    rec: &OrderRecord,
    report: &mut ReconciliationReport,
) -> Result<bool, FlowError> {
    let id = &rec.key.storefront_order_id;
    let Some(number) = rec.erp_order_no.as_deref() else {
        return Ok(false);
    };
    let erp = match ctx.erp.get_sales_order(number).await {
        Ok(so) => Totals {
            value_minor: so.merchandise_total.0,
            qty: so.lines.iter().map(|l| l.qty).sum::<i64>(),
        },
        // The ERP lost or deleted the order: everything drifted.
        Err(BlueCherryError::NotFound(_)) => Totals {
            value_minor: 0,
            qty: 0,
        },
        Err(e) => return Err(e.into()),
    };
    let mut storefront_qty = None;
    let expected = match rec.erp_snapshot {
        Some(s) => Totals {
            value_minor: s.value_minor,
            qty: s.qty,
        },
        None => match storefront_order(ctx, rec).await? {
            Some(totals) => {
                storefront_qty = Some(totals.qty);
                totals
            }
            None => {
                report.notes.push(format!(
                    "order {id}: no snapshot and the storefront order cannot be read"
                ));
                return Ok(false);
            }
        },
    };
    report.orders_checked += 1;
    let sides = OrderSides {
        storefront_order_id: id,
        erp_order_no: number,
        expected,
        erp,
        storefront_qty,
    };
    let owner = ctx.owners.owner(ExceptionKind::DriftOrder);
    report.order_drift.extend(plan::order_drift(
        &sides,
        settings.value_tolerance_cents,
        owner,
    ));
    Ok(true)
}

/// A BigCommerce order's merchandise value (ex tax, cents) and units; `None` elsewhere.
async fn storefront_order(
    ctx: &ClientServices,
    rec: &OrderRecord,
) -> Result<Option<Totals>, FlowError> {
    let totals = ctx
        .storefront
        .orders()?
        .totals(&rec.key.storefront_order_id)
        .await?;
    Ok(totals.map(|t| Totals {
        value_minor: t.value_minor,
        qty: t.qty,
    }))
}

pub(super) async fn storefront_view(
    ctx: &ClientServices,
    report: &mut ReconciliationReport,
) -> Result<StorefrontView, FlowError> {
    match ctx.storefront.stock()?.read_stock().await {
        Ok(snapshot) => Ok(StorefrontView {
            stock: Some(snapshot.on_hand),
            skus: snapshot.skus,
        }),
        Err(PortError::NotSupported {
            capability: Capability::StockRead,
            storefront,
        }) => {
            report.notes.push(format!(
                "{storefront} offers no stock read: stock drift not checked; its SKUs are those bound by the catalog flow"
            ));
            let skus = ctx
                .store
                .list_bindings(&ctx.client, storefront)
                .await?
                .into_iter()
                .map(|b| (b.storefront_sku.to_lowercase(), b.storefront_sku))
                .collect();
            Ok(StorefrontView { stock: None, skus })
        }
        Err(e) => Err(e.into()),
    }
}

/// Compares storefront stock with the last pushed values; returns the `sku@location` keys it
/// compared, or `None` when the storefront offers no stock read (the check did not run).
pub(super) async fn stock(
    ctx: &ClientServices,
    settings: &ReconcileSettings,
    view: &StorefrontView,
    report: &mut ReconciliationReport,
) -> Result<Option<HashSet<String>>, FlowError> {
    let Some(shown) = &view.stock else {
        return Ok(None);
    };
    let pushed = ctx
        .store
        .pushed_stock(&ctx.client, ctx.storefront.name())
        .await?;
    report.stock_checked = pushed.len() as u64;
    let owner = ctx.owners.owner(ExceptionKind::DriftStock);
    let (checked, drift) = plan::stock_drift(pushed, shown, settings.stock_tolerance, owner);
    report.stock_drift.extend(drift);
    Ok(Some(checked))
}

pub(super) async fn skus(
    ctx: &ClientServices,
    view: &StorefrontView,
    report: &mut ReconciliationReport,
) -> Result<(), FlowError> {
    let erp: BTreeMap<String, String> = ctx
        .erp
        .list_styles(None)
        .await?
        .into_iter()
        .flat_map(|s| s.skus.into_iter().map(|k| (k.sku.to_lowercase(), k.sku)))
        .collect();
    let owner = ctx.owners.owner(ExceptionKind::SkuMissing);
    let (checked, missing) = plan::skus_missing(&erp, &view.skus, owner);
    report.skus_checked = checked;
    report.sku_missing.extend(missing);
    Ok(())
}

/// Raises one exception per finding of `r`.
pub(super) async fn raise_all(
    ctx: &ClientServices,
    r: &ReconciliationReport,
) -> Result<(), FlowError> {
    for d in &r.order_drift {
        let summary = format!(
            "order {} (ERP {}): ERP holds {} units / {} cents, expected {} units / {} cents",
            d.storefront_order_id,
            d.erp_order_no,
            d.erp_qty,
            d.erp_value_cents,
            d.expected_qty,
            d.expected_value_cents
        );
        let details = serde_json::to_value(d).unwrap_or_default();
        ctx.raise(
            ExceptionKind::DriftOrder,
            &d.storefront_order_id,
            summary,
            details,
        )
        .await?;
    }
    for d in &r.stock_drift {
        let shown = d
            .storefront
            .map_or_else(|| "no stock record".to_string(), |q| q.to_string());
        let summary = format!(
            "{} at location {}: storefront shows {shown}, expected {}",
            d.sku, d.location, d.expected
        );
        let details = serde_json::to_value(d).unwrap_or_default();
        ctx.raise(
            ExceptionKind::DriftStock,
            &stock_subject(&d.sku, &d.location),
            summary,
            details,
        )
        .await?;
    }
    for m in &r.sku_missing {
        let summary = match m.missing_from {
            MissingFrom::Storefront => {
                format!("{} is in Blue Cherry but not on {}", m.sku, r.storefront)
            }
            MissingFrom::Erp => format!(
                "{} is on {} but unknown to Blue Cherry",
                m.sku, r.storefront
            ),
        };
        let details = serde_json::to_value(m).unwrap_or_default();
        ctx.raise(ExceptionKind::SkuMissing, &m.sku, summary, details)
            .await?;
    }
    Ok(())
}
