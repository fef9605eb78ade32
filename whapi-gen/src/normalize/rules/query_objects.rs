//! `object_query_params_as_maps`

use serde_json::{json, Value};

use super::{note, parameter_pointers, Phase, Rule};
use crate::walk::deref;
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "object_query_params_as_maps",
    phase: Phase::Codegen,
    why:
        "`sendMediaMessage` takes its send parameters (`SenderMedia`: `to`, `caption`, `mentions`, \
...) as one exploded object in the query string. progenitor serializes such an object with \
`serde_urlencoded`, which fails on any list field (a non-empty `mentions`) and on the untagged \
union the schema merges into. The client takes such a parameter as a map of query keys to string \
values (a list goes as one comma-joined value); the schema's type stays in `types` to build it \
from. The normalized spec keeps the object.",
    apply: object_query_params_as_maps,
};

/// Turns exploded object query parameters into string maps.
fn object_query_params_as_maps(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let root = spec.clone();
    let mut places = Vec::new();
    for pointer in parameter_pointers(spec) {
        let Some(param) = spec.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        if param.get("in").and_then(Value::as_str) != Some("query") {
            continue;
        }
        let Some(schema) = param.get("schema") else {
            continue;
        };
        let target = deref(&root, schema);
        let is_object = target.get("type").and_then(Value::as_str) == Some("object")
            || target.get("allOf").is_some();
        if !is_object {
            continue;
        }
        if !param
            .get("explode")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            return Err(GenError::Unhandled {
                rule: RULE.name,
                at: pointer,
                what: "a non-exploded object query parameter".into(),
            });
        }
        let name = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or("the object")
            .to_string();
        param.insert(
            "schema".into(),
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
        );
        note(
            param,
            &format!("The fields of `{name}`, each as a query key with a string value."),
        );
        places.push(format!("{pointer}: {name}"));
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exploded_object_query_params_become_string_maps() {
        let mut spec = json!({"components": {
            "schemas": {"SenderMedia": {"type": "object", "properties": {"to": {"type": "string"}}}},
            "parameters": {
                "send_params": {"in": "query", "name": "SendParams", "style": "form", "explode": true,
                                "schema": {"$ref": "#/components/schemas/SenderMedia"}},
                "count": {"in": "query", "name": "count", "schema": {"type": "integer"}}}}});
        let places = object_query_params_as_maps(&mut spec).unwrap();
        assert_eq!(places, ["/components/parameters/send_params: SenderMedia"]);
        let param = &spec["components"]["parameters"]["send_params"];
        assert_eq!(
            param["schema"],
            json!({"type": "object", "additionalProperties": {"type": "string"}})
        );
        assert_eq!(
            spec["components"]["parameters"]["count"]["schema"]["type"],
            "integer"
        );
    }
}
