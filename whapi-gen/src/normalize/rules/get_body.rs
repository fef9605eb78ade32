//! `no_get_body`

use serde_json::Value;

use super::{Phase, Rule};
use crate::walk::{deref, operations};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "no_get_body",
    phase: Phase::Codegen,
    why: "`getChannelSettings` is a GET with an optional request body of `type: object` and no \
properties. A GET body has no defined meaning (RFC 9110) and progenitor turns it into a required \
argument, so the call could not be made without inventing one. An optional GET body with no \
declared fields is removed; one with fields would be an error, since removing it would lose them.",
    apply: no_get_body,
};

/// `{type: object}` and nothing that could hold a field.
fn is_empty_object(schema: &Value) -> bool {
    let Some(map) = schema.as_object() else {
        return false;
    };
    let documentation = [
        "type",
        "title",
        "description",
        "example",
        "examples",
        "nullable",
        "additionalProperties",
    ];
    map.get("type").and_then(Value::as_str) == Some("object")
        && map.keys().all(|k| documentation.contains(&k.as_str()))
        && map
            .get("additionalProperties")
            .is_none_or(|a| a == &Value::Bool(true) || a == &Value::Bool(false))
}

/// Removes optional, field-less request bodies from GET operations.
fn no_get_body(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for op in operations(spec).into_iter().filter(|op| op.method == "get") {
        let pointer = format!("{}/requestBody", op.pointer);
        let Some(body) = spec.pointer(&pointer) else {
            continue;
        };
        let body = deref(spec, body);
        let required = body
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let has_fields = body
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|c| c.values())
            .filter_map(|media| media.get("schema"))
            .any(|schema| !is_empty_object(deref(spec, schema)));
        if required || has_fields {
            return Err(GenError::Unhandled {
                rule: RULE.name,
                at: pointer,
                what: "a GET body that is required or declares fields".into(),
            });
        }
        if let Some(op) = spec.pointer_mut(&op.pointer).and_then(Value::as_object_mut) {
            op.remove("requestBody");
        }
        places.push(pointer);
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removes_an_optional_empty_get_body() {
        let mut spec = json!({"paths": {"/settings": {
            "get": {"requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object"}}}}},
            "patch": {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}}}});
        assert_eq!(
            no_get_body(&mut spec).unwrap(),
            ["/paths/~1settings/get/requestBody"]
        );
        assert!(spec.pointer("/paths/~1settings/get/requestBody").is_none());
        assert!(spec
            .pointer("/paths/~1settings/patch/requestBody")
            .is_some());
    }

    #[test]
    fn refuses_a_get_body_that_may_hold_fields() {
        for schema in [
            json!({"type": "object", "allOf": [{"type": "object"}]}),
            json!({"type": "array", "items": {}}),
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
        ] {
            let mut spec = json!({"paths": {"/x": {"get": {"requestBody": {"content": {"application/json": {"schema": schema}}}}}}});
            assert!(no_get_body(&mut spec).is_err(), "{schema}");
        }
    }

    #[test]
    fn refuses_a_get_body_with_fields() {
        let mut spec = json!({"paths": {"/x": {"get": {"requestBody": {"content": {
            "application/json": {"schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}}}}}});
        assert!(no_get_body(&mut spec).is_err());
    }
}
