//! `undeclared_message_contents`

use serde_json::{json, Value};

use super::{Phase, Rule};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "undeclared_message_contents",
    phase: Phase::Spec,
    why: "The service sends a message content that the spec's `Message` does not declare: \
`reply`, a person's press of a button or choice of a list row (messages of type `reply`; the spec \
describes its shape as `MessageContentReply`, but no message holds one). A typed decoder drops \
undeclared fields, so a bot reading answers or webhooks would never learn which button was \
pressed. It is declared on `Message` as an optional property of that shape.",
    apply: undeclared_message_contents,
};

/// The properties added to `Message`, with the component each refers to.
const CONTENTS: [(&str, &str); 1] = [("reply", "MessageContentReply")];

fn undeclared_message_contents(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let at = "/components/schemas/Message/properties";
    let unhandled = |what: String| GenError::Unhandled {
        rule: RULE.name,
        at: at.into(),
        what,
    };
    for (_, component) in CONTENTS {
        if spec
            .pointer(&format!("/components/schemas/{component}"))
            .is_none()
        {
            return Err(unhandled(format!("no component `{component}`")));
        }
    }
    let properties = spec
        .pointer_mut(at)
        .and_then(Value::as_object_mut)
        .ok_or_else(|| unhandled("`Message` has no properties".into()))?;
    let mut places = Vec::new();
    for (name, component) in CONTENTS {
        if properties.contains_key(name) {
            continue;
        }
        properties.insert(
            name.into(),
            json!({"$ref": format!("#/components/schemas/{component}")}),
        );
        places.push(format!("{at}/{name} → #/components/schemas/{component}"));
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(properties: Value) -> Value {
        json!({"components": {"schemas": {
            "Message": {"type": "object", "properties": properties},
            "MessageContentReply": {"type": "object"},
        }}})
    }

    #[test]
    fn declares_what_is_missing_and_keeps_what_is_there() {
        let mut s = spec(json!({"text": {"type": "string"}}));
        let places = undeclared_message_contents(&mut s).unwrap();
        assert_eq!(places.len(), 1, "{places:?}");
        assert_eq!(
            s.pointer("/components/schemas/Message/properties/reply/$ref"),
            Some(&json!("#/components/schemas/MessageContentReply"))
        );
        let mut declared = spec(json!({"reply": {"type": "object"}}));
        assert!(undeclared_message_contents(&mut declared)
            .unwrap()
            .is_empty());
        assert_eq!(
            declared.pointer("/components/schemas/Message/properties/reply"),
            Some(&json!({"type": "object"})),
            "a declared property is kept"
        );
    }

    #[test]
    fn a_spec_without_the_shapes_is_an_error() {
        let mut s = json!({"components": {"schemas": {"Message": {"properties": {}}}}});
        let error = undeclared_message_contents(&mut s).unwrap_err();
        assert!(error.to_string().contains("MessageContentReply"), "{error}");
    }
}
