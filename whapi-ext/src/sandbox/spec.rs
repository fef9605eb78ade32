//! The spec as the sandbox uses it: which operation a request calls,
//! whether the request keeps to the spec (checked as Prism checks it, so
//! the sandbox refuses what the service would), and the spec's example
//! answer for the operations the sandbox does not emulate.
//!
//! The spec is `spec.json`, the normalized spec without its prose, written
//! by `cargo xtask regen`.

use std::sync::OnceLock;

use boon::{Compiler, Draft, SchemaIndex, Schemas, ValidationError};
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};

/// The normalized spec without its prose.
const SPEC: &str = include_str!("spec.json");

/// Where the checks' document is, for the schema compiler (never fetched).
const CHECKS_URL: &str = "http://sandbox.whapi.invalid/checks.json";

/// How deep an example answer is written before optional fields stop (the
/// spec's messages quote messages).
const EXAMPLE_DEPTH: usize = 6;

/// The spec, loaded and compiled once per process.
pub(crate) fn spec() -> Result<&'static Spec, String> {
    static LOADED: OnceLock<Result<Spec, String>> = OnceLock::new();
    LOADED
        .get_or_init(Spec::load)
        .as_ref()
        .map_err(Clone::clone)
}

/// The operations of the spec, ready to check their requests.
pub(crate) struct Spec {
    operations: Vec<Operation>,
    schemas: Schemas,
    /// The compiled checks, in the order parameters and bodies name them.
    checks: Vec<SchemaIndex>,
}

/// An operation of the spec.
#[derive(Debug)]
pub(crate) struct Operation {
    /// Its operationId, e.g. `sendMessageText`.
    pub id: String,
    method: String,
    /// The path template's segments.
    template: Vec<Segment>,
    parameters: Vec<Parameter>,
    body: Option<Body>,
    /// The answer the spec gives as its example.
    pub example: Example,
}

/// A segment of a path template: literal text, or a parameter's name.
#[derive(Debug)]
enum Segment {
    Literal(String),
    Parameter(String),
}

#[derive(Debug)]
struct Parameter {
    name: String,
    in_path: bool,
    required: bool,
    shape: Shape,
    /// Its schema, by its place among the compiled checks.
    check: usize,
}

/// What a parameter or form field written as text is read as before it is
/// checked.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Text,
    Integer,
    Number,
    Boolean,
    /// A list: repeated (`a=1&a=2`), or comma-separated when not exploded.
    List {
        explode: bool,
        item: Box<Shape>,
    },
    /// JSON written as text (a list or an object in a form field).
    Json,
}

#[derive(Debug)]
struct Body {
    required: bool,
    types: Vec<BodyType>,
}

/// A media type a body may come as.
#[derive(Debug)]
struct BodyType {
    /// Lower case, without parameters (`audio/ogg`, `multipart/form-data`).
    essence: String,
    /// The schema of a JSON body or a form, by its place among the checks.
    check: Option<usize>,
    /// A form's fields and how their text is read.
    fields: Vec<(String, Shape)>,
}

/// The spec's example answer of an operation.
#[derive(Debug, Clone)]
pub(crate) struct Example {
    pub status: u16,
    /// The body's media type; `None` for an answer without a body.
    pub content_type: Option<String>,
    /// The body: JSON, or a few bytes standing for a file.
    pub body: Option<Value>,
}

impl Operation {
    /// A form field's text read as the spec types it: a number, a flag, a
    /// list, or text (a caption of `2024` stays text).
    pub(crate) fn read_field(&self, name: &str, text: &str) -> Value {
        let form = self.body.iter().flat_map(|b| &b.types);
        let shape = form
            .flat_map(|t| &t.fields)
            .find(|(field, _)| field == name)
            .map_or(&Shape::Text, |(_, shape)| shape);
        read_text(shape, text)
    }

    /// The query's parameters, read as the spec types them.
    pub(crate) fn read_query(&self, query: Option<&str>) -> Map<String, Value> {
        let pairs = query_pairs(query);
        self.parameters
            .iter()
            .filter(|p| !p.in_path)
            .filter_map(|p| {
                let given = values_of(&pairs, &p.name);
                Some((p.name.clone(), read_parameter(&p.shape, &given)?))
            })
            .collect()
    }
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn values_of<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// What a request's path is, for the spec.
pub(crate) enum Found<'s> {
    /// A call of this operation, with its path parameters (decoded).
    Call(&'s Operation, Vec<(String, String)>),
    /// The path is the spec's, the method is not.
    WrongMethod,
    /// No operation has this path.
    NoPath,
}

/// A request's body, as the check reads it.
pub(crate) enum Received<'b> {
    /// No body.
    Empty,
    /// The body's bytes and its media type.
    Bytes(&'b [u8], &'b str),
    /// A form's fields: text, or `None` for a file.
    Form(Vec<(String, Option<String>)>),
}

