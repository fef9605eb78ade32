//! `boxed_large_types`

use serde_json::{json, Value};

use super::{Phase, Rule};
use crate::walk::{escape, for_each_object_mut};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "boxed_large_types",
    phase: Phase::Codegen,
    why: "The generated `Message` holds every content type by value (text, image, poll, order, \
…) and is about 6.5 KB, and every type holding one grows by as much: a `Chat` (with its \
`last_message`) is 6.8 KB. Each move copies all of it (a list walk moves each item several \
times) and each future holding one carries it; a webhook's list of messages, read into \
`Message`s, spent most of its time filling room that no field used. Every reference to such a \
type (`Message` itself, answers of `getMessage` and `getStory` included, and each content type a \
message holds) goes through a schema alias that the generator replaces with `Box<…>` (see \
`BOXED`): a `Message` shrinks to about 750 bytes, a `Chat` to about 200, and fields read the same \
through the box.",
    apply: boxed_large_types,
};

/// The types to box, each with the alias its references are pointed to;
/// the generator replaces the alias with `Box<the type>`.
pub const BOXED: &[(&str, &str)] = &[
    ("Message", "BoxedMessage"),
    // What a message holds (about 100 to 760 bytes each): boxed, a message
    // that holds one content takes one allocation for it instead of the
    // room of all of them.
    ("MessageContentHSM", "BoxedMessageContentHSM"),
    ("MessageContext", "BoxedMessageContext"),
    (
        "MessageContentInteractive",
        "BoxedMessageContentInteractive",
    ),
    (
        "MessageContentLinkPreview",
        "BoxedMessageContentLinkPreview",
    ),
    ("MessageContentDocument", "BoxedMessageContentDocument"),
    ("MessageContentVideo", "BoxedMessageContentVideo"),
    ("MessageAction", "BoxedMessageAction"),
    ("MessageContentImage", "BoxedMessageContentImage"),
    ("MessageContentOrder", "BoxedMessageContentOrder"),
    ("MessageContentAudio", "BoxedMessageContentAudio"),
    ("MessageContentSticker", "BoxedMessageContentSticker"),
    (
        "MessageContentLocationReceived",
        "BoxedMessageContentLocationReceived",
    ),
    ("MessageContentReply", "BoxedMessageContentReply"),
    (
        "MessageContentLiveLocation",
        "BoxedMessageContentLiveLocation",
    ),
    ("MessageContentList", "BoxedMessageContentList"),
    ("MessageContentEvent", "BoxedMessageContentEvent"),
    ("MessageContentPoll", "BoxedMessageContentPoll"),
    (
        "MessageContentNewsletterAdminInvite",
        "BoxedMessageContentNewsletterAdminInvite",
    ),
    ("MessageContentText", "BoxedMessageContentText"),
];

/// Points every reference to a boxed type at its alias.
fn boxed_large_types(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for (name, alias) in BOXED {
        let target = format!("#/components/schemas/{}", escape(name));
        let Some(schemas) = spec
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        else {
            return Ok(places);
        };
        if !schemas.contains_key(*name) {
            return Err(GenError::Unhandled {
                rule: RULE.name,
                at: target,
                what: format!("`{name}` is to be boxed but the spec has no such schema"),
            });
        }
        // After `response_copies_of_shared_types`: a copy would hold the
        // type unboxed for responses.
        let copy = format!("{name}Received");
        if schemas.contains_key(&copy) {
            return Err(GenError::Unhandled {
                rule: RULE.name,
                at: format!("#/components/schemas/{copy}"),
                what: format!("`{name}` is shared with requests now: box `{copy}` as well"),
            });
        }
        if schemas.contains_key(*alias) {
            return Err(GenError::Unhandled {
                rule: RULE.name,
                at: format!("#/components/schemas/{alias}"),
                what: format!("the alias `{alias}` is taken by a schema of the spec"),
            });
        }
        let alias_ref = format!("#/components/schemas/{alias}");
        for_each_object_mut(spec, &mut |pointer, map| {
            if map.get("$ref").and_then(Value::as_str) == Some(target.as_str()) {
                map.insert("$ref".into(), Value::String(alias_ref.clone()));
                places.push(format!("{pointer}: {name} -> {alias}"));
            }
        });
        if let Some(schemas) = spec
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        {
            schemas.insert((*alias).to_string(), json!({ "$ref": target }));
        }
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_go_through_the_alias_and_the_type_stays() {
        let mut spec = json!({"components": {"schemas": {
            "Message": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Chat": {"type": "object", "properties": {
                "last_message": {"$ref": "#/components/schemas/Message"}}},
            "Messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}}}});
        // The contents a message holds, each unreferenced here.
        for (name, _) in &BOXED[1..] {
            spec["components"]["schemas"][*name] = json!({"type": "object"});
        }
        let places = boxed_large_types(&mut spec).unwrap();
        assert_eq!(places.len(), 2, "{places:?}");
        let schemas = &spec["components"]["schemas"];
        assert_eq!(
            schemas["Chat"]["properties"]["last_message"]["$ref"],
            "#/components/schemas/BoxedMessage"
        );
        assert_eq!(
            schemas["Messages"]["items"]["$ref"],
            "#/components/schemas/BoxedMessage"
        );
        assert_eq!(
            schemas["BoxedMessage"]["$ref"],
            "#/components/schemas/Message"
        );
        assert_eq!(schemas["Message"]["properties"]["id"]["type"], "string");
    }

    #[test]
    fn a_missing_type_or_a_taken_alias_is_an_error() {
        let mut spec = json!({"components": {"schemas": {"Chat": {"type": "object"}}}});
        let error = boxed_large_types(&mut spec).unwrap_err().to_string();
        assert!(error.contains("no such schema"), "{error}");
        let mut spec = json!({"components": {"schemas": {
            "Message": {"type": "object"}, "BoxedMessage": {"type": "string"}}}});
        let error = boxed_large_types(&mut spec).unwrap_err().to_string();
        assert!(error.contains("is taken"), "{error}");
        let mut spec = json!({"components": {"schemas": {
            "Message": {"type": "object"}, "MessageReceived": {"type": "object"}}}});
        let error = boxed_large_types(&mut spec).unwrap_err().to_string();
        assert!(error.contains("box `MessageReceived` as well"), "{error}");
    }
}
