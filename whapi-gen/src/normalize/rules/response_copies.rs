//! `response_copies_of_shared_types`

use std::collections::BTreeSet;

use serde_json::Value;

use super::lenient_responses::reach;
use super::{Phase, Rule};
use crate::walk::{escape, for_each_object_mut};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "response_copies_of_shared_types",
    phase: Phase::Codegen,
    why: "The lenient response rules (`optional_response_fields`, `open_response_enums`, …) \
leave alone the schemas that requests use too, so that what the client sends stays strict. But \
those schemas come back in responses: a `Message`'s `location` is a `MessageContentLocation` with \
required coordinates, `GET /settings` answers a `Settings` whose webhook modes and event types \
are closed enums, and one value off the spec fails the whole answer. Each shared schema the \
lenient rules would change (a required field, an enum, a format, a union), or that refers to \
one, gets a copy for responses named with `Received` (`SettingsReceived`), which responses refer \
to instead; the lenient rules then treat the copy as response-only. Requests keep the strict \
original; shared schemas the lenient rules would not change stay shared.",
    apply: response_copies_of_shared_types,
};

/// The name of the response copy of `name`.
fn copy_name(name: &str) -> String {
    format!("{name}Received")
}

/// Whether the lenient rules would change a schema itself (its own
/// subtree, `$ref`s not followed): a required field, an enum, a string
/// format, a union.
fn strict_itself(schema: &Value) -> bool {
    match schema {
        Value::Object(map) => map.iter().any(|(key, value)| match key.as_str() {
            "example" | "examples" => false,
            "required" => value.as_array().is_some_and(|r| !r.is_empty()),
            "enum" | "oneOf" | "anyOf" => true,
            "format" => value.as_str() != Some("binary"),
            _ => strict_itself(value),
        }),
        Value::Array(items) => items.iter().any(strict_itself),
        _ => false,
    }
}

/// The component schemas a schema refers to directly, by pointer.
fn direct_refs(schema: &Value, out: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                out.extend(r.strip_prefix('#').map(str::to_string));
            }
            map.iter()
                .filter(|(key, _)| *key != "example" && *key != "examples")
                .for_each(|(_, value)| direct_refs(value, out));
        }
        Value::Array(items) => items.iter().for_each(|v| direct_refs(v, out)),
        _ => {}
    }
}

/// The shared schemas that need a lenient copy: those the lenient rules
/// would change, and those that refer to one (a copy must refer to copies).
fn needing_copies(spec: &Value, shared: &BTreeSet<String>) -> BTreeSet<String> {
    let schema = |pointer: &str| spec.pointer(pointer).unwrap_or(&Value::Null);
    let mut needed: BTreeSet<String> = shared
        .iter()
        .filter(|p| strict_itself(schema(p)))
        .cloned()
        .collect();
    loop {
        let more: Vec<String> = shared
            .difference(&needed)
            .filter(|p| {
                let mut refs = BTreeSet::new();
                direct_refs(schema(p), &mut refs);
                !refs.is_disjoint(&needed)
            })
            .cloned()
            .collect();
        if more.is_empty() {
            return needed;
        }
        needed.extend(more);
    }
}

