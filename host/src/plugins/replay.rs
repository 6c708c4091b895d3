//! Replay: a stored decision made again from its recorded call, by the build that made it
//! (loaded from the store by digest) or by a candidate, and shown beside the original.
//!
//! The replayed side is always a real plugin call on the recorded input and config, never
//! the stored decision read back: with the same build it must come out byte for byte the
//! same, and when it does not, the difference is what the operator needs to see.

use std::sync::Arc;

use selvedge_runtime::registry::ClientPlugin;
use selvedge_runtime::{CallOutput, PluginError, PluginVersion, RecordedInput, run_pooled};
use selvedge_store::{DecisionRecord, Store, StoreError};
use serde::Serialize;
use serde_json::{Value, json};

use super::{NewBuild, digest_of};
use crate::flows::inventory::trace::reason_names;
use crate::flows::orders::outcome::decision_json;

/// Why a decision cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("client {client}: no {flow} decision about {subject:?} is recorded")]
    NoDecision {
        client: String,
        flow: String,
        subject: String,
    },
    #[error("decision {0} was made before plugin inputs were recorded: it cannot be replayed")]
    NotRecorded(i64),
    #[error(
        "the input of decision {decision} (call {call}) is gone: recorded calls are kept \
         `retention.plugin_calls_days` days"
    )]
    InputPurged { decision: i64, call: String },
    #[error("the recorded input of call {call} cannot be read: {reason}")]
    BadInput { call: String, reason: String },
    #[error("build {0} that made the decision is not stored any more: replay it `--with` a build")]
    MissingBuild(String),
    #[error(transparent)]
    Load(#[from] PluginError),
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    #[error("replay answered no decision about {0:?}")]
    NoAnswer(String),
}

/// One side of a replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    pub plugin_version: String,
    /// What the plugin decided, in the stored decision's shape.
    pub decided: Value,
}

/// A decision and its replay, side by side.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub client: String,
    pub flow: String,
    pub subject: String,
    pub decision_id: i64,
    pub call_id: String,
    /// The stored decision.
    pub original: Side,
    /// The same call made again just now.
    pub replayed: Side,
    /// Replayed with another build than the one that decided (`--with`).
    pub with_candidate: bool,
    /// Both sides are the same, byte for byte.
    pub identical: bool,
}

/// Replays the newest `flow` decision (`orders` or `inventory`) about `subject`.
pub async fn replay(
    store: &Arc<dyn Store>,
    slot: &Arc<ClientPlugin>,
    flow: &str,
    subject: &str,
    with: Option<NewBuild>,
) -> Result<ReplayReport, ReplayError> {
    let client = slot.client().to_owned();
    let record = store
        .latest_decisions(&client, Some(flow), subject, 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ReplayError::NoDecision {
            client: client.clone(),
            flow: flow.to_owned(),
            subject: subject.to_owned(),
        })?;
    let call_id = record
        .decision
        .call_id
        .clone()
        .ok_or(ReplayError::NotRecorded(record.id))?;
    let call =
        store
            .plugin_call(&client, &call_id)
            .await?
            .ok_or_else(|| ReplayError::InputPurged {
                decision: record.id,
                call: call_id.clone(),
            })?;
    let input =
        RecordedInput::from_text(&client, &call.input).map_err(|e| ReplayError::BadInput {
            call: call_id.clone(),
            reason: e.to_string(),
        })?;
    let with_candidate = with.is_some();
    let plugin = match with {
        Some(build) => load(slot, build).await?,
        None => recorded_build(store, slot, &record.decision.plugin_version).await?,
    };
    let called = run_pooled(plugin.clone(), Arc::new(input), slot.limits()).await?;
    let (original, replayed) = match called.output {
        CallOutput::MapOrders { decisions } => {
            let d = decisions
                .iter()
                .find(|d| d.order_id == subject)
                .ok_or_else(|| ReplayError::NoAnswer(subject.to_owned()))?;
            let (reason, value) = decision_json(d);
            let stored =
                json!({ "reason": record.decision.reason, "value": record.decision.value });
            (stored, json!({ "reason": reason, "value": value }))
        }
        CallOutput::ComputeAts { ats } => {
            let rows = stock_rows(&record);
            let replayed = rows
                .iter()
                .map(|(row, warehouse, _)| match usize::try_from(*row).ok() {
                    Some(i) if i < ats.ats.len() => json!({
                        "row": row, "warehouse": warehouse, "ats": ats.ats[i],
                        "buffer": ats.buffer[i], "reasons": reason_names(ats.reason[i]),
                    }),
                    _ => json!({ "row": row, "warehouse": warehouse, "error": "no such row" }),
                })
                .collect::<Vec<_>>();
            let stored = rows.into_iter().map(|(_, _, v)| v).collect::<Vec<_>>();
            (json!(stored), json!(replayed))
        }
        _ => return Err(ReplayError::NoAnswer(subject.to_owned())),
    };
    Ok(ReplayReport {
        client,
        flow: flow.to_owned(),
        subject: subject.to_owned(),
        decision_id: record.id,
        call_id,
        identical: original == replayed,
        original: Side {
            plugin_version: record.decision.plugin_version.clone(),
            decided: original,
        },
        replayed: Side {
            plugin_version: plugin.version.clone(),
            decided: replayed,
        },
        with_candidate,
    })
}

/// The plugin's answer for each stock row behind an inventory decision, as stored:
/// `(row, warehouse, {row, warehouse, ats, buffer, reasons})`.
fn stock_rows(record: &DecisionRecord) -> Vec<(i64, Value, Value)> {
    let sources = record.decision.reason["sources"].as_array();
    sources
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let row = s["row"].as_i64()?;
            let stored = json!({
                "row": row, "warehouse": s["warehouse"], "ats": s["ats"],
                "buffer": s["buffer"], "reasons": s["reasons"],
            });
            Some((row, s["warehouse"].clone(), stored))
        })
        .collect()
}

/// The build that made a decision: the live one if it is that build, else the stored
/// component (checked against its digest).
async fn recorded_build(
    store: &Arc<dyn Store>,
    slot: &Arc<ClientPlugin>,
    version: &str,
) -> Result<Arc<PluginVersion>, ReplayError> {
    if let Some(current) = slot.current().filter(|v| v.version == version) {
        return Ok(current);
    }
    let stored = store
        .plugin_component(version)
        .await?
        .filter(|c| digest_of(&c.bytes) == version)
        .ok_or_else(|| ReplayError::MissingBuild(version.to_owned()))?;
    load(
        slot,
        NewBuild {
            name: stored.plugin,
            bytes: stored.bytes,
            label: None,
            source: stored.source,
        },
    )
    .await
}

/// Compiles (or takes from the cache) a build for the client, without installing it.
async fn load(
    slot: &Arc<ClientPlugin>,
    build: NewBuild,
) -> Result<Arc<PluginVersion>, ReplayError> {
    let runtime = slot.runtime().clone();
    let client = slot.client().to_owned();
    let loaded = tokio::task::spawn_blocking(move || {
        runtime.load_bytes(&client, &build.name, &build.bytes, build.label)
    })
    .await
    .map_err(|e| PluginError {
        client: slot.client().to_owned(),
        plugin: "-".into(),
        version: "-".into(),
        kind: selvedge_runtime::PluginErrorKind::Instantiate(format!("loader task: {e}")),
    })??;
    Ok(loaded)
}