/// Why a request is refused: its status (400, or 415 for a media type the
/// operation does not take) and every reason.
#[derive(Debug, PartialEq)]
pub(crate) struct Problems {
    pub status: u16,
    pub reasons: Vec<String>,
}

impl Spec {
    fn load() -> Result<Spec, String> {
        let spec: Value =
            serde_json::from_str(SPEC).map_err(|e| format!("the sandbox's spec: {e}"))?;
        let mut checks = Vec::new();
        let mut operations = Vec::new();
        let paths = spec["paths"].as_object().cloned().unwrap_or_default();
        for (path, item) in &paths {
            let shared = item["parameters"].as_array().cloned().unwrap_or_default();
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let Some(id) = op["operationId"].as_str() else {
                    continue;
                };
                let declared = shared
                    .iter()
                    .chain(op["parameters"].as_array().into_iter().flatten());
                let parameters = declared
                    .map(|p| parameter(&spec, resolve(&spec, p), &mut checks))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("{id}: a parameter without a name or schema"))?;
                let body = op
                    .get("requestBody")
                    .map(|b| body(&spec, resolve(&spec, b), &mut checks));
                operations.push(Operation {
                    id: id.to_string(),
                    method: method.to_ascii_uppercase(),
                    template: path
                        .split('/')
                        .map(
                            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                                Some(name) => Segment::Parameter(name.to_string()),
                                None => Segment::Literal(s.to_string()),
                            },
                        )
                        .collect(),
                    parameters,
                    body,
                    example: example_answer(&spec, &op["responses"]),
                });
            }
        }
        let count = checks.len();
        let mut document = json!({"components": spec["components"], "checks": checks});
        rust_patterns(&mut document);
        let mut compiler = Compiler::new();
        // OpenAPI 3.0's schemas are draft 4's, give or take `example`.
        compiler.set_default_draft(Draft::V4);
        compiler
            .add_resource(CHECKS_URL, document)
            .map_err(|e| e.to_string())?;
        let mut schemas = Schemas::new();
        let compiled = (0..count)
            .map(|i| {
                compiler
                    .compile(&format!("{CHECKS_URL}#/checks/{i}"), &mut schemas)
                    .map_err(|e| format!("the sandbox's spec does not compile: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Spec {
            operations,
            schemas,
            checks: compiled,
        })
    }

    /// Every operation of the spec.
    #[cfg(test)]
    pub(crate) fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.operations.iter()
    }

    /// The operation a request calls: of the templates its path fits, the
    /// one with the most literal segments (`GET /messages/list` is
    /// `getMessages`, not `getMessage` of a message named `list`).
    pub(crate) fn find(&self, method: &str, path: &str) -> Found<'_> {
        let segments: Vec<&str> = path.split('/').collect();
        let fitting = self
            .operations
            .iter()
            .filter(|op| fits(&op.template, &segments));
        let mut path_known = false;
        let mut best: Option<&Operation> = None;
        for op in fitting {
            path_known = true;
            let literal = |o: &Operation| {
                o.template
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count()
            };
            if op.method == method && best.is_none_or(|b| literal(op) > literal(b)) {
                best = Some(op);
            }
        }
        match best {
            Some(op) => {
                // Each value by its name in the template, not by the order
                // the parameters are declared in.
                let values = op
                    .template
                    .iter()
                    .zip(&segments)
                    .filter_map(|(t, s)| match t {
                        Segment::Parameter(name) => Some((
                            name.clone(),
                            percent_decode_str(s).decode_utf8_lossy().into_owned(),
                        )),
                        Segment::Literal(_) => None,
                    });
                Found::Call(op, values.collect())
            }
            None if path_known => Found::WrongMethod,
            None => Found::NoPath,
        }
    }

    /// Every way the request breaks the operation's part of the spec.
    pub(crate) fn check(
        &self,
        op: &Operation,
        path_values: &[(String, String)],
        query: Option<&str>,
        body: &Received<'_>,
    ) -> Result<(), Problems> {
        let mut reasons = Vec::new();
        let pairs = query_pairs(query);
        for parameter in &op.parameters {
            let given = if parameter.in_path {
                values_of(path_values, &parameter.name)
            } else {
                values_of(&pairs, &parameter.name)
            };
            let place = if parameter.in_path { "path" } else { "query" };
            let Some(value) = read_parameter(&parameter.shape, &given) else {
                if parameter.required {
                    reasons.push(format!(
                        "the {place} parameter `{}` is required",
                        parameter.name
                    ));
                }
                continue;
            };
            let label = format!("the {place} parameter `{}`", parameter.name);
            self.validate(parameter.check, &value, &label, &mut reasons);
        }
        if let Some(spec_body) = &op.body {
            if let Err(status) = self.check_body(spec_body, body, &mut reasons) {
                return Err(Problems { status, reasons });
            }
        }
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(Problems {
                status: 400,
                reasons,
            })
        }
    }

    /// Adds the body's problems to `reasons`; `Err(415)` for a media type
    /// the operation does not take.
    fn check_body(
        &self,
        spec: &Body,
        body: &Received<'_>,
        reasons: &mut Vec<String>,
    ) -> Result<(), u16> {
        let find = |essence: &str| spec.types.iter().find(|t| t.essence == essence);
        match body {
            Received::Empty => {
                if spec.required {
                    reasons.push("the body is required".into());
                }
            }
            Received::Bytes(bytes, media_type) => {
                let essence = essence_of(media_type);
                let Some(kind) = find(&essence) else {
                    let taken: Vec<&str> = spec.types.iter().map(|t| t.essence.as_str()).collect();
                    reasons.push(format!(
                        "the body's type `{media_type}` is not one the operation takes ({})",
                        taken.join(", ")
                    ));
                    return Err(415);
                };
                if let (Some(check), true) = (kind.check, essence == "application/json") {
                    match serde_json::from_slice::<Value>(bytes) {
                        Ok(value) => self.validate(check, &value, "the body", reasons),
                        Err(e) => reasons.push(format!("the body is not JSON: {e}")),
                    }
                }
            }
            Received::Form(fields) => {
                let Some(kind) = find("multipart/form-data") else {
                    reasons.push("the operation does not take a multipart form".into());
                    return Err(415);
                };
                if let Some(check) = kind.check {
                    let form = read_form(&kind.fields, fields);
                    self.validate(check, &Value::Object(form), "the form", reasons);
                }
            }
        }
        Ok(())
    }

    fn validate(&self, check: usize, value: &Value, label: &str, reasons: &mut Vec<String>) {
        let Some(&index) = self.checks.get(check) else {
            return;
        };
        if let Err(error) = self.schemas.validate(value, index) {
            leaf_reasons(&error, label, reasons);
        }
    }
}

