//! An inventory of the generated client: one row per operation, then one
//! per JSON-form twin (which repeats its operation's operationId), read back
//! from the generated code itself (not from what the generator meant to
//! write), so a snapshot of it shows every change in the public API.

use std::collections::BTreeMap;
use std::fmt::Write;

use quote::ToTokens;
use serde_json::Value;
use syn::{FnArg, ImplItem, Item, ReturnType, Type};

use crate::walk::operations;
use crate::GenError;

/// One operation as the generated client exposes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The spec's operationId.
    pub operation_id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// The `Client` method that starts the request.
    pub rust_method: String,
    /// The parameters (path, query, header) as `name: Type`, in builder order.
    pub params: Vec<String>,
    /// The request body type (`-` when there is none).
    pub body: String,
    /// The success type of `send()`.
    pub success: String,
}

/// Reads the inventory out of the generated source, matching each `Client`
/// method to its operation in `spec` by method and path. Operations of the
/// spec with no method are rows with `rust_method` set to `MISSING`.
pub fn inventory(generated: &str, spec: &Value) -> Result<Vec<Row>, GenError> {
    let file = syn::parse_file(generated).map_err(|e| GenError::Syntax(e.to_string()))?;
    let (mut rows, twins) = inventory_of_file(&file, spec);
    rows.extend(twins);
    Ok(rows)
}

/// The JSON-form twins of the raw uploads (`upload_media_json`), one row
/// each: their operation's row, with the twin's method, body and answer.
fn json_form_rows(
    file: &syn::File,
    builders: &BTreeMap<String, BuilderInfo>,
    rows: &[Row],
) -> Vec<Row> {
    let mut out = Vec::new();
    for f in client_fns(file) {
        let Some(doc) = doc_text(&f.attrs).filter(|d| d.contains(crate::json_forms::MARKER)) else {
            continue;
        };
        let Some(original) = doc
            .split_once(crate::json_forms::MARKER)
            .and_then(|(_, rest)| rest.split_once("`]"))
            .map(|(name, _)| name)
        else {
            continue;
        };
        let Some(row) = rows.iter().find(|r| r.rust_method == original) else {
            continue;
        };
        let info = builders.get(&builder_of(f)).cloned().unwrap_or_default();
        out.push(Row {
            rust_method: f.sig.ident.to_string(),
            params: info.params,
            body: info.body,
            success: info.success,
            ..row.clone()
        });
    }
    out
}

/// The row of `operation_id`, or an error naming the generator `part` that
/// needs it and where the operation is in the spec.
pub(crate) fn row_of<'a>(
    rows: &'a [Row],
    operation_id: &str,
    part: &'static str,
    at: &str,
) -> Result<&'a Row, GenError> {
    rows.iter()
        .find(|r| r.operation_id == operation_id)
        .ok_or_else(|| GenError::Unhandled {
            rule: part,
            at: at.to_string(),
            what: format!("{operation_id} has no client method"),
        })
}

/// The builder type a `Client` method returns.
fn builder_of(f: &syn::ImplItemFn) -> String {
    match &f.sig.output {
        ReturnType::Type(_, ty) => last_segment(ty),
        ReturnType::Default => String::new(),
    }
}

/// Every inherent method of `Client`.
pub(crate) fn client_fns(file: &syn::File) -> impl Iterator<Item = &syn::ImplItemFn> {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(block)
                if block.trait_.is_none() && type_name(&block.self_ty) == "Client" =>
            {
                Some(block.items.iter())
            }
            _ => None,
        })
        .flatten()
        .filter_map(|item| match item {
            ImplItem::Fn(f) => Some(f),
            _ => None,
        })
}

/// [`inventory`] of an already parsed file: the rows of the spec's
/// operations, and apart from them the rows of the JSON-form twins.
pub(crate) fn inventory_of_file(file: &syn::File, spec: &Value) -> (Vec<Row>, Vec<Row>) {
    let methods = client_methods(file);
    let builders = builder_types(file);
    let mut rows = Vec::new();
    for op in operations(spec) {
        let method = op.method.to_uppercase();
        let operation_id = spec
            .pointer(&op.pointer)
            .and_then(|o| o.get("operationId"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let found = methods.get(&(method.clone(), op.path.clone()));
        let (rust_method, builder) = found
            .cloned()
            .unwrap_or_else(|| ("MISSING".into(), String::new()));
        let BuilderInfo {
            params,
            body,
            success,
        } = builders.get(&builder).cloned().unwrap_or_default();
        rows.push(Row {
            operation_id,
            method,
            path: op.path,
            rust_method,
            params,
            body,
            success,
        });
    }
    let twins = json_form_rows(file, &builders, &rows);
    (rows, twins)
}

/// Renders rows as a Markdown table.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::from(
        "| operationId | method | path | Rust method | parameters | body | success |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let params = if r.params.is_empty() {
            "-".to_string()
        } else {
            r.params.join(", ")
        };
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | `{}` | {} | {} | {} |",
            r.operation_id, r.method, r.path, r.rust_method, params, r.body, r.success
        );
    }
    out
}

/// `(METHOD, path)` → (method name, builder type name), from the docs
/// progenitor writes on each method ("Sends a `GET` request to `/path`").
pub(crate) fn client_methods(file: &syn::File) -> BTreeMap<(String, String), (String, String)> {
    let mut out = BTreeMap::new();
    for f in client_fns(file) {
        let Some(endpoint) = endpoint_of(f) else {
            continue;
        };
        out.insert(endpoint, (f.sig.ident.to_string(), builder_of(f)));
    }
    out
}

