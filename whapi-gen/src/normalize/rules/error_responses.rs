//! `raw_error_responses`

use serde_json::Value;

use super::{Phase, Rule};
use crate::walk::operations;
use crate::GenError;

pub const RULE: Rule = Rule {
    name: "raw_error_responses",
    phase: Phase::Codegen,
    why: "progenitor decodes a declared error body into `ResponseError` and drops the bytes; a \
body that does not match (a proxy's HTML page on a 502, an error shape the spec does not list) \
becomes a decode error that loses the status code. The client's view keeps only the 2xx \
responses: every other status arrives as `Error::UnexpectedResponse` with status, headers and \
body unread, and `whapi-ext` turns it into `Error::Api` with the spec's error fields, \
`Retry-After` and the raw body. The normalized spec keeps every error response.",
    apply: raw_error_responses,
};

/// Removes the non-2xx responses (and `default`) from every operation.
fn raw_error_responses(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for op in operations(spec) {
        let pointer = format!("{}/responses", op.pointer);
        let Some(responses) = spec.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        let errors: Vec<String> = responses
            .keys()
            .filter(|code| !code.starts_with('2'))
            .cloned()
            .collect();
        if errors.is_empty() {
            continue;
        }
        if errors.len() == responses.len() {
            return Err(GenError::Unhandled {
                rule: RULE.name,
                at: pointer,
                what: "an operation with no 2xx response".into(),
            });
        }
        for code in &errors {
            responses.shift_remove(code);
        }
        places.push(format!("{pointer}: {}", errors.join(", ")));
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_only_success_responses() {
        let mut spec = json!({"paths": {"/x": {"get": {"responses": {
            "200": {"description": "OK"}, "404": {"description": "no"}, "default": {"description": "err"}}}}}});
        assert_eq!(
            raw_error_responses(&mut spec).unwrap(),
            ["/paths/~1x/get/responses: 404, default"]
        );
        assert_eq!(
            spec.pointer("/paths/~1x/get/responses").unwrap(),
            &json!({"200": {"description": "OK"}})
        );
    }

    #[test]
    fn an_operation_without_success_is_an_error() {
        let mut spec =
            json!({"paths": {"/x": {"get": {"responses": {"500": {"description": "err"}}}}}});
        assert!(raw_error_responses(&mut spec).is_err());
    }
}
