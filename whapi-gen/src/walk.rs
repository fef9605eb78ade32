//! Generic traversal of a spec held as JSON, naming places by JSON pointer.

use serde_json::{Map, Value};

/// HTTP methods an OpenAPI path item may hold, in spec order.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Escapes one JSON-pointer segment (`~` → `~0`, `/` → `~1`).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Visits every JSON object that may be a schema, depth first, with its
/// pointer. Examples are skipped (their values are data, not schemas), and so
/// are the name maps under `properties` themselves (their values are visited).
pub fn for_each_object_mut(root: &mut Value, f: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    // One pointer buffer for the whole walk, grown and cut back per level:
    // every rule walks the whole spec, so a string per node adds up.
    visit(root, &mut String::new(), false, f);
}

fn visit(
    value: &mut Value,
    pointer: &mut String,
    is_name_map: bool,
    f: &mut dyn FnMut(&str, &mut Map<String, Value>),
) {
    let depth = pointer.len();
    match value {
        Value::Object(map) => {
            if !is_name_map {
                f(pointer, map);
            }
            for (key, child) in map.iter_mut() {
                if !is_name_map && (key == "example" || key == "examples" || key.starts_with("x-"))
                {
                    continue;
                }
                let child_is_name_map = !is_name_map && key == "properties";
                pointer.push('/');
                push_escaped(pointer, key);
                visit(child, pointer, child_is_name_map, f);
                pointer.truncate(depth);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                use std::fmt::Write;
                let _ = write!(pointer, "/{i}");
                visit(child, pointer, false, f);
                pointer.truncate(depth);
            }
        }
        _ => {}
    }
}

/// Appends one JSON-pointer segment, escaped as [`escape`] does.
fn push_escaped(pointer: &mut String, segment: &str) {
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Follows a local `$ref` (`#/components/...`) to its target.
pub fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}

/// Follows `$ref`s until a value that is not a reference (at most 32 hops).
pub fn deref<'a>(root: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| resolve(root, r))
        {
            Some(target) => value = target,
            None => break,
        }
    }
    value
}

/// An operation's place in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRef {
    /// URL path template, e.g. `/chats/{ChatID}`.
    pub path: String,
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// JSON pointer to the operation object.
    pub pointer: String,
}

/// Every operation of the spec, in document order.
pub fn operations(root: &Value) -> Vec<OperationRef> {
    let mut out = Vec::new();
    if let Some(paths) = root.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if item.get(method).is_some() {
                    out.push(OperationRef {
                        path: path.clone(),
                        method,
                        pointer: format!("/paths/{}/{method}", escape(path)),
                    });
                }
            }
        }
    }
    out
}

/// Every `$ref` target reachable from `start`, transitively, as pointers
/// (`/components/schemas/X`).
pub fn reachable_refs(root: &Value, start: &Value, seen: &mut std::collections::BTreeSet<String>) {
    match start {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                if let Some(pointer) = r.strip_prefix('#') {
                    if seen.insert(pointer.to_string()) {
                        if let Some(target) = root.pointer(pointer) {
                            reachable_refs(root, target, seen);
                        }
                    }
                }
            }
            for (key, child) in map {
                if key != "example" && key != "examples" {
                    reachable_refs(root, child, seen);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|c| reachable_refs(root, c, seen)),
        _ => {}
    }
}

/// An operation's parameters, each with its `$ref` followed.
pub fn parameters<'a>(
    root: &'a Value,
    operation: &'a Value,
) -> impl Iterator<Item = &'a Value> + 'a {
    operation
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(move |p| deref(root, p))
}

/// The properties of an object schema and the names it requires, following
/// `$ref`s and `allOf` parts; with `unions`, also the properties (not the
/// requirements) of `oneOf`/`anyOf` arms.
pub fn object_fields(
    root: &Value,
    schema: &Value,
    unions: bool,
) -> (Map<String, Value>, Vec<String>) {
    let mut props = Map::new();
    let mut required = Vec::new();
    collect_fields(root, schema, unions, true, &mut props, &mut required);
    (props, required)
}

fn collect_fields(
    root: &Value,
    schema: &Value,
    unions: bool,
    requiring: bool,
    props: &mut Map<String, Value>,
    required: &mut Vec<String>,
) {
    let schema = deref(root, schema);
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_fields(root, part, unions, requiring, props, required);
    }
    if unions {
        for key in ["oneOf", "anyOf"] {
            for arm in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                collect_fields(root, arm, unions, false, props, required);
            }
        }
    }
    for (name, field) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        props.insert(name.clone(), field.clone());
    }
    if requiring {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !required.iter().any(|r| r == name) {
                required.push(name.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn visits_schemas_but_not_examples_or_name_maps() {
        let mut v = json!({"properties": {"default": {"type": "string"}}, "example": {"a": {}}});
        let mut seen = Vec::new();
        for_each_object_mut(&mut v, &mut |p, _| seen.push(p.to_string()));
        assert_eq!(seen, vec!["", "/properties/default"]);
    }

    #[test]
    fn object_fields_follow_all_of_and_optionally_unions() {
        let root =
            json!({"components": {"schemas": {"A": {"properties": {"a": {}}, "required": ["a"]}}}});
        let schema = json!({"allOf": [{"$ref": "#/components/schemas/A"}], "oneOf": [{"properties": {"b": {}}, "required": ["b"]}]});
        let (props, required) = object_fields(&root, &schema, true);
        let names: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!((names, required), (vec!["a", "b"], vec!["a".to_string()]));
        assert_eq!(object_fields(&root, &schema, false).0.len(), 1);
    }

    #[test]
    fn escapes_path_segments() {
        assert_eq!(escape("/chats/{ChatID}"), "~1chats~1{ChatID}");
    }

    #[test]
    fn follows_chains_of_refs() {
        let root = json!({"components": {"schemas": {
            "A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string"}}}});
        let a = root.pointer("/components/schemas/A").unwrap();
        assert_eq!(deref(&root, a), &json!({"type": "string"}));
        let mut seen = Default::default();
        reachable_refs(&root, a, &mut seen);
        assert!(seen.contains("/components/schemas/B"));
    }
}
