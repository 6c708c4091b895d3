//! Recording live plugin calls: each call's input (arguments and the config the plugin could
//! read) is stored with the decisions made from it, in the same write, and every decision
//! names its call. Replay and shadow runs read them back.

use std::collections::HashMap;
use std::sync::Arc;

use selvedge_runtime::{CallReport, RecordedInput};
use selvedge_store::{Decision, PluginCall, Store, StoreError};
use time::OffsetDateTime;

/// The calls behind a set of decisions, each encoded once however many decisions it made.
#[derive(Default)]
pub struct CallRecorder {
    calls: Vec<PluginCall>,
    /// Recorded input (by address: reports of one call share it) -> call id.
    ids: HashMap<usize, String>,
}

impl CallRecorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the call behind `report` (once) and returns its id; `None` when the report
    /// carries no input (a fixture run) or it cannot be encoded (logged: the decisions are
    /// still stored, only replay of them is lost).
    pub fn call(
        &mut self,
        client: &str,
        flow: &str,
        report: &CallReport,
        labels: impl FnOnce() -> Vec<String>,
    ) -> Option<String> {
        let recorded = report.recorded.as_ref()?;
        let key = Arc::as_ptr(recorded) as usize;
        if let Some(id) = self.ids.get(&key) {
            return Some(id.clone());
        }
        let text = match recorded.to_text() {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!(client, flow, error = %e, "plugin call not recorded");
                return None;
            }
        };
        let id = RecordedInput::call_id(&report.version, &text);
        self.calls.push(PluginCall {
            id: id.clone(),
            client: client.to_string(),
            flow: flow.to_string(),
            call: kind_name(recorded),
            plugin_id: report.plugin.clone(),
            plugin_version: report.version.clone(),
            input: text,
            labels: labels(),
            created_at: OffsetDateTime::now_utc(),
        });
        self.ids.insert(key, id.clone());
        Some(id)
    }

    /// `decision`, naming the call behind `report`.
    pub fn stamp(&mut self, report: &CallReport, mut decision: Decision) -> Decision {
        let (client, flow) = (decision.client.clone(), decision.flow.clone());
        decision.call_id = self.call(&client, &flow, report, Vec::new);
        decision
    }

    /// Stores the calls and `decisions` in one write.
    pub async fn save(self, store: &dyn Store, decisions: &[Decision]) -> Result<(), StoreError> {
        store.record_call_decisions(&self.calls, decisions).await
    }
}

/// Stores the call behind `report` and `decisions` made from it (each naming it), in one write.
pub async fn record_call(
    store: &dyn Store,
    client: &str,
    flow: &str,
    report: &CallReport,
    labels: impl FnOnce() -> Vec<String>,
    mut decisions: Vec<Decision>,
) -> Result<(), StoreError> {
    let mut recorder = CallRecorder::new();
    let id = recorder.call(client, flow, report, labels);
    for d in &mut decisions {
        d.call_id = id.clone();
    }
    recorder.save(store, &decisions).await
}

/// The stored name of a call's rule (`compute-ats`, `map-orders`, ...).
pub fn kind_name(recorded: &RecordedInput) -> String {
    serde_json::to_value(recorded.input.kind())
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
