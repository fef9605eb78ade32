//! `shared_property_enums`

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::lenient_responses::reach;
use super::{hoist, pascal, Phase, Rule};
use crate::walk::{escape, for_each_object_mut};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "shared_property_enums",
    phase: Phase::Codegen,
    why: "typify names an inline enum after the type that holds it: the one `policy` (`anyone`, \
`admins`) of a group's and a community's settings became `UpdateGroupSettingRequestPolicy` and \
`ChangeCommunitySettingsRequestPolicy`, the stories' `font_type` two identical enums more. A \
property of request types with the same name and the same enum in several places moves into one \
component named after the property (`Policy`, `FontType`), so that every request takes one type. \
Types that answers reach are left alone (their enums are kept open). The schema is unchanged; \
only where it is declared moves.",
    apply: shared_property_enums,
};

/// What makes two inline enums the same type: their type and values.
fn identity(schema: &Value) -> Option<String> {
    if schema.get("$ref").is_some() {
        return None;
    }
    let values = schema.get("enum")?;
    Some(json!({"type": schema.get("type"), "enum": values}).to_string())
}

/// Hoists the inline enums that request types share into components.
fn shared_property_enums(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let reached = reach(spec);
    let request_only: Vec<String> = reached
        .from_requests
        .iter()
        .filter(|p| p.starts_with("/components/schemas/") && !reached.from_responses.contains(*p))
        .cloned()
        .collect();
    // (property, identity) → where each such property is.
    let mut places: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for root in &request_only {
        let Some(mut schema) = spec.pointer(root).cloned() else {
            continue;
        };
        for_each_object_mut(&mut schema, &mut |pointer, map| {
            let Some(props) = map.get("properties").and_then(Value::as_object) else {
                return;
            };
            for (name, prop) in props {
                if let Some(id) = identity(prop) {
                    let at = format!("{root}{pointer}/properties/{}", escape(name));
                    places.entry((name.clone(), id)).or_default().push(at);
                }
            }
        });
    }
    let mut changed = Vec::new();
    for ((name, _), at) in places.into_iter().filter(|(_, at)| at.len() > 1) {
        let type_name = pascal(&[&name]);
        changed.extend(hoist(spec, RULE.name, &at, &type_name)?);
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        let policy = json!({"type": "string", "enum": ["anyone", "admins"]});
        json!({
            "paths": {
                "/a": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}},
                "/b": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}},
                               "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/C"}}}}}}}
            },
            "components": {"schemas": {
                "A": {"type": "object", "properties": {"policy": policy, "mode": {"type": "string", "enum": ["x"]}}},
                "B": {"type": "object", "allOf": [{"properties": {"policy": policy}}], "properties": {"mode": {"type": "string", "enum": ["y"]}}},
                "C": {"type": "object", "properties": {"policy": policy}}
            }}
        })
    }

    #[test]
    fn the_same_enum_of_several_request_types_becomes_one_schema() {
        let mut spec = spec();
        let places = shared_property_enums(&mut spec).unwrap();
        assert_eq!(places.len(), 2, "{places:?}");
        let schemas = &spec["components"]["schemas"];
        let policy = json!({"$ref": "#/components/schemas/Policy"});
        assert_eq!(schemas["A"]["properties"]["policy"], policy);
        assert_eq!(schemas["B"]["allOf"][0]["properties"]["policy"], policy);
        assert_eq!(schemas["Policy"]["enum"], json!(["anyone", "admins"]));
        assert_eq!(
            schemas["C"]["properties"]["policy"]["enum"],
            json!(["anyone", "admins"]),
            "an answer's type keeps its own"
        );
        assert!(
            schemas["A"]["properties"]["mode"].get("enum").is_some(),
            "different values are different types"
        );
    }

    #[test]
    fn a_taken_name_is_an_error() {
        let mut spec = spec();
        spec["components"]["schemas"]["Policy"] = json!({"type": "string"});
        assert!(shared_property_enums(&mut spec)
            .unwrap_err()
            .to_string()
            .contains("`Policy` is taken"));
    }
}
