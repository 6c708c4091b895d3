//! What a plugin can read from the host: the client's rule config values and mapping tables.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A client's plugin context: `[rules]` values and `[mappings.<table>]` tables from its config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientContext {
    /// Client id, for logs and errors.
    #[serde(skip)]
    pub client: String,
    /// Scalar rule settings, e.g. `preorder_season = "FA26"` (numbers and booleans are kept as text).
    #[serde(deserialize_with = "scalars")]
    pub rules: BTreeMap<String, String>,
    /// Mapping tables, e.g. `shipping_warehouse = { express = "NJ01" }`.
    #[serde(deserialize_with = "tables")]
    pub mappings: BTreeMap<String, BTreeMap<String, String>>,
}

impl ClientContext {
    /// A context for `client` with no values.
    pub fn new(client: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            ..Self::default()
        }
    }

    /// Adds a rule value.
    pub fn with_rule(mut self, key: &str, value: &str) -> Self {
        self.rules.insert(key.to_string(), value.to_string());
        self
    }

    /// Adds a mapping table entry.
    pub fn with_mapping(mut self, table: &str, key: &str, value: &str) -> Self {
        self.mappings
            .entry(table.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
        self
    }

    /// Overlays `other`'s values onto this context (fixture cases override the client's config).
    pub fn overlay(&self, other: &ClientContext) -> ClientContext {
        let mut merged = self.clone();
        merged.rules.extend(other.rules.clone());
        for (table, entries) in &other.mappings {
            merged
                .mappings
                .entry(table.clone())
                .or_default()
                .extend(entries.clone());
        }
        merged
    }
}

/// A config scalar: plugins read every value as text and parse what they need.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    fn into_text(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Integer(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

fn scalars<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let raw = BTreeMap::<String, Scalar>::deserialize(d)?;
    Ok(raw.into_iter().map(|(k, v)| (k, v.into_text())).collect())
}

fn tables<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, D::Error> {
    let raw = BTreeMap::<String, BTreeMap<String, Scalar>>::deserialize(d)?;
    Ok(raw
        .into_iter()
        .map(|(table, entries)| {
            let entries = entries
                .into_iter()
                .map(|(k, v)| (k, v.into_text()))
                .collect();
            (table, entries)
        })
        .collect())
}
