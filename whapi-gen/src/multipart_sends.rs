//! Multipart forms through the generated request path.
//!
//! Where the spec takes a body as JSON or as a multipart form, the client is
//! generated for JSON (rule `json_over_multipart`, which marks the body with
//! [`MARK`]). For each such operation this pass gives the builder a second
//! send, `send_multipart(media)`: the same `send()` with its URL, path
//! parameters, headers, transport and answer decoding, but the body's fields
//! go as form fields and `media` as the file part. A stream is sent once, so
//! the request is not made again for a retry.

use std::collections::BTreeSet;

use serde_json::Value;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote, Expr, ImplItem, Item, Lit, Stmt};

/// The extension `json_over_multipart` puts on a request body that also
/// takes a multipart form.
pub(crate) const MARK: &str = "x-whapi-multipart";

/// The body field the file part stands for (and its name in the form).
const MEDIA: &str = "media";

/// The client methods (`create_story_audio`) of the operations whose
/// request body carries [`MARK`] and has a `media` field.
pub(crate) fn marked_operations(spec: &Value) -> BTreeSet<String> {
    crate::walk::operations(spec)
        .into_iter()
        .filter_map(|op| {
            let operation = spec.pointer(&op.pointer)?;
            let mut body = operation.get("requestBody")?;
            if let Some(reference) = body.get("$ref").and_then(Value::as_str) {
                body = spec.pointer(reference.trim_start_matches('#'))?;
            }
            let marked = body.get(MARK).and_then(Value::as_bool) == Some(true);
            // The file goes as the form's `media`: only where the body has one.
            let schema = body.pointer("/content/application~1json/schema")?;
            let has_media = crate::walk::object_fields(spec, schema, false)
                .0
                .contains_key(MEDIA);
            let marked = marked && has_media;
            let id = operation.get("operationId")?.as_str()?;
            // By progenitor's name for it, the client method's.
            marked.then(|| heck::ToSnakeCase::to_snake_case(id))
        })
        .collect()
}

/// Adds `send_multipart` to the builder of every operation of `spec` that
/// takes a multipart form; an error names an operation whose `send()` no
/// longer has the shape this pass rewrites.
pub(crate) fn apply(file: &mut syn::File, spec: &Value) -> Result<usize, crate::GenError> {
    let wanted = marked_operations(spec);
    let Some(items) = crate::generate::module_items_mut(file, "builder") else {
        return Ok(0);
    };
    let mut added = BTreeSet::new();
    for item in items.iter_mut() {
        let Item::Impl(block) = item else { continue };
        let mut sends = Vec::new();
        for member in &block.items {
            let ImplItem::Fn(method) = member else {
                continue;
            };
            if method.sig.ident != "send" {
                continue;
            }
            let Some(id) = operation_id(method) else {
                continue;
            };
            if wanted.contains(&id) {
                sends.push(multipart_twin(method, &id)?);
                added.insert(id);
            }
        }
        block.items.extend(sends.into_iter().map(ImplItem::Fn));
    }
    if let Some(missing) = wanted.difference(&added).next() {
        return Err(unchanged(missing, "no builder's send() names it"));
    }
    Ok(added.len())
}

fn unchanged(operation: &str, what: &str) -> crate::GenError {
    crate::GenError::Progenitor(format!(
        "multipart_sends: {operation}: {what}: has progenitor's builder changed?"
    ))
}

/// The operationId a `send()` hands the transport (`OperationInfo { operation_id: "…" }`).
fn operation_id(method: &syn::ImplItemFn) -> Option<String> {
    struct Find(Option<String>);
    impl VisitMut for Find {
        fn visit_expr_struct_mut(&mut self, node: &mut syn::ExprStruct) {
            if node.path.is_ident("OperationInfo") {
                for field in &node.fields {
                    if let (syn::Member::Named(name), Expr::Lit(lit)) = (&field.member, &field.expr)
                    {
                        if let (true, Lit::Str(id)) = (name == "operation_id", &lit.lit) {
                            self.0 = Some(id.value());
                        }
                    }
                }
            }
            visit_mut::visit_expr_struct_mut(self, node);
        }
    }
    let mut find = Find(None);
    find.visit_block_mut(&mut method.block.clone());
    find.0
}

