//! `media_type_parameters`, `json_over_multipart`, `binary_upload_as_octet_stream`

use serde_json::{json, Map, Value};

use super::{note, request_body_pointers, Phase, Rule};
use crate::GenError;

pub const MEDIA_TYPE_PARAMETERS: Rule = Rule {
    name: "media_type_parameters",
    phase: Phase::Spec,
    why: "The upload bodies list `codecs=opus` as a media type of its own: the YAML split \
`audio/ogg; codecs=opus` in two keys. A key without a `/` that is a `name=value` parameter is \
joined back onto the media type before it.",
    apply: media_type_parameters,
};

pub const JSON_OVER_MULTIPART: Rule = Rule {
    name: "json_over_multipart",
    phase: Phase::Codegen,
    why: "progenitor takes one content type per request body; 29 bodies offer JSON and \
`multipart/form-data` with the same schema. The client keeps JSON, and marks the body so that \
its builder also gets a `send_multipart` for a form with a file part. The normalized spec keeps both.",
    apply: json_over_multipart,
};

pub const BINARY_AS_OCTET_STREAM: Rule = Rule {
    name: "binary_upload_as_octet_stream",
    phase: Phase::Codegen,
    why: "progenitor takes one content type per request body; the raw uploads (`POST /media`, \
`POST /messages/media/{MediaMessageType}`, `PUT /groups/{GroupID}/icon`) accept a dozen binary \
media types and a JSON form. The client takes the bytes as an `application/octet-stream` body so \
raw uploads stay callable (`whapi-ext` sends the true media type); the accepted types are listed \
in `x-whapi-media-types`, and the JSON form becomes the component `<Body>Json` so none of its \
fields is lost; each operation taking the body gets a twin method, `<method>_json`, that \
sends that form. The normalized spec keeps every media type.",
    apply: binary_upload_as_octet_stream,
};

const JSON: &str = "application/json";
const MULTIPART: &str = "multipart/form-data";

fn content_mut<'a>(spec: &'a mut Value, body: &str) -> Option<&'a mut Map<String, Value>> {
    // `body` points at a request body; its media types are under `content`.
    spec.pointer_mut(body)?.get_mut("content")?.as_object_mut()
}

fn is_binary(media: &Value) -> bool {
    media.pointer("/schema/format").and_then(Value::as_str) == Some("binary")
}

/// Pointers to every `content` map: request bodies and responses.
fn content_pointers(spec: &Value) -> Vec<String> {
    let mut out: Vec<String> = request_body_pointers(spec)
        .into_iter()
        .map(|b| format!("{b}/content"))
        .collect();
    let mut responses: Vec<String> = crate::walk::operations(spec)
        .into_iter()
        .map(|op| format!("{}/responses", op.pointer))
        .collect();
    responses.push("/components/responses".into());
    for list in responses {
        if let Some(map) = spec.pointer(&list).and_then(Value::as_object) {
            out.extend(
                map.keys()
                    .map(|code| format!("{list}/{}/content", crate::walk::escape(code))),
            );
        }
    }
    out.retain(|p| spec.pointer(p).is_some_and(Value::is_object));
    out
}

/// Adds `type; name=value` for each `name=value` key, after the media type
/// before it; the bare media type stays, so no accepted type is lost.
fn media_type_parameters(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for pointer in content_pointers(spec) {
        let Some(content) = spec.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        if content.keys().all(|k| k.contains('/')) {
            continue;
        }
        let mut fixed = Map::new();
        let mut last: Option<String> = None;
        for (key, media) in std::mem::take(content) {
            if key.contains('/') {
                fixed.insert(key.clone(), media);
                last = Some(key);
                continue;
            }
            let previous =
                last.clone()
                    .filter(|_| key.contains('='))
                    .ok_or_else(|| GenError::Unhandled {
                        rule: MEDIA_TYPE_PARAMETERS.name,
                        at: pointer.clone(),
                        what: format!("`{key}` is neither a media type nor a parameter of one"),
                    })?;
            let base = previous
                .split(';')
                .next()
                .unwrap_or(&previous)
                .trim()
                .to_string();
            let joined = format!("{base}; {key}");
            places.push(format!("{pointer}: `{key}` → `{joined}`"));
            fixed.insert(joined.clone(), media);
            last = Some(joined);
        }
        *content = fixed;
    }
    Ok(places)
}

