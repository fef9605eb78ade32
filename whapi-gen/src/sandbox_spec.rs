//! The spec the sandbox checks requests against and answers from: the
//! normalized spec without its prose (descriptions, summaries, tags), which
//! the sandbox embeds; it needs the operations' parameters, bodies and
//! answers and every component they refer to.

use serde_json::{Map, Value};

use crate::GenError;

/// Keys that only explain: dropped wherever they are keywords (not where a
/// schema's `properties` has a field of that name).
const PROSE: [&str; 4] = ["description", "summary", "tags", "externalDocs"];

/// The sandbox's copy of `spec`, as compact JSON with a final newline.
pub(crate) fn render(spec: &Value) -> Result<String, GenError> {
    let mut slim = Map::new();
    for key in ["openapi", "paths", "components"] {
        if let Some(value) = spec.get(key) {
            slim.insert(key.to_string(), without_prose(value, false));
        }
    }
    let mut text = serde_json::to_string(&Value::Object(slim))
        .map_err(|e| GenError::OpenApi(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// Keys whose values are data (an example body may well have a
/// `description`), kept as they are.
const DATA: [&str; 4] = ["example", "examples", "default", "enum"];

/// `value` without [`PROSE`]; `names` is true inside a map whose keys are
/// names (a schema's `properties`), where no key is a keyword.
fn without_prose(value: &Value, names: bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| names || !PROSE.contains(&key.as_str()))
                .map(|(key, value)| {
                    let kept = if !names && DATA.contains(&key.as_str()) {
                        value.clone()
                    } else {
                        without_prose(value, !names && key == "properties")
                    };
                    (key.clone(), kept)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| without_prose(v, false)).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prose_goes_but_a_field_named_like_it_stays() {
        let spec = json!({
            "openapi": "3.0.0",
            "info": {"title": "dropped with the rest of the top level"},
            "paths": {"/a": {"get": {"summary": "s", "tags": ["t"], "operationId": "a"}}},
            "components": {"schemas": {"Label": {
                "description": "a label",
                "properties": {"description": {"type": "string", "description": "its text"}},
                "example": {"description": "data, kept"}
            }}}
        });
        let slim: Value = serde_json::from_str(&render(&spec).unwrap()).unwrap();
        assert_eq!(
            slim,
            json!({
                "openapi": "3.0.0",
                "paths": {"/a": {"get": {"operationId": "a"}}},
                "components": {"schemas": {"Label": {
                    "properties": {"description": {"type": "string"}},
                    "example": {"description": "data, kept"}
                }}}
            })
        );
    }
}
