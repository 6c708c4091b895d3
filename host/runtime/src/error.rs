//! Plugin errors: always name the client, the plugin and its version.

/// A plugin failed to load or to run; the host keeps serving other clients.
#[derive(Debug, thiserror::Error)]
#[error("client {client}: plugin {plugin} ({version}): {kind}")]
pub struct PluginError {
    pub client: String,
    pub plugin: String,
    /// Short content hash (first 12 hex digits).
    pub version: String,
    pub kind: PluginErrorKind,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PluginErrorKind {
    #[error("cannot read the component: {0}")]
    Read(String),
    #[error("not a valid WebAssembly component: {0}")]
    Compile(String),
    #[error("does not target the {world} world: {detail}")]
    WrongWorld { world: &'static str, detail: String },
    #[error("could not be instantiated: {0}")]
    Instantiate(String),
    #[error("stopped: exceeded its CPU time limit of {limit_ms} ms")]
    Timeout { limit_ms: u64 },
    #[error("stopped: exceeded its fuel limit of {limit} units")]
    FuelExhausted { limit: u64 },
    #[error("stopped: exceeded its memory limit of {limit_bytes} bytes")]
    MemoryLimit { limit_bytes: usize },
    #[error("trapped: {0}")]
    Trap(String),
    #[error("returned {size_bytes} bytes of output, over its limit of {limit_bytes} bytes")]
    OutputTooLarge {
        size_bytes: usize,
        limit_bytes: usize,
    },
    #[error("returned malformed output: {0}")]
    Malformed(String),
    #[error("declined: {0}")]
    Rule(String),
}

impl PluginErrorKind {
    /// A short stable code for metrics and exceptions.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Read(_) => "read",
            Self::Compile(_) => "compile",
            Self::WrongWorld { .. } => "wrong_world",
            Self::Instantiate(_) => "instantiate",
            Self::Timeout { .. } => "timeout",
            Self::FuelExhausted { .. } => "fuel",
            Self::MemoryLimit { .. } => "memory",
            Self::Trap(_) => "trap",
            Self::OutputTooLarge { .. } => "output_too_large",
            Self::Malformed(_) => "malformed",
            Self::Rule(_) => "rule",
        }
    }
}
