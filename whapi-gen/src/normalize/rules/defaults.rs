//! `server_side_defaults`

use serde_json::Value;

use super::note;
use crate::normalize::{conform::violation, Phase, Rule};
use crate::walk::for_each_object_mut;
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "server_side_defaults",
    phase: Phase::Spec,
    why: "Defaults in the spec describe what the server assumes when a field is absent. \
progenitor rejects a default that does not fit its own schema (`MessageSource` defaults to `text`, \
which is not in its enum; `Webhook.events` defaults to type `message`, not `messages`), and it \
always sends fields that have a default, so `PATCH /settings` would reset `offline_mode` and \
`full_history` to `false` on every call. Each default moves into the field's description; the \
server keeps applying it. Places that did not conform are marked.",
    apply: server_side_defaults,
};

/// Moves every schema `default` into the description, and marks the ones that
/// do not conform to their own schema.
fn server_side_defaults(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let root = spec.clone();
    let mut places = Vec::new();
    for_each_object_mut(spec, &mut |pointer, map| {
        let is_schema = ["type", "$ref", "enum", "allOf", "oneOf", "anyOf"]
            .iter()
            .any(|k| map.contains_key(*k));
        if !is_schema {
            return;
        }
        let Some(default) = map.remove("default") else {
            return;
        };
        let schema = Value::Object(map.clone());
        let place = match violation(&root, &schema, &default) {
            Some(why) => format!("{pointer}: {default} (did not conform: {why})"),
            None => format!("{pointer}: {default}"),
        };
        note(map, &format!("Server default: `{default}`."));
        places.push(place);
    });
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn moves_defaults_to_docs_and_marks_nonconforming_ones() {
        let mut spec = json!({"components": {"schemas": {
            "Source": {"type": "string", "enum": ["web", "api"], "default": "text"},
            "Settings": {"type": "object", "properties": {
                "offline_mode": {"type": "boolean", "default": false, "description": "Offline."}}}}}});
        let places = server_side_defaults(&mut spec).unwrap();
        assert_eq!(places.len(), 2);
        assert!(places
            .iter()
            .any(|p| p.starts_with("/components/schemas/Source: \"text\" (did not conform")));
        assert!(places
            .contains(&"/components/schemas/Settings/properties/offline_mode: false".to_string()));
        let field = &spec["components"]["schemas"]["Settings"]["properties"]["offline_mode"];
        assert_eq!(field.get("default"), None);
        assert_eq!(field["description"], "Offline.\n\nServer default: `false`.");
    }

    #[test]
    fn leaves_example_values_alone() {
        let mut spec = json!({"type": "object", "example": {"type": "x", "default": 1}});
        assert!(server_side_defaults(&mut spec).unwrap().is_empty());
        assert_eq!(spec["example"]["default"], 1);
    }
}
