//! The engine, compiled plugin versions, and one call under limits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

use crate::bindings::{WORLDS, v0_1_0, v0_2_0};
use crate::cache::{self, Origin};
use crate::calls::{CallReport, Called};
use crate::context::ClientContext;
use crate::error::{PluginError, PluginErrorKind};
use crate::limits::PluginLimits;
use crate::pool::{PoolError, PoolPermit, PoolPermits};
use crate::state::CallState;

/// Engine-wide settings.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Meter fuel so calls report an instruction count and obey `PluginLimits::fuel`.
    pub fuel_metering: bool,
    /// Epoch tick; CPU deadlines are rounded up to whole ticks.
    pub epoch_tick: Duration,
    /// Instances the pooling allocator keeps ready; calls (live ones and the fixture runs
    /// that gate a swap) beyond this wait for a slot.
    pub max_concurrent_calls: u32,
    /// Largest linear memory any client may be given, bytes.
    pub max_memory_bytes: usize,
    /// Where compiled components are cached (keyed by content hash and engine); none = no cache.
    pub cache_dir: Option<PathBuf>,
    /// Linear memory per pooled slot kept resident between calls (reset by memset).
    pub keep_resident_bytes: usize,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            fuel_metering: true,
            epoch_tick: Duration::from_millis(5),
            max_concurrent_calls: 32,
            max_memory_bytes: 512 << 20,
            cache_dir: None,
            keep_resident_bytes: 16 << 20,
        }
    }
}

/// One wasmtime engine shared by every client, with the linker holding the host imports.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    options: RuntimeOptions,
    engine_key: String,
    ticker_stop: Arc<AtomicBool>,
    permits: PoolPermits,
    /// Compiled components by content hash: clients whose plugins have the same bytes share
    /// one component (its code mapped once, one set of warm pool slots). Weak, so a version
    /// no client keeps any more is freed.
    compiled: Mutex<HashMap<String, Weak<Compiled>>>,
}

/// A compiled component, type-checked against the world it targets and linked once.
struct Compiled {
    pre: RulesPre,
}

