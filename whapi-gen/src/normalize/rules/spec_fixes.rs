//! `no_body_for_head`, `undeclared_required`, `nonconforming_examples`,
//! `exploded_object_query_params`

use serde_json::{json, Map, Value};

use super::{note, parameter_pointers, Phase, Rule};
use crate::normalize::conform::violation;
use crate::walk::{deref, for_each_object_mut, object_fields, operations};
use crate::GenError;

pub const NO_BODY_FOR_HEAD: Rule = Rule {
    name: "no_body_for_head",
    phase: Phase::Spec,
    why: "An answer to HEAD has no body (RFC 9110 §9.3.2), yet `checkExist` (`HEAD \
/contacts/{ContactID}`) declares a JSON success body: clients would try to decode nothing. The \
content of every HEAD response is removed.",
    apply: no_body_for_head,
};

pub const UNDECLARED_REQUIRED: Rule = Rule {
    name: "undeclared_required",
    phase: Phase::Spec,
    why: "Some schemas require a property they never declare (`ResponseListParticipants` requires \
`result` but has only `success`, `failed`, `processed`), so no valid value exists and a decoder \
demands a field the service never sends. A required name that a closed object (properties, no \
`allOf`/`oneOf`/`anyOf`) does not declare is dropped.",
    apply: undeclared_required,
};

pub const NONCONFORMING_EXAMPLES: Rule = Rule {
    name: "nonconforming_examples",
    phase: Phase::Spec,
    why: "Some of the spec's examples break their own schemas (`[1234567890]` where a list of \
`ContactID` strings belongs). Mock servers answer with examples, so clients would be tested \
against data the spec forbids. An example that does not conform to its schema (type, enum, pattern, \
range, required properties) is removed; mock servers then derive one from the schema.",
    apply: nonconforming_examples,
};

pub const EXPLODED_OBJECT_QUERY: Rule = Rule {
    name: "exploded_object_query_params",
    phase: Phase::Spec,
    why: "`sendMediaMessage` declares its send parameters as one exploded object (`SendParams`: \
`SenderMedia`), which puts each field in the query (`?to=…&caption=…`). Mock servers validate \
such objects poorly (Prism looks for a `sendparams` key), and progenitor cannot serialize them. \
The object parameter becomes one query parameter per property (of its `allOf` and `oneOf` parts \
too), required where the object requires it: the same wire format, described plainly.",
    apply: exploded_object_query_params,
};

fn no_body_for_head(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for op in operations(spec)
        .into_iter()
        .filter(|op| op.method == "head")
    {
        let pointer = format!("{}/responses", op.pointer);
        let Some(responses) = spec.pointer(&pointer).and_then(Value::as_object).cloned() else {
            continue;
        };
        for (code, response) in responses {
            let resolved = deref(spec, &response).clone();
            if resolved.get("content").is_none() {
                continue;
            }
            let mut bare: Map<String, Value> = resolved.as_object().cloned().unwrap_or_default();
            bare.remove("content");
            if let Some(slot) = spec.pointer_mut(&format!("{pointer}/{code}")) {
                *slot = Value::Object(bare);
            }
            places.push(format!("{pointer}/{code}"));
        }
    }
    Ok(places)
}

fn undeclared_required(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for_each_object_mut(spec, &mut |pointer, map| {
        let open = ["allOf", "oneOf", "anyOf", "additionalProperties", "$ref"]
            .iter()
            .any(|k| map.contains_key(*k));
        let Some(props) = map.get("properties").and_then(Value::as_object) else {
            return;
        };
        if open {
            return;
        }
        let declared: Vec<String> = props.keys().cloned().collect();
        let Some(Value::Array(required)) = map.get_mut("required") else {
            return;
        };
        let before = required.len();
        let dropped: Vec<String> = required
            .iter()
            .filter_map(Value::as_str)
            .filter(|n| !declared.iter().any(|d| d == n))
            .map(String::from)
            .collect();
        required.retain(|n| n.as_str().is_some_and(|n| declared.iter().any(|d| d == n)));
        if required.len() != before {
            places.push(format!("{pointer}: {}", dropped.join(", ")));
        }
        if required.is_empty() {
            map.remove("required");
        }
    });
    Ok(places)
}

