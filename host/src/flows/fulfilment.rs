//! Fulfilment: Blue Cherry shipment confirmations -> BigCommerce shipments with tracking
//! (partial shipments too) and Sparklayer purchase packages and status.
//!
//! Idempotent end to end: shipments are read after the saved cursor, which is saved only
//! after the page is applied; applying is an upsert by ERP shipment number (kept in the
//! BigCommerce shipment's `comments` and the Sparklayer package's `external_id`), so a
//! shipment seen twice at a boundary or after a crash is not sent twice.

use std::collections::BTreeMap;

use selvedge_bigcommerce::model::{NewShipment, ShipmentItem};
use selvedge_bluecherry::model::Shipment;
use selvedge_sparklayer::model::{LookupBy, Package, PackageLine};
use selvedge_store::OrderKey;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::flows::{ClientServices, ExceptionKind, FlowError, FlowReport, StorefrontClient};

/// Cursor of the ERP shipment feed (opaque, exclusive).
pub const SHIPMENTS_CURSOR: &str = "bluecherry.shipments.cursor";

/// `[fulfilment]` in a client's config.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FulfilmentSettings {
    /// Shipments read per page.
    pub page_size: usize,
    /// External reference prefix of this client's sales orders (`BC-`, `SL-`: as the plugin
    /// builds them). Shipments of other references belong to someone else and are skipped.
    pub external_ref_prefix: Option<String>,
}

impl Default for FulfilmentSettings {
    fn default() -> Self {
        Self {
            page_size: 100,
            external_ref_prefix: None,
        }
    }
}

/// Why one shipment was not applied.
enum Skip {
    /// Not this client's order.
    NotOurs,
    /// Cannot be applied as is: an exception, and the feed moves on.
    Failed(String),
}

/// Applies every shipment after the cursor.
pub async fn run(
    ctx: &ClientServices,
    settings: &FulfilmentSettings,
) -> Result<FlowReport, FlowError> {
    let mut cursor = ctx.store.cursor(&ctx.client, SHIPMENTS_CURSOR).await?;
    let (mut read, mut applied, mut failed) = (0u64, 0u64, 0u64);
    loop {
        let page = ctx
            .erp
            .list_shipments(cursor.as_deref(), settings.page_size.max(1))
            .await?;
        for shipment in &page.items {
            read += 1;
            // A transient failure stops the run here: the cursor stays before this page.
            match apply(ctx, settings, shipment).await? {
                Ok(()) => applied += 1,
                Err(Skip::NotOurs) => {}
                Err(Skip::Failed(reason)) => {
                    failed += 1;
                    let details = json!({ "shipment": shipment, "reason": reason });
                    ctx.raise(
                        ExceptionKind::ShipmentFailed,
                        &shipment.shipment_number,
                        reason,
                        details,
                    )
                    .await?;
                }
            }
        }
        if !page.next_cursor.is_empty() && cursor.as_deref() != Some(page.next_cursor.as_str()) {
            let now = OffsetDateTime::now_utc();
            ctx.store
                .set_cursor(&ctx.client, SHIPMENTS_CURSOR, &page.next_cursor, now)
                .await?;
            cursor = Some(page.next_cursor.clone());
        }
        if !page.has_more || page.items.is_empty() {
            break;
        }
    }
    let mut report = FlowReport {
        summary: format!("{read} shipments read, {applied} applied, {failed} failed"),
        ..FlowReport::default()
    };
    report.measurements.records = Some(read);
    report.measurements.changed = Some(applied);
    Ok(report)
}

fn default_prefix(ctx: &ClientServices) -> &'static str {
    match ctx.storefront {
        StorefrontClient::BigCommerce(_) => "BC-",
        StorefrontClient::Sparklayer(_) => "SL-",
    }
}

async fn apply(
    ctx: &ClientServices,
    settings: &FulfilmentSettings,
    shipment: &Shipment,
) -> Result<Result<(), Skip>, FlowError> {
    // By the reference stored in the ledger; orders sent before references were the host's
    // are found by the prefix their plugin used.
    let record = match ctx
        .store
        .order_by_erp_ref(&ctx.client, &shipment.external_ref)
        .await?
    {
        Some(rec) => Some(rec),
        None => {
            let prefix = settings
                .external_ref_prefix
                .as_deref()
                .unwrap_or(default_prefix(ctx));
            let Some(legacy_id) = shipment.external_ref.strip_prefix(prefix) else {
                return Ok(Err(Skip::NotOurs));
            };
            let key = OrderKey::new(&ctx.client, ctx.storefront.name(), legacy_id);
            ctx.store.order(&key).await?
        }
    };
    let ledger_id = match record {
        Some(rec) if rec.erp_order_no.as_deref() == Some(&shipment.order_number) => {
            rec.key.storefront_order_id
        }
        _ => {
            return Ok(Err(Skip::Failed(format!(
                "{} ({}) is not an order this host injected",
                shipment.order_number, shipment.external_ref
            ))));
        }
    };
    let ledger_id = ledger_id.as_str();
    // A re-synced Sparklayer edit carries `~rN`; the storefront knows the base id.
    let storefront_id = ledger_id.split('~').next().unwrap_or(ledger_id);
    match &ctx.storefront {
        StorefrontClient::BigCommerce(_) => bigcommerce(ctx, storefront_id, shipment).await,
        StorefrontClient::Sparklayer(_) => sparklayer(ctx, storefront_id, shipment).await,
    }
}