impl Runtime {
    /// Builds the engine (pooling allocator, epoch interruption) and starts its epoch ticker.
    pub fn new(options: RuntimeOptions) -> Result<Arc<Self>, String> {
        let mut pool = PoolingAllocationConfig::default();
        let slots = options.max_concurrent_calls.max(1);
        pool.total_component_instances(slots)
            .total_core_instances(slots * 8)
            .total_memories(slots * 2)
            .total_tables(slots * 4)
            .total_stacks(slots)
            .max_memories_per_component(2)
            .max_memory_size(options.max_memory_bytes)
            // Reset reused memory with memset instead of madvise up to this size: a 100k-row
            // cycle touches a few MiB, and re-faulting fresh pages on every call costs more.
            .linear_memory_keep_resident(options.keep_resident_bytes)
            .table_keep_resident(64 << 10)
            // Reuse warm slots before touching a cold one, so the slots holding resident memory
            // are as many as the calls that ran at once, not every slot in the pool over time.
            .max_unused_warm_slots(0);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .consume_fuel(options.fuel_metering)
            .memory_init_cow(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine =
            Engine::new(&config).map_err(|e| format!("cannot build the wasm engine: {e}"))?;
        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| format!("cannot link WASI: {e}"))?;
        // Both contracts' host imports: plugins built for 0.1.0 keep working.
        v0_1_0::ClientRules::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(|e| format!("cannot link host imports (0.1.0): {e}"))?;
        v0_2_0::ClientRules::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(|e| format!("cannot link host imports (0.2.0): {e}"))?;
        let engine_key = cache::engine_key(&engine);
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), options.epoch_tick, ticker_stop.clone());
        let permits = PoolPermits::new(slots as usize);
        Ok(Arc::new(Self {
            engine,
            linker,
            options,
            engine_key,
            ticker_stop,
            permits,
            compiled: Mutex::new(HashMap::new()),
        }))
    }

    pub fn options(&self) -> &RuntimeOptions {
        &self.options
    }

    /// Waits for one of the pool's instance slots: take it before instantiating a plugin.
    pub(crate) async fn pool_slot(&self) -> Result<PoolPermit, PoolError> {
        self.permits.acquire().await
    }

    /// Instance slots no call holds right now (for metrics and tests).
    pub fn idle_call_slots(&self) -> usize {
        self.permits.idle()
    }

    /// Loads a plugin file for `client`: compile (or reuse the cache), then type-check it
    /// against the `client-rules` world.
    pub fn load_file(
        self: &Arc<Self>,
        client: &str,
        path: &Path,
        label: Option<String>,
    ) -> Result<Arc<PluginVersion>, PluginError> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "plugin".to_string());
        let bytes = std::fs::read(path).map_err(|e| PluginError {
            client: client.to_string(),
            plugin: name.clone(),
            version: "-".to_string(),
            kind: PluginErrorKind::Read(format!("{}: {e}", path.display())),
        })?;
        self.load_bytes(client, &name, &bytes, label)
    }

    /// Loads plugin bytes for `client` under `name`.
    pub fn load_bytes(
        self: &Arc<Self>,
        client: &str,
        name: &str,
        bytes: &[u8],
        label: Option<String>,
    ) -> Result<Arc<PluginVersion>, PluginError> {
        let started = Instant::now();
        let version = hex::encode(Sha256::digest(bytes));
        let fail = |kind| PluginError {
            client: client.to_string(),
            plugin: name.to_string(),
            version: short(&version).to_string(),
            kind,
        };
        let (compiled, origin) = match self.shared(&version) {
            Some(compiled) => (compiled, Origin::Memory),
            None => {
                let (component, origin) = cache::load_or_compile(
                    &self.engine,
                    &self.engine_key,
                    self.options.cache_dir.as_deref(),
                    &version,
                    bytes,
                )
                .map_err(|e| fail(PluginErrorKind::Compile(e)))?;
                let wrong_world = |e: wasmtime::Error| {
                    fail(PluginErrorKind::WrongWorld {
                        world: WORLDS,
                        detail: format!("{e:#}"),
                    })
                };
                let pre = self
                    .linker
                    .instantiate_pre(&component)
                    .map_err(wrong_world)?;
                // The newest contract first; a plugin built for 0.1.0 runs through its own.
                let pre = match v0_2_0::ClientRulesPre::new(pre.clone()) {
                    Ok(p) => RulesPre::V0_2(p),
                    Err(newest) => match v0_1_0::ClientRulesPre::new(pre) {
                        Ok(p) => RulesPre::V0_1(p),
                        Err(_) => return Err(wrong_world(newest)),
                    },
                };
                (self.share(&version, Compiled { pre }), origin)
            }
        };
        Ok(Arc::new(PluginVersion {
            runtime: self.clone(),
            client: client.to_string(),
            name: name.to_string(),
            version,
            label,
            size_bytes: bytes.len(),
            origin,
            load_time: started.elapsed(),
            compiled,
        }))
    }

    /// The component already compiled from bytes with this hash, if a client still uses it.
    fn shared(&self, version: &str) -> Option<Arc<Compiled>> {
        let compiled = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        compiled.get(version).and_then(Weak::upgrade)
    }

    /// Keeps `fresh` for later loads of the same bytes; if another load got there first,
    /// its component is used instead, so every client shares one.
    fn share(&self, version: &str, fresh: Compiled) -> Arc<Compiled> {
        let mut compiled = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = compiled.get(version).and_then(Weak::upgrade) {
            return existing;
        }
        compiled.retain(|_, c| c.strong_count() > 0);
        let fresh = Arc::new(fresh);
        compiled.insert(version.to_string(), Arc::downgrade(&fresh));
        fresh
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

fn spawn_epoch_ticker(engine: Engine, tick: Duration, stop: Arc<AtomicBool>) {
    // A plain thread: deadlines must fire even when every tokio worker is busy.
    let _ = std::thread::Builder::new()
        .name("selvedge-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                engine.increment_epoch();
            }
        });
}

/// First 12 hex digits of a version hash.
pub(crate) fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}

/// One compiled, type-checked plugin version, ready to instantiate per call.
pub struct PluginVersion {
    runtime: Arc<Runtime>,
    pub client: String,
    pub name: String,
    /// SHA-256 of the component bytes, hex: stamped on every decision.
    pub version: String,
    /// Free-form label given at install (e.g. a git tag).
    pub label: Option<String>,
    pub size_bytes: usize,
    /// Where its compiled code came from when this version was loaded.
    pub origin: Origin,
    /// How long loading took (reading, compiling or deserializing, type-checking).
    pub load_time: Duration,
    compiled: Arc<Compiled>,
}

/// A plugin pre-instantiated for the contract version it targets.
enum RulesPre {
    V0_1(v0_1_0::ClientRulesPre<CallState>),
    V0_2(v0_2_0::ClientRulesPre<CallState>),
}

/// A plugin instance, by the contract version it targets.
pub(crate) enum Rules {
    V0_1(v0_1_0::ClientRules),
    V0_2(v0_2_0::ClientRules),
}

impl std::fmt::Debug for PluginVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginVersion")
            .field("client", &self.client)
            .field("name", &self.name)
            .field("version", &self.version)
            .finish()
    }
}