/// Keeps JSON where a body offers exactly JSON and multipart.
fn json_over_multipart(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for body in request_body_pointers(spec) {
        let Some(content) = content_mut(spec, &body) else {
            continue;
        };
        let mut kinds: Vec<&str> = content.keys().map(String::as_str).collect();
        kinds.sort_unstable();
        if kinds == [JSON, MULTIPART] {
            let schema_of = |kind: &str| {
                content
                    .get(kind)
                    .and_then(|m| m.get("schema"))
                    .map(without_examples)
            };
            if schema_of(JSON) != schema_of(MULTIPART) {
                return Err(GenError::Unhandled {
                    rule: JSON_OVER_MULTIPART.name,
                    at: format!("{body}/content"),
                    what: "the JSON and multipart forms have different schemas: keeping JSON would lose fields".into(),
                });
            }
            content.shift_remove(MULTIPART);
            // For the builder's multipart send (`multipart_sends`).
            if let Some(object) = spec.pointer_mut(&body).and_then(Value::as_object_mut) {
                object.insert(crate::multipart_sends::MARK.into(), Value::Bool(true));
            }
            places.push(body);
        }
    }
    Ok(places)
}

/// A schema with its `example`/`examples` removed, for comparing shapes.
fn without_examples(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| *k != "example" && *k != "examples")
                .map(|(k, v)| (k.clone(), without_examples(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_examples).collect()),
        other => other.clone(),
    }
}

/// Turns a body of binary media types (plus an optional JSON form) into one
/// octet-stream body; any other mix of several content types is an error.
fn binary_upload_as_octet_stream(spec: &mut Value) -> Result<Vec<String>, GenError> {
    let mut places = Vec::new();
    for body in request_body_pointers(spec) {
        let Some(content) = content_mut(spec, &body) else {
            continue;
        };
        if content.len() < 2 {
            continue;
        }
        let binary: Vec<String> = content
            .iter()
            .filter(|(_, m)| is_binary(m))
            .map(|(k, _)| k.clone())
            .collect();
        let others: Vec<&String> = content
            .keys()
            .filter(|k| !binary.contains(k) && *k != JSON)
            .collect();
        if binary.is_empty() || !others.is_empty() {
            return Err(GenError::Unhandled {
                rule: BINARY_AS_OCTET_STREAM.name,
                at: format!("{body}/content"),
                what: format!(
                    "a body with content types {:?}: progenitor takes one, and no rule knows which to keep",
                    content.keys().collect::<Vec<_>>()
                ),
            });
        }
        let json_schema = content.get(JSON).and_then(|m| m.get("schema")).cloned();
        *content = Map::new();
        content.insert(
            "application/octet-stream".into(),
            json!({"schema": {"type": "string", "format": "binary"}}),
        );
        let name = format!("{}Json", json_form_name(spec, &body));
        let mut place = format!("{body}: {} binary media types", binary.len());
        if let Some(body_obj) = spec.pointer_mut(&body).and_then(Value::as_object_mut) {
            body_obj.insert("x-whapi-media-types".into(), json!(binary));
            if json_schema.is_some() {
                // `generate::json_forms` gives each operation of this body a
                // twin method that sends this form.
                body_obj.insert("x-whapi-json-form".into(), json!(name));
                note(
                    body_obj,
                    &format!("The JSON form of this body is the schema `{name}`."),
                );
            }
        }
        if let Some(schema) = json_schema {
            insert_schema(spec, &body, &name, schema)?;
            place.push_str(&format!(
                ", JSON form → `#/components/schemas/{name}`, sent by the `_json` twins of {}",
                operations_taking(spec, &body).join(", ")
            ));
        }
        places.push(place);
    }
    Ok(places)
}

/// The operationIds of the operations whose request body is `body` (a
/// component they refer to, or their own).
fn operations_taking(spec: &Value, body: &str) -> Vec<String> {
    let reference = format!("#{body}");
    crate::walk::operations(spec)
        .into_iter()
        .filter_map(|op| {
            let operation = spec.pointer(&op.pointer)?;
            let refers = operation
                .pointer("/requestBody/$ref")
                .and_then(Value::as_str)
                == Some(reference.as_str());
            let own = format!("{}/requestBody", op.pointer) == body;
            (refers || own).then(|| operation["operationId"].as_str().map(String::from))?
        })
        .collect()
}

