//! Fixture cases: input JSON -> expected JSON, run against a plugin under production limits.
//!
//! One case per `*.json` file in a folder:
//! `{ "description", "call": "compute-ats" | "map-orders" | "map-styles" | "map-refunds" |
//! "map-prices", "config": { "rules": {..}, "mappings": {..} }, "input": .., "expected": .. }`.
//! `expected` may be `{ "error": "text" }` when the call must fail with a message containing it.
//! `compute-ats` cases are written row by row (see [`AtsCaseInput`]) for readability.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bindings::rules::inventory;
use crate::calls::CallReport;
use crate::context::ClientContext;
use crate::error::PluginError;
use crate::limits::PluginLimits;
use crate::runtime::PluginVersion;

/// Which rule a case calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallKind {
    ComputeAts,
    MapOrders,
    MapStyles,
    MapRefunds,
    MapPrices,
}

/// One fixture case as written on disk.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureCase {
    #[serde(default)]
    pub description: String,
    pub call: CallKind,
    /// Overrides on top of the client's config for this case.
    #[serde(default)]
    pub config: Option<ClientContext>,
    pub input: Value,
    pub expected: Value,
}

/// A `compute-ats` input, row by row, with names instead of indices.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AtsCaseInput {
    #[serde(default)]
    pub cycle_latency_minutes: u32,
    pub rows: Vec<AtsCaseRow>,
}

/// One SKU-location row of an ATS case. Buckets default to 0.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AtsCaseRow {
    pub sku: String,
    pub location: String,
    pub category: String,
    pub season: String,
    pub on_hand: i32,
    pub picked: i32,
    pub open_orders: i32,
    pub ship_to_wip: i32,
    pub open_work_orders: i32,
    pub in_transit: i32,
    pub weekly_sales: u32,
    pub sku_buffer: Option<i32>,
}

/// One expected (or actual) ATS row.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AtsCaseResult {
    pub ats: i32,
    pub buffer: i32,
    pub reasons: Vec<String>,
}

const REASON_NAMES: [&str; 11] = [
    "on-hand",
    "picked",
    "open-orders",
    "work-orders",
    "in-transit",
    "fixed-buffer",
    "percent-buffer",
    "sku-buffer",
    "clamped",
    "fast-mover",
    "latency-buffer",
];

/// Reason bits as names, in bit order.
pub fn reason_names(bits: u16) -> Vec<String> {
    REASON_NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, n)| n.to_string())
        .collect()
}

fn intern(list: &mut Vec<String>, name: &str) -> u16 {
    if let Some(i) = list.iter().position(|s| s == name) {
        return i as u16;
    }
    list.push(name.to_string());
    (list.len() - 1) as u16
}

impl AtsCaseInput {
    /// Columns for the plugin call.
    pub fn to_columns(&self) -> (inventory::StockContext, inventory::StockRows) {
        let mut ctx = inventory::StockContext {
            locations: vec![],
            categories: vec![],
            seasons: vec![],
            cycle_latency_minutes: self.cycle_latency_minutes,
        };
        let mut rows = inventory::StockRows {
            location: vec![],
            category: vec![],
            season: vec![],
            on_hand: vec![],
            picked: vec![],
            open_orders: vec![],
            ship_to_wip: vec![],
            open_work_orders: vec![],
            in_transit: vec![],
            weekly_sales: vec![],
            sku_buffer: vec![],
        };
        for r in &self.rows {
            rows.location.push(intern(&mut ctx.locations, &r.location));
            rows.category.push(intern(&mut ctx.categories, &r.category));
            rows.season.push(intern(&mut ctx.seasons, &r.season));
            rows.on_hand.push(r.on_hand);
            rows.picked.push(r.picked);
            rows.open_orders.push(r.open_orders);
            rows.ship_to_wip.push(r.ship_to_wip);
            rows.open_work_orders.push(r.open_work_orders);
            rows.in_transit.push(r.in_transit);
            rows.weekly_sales.push(r.weekly_sales);
            rows.sku_buffer.push(r.sku_buffer.unwrap_or(-1));
        }
        (ctx, rows)
    }
}

/// A fixture folder or file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read fixtures folder {0}: {1}")]
    Dir(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Case(PathBuf, String),
    #[error("no fixture cases (*.json) in {0}")]
    Empty(PathBuf),
}

/// The outcome of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub description: String,
    pub call: CallKind,
    pub passed: bool,
    /// Unified diff (expected -> actual) when the output differs.
    pub diff: Option<String>,
    /// The plugin error, when the call failed.
    pub error: Option<String>,
    pub report: Option<CallReport>,
    /// The actual output, when the call succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
}

/// Reads every `*.json` case in `dir`, sorted by file name.
pub fn load_dir(dir: &Path) -> Result<Vec<(String, FixtureCase)>, FixtureError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FixtureError::Dir(dir.to_path_buf(), e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(FixtureError::Empty(dir.to_path_buf()));
    }
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| FixtureError::Case(path.clone(), e.to_string()))?;
            let case: FixtureCase = serde_json::from_str(&text).map_err(|e| {
                FixtureError::Case(path.clone(), format!("not a fixture case: {e}"))
            })?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            Ok((name, case))
        })
        .collect()
}

/// The folder's shared config (`context.toml`: `[rules]` and `[mappings.<table>]`), if present.
pub fn load_context(dir: &Path) -> Result<Option<ClientContext>, FixtureError> {
    let path = dir.join("context.toml");
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| FixtureError::Case(path.clone(), e.to_string()))?;
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| FixtureError::Case(path.clone(), format!("not a fixture context: {e}")))
}

