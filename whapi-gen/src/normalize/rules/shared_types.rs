//! `shared_inline_types`

use std::collections::BTreeSet;

use serde_json::Value;

use super::{hoist, pascal, Phase, Rule};
use crate::walk::{escape, for_each_object_mut};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "shared_inline_types",
    phase: Phase::Codegen,
    why: "typify copies the properties of every `allOf` part into the merged type, and gives each \
copied inline schema that needs a Rust type of its own (a pattern, an enum, a union, an object) a \
new name: `Sender.to` became `SenderTextTo`, `SenderImageTo` and 30 more identical newtypes, each \
with its own validation code. Such a property of a schema used as an `allOf` part moves into a \
component of its own (`SenderTo`, `MentionsMentionsItem`), so every merged type shares one Rust \
type. The schema is unchanged; only where it is declared moves.",
    apply: shared_inline_types,
};

/// Whether typify gives this inline schema a named type of its own.
fn needs_own_type(schema: &Value) -> bool {
    schema.get("$ref").is_none()
        && (schema.get("pattern").is_some()
            || schema.get("enum").is_some()
            || schema.get("oneOf").is_some()
            || schema.get("anyOf").is_some()
            || schema
                .get("properties")
                .is_some_and(|p| p.as_object().is_some_and(|p| !p.is_empty())))
}

/// Names of the components that some schema uses as an `allOf` part.
fn allof_parts(spec: &mut Value) -> BTreeSet<String> {
    let mut parts = BTreeSet::new();
    for_each_object_mut(spec, &mut |_, map| {
        for part in map
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = part
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                parts.insert(name.to_string());
            }
        }
    });
    parts
}

/// Hoists the type-worthy inline properties of `allOf` parts into components.
fn shared_inline_types(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for component in allof_parts(spec) {
        let props_pointer = format!("/components/schemas/{}/properties", escape(&component));
        let Some(props) = spec
            .pointer(&props_pointer)
            .and_then(Value::as_object)
            .cloned()
        else {
            continue;
        };
        for (prop, schema) in props {
            let (target, name) = if needs_own_type(&schema) {
                (
                    format!("{props_pointer}/{}", escape(&prop)),
                    pascal(&[&component, &prop]),
                )
            } else if schema.get("items").is_some_and(needs_own_type) {
                (
                    format!("{props_pointer}/{}/items", escape(&prop)),
                    pascal(&[&component, &prop, "item"]),
                )
            } else {
                continue;
            };
            places.extend(hoist(spec, RULE.name, &[target], &name)?);
        }
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hoists_type_worthy_properties_of_allof_parts() {
        let mut spec = json!({"components": {"schemas": {
            "Sender": {"type": "object", "properties": {
                "to": {"type": "string", "pattern": "^\\d+$"},
                "plain": {"type": "string"},
                "mentions": {"type": "array", "items": {"type": "string", "pattern": "^\\d+$"}}}},
            "SenderText": {"allOf": [{"$ref": "#/components/schemas/Sender"}, {"properties": {"body": {"type": "string"}}}]},
            "Lonely": {"type": "object", "properties": {"to": {"type": "string", "pattern": "x"}}}}}});
        let places = shared_inline_types(&mut spec).unwrap();
        assert_eq!(places.len(), 2, "{places:?}");
        let schemas = &spec["components"]["schemas"];
        assert_eq!(
            schemas["Sender"]["properties"]["to"],
            json!({"$ref": "#/components/schemas/SenderTo"})
        );
        assert_eq!(
            schemas["SenderTo"],
            json!({"type": "string", "pattern": "^\\d+$"})
        );
        assert_eq!(
            schemas["Sender"]["properties"]["mentions"]["items"],
            json!({"$ref": "#/components/schemas/SenderMentionsItem"})
        );
        assert_eq!(
            schemas["Sender"]["properties"]["plain"],
            json!({"type": "string"})
        );
        assert_eq!(
            schemas["Lonely"]["properties"]["to"]["pattern"], "x",
            "not an allOf part: typify names it once"
        );
    }

    #[test]
    fn a_taken_name_is_an_error() {
        let mut spec = json!({"components": {"schemas": {
            "A": {"properties": {"b": {"enum": ["x"]}}},
            "AB": {"type": "string"},
            "C": {"allOf": [{"$ref": "#/components/schemas/A"}]}}}});
        assert!(shared_inline_types(&mut spec)
            .unwrap_err()
            .to_string()
            .contains("`AB` is taken"));
    }
}