fn marker(shipment: &Shipment) -> String {
    format!("Blue Cherry shipment {}", shipment.shipment_number)
}

/// Provider codes BigCommerce knows; other carriers go as a custom carrier name.
fn provider(carrier: &str) -> Option<String> {
    let c = carrier.to_ascii_lowercase();
    ["ups", "fedex", "usps", "dhl", "auspost", "royalmail"]
        .contains(&c.as_str())
        .then_some(c)
}

async fn bigcommerce(
    ctx: &ClientServices,
    order_id: &str,
    shipment: &Shipment,
) -> Result<Result<(), Skip>, FlowError> {
    let StorefrontClient::BigCommerce(bc) = &ctx.storefront else {
        return Ok(Err(Skip::NotOurs));
    };
    let Ok(id) = order_id.parse::<i64>() else {
        return Ok(Err(Skip::Failed(format!(
            "`{order_id}` is not a BigCommerce order id"
        ))));
    };
    let (products, existing) = tokio::try_join!(bc.order_products(id), bc.list_shipments(id))?;
    let marker = marker(shipment);
    // Units still open per order line, reduced by what this shipment takes.
    let mut open: Vec<(i64, i64, String, i64)> = products
        .iter()
        .map(|p| {
            (
                p.id,
                p.order_address_id,
                p.sku.clone(),
                p.quantity - p.quantity_shipped,
            )
        })
        .collect();
    let mut by_address: BTreeMap<i64, Vec<ShipmentItem>> = BTreeMap::new();
    for line in &shipment.lines {
        let mut left = line.qty;
        for (product_id, address_id, sku, remaining) in open.iter_mut() {
            if left == 0 || *remaining <= 0 || !sku.eq_ignore_ascii_case(&line.sku) {
                continue;
            }
            let take = left.min(*remaining);
            *remaining -= take;
            left -= take;
            by_address
                .entry(*address_id)
                .or_default()
                .push(ShipmentItem {
                    order_product_id: *product_id,
                    product_id: None,
                    quantity: take,
                });
        }
        if left > 0 && !existing.iter().any(|s| s.comments == marker) {
            return Ok(Err(Skip::Failed(format!(
                "{} units of {} shipped but not open on BigCommerce order {id}",
                left, line.sku
            ))));
        }
    }
    for (address_id, items) in by_address {
        let done = existing
            .iter()
            .any(|s| s.comments == marker && s.order_address_id == address_id);
        if done {
            continue;
        }
        let tracking: String = shipment.tracking.chars().take(50).collect();
        let provider = provider(&shipment.carrier);
        bc.create_shipment(
            id,
            &NewShipment {
                order_address_id: address_id,
                tracking_number: tracking,
                tracking_carrier: provider.is_none().then(|| shipment.carrier.clone()),
                shipping_provider: provider,
                shipping_method: None,
                comments: Some(marker.clone()),
                items,
            },
        )
        .await?;
    }
    Ok(Ok(()))
}

async fn sparklayer(
    ctx: &ClientServices,
    purchase_id: &str,
    shipment: &Shipment,
) -> Result<Result<(), Skip>, FlowError> {
    let StorefrontClient::Sparklayer(sl) = &ctx.storefront else {
        return Ok(Err(Skip::NotOurs));
    };
    let Some(mut purchase) = sl.get_purchase(LookupBy::Sparklayer, purchase_id).await? else {
        return Ok(Err(Skip::Failed(format!(
            "purchase {purchase_id} not found in Sparklayer"
        ))));
    };
    let number = json!(shipment.shipment_number);
    if purchase
        .packages
        .iter()
        .any(|p| p.extra.get("external_id") == Some(&number))
    {
        return Ok(Ok(()));
    }
    let mut extra = serde_json::Map::new();
    extra.insert("external_id".into(), number);
    purchase.packages.push(Package {
        package_type: "shipment".into(),
        status: Some("shipped".into()),
        carrier: Some(shipment.carrier.clone()),
        tracking_number: Some(shipment.tracking.clone()),
        tracking_url: None,
        lines: shipment
            .lines
            .iter()
            .map(|l| PackageLine {
                sku: l.sku.clone(),
                quantity: u32::try_from(l.qty).unwrap_or(0),
            })
            .collect(),
        extra,
    });
    let mut shipped: BTreeMap<String, u64> = BTreeMap::new();
    for p in purchase
        .packages
        .iter()
        .filter(|p| p.package_type == "shipment")
    {
        for l in &p.lines {
            *shipped.entry(l.sku.to_ascii_uppercase()).or_default() += u64::from(l.quantity);
        }
    }
    let complete = purchase.line_items.iter().all(|l| {
        shipped
            .get(&l.sku.to_ascii_uppercase())
            .copied()
            .unwrap_or(0)
            >= u64::from(l.quantity)
    });
    purchase.status = Some(if complete { "shipped" } else { "processing" }.into());
    purchase
        .purchase_identifiers
        .set(LookupBy::Internal, shipment.order_number.clone());
    // Full replace: the purchase was read just above, so nothing is dropped.
    sl.replace_purchase(LookupBy::Sparklayer, purchase_id, &purchase)
        .await?;
    Ok(Ok(()))
}
