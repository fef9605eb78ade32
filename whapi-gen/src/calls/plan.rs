//! One plan per operation: the `Whapi` method, its arguments and setters,
//! what it sends them as, and what it answers.

use heck::ToSnakeCase;
use serde_json::{json, Value};

use super::kinds::{classify, time_kind, Classified, Kind, Limit};
use crate::inventory::Row;
use crate::raw_client::{last_ident, RawClient, RawValue};
use crate::walk::{deref, object_fields, operations, parameters};
use crate::GenError;

/// A raw upload (bytes as the body, with their media type) and its JSON
/// twin (a URL or media id), which one call covers: it sends local media
/// through the first, media by reference through the second.
#[derive(Clone)]
pub(crate) struct RawUpload {
    /// The twin's client method (`upload_media_json`).
    pub(crate) twin_method: String,
    /// The twin's request builder (`UploadMediaJson`).
    pub(crate) twin_builder: String,
    /// Whether the twin's body has `media` as an `Option`.
    pub(crate) media_optional: bool,
    /// The media types the raw form takes, from the spec.
    pub(crate) accept: Vec<String>,
}

/// What the docs say of a media field, in place of the spec's list of
/// upload forms (which `MediaSource` covers).
const MEDIA_DOC: &str =
    "The media: a URL, a media id, or local data to upload (see `MediaSource`).";

/// Where a value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Place {
    Path,
    Query,
    Body,
}

/// A parameter or body field of a call.
#[derive(Clone)]
pub(crate) struct Input {
    /// The spec's name (`ChatID`, `typing_time`).
    pub(crate) json: String,
    /// How the client takes it: its setter's name and type.
    pub(crate) raw: RawValue,
    /// Whether it is a `Vec` that defaults to empty in the body.
    pub(crate) defaulted_vec: bool,
    pub(crate) class: Classified,
    /// The first paragraph of its description.
    pub(crate) doc: String,
    pub(crate) required: bool,
    pub(crate) place: Place,
    /// Its schema, for samples.
    pub(crate) schema: Value,
}

impl Input {
    /// The name of its argument or setter in `whapi-ext`.
    pub(crate) fn rust(&self) -> &str {
        &self.raw.name
    }

    /// Whether it is a required body text the spec lets be `null` (the
    /// username of `setUsername`, whose `null` removes it): an
    /// `Option<&str>` argument, so that `None` says null.
    pub(crate) fn nullable_text(&self) -> bool {
        self.required
            && self.place == Place::Body
            && self.raw.optional
            && self.class.kind == Kind::Text
            && self.schema.get("nullable") == Some(&Value::Bool(true))
    }
}

/// What a call answers.
#[derive(Clone)]
pub(crate) enum Answer {
    /// JSON decoded into this type of the client.
    Json(syn::Type),
    /// JSON, or nothing at all for a 204 (`None`).
    OptionalJson(syn::Type),
    /// Bytes, streamed.
    Bytes,
    /// Whether the thing exists: a `HEAD` the service answers 200 or 404.
    Exists,
}

/// Everything the emitter needs for one operation.
#[derive(Clone)]
pub(crate) struct Plan {
    pub(crate) operation_id: String,
    pub(crate) http: String,
    pub(crate) path: String,
    pub(crate) summary: String,
    /// The spec's description, paragraph by paragraph (empty when it has none).
    pub(crate) description: Vec<String>,
    /// The spec's first tag, which groups the methods on docs.rs.
    pub(crate) tag: String,
    /// Whether the spec marks the operation deprecated.
    pub(crate) deprecated: bool,
    /// The client method, which the `Whapi` method is named after.
    pub(crate) method: String,
    /// The client's request builder type (`CreateGroup`), which the
    /// `whapi-ext` builder is named after.
    pub(crate) builder: String,
    pub(crate) inputs: Vec<Input>,
    /// The body's type in the client (`CreateGroupRequest`).
    pub(crate) body: Option<String>,
    pub(crate) answer: Answer,
    /// Whether local media may go as a multipart form.
    pub(crate) uploads: bool,
    /// Set for an operation whose body is raw bytes.
    pub(crate) raw_upload: Option<RawUpload>,
}

impl Plan {
    /// The required inputs in argument order: path, query, then body (`to`
    /// first).
    pub(crate) fn arguments(&self) -> impl Iterator<Item = &Input> {
        self.inputs.iter().filter(|i| i.required)
    }

    /// The optional inputs, in setter order.
    pub(crate) fn setters(&self) -> impl Iterator<Item = &Input> {
        self.inputs.iter().filter(|i| !i.required)
    }
}

