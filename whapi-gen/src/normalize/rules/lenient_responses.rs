//! `opaque_response_unions`, `open_response_formats`, `optional_response_fields`,
//! `open_response_enums`

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::{note, parameter_pointers, request_body_pointers, Phase, Rule};
use crate::walk::{for_each_object_mut, operations, reachable_refs};
use crate::GenError;

pub const OPAQUE_UNIONS: Rule = Rule {
    name: "opaque_response_unions",
    phase: Phase::Codegen,
    why: "A `oneOf`/`anyOf` of objects without a discriminator becomes an untagged enum, which \
decodes the first arm that fits and drops the fields of the others: `MessageContent`'s image, \
video, audio and document arms share their required fields, so a quoted video decoded as an image \
and a link preview as text. In schemas that only responses use, such a union becomes a JSON object \
that keeps every field; the description names the arms, whose types stay in `types` for decoding \
with `serde_json::from_value`.",
    apply: opaque_response_unions,
};

pub const OPEN_FORMATS: Rule = Rule {
    name: "open_response_formats",
    phase: Phase::Codegen,
    why: "A string `format` becomes a Rust type that rejects other text: `Health.ip` \
(`format: ipv4`) became `Ipv4Addr`, so an IPv6 address or an empty string would fail the whole \
`/health` answer. In schemas that only responses use, string formats other than `binary` move \
into the description.",
    apply: open_response_formats,
};

pub const OPTIONAL_FIELDS: Rule = Rule {
    name: "optional_response_fields",
    phase: Phase::Codegen,
    why: "The live service leaves out fields the spec marks required (a `/health` answer without \
`start_at`, say), and a generated struct with a missing required field fails to decode the whole \
response. In schemas that only responses use, no field is required: each becomes an `Option`. \
Schemas that requests use too keep their `required`, so what the client sends stays strict; so do \
the arms of `oneOf`/`anyOf` unions, where the required fields tell the arms apart. The normalized \
spec keeps the spec's `required` for mock servers.",
    apply: optional_response_fields,
};

pub const OPEN_ENUMS: Rule = Rule {
    name: "open_response_enums",
    phase: Phase::Codegen,
    why: "A string enum becomes a closed Rust enum, so one value the spec does not list (a new \
message type, a new channel status) would fail a whole response. In schemas that only responses \
use, string enums become plain strings; the known values move into the description. Enums that \
requests use stay typed.",
    apply: open_response_enums,
};

/// What responses and requests reach: `$ref` targets as JSON pointers.
pub(super) struct Reach {
    /// Targets reached from any response.
    pub(super) from_responses: BTreeSet<String>,
    /// Targets reached from any request body or parameter.
    pub(super) from_requests: BTreeSet<String>,
    /// Where responses live: each operation's `responses`, and
    /// `/components/responses`.
    pub(super) response_roots: Vec<String>,
}

/// The schema of a webhook's body.
pub(crate) const WEBHOOK_PAYLOAD: &str = "/components/schemas/WebhookPayload";

/// Follows every `$ref` from the responses (webhooks included) and from the
/// requests.
pub(super) fn reach(spec: &Value) -> Reach {
    let mut from_responses = BTreeSet::new();
    let mut response_roots: Vec<String> = operations(spec)
        .into_iter()
        .map(|op| format!("{}/responses", op.pointer))
        .collect();
    response_roots.push("/components/responses".into());
    // What webhooks deliver is received like an answer, and decoded by the
    // same types.
    if spec.pointer(WEBHOOK_PAYLOAD).is_some() {
        response_roots.push(WEBHOOK_PAYLOAD.into());
        from_responses.insert(WEBHOOK_PAYLOAD.into());
    }
    for root in &response_roots {
        if let Some(v) = spec.pointer(root) {
            reachable_refs(spec, v, &mut from_responses);
        }
    }
    let mut from_requests = BTreeSet::new();
    for root in request_body_pointers(spec)
        .into_iter()
        .chain(parameter_pointers(spec))
    {
        if let Some(v) = spec.pointer(&root) {
            reachable_refs(spec, v, &mut from_requests);
        }
    }
    for op in operations(spec) {
        if let Some(body) = spec.pointer(&format!("{}/requestBody", op.pointer)) {
            reachable_refs(spec, body, &mut from_requests);
        }
        if let Some(params) = spec.pointer(&format!("{}/parameters", op.pointer)) {
            reachable_refs(spec, params, &mut from_requests);
        }
    }
    Reach {
        from_responses,
        from_requests,
        response_roots,
    }
}

