//! The rule table. Each rule lives in its own module with its tests.

mod answer_ids;
mod boxed_types;
mod defaults;
mod error_responses;
mod get_body;
mod lenient_responses;
mod message_fields;
mod pattern_examples;
mod patterns;
mod query_arrays;
mod query_integers;
mod request_content;
mod response_copies;
mod shared_parameter_enums;
mod shared_property_enums;
mod shared_types;
mod spec_fixes;
mod string_unions;
mod success_responses;

use serde_json::{Map, Value};

use crate::GenError;

use super::{Phase, Rule};

pub(crate) use boxed_types::BOXED;
pub(crate) use pattern_examples::sample_for;
pub(crate) use string_unions::ONE_OF;

/// Every rule, in the order it runs.
pub static ALL: &[Rule] = &[
    defaults::RULE,
    request_content::MEDIA_TYPE_PARAMETERS,
    request_content::JSON_OVER_MULTIPART,
    request_content::BINARY_AS_OCTET_STREAM,
    success_responses::NO_CONTENT_204,
    get_body::RULE,
    success_responses::RULE,
    error_responses::RULE,
    string_unions::RULE,
    spec_fixes::NO_BODY_FOR_HEAD,
    spec_fixes::UNDECLARED_REQUIRED,
    spec_fixes::NONCONFORMING_EXAMPLES,
    spec_fixes::EXPLODED_OBJECT_QUERY,
    message_fields::RULE,
    answer_ids::RULE,
    pattern_examples::RULE,
    query_integers::RULE,
    query_arrays::RULE,
    patterns::RULE,
    response_copies::RULE,
    lenient_responses::OPAQUE_UNIONS,
    lenient_responses::OPEN_FORMATS,
    lenient_responses::OPTIONAL_FIELDS,
    lenient_responses::OPEN_ENUMS,
    shared_parameter_enums::RULE,
    shared_property_enums::RULE,
    shared_types::RULE,
    boxed_types::RULE,
];

/// Appends a sentence to a schema's description, so what a rule moved out of
/// the machine-readable schema stays visible in the generated docs.
fn note(map: &mut Map<String, Value>, sentence: &str) {
    let text = match map.get("description").and_then(Value::as_str) {
        Some(d) if !d.trim().is_empty() => format!("{}\n\n{sentence}", d.trim_end()),
        _ => sentence.to_string(),
    };
    map.insert("description".into(), Value::String(text));
}

/// A type name of words (`font_type` → `FontType`, [`Sender`, `to`] →
/// `SenderTo`).
fn pascal(words: &[&str]) -> String {
    words
        .iter()
        .flat_map(|w| w.split(['_', '-', ' ']))
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Moves the schema at the first of `places` into the component `name` and
/// points every place at it; one line per place changed. The name must be
/// free; nothing moves when the first place holds nothing.
fn hoist(
    spec: &mut Value,
    rule: &'static str,
    places: &[String],
    name: &str,
) -> Result<Vec<String>, GenError> {
    let Some(first) = places.first() else {
        return Ok(Vec::new());
    };
    let Some(schema) = spec.pointer(first).cloned() else {
        return Ok(Vec::new());
    };
    let unhandled = |what: String| GenError::Unhandled {
        rule,
        at: first.clone(),
        what,
    };
    let schemas = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| unhandled("no components/schemas".into()))?;
    if schemas.contains_key(name) {
        return Err(unhandled(format!("the component name `{name}` is taken")));
    }
    schemas.insert(name.to_string(), schema);
    let reference = serde_json::json!({"$ref": format!("#/components/schemas/{name}")});
    let mut changed = Vec::new();
    for place in places {
        if let Some(slot) = spec.pointer_mut(place) {
            *slot = reference.clone();
        }
        changed.push(format!("{place} → #/components/schemas/{name}"));
    }
    Ok(changed)
}

/// Pointers to every request body object: components and inline ones.
fn request_body_pointers(spec: &Value) -> Vec<String> {
    let mut out: Vec<String> = spec
        .pointer("/components/requestBodies")
        .and_then(Value::as_object)
        .map(|bodies| {
            bodies
                .keys()
                .map(|k| format!("/components/requestBodies/{}", crate::walk::escape(k)))
                .collect()
        })
        .unwrap_or_default();
    for op in crate::walk::operations(spec) {
        let pointer = format!("{}/requestBody", op.pointer);
        if spec
            .pointer(&pointer)
            .is_some_and(|b| b.get("$ref").is_none())
        {
            out.push(pointer);
        }
    }
    out
}

/// Pointers to every parameter object: components and inline ones.
fn parameter_pointers(spec: &Value) -> Vec<String> {
    let mut out: Vec<String> = spec
        .pointer("/components/parameters")
        .and_then(Value::as_object)
        .map(|ps| {
            ps.keys()
                .map(|k| format!("/components/parameters/{}", crate::walk::escape(k)))
                .collect()
        })
        .unwrap_or_default();
    let mut owners: Vec<String> = crate::walk::operations(spec)
        .into_iter()
        .map(|op| op.pointer)
        .collect();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        owners.extend(
            paths
                .keys()
                .map(|p| format!("/paths/{}", crate::walk::escape(p))),
        );
    }
    for owner in owners {
        let list = format!("{owner}/parameters");
        if let Some(items) = spec.pointer(&list).and_then(Value::as_array) {
            for (i, p) in items.iter().enumerate() {
                if p.get("$ref").is_none() {
                    out.push(format!("{list}/{i}"));
                }
            }
        }
    }
    out
}