/// The innermost reasons of a validation error, each with where it is.
fn leaf_reasons(error: &ValidationError<'_, '_>, label: &str, reasons: &mut Vec<String>) {
    if error.causes.is_empty() {
        let at = error.instance_location.to_string();
        let at = if at.is_empty() {
            String::new()
        } else {
            format!(" at `{at}`")
        };
        reasons.push(format!("{label}{at}: {}", error.kind));
    }
    for cause in &error.causes {
        leaf_reasons(cause, label, reasons);
    }
}

/// Rewrites every `pattern` for Rust's regex syntax: in ECMAScript's (the
/// spec's) a `[` inside a class is literal, in Rust's it opens a nested
/// class (the proxy setting's pattern has one).
fn rust_patterns(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(pattern) if key == "pattern" => {
                        *pattern = literal_brackets_in_classes(pattern);
                    }
                    other => rust_patterns(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rust_patterns),
        _ => {}
    }
}

fn literal_brackets_in_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                out.extend(chars.next());
            }
            '[' if in_class => out.push_str("\\["),
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether a path's segments fit a template's.
fn fits(template: &[Segment], segments: &[&str]) -> bool {
    template.len() == segments.len()
        && template.iter().zip(segments).all(|(t, s)| match t {
            Segment::Literal(literal) => literal == s,
            Segment::Parameter(_) => !s.is_empty(),
        })
}

