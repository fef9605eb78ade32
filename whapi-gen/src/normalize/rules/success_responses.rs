//! `no_content_204`, `one_success_type`

use serde_json::{Map, Value};

use super::{note, Phase, Rule};
use crate::walk::{deref, operations};
use crate::GenError;

pub const NO_CONTENT_204: Rule = Rule {
    name: "no_content_204",
    phase: Phase::Spec,
    why: "A 204 response has no body (RFC 9110 §15.3.5), yet the spec gives `getGroupIcon`'s and \
`getLimits`' 204 a JSON error body. Mock servers would send one and clients would try to decode \
it. The content of every 204 response is removed; its description stays.",
    apply: no_content_204,
};

/// Removes the content of 204 responses.
fn no_content_204(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for op in operations(spec) {
        let pointer = format!("{}/responses/204", op.pointer);
        let Some(response) = spec.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        if response.contains_key("$ref") {
            return Err(GenError::Unhandled {
                rule: NO_CONTENT_204.name,
                at: pointer,
                what: "a 204 given by reference".into(),
            });
        }
        if response.remove("content").is_some() {
            places.push(pointer);
        }
    }
    Ok(places)
}

pub const RULE: Rule = Rule {
    name: "one_success_type",
    phase: Phase::Codegen,
    why: "progenitor asserts that all 2xx responses of an operation have one type. `getGroupIcon` \
answers 200 with a PNG and 204 when no icon is set; `getLimits` answers 200 with `Limits` and 204 \
when there are none (the spec gives that 204 a JSON error body, which a 204 cannot carry). Where \
every success is binary or empty, they share the binary type (a 204 reads as an empty stream, \
`ResponseValue::status()` tells which). Otherwise an extra success without a body is removed from \
the client's view: it arrives as `Error::UnexpectedResponse` with its status, and `whapi-ext` maps \
it to `None`. An extra success with a body of another type is an error: no rule knows it.",
    apply: one_success_type,
};

fn content_kind(spec: &Value, response: &Value) -> String {
    let response = deref(spec, response);
    match response.get("content").and_then(Value::as_object) {
        None => "empty".into(),
        Some(c) if c.is_empty() => "empty".into(),
        Some(c) => serde_json::to_string(c).unwrap_or_default(),
    }
}

fn is_binary_or_empty(spec: &Value, response: &Value) -> bool {
    let response = deref(spec, response);
    response
        .get("content")
        .and_then(Value::as_object)
        .is_none_or(|c| {
            c.iter().all(|(k, m)| {
                !k.contains("json")
                    && deref(spec, m.get("schema").unwrap_or(&Value::Null)).get("format")
                        == Some(&Value::from("binary"))
            })
        })
}

/// Gives every operation one success type.
fn one_success_type(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for op in operations(spec) {
        let pointer = format!("{}/responses", op.pointer);
        let Some(responses) = spec.pointer(&pointer).and_then(Value::as_object) else {
            continue;
        };
        let mut success: Vec<&String> = responses.keys().filter(|c| c.starts_with('2')).collect();
        success.sort();
        let kinds: std::collections::BTreeSet<String> = success
            .iter()
            .map(|c| content_kind(spec, &responses[*c]))
            .collect();
        if kinds.len() <= 1 {
            continue;
        }
        let first = success[0].clone();
        let rest: Vec<String> = success[1..].iter().map(|c| c.to_string()).collect();
        let shared_binary = success
            .iter()
            .all(|c| is_binary_or_empty(spec, &responses[*c]));
        let first_response = deref(spec, &responses[&first]).clone();
        let Some(responses) = spec.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        for code in &rest {
            if shared_binary {
                let mut merged: Map<String, Value> =
                    first_response.as_object().cloned().unwrap_or_default();
                let description = responses[code]
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                merged.insert("description".into(), Value::String(description));
                note(&mut merged, "No body: the stream is empty.");
                responses.insert(code.clone(), Value::Object(merged));
                places.push(format!(
                    "{pointer}/{code}: shares the binary type of {first}"
                ));
            } else if responses
                .get(code)
                .is_some_and(|r| r.get("content").is_none())
            {
                responses.shift_remove(code);
                places.push(format!(
                    "{pointer}/{code}: removed, arrives as an unexpected response"
                ));
            } else {
                return Err(GenError::Unhandled {
                    rule: RULE.name,
                    at: format!("{pointer}/{code}"),
                    what: format!(
                        "a second success response with a body of another type than {first}'s"
                    ),
                });
            }
        }
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_the_body_of_204_responses() {
        let mut spec = json!({"paths": {"/limits": {"get": {"responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {}}}},
            "204": {"description": "No limits", "content": {"application/json": {"schema": {}}}}}}}}});
        assert_eq!(
            no_content_204(&mut spec).unwrap(),
            ["/paths/~1limits/get/responses/204"]
        );
        assert_eq!(
            spec.pointer("/paths/~1limits/get/responses/204"),
            Some(&json!({"description": "No limits"}))
        );
        assert!(spec
            .pointer("/paths/~1limits/get/responses/200/content")
            .is_some());
    }

    #[test]
    fn binary_and_empty_successes_share_the_binary_type() {
        let png = json!({"image/png": {"schema": {"type": "string", "format": "binary"}}});
        let mut spec = json!({"paths": {"/icon": {"get": {"responses": {
            "200": {"description": "OK", "content": png}, "204": {"description": "No icon"}}}}}});
        let places = one_success_type(&mut spec).unwrap();
        assert_eq!(places.len(), 1);
        let r204 = spec.pointer("/paths/~1icon/get/responses/204").unwrap();
        assert_eq!(r204["content"], png);
        assert!(r204["description"].as_str().unwrap().starts_with("No icon"));
    }

    #[test]
    fn an_empty_extra_success_next_to_json_is_removed() {
        let mut spec = json!({"paths": {"/limits": {"get": {"responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
            "204": {"description": "No limits"}}}}}});
        let places = one_success_type(&mut spec).unwrap();
        assert_eq!(
            places,
            ["/paths/~1limits/get/responses/204: removed, arrives as an unexpected response"]
        );
        assert!(spec.pointer("/paths/~1limits/get/responses/204").is_none());
    }

    #[test]
    fn a_second_success_with_another_body_is_an_error() {
        let mut spec = json!({"paths": {"/x": {"post": {"responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
            "201": {"description": "Made", "content": {"application/json": {"schema": {"type": "string"}}}}}}}}});
        assert!(one_success_type(&mut spec)
            .unwrap_err()
            .to_string()
            .contains("/paths/~1x/post/responses/201"));
    }

    #[test]
    fn leaves_operations_with_one_success_type_alone() {
        let mut spec = json!({"paths": {"/x": {"get": {"responses": {
            "200": {"description": "OK"}, "404": {"description": "no"}}}}}});
        assert!(one_success_type(&mut spec).unwrap().is_empty());
    }
}
