//! Many clients in one host, each with its plugin: checked hot-swap, rollback, history.
//!
//! A swap compiles and type-checks the candidate, runs the client's fixtures against it, and
//! only then replaces the current version atomically. Calls in flight keep the `Arc` of the
//! version they started with, so they finish on the old one. Previous versions stay compiled
//! for instant rollback.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::bindings::rules::{catalog, inventory, orders, pricing, returns};
use crate::calls::Called;
use crate::context::ClientContext;
use crate::error::{PluginError, PluginErrorKind};
use crate::fixtures::{self, CaseResult};
use crate::limits::PluginLimits;
use crate::recorded::{CallInput, CallOutput, RecordedInput};
use crate::runtime::{PluginVersion, Runtime, short};

/// Compiled previous versions kept ready for rollback.
const KEEP_PREVIOUS: usize = 5;

/// Why a swap or rollback did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SwapError {
    #[error("unknown client {0:?}")]
    UnknownClient(String),
    #[error(transparent)]
    Load(#[from] PluginError),
    #[error(
        "client {client}: plugin {plugin} ({version}) failed {failed} of {total} fixtures: {summary}"
    )]
    FixturesFailed {
        client: String,
        plugin: String,
        version: String,
        failed: usize,
        total: usize,
        summary: String,
    },
    #[error("client {client}: fixtures in {dir} cannot be read: {reason}")]
    Fixtures {
        client: String,
        dir: PathBuf,
        reason: String,
    },
    #[error("client {0}: no previous plugin version to roll back to")]
    NoPrevious(String),
    #[error("client {0}: no plugin installed")]
    NoPlugin(String),
}

/// What a swap or rollback did.
#[derive(Debug, Clone, Serialize)]
pub struct SwapReport {
    pub client: String,
    pub plugin: String,
    pub from: Option<String>,
    pub to: String,
    pub fixtures_passed: usize,
    pub duration_ms: f64,
}

/// One entry of a client's plugin history.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VersionInfo {
    pub plugin: String,
    pub version: String,
    pub label: Option<String>,
    /// `installed`, `rolled-back-to`, `rejected`.
    pub event: String,
    pub at_unix_ms: u64,
    pub detail: String,
}

#[derive(Default)]
struct Slots {
    current: Option<Arc<PluginVersion>>,
    previous: Vec<Arc<PluginVersion>>,
    history: Vec<VersionInfo>,
}

/// Calls made with one version of a client's plugin, and how many failed (trap, limit,
/// malformed output): what a guard against a bad swap compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    pub calls: u64,
    pub failures: u64,
}

impl CallCounts {
    /// The calls made since `earlier` (a snapshot of the same version).
    pub fn since(self, earlier: CallCounts) -> CallCounts {
        CallCounts {
            calls: self.calls.saturating_sub(earlier.calls),
            failures: self.failures.saturating_sub(earlier.failures),
        }
    }

    /// Failed calls over calls; 0 with no calls.
    pub fn failure_rate(self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.failures as f64 / self.calls as f64
        }
    }
}