/// What a request builder takes and gives.
#[derive(Debug, Clone, Default)]
struct BuilderInfo {
    params: Vec<String>,
    body: String,
    success: String,
}

/// Builder type name → its parameters, body and success type.
fn builder_types(file: &syn::File) -> BTreeMap<String, BuilderInfo> {
    let mut out = BTreeMap::new();
    let Some(items) = file.items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    }) else {
        return out;
    };
    let mut bodies = BTreeMap::new();
    for item in items {
        match item {
            Item::Struct(s) => {
                let mut info = BuilderInfo {
                    body: "-".into(),
                    ..BuilderInfo::default()
                };
                for field in &s.fields {
                    match field.ident.as_ref().map(ToString::to_string).as_deref() {
                        // What every builder carries, no parameter (`hooks`: `call_hooks`).
                        Some("client" | "hooks") | None => {}
                        Some("body") => info.body = body_type(&field.ty),
                        Some(name) => info
                            .params
                            .push(format!("{name}: {}", body_type(&field.ty))),
                    }
                }
                bodies.insert(s.ident.to_string(), info);
            }
            Item::Impl(block) if block.trait_.is_none() => {
                let name = type_name(&block.self_ty);
                for item in &block.items {
                    let ImplItem::Fn(f) = item else { continue };
                    if f.sig.ident == "send"
                        && f.sig.inputs.iter().any(|a| matches!(a, FnArg::Receiver(_)))
                    {
                        if let ReturnType::Type(_, ty) = &f.sig.output {
                            let mut info = bodies.get(&name).cloned().unwrap_or_default();
                            info.success = success_type(ty);
                            out.insert(name.clone(), info);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn compact(tokens: &impl ToTokens) -> String {
    tokens
        .to_token_stream()
        .to_string()
        .replace(' ', "")
        .replace("types::builder::", "")
        .replace("crate::types::", "")
        .replace("crate::ids::", "")
        .replace("types::", "")
        .replace("::std::boxed::", "")
        .replace("::std::vec::", "")
        .replace("::std::option::", "")
        .replace("::std::string::", "")
        .replace("::std::num::", "")
        .replace("::std::collections::", "")
}

/// `Result<types::builder::X, String>` → `X`.
fn body_type(ty: &Type) -> String {
    let text = compact(ty);
    let text = text.replace(",>", ">");
    text.strip_prefix("Result<")
        .and_then(|t| t.strip_suffix(",String>"))
        .unwrap_or(&text)
        .to_string()
}

/// `Result<ResponseValue<X>, Error<E>>` → `X`.
fn success_type(ty: &Type) -> String {
    let text = compact(ty);
    let inner = text.strip_prefix("Result<ResponseValue<").unwrap_or(&text);
    match inner.find(">,Error<") {
        Some(end) => inner[..end].to_string(),
        None => inner.to_string(),
    }
}

fn type_name(ty: &Type) -> String {
    last_segment(ty)
}

fn last_segment(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn doc_text(attrs: &[syn::Attribute]) -> Option<String> {
    let mut text = String::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                text.push_str(&s.value());
                text.push('\n');
            }
        }
    }
    (!text.is_empty()).then_some(text)
}

/// `(METHOD, path)` of a method progenitor generated for an operation.
pub(crate) fn endpoint_of(f: &syn::ImplItemFn) -> Option<(String, String)> {
    doc_text(&f.attrs).and_then(|d| sends_request_to(&d))
}

/// Finds "Sends a `GET` request to `/path`" in a doc comment.
fn sends_request_to(doc: &str) -> Option<(String, String)> {
    let rest = &doc[doc.find("Sends a `")? + "Sends a `".len()..];
    let (method, rest) = rest.split_once('`')?;
    let rest = &rest[rest.find("request to `")? + "request to `".len()..];
    let (path, _) = rest.split_once('`')?;
    Some((method.to_string(), path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const GENERATED: &str = r#"
        pub struct Client {}
        impl Client {
            /**Say hi

Sends a `POST` request to `/hi/{id}`*/
            pub fn say_hi(&self) -> builder::SayHi<'_> { builder::SayHi::new(self) }
        }
        pub mod builder {
            pub struct SayHi<'a> { client: &'a super::Client, id: Result<::std::string::String, String>, body: Result<types::builder::Greeting, String> }
            impl<'a> SayHi<'a> {
                pub async fn send(self) -> Result<ResponseValue<types::Reply>, Error<types::ResponseError>> { todo!() }
            }
        }
    "#;

    #[test]
    fn reads_method_body_and_success_type_from_generated_code() {
        let spec = json!({"paths": {
            "/hi/{id}": {"post": {"operationId": "sayHi"}},
            "/bye": {"get": {"operationId": "sayBye"}}}});
        let rows = inventory(GENERATED, &spec).unwrap();
        assert_eq!(
            rows[0],
            Row {
                operation_id: "sayHi".into(),
                method: "POST".into(),
                path: "/hi/{id}".into(),
                rust_method: "say_hi".into(),
                params: vec!["id: String".into()],
                body: "Greeting".into(),
                success: "Reply".into(),
            }
        );
        assert_eq!(rows[1].rust_method, "MISSING");
        assert!(render(&rows)
            .contains("| sayHi | POST | `/hi/{id}` | `say_hi` | id: String | Greeting | Reply |"));
    }
}
