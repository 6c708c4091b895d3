//! The three reconciliation checks.

use std::collections::{BTreeMap, HashMap, HashSet};

use selvedge_bigcommerce::model::InventoryQuery;
use selvedge_bluecherry::BlueCherryError;
use selvedge_store::{OrderRecord, OrderState, Page};

use super::{
    MissingFrom, OrderDrift, ReconcileSettings, ReconciliationReport, SkuMissing, StockDrift,
};
use crate::flows::{ClientServices, ExceptionKind, FlowError, StorefrontClient};

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
    let StorefrontClient::BigCommerce(bc) = &ctx.storefront else {
        return Ok(None);
    };
    let Ok(order_id) = rec.key.storefront_order_id.parse::<i64>() else {
        return Ok(None);
    };
    let lines = match bc.order_products(order_id).await {
        Ok(lines) => lines,
        Err(selvedge_bigcommerce::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let value = lines
        .iter()
        .map(|l| l.price_ex_tax.cents() * l.quantity)
        .sum();
    let qty = lines.iter().map(|l| l.quantity).sum();
    Ok(Some((value, qty)))
}

pub(super) async fn storefront_view(
    ctx: &ClientServices,
    report: &mut ReconciliationReport,
) -> Result<StorefrontView, FlowError> {
    match &ctx.storefront {
        StorefrontClient::BigCommerce(bc) => {
            let items = bc.inventory_items(&InventoryQuery::default()).await?;
            let mut stock = HashMap::new();
            let mut skus = BTreeMap::new();
            for item in items {
                if item.identity.sku.is_empty() {
                    continue;
                }
                for l in &item.locations {
                    stock.insert(
                        (item.identity.sku.clone(), l.location_id.to_string()),
                        l.total_inventory_onhand,
                    );
                }
                skus.insert(item.identity.sku.to_lowercase(), item.identity.sku);
            }
            Ok(StorefrontView {
                stock: Some(stock),
                skus,
            })
        }
        StorefrontClient::Sparklayer(_) => {
            report.notes.push(
                "Sparklayer offers no stock read: stock drift not checked; its SKUs are those bound by the catalog flow"
                    .into(),
            );
            let skus = ctx
                .store
                .list_bindings(&ctx.client, "sparklayer")
                .await?
                .into_iter()
                .map(|b| (b.storefront_sku.to_lowercase(), b.storefront_sku))
                .collect();
            Ok(StorefrontView { stock: None, skus })
        }
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