/// A client's plugin slot with its context, limits and fixtures.
pub struct ClientPlugin {
    client: String,
    /// Live calls per version (by hash) since the slot was created.
    counts: std::sync::Mutex<BTreeMap<String, CallCounts>>,
    runtime: Arc<Runtime>,
    context: RwLock<Arc<ClientContext>>,
    limits: RwLock<PluginLimits>,
    fixtures_dir: Option<PathBuf>,
    slots: RwLock<Slots>,
    /// One load at a time per client.
    loading: tokio::sync::Mutex<()>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl ClientPlugin {
    pub fn client(&self) -> &str {
        &self.client
    }

    /// The runtime this client's versions are compiled by.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// The active version, if any.
    pub fn current(&self) -> Option<Arc<PluginVersion>> {
        self.slots.read().ok().and_then(|s| s.current.clone())
    }

    pub fn context(&self) -> Arc<ClientContext> {
        self.context
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn limits(&self) -> PluginLimits {
        self.limits.read().map(|l| *l).unwrap_or_default()
    }

    /// Replaces the client's config values (e.g. after a config reload).
    pub fn set_context(&self, mut context: ClientContext) {
        context.client = self.client.clone();
        if let Ok(mut slot) = self.context.write() {
            *slot = Arc::new(context);
        }
    }

    /// History of installs, rollbacks and rejections, oldest first.
    pub fn history(&self) -> Vec<VersionInfo> {
        self.slots
            .read()
            .map(|s| s.history.clone())
            .unwrap_or_default()
    }

    /// Versions ready for rollback, newest first.
    pub fn previous_versions(&self) -> Vec<String> {
        self.slots
            .read()
            .map(|s| s.previous.iter().rev().map(|v| v.version.clone()).collect())
            .unwrap_or_default()
    }

    fn record(&self, slots: &mut Slots, version: &PluginVersion, event: &str, detail: String) {
        slots.history.push(VersionInfo {
            plugin: version.name.clone(),
            version: version.version.clone(),
            label: version.label.clone(),
            event: event.to_string(),
            at_unix_ms: now_ms(),
            detail,
        });
    }

    /// Compiles, checks and swaps in a plugin file.
    pub async fn install_file(
        &self,
        path: &Path,
        label: Option<String>,
    ) -> Result<SwapReport, SwapError> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "plugin".into());
        let bytes = tokio::fs::read(path).await.map_err(|e| PluginError {
            client: self.client.clone(),
            plugin: name.clone(),
            version: "-".into(),
            kind: PluginErrorKind::Read(format!("{}: {e}", path.display())),
        })?;
        self.install_bytes(&name, bytes, label).await
    }

    /// Compiles, checks and swaps in plugin bytes. The current version keeps serving until
    /// the candidate has passed every check.
    pub async fn install_bytes(
        &self,
        name: &str,
        bytes: Vec<u8>,
        label: Option<String>,
    ) -> Result<SwapReport, SwapError> {
        let _one_at_a_time = self.loading.lock().await;
        let started = Instant::now();
        let runtime = self.runtime.clone();
        let client = self.client.clone();
        let name_owned = name.to_string();
        let candidate = tokio::task::spawn_blocking(move || {
            runtime.load_bytes(&client, &name_owned, &bytes, label)
        })
        .await
        .map_err(|e| self.join_error(name, e))??;
        let passed = match self.check_fixtures(&candidate).await {
            Ok(passed) => passed,
            Err(err) => {
                if let Ok(mut slots) = self.slots.write() {
                    self.record(&mut slots, &candidate, "rejected", err.to_string());
                }
                return Err(err);
            }
        };
        let mut slots = self
            .slots
            .write()
            .map_err(|_| SwapError::NoPlugin(self.client.clone()))?;
        let from = slots.current.as_ref().map(|v| v.version.clone());
        if let Some(old) = slots.current.replace(candidate.clone()) {
            slots.previous.push(old);
            if slots.previous.len() > KEEP_PREVIOUS {
                slots.previous.remove(0);
            }
        }
        self.record(
            &mut slots,
            &candidate,
            "installed",
            format!("{passed} fixtures passed"),
        );
        tracing::info!(client = %self.client, plugin = %candidate.name, version = %candidate.short_version(), "plugin installed");
        Ok(SwapReport {
            client: self.client.clone(),
            plugin: candidate.name.clone(),
            from,
            to: candidate.version.clone(),
            fixtures_passed: passed,
            duration_ms: started.elapsed().as_secs_f64() * 1e3,
        })
    }

    /// Switches back to the previous version instantly (it is still compiled).
    pub fn rollback(&self) -> Result<SwapReport, SwapError> {
        let started = Instant::now();
        let mut slots = self
            .slots
            .write()
            .map_err(|_| SwapError::NoPlugin(self.client.clone()))?;
        let previous = slots
            .previous
            .pop()
            .ok_or_else(|| SwapError::NoPrevious(self.client.clone()))?;
        let from = slots
            .current
            .replace(previous.clone())
            .map(|v| v.version.clone());
        let detail = format!("from {}", from.as_deref().map(short).unwrap_or("-"));
        self.record(&mut slots, &previous, "rolled-back-to", detail);
        tracing::warn!(client = %self.client, version = %previous.short_version(), "plugin rolled back");
        Ok(SwapReport {
            client: self.client.clone(),
            plugin: previous.name.clone(),
            from,
            to: previous.version.clone(),
            fixtures_passed: 0,
            duration_ms: started.elapsed().as_secs_f64() * 1e3,
        })
    }

