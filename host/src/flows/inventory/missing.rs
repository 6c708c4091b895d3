//! SKU-locations that vanished from the ERP's ATS snapshot.
//!
//! A snapshot is the ERP's full state, so a SKU-location the storefront sells (last pushed
//! with stock) that the new snapshot no longer lists (style discontinued, warehouse dropped,
//! row missing from the report) has no stock the ERP stands behind: left alone, the storefront
//! keeps selling it and oversells. Such a SKU-location is pushed as 0 through the normal push
//! path, and each of its SKUs gets a `sku_missing` exception.
//!
//! A report that lost a large share of the assortment at once is more likely broken than
//! true: when more than `inventory.missing_max_percent` of the SKU-locations on sale vanish,
//! none is zeroed and one `drift_stock` exception (subject [`PARTIAL_SUBJECT`]) asks a person
//! to look; the cycle's real changes are still pushed.
//!
//! Only SKU-locations at a currently mapped location whose storefront SKU is still bound are
//! considered: others cannot be addressed (or were unmapped on purpose).
//!
//! The exceptions' details have a shape of their own ([`SkuMissingDetails`],
//! [`PartialDetails`]): a later complete snapshot resolves them by it ([`super::resolve`]),
//! and never the reconcile flow's `sku_missing` / `drift_stock` findings.

use std::collections::{BTreeMap, HashMap, HashSet};

use selvedge_store::{PushedStock, SkuBinding};
use serde::{Deserialize, Serialize};

use super::plan::{Change, Source};
use super::rows::{self, Built};
use crate::flows::{ClientServices, ExceptionKind, FlowError};
use crate::storefronts::LocationTarget;

/// Subject of the one exception raised for a snapshot that looks partial.
pub const PARTIAL_SUBJECT: &str = "ats-snapshot";

/// Vanished SKU-locations shown in the partial-snapshot exception's details.
const SAMPLE: usize = 50;

/// The decision-trace reason of a SKU-location zeroed because it vanished.
pub(crate) fn reason(cycle_id: u64) -> String {
    format!("missing from ATS snapshot {cycle_id}")
}

/// Details of a `sku_missing` exception this flow raised (subject: the ERP SKU).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SkuMissingDetails {
    pub erp_sku: String,
    pub storefront_sku: Option<String>,
    /// The cycle whose ATS snapshot no longer listed the SKU.
    pub missing_from_ats_snapshot: u64,
    /// Where it was zeroed.
    pub locations: Vec<ZeroedAt>,
}

/// A location a vanished SKU was set to 0 at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ZeroedAt {
    /// As written in `inventory.locations`.
    pub location: String,
    pub previous: i64,
    pub pushed: i64,
}

/// Details of the `drift_stock` exception (subject [`PARTIAL_SUBJECT`]) of a snapshot that
/// looks partial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PartialDetails {
    pub cycle_id: u64,
    pub missing: usize,
    pub on_sale: usize,
    pub percent: f64,
    pub max_percent: u8,
    /// The first vanished SKU-locations.
    pub sample: Vec<PartialSample>,
}

/// One vanished SKU-location of a partial snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PartialSample {
    pub erp_sku: String,
    pub storefront_sku: String,
    pub location: String,
    pub previous: i64,
}

/// A SKU-location on sale before this cycle that the snapshot no longer lists.
#[derive(Debug, Clone)]
pub(crate) struct Vanished {
    pub storefront_sku: String,
    pub erp_sku: String,
    pub variant_id: Option<i64>,
    /// Index into the location targets.
    pub location: usize,
    /// What the storefront was last told.
    pub previous: i64,
}

/// What the snapshot lost, and what to do about it.
#[derive(Debug, Default)]
pub(crate) struct Missing {
    /// SKU-locations at mapped locations with a bound SKU, last pushed with stock > 0.
    pub live: usize,
    /// Those the snapshot no longer lists.
    pub vanished: Vec<Vanished>,
    /// More than the allowed share vanished: nothing is zeroed.
    pub partial: bool,
    /// The allowed share, in percent.
    pub max_percent: u8,
}

impl Missing {
    /// The pushes of 0 for the vanished SKU-locations (none when the snapshot looks partial).
    pub fn changes(&self) -> Vec<Change> {
        if self.partial {
            return Vec::new();
        }
        self.vanished
            .iter()
            .map(|v| Change {
                sku: v.storefront_sku.clone(),
                location: v.location,
                variant_id: v.variant_id,
                qty: 0,
                previous: Some(v.previous),
                source: Source::MissingFromSnapshot {
                    erp_sku: v.erp_sku.clone(),
                },
            })
            .collect()
    }

    /// Share of the live SKU-locations that vanished, in percent.
    pub fn percent(&self) -> f64 {
        if self.live == 0 {
            return 0.0;
        }
        self.vanished.len() as f64 * 100.0 / self.live as f64
    }
}

