//! Strict reading of query strings and JSON bodies: a parameter or field the sandbox does not
//! apply is refused by name (400/422), never ignored, and a value that does not parse is
//! refused the same way. Also `include_fields` / `exclude_fields` (sparse fieldsets).

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::state::parse_date;
use super::{json_response, problem, v2_error, v3_error};

/// A request refused because of one named parameter or field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {why}")]
pub(crate) struct Refusal {
    /// The parameter or field.
    pub name: String,
    /// What is wrong with it.
    pub why: String,
}

impl Refusal {
    pub(crate) fn new(name: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            why: why.into(),
        }
    }

    fn unsupported(name: &str) -> Self {
        Self::new(
            name,
            "is not supported by the sandbox: it refuses what it does not apply",
        )
    }

    /// V2 dialect: `400 [{status, message}]`.
    pub(crate) fn v2(&self) -> Response {
        v2_error(
            StatusCode::BAD_REQUEST,
            &format!("The field '{}' {}.", self.name, self.why),
        )
    }

    /// V3 dialect: `400 {status, title, type, errors: {name: why}}`.
    pub(crate) fn v3(&self) -> Response {
        v3_error(
            StatusCode::BAD_REQUEST,
            &format!("Query parameter `{}` refused.", self.name),
            json!({ &self.name: &self.why }),
        )
    }

    /// Inventory dialect (`application/problem+json`).
    pub(crate) fn problem(&self) -> Response {
        problem(
            StatusCode::BAD_REQUEST,
            &format!("Query parameter `{}` refused.", self.name),
            json!({ &self.name: &self.why }),
        )
    }
}

/// A V3 collection answer `{data, meta}`, or the refusal (as `application/problem+json` for
/// the inventory APIs).
pub(crate) fn page_answer<T: serde::Serialize>(
    answer: Result<(Vec<T>, Value), Refusal>,
    as_problem: bool,
) -> Response {
    match answer {
        Ok((data, meta)) => json_response(StatusCode::OK, json!({"data": data, "meta": meta})),
        Err(r) if as_problem => r.problem(),
        Err(r) => r.v3(),
    }
}

/// A query string checked against the names an operation applies.
pub(crate) struct Params<'a> {
    map: HashMap<&'a str, &'a str>,
}

impl<'a> Params<'a> {
    /// Refuses the first parameter not in `applied`.
    pub(crate) fn strict(pairs: &'a [(String, String)], applied: &[&str]) -> Result<Self, Refusal> {
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !applied.contains(&k.as_str())) {
            return Err(Refusal::unsupported(k));
        }
        Ok(Self {
            map: pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        })
    }

    pub(crate) fn str(&self, name: &str) -> Option<&'a str> {
        self.map.get(name).copied()
    }

    fn parsed<T: std::str::FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, Refusal> {
        self.str(name)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| Refusal::new(name, format!("must be {what}, not `{v}`")))
            })
            .transpose()
    }

    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, Refusal> {
        self.parsed(name, "an integer")
    }

    pub(crate) fn number(&self, name: &str) -> Result<Option<f64>, Refusal> {
        self.parsed(name, "a number")
    }

    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, Refusal> {
        self.parsed(name, "true or false")
    }

    /// RFC 2822, ISO 8601 or a Unix timestamp.
    pub(crate) fn date(&self, name: &str) -> Result<Option<OffsetDateTime>, Refusal> {
        self.str(name)
            .map(|v| {
                parse_date(v).ok_or_else(|| {
                    Refusal::new(
                        name,
                        format!("must be an RFC 2822 or ISO 8601 date, not `{v}`"),
                    )
                })
            })
            .transpose()
    }

    /// A comma-separated id list; empty when absent.
    pub(crate) fn ids(&self, name: &str) -> Result<Vec<i64>, Refusal> {
        let Some(v) = self.str(name) else {
            return Ok(Vec::new());
        };
        v.split(',')
            .map(|x| {
                x.trim()
                    .parse()
                    .map_err(|_| Refusal::new(name, format!("`{x}` is not an integer id")))
            })
            .collect()
    }

    /// A comma-separated list; empty when absent.
    pub(crate) fn list(&self, name: &str) -> Vec<&'a str> {
        self.str(name)
            .map(|v| v.split(',').map(str::trim).collect())
            .unwrap_or_default()
    }

    /// `page` (from 1) and `limit` (default 50). A limit above `max` is lowered to it, as
    /// the API does (the answer's `per_page` shows it); values that are not whole positive
    /// numbers are refused.
    pub(crate) fn page_limit(&self, max: usize) -> Result<(usize, usize), Refusal> {
        let whole = |name: &str, default: f64| -> Result<usize, Refusal> {
            let v = self.number(name)?.unwrap_or(default);
            if v < 1.0 || v.fract() != 0.0 || v > u32::MAX as f64 {
                return Err(Refusal::new(name, "must be a whole number from 1"));
            }
            Ok(v as usize)
        };
        Ok((whole("page", 1.0)?, whole("limit", 50.0)?.min(max)))
    }

    /// `include` values, each of which must be in `applied`.
    pub(crate) fn include(&self, applied: &[&str]) -> Result<Vec<&'a str>, Refusal> {
        let values = self.list("include");
        match values
            .iter()
            .find(|v| !v.is_empty() && !applied.contains(v))
        {
            Some(v) => Err(Refusal::new(
                "include",
                format!("`{v}` is not supported by the sandbox (supported: {applied:?})"),
            )),
            None => Ok(values),
        }
    }

    /// Applies `include_fields` (keep `id` and these) and `exclude_fields` (drop these, never
    /// `id`) to each object of `items`.
    pub(crate) fn sparse(&self, items: &mut [Value]) {
        let include = self.list("include_fields");
        let exclude = self.list("exclude_fields");
        for item in items.iter_mut() {
            if let Value::Object(obj) = item {
                sparse_object(obj, &include, &exclude);
            }
        }
    }
}