    async fn check_fixtures(&self, candidate: &Arc<PluginVersion>) -> Result<usize, SwapError> {
        let Some(dir) = self.fixtures_dir.clone() else {
            return Ok(0);
        };
        let candidate_name = candidate.name.clone();
        let candidate_version = candidate.short_version().to_string();
        let candidate = candidate.clone();
        let unreadable = |reason: String| SwapError::Fixtures {
            client: self.client.clone(),
            dir: dir.clone(),
            reason,
        };
        // The cases run one after another, one instance at a time: one slot covers them all.
        // Waiting for it, like a live call, keeps a swap under full load from failing, or
        // from making a live call fail, to instantiate.
        let slot = self
            .runtime
            .pool_slot()
            .await
            .map_err(|e| unreadable(e.to_string()))?;
        let context = self.context();
        let limits = self.limits();
        let dir_for_task = dir.clone();
        let results = slot
            .run(move || fixtures::run_dir(&candidate, &context, &limits, &dir_for_task))
            .await
            .map_err(|e| unreadable(e.to_string()))?
            .map_err(|e| unreadable(e.to_string()))?;
        let failed: Vec<&CaseResult> = results.iter().filter(|r| !r.passed).collect();
        if failed.is_empty() {
            return Ok(results.len());
        }
        let summary = failed
            .iter()
            .map(|r| {
                format!(
                    "{} ({})",
                    r.name,
                    r.error.clone().unwrap_or_else(|| "output differs".into())
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        Err(SwapError::FixturesFailed {
            client: self.client.clone(),
            plugin: candidate_name,
            version: candidate_version,
            failed: failed.len(),
            total: results.len(),
            summary,
        })
    }

    fn join_error(&self, name: &str, e: tokio::task::JoinError) -> SwapError {
        SwapError::Load(PluginError {
            client: self.client.clone(),
            plugin: name.to_string(),
            version: "-".into(),
            kind: PluginErrorKind::Instantiate(format!("loader task failed: {e}")),
        })
    }

    /// Runs `f` with the current version on a blocking thread, holding a pool permit.
    async fn with_current<R: Send + 'static>(
        &self,
        f: impl FnOnce(&PluginVersion, &Arc<ClientContext>, &PluginLimits) -> Result<R, PluginError>
        + Send
        + 'static,
    ) -> Result<R, PluginError> {
        let plugin = self.current().ok_or_else(|| PluginError {
            client: self.client.clone(),
            plugin: "-".into(),
            version: "-".into(),
            kind: PluginErrorKind::Instantiate("no plugin installed for this client".into()),
        })?;
        let slot = plugin
            .runtime()
            .pool_slot()
            .await
            .map_err(|e| plugin.error(e.into()))?;
        let context = self.context();
        let limits = self.limits();
        let task_plugin = plugin.clone();
        let result = slot
            .run(move || f(&task_plugin, &context, &limits))
            .await
            .map_err(|e| plugin.error(e.into()))
            .and_then(|r| r);
        self.count(&plugin.version, result.is_err());
        result
    }

    fn count(&self, version: &str, failed: bool) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let entry = counts.entry(version.to_owned()).or_default();
        entry.calls += 1;
        entry.failures += u64::from(failed);
    }

    /// Live calls made with `version` so far (fixture runs are not counted).
    pub fn call_counts(&self, version: &str) -> CallCounts {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.get(version).copied().unwrap_or_default()
    }

    /// Makes `input`'s call on the current version and keeps the input, with the config it
    /// was answered under, in the report (`CallReport::recorded`) for the host to store.
    async fn call_recorded<T>(
        &self,
        input: CallInput,
        pick: fn(CallOutput) -> Option<T>,
    ) -> Result<Called<T>, PluginError> {
        let recorded = Arc::new(RecordedInput::new(self.context(), input));
        let task_input = recorded.clone();
        let called = self
            .with_current(move |p, _, l| task_input.run(p, l))
            .await?;
        let Some(output) = pick(called.output) else {
            // `RecordedInput::run` answers with the variant of its input.
            return Err(PluginError {
                client: self.client.clone(),
                plugin: called.report.plugin,
                version: called.report.version,
                kind: PluginErrorKind::Malformed("answer of another rule than asked".into()),
            });
        };
        let mut report = called.report;
        report.recorded = Some(recorded);
        Ok(Called { output, report })
    }

    pub async fn compute_ats(
        &self,
        stock: inventory::StockContext,
        rows: inventory::StockRows,
    ) -> Result<Called<inventory::AtsRows>, PluginError> {
        self.call_recorded(CallInput::ComputeAts { stock, rows }, |out| match out {
            CallOutput::ComputeAts { ats } => Some(ats),
            _ => None,
        })
        .await
    }

    pub async fn map_orders(
        &self,
        orders: Vec<orders::StorefrontOrder>,
    ) -> Result<Called<Vec<orders::OrderDecision>>, PluginError> {
        self.call_recorded(CallInput::MapOrders { orders }, |out| match out {
            CallOutput::MapOrders { decisions } => Some(decisions),
            _ => None,
        })
        .await
    }

    pub async fn map_styles(
        &self,
        styles: Vec<catalog::ErpStyle>,
    ) -> Result<Called<Vec<catalog::CatalogDecision>>, PluginError> {
        self.call_recorded(CallInput::MapStyles { styles }, |out| match out {
            CallOutput::MapStyles { decisions } => Some(decisions),
            _ => None,
        })
        .await
    }

    pub async fn map_refunds(
        &self,
        refunds: Vec<returns::Refund>,
    ) -> Result<Called<Vec<returns::RefundDecision>>, PluginError> {
        self.call_recorded(CallInput::MapRefunds { refunds }, |out| match out {
            CallOutput::MapRefunds { decisions } => Some(decisions),
            _ => None,
        })
        .await
    }

    pub async fn map_prices(
        &self,
        prices: Vec<pricing::ErpPrice>,
    ) -> Result<Called<pricing::PricingDecision>, PluginError> {
        self.call_recorded(CallInput::MapPrices { prices }, |out| match out {
            CallOutput::MapPrices { decision } => Some(decision),
            _ => None,
        })
        .await
    }
}

/// Every client's plugin slot.
pub struct PluginRegistry {
    runtime: Arc<Runtime>,
    clients: RwLock<BTreeMap<String, Arc<ClientPlugin>>>,
}

impl PluginRegistry {
    pub fn new(runtime: Arc<Runtime>) -> Arc<Self> {
        Arc::new(Self {
            runtime,
            clients: RwLock::new(BTreeMap::new()),
        })
    }

    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Adds (or replaces) a client slot with no plugin installed yet.
    pub fn add_client(
        &self,
        client: &str,
        mut context: ClientContext,
        limits: PluginLimits,
        fixtures_dir: Option<PathBuf>,
    ) -> Arc<ClientPlugin> {
        context.client = client.to_string();
        let slot = Arc::new(ClientPlugin {
            client: client.to_string(),
            counts: std::sync::Mutex::default(),
            runtime: self.runtime.clone(),
            context: RwLock::new(Arc::new(context)),
            limits: RwLock::new(limits),
            fixtures_dir,
            slots: RwLock::new(Slots::default()),
            loading: tokio::sync::Mutex::new(()),
        });
        if let Ok(mut clients) = self.clients.write() {
            clients.insert(client.to_string(), slot.clone());
        }
        slot
    }

    pub fn client(&self, client: &str) -> Result<Arc<ClientPlugin>, SwapError> {
        self.clients
            .read()
            .ok()
            .and_then(|c| c.get(client).cloned())
            .ok_or_else(|| SwapError::UnknownClient(client.to_string()))
    }

    pub fn clients(&self) -> Vec<Arc<ClientPlugin>> {
        self.clients
            .read()
            .map(|c| c.values().cloned().collect())
            .unwrap_or_default()
    }
}