/// A media type's essence: lower case, without its parameters.
fn essence_of(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A parameter's text values read as its shape; `None` when not given.
fn read_parameter(shape: &Shape, given: &[&str]) -> Option<Value> {
    let first = given.first()?;
    Some(match shape {
        Shape::List { explode, item } => {
            let items: Vec<&str> = if *explode {
                given.to_vec()
            } else {
                first.split(',').collect()
            };
            Value::Array(items.iter().map(|t| read_text(item, t)).collect())
        }
        other => read_text(other, first),
    })
}

/// One text value read as `shape`; left as text when it does not read, so
/// the schema names the problem.
fn read_text(shape: &Shape, text: &str) -> Value {
    let read = match shape {
        Shape::Integer => text.parse::<i64>().ok().map(Value::from),
        Shape::Number => text.parse::<f64>().ok().map(Value::from),
        Shape::Boolean => text.parse::<bool>().ok().map(Value::from),
        Shape::Json => serde_json::from_str(text).ok(),
        Shape::Text | Shape::List { .. } => None,
    };
    read.unwrap_or_else(|| Value::String(text.to_string()))
}

fn read_form(
    shapes: &[(String, Shape)],
    fields: &[(String, Option<String>)],
) -> Map<String, Value> {
    fields
        .iter()
        .map(|(name, text)| {
            let value = match text {
                None => Value::String("(file)".into()),
                Some(text) => {
                    let shape = shapes.iter().find(|(n, _)| n == name).map(|(_, s)| s);
                    read_text(shape.unwrap_or(&Shape::Text), text)
                }
            };
            (name.clone(), value)
        })
        .collect()
}

/// Follows `$ref`s within the spec.
fn resolve<'a>(spec: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match reference.strip_prefix('#').and_then(|p| spec.pointer(p)) {
            Some(target) => value = target,
            None => break,
        }
    }
    value
}

fn parameter(spec: &Value, declared: &Value, checks: &mut Vec<Value>) -> Option<Parameter> {
    let name = declared["name"].as_str()?.to_string();
    let schema = declared.get("schema")?;
    let in_path = declared["in"] == "path";
    let explode = declared["explode"]
        .as_bool()
        .unwrap_or(declared["style"].is_null());
    checks.push(schema.clone());
    Some(Parameter {
        name,
        in_path,
        required: in_path || declared["required"] == true,
        shape: shape_of(spec, schema, explode, 0),
        check: checks.len() - 1,
    })
}

fn body(spec: &Value, declared: &Value, checks: &mut Vec<Value>) -> Body {
    let content = declared["content"].as_object().cloned().unwrap_or_default();
    let types = content
        .iter()
        .map(|(media_type, media)| {
            let essence = essence_of(media_type);
            let structured = essence == "application/json" || essence == "multipart/form-data";
            let check = match media.get("schema") {
                Some(schema) if structured => {
                    checks.push(schema.clone());
                    Some(checks.len() - 1)
                }
                _ => None,
            };
            let fields = if essence == "multipart/form-data" {
                properties(spec, &media["schema"], 0)
                    .into_iter()
                    .map(|(name, schema)| {
                        let shape = match shape_of(spec, schema, true, 0) {
                            Shape::List { .. } => Shape::Json,
                            shape => shape,
                        };
                        (name, shape)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            BodyType {
                essence,
                check,
                fields,
            }
        })
        .collect();
    Body {
        required: declared["required"] == true,
        types,
    }
}

/// How a schema's value is written as text.
fn shape_of(spec: &Value, schema: &Value, explode: bool, depth: usize) -> Shape {
    let schema = resolve(spec, schema);
    if depth < 8 {
        for member in ["allOf", "oneOf", "anyOf"] {
            if let Some(first) = schema[member].as_array().and_then(|m| m.first()) {
                return shape_of(spec, first, explode, depth + 1);
            }
        }
    }
    match schema["type"].as_str() {
        Some("integer") => Shape::Integer,
        Some("number") => Shape::Number,
        Some("boolean") => Shape::Boolean,
        Some("array") => Shape::List {
            explode,
            item: Box::new(shape_of(spec, &schema["items"], explode, depth + 1)),
        },
        Some("object") => Shape::Json,
        _ => Shape::Text,
    }
}

/// A schema's properties, with those of its `allOf` members.
fn properties<'a>(spec: &'a Value, schema: &'a Value, depth: usize) -> Vec<(String, &'a Value)> {
    let schema = resolve(spec, schema);
    let mut found: Vec<(String, &Value)> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| (name.clone(), s))
        .collect();
    if depth < 8 {
        for member in schema["allOf"].as_array().into_iter().flatten() {
            found.extend(properties(spec, member, depth + 1));
        }
    }
    found
}

/// The example answer: the first success the spec lists, its body from the
/// spec's examples where it gives one, else written from its schema.
fn example_answer(spec: &Value, responses: &Value) -> Example {
    let success = responses
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(code, _)| code.starts_with('2'))
        .min_by_key(|(code, _)| code.as_str());
    let Some((code, response)) = success else {
        return Example {
            status: 204,
            content_type: None,
            body: None,
        };
    };
    let status = code.parse().unwrap_or(200);
    let response = resolve(spec, response);
    let content = response["content"].as_object();
    let chosen = content.and_then(|c| {
        c.get_key_value("application/json")
            .or_else(|| c.iter().next())
    });
    let Some((media_type, media)) = chosen else {
        return Example {
            status,
            content_type: None,
            body: None,
        };
    };
    let body = if media_type == "application/json" {
        media
            .get("example")
            .cloned()
            .unwrap_or_else(|| example_of(spec, &media["schema"], 0))
    } else {
        Value::String("sandbox example file".into())
    };
    Example {
        status,
        content_type: Some(media_type.clone()),
        body: Some(body),
    }
}

