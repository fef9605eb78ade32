//! `integer_query_params`

use serde_json::{json, Value};

use super::{parameter_pointers, Phase, Rule};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "integer_query_params",
    phase: Phase::Spec,
    why: "Query parameters such as `count`, `offset`, `time_from`, `before`, `size` are typed \
`number`, so they become `f64` and go on the wire as `count=100.0`. Every one of them counts \
items, pixels or seconds: each query parameter typed `number` becomes `integer` (`int64`).",
    apply: integer_query_params,
};

/// Types every `number` query parameter as `integer`.
fn integer_query_params(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let uses = reference_counts(spec);
    let mut places = Vec::new();
    for pointer in parameter_pointers(spec) {
        let Some(param) = spec.pointer_mut(&pointer) else {
            continue;
        };
        if param.get("in").and_then(Value::as_str) != Some("query") {
            continue;
        }
        let Some(schema) = param.get_mut("schema").and_then(Value::as_object_mut) else {
            continue;
        };
        if schema.get("type").and_then(Value::as_str) == Some("number") {
            schema.insert("type".into(), json!("integer"));
            schema.insert("format".into(), json!("int64"));
            let used = uses.get(&pointer).copied().unwrap_or(1);
            places.push(format!("{pointer} (used by {used} operation(s))"));
        }
    }
    Ok(places)
}

/// How many operations use each component parameter.
fn reference_counts(spec: &Value) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for op in crate::walk::operations(spec) {
        let params = spec
            .pointer(&format!("{}/parameters", op.pointer))
            .and_then(Value::as_array);
        for r in params
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("$ref").and_then(Value::as_str))
        {
            *counts
                .entry(r.trim_start_matches('#').to_string())
                .or_insert(0) += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_query_params_become_integers() {
        let mut spec = json!({
            "components": {"parameters": {
                "count": {"in": "query", "name": "count", "schema": {"type": "number", "minimum": 1}},
                "id": {"in": "path", "name": "id", "schema": {"type": "number"}}}},
            "paths": {"/x": {"get": {"parameters": [
                {"in": "query", "name": "width", "schema": {"type": "number"}},
                {"$ref": "#/components/parameters/count"}]}}}});
        let places = integer_query_params(&mut spec).unwrap();
        assert_eq!(
            places,
            [
                "/components/parameters/count (used by 1 operation(s))",
                "/paths/~1x/get/parameters/0 (used by 1 operation(s))"
            ]
        );
        assert_eq!(
            spec["components"]["parameters"]["count"]["schema"],
            json!({"type": "integer", "format": "int64", "minimum": 1})
        );
        assert_eq!(
            spec["components"]["parameters"]["id"]["schema"]["type"],
            "number"
        );
    }
}