/// The first paragraph of a description (or the title), on one line.
pub(crate) fn first_paragraph(schema: &Value) -> String {
    let text = schema
        .get("description")
        .or_else(|| schema.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("");
    text.split("\n\n")
        .next()
        .unwrap_or("")
        .replace('\n', " ")
        .replace("<br/>", " ")
        .trim()
        .to_string()
}

/// An operation's description as paragraphs of one line each: the spec
/// breaks lines inside paragraphs and writes `<br/>` for a break.
fn paragraphs(operation: &Value) -> Vec<String> {
    let text = operation
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .replace("<br/>", "\n\n");
    let mut out: Vec<String> = Vec::new();
    for block in text.split("\n\n") {
        // A list keeps its lines; other lines join into one.
        let lines: Vec<&str> = block
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut paragraph = String::new();
        for line in lines {
            if line.starts_with("- ") {
                if !paragraph.is_empty() {
                    out.push(std::mem::take(&mut paragraph));
                }
                out.push(line.to_string());
            } else {
                if !paragraph.is_empty() {
                    paragraph.push(' ');
                }
                paragraph.push_str(line);
            }
        }
        if !paragraph.is_empty() {
            out.push(paragraph);
        }
    }
    out
}

fn unhandled(at: &str, what: impl Into<String>) -> GenError {
    GenError::Unhandled {
        rule: "calls",
        at: at.to_string(),
        what: what.into(),
    }
}

/// The plans of every operation not written by hand.
pub(crate) fn plan_all(
    spec: &Value,
    raw: &RawClient,
    rows: &[Row],
    file: &syn::File,
) -> Result<Vec<Plan>, GenError> {
    let methods = crate::inventory::client_methods(file);
    let mut plans = Vec::new();
    for op in operations(spec) {
        let Some(operation) = spec.pointer(&op.pointer) else {
            continue;
        };
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let row = crate::inventory::row_of(rows, id, "calls", &op.pointer)?;
        let (method, builder_name) = methods
            .get(&(row.method.clone(), row.path.clone()))
            .cloned()
            .ok_or_else(|| unhandled(&op.pointer, format!("{id} has no client method")))?;
        let builder = raw
            .builders
            .get(&builder_name)
            .ok_or_else(|| unhandled(&op.pointer, format!("no builder {builder_name}")))?;
        let mut inputs = Vec::new();
        for param in parameters(spec, operation) {
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let place = match param.get("in").and_then(Value::as_str) {
                Some("path") => Place::Path,
                Some("query") => Place::Query,
                other => {
                    return Err(unhandled(
                        &op.pointer,
                        format!("a {other:?} parameter `{name}`"),
                    ))
                }
            };
            let rust = name.to_snake_case();
            let value = builder.params.get(&rust).cloned().ok_or_else(|| {
                unhandled(&op.pointer, format!("no setter `{rust}` for `{name}`"))
            })?;
            let schema = param.get("schema").cloned().unwrap_or(Value::Null);
            let required = place == Place::Path
                || param.get("required").and_then(Value::as_bool) == Some(true);
            let mut doc = first_paragraph(param);
            if doc.is_empty() {
                doc = first_paragraph(deref(spec, &schema));
            }
            let mut class = classify(spec, name, &schema, &value, place == Place::Path);
            if let Some(kind) = time_kind(name, &doc, &class.kind) {
                class.kind = kind;
            }
            inputs.push(Input {
                json: name.to_string(),
                class,
                raw: value,
                defaulted_vec: false,
                doc,
                required,
                place,
                schema,
            });
        }
        let mut body = None;
        let mut uploads = false;
        let request = operation.get("requestBody").map(|b| deref(spec, b));
        let raw_upload = builder
            .body
            .as_ref()
            .filter(|ty| last_ident(ty) == "Body")
            .map(|_| raw_upload_of(raw, &method, &builder_name, request, &op.pointer))
            .transpose()?;
        // The body a call builds: its own, or for a raw upload its twin's.
        let body_ty = match &raw_upload {
            Some(upload) => raw.builders[&upload.twin_builder].body.clone(),
            None => builder.body.clone(),
        };
        if let Some(body_ty) = &body_ty {
            let name = last_ident(body_ty);
            let twin_request;
            let request = match &raw_upload {
                Some(_) => {
                    twin_request = json!({"content": {"application/json": request
                        .and_then(|b| b.pointer("/content/application~1json"))
                        .cloned()
                        .unwrap_or(Value::Null)}});
                    Some(&twin_request)
                }
                None => request,
            };
            let schema = request
                .and_then(|b| b.pointer("/content/application~1json/schema"))
                .ok_or_else(|| unhandled(&op.pointer, "a body that is not JSON"))?;
            let fields = raw.structs.get(&name).ok_or_else(|| {
                unhandled(&op.pointer, format!("the body type {name} is not a struct"))
            })?;
            let (props, mut required) = object_fields(spec, schema, true);
            // `required` beside a `$ref` adds to the target's.
            if schema.get("$ref").is_some() {
                let extra = schema.get("required").and_then(Value::as_array);
                required.extend(
                    extra
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(String::from),
                );
            }
            let mut body_inputs = Vec::new();
            for (json, field) in fields {
                // A raw upload's media is its own argument.
                if raw_upload.is_some() && json == "media" {
                    continue;
                }
                let schema = props.get(json).cloned().ok_or_else(|| {
                    unhandled(&op.pointer, format!("{name}.{json} is not in the spec"))
                })?;
                let mut class = classify(spec, json, &schema, &field.value, false);
                let required = required.iter().any(|r| r == json);
                // A required text that is empty is never what was meant.
                if required
                    && class.kind == Kind::Text
                    && !class
                        .limits
                        .iter()
                        .any(|l| matches!(l, Limit::MinLength(_)))
                {
                    class.limits.insert(0, Limit::MinLength(1));
                }
                let doc = if class.kind == Kind::Media {
                    MEDIA_DOC.to_string()
                } else {
                    first_paragraph(deref(spec, &schema))
                };
                if let Some(kind) = time_kind(json, &doc, &class.kind) {
                    class.kind = kind;
                }
                body_inputs.push(Input {
                    json: json.clone(),
                    raw: field.value.clone(),
                    defaulted_vec: field.defaulted_vec,
                    doc,
                    required,
                    place: Place::Body,
                    class,
                    schema,
                });
            }
            // The order of the spec, `to` first.
            body_inputs.sort_by_key(|i| {
                (
                    i.json != "to",
                    props
                        .keys()
                        .position(|k| *k == i.json)
                        .unwrap_or(usize::MAX),
                )
            });
            // Local media goes as a multipart form where the spec takes one
            // and every required field is a value a form field carries
            // (not an object, such as an interactive message's action).
            uploads = request
                .and_then(|b| b.pointer("/content/multipart~1form-data"))
                .is_some()
                && body_inputs.iter().any(|i| i.class.kind == Kind::Media)
                && !body_inputs
                    .iter()
                    .any(|i| i.required && matches!(i.class.kind, Kind::Typed | Kind::Json));
            inputs.extend(body_inputs);
            body = Some(name);
        }
        // Arguments in path, query, body order; each keeps the spec's order.
        inputs.sort_by_key(|i| i.place);
        check_names(&inputs, &op.pointer)?;
        let success = builder
            .success
            .clone()
            .ok_or_else(|| unhandled(&op.pointer, "no answer type"))?;
        let statuses: Vec<&String> = operation
            .get("responses")
            .and_then(Value::as_object)
            .map(|r| r.keys().collect())
            .unwrap_or_default();
        let answer = if row.method == "HEAD" && statuses.iter().any(|s| *s == "404") {
            Answer::Exists
        } else if last_ident(&success) == "ByteStream" {
            Answer::Bytes
        } else if statuses.iter().any(|s| *s == "204") && statuses.iter().any(|s| *s == "200") {
            Answer::OptionalJson(success)
        } else {
            Answer::Json(success)
        };
        let summary = operation
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or(id)
            .trim()
            .to_string();
        let tag = operation
            .pointer("/tags/0")
            .and_then(Value::as_str)
            .ok_or_else(|| unhandled(&op.pointer, "no tag"))?
            .to_string();
        plans.push(Plan {
            operation_id: id.to_string(),
            http: row.method.clone(),
            path: row.path.clone(),
            summary,
            description: paragraphs(operation),
            tag,
            deprecated: operation.get("deprecated").and_then(Value::as_bool) == Some(true),
            method,
            builder: builder_name,
            inputs,
            body,
            answer,
            uploads,
            raw_upload,
        });
    }
    Ok(plans)
}

/// The raw upload of `method` and its JSON twin.
fn raw_upload_of(
    raw: &RawClient,
    method: &str,
    builder: &str,
    request: Option<&Value>,
    at: &str,
) -> Result<RawUpload, GenError> {
    let twin_builder = format!("{builder}Json");
    let twin = raw
        .builders
        .get(&twin_builder)
        .ok_or_else(|| unhandled(at, format!("raw upload without a JSON twin {twin_builder}")))?;
    let twin_body = twin
        .body
        .as_ref()
        .map(last_ident)
        .ok_or_else(|| unhandled(at, "a JSON twin without a body"))?;
    let media = raw
        .structs
        .get(&twin_body)
        .and_then(|fields| fields.get("media"))
        .ok_or_else(|| unhandled(at, format!("{twin_body} has no media")))?;
    let accept = request
        .and_then(|r| r.get("content"))
        .and_then(Value::as_object)
        .map(|content| {
            content
                .keys()
                .filter(|k| *k != "application/json")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Ok(RawUpload {
        twin_method: format!("{method}_json"),
        twin_builder,
        media_optional: media.value.optional,
        accept,
    })
}

/// Names an argument or setter may not take: the builders' own methods.
const RESERVED: &[&str] = &[
    "send",
    "send_with_meta",
    "with_options",
    "into_future",
    "run",
];

fn check_names(inputs: &[Input], at: &str) -> Result<(), GenError> {
    for (i, input) in inputs.iter().enumerate() {
        if RESERVED.contains(&input.rust()) {
            return Err(unhandled(
                at,
                format!("`{}` would shadow a builder method", input.rust()),
            ));
        }
        if inputs[..i].iter().any(|other| other.rust() == input.rust()) {
            return Err(unhandled(
                at,
                format!("two inputs are named `{}`", input.rust()),
            ));
        }
    }
    Ok(())
}
