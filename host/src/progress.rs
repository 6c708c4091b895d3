//! Progress of long work (a first full push, a catalog's first sync, a shadow run), as a port:
//! the flows and the plugin code report through [`Progress`] and never draw anything. The CLI
//! supplies the drawing one (`cli::progress`: a bar on a terminal, plain lines otherwise);
//! the scheduled host passes [`NoProgress`].

/// Where long work reports how far it got. One stage at a time: `start` begins a stage
/// (ending the one before), `advance` moves it, `finish` ends it.
pub trait Progress: Send + Sync {
    /// A stage begins: `what` names it (`inventory push`), `unit` counts it (`rows`), and
    /// `total` is how many there are, when known.
    fn start(&self, what: &str, unit: &str, total: Option<u64>);
    /// `n` more done.
    fn advance(&self, n: u64);
    /// The stage is over (also when it stopped short).
    fn finish(&self);
}

/// Reports nothing: the scheduled host, tests, and every caller that does not watch.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _what: &str, _unit: &str, _total: Option<u64>) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}
