//! `lenient_response_patterns`

use std::collections::BTreeSet;

use serde_json::Value;

use super::{note, Phase, Rule};
use crate::walk::{for_each_object_mut, operations, reachable_refs};
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "lenient_response_patterns",
    phase: Phase::Spec,
    why: "The spec's id patterns are stricter than what the server sends: it returns `media_init` \
where a `MediaID` (`^[a-zA-Z0-9]+-[0-9a-fA-F-]+$`) is expected, and the generated types check \
patterns while decoding, so one odd id would fail a whole response. Every `pattern` in a schema a \
response can reach moves into the description. Request-only schemas keep theirs, and `whapi-ext`'s \
typed ids stay strict when built.",
    apply: lenient_response_patterns,
};

/// Pointers to every response object and every schema a response reaches.
fn response_roots(spec: &Value) -> BTreeSet<String> {
    let mut roots = BTreeSet::new();
    for op in operations(spec) {
        roots.insert(format!("{}/responses", op.pointer));
    }
    roots.insert("/components/responses".to_string());
    let mut reached = BTreeSet::new();
    for root in &roots {
        if let Some(value) = spec.pointer(root) {
            reachable_refs(spec, value, &mut reached);
        }
    }
    roots.extend(reached);
    roots
}

/// Moves the patterns of response-reachable schemas into their descriptions.
fn lenient_response_patterns(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for root in response_roots(spec) {
        let Some(value) = spec.pointer_mut(&root) else {
            continue;
        };
        for_each_object_mut(value, &mut |inner, map| {
            if map.get("type").and_then(Value::as_str) != Some("string") {
                return;
            }
            if let Some(pattern) = map.remove("pattern") {
                let pattern = pattern.as_str().unwrap_or_default().to_string();
                note(
                    map,
                    &format!("Usually matches `{pattern}`; not checked when decoding."),
                );
                places.push(format!("{root}{inner}: {pattern}"));
            }
        });
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_patterns_only_where_responses_reach() {
        let mut spec = json!({
            "paths": {"/media": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Color"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Upload"}}}}}}}},
            "components": {"schemas": {
                "MediaID": {"type": "string", "pattern": "^[a-z]+-[0-9]+$"},
                "Upload": {"type": "object", "properties": {"id": {"$ref": "#/components/schemas/MediaID"}}},
                "Color": {"type": "string", "pattern": "^#[0-9a-f]{6}$"}}}});
        let places = lenient_response_patterns(&mut spec).unwrap();
        assert_eq!(places, ["/components/schemas/MediaID: ^[a-z]+-[0-9]+$"]);
        let id = &spec["components"]["schemas"]["MediaID"];
        assert!(id.get("pattern").is_none());
        assert!(id["description"]
            .as_str()
            .unwrap()
            .contains("^[a-z]+-[0-9]+$"));
        assert_eq!(
            spec["components"]["schemas"]["Color"]["pattern"],
            "^#[0-9a-f]{6}$"
        );
    }
}
