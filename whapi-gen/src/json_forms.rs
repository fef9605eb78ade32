//! Twin methods that send the JSON form of the raw uploads.
//!
//! `binary_upload_as_octet_stream` gives `upload_media`, `send_media_message`
//! and `set_group_icon` their bytes, and marks each body that also has a JSON
//! form with `x-whapi-json-form`. progenitor takes one content type per
//! body, so each operation of such a body is generated a second time, as
//! `<operationId>Json` with the JSON body, in a spec of its own; its method
//! and builder are then merged into the main file. The twin has the same
//! path, parameters and answers, so the same hooks send it.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};
use syn::{ImplItem, Item};

use crate::generate::defined_name;
use crate::walk::{deref, escape, operations, reachable_refs};
use crate::GenError;

/// One operation whose body's JSON form gets a twin method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Twin {
    /// The operation's operationId, e.g. `uploadMedia`.
    pub operation_id: String,
    /// The twin's operationId, e.g. `uploadMediaJson`.
    pub twin_id: String,
    /// The component schema of the JSON form, e.g. `UploadMediaJson`.
    pub form: String,
    /// The path template, e.g. `/media`.
    pub path: String,
    /// The lower-case HTTP method.
    pub method: &'static str,
    /// Where the operation is in the spec.
    pointer: String,
    /// Whether the operation's body is required.
    required: bool,
}

/// The operations whose request body has a JSON form set aside.
pub(crate) fn twins(spec: &Value) -> Vec<Twin> {
    let mut out = Vec::new();
    for op in operations(spec) {
        let Some(operation) = spec.pointer(&op.pointer) else {
            continue;
        };
        let Some(body) = operation.get("requestBody").map(|b| deref(spec, b)) else {
            continue;
        };
        let Some(form) = body.get("x-whapi-json-form").and_then(Value::as_str) else {
            continue;
        };
        let id = operation["operationId"].as_str().unwrap_or_default();
        out.push(Twin {
            operation_id: id.to_string(),
            twin_id: format!("{id}Json"),
            form: form.to_string(),
            path: op.path,
            method: op.method,
            pointer: op.pointer,
            required: body.get("required").and_then(Value::as_bool) == Some(true),
        });
    }
    out
}