/// A value that fits `schema`: its example or default where it has one;
/// past [`EXAMPLE_DEPTH`], objects keep only their required fields.
fn example_of(spec: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(spec, schema);
    if let Some(given) = schema.get("example").or_else(|| schema.get("default")) {
        return given.clone();
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if depth > 3 * EXAMPLE_DEPTH {
        return Value::Null;
    }
    if let Some(members) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for member in members {
            if let Value::Object(part) = example_of(spec, member, depth + 1) {
                merged.extend(part);
            }
        }
        if let Value::Object(own) = object_example(spec, schema, depth) {
            merged.extend(own);
        }
        return Value::Object(merged);
    }
    for member in ["oneOf", "anyOf"] {
        if let Some(first) = schema[member].as_array().and_then(|m| m.first()) {
            return example_of(spec, first, depth + 1);
        }
    }
    match schema["type"].as_str() {
        Some("object") => object_example(spec, schema, depth),
        Some("array") => {
            let count = schema["minItems"].as_u64().unwrap_or(1).max(1) as usize;
            Value::Array(vec![example_of(spec, &schema["items"], depth + 1); count])
        }
        Some("string") => Value::String(string_example(schema)),
        Some("integer") => schema["minimum"].as_i64().map_or(json!(0), Value::from),
        Some("number") => schema["minimum"].as_f64().map_or(json!(0.0), Value::from),
        Some("boolean") => Value::Bool(true),
        _ if schema.get("properties").is_some() => object_example(spec, schema, depth),
        _ => Value::Null,
    }
}

fn object_example(spec: &Value, schema: &Value, depth: usize) -> Value {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let properties = schema["properties"].as_object().into_iter().flatten();
    Value::Object(
        properties
            .filter(|(name, _)| depth < EXAMPLE_DEPTH || required.contains(&name.as_str()))
            .map(|(name, property)| (name.clone(), example_of(spec, property, depth + 1)))
            .collect(),
    )
}