/// Runs every case in `dir` on top of `context` and the folder's `context.toml`.
pub fn run_dir(
    plugin: &PluginVersion,
    context: &Arc<ClientContext>,
    limits: &PluginLimits,
    dir: &Path,
) -> Result<Vec<CaseResult>, FixtureError> {
    let context = match load_context(dir)? {
        Some(folder) => Arc::new(context.overlay(&folder)),
        None => context.clone(),
    };
    let context = &context;
    Ok(load_dir(dir)?
        .into_iter()
        .map(|(name, case)| run_case(plugin, context, limits, &name, &case))
        .collect())
}

/// Runs one case and compares its output with `expected`.
pub fn run_case(
    plugin: &PluginVersion,
    base: &Arc<ClientContext>,
    limits: &PluginLimits,
    name: &str,
    case: &FixtureCase,
) -> CaseResult {
    let context = match &case.config {
        Some(overrides) => Arc::new(base.overlay(overrides)),
        None => base.clone(),
    };
    let mut result = CaseResult {
        name: name.to_string(),
        description: case.description.clone(),
        call: case.call,
        passed: false,
        diff: None,
        error: None,
        report: None,
        actual: None,
    };
    let actual = match invoke(plugin, &context, limits, case) {
        Ok((value, report)) => {
            result.report = Some(report);
            Ok(value)
        }
        Err(e) => Err(e),
    };
    match (actual, case.expected.get("error").and_then(Value::as_str)) {
        (Err(message), Some(want)) => {
            result.passed = message.contains(want);
            if !result.passed {
                result.diff = Some(format!(
                    "expected an error containing {want:?}, got: {message}"
                ));
            }
            result.error = Some(message);
        }
        (Err(message), None) => result.error = Some(message),
        (Ok(value), Some(want)) => {
            result.diff = Some(format!(
                "expected an error containing {want:?}, got output: {value}"
            ));
            result.actual = Some(value);
        }
        (Ok(value), None) => {
            result.passed = value == case.expected;
            if !result.passed {
                result.diff = Some(diff(&case.expected, &value));
            }
            result.actual = Some(value);
        }
    }
    result
}

fn invoke(
    plugin: &PluginVersion,
    context: &Arc<ClientContext>,
    limits: &PluginLimits,
    case: &FixtureCase,
) -> Result<(Value, CallReport), String> {
    fn parse<T: serde::de::DeserializeOwned>(input: &Value) -> Result<T, String> {
        serde_json::from_value(input.clone())
            .map_err(|e| format!("fixture input does not fit the call: {e}"))
    }
    fn out<T: Serialize>(
        called: Result<crate::Called<T>, PluginError>,
    ) -> Result<(Value, CallReport), String> {
        let called = called.map_err(|e| e.to_string())?;
        let value = serde_json::to_value(&called.output).map_err(|e| e.to_string())?;
        Ok((value, called.report))
    }
    match case.call {
        CallKind::ComputeAts => {
            let input: AtsCaseInput = parse(&case.input)?;
            let (ctx, rows) = input.to_columns();
            let called = plugin
                .compute_ats(context, limits, &ctx, &rows)
                .map_err(|e| e.to_string())?;
            let rows: Vec<AtsCaseResult> = (0..called.output.ats.len())
                .map(|i| AtsCaseResult {
                    ats: called.output.ats[i],
                    buffer: called.output.buffer[i],
                    reasons: reason_names(called.output.reason[i]),
                })
                .collect();
            let value = serde_json::to_value(rows).map_err(|e| e.to_string())?;
            Ok((value, called.report))
        }
        CallKind::MapOrders => {
            out(plugin.map_orders(context, limits, &parse::<Vec<_>>(&case.input)?))
        }
        CallKind::MapStyles => {
            out(plugin.map_styles(context, limits, &parse::<Vec<_>>(&case.input)?))
        }
        CallKind::MapRefunds => {
            out(plugin.map_refunds(context, limits, &parse::<Vec<_>>(&case.input)?))
        }
        CallKind::MapPrices => {
            out(plugin.map_prices(context, limits, &parse::<Vec<_>>(&case.input)?))
        }
    }
}

/// A readable line diff of two JSON values (expected -> actual).
pub fn diff(expected: &Value, actual: &Value) -> String {
    let e = serde_json::to_string_pretty(expected).unwrap_or_default();
    let a = serde_json::to_string_pretty(actual).unwrap_or_default();
    similar::TextDiff::from_lines(&e, &a)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// Rewrites each case of `dir` that did not pass with its actual output (or error) as
/// `expected`, for review in the diff (`BLESS=1`); returns the names of the cases written.
pub fn bless(dir: &Path, results: &[CaseResult]) -> Result<Vec<String>, FixtureError> {
    let mut written = Vec::new();
    for r in results.iter().filter(|r| !r.passed) {
        let path = dir.join(format!("{}.json", r.name));
        let actual = match (&r.actual, &r.error) {
            (Some(value), _) => value.clone(),
            (None, Some(err)) => serde_json::json!({ "error": err }),
            (None, None) => continue,
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| FixtureError::Case(path.clone(), e.to_string()))?;
        let mut case: Value = serde_json::from_str(&text)
            .map_err(|e| FixtureError::Case(path.clone(), e.to_string()))?;
        case["expected"] = actual;
        let pretty = serde_json::to_string_pretty(&case)
            .map_err(|e| FixtureError::Case(path.clone(), e.to_string()))?;
        std::fs::write(&path, pretty + "\n")
            .map_err(|e| FixtureError::Case(path.clone(), e.to_string()))?;
        written.push(r.name.clone());
    }
    Ok(written)
}
