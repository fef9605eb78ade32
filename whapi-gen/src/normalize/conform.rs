//! A small JSON-schema conformance check, enough to tell which `default`s in
//! the spec do not fit their own schema (progenitor only says "value does not
//! conform to the given schema", without saying where).
//!
//! It checks `$ref`, `type`, `enum`, `pattern`, `minimum`/`maximum`,
//! `allOf`, `properties` and `items`. It does not check `oneOf`/`anyOf`
//! arms; a value it cannot judge (a pattern the `regex` crate cannot read)
//! counts as conforming.

use serde_json::Value;

use crate::walk::deref;

/// Why `value` does not conform to `schema`, or `None` when it does.
pub fn violation(root: &Value, schema: &Value, value: &Value) -> Option<String> {
    let schema = deref(root, schema);
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            return Some(format!(
                "{value} is not one of {}",
                Value::Array(options.clone())
            ));
        }
    }
    if let Some(ty) = schema.get("type").and_then(Value::as_str) {
        let fits = match ty {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        };
        let null_allowed = value.is_null() && schema.get("nullable") == Some(&Value::Bool(true));
        if !(fits || null_allowed) {
            return Some(format!("{value} is not of type {ty}"));
        }
    }
    if let (Some(pattern), Some(text)) = (
        schema.get("pattern").and_then(Value::as_str),
        value.as_str(),
    ) {
        if matches(pattern, text) == Some(false) {
            return Some(format!("{value} does not match {pattern}"));
        }
    }
    if let Some(n) = value.as_f64() {
        if schema
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|min| n < min)
        {
            return Some(format!("{value} is below the minimum"));
        }
        if schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|max| n > max)
        {
            return Some(format!("{value} is above the maximum"));
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        if let Some(why) = parts.iter().find_map(|part| violation(root, part, value)) {
            return Some(why);
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (name, field) in obj {
            if let Some(why) = props.get(name).and_then(|s| violation(root, s, field)) {
                return Some(format!("{name}: {why}"));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            if let Some(why) = violation(root, items, item) {
                return Some(format!("[{i}]: {why}"));
            }
        }
    }
    None
}

/// Whether `text` matches `pattern`; `None` for a pattern the `regex` crate
/// cannot read. Each pattern is compiled once per thread: the spec repeats
/// a few id patterns across hundreds of examples.
fn matches(pattern: &str, text: &str) -> Option<bool> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static COMPILED: RefCell<HashMap<String, Option<regex::Regex>>> =
            RefCell::new(HashMap::new());
    }
    COMPILED.with(|compiled| {
        compiled
            .borrow_mut()
            .entry(pattern.to_string())
            .or_insert_with(|| regex::Regex::new(&from_ecma(pattern)).ok())
            .as_ref()
            .map(|r| r.is_match(text))
    })
}

/// An ECMA-262 pattern (the spec's dialect) in the `regex` crate's: a `[`
/// inside a class is a literal there, a nested class here.
pub(crate) fn from_ecma(pattern: &str) -> String {
    let (mut out, mut in_class, mut escaped) = (String::new(), false, false);
    for c in pattern.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' if in_class => out.push('\\'),
            '[' => in_class = true,
            ']' => in_class = false,
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_values_outside_an_enum_behind_refs_and_allof() {
        let root = json!({"components": {"schemas": {
            "Kind": {"type": "object", "properties": {"type": {"type": "string", "enum": ["messages"]}}},
            "Event": {"allOf": [{"$ref": "#/components/schemas/Kind"}]}}}});
        let schema = json!({"type": "array", "items": {"$ref": "#/components/schemas/Event"}});
        let why = violation(&root, &schema, &json!([{"type": "message"}])).unwrap();
        assert!(
            why.contains("[0]: type: \"message\" is not one of"),
            "{why}"
        );
        assert_eq!(
            violation(&root, &schema, &json!([{"type": "messages"}])),
            None
        );
    }

    #[test]
    fn checks_type_and_range() {
        let root = json!({});
        let s = json!({"type": "integer", "minimum": 1, "maximum": 500});
        assert!(violation(&root, &s, &json!(0)).is_some());
        assert!(violation(&root, &s, &json!("5")).is_some());
        assert_eq!(violation(&root, &s, &json!(100)), None);
    }

    #[test]
    fn strings_must_match_their_pattern() {
        let root = json!({});
        let ids =
            json!({"type": "array", "items": {"type": "string", "pattern": "^([\\d]{7,15})?$"}});
        assert_eq!(violation(&root, &ids, &json!(["15550100000"])), None);
        let why = violation(&root, &ids, &json!(["<Recipient WA-ID>"])).unwrap();
        assert!(why.starts_with("[0]: "), "{why}");
        assert!(why.contains("does not match"), "{why}");
        // ECMA's literal `[` inside a class is read as such.
        let proxy = json!({"type": "string", "pattern": "^[[a-z]+$"});
        assert_eq!(violation(&root, &proxy, &json!("[abc")), None);
    }
}