/// `send()` made into `send_multipart(media)`.
fn multipart_twin(send: &syn::ImplItemFn, id: &str) -> Result<syn::ImplItemFn, crate::GenError> {
    let mut twin = send.clone();
    twin.sig.ident = parse_quote!(send_multipart);
    twin.sig
        .inputs
        .push(parse_quote!(media: ::reqwest::multipart::Part));
    let what = send
        .attrs
        .iter()
        .find(|a| a.path().is_ident("doc"))
        .and_then(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_default();
    let doc = format!(
        "{} as a multipart form: the body's fields as form fields, `media` as its file part. Sent once: a stream cannot be sent again.",
        what.trim_end_matches('.')
    );
    twin.attrs.retain(|a| !a.path().is_ident("doc"));
    twin.attrs.insert(0, parse_quote!(#[doc = #doc]));
    let stmts = &mut twin.block.stmts;
    let after_body = stmts
        .iter()
        .position(|s| matches!(s, Stmt::Local(l) if matches!(&l.pat, syn::Pat::Ident(p) if p.ident == "body")))
        .ok_or_else(|| unchanged(id, "its send() binds no `body`"))?;
    stmts.insert(
        after_body + 1,
        parse_quote!(let form = crate::multipart::form(&body, media).map_err(Error::InvalidRequest)?;),
    );
    let mut rewrite = FormInsteadOfJson::default();
    rewrite.visit_block_mut(&mut twin.block);
    if (rewrite.bodies, rewrite.execs) != (1, 1) {
        return Err(unchanged(
            id,
            "its send() does not put one JSON body and hand one rebuildable request to the transport",
        ));
    }
    Ok(twin)
}

/// `.json(&body)` becomes `.multipart(form)`, and the transport gets the
/// request without a way to make it again (`exec_via`, after `call_hooks`).
#[derive(Default)]
struct FormInsteadOfJson {
    bodies: usize,
    execs: usize,
}

impl VisitMut for FormInsteadOfJson {
    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        visit_mut::visit_expr_method_call_mut(self, call);
        if call.method == "json" && call.args.len() == 1 {
            call.method = parse_quote!(multipart);
            call.args = parse_quote!(form);
            self.bodies += 1;
        } else if call.method == "exec_rebuildable_via" && call.args.len() == 4 {
            call.method = parse_quote!(exec_via);
            let (hooks, request, info) = (&call.args[0], &call.args[1], &call.args[3]);
            call.args = parse_quote!(#hooks, #request, #info);
            self.execs += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use serde_json::json;

    fn send() -> syn::ImplItemFn {
        parse_quote! {
            ///Sends a `POST` request to `/messages/image`
            pub async fn send(self) -> Result<ResponseValue<types::SentMessage>, Error<()>> {
                let Self { client, body, hooks } = self;
                let body = body.map_err(Error::InvalidRequest)?;
                let rebuild = || {
                    let url = [(client.baseurl).as_str(), "/messages/image"].concat();
                    let request = client.client.post(url).json(&body);
                    request.build()
                };
                let mut request = rebuild()?;
                let info = OperationInfo { operation_id: "send_message_image" };
                let result = client.exec_rebuildable_via(hooks.as_ref(), request, &rebuild, &info).await;
                result
            }
        }
    }

    #[test]
    fn the_twin_sends_a_form_once() {
        let method = send();
        assert_eq!(operation_id(&method).as_deref(), Some("send_message_image"));
        let twin = multipart_twin(&method, "send_message_image").unwrap();
        let text = twin.to_token_stream().to_string();
        assert!(
            text.contains("fn send_multipart (self , media : :: reqwest :: multipart :: Part)"),
            "{text}"
        );
        assert!(text.contains(". multipart (form)"), "{text}");
        assert!(
            text.contains("client . exec_via (hooks . as_ref () , request , & info)"),
            "{text}"
        );
        assert!(!text.contains("json"), "{text}");
        assert!(text.contains("as a multipart form"), "{text}");
    }

    #[test]
    fn a_send_of_another_shape_is_an_error() {
        let mut method = send();
        method.block.stmts.remove(1);
        let Err(error) = multipart_twin(&method, "send_message_image") else {
            panic!("a send without `body` was rewritten");
        };
        assert!(error.to_string().contains("binds no `body`"), "{error}");
    }

    #[test]
    fn marked_bodies_are_found_through_references() {
        let spec = json!({
            "paths": {
                "/a": {"post": {"operationId": "sendA", "requestBody": {"$ref": "#/components/requestBodies/A"}}},
                "/b": {"post": {"operationId": "b", "requestBody": {"content": {}}}},
                "/c": {"post": {"operationId": "noFile", "requestBody": {MARK: true, "content": {
                    "application/json": {"schema": {"properties": {"icon": {}}}}}}}},
            },
            "components": {"requestBodies": {"A": {MARK: true, "content": {
                "application/json": {"schema": {"allOf": [{"properties": {"media": {}}}]}}}}}},
        });
        assert_eq!(
            marked_operations(&spec).into_iter().collect::<Vec<_>>(),
            ["send_a"]
        );
    }
}