/// Why `example` does not fit `schema` — also when a required property is
/// missing from an example object.
fn example_violation(root: &Value, schema: &Value, example: &Value) -> Option<String> {
    if let Some(why) = violation(root, schema, example) {
        return Some(why);
    }
    let resolved = deref(root, schema);
    let object = example.as_object()?;
    let required = resolved.get("required").and_then(Value::as_array)?;
    required
        .iter()
        .filter_map(Value::as_str)
        .find(|name| !object.contains_key(*name))
        .map(|name| format!("required `{name}` is missing"))
}

fn nonconforming_examples(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let root = spec.clone();
    let mut places = Vec::new();
    let mut visit = |pointer: &str, map: &mut Map<String, Value>| {
        let Some(example) = map.get("example").cloned() else {
            return;
        };
        // A media type or a parameter annotates its `schema`; a schema itself.
        let schema = match map.get("schema") {
            Some(schema) => schema.clone(),
            None => {
                let mut bare = map.clone();
                bare.remove("example");
                Value::Object(bare)
            }
        };
        if let Some(why) = example_violation(&root, &schema, &example) {
            map.remove("example");
            note(
                map,
                &format!(
                    "(The spec's example was dropped: `{}`.)",
                    why.replace('`', "'")
                ),
            );
            places.push(format!("{pointer}: {why}"));
        }
    };
    walk_with_examples(spec, String::new(), &mut visit);
    Ok(places)
}