fn string_example(schema: &Value) -> String {
    let length = schema["minLength"].as_u64().unwrap_or(0) as usize;
    match schema["format"].as_str() {
        Some("ipv4") => "127.0.0.1".into(),
        _ if length > "string".len() => "s".repeat(length),
        _ => "string".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(method: &str, path: &str) -> (&'static Operation, Vec<(String, String)>) {
        match spec().unwrap().find(method, path) {
            Found::Call(op, values) => (op, values),
            _ => panic!("{method} {path} calls no operation"),
        }
    }

    fn problems(method: &str, path: &str, query: Option<&str>, body: Received<'_>) -> Vec<String> {
        let (op, values) = call(method, path);
        match spec().unwrap().check(op, &values, query, &body) {
            Ok(()) => Vec::new(),
            Err(problems) => problems.reasons,
        }
    }

    #[test]
    fn every_operation_of_the_spec_is_loaded_and_its_checks_compile() {
        let spec = spec().unwrap();
        // The spec's 167 and the overlay's 22.
        assert_eq!(spec.operations().count(), 189);
        assert!(spec.checks.len() > 189, "{} checks", spec.checks.len());
    }

    #[test]
    fn a_bracket_inside_a_class_is_literal_as_in_ecmascript() {
        assert_eq!(
            literal_brackets_in_classes(r"^[!-/[-`a]+\[x\]$"),
            r"^[!-/\[-`a]+\[x\]$"
        );
        assert_eq!(literal_brackets_in_classes(r"^\d{7,15}$"), r"^\d{7,15}$");
    }

    #[test]
    fn the_most_literal_template_wins_and_path_values_are_decoded() {
        assert_eq!(call("GET", "/messages/list").0.id, "getMessages");
        let (op, values) = call("GET", "/chats/1234567890%40s.whatsapp.net");
        assert_eq!(op.id, "getChat");
        assert_eq!(
            values,
            [(
                "ChatID".to_string(),
                "1234567890@s.whatsapp.net".to_string()
            )]
        );
        let (op, values) = call("DELETE", "/labels/1/15550100000@s.whatsapp.net");
        assert_eq!(op.id, "deleteLabelAssociation");
        assert_eq!(
            values,
            [
                ("LabelID".to_string(), "1".to_string()),
                (
                    "AssociationID".to_string(),
                    "15550100000@s.whatsapp.net".to_string()
                )
            ]
        );
        assert!(matches!(
            spec().unwrap().find("DELETE", "/health"),
            Found::WrongMethod
        ));
        assert!(matches!(
            spec().unwrap().find("GET", "/nowhere"),
            Found::NoPath
        ));
    }

    #[test]
    fn requests_that_break_the_spec_are_refused_with_every_reason() {
        let text = br#"{"to": "1234567890"}"#;
        let reasons = problems(
            "POST",
            "/messages/text",
            None,
            Received::Bytes(text, "application/json"),
        );
        assert!(reasons.iter().any(|r| r.contains("body")), "{reasons:?}");

        let reasons = problems("GET", "/chats", Some("count=0&offset=-1"), Received::Empty);
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].contains("`count`") && reasons[1].contains("`offset`"),
            "{reasons:?}"
        );

        let reasons = problems("GET", "/chats/not-a-chat", None, Received::Empty);
        assert!(reasons[0].contains("`ChatID`"), "{reasons:?}");

        let poll = br#"{"to": "1234567890", "title": "?", "options": ["only"]}"#;
        let reasons = problems(
            "POST",
            "/messages/poll",
            None,
            Received::Bytes(poll, "application/json"),
        );
        assert!(reasons[0].contains("/options"), "{reasons:?}");

        let reasons = problems("POST", "/messages/text", None, Received::Empty);
        assert_eq!(reasons, ["the body is required"]);
    }

    #[test]
    fn requests_that_keep_to_the_spec_pass() {
        let text = br#"{"to": "1234567890", "body": "hi"}"#;
        assert!(problems(
            "POST",
            "/messages/text",
            None,
            Received::Bytes(text, "application/json; charset=utf-8")
        )
        .is_empty());
        assert!(problems("GET", "/chats", Some("count=20&offset=40"), Received::Empty).is_empty());
        let form = vec![
            ("to".to_string(), Some("1234567890".to_string())),
            ("media".to_string(), None),
            ("view_once".to_string(), Some("true".to_string())),
        ];
        assert!(problems("POST", "/messages/image", None, Received::Form(form)).is_empty());
    }

    #[test]
    fn a_form_field_the_spec_types_is_read_as_its_type() {
        let form = vec![
            ("to".to_string(), Some("1234567890".to_string())),
            ("media".to_string(), None),
            ("view_once".to_string(), Some("perhaps".to_string())),
        ];
        let reasons = problems("POST", "/messages/image", None, Received::Form(form));
        assert!(
            reasons.iter().any(|r| r.contains("/view_once")),
            "{reasons:?}"
        );
    }

    #[test]
    fn a_media_type_the_operation_does_not_take_is_refused_with_415() {
        let (op, values) = call("POST", "/messages/text");
        let refused = spec()
            .unwrap()
            .check(op, &values, None, &Received::Bytes(b"hi", "text/plain"))
            .unwrap_err();
        assert_eq!(refused.status, 415);
    }

    #[test]
    fn every_example_answer_is_json_where_the_spec_answers_json() {
        for op in spec().unwrap().operations() {
            let example = &op.example;
            if example.content_type.as_deref() == Some("application/json") {
                assert!(
                    matches!(example.body, Some(Value::Object(_)) | Some(Value::Array(_))),
                    "{}: {:?}",
                    op.id,
                    example.body
                );
            }
        }
    }
}