/// A spec holding only the `twins`, each with its JSON body, and only the
/// components they reach (so progenitor's second run is quick). `None` when
/// there are no twins.
pub(crate) fn twin_spec(spec: &Value, twins: &[Twin]) -> Option<Value> {
    if twins.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    for twin in twins {
        let mut operation = spec.pointer(&twin.pointer)?.clone();
        operation["operationId"] = json!(twin.twin_id);
        operation["requestBody"] = json!({
            "required": twin.required,
            "content": {"application/json": {"schema": {
                "$ref": format!("#/components/schemas/{}", twin.form)
            }}}
        });
        let item = paths.entry(twin.path.clone()).or_insert_with(|| {
            // Path-level parameters apply to the twin too.
            let mut item = Map::new();
            if let Some(params) = spec["paths"][&twin.path].get("parameters") {
                item.insert("parameters".into(), params.clone());
            }
            Value::Object(item)
        });
        item[twin.method] = operation;
    }
    let mut paths = Value::Object(paths);
    let mut reached = BTreeSet::new();
    reachable_refs(spec, &paths, &mut reached);
    let mut components = Map::new();
    if let Some(all) = spec.get("components").and_then(Value::as_object) {
        for (kind, entries) in all {
            let Some(entries) = entries.as_object() else {
                continue;
            };
            let kept: Map<String, Value> = entries
                .iter()
                .filter(|(name, _)| {
                    kind == "securitySchemes"
                        || reached.contains(&format!("/components/{kind}/{}", escape(name)))
                })
                .map(|(name, v)| (name.clone(), v.clone()))
                .collect();
            components.insert(kind.clone(), Value::Object(kept));
        }
    }
    let mut components = Value::Object(components);
    let mut out = Map::new();
    for (key, value) in spec.as_object()? {
        let value = match key.as_str() {
            "paths" => std::mem::take(&mut paths),
            "components" => std::mem::take(&mut components),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    Some(Value::Object(out))
}

/// Moves the twins' `Client` methods, builders and the types only they
/// have out of `twin_file` (a progenitor run on [`twin_spec`]) into `main`.
/// Each twin is found by the endpoint its docs name; its new docs name the
/// method it is the twin of instead, so the inventory tells the two apart.
/// Fails when a twin is missing or a name would be defined twice.
pub(crate) fn merge(
    main: &mut syn::File,
    twin_file: syn::File,
    twins: &[Twin],
) -> Result<(), GenError> {
    let originals = crate::inventory::client_methods(main);
    let mut methods = Vec::new();
    let mut builders = Vec::new();
    for item in twin_file.items {
        match item {
            Item::Impl(block) if block.trait_.is_none() && is_client(&block.self_ty) => {
                for item in block.items {
                    let ImplItem::Fn(mut f) = item else { continue };
                    // Constructors and the like have no endpoint: main has them.
                    let Some((method, path)) = crate::inventory::endpoint_of(&f) else {
                        continue;
                    };
                    let Some(twin) = twins
                        .iter()
                        .find(|t| t.path == path && t.method.eq_ignore_ascii_case(&method))
                    else {
                        continue;
                    };
                    let (original, _) = originals.get(&(method, path)).ok_or_else(|| {
                        GenError::Progenitor(format!(
                            "no method for {} to be the JSON-form twin of",
                            twin.operation_id
                        ))
                    })?;
                    f.attrs.retain(|a| !a.path().is_ident("doc"));
                    let doc = format!(
                        "{MARKER}{original}`]: its body as [`types::{}`], sent as \
                         `application/json` through the same hooks.",
                        twin.form,
                    );
                    f.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
                    methods.push(ImplItem::Fn(f));
                }
            }
            Item::Mod(m) if m.ident == "builder" => {
                let items = m.content.map(|(_, items)| items).unwrap_or_default();
                builders.extend(
                    items
                        .into_iter()
                        .filter(|i| matches!(i, Item::Struct(_) | Item::Impl(_))),
                );
            }
            Item::Mod(m) if m.ident == "types" => {
                let items = m.content.map(|(_, items)| items).unwrap_or_default();
                merge_new_types(main, items);
            }
            _ => {}
        }
    }
    if methods.len() != twins.len() {
        return Err(GenError::Progenitor(format!(
            "expected {} JSON-form methods, progenitor made {}",
            twins.len(),
            methods.len()
        )));
    }
    let builder_at = main
        .items
        .iter()
        .position(|i| matches!(i, Item::Mod(m) if m.ident == "builder"))
        .ok_or_else(|| GenError::Progenitor("the generated file has no `builder` module".into()))?;
    if let Item::Mod(m) = &mut main.items[builder_at] {
        if let Some((_, items)) = &mut m.content {
            items.extend(builders);
        }
    }
    let block: syn::ItemImpl = syn::parse_quote! {
        impl Client { #(#methods)* }
    };
    main.items.insert(builder_at, Item::Impl(block));
    check_unique_names(main)
}

/// Fails when a twin's method or builder takes a name the client already
/// has (an operation named `uploadMediaJson`, say): without this, the
/// clash would surface as a compile error deep in the generated code.
fn check_unique_names(file: &syn::File) -> Result<(), GenError> {
    let mut seen = BTreeSet::new();
    let methods = crate::inventory::client_fns(file).map(|f| format!("`Client::{}`", f.sig.ident));
    let builders = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .flat_map(|(_, items)| items)
        .filter_map(|item| match item {
            Item::Struct(s) => Some(format!("`builder::{}`", s.ident)),
            _ => None,
        });
    for name in methods.chain(builders) {
        if !seen.insert(name.clone()) {
            return Err(GenError::Progenitor(format!(
                "{name} is defined twice: a JSON-form twin takes the name of an operation"
            )));
        }
    }
    Ok(())
}

/// Adds the types only the twins have (inline schemas named after a twin's
/// operationId, e.g. `SendMediaMessageJsonTo` where no rule made them
/// shared), with their impls and what the submodules (`builder`,
/// `defaults`) hold for them, to `main`'s `types` module. A type both runs
/// made is `main`'s already: the same schema gives the same type.
fn merge_new_types(main: &mut syn::File, twin_types: Vec<Item>) {
    let Some(main_types) = module_items(&mut main.items, "types") else {
        return;
    };
    let known: BTreeSet<String> = main_types.iter().filter_map(defined_name).collect();
    let new_names: BTreeSet<String> = twin_types
        .iter()
        .filter_map(defined_name)
        .filter(|n| !known.contains(n))
        .collect();
    if new_names.is_empty() {
        return;
    }
    for item in twin_types {
        match item {
            Item::Mod(mut m) => {
                let items = m.content.take().map(|(_, items)| items).unwrap_or_default();
                let wanted: Vec<Item> = items
                    .iter()
                    .filter(|i| !matches!(i, Item::Use(_)) && mentions(i, &new_names))
                    .cloned()
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                match module_items(main_types, &m.ident.to_string()) {
                    Some(existing) => existing.extend(wanted),
                    None => {
                        // main has no such module: take it whole.
                        m.content = Some((Default::default(), items));
                        main_types.push(Item::Mod(m));
                    }
                }
            }
            Item::Use(_) => {}
            item if mentions(&item, &new_names) => main_types.push(item),
            _ => {}
        }
    }
}

/// The items of the inline module `name` among `items`.
fn module_items<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut Vec<Item>> {
    items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// Whether `item` names any of `names`.
fn mentions(item: &Item, names: &BTreeSet<String>) -> bool {
    fn walk(tokens: proc_macro2::TokenStream, names: &BTreeSet<String>) -> bool {
        tokens.into_iter().any(|tree| match tree {
            proc_macro2::TokenTree::Ident(ident) => names.contains(&ident.to_string()),
            proc_macro2::TokenTree::Group(group) => walk(group.stream(), names),
            _ => false,
        })
    }
    walk(quote::ToTokens::to_token_stream(item), names)
}

/// How a twin's docs begin, so the inventory can tell twins from operations
/// and find the method each is the twin of.
pub(crate) const MARKER: &str = "The JSON form of [`Client::";

fn is_client(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident("Client"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/media": {"post": {
                    "operationId": "uploadMedia",
                    "requestBody": {"$ref": "#/components/requestBodies/Upload"},
                    "responses": {"200": {"description": "", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Uploaded"}}}}}
                }},
                "/chats": {"get": {
                    "operationId": "getChats",
                    "responses": {"200": {"description": "", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Chats"}}}}}
                }}
            },
            "components": {
                "requestBodies": {"Upload": {
                    "x-whapi-json-form": "UploadJson",
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
                }},
                "schemas": {
                    "UploadJson": {"type": "object", "properties": {"media": {"type": "string"}}},
                    "Uploaded": {"type": "object", "properties": {"id": {"type": "string"}}},
                    "Chats": {"type": "object", "properties": {"count": {"type": "integer"}}}
                }
            }
        })
    }

    #[test]
    fn finds_the_operations_of_bodies_with_a_json_form() {
        assert_eq!(
            twins(&spec()),
            [Twin {
                operation_id: "uploadMedia".into(),
                twin_id: "uploadMediaJson".into(),
                form: "UploadJson".into(),
                path: "/media".into(),
                method: "post",
                pointer: "/paths/~1media/post".into(),
                required: false,
            }]
        );
    }

    #[test]
    fn the_twin_spec_holds_the_json_twins_and_only_what_they_reach() {
        let twin = twin_spec(&spec(), &twins(&spec())).unwrap();
        let op = &twin["paths"]["/media"]["post"];
        assert_eq!(op["operationId"], "uploadMediaJson");
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/UploadJson"
        );
        assert_eq!(op["requestBody"]["required"], false, "as the original body");
        assert!(twin["paths"].get("/chats").is_none());
        let schemas = twin["components"]["schemas"].as_object().unwrap();
        assert_eq!(
            schemas.keys().collect::<Vec<_>>(),
            ["UploadJson", "Uploaded"]
        );
    }

    #[test]
    fn no_json_form_no_twin_spec() {
        let mut spec = spec();
        spec["components"]["requestBodies"]["Upload"]
            .as_object_mut()
            .unwrap()
            .remove("x-whapi-json-form");
        assert!(twin_spec(&spec, &twins(&spec)).is_none());
        assert!(twins(&spec).is_empty());
    }

    #[test]
    fn merges_twin_methods_and_builders_with_docs_naming_their_original() {
        let mut main = main_file();
        let twin: syn::File = syn::parse_quote! {
            pub struct Client {}
            impl Client { pub fn new() -> Self { Client {} } }
            impl Client {
                #[doc = "Sends a `POST` request to `/media`"]
                pub fn upload_media_json(&self) {}
            }
            pub mod builder { use super::types; pub struct UploadMediaJson; impl UploadMediaJson {} }
            pub mod types {}
        };
        merge(&mut main, twin, &twins(&spec())).unwrap();
        let text = prettyplease::unparse(&main);
        assert!(text.contains("pub fn upload_media_json"), "{text}");
        assert!(!text.contains("fn new"), "{text}");
        assert!(text.contains("pub struct UploadMediaJson;"), "{text}");
        assert!(
            text.contains(
                "The JSON form of [`Client::upload_media`]: its body as [`types::UploadJson`]"
            ),
            "{text}"
        );
        assert_eq!(
            text.matches("Sends a `POST`").count(),
            1,
            "only the original names the endpoint: {text}"
        );
        assert_eq!(text.matches("pub mod builder").count(), 2, "{text}");
    }

    /// A main file with the method for `POST /media` and some types.
    fn main_file() -> syn::File {
        syn::parse_quote! {
            pub struct Client {}
            impl Client {
                #[doc = "Sends a `POST` request to `/media`"]
                pub fn upload_media(&self) {}
            }
            pub mod types {
                pub struct Uploaded;
                impl Uploaded {}
                pub mod builder { pub struct Uploaded; }
            }
            pub mod builder { pub struct UploadMedia; }
        }
    }

    #[test]
    fn types_only_the_twins_have_are_added_with_their_impls_and_builders() {
        let mut main = main_file();
        let twin: syn::File = syn::parse_quote! {
            impl Client {
                #[doc = "Sends a `POST` request to `/media`"]
                pub fn upload_media_json(&self) {}
            }
            pub mod types {
                pub struct Uploaded;
                impl Uploaded {}
                pub struct UploadMediaJsonTo(String);
                impl From<UploadMediaJsonTo> for String { fn from(v: UploadMediaJsonTo) -> Self { v.0 } }
                pub mod builder {
                    pub struct Uploaded;
                    pub struct UploadMediaJsonTo;
                }
                pub mod defaults {
                    pub fn upload_media_json_to() -> super::UploadMediaJsonTo { todo!() }
                }
            }
        };
        merge(&mut main, twin, &twins(&spec())).unwrap();
        let text = prettyplease::unparse(&main);
        assert!(text.contains("pub mod defaults"), "{text}");
        assert!(text.contains("fn upload_media_json_to()"), "{text}");
        assert_eq!(text.matches("pub struct Uploaded;").count(), 2, "{text}");
        assert_eq!(text.matches("impl Uploaded").count(), 1, "{text}");
        assert_eq!(
            text.matches("pub struct UploadMediaJsonTo(String)").count(),
            1,
            "{text}"
        );
        assert_eq!(
            text.matches("pub struct UploadMediaJsonTo;").count(),
            1,
            "{text}"
        );
        assert!(
            text.contains("impl From<UploadMediaJsonTo> for String"),
            "{text}"
        );
    }

    #[test]
    fn a_missing_twin_method_is_an_error() {
        let mut main = main_file();
        let twin: syn::File = syn::parse_quote! { impl Client { pub fn other(&self) {} } };
        let err = merge(&mut main, twin, &twins(&spec())).unwrap_err();
        assert!(
            err.to_string().contains("expected 1 JSON-form methods"),
            "{err}"
        );
    }

    #[test]
    fn a_twin_taking_an_operations_name_is_an_error() {
        // The spec already has an operation the client calls `upload_media_json`.
        let mut main = main_file();
        main.items.push(syn::parse_quote! {
            impl Client {
                #[doc = "Sends a `GET` request to `/media/json`"]
                pub fn upload_media_json(&self) {}
            }
        });
        let twin: syn::File = syn::parse_quote! {
            impl Client {
                #[doc = "Sends a `POST` request to `/media`"]
                pub fn upload_media_json(&self) {}
            }
        };
        let err = merge(&mut main, twin, &twins(&spec())).unwrap_err();
        assert!(
            err.to_string()
                .contains("`Client::upload_media_json` is defined twice"),
            "{err}"
        );
    }
}
