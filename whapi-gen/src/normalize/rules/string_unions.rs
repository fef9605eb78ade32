//! `string_unions_as_string`

use serde_json::{json, Value};

use super::{Phase, Rule};
use crate::walk::{deref, for_each_object_mut};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "string_unions_as_string",
    phase: Phase::Spec,
    why: "Some `oneOf`/`anyOf` unions have only plain-string arms (`SendMedia.media`: a file, a \
URL, base64 data or a media id, all strings). Every string matches several arms, so a `oneOf` \
validator rejects every media send, and an untagged enum always decodes the first arm. Such a \
union is the string it is: it becomes `type: string`, and the description lists what the string \
may hold (and `x-whapi-one-of` the arms' schema names, so that a contact-or-chat id is still an id \
to the generator).",
    apply: string_unions_as_string,
};

/// Where a collapsed union of named schemas keeps their names.
pub(crate) const ONE_OF: &str = "x-whapi-one-of";

/// The arm's description, or its schema name.
fn arm_label(spec: &Value, arm: &Value) -> String {
    let name = arm
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next());
    let target = deref(spec, arm);
    let text = target
        .get("description")
        .or_else(|| target.get("title"))
        .and_then(Value::as_str);
    match (name, text) {
        (Some(n), Some(t)) => format!("`{n}`: {}", t.trim()),
        (Some(n), None) => format!("`{n}`"),
        (None, Some(t)) => t.trim().to_string(),
        (None, None) => "a string".into(),
    }
}

/// A string without an enum. A `format: binary` arm counts: in JSON it is a
/// string too (only a multipart form sends it as a file part).
fn is_plain_string(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string") && schema.get("enum").is_none()
}

/// Collapses unions whose arms are all plain strings into one string.
fn string_unions_as_string(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let root = spec.clone();
    let mut places = Vec::new();
    for_each_object_mut(spec, &mut |pointer, map| {
        for key in ["oneOf", "anyOf"] {
            let Some(arms) = map.get(key).and_then(Value::as_array) else {
                continue;
            };
            if arms.is_empty() || !arms.iter().all(|a| is_plain_string(deref(&root, a))) {
                continue;
            }
            let kinds: Vec<String> = arms
                .iter()
                .map(|a| format!("- {}", arm_label(&root, a)))
                .collect();
            let mut text = map
                .get("description")
                .and_then(Value::as_str)
                .map(|d| format!("{}\n\n", d.trim_end()))
                .unwrap_or_default();
            text.push_str(&format!("One of:\n{}", kinds.join("\n")));
            // The arms' names stay readable to the generator (an id that
            // is a contact or a chat is still an id).
            let names: Vec<&str> = arms
                .iter()
                .filter_map(|a| a.get("$ref").and_then(Value::as_str))
                .filter_map(|r| r.rsplit('/').next())
                .collect();
            if names.len() == arms.len() {
                map.insert(ONE_OF.into(), json!(names));
            }
            map.shift_remove(key);
            map.insert("type".into(), json!("string"));
            map.insert("description".into(), json!(text));
            places.push(format!("{pointer}: {key} of {} strings", kinds.len()));
        }
    });
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_unions_of_plain_strings() {
        let mut spec = json!({"components": {"schemas": {
            "Url": {"type": "string", "description": "A URL"},
            "Id": {"type": "string", "pattern": "^x"},
            "SendMedia": {"type": "object", "properties": {"media": {"oneOf": [
                {"$ref": "#/components/schemas/Url"}, {"$ref": "#/components/schemas/Id"}]}}}}}});
        let places = string_unions_as_string(&mut spec).unwrap();
        assert_eq!(
            places,
            ["/components/schemas/SendMedia/properties/media: oneOf of 2 strings"]
        );
        let media = &spec["components"]["schemas"]["SendMedia"]["properties"]["media"];
        assert_eq!(media["type"], "string");
        assert!(media.get("oneOf").is_none());
        assert_eq!(media["description"], "One of:\n- `Url`: A URL\n- `Id`");
        assert_eq!(media[ONE_OF], json!(["Url", "Id"]), "the arms' names stay");
    }

    #[test]
    fn keeps_unions_with_an_object_arm() {
        let mut spec = json!({"oneOf": [{"type": "string"}, {"type": "object"}]});
        assert!(string_unions_as_string(&mut spec).unwrap().is_empty());
        assert!(spec.get("oneOf").is_some());
    }
}
