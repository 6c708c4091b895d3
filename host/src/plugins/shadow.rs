//! Shadow runs: a candidate build tried beside the live one on the client's recorded calls
//! (the last cycles, order batches, refunds, styles and price runs), before it goes live.
//!
//! Both builds answer the same recorded input under the same recorded config, so every
//! difference is the candidate's doing. Nothing is written anywhere but the run's report:
//! no storefront, ERP, ledger or decision sees a shadow call.

use std::sync::Arc;

use selvedge_runtime::compare::{CallComparison, Changed, compare};
use selvedge_runtime::registry::ClientPlugin;
use selvedge_runtime::{PluginError, PluginLimits, PluginVersion, RecordedInput, run_pooled};
use selvedge_store::{NewShadowRun, PluginCall, Store, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

use super::{NewBuild, digest_of};
use crate::progress::{NoProgress, Progress};

/// Rules a shadow run covers, in report order.
pub const RULES: [&str; 5] = [
    "compute-ats",
    "map-orders",
    "map-refunds",
    "map-styles",
    "map-prices",
];

/// Changed subjects shown per rule.
const EXAMPLES: usize = 10;

/// Why a shadow run could not run.
#[derive(Debug, thiserror::Error)]
pub enum ShadowError {
    #[error("client {0}: no plugin is live to compare with")]
    NoLivePlugin(String),
    #[error(transparent)]
    Load(#[from] PluginError),
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    #[error("client {0}: no plugin call is recorded yet: run the flows first")]
    NothingRecorded(String),
}

/// One changed subject, with the call it was found in.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    pub call_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    #[serde(flatten)]
    pub changed: Changed,
}

/// What a shadow run found for one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    pub call: String,
    /// Recorded calls run.
    pub calls: usize,
    /// Subjects compared over those calls (stock rows, orders, ...).
    pub subjects: usize,
    /// Subjects whose decision changed.
    pub changed: usize,
    /// Sum, lowest and highest candidate-minus-live ATS over changed stock rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ats_delta: Option<AtsDelta>,
    /// The first changed subjects.
    pub examples: Vec<Example>,
}

/// How far a candidate moves stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AtsDelta {
    pub total: i64,
    pub min: i64,
    pub max: i64,
}

/// A shadow run's report.
#[derive(Debug, Clone, Serialize)]
pub struct ShadowReport {
    /// The stored run (accept it by this id).
    pub run_id: i64,
    pub client: String,
    pub live: String,
    pub candidate: String,
    pub calls: u64,
    pub changed: u64,
    /// Nothing changed: the candidate may go live under `require_shadow`.
    pub clean: bool,
    pub rules: Vec<RuleReport>,
}

/// Runs `candidate` beside the live version of `slot`'s client on up to `per_rule` recent
/// recorded calls of each rule, stores the report and returns it.
pub async fn shadow_run(
    store: &Arc<dyn Store>,
    slot: &Arc<ClientPlugin>,
    candidate: NewBuild,
    per_rule: u32,
) -> Result<ShadowReport, ShadowError> {
    shadow_run_with(store, slot, candidate, per_rule, &NoProgress).await
}