/// Component schemas reached from responses and from no request, plus the
/// operations' inline response objects.
fn response_only_roots(spec: &Value) -> Vec<String> {
    let Reach {
        from_responses,
        from_requests,
        response_roots,
    } = reach(spec);
    let components = from_responses
        .difference(&from_requests)
        .filter(|p| p.starts_with("/components/schemas/"))
        .cloned();
    let inline = response_roots
        .into_iter()
        .filter(|r| r.starts_with("/paths/"));
    components.chain(inline).collect()
}

/// Applies `rewrite` to every object under the response-only roots.
fn rewrite_response_only(spec: &mut Value, rewrite: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    for root in response_only_roots(spec) {
        if let Some(value) = spec.pointer_mut(&root) {
            for_each_object_mut(value, &mut |inner, map| {
                rewrite(&format!("{root}{inner}"), map)
            });
        }
    }
}

/// Turns undiscriminated unions of non-string arms in response-only schemas
/// into free-form objects.
fn opaque_response_unions(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    rewrite_response_only(spec, &mut |pointer, map| {
        if map.contains_key("discriminator") {
            return;
        }
        for key in ["oneOf", "anyOf"] {
            let Some(Value::Array(arms)) = map.remove(key) else {
                continue;
            };
            let names: Vec<String> = arms
                .iter()
                .map(|a| {
                    a.get("$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.rsplit('/').next())
                        .unwrap_or("an inline schema")
                        .to_string()
                })
                .collect();
            note(map, &format!("One of: {}. Kept as JSON: decode the arm you expect with `serde_json::from_value`.", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")));
            map.insert("type".into(), json!("object"));
            places.push(format!("{pointer}: {key} of {}", names.join(", ")));
        }
    });
    Ok(places)
}

/// Moves string formats (but `binary`) of response-only schemas into their
/// descriptions.
fn open_response_formats(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    rewrite_response_only(spec, &mut |pointer, map| {
        let is_string = map.get("type").and_then(Value::as_str) == Some("string");
        let format = map.get("format").and_then(Value::as_str).map(String::from);
        if let (true, Some(format)) = (is_string, format) {
            if format != "binary" {
                map.remove("format");
                note(
                    map,
                    &format!("Usually a `{format}`; not checked when decoding."),
                );
                places.push(format!("{pointer}: {format}"));
            }
        }
    });
    Ok(places)
}

/// Pointers of the schemas that are arms of a `oneOf` or `anyOf`.
fn union_arms(spec: &mut Value) -> BTreeSet<String> {
    let mut arms = BTreeSet::new();
    for_each_object_mut(spec, &mut |_, map| {
        for key in ["oneOf", "anyOf"] {
            for arm in map.get(key).and_then(Value::as_array).into_iter().flatten() {
                if let Some(r) = arm
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix('#'))
                {
                    arms.insert(r.to_string());
                }
            }
        }
    });
    arms
}

/// Drops `required` from response-only schemas that are no union arms.
fn optional_response_fields(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let arms = union_arms(spec);
    let mut places = Vec::new();
    rewrite_response_only(spec, &mut |pointer, map| {
        if arms
            .iter()
            .any(|arm| pointer == arm || pointer.starts_with(&format!("{arm}/")))
        {
            return;
        }
        if let Some(Value::Array(fields)) = map.remove("required") {
            let names: Vec<&str> = fields.iter().filter_map(Value::as_str).collect();
            places.push(format!("{pointer}: {}", names.join(", ")));
        }
    });
    Ok(places)
}

/// Turns string enums in response-only schemas into plain strings.
fn open_response_enums(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    rewrite_response_only(spec, &mut |pointer, map| {
        if map.get("type").and_then(Value::as_str) != Some("string") {
            return;
        }
        let Some(Value::Array(values)) = map.remove("enum") else {
            return;
        };
        let known: Vec<String> = values
            .iter()
            .map(|v| format!("`{}`", v.as_str().unwrap_or_default()))
            .collect();
        note(map, &format!("Known values: {}.", known.join(", ")));
        map.insert("type".into(), json!("string"));
        places.push(format!("{pointer}: {} values", known.len()));
    });
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        json!({
            "paths": {"/x": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Shared"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}}},
            "components": {"schemas": {
                "Health": {"type": "object", "required": ["start_at"], "properties": {
                    "start_at": {"type": "number"},
                    "content": {"oneOf": [{"$ref": "#/components/schemas/Image"}]},
                    "status": {"type": "string", "enum": ["AUTH", "INIT"]},
                    "shared": {"$ref": "#/components/schemas/Shared"}}},
                "Image": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
                "Shared": {"type": "object", "required": ["to"], "properties": {
                    "to": {"type": "string"}, "kind": {"type": "string", "enum": ["a", "b"]}}}}}})
    }

    #[test]
    fn response_only_unions_of_objects_become_json_objects() {
        let mut spec = spec();
        let places = opaque_response_unions(&mut spec).unwrap();
        assert_eq!(
            places,
            ["/components/schemas/Health/properties/content: oneOf of Image"]
        );
        let content = &spec["components"]["schemas"]["Health"]["properties"]["content"];
        assert_eq!(content["type"], "object");
        assert!(content.get("oneOf").is_none());
        assert!(content["description"].as_str().unwrap().contains("`Image`"));
    }

    #[test]
    fn response_only_string_formats_are_dropped() {
        let mut spec = spec();
        spec["components"]["schemas"]["Health"]["properties"]["ip"] =
            json!({"type": "string", "format": "ipv4"});
        spec["components"]["schemas"]["Shared"]["properties"]["ip"] =
            json!({"type": "string", "format": "ipv4"});
        let places = open_response_formats(&mut spec).unwrap();
        assert_eq!(places, ["/components/schemas/Health/properties/ip: ipv4"]);
        assert_eq!(
            spec["components"]["schemas"]["Shared"]["properties"]["ip"]["format"], "ipv4",
            "requests keep theirs"
        );
    }

    #[test]
    fn response_only_schemas_lose_required() {
        let mut spec = spec();
        let places = optional_response_fields(&mut spec).unwrap();
        assert_eq!(places, ["/components/schemas/Health: start_at"]);
        assert!(spec["components"]["schemas"]["Health"]
            .get("required")
            .is_none());
        assert_eq!(
            spec["components"]["schemas"]["Shared"]["required"],
            json!(["to"]),
            "requests stay strict"
        );
        assert_eq!(
            spec["components"]["schemas"]["Image"]["required"],
            json!(["id"]),
            "union arms stay apart"
        );
    }

    #[test]
    fn response_only_enums_become_open_strings() {
        let mut spec = spec();
        let places = open_response_enums(&mut spec).unwrap();
        assert_eq!(
            places,
            ["/components/schemas/Health/properties/status: 2 values"]
        );
        let status = &spec["components"]["schemas"]["Health"]["properties"]["status"];
        assert!(status.get("enum").is_none());
        assert_eq!(status["description"], "Known values: `AUTH`, `INIT`.");
        assert!(
            spec["components"]["schemas"]["Shared"]["properties"]["kind"]
                .get("enum")
                .is_some()
        );
    }
}
