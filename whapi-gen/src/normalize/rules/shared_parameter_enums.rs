//! `shared_parameter_enums`

use serde_json::Value;

use super::{hoist, pascal, Phase, Rule};
use crate::walk::escape;
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "shared_parameter_enums",
    phase: Phase::Codegen,
    why: "progenitor names an inline enum of a parameter after each operation that uses it: the \
one `sort` parameter (`asc`, `desc`) of four operations became `GetMessagesSort`, \
`GetMessagesByChatIdSort`, `GetMediaFilesSort` and `FindNewsletterSort`, four identical enums a \
user must tell apart. The enum of a shared parameter (`#/components/parameters/…` referenced by \
more than one operation) moves into a component schema named after the parameter (`Sort`), so \
every operation takes the one type. The schema is unchanged; only where it is declared moves.",
    apply: shared_parameter_enums,
};

/// How many operations refer to each component parameter.
fn references(spec: &Value, name: &str) -> usize {
    let target = format!("#/components/parameters/{name}");
    crate::walk::operations(spec)
        .iter()
        .filter(|op| {
            let operation = spec.pointer(&op.pointer);
            let own = operation.and_then(|o| o.get("parameters"));
            // Parameters of the path item apply to each of its operations.
            let path_item = op
                .pointer
                .rsplit_once('/')
                .and_then(|(p, _)| spec.pointer(p));
            let shared = path_item.and_then(|p| p.get("parameters"));
            [own, shared]
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
                .any(|p| p.get("$ref").and_then(Value::as_str) == Some(target.as_str()))
        })
        .count()
}

/// Moves the inline enum of each shared component parameter into a schema.
fn shared_parameter_enums(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let names: Vec<String> = spec
        .pointer("/components/parameters")
        .and_then(Value::as_object)
        .map(|params| {
            params
                .iter()
                .filter(|(_, p)| {
                    p.pointer("/schema/enum").is_some() && p.pointer("/schema/$ref").is_none()
                })
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut places = Vec::new();
    for name in names {
        if references(spec, &name) < 2 {
            continue;
        }
        let at = format!("/components/parameters/{}/schema", escape(&name));
        let type_name = pascal(&[&name]);
        places.extend(hoist(spec, RULE.name, &[at], &type_name)?);
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "paths": {
                "/a": {"get": {"parameters": [{"$ref": "#/components/parameters/sort"}, {"$ref": "#/components/parameters/role"}]}},
                "/b": {"parameters": [{"$ref": "#/components/parameters/sort"}], "get": {}}
            },
            "components": {
                "parameters": {
                    "sort": {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}},
                    "role": {"name": "role", "in": "query", "schema": {"type": "string", "enum": ["admin"]}},
                    "count": {"name": "count", "in": "query", "schema": {"type": "integer"}}
                },
                "schemas": {}
            }
        })
    }

    #[test]
    fn the_enum_of_a_parameter_two_operations_share_becomes_one_schema() {
        let mut spec = spec();
        let places = shared_parameter_enums(&mut spec).unwrap();
        assert_eq!(places.len(), 1, "{places:?}");
        assert_eq!(
            spec["components"]["parameters"]["sort"]["schema"],
            json!({"$ref": "#/components/schemas/Sort"})
        );
        assert_eq!(
            spec["components"]["schemas"]["Sort"],
            json!({"type": "string", "enum": ["asc", "desc"]})
        );
        assert_eq!(
            spec["components"]["parameters"]["role"]["schema"]["enum"],
            json!(["admin"]),
            "one operation's enum keeps its operation's name"
        );
    }

    #[test]
    fn a_taken_name_is_an_error() {
        let mut spec = spec();
        spec["components"]["schemas"]["Sort"] = json!({"type": "string"});
        assert!(shared_parameter_enums(&mut spec)
            .unwrap_err()
            .to_string()
            .contains("`Sort` is taken"));
    }
}