fn sparse_object(obj: &mut Map<String, Value>, include: &[&str], exclude: &[&str]) {
    if !include.is_empty() {
        obj.retain(|k, _| k == "id" || include.contains(&k.as_str()));
    }
    obj.retain(|k, _| k == "id" || !exclude.contains(&k.as_str()));
}

/// Reads a body into the sandbox's model of it, refusing by path (`items[3].bin_picking_number`)
/// any field sent with a value that the model does not carry: a field the sandbox would
/// otherwise drop silently. (Nulls and empty lists change nothing and pass.)
pub(crate) fn modelled<T: DeserializeOwned + Serialize>(body: &Value) -> Result<T, Refusal> {
    let parsed: T =
        serde_json::from_value(body.clone()).map_err(|e| Refusal::new("body", e.to_string()))?;
    let kept = serde_json::to_value(&parsed).map_err(|e| Refusal::new("body", e.to_string()))?;
    match dropped(body, &kept, "") {
        Some(path) => Err(Refusal::unsupported(&path)),
        None => Ok(parsed),
    }
}

/// The first path present (with a value) in `sent` but absent from `kept`.
fn dropped(sent: &Value, kept: &Value, at: &str) -> Option<String> {
    match (sent, kept) {
        (Value::Object(sent), Value::Object(kept)) => sent.iter().find_map(|(key, value)| {
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            let empty = value.is_null() || value.as_array().is_some_and(Vec::is_empty);
            match kept.get(key) {
                None if empty => None,
                None => Some(path),
                Some(k) => dropped(value, k, &path),
            }
        }),
        (Value::Array(sent), Value::Array(kept)) => sent
            .iter()
            .zip(kept)
            .enumerate()
            .find_map(|(i, (s, k))| dropped(s, k, &format!("{at}[{i}]"))),
        _ => None,
    }
}

/// Refuses the first key of `body` (an object) not in `applied`, prefixed by `at` (`products[0]`).
pub(crate) fn known_keys(body: &Value, applied: &[&str], at: &str) -> Result<(), Refusal> {
    let Some(obj) = body.as_object() else {
        let name = if at.is_empty() { "body" } else { at };
        return Err(Refusal::new(name, "must be an object"));
    };
    match obj.keys().find(|k| !applied.contains(&k.as_str())) {
        Some(k) if at.is_empty() => Err(Refusal::unsupported(k)),
        Some(k) => Err(Refusal::unsupported(&format!("{at}.{k}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn an_unknown_parameter_is_refused_by_name() {
        let q = pairs(&[("page", "1"), ("cart_id", "x")]);
        let err = Params::strict(&q, &["page"]).err();
        assert_eq!(err.map(|e| e.name), Some("cart_id".to_owned()));
    }

    #[test]
    fn a_value_that_does_not_parse_is_refused_by_name() {
        let q = pairs(&[("min_id", "ten")]);
        let p = Params::strict(&q, &["min_id"]).ok();
        let err = p.map(|p| p.int("min_id"));
        assert!(matches!(err, Some(Err(Refusal { ref name, .. })) if name == "min_id"));
    }

    #[derive(serde::Deserialize, Serialize)]
    struct Line {
        sku: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        qty: Option<i64>,
    }

    #[test]
    fn a_body_field_the_model_does_not_carry_is_refused_by_path() {
        let ok: Result<Vec<Line>, _> = modelled(&json!([{"sku": "A", "qty": null}]));
        assert!(ok.is_ok());
        let err = modelled::<Vec<Line>>(&json!([{"sku": "A"}, {"sku": "B", "colour": "red"}]));
        assert_eq!(err.err().map(|e| e.name), Some("[1].colour".to_owned()));
    }

    #[test]
    fn sparse_fieldsets_keep_the_id() {
        let q = pairs(&[("include_fields", "sku")]);
        let Ok(p) = Params::strict(&q, &["include_fields"]) else {
            panic!("allowed");
        };
        let mut items = vec![json!({"id": 1, "sku": "A", "price": 2.0})];
        p.sparse(&mut items);
        assert_eq!(items[0], json!({"id": 1, "sku": "A"}));
    }
}
