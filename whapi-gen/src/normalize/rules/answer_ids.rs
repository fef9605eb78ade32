//! `ids_typed_as_text`

use serde_json::{json, Value};

use super::{Phase, Rule};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "ids_typed_as_text",
    phase: Phase::Codegen,
    why: "Several fields of answers and webhook events hold an id of a kind the spec names \
(`Message.id`, `Message.chat_id`, `Message.from`, `Contact.id`, `Status.id`, a quoted message's \
id and author, a call's id, chat and caller, a product's (also the ones an interactive message shows), an \
order's and a collection's id, a community's groups), but the spec \
types them as plain strings, while the same ids elsewhere refer to `MessageID`, `ChatID`, \
`ContactID`, `GroupID`, `CallID`, `ProductID`, `OrderID` or `CollectionID`. Generated as `String`, an id \
read from one answer cannot go into the next call as what it is. Each such field refers to its \
id schema in the generated client, whose id types read any text as sent (decoding checks \
nothing); the served spec keeps the strings, which is what the service promises.",
    apply: ids_typed_as_text,
};

/// Schema, the property's place in it, and the id component it holds.
const FIELDS: &[(&str, &str, &str)] = &[
    ("Message", "properties/id", "MessageID"),
    ("Message", "properties/chat_id", "ChatID"),
    ("Message", "properties/from", "ContactID"),
    ("MessageContext", "properties/quoted_id", "MessageID"),
    ("MessageContext", "properties/quoted_author", "ContactID"),
    ("Contact", "properties/id", "ContactID"),
    ("CheckContact", "properties/wa_id", "ContactID"),
    ("Status", "properties/id", "MessageID"),
    ("CallEvent", "properties/id", "CallID"),
    ("CallEvent", "properties/chat_id", "ChatID"),
    ("CallEvent", "properties/from", "ContactID"),
    ("Product", "allOf/0/properties/id", "ProductID"),
    ("ProductItem", "properties/id", "ProductID"),
    (
        "MessageContentProduct",
        "properties/product_id",
        "ProductID",
    ),
    ("ActionProduct", "properties/product_id", "ProductID"),
    (
        "ActionList",
        "properties/sections/items/properties/product_items/items/properties/product_id",
        "ProductID",
    ),
    (
        "CommunitySubGroups",
        "properties/announceGroupInfo/properties/id",
        "GroupID",
    ),
    (
        "CommunitySubGroups",
        "properties/otherGroups/items/properties/id",
        "GroupID",
    ),
    ("MessageContentOrder", "properties/order_id", "OrderID"),
    ("BusinessCollection", "properties/id", "CollectionID"),
    (
        "BusinessCollectionEditResult",
        "properties/id",
        "CollectionID",
    ),
];

fn ids_typed_as_text(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for &(schema, place, id) in FIELDS {
        let at = format!("/components/schemas/{schema}/{place}");
        let unhandled = |what: String| GenError::Unhandled {
            rule: RULE.name,
            at: at.clone(),
            what,
        };
        if spec.pointer(&format!("/components/schemas/{id}")).is_none() {
            return Err(unhandled(format!("no component `{id}`")));
        }
        let field = spec
            .pointer_mut(&at)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| unhandled("no such property".into()))?;
        match field.get("type").and_then(Value::as_str) {
            Some("string") => {}
            // Already an id, by a newer spec or an overlay.
            None if field.contains_key("$ref") || field.contains_key("allOf") => continue,
            other => return Err(unhandled(format!("typed {other:?}, not as text"))),
        }
        // The field's description stays beside the reference, for its docs.
        let mut typed = serde_json::Map::new();
        typed.insert(
            "allOf".into(),
            json!([{"$ref": format!("#/components/schemas/{id}")}]),
        );
        if let Some(description) = field.remove("description") {
            typed.insert("description".into(), description);
        }
        *field = typed;
        places.push(format!("{at} → #/components/schemas/{id}"));
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(message_id: Value) -> Value {
        let mut schemas = serde_json::Map::new();
        for &(schema, place, id) in FIELDS {
            schemas.entry(id).or_insert(json!({"type": "string"}));
            let owner = schemas.entry(schema).or_insert(
                json!({"type": "object", "properties": {}, "allOf": [{"properties": {}}]}),
            );
            // Down the place, making the objects on the way.
            let mut at = owner;
            for step in place.split('/') {
                at = match step.parse::<usize>() {
                    Ok(index) => &mut at[index],
                    Err(_) => at.as_object_mut().unwrap().entry(step).or_insert(json!({})),
                };
            }
            *at = json!({"type": "string", "description": "An id"});
        }
        schemas["Message"]["properties"]["id"] = message_id;
        json!({"components": {"schemas": schemas}})
    }

    #[test]
    fn points_text_at_the_id_schema_and_keeps_the_description() {
        let mut s = spec(json!({"type": "string", "description": "Message ID"}));
        let places = ids_typed_as_text(&mut s).unwrap();
        assert_eq!(places.len(), FIELDS.len(), "{places:?}");
        assert_eq!(
            s.pointer("/components/schemas/Message/properties/id"),
            Some(&json!({
                "allOf": [{"$ref": "#/components/schemas/MessageID"}],
                "description": "Message ID",
            }))
        );
    }

    #[test]
    fn an_id_already_typed_is_kept() {
        let typed = json!({"$ref": "#/components/schemas/MessageID"});
        let mut s = spec(typed.clone());
        let places = ids_typed_as_text(&mut s).unwrap();
        assert_eq!(places.len(), FIELDS.len() - 1);
        assert_eq!(
            s.pointer("/components/schemas/Message/properties/id"),
            Some(&typed)
        );
    }

    #[test]
    fn a_field_of_another_type_or_a_missing_one_is_an_error() {
        let mut s = spec(json!({"type": "integer"}));
        let error = ids_typed_as_text(&mut s).unwrap_err();
        assert!(
            error.to_string().contains("Message/properties/id"),
            "{error}"
        );
        let mut s = json!({"components": {"schemas": {"MessageID": {}, "ChatID": {}, "ContactID": {}, "CallID": {}}}});
        assert!(ids_typed_as_text(&mut s).is_err());
    }
}
