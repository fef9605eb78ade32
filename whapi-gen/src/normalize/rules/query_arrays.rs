//! `comma_joined_query_arrays`

use serde_json::{json, Value};

use super::{note, parameter_pointers, Phase, Rule};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "comma_joined_query_arrays",
    phase: Phase::Codegen,
    why: "`ContactIDList` (getLidByIds) is an array query parameter with `explode: false`, which \
goes on the wire as `k=a,b`; progenitor always sends the exploded form `k=a&k=b`. The client \
takes such a parameter as one string that the caller joins with commas (`whapi-ext` does it from \
a slice). The normalized spec keeps the array.",
    apply: comma_joined_query_arrays,
};

/// Turns non-exploded array query parameters into comma-joined strings.
fn comma_joined_query_arrays(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for pointer in parameter_pointers(spec) {
        let Some(param) = spec.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        let is_query = param.get("in").and_then(Value::as_str) == Some("query");
        let exploded = param
            .get("explode")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let is_array = param
            .get("schema")
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
            == Some("array");
        if !(is_query && is_array && !exploded) {
            continue;
        }
        let style = param.get("style").and_then(Value::as_str).unwrap_or("form");
        if style != "form" {
            return Err(crate::GenError::Unhandled {
                rule: RULE.name,
                at: pointer,
                what: format!("array query parameter of style `{style}`"),
            });
        }
        param.remove("explode");
        param.insert("schema".into(), json!({"type": "string"}));
        note(param, "Several values are joined with commas: `a,b,c`.");
        places.push(pointer);
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_exploded_arrays_become_comma_joined_strings() {
        let mut spec = json!({"components": {"parameters": {
            "List": {"in": "query", "name": "ids", "explode": false, "style": "form",
                     "schema": {"type": "array", "items": {"type": "string"}}},
            "Exploded": {"in": "query", "name": "tags", "schema": {"type": "array", "items": {"type": "string"}}}}}});
        assert_eq!(
            comma_joined_query_arrays(&mut spec).unwrap(),
            ["/components/parameters/List"]
        );
        let list = &spec["components"]["parameters"]["List"];
        assert_eq!(list["schema"], json!({"type": "string"}));
        assert!(list.get("explode").is_none());
        assert_eq!(
            spec["components"]["parameters"]["Exploded"]["schema"]["type"],
            "array"
        );
    }
}
