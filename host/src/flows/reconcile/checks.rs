//! The three reconciliation checks.

use std::collections::{BTreeMap, HashMap, HashSet};

use selvedge_bluecherry::BlueCherryError;
use selvedge_store::{OrderRecord, OrderState, Page};

use super::{
    MissingFrom, OrderDrift, ReconcileSettings, ReconciliationReport, SkuMissing, StockDrift,
};
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
    let (erp_value, erp_qty) = match ctx.erp.get_sales_order(number).await {
        Ok(so) => (
            so.merchandise_total.0,
            so.lines.iter().map(|l| l.qty).sum::<i64>(),
        ),
        // The ERP lost or deleted the order: everything drifted.
        Err(BlueCherryError::NotFound(_)) => (0, 0),
        Err(e) => return Err(e.into()),
    };
    let mut storefront_qty = None;
    let expected = match rec.erp_snapshot {
        Some(s) => (s.value_minor, s.qty),
        None => match storefront_order(ctx, rec).await? {
            Some((value, qty)) => {
                storefront_qty = Some(qty);
                (value, qty)
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
    let value_off = (erp_value - expected.0).abs() > settings.value_tolerance_cents;
    if value_off || erp_qty != expected.1 {
        report.order_drift.push(OrderDrift {
            storefront_order_id: id.clone(),
            erp_order_no: number.to_string(),
            expected_value_cents: expected.0,
            erp_value_cents: erp_value,
            expected_qty: expected.1,
            erp_qty,
            storefront_qty,
            owner: ctx.owners.owner(ExceptionKind::DriftOrder).to_string(),
        });
    }
    Ok(true)
}

/// A BigCommerce order's merchandise value (ex tax, cents) and units; `None` elsewhere.
async fn storefront_order(
    ctx: &ClientServices,
    rec: &OrderRecord,
) -> Result<Option<(i64, i64)>, FlowError> {
    let totals = ctx
        .storefront
        .orders()?
        .totals(&rec.key.storefront_order_id)
        .await?;
    Ok(totals.map(|t| (t.value_minor, t.qty)))
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
    let owner = ctx.owners.owner(ExceptionKind::DriftStock).to_string();
    let mut checked = HashSet::with_capacity(pushed.len());
    for p in pushed {
        checked.insert(stock_subject(&p.sku, &p.location));
        let now = shown.get(&(p.sku.clone(), p.location.clone())).copied();
        let off = now.is_none_or(|q| (q - p.qty).abs() > settings.stock_tolerance);
        if off {
            report.stock_drift.push(StockDrift {
                sku: p.sku,
                location: p.location,
                expected: p.qty,
                storefront: now,
                owner: owner.clone(),
            });
        }
    }
    Ok(Some(checked))
}

/// Exception subject of a stock drift: `sku@location`.
pub(super) fn stock_subject(sku: &str, location: &str) -> String {
    format!("{sku}@{location}")
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
    let owner = ctx.owners.owner(ExceptionKind::SkuMissing).to_string();
    let mut checked = erp.len();
    for (key, sku) in &erp {
        if !view.skus.contains_key(key) {
            report.sku_missing.push(SkuMissing {
                sku: sku.clone(),
                missing_from: MissingFrom::Storefront,
                owner: owner.clone(),
            });
        }
    }
    for (key, sku) in &view.skus {
        if !erp.contains_key(key) {
            checked += 1;
            report.sku_missing.push(SkuMissing {
                sku: sku.clone(),
                missing_from: MissingFrom::Erp,
                owner: owner.clone(),
            });
        }
    }
    report.skus_checked = checked as u64;
    Ok(())
}
