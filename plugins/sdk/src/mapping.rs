//! Mapping tables from the client's config (`[mappings.<name>]`), fetched once per call.

use std::collections::BTreeMap;

use crate::host;

/// A client mapping table, e.g. shipping method -> warehouse.
#[derive(Debug, Clone, Default)]
pub struct Table {
    name: String,
    entries: BTreeMap<String, String>,
}

impl Table {
    /// Fetches the table `name` from the host (empty when the client has none).
    pub fn load(name: &str) -> Self {
        Self::from_pairs(name, host::mapping_table(name))
    }

    /// Builds a table from pairs (for tests and derived tables). Keys compare case-insensitively.
    pub fn from_pairs(name: &str, pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            name: name.to_string(),
            entries: pairs
                .into_iter()
                .map(|(k, v)| (k.trim().to_lowercase(), v))
                .collect(),
        }
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value for `key` (case-insensitive), if mapped.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .get(&key.trim().to_lowercase())
            .map(String::as_str)
    }

    /// The mapped value for `key`, or the table's `*` entry as a default.
    /// The boolean says whether `key` itself was mapped.
    pub fn get_or_default(&self, key: &str) -> Option<(&str, bool)> {
        match self.get(key) {
            Some(v) => Some((v, true)),
            None => self.get("*").map(|v| (v, false)),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
