//! Per-call store state: the locked-down WASI context, the memory limiter and the host imports.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use crate::bindings::v0_1_0::selvedge::rules::{host, types};
use crate::bindings::v0_2_0::selvedge::rules as v2;
use crate::context::ClientContext;
use crate::plugin_log::PluginLog;

/// Guest stderr kept per call (panic messages land here).
const STDERR_CAPACITY: usize = 16 << 10;

/// A clock frozen at the epoch: plugins get no real time, so a decision depends on its input only.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Tracks linear memory growth against the call's limit and remembers the peak.
pub(crate) struct MemoryLimiter {
    pub max_bytes: usize,
    pub peak_bytes: usize,
    pub hit_limit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.hit_limit = true;
            return Ok(false);
        }
        self.peak_bytes = self.peak_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Everything one call's store holds.
pub(crate) struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: MemoryLimiter,
    pub stderr: MemoryOutputPipe,
    context: Arc<ClientContext>,
    pub log: PluginLog,
}

impl CallState {
    pub fn new(
        context: Arc<ClientContext>,
        plugin_label: Arc<str>,
        max_memory_bytes: usize,
        log_budget_bytes: usize,
    ) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        // No env, args, preopened dirs or network; frozen clocks.
        let wasi = wasmtime_wasi::WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                max_bytes: max_memory_bytes,
                peak_bytes: 0,
                hit_limit: false,
            },
            stderr,
            log: PluginLog::new(context.client.clone(), plugin_label, log_budget_bytes),
            context,
        }
    }

    /// Guest stderr as text (lossy), trimmed.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents())
            .trim()
            .to_string()
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for CallState {}

impl host::Host for CallState {
    fn log(&mut self, level: host::LogLevel, message: String, fields: Vec<(String, String)>) {
        self.log.write(level, message, fields);
    }

    fn config_value(&mut self, key: String) -> Option<String> {
        self.context.rules.get(&key).cloned()
    }

    fn mapping_table(&mut self, table: String) -> Vec<(String, String)> {
        self.context
            .mappings
            .get(&table)
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }
}

// The 0.2.0 host imports are the 0.1.0 ones under a new version: one implementation serves both.
impl v2::types::Host for CallState {}

impl v2::host::Host for CallState {
    fn log(&mut self, level: v2::host::LogLevel, message: String, fields: Vec<(String, String)>) {
        let level = match level {
            v2::host::LogLevel::Debug => host::LogLevel::Debug,
            v2::host::LogLevel::Info => host::LogLevel::Info,
            v2::host::LogLevel::Warn => host::LogLevel::Warn,
            v2::host::LogLevel::Error => host::LogLevel::Error,
        };
        <Self as host::Host>::log(self, level, message, fields);
    }

    fn config_value(&mut self, key: String) -> Option<String> {
        <Self as host::Host>::config_value(self, key)
    }

    fn mapping_table(&mut self, table: String) -> Vec<(String, String)> {
        <Self as host::Host>::mapping_table(self, table)
    }
}
