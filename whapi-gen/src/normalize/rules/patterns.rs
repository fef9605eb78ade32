//! `no_client_side_patterns`

use serde_json::Value;

use super::{note, Phase, Rule};
use crate::walk::for_each_object_mut;
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "no_client_side_patterns",
    phase: Phase::Codegen,
    why:
        "The spec's id patterns are stricter than what the server issues: it returns `media_init` \
where a `MediaID` (`^[a-zA-Z0-9]+-[0-9a-fA-F-]+$`) is expected. The generated types check patterns \
both when decoding (one odd id fails a whole response) and when built (an id the server handed out \
could not be passed back in a path or a `quoted` field). The client checks no pattern: each moves \
into its description. The normalized spec keeps them, so mock servers still validate, and \
`whapi-ext`'s typed ids validate what users type.",
    apply: no_client_side_patterns,
};

/// Moves every string `pattern` into its description.
fn no_client_side_patterns(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for_each_object_mut(spec, &mut |pointer, map| {
        if map.get("type").and_then(Value::as_str) != Some("string") {
            return;
        }
        if let Some(pattern) = map.remove("pattern") {
            let pattern = pattern.as_str().unwrap_or_default().to_string();
            note(
                map,
                &format!("Usually matches `{pattern}`; the client does not check it."),
            );
            places.push(format!("{pointer}: {pattern}"));
        }
    });
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn moves_patterns_into_descriptions() {
        let mut spec = json!({"components": {"schemas": {
            "MediaID": {"type": "string", "pattern": "^[a-z]+-[0-9]+$", "description": "Media ID"},
            "Sender": {"type": "object", "properties": {"to": {"type": "string", "pattern": "^\\d+$"}}}}}});
        let places = no_client_side_patterns(&mut spec).unwrap();
        assert_eq!(places.len(), 2);
        let id = &spec["components"]["schemas"]["MediaID"];
        assert!(id.get("pattern").is_none());
        assert_eq!(
            id["description"],
            "Media ID\n\nUsually matches `^[a-z]+-[0-9]+$`; the client does not check it."
        );
        assert!(spec
            .pointer("/components/schemas/Sender/properties/to/pattern")
            .is_none());
    }

    #[test]
    fn leaves_example_values_alone() {
        let mut spec = json!({"type": "object", "example": {"type": "string", "pattern": "x"}});
        assert!(no_client_side_patterns(&mut spec).unwrap().is_empty());
    }
}