/// Copies the schemas that requests and responses share, and points the
/// responses at the copies.
fn response_copies_of_shared_types(spec: &mut Value) -> Result<Vec<String>, GenError> {
    const SCHEMAS: &str = "/components/schemas/";
    let reach = reach(spec);
    let shared: BTreeSet<String> = reach
        .from_responses
        .intersection(&reach.from_requests)
        .filter(|p| p.starts_with(SCHEMAS))
        .cloned()
        .collect();
    // A reference into part of a schema cannot be pointed at a copy.
    if let Some(deep) = shared.iter().find(|p| p[SCHEMAS.len()..].contains('/')) {
        return Err(GenError::Unhandled {
            rule: RULE.name,
            at: deep.clone(),
            what: "requests and responses share a reference into part of a schema".into(),
        });
    }
    let copied: Vec<String> = needing_copies(spec, &shared)
        .iter()
        .map(|p| p[SCHEMAS.len()..].replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(Vec::new());
    };
    let mut places = Vec::new();
    for name in &copied {
        let copy = copy_name(name);
        if schemas.contains_key(&copy) {
            return Err(GenError::Unhandled {
                rule: RULE.name,
                at: format!("{SCHEMAS}{}", escape(&copy)),
                what: format!("the response copy of `{name}` would take the name of a schema"),
            });
        }
        let original = schemas[name].clone();
        schemas.insert(copy.clone(), original);
        places.push(format!("{SCHEMAS}{}: {name} -> {copy}", escape(name)));
    }
    // Everything only responses use, and the copies, refer to the copies.
    let mut roots = reach.response_roots;
    roots.extend(
        reach
            .from_responses
            .difference(&reach.from_requests)
            .filter(|p| p.starts_with(SCHEMAS))
            .cloned(),
    );
    roots.extend(
        copied
            .iter()
            .map(|n| format!("{SCHEMAS}{}", escape(&copy_name(n)))),
    );
    let targets: Vec<(String, String)> = copied
        .iter()
        .map(|n| {
            (
                format!("#{SCHEMAS}{}", escape(n)),
                format!("#{SCHEMAS}{}", escape(&copy_name(n))),
            )
        })
        .collect();
    for root in roots {
        if let Some(value) = spec.pointer_mut(&root) {
            for_each_object_mut(value, &mut |_, map| {
                let Some(Value::String(r)) = map.get_mut("$ref") else {
                    return;
                };
                if let Some((_, to)) = targets.iter().find(|(from, _)| from == r) {
                    *r = to.clone();
                }
            });
        }
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "paths": {"/settings": {
                "get": {"responses": {"200": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Settings"}}}}}},
                "patch": {
                    "requestBody": {"content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Settings"}}}},
                    "responses": {"200": {"content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Answer"}}}}}}}},
            "components": {"schemas": {
                "Settings": {"type": "object", "required": ["mode"], "properties": {
                    "mode": {"$ref": "#/components/schemas/Mode"},
                    "id": {"$ref": "#/components/schemas/Id"}}},
                "Mode": {"type": "string", "enum": ["body", "path"]},
                "Id": {"type": "string", "pattern": "^[0-9]+$"},
                "Answer": {"type": "object", "properties": {
                    "settings": {"$ref": "#/components/schemas/Settings"}}}}}
        })
    }

    #[test]
    fn responses_get_copies_and_requests_keep_the_originals() {
        let mut spec = spec();
        let places = response_copies_of_shared_types(&mut spec).unwrap();
        assert_eq!(places.len(), 2, "{places:?}");
        let at = |p: &str| spec.pointer(p).cloned().unwrap_or_default();
        let get = "/paths/~1settings/get/responses/200/content/application~1json/schema/$ref";
        assert_eq!(at(get), "#/components/schemas/SettingsReceived");
        let body = "/paths/~1settings/patch/requestBody/content/application~1json/schema/$ref";
        assert_eq!(at(body), "#/components/schemas/Settings");
        // A response-only schema refers to the copy; the copy to copies.
        assert_eq!(
            at("/components/schemas/Answer/properties/settings/$ref"),
            "#/components/schemas/SettingsReceived"
        );
        assert_eq!(
            at("/components/schemas/SettingsReceived/properties/mode/$ref"),
            "#/components/schemas/ModeReceived"
        );
        // The original still refers to originals; plain strings are shared.
        assert_eq!(
            at("/components/schemas/Settings/properties/mode/$ref"),
            "#/components/schemas/Mode"
        );
        assert_eq!(
            at("/components/schemas/SettingsReceived/properties/id/$ref"),
            "#/components/schemas/Id"
        );
    }

    #[test]
    fn only_what_leniency_changes_is_copied_and_component_responses_follow() {
        let mut spec = spec();
        // A shared object with nothing to loosen stays one type.
        spec["components"]["schemas"]["Size"] =
            json!({"type": "object", "properties": {"w": {"type": "integer"}}});
        spec["components"]["schemas"]["Settings"]["properties"]["size"] =
            json!({"$ref": "#/components/schemas/Size"});
        spec["components"]["responses"] = json!({"Saved": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Settings"}}}}});
        spec["paths"]["/saved"] = json!({"get": {"responses": {"200": {
            "$ref": "#/components/responses/Saved"}}}});
        response_copies_of_shared_types(&mut spec).unwrap();
        let schemas = &spec["components"]["schemas"];
        assert!(schemas.get("SizeReceived").is_none());
        assert_eq!(
            schemas["SettingsReceived"]["properties"]["size"]["$ref"],
            "#/components/schemas/Size"
        );
        assert_eq!(
            spec.pointer("/components/responses/Saved/content/application~1json/schema/$ref"),
            Some(&json!("#/components/schemas/SettingsReceived"))
        );
    }

    #[test]
    fn a_shared_reference_into_part_of_a_schema_is_an_error() {
        let mut spec = spec();
        spec["components"]["schemas"]["Answer"]["properties"]["mode"] =
            json!({"$ref": "#/components/schemas/Settings/properties/mode"});
        spec["paths"]["/settings"]["patch"]["requestBody"]["content"]["application/json"]
            ["schema"] = json!({"$ref": "#/components/schemas/Settings/properties/mode"});
        let error = response_copies_of_shared_types(&mut spec)
            .unwrap_err()
            .to_string();
        assert!(error.contains("part of a schema"), "{error}");
    }

    #[test]
    fn a_taken_copy_name_is_an_error() {
        let mut spec = spec();
        spec["components"]["schemas"]["ModeReceived"] = json!({"type": "string"});
        let error = response_copies_of_shared_types(&mut spec)
            .unwrap_err()
            .to_string();
        assert!(error.contains("ModeReceived"), "{error}");
    }
}