/// Compares what was last pushed with the SKU-locations the snapshot produced.
pub(crate) fn find(
    built: &Built,
    targets: &[LocationTarget],
    bindings: &[SkuBinding],
    pushed: &[PushedStock],
    max_percent: u8,
) -> Missing {
    let present: HashSet<(&str, usize)> = built
        .meta
        .iter()
        .map(|m| (m.storefront_sku.as_str(), m.location))
        .collect();
    let target_of: HashMap<&str, usize> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.key.as_str(), i))
        .collect();
    // Bindings come ordered by ERP SKU: when several ERP SKUs share a storefront SKU, the
    // first one names it (as `binding_by_storefront_sku` does).
    let mut bound: HashMap<&str, &SkuBinding> = HashMap::new();
    for b in bindings.iter().filter(|b| rows::carries_stock(b)) {
        bound.entry(b.storefront_sku.as_str()).or_insert(b);
    }
    let mut out = Missing {
        max_percent,
        ..Missing::default()
    };
    for p in pushed.iter().filter(|p| p.qty > 0) {
        let (Some(&location), Some(binding)) = (
            target_of.get(p.location.as_str()),
            bound.get(p.sku.as_str()),
        ) else {
            continue;
        };
        out.live += 1;
        if !present.contains(&(p.sku.as_str(), location)) {
            out.vanished.push(Vanished {
                storefront_sku: p.sku.clone(),
                erp_sku: binding.erp_sku.clone(),
                variant_id: binding.variant_id.as_deref().and_then(|v| v.parse().ok()),
                location,
                previous: p.qty,
            });
        }
    }
    // Integer form of `vanished / live > max_percent / 100`.
    out.partial = out.vanished.len() as u64 * 100 > out.live as u64 * u64::from(max_percent);
    out
}

/// Raises the exceptions: one `sku_missing` per zeroed ERP SKU, or one `drift_stock` for a
/// snapshot that looks partial. Called before the push, so a push that fails half-way and is
/// retried next run (when the zeroed rows no longer count as on sale) still left a trace.
pub(crate) async fn raise(
    ctx: &ClientServices,
    missing: &Missing,
    targets: &[LocationTarget],
    cycle_id: u64,
) -> Result<(), FlowError> {
    if missing.vanished.is_empty() {
        return Ok(());
    }
    if missing.partial {
        return raise_partial(ctx, missing, targets, cycle_id).await;
    }
    let mut by_sku: BTreeMap<&str, Vec<&Vanished>> = BTreeMap::new();
    for v in &missing.vanished {
        by_sku.entry(v.erp_sku.as_str()).or_default().push(v);
    }
    for (erp_sku, gone) in by_sku {
        let at: Vec<String> = gone
            .iter()
            .map(|v| format!("{} (was {})", targets[v.location].configured, v.previous))
            .collect();
        let summary = format!(
            "{erp_sku} is {}: storefront stock set to 0 at {}",
            reason(cycle_id),
            at.join(", ")
        );
        let details = SkuMissingDetails {
            erp_sku: erp_sku.to_string(),
            storefront_sku: gone.first().map(|v| v.storefront_sku.clone()),
            missing_from_ats_snapshot: cycle_id,
            locations: gone
                .iter()
                .map(|v| ZeroedAt {
                    location: targets[v.location].configured.clone(),
                    previous: v.previous,
                    pushed: 0,
                })
                .collect(),
        };
        let details = serde_json::to_value(&details).unwrap_or_default();
        ctx.raise(ExceptionKind::SkuMissing, erp_sku, summary, details)
            .await?;
    }
    Ok(())
}

async fn raise_partial(
    ctx: &ClientServices,
    missing: &Missing,
    targets: &[LocationTarget],
    cycle_id: u64,
) -> Result<(), FlowError> {
    let summary = format!(
        "ATS snapshot {cycle_id} looks partial: {} of {} SKU-locations on sale ({:.0}%) are missing, \
         above inventory.missing_max_percent ({}%); none was set to 0 and the storefront still \
         sells their last stock. Check the Blue Cherry cycle; if the drop is real, raise the \
         limit for one run",
        missing.vanished.len(),
        missing.live,
        missing.percent(),
        missing.max_percent
    );
    let details = PartialDetails {
        cycle_id,
        missing: missing.vanished.len(),
        on_sale: missing.live,
        percent: missing.percent(),
        max_percent: missing.max_percent,
        sample: missing
            .vanished
            .iter()
            .take(SAMPLE)
            .map(|v| PartialSample {
                erp_sku: v.erp_sku.clone(),
                storefront_sku: v.storefront_sku.clone(),
                location: targets[v.location].configured.clone(),
                previous: v.previous,
            })
            .collect(),
    };
    let details = serde_json::to_value(&details).unwrap_or_default();
    ctx.raise(ExceptionKind::DriftStock, PARTIAL_SUBJECT, summary, details)
        .await
}
