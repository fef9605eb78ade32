//! `response_copies_of_shared_types`

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
required coordinates, `GET /settings` answers a `Settings` whose webhook \
modes and event types are closed enums, and one value off the spec fails the whole answer. Each \
such schema gets a copy for responses, named with `Received` (`SettingsReceived`), which every \
response refers to instead; the lenient rules then treat the copy as response-only. Requests \
keep the strict original.",
    apply: response_copies_of_shared_types,
};

/// The name of the response copy of `name`.
fn copy_name(name: &str) -> String {
    format!("{name}Received")
}

/// Whether a schema is a plain string the lenient rules would not change
/// (an id with a pattern, say): copying it would only add a type.
fn plain_string(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && schema.get("enum").is_none()
        && schema.get("format").is_none()
}

/// Copies the schemas that requests and responses share, and points the
/// responses at the copies.
fn response_copies_of_shared_types(spec: &mut Value) -> Result<Vec<String>, GenError> {
    const SCHEMAS: &str = "/components/schemas/";
    let reach = reach(spec);
    let copied: Vec<String> = reach
        .from_responses
        .intersection(&reach.from_requests)
        .filter_map(|p| p.strip_prefix(SCHEMAS))
        .filter(|name| !name.contains('/'))
        .filter(|name| {
            spec.pointer(&format!("{SCHEMAS}{name}"))
                .is_some_and(|s| !plain_string(s))
        })
        .map(|name| name.replace("~1", "/").replace("~0", "~"))
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
    fn a_taken_copy_name_is_an_error() {
        let mut spec = spec();
        spec["components"]["schemas"]["ModeReceived"] = json!({"type": "string"});
        let error = response_copies_of_shared_types(&mut spec)
            .unwrap_err()
            .to_string();
        assert!(error.contains("ModeReceived"), "{error}");
    }
}