/// `UploadMedia` for a component body, the PascalCase operationId for an
/// inline one.
fn json_form_name(spec: &Value, body: &str) -> String {
    if let Some(name) = body.strip_prefix("/components/requestBodies/") {
        return name.replace("~1", "/").replace("~0", "~");
    }
    let op = body.trim_end_matches("/requestBody");
    let id = spec
        .pointer(op)
        .and_then(|o| o.get("operationId"))
        .and_then(Value::as_str)
        .unwrap_or("Inline");
    let mut chars = id.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn insert_schema(spec: &mut Value, body: &str, name: &str, schema: Value) -> Result<(), GenError> {
    let schemas = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| GenError::Unhandled {
            rule: BINARY_AS_OCTET_STREAM.name,
            at: body.to_string(),
            what: "the spec has no components/schemas to hold the JSON form".into(),
        })?;
    if schemas.contains_key(name) {
        return Err(GenError::Unhandled {
            rule: BINARY_AS_OCTET_STREAM.name,
            at: body.to_string(),
            what: format!("the schema name `{name}` is taken"),
        });
    }
    schemas.insert(name.to_string(), schema);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload_spec() -> Value {
        json!({"paths": {"/media": {"post": {"operationId": "uploadMedia",
            "requestBody": {"$ref": "#/components/requestBodies/UploadMedia"}}}},
            "components": {"schemas": {}, "requestBodies": {"UploadMedia": {"content": {
            "audio/ogg": {"schema": {"type": "string", "format": "binary"}},
            "codecs=opus": {"schema": {"type": "string", "format": "binary"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object", "properties": {"media": {"type": "string"}}}}
        }}}}})
    }

    #[test]
    fn joins_split_media_type_parameters() {
        let mut spec = upload_spec();
        let places = media_type_parameters(&mut spec).unwrap();
        assert_eq!(places.len(), 1);
        let keys: Vec<_> = spec["components"]["requestBodies"]["UploadMedia"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            keys,
            [
                "audio/ogg",
                "audio/ogg; codecs=opus",
                "image/png",
                "application/json"
            ]
        );
    }

    #[test]
    fn a_stray_key_that_is_no_parameter_is_an_error() {
        let mut spec = json!({"components": {"requestBodies": {"B": {"content": {"opus": {}}}}}});
        let err = media_type_parameters(&mut spec).unwrap_err().to_string();
        assert!(
            err.contains("/components/requestBodies/B/content") && err.contains("`opus`"),
            "{err}"
        );
    }

    #[test]
    fn keeps_json_over_multipart() {
        let mut spec = json!({"paths": {"/x": {"post": {"requestBody": {"content": {
            "multipart/form-data": {"schema": {}}, "application/json": {"schema": {}}}}}}}});
        assert_eq!(
            json_over_multipart(&mut spec).unwrap(),
            ["/paths/~1x/post/requestBody"]
        );
        let content = spec.pointer("/paths/~1x/post/requestBody/content").unwrap();
        assert_eq!(
            content.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["application/json"]
        );
        assert_eq!(
            spec.pointer("/paths/~1x/post/requestBody/x-whapi-multipart"),
            Some(&json!(true)),
            "the body is marked for the builder's multipart send"
        );
    }

    #[test]
    fn multipart_with_another_schema_than_json_is_an_error() {
        let mut spec = json!({"paths": {"/x": {"post": {"requestBody": {"content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string"}}}},
            "application/json": {"schema": {"type": "object"}}}}}}}});
        assert!(json_over_multipart(&mut spec)
            .unwrap_err()
            .to_string()
            .contains("different schemas"));
    }

    #[test]
    fn joins_split_media_types_in_responses_too() {
        let mut spec = json!({"components": {"responses": {"Media": {"content": {
            "audio/ogg": {"schema": {}}, "codecs=opus": {"schema": {}}}}}}});
        assert_eq!(media_type_parameters(&mut spec).unwrap().len(), 1);
        assert!(spec
            .pointer("/components/responses/Media/content/audio~1ogg; codecs=opus")
            .is_some());
    }

    #[test]
    fn binary_bodies_become_octet_stream_and_keep_their_json_form() {
        let mut spec = upload_spec();
        media_type_parameters(&mut spec).unwrap();
        let places = binary_upload_as_octet_stream(&mut spec).unwrap();
        assert_eq!(places.len(), 1, "{places:?}");
        assert!(
            places[0].ends_with("sent by the `_json` twins of uploadMedia"),
            "{places:?}"
        );
        let body = &spec["components"]["requestBodies"]["UploadMedia"];
        assert_eq!(
            body["content"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["application/octet-stream"]
        );
        assert_eq!(
            body["x-whapi-media-types"],
            json!(["audio/ogg", "audio/ogg; codecs=opus", "image/png"])
        );
        assert_eq!(body["x-whapi-json-form"], "UploadMediaJson");
        assert_eq!(
            spec["components"]["schemas"]["UploadMediaJson"]["properties"]["media"]["type"],
            "string"
        );
    }

    #[test]
    fn an_unknown_mix_of_content_types_is_an_error() {
        let mut spec = json!({"paths": {"/x": {"post": {"requestBody": {"content": {
            "application/json": {"schema": {}}, "application/xml": {"schema": {}}}}}}}});
        let err = binary_upload_as_octet_stream(&mut spec)
            .unwrap_err()
            .to_string();
        assert!(err.contains("/paths/~1x/post/requestBody/content"), "{err}");
    }
}