/// [`shadow_run`], telling `progress` how many of the recorded calls are replayed.
pub async fn shadow_run_with(
    store: &Arc<dyn Store>,
    slot: &Arc<ClientPlugin>,
    candidate: NewBuild,
    per_rule: u32,
    progress: &dyn Progress,
) -> Result<ShadowReport, ShadowError> {
    let client = slot.client().to_owned();
    let live = slot
        .current()
        .ok_or_else(|| ShadowError::NoLivePlugin(client.clone()))?;
    let runtime = live.runtime().clone();
    let digest = digest_of(&candidate.bytes);
    let load_client = client.clone();
    let candidate = tokio::task::spawn_blocking(move || {
        runtime.load_bytes(
            &load_client,
            &candidate.name,
            &candidate.bytes,
            candidate.label,
        )
    })
    .await
    .map_err(|e| PluginError {
        client: client.clone(),
        plugin: "-".into(),
        version: "-".into(),
        kind: selvedge_runtime::PluginErrorKind::Instantiate(format!("loader task: {e}")),
    })??;
    let limits = slot.limits();
    // Listed first, so the replay knows how many calls it has ahead of it.
    let mut listed = Vec::with_capacity(RULES.len());
    for rule in RULES {
        let recent = store
            .recent_plugin_calls(&client, rule, per_rule.max(1))
            .await?;
        listed.push((rule, recent));
    }
    let to_replay = listed.iter().map(|(_, recent)| recent.len() as u64).sum();
    progress.start("shadow run", "calls", Some(to_replay));
    let mut rules = Vec::new();
    for (rule, recent) in listed {
        let mut report = RuleReport {
            call: rule.to_owned(),
            calls: 0,
            subjects: 0,
            changed: 0,
            ats_delta: None,
            examples: Vec::new(),
        };
        for summary in recent {
            let replayed = replay(store, &client, &summary.id, &live, &candidate, limits).await?;
            progress.advance(1);
            if let Some((call, diff)) = replayed {
                add(&mut report, &call.id, call.created_at, diff);
            }
        }
        rules.push(report);
    }
    progress.finish();
    let calls: u64 = rules.iter().map(|r| r.calls as u64).sum();
    if calls == 0 {
        return Err(ShadowError::NothingRecorded(client));
    }
    let changed: u64 = rules.iter().map(|r| r.changed as u64).sum();
    let mut report = ShadowReport {
        run_id: 0,
        client: client.clone(),
        live: live.version.clone(),
        candidate: digest.clone(),
        calls,
        changed,
        clean: changed == 0,
        rules,
    };
    report.run_id = store
        .record_shadow_run(&NewShadowRun {
            client,
            candidate: digest,
            live: live.version.clone(),
            calls,
            changed,
            report: serde_json::to_value(&report).unwrap_or_default(),
            created_at: OffsetDateTime::now_utc(),
        })
        .await?;
    Ok(report)
}

/// One recorded call answered by both builds; `None` when it cannot be replayed.
async fn replay(
    store: &Arc<dyn Store>,
    client: &str,
    id: &str,
    live: &Arc<PluginVersion>,
    candidate: &Arc<PluginVersion>,
    limits: PluginLimits,
) -> Result<Option<(PluginCall, CallComparison)>, ShadowError> {
    let Some(call) = store.plugin_call(client, id).await? else {
        return Ok(None); // purged since it was listed
    };
    let input = match RecordedInput::from_text(client, &call.input) {
        Ok(input) => Arc::new(input),
        Err(e) => {
            tracing::warn!(%client, call = %call.id, error = %e, "recorded call skipped");
            return Ok(None);
        }
    };
    let live_answer = run_pooled(live.clone(), input.clone(), limits)
        .await
        .map(|c| c.output)
        .map_err(|e| e.kind.to_string());
    let candidate_answer = run_pooled(candidate.clone(), input.clone(), limits)
        .await
        .map(|c| c.output)
        .map_err(|e| e.kind.to_string());
    let diff = compare(&input.input, &call.labels, &live_answer, &candidate_answer);
    Ok(Some((call, diff)))
}

fn add(report: &mut RuleReport, call_id: &str, at: OffsetDateTime, diff: CallComparison) {
    report.calls += 1;
    report.subjects += diff.subjects;
    report.changed += diff.changed.len();
    for changed in diff.changed {
        if let Some(d) = changed.ats_delta {
            let delta = report.ats_delta.get_or_insert(AtsDelta {
                total: 0,
                min: d,
                max: d,
            });
            delta.total += d;
            delta.min = delta.min.min(d);
            delta.max = delta.max.max(d);
        }
        if report.examples.len() < EXAMPLES {
            report.examples.push(Example {
                call_id: call_id.to_owned(),
                recorded_at: at,
                changed,
            });
        }
    }
}
