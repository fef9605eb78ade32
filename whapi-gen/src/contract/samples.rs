//! Values the normalized spec accepts, for the cases: the spec's examples
//! where it has them, else made to fit the schema.

use serde_json::{json, Map, Value};

use crate::walk::{deref, object_fields};
use crate::GenError;

/// Which fields of an object a sample fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fields {
    /// The required ones.
    Required,
    /// Every one.
    All,
}

/// A value `schema` accepts, with the `fields` asked for.
pub(crate) fn sample_with(
    spec: &Value,
    schema: &Value,
    at: &str,
    depth: usize,
    fields: Fields,
) -> Result<Value, GenError> {
    // `required` beside a `$ref` adds to the target's.
    let extra_required: Vec<Value> = match (
        schema.get("$ref"),
        schema.get("required").and_then(Value::as_array),
    ) {
        (Some(_), Some(required)) => required.clone(),
        _ => Vec::new(),
    };
    let resolved = deref(spec, schema);
    let merged_schema;
    let schema = if extra_required.is_empty() {
        resolved
    } else {
        let mut copy = resolved.clone();
        let list = copy
            .as_object_mut()
            .map(|o| o.entry("required").or_insert_with(|| json!([])));
        if let Some(Value::Array(list)) = list {
            list.extend(extra_required);
        }
        merged_schema = copy;
        &merged_schema
    };
    if depth > 12 {
        return Ok(Value::Null);
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return Ok(first.clone());
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(arm) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return sample_with(spec, arm, at, depth + 1, fields);
        }
    }
    let all_of = schema.get("allOf").and_then(Value::as_array);
    // A lone `allOf` arm with nothing beside it but words is that arm (a
    // `$ref` given a description of its own).
    if let Some([only]) = all_of.map(Vec::as_slice) {
        if schema.get("type").is_none() && schema.get("properties").is_none() {
            return sample_with(spec, only, at, depth + 1, fields);
        }
    }
    let kind = schema.get("type").and_then(Value::as_str).unwrap_or(
        if all_of.is_some() || schema.get("properties").is_some() {
            "object"
        } else {
            "string"
        },
    );
    Ok(match kind {
        "string" => match schema.get("pattern").and_then(Value::as_str) {
            Some(pattern) => {
                let found =
                    crate::normalize::sample_for(pattern).ok_or_else(|| GenError::Unhandled {
                        rule: "contract",
                        at: at.to_string(),
                        what: format!("no sample for the pattern `{pattern}`"),
                    })?;
                json!(found)
            }
            // The spec's own example, where it has one (the examples that
            // break their schemas were dropped by normalization).
            None if schema
                .get("example")
                .is_some_and(|e| e.as_str().is_some_and(|s| !s.is_empty())) =>
            {
                schema["example"].clone()
            }
            None => match schema.get("format").and_then(Value::as_str) {
                Some("ipv4") => json!("127.0.0.1"),
                Some("date-time") => json!("2026-01-01T00:00:00Z"),
                Some("uri") | Some("url") => json!("https://example.com/file.jpg"),
                _ => {
                    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(1) as usize;
                    json!("x".repeat(min.max(4)))
                }
            },
        },
        "integer" | "number" => {
            let min = schema
                .get("minimum")
                .and_then(Value::as_f64)
                .unwrap_or(1.0)
                .max(1.0);
            let value = schema
                .get("maximum")
                .and_then(Value::as_f64)
                .map_or(min, |max| min.min(max));
            json!(value as i64)
        }
        "boolean" => json!(true),
        "array" => {
            let item = sample_with(
                spec,
                schema.get("items").unwrap_or(&Value::Null),
                at,
                depth + 1,
                fields,
            )?;
            let count = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            let items: Vec<Value> = (0..count)
                .map(|i| match &item {
                    Value::String(s) if count > 1 => json!(format!("{s}{i}")),
                    other => other.clone(),
                })
                .collect();
            Value::Array(items)
        }
        _ => {
            let (props, required) = object_fields(spec, schema, false);
            let names: Vec<String> = match fields {
                Fields::Required => required,
                Fields::All => props.keys().cloned().collect(),
            };
            let mut object = Map::new();
            for name in names {
                if let Some(field) = props.get(&name) {
                    let value =
                        sample_with(spec, field, &format!("{at}/{name}"), depth + 1, fields)?;
                    object.insert(name.clone(), value);
                }
            }
            Value::Object(object)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        json!({"type": "object", "required": ["to"], "properties": {
            "to": {"type": "string", "example": "15550100000"},
            "view_once": {"type": "boolean"},
            "quoted": {"type": "object", "properties": {"id": {"type": "integer", "minimum": 3}}}
        }})
    }

    #[test]
    fn samples_fill_the_required_fields_or_every_field() {
        let required = sample_with(&json!({}), &schema(), "/", 0, Fields::Required).unwrap();
        let all = sample_with(&json!({}), &schema(), "/", 0, Fields::All).unwrap();
        assert_eq!(required, json!({"to": "15550100000"}));
        assert_eq!(
            all,
            json!({"to": "15550100000", "view_once": true, "quoted": {"id": 3}})
        );
    }

    #[test]
    fn a_reference_with_a_description_of_its_own_samples_its_target() {
        let spec =
            json!({"components": {"schemas": {"ChatID": {"type": "string", "example": "1@g.us"}}}});
        let to =
            json!({"allOf": [{"$ref": "#/components/schemas/ChatID"}], "description": "A chat"});
        assert_eq!(
            sample_with(&spec, &to, "/", 0, Fields::All).unwrap(),
            json!("1@g.us")
        );
    }
}
