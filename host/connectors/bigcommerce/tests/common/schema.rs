//! OpenAPI 3.0 documents as JSON Schema: YAML to JSON, local `$ref`s inlined, `nullable`
//! translated, and a draft-4 validator that reports every problem.

use std::path::Path;

use jsonschema::Draft;
use serde_json::{Map, Value};

fn yaml_to_json(v: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64().map_or(Value::Null, Value::from)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => format!("{other:?}"),
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

pub fn read_yaml(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let y: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(yaml_to_json(y))
}

fn pointer<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}

/// Inlines local `$ref`s (a cycle becomes `{}`, i.e. anything) and maps OpenAPI 3.0 onto
/// JSON Schema draft 4: `nullable` adds `null`; empty `required` lists are dropped.
pub fn to_json_schema(root: &Value, node: &Value, stack: &mut Vec<String>) -> Value {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                if stack.contains(r) || stack.len() > 40 {
                    return Value::Object(Map::new());
                }
                let Some(target) = pointer(root, r) else {
                    return Value::Object(Map::new());
                };
                stack.push(r.clone());
                let out = to_json_schema(root, target, stack);
                stack.pop();
                return out;
            }
            let mut out = Map::new();
            for (k, v) in map {
                match k.as_str() {
                    "example" | "examples" | "x-examples" | "discriminator" | "xml"
                    | "externalDocs" => {}
                    "required" if v.as_array().is_some_and(Vec::is_empty) => {}
                    // Property names are data, not schemas: keep them, convert their schemas.
                    "properties" | "patternProperties" => {
                        let props = v
                            .as_object()
                            .map(|m| {
                                m.iter()
                                    .map(|(n, s)| (n.clone(), to_json_schema(root, s, stack)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        out.insert(k.clone(), Value::Object(props));
                    }
                    _ => {
                        out.insert(k.clone(), to_json_schema(root, v, stack));
                    }
                }
            }
            if out.remove("nullable") == Some(Value::Bool(true)) {
                match out.get("type").cloned() {
                    Some(Value::String(t)) => {
                        out.insert(
                            "type".into(),
                            Value::Array(vec![Value::String(t), Value::String("null".into())]),
                        );
                        if let Some(Value::Array(e)) = out.get_mut("enum") {
                            e.push(Value::Null);
                        }
                    }
                    _ => {
                        return serde_json::json!({"anyOf": [Value::Object(out), {"type": "null"}]});
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| to_json_schema(root, i, stack))
                .collect(),
        ),
        other => other.clone(),
    }
}

pub fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = match jsonschema::options()
        .with_draft(Draft::Draft4)
        .build(schema)
    {
        Ok(v) => v,
        Err(e) => return vec![format!("schema does not compile: {e}")],
    };
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at `{}`", e, e.instance_path()))
        .take(10)
        .collect()
}