/// Visits every object holding an `example`, skipping the examples' own
/// content.
fn walk_with_examples(
    value: &mut Value,
    pointer: String,
    f: &mut dyn FnMut(&str, &mut Map<String, Value>),
) {
    match value {
        Value::Object(map) => {
            if map.contains_key("example") {
                f(&pointer, map);
            }
            for (key, child) in map.iter_mut() {
                if key != "example" && key != "examples" {
                    walk_with_examples(child, format!("{pointer}/{}", crate::walk::escape(key)), f);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                walk_with_examples(child, format!("{pointer}/{i}"), f);
            }
        }
        _ => {}
    }
}

fn exploded_object_query_params(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let root = spec.clone();
    let mut places = Vec::new();
    let mut replacements: Vec<(String, Vec<Value>)> = Vec::new();
    for pointer in parameter_pointers(spec) {
        let Some(param) = spec.pointer(&pointer) else {
            continue;
        };
        if param.get("in").and_then(Value::as_str) != Some("query")
            || param.get("explode") == Some(&Value::Bool(false))
        {
            continue;
        }
        let schema = param.get("schema").cloned().unwrap_or(Value::Null);
        let resolved = deref(&root, &schema);
        let is_object = resolved.get("type").and_then(Value::as_str) == Some("object")
            || resolved.get("allOf").is_some();
        if !is_object {
            continue;
        }
        let (props, required) = object_fields(&root, &schema, true);
        let mut params = Vec::new();
        for (name, field) in props {
            let kind = deref(&root, &field)
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("string")
                .to_string();
            if kind == "object" {
                return Err(GenError::Unhandled {
                    rule: EXPLODED_OBJECT_QUERY.name,
                    at: pointer,
                    what: format!("the object property `{name}` cannot go in a query"),
                });
            }
            let mut param = json!({"in": "query", "name": name, "schema": field});
            if required.iter().any(|r| r == &name) {
                param["required"] = json!(true);
            }
            params.push(param);
        }
        places.push(format!("{pointer}: {} query parameters", params.len()));
        replacements.push((pointer, params));
    }
    // Replace the object parameter wherever operations use it.
    for (pointer, params) in replacements {
        let reference = format!("#{pointer}");
        for op in operations(spec) {
            let list = format!("{}/parameters", op.pointer);
            let Some(items) = spec.pointer_mut(&list).and_then(Value::as_array_mut) else {
                continue;
            };
            if let Some(at) = items
                .iter()
                .position(|p| p.get("$ref").and_then(Value::as_str) == Some(reference.as_str()))
            {
                items.remove(at);
                for (offset, param) in params.iter().enumerate() {
                    items.insert(at + offset, param.clone());
                }
            }
        }
        if let Some(components) = spec
            .pointer_mut("/components/parameters")
            .and_then(Value::as_object_mut)
        {
            if let Some(name) = pointer.strip_prefix("/components/parameters/") {
                components.shift_remove(name);
            }
        }
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_of_the_normalized_spec_conforms() {
        let yaml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../spec/whapi-1.8.7.yaml"
        ))
        .expect("the vendored spec");
        let mut spec = crate::normalize(crate::load_spec(&yaml).unwrap())
            .unwrap()
            .spec;
        let left = nonconforming_examples(&mut spec).unwrap();
        assert!(
            left.is_empty(),
            "examples still breaking their schemas: {left:?}"
        );
    }

    #[test]
    fn head_responses_lose_their_body() {
        let mut spec = json!({"paths": {"/c": {"head": {"responses": {"200": {"description": "OK", "content": {"application/json": {}}}}}}}});
        assert_eq!(no_body_for_head(&mut spec).unwrap().len(), 1);
        assert!(spec
            .pointer("/paths/~1c/head/responses/200/content")
            .is_none());
    }

    #[test]
    fn undeclared_required_names_are_dropped() {
        let mut spec =
            json!({"type": "object", "properties": {"a": {}}, "required": ["a", "result"]});
        assert_eq!(undeclared_required(&mut spec).unwrap(), [": result"]);
        assert_eq!(spec["required"], json!(["a"]));
        let mut open = json!({"allOf": [{}], "properties": {"a": {}}, "required": ["b"]});
        assert!(
            undeclared_required(&mut open).unwrap().is_empty(),
            "parts may declare it"
        );
    }

    #[test]
    fn examples_that_break_their_schema_are_dropped() {
        let mut spec = json!({"components": {"schemas": {"Id": {"type": "string"}}}, "paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"type": "object", "properties": {"ids": {"type": "array", "items": {"$ref": "#/components/schemas/Id"}}}},
            "example": {"ids": [1234567890]}}}}}}}}});
        let places = nonconforming_examples(&mut spec).unwrap();
        assert_eq!(places.len(), 1, "{places:?}");
        assert!(spec
            .pointer("/paths/~1x/get/responses/200/content/application~1json/example")
            .is_none());
        let mut good = json!({"type": "string", "example": "fine"});
        assert!(nonconforming_examples(&mut good).unwrap().is_empty());
    }

    #[test]
    fn exploded_object_params_become_one_param_per_property() {
        let mut spec = json!({
            "components": {
                "parameters": {"send": {"in": "query", "name": "SendParams", "style": "form", "explode": true, "schema": {"$ref": "#/components/schemas/S"}}},
                "schemas": {"S": {"type": "object", "required": ["to"], "allOf": [
                    {"properties": {"to": {"type": "string"}}}, {"oneOf": [{"properties": {"caption": {"type": "string"}}}]}]}}},
            "paths": {"/m": {"post": {"parameters": [{"$ref": "#/components/parameters/send"}]}}}});
        let places = exploded_object_query_params(&mut spec).unwrap();
        assert_eq!(places, ["/components/parameters/send: 2 query parameters"]);
        let params = spec
            .pointer("/paths/~1m/post/parameters")
            .unwrap()
            .as_array()
            .unwrap();
        let names: Vec<&str> = params.iter().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(names, ["to", "caption"]);
        assert_eq!(params[0]["required"], true);
        assert!(spec.pointer("/components/parameters/send").is_none());
    }
}