impl PluginVersion {
    pub fn short_version(&self) -> &str {
        short(&self.version)
    }

    /// The `selvedge:rules` contract version the plugin targets (`0.2.0`, `0.1.0`).
    pub fn contract(&self) -> &'static str {
        match self.compiled.pre {
            RulesPre::V0_1(_) => "0.1.0",
            RulesPre::V0_2(_) => "0.2.0",
        }
    }

    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    pub(crate) fn error(&self, kind: PluginErrorKind) -> PluginError {
        PluginError {
            client: self.client.clone(),
            plugin: self.name.clone(),
            version: self.short_version().to_string(),
            kind,
        }
    }

    /// Runs `call` on a fresh instance under `limits`, then sizes and validates the output.
    /// Synchronous: async callers run it on a blocking thread (see the registry).
    pub(crate) fn call<R>(
        &self,
        context: &Arc<ClientContext>,
        limits: &PluginLimits,
        call: impl FnOnce(&Rules, &mut Store<CallState>) -> wasmtime::Result<R>,
        output_bytes: impl FnOnce(&R) -> usize,
    ) -> Result<Called<R>, PluginError> {
        let started = Instant::now();
        let label: Arc<str> = Arc::from(format!("{}@{}", self.name, self.short_version()));
        let state = CallState::new(
            context.clone(),
            label,
            limits.max_memory_bytes,
            limits.log_budget_bytes(),
        );
        let mut store = Store::new(self.runtime.engine(), state);
        store.limiter(|s| &mut s.limiter);
        let tick_ms = u64::try_from(self.runtime.options.epoch_tick.as_millis())
            .unwrap_or(1)
            .max(1);
        store.set_epoch_deadline(limits.timeout_ms.div_ceil(tick_ms).max(1));
        store.epoch_deadline_trap();
        let fuel_budget = if self.runtime.options.fuel_metering {
            let budget = if limits.fuel == 0 {
                u64::MAX
            } else {
                limits.fuel
            };
            store
                .set_fuel(budget)
                .map_err(|e| self.error(PluginErrorKind::Instantiate(e.to_string())))?;
            Some(budget)
        } else {
            None
        };
        let instance = match &self.compiled.pre {
            RulesPre::V0_1(pre) => pre.instantiate(&mut store).map(Rules::V0_1),
            RulesPre::V0_2(pre) => pre.instantiate(&mut store).map(Rules::V0_2),
        };
        let result = instance
            .map_err(|e| self.classify(&store, limits, e, true))
            .and_then(|bindings| {
                call(&bindings, &mut store).map_err(|e| self.classify(&store, limits, e, false))
            });
        // The call is over whether it succeeded or not: say what its log lost, once.
        store.data_mut().log.finish();
        let output = result?;
        let size = output_bytes(&output);
        if size > limits.max_output_bytes {
            return Err(self.error(PluginErrorKind::OutputTooLarge {
                size_bytes: size,
                limit_bytes: limits.max_output_bytes,
            }));
        }
        let fuel = fuel_budget.map(|budget| budget.saturating_sub(store.get_fuel().unwrap_or(0)));
        let state = store.into_data();
        Ok(Called {
            output,
            report: CallReport {
                client: self.client.clone(),
                plugin: self.name.clone(),
                version: self.version.clone(),
                fuel,
                peak_memory_bytes: state.limiter.peak_bytes,
                duration: started.elapsed(),
                output_bytes: size,
                trace: state.log.lines,
                trace_dropped: state.log.dropped_lines,
                recorded: None,
            },
        })
    }

    /// Turns a wasmtime error into the limit or fault that caused it.
    fn classify(
        &self,
        store: &Store<CallState>,
        limits: &PluginLimits,
        error: wasmtime::Error,
        instantiating: bool,
    ) -> PluginError {
        let state = store.data();
        if state.limiter.hit_limit {
            return self.error(PluginErrorKind::MemoryLimit {
                limit_bytes: limits.max_memory_bytes,
            });
        }
        let kind = match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => PluginErrorKind::Timeout {
                limit_ms: limits.timeout_ms,
            },
            Some(Trap::OutOfFuel) => PluginErrorKind::FuelExhausted { limit: limits.fuel },
            _ if instantiating => PluginErrorKind::Instantiate(format!("{error:#}")),
            _ => {
                let stderr = state.stderr_text();
                if stderr.is_empty() {
                    PluginErrorKind::Trap(format!("{error:#}"))
                } else {
                    PluginErrorKind::Trap(format!("{error:#}; plugin stderr: {stderr}"))
                }
            }
        };
        self.error(kind)
    }
}

impl Runtime {
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }
}
