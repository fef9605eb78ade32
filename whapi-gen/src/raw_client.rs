//! What the generated client offers each call, read back from its code: a
//! request builder's parameters, body type and answer, and the fields of
//! every body type with the JSON names they go out under.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit_mut::{self, VisitMut};
use syn::{
    Fields, GenericArgument, ImplItem, Item, ItemMod, PathArguments, ReturnType, Type, TypePath,
};

/// A value a raw builder's setter takes.
#[derive(Clone)]
pub(crate) struct RawValue {
    /// The Rust name of the setter (and of the field).
    pub(crate) name: String,
    /// The type of the value, without the `Option` of an optional one.
    pub(crate) ty: Type,
    /// Whether the value is optional (`Option<…>` in the builder).
    pub(crate) optional: bool,
}

/// A request builder of the generated client (`builder::CreateGroup`).
#[derive(Clone, Default)]
pub(crate) struct RawBuilder {
    /// Path and query parameters by their Rust names.
    pub(crate) params: BTreeMap<String, RawValue>,
    /// The body's type name (`CreateGroupRequest`), or `reqwest::Body`.
    pub(crate) body: Option<Type>,
    /// What `send()` answers, inside its `ResponseValue`.
    pub(crate) success: Option<Type>,
}

/// A field of a body type: its Rust name, JSON name and value.
#[derive(Clone)]
pub(crate) struct RawField {
    /// The setter of its typify builder, and its value.
    pub(crate) value: RawValue,
    /// Whether it is a `Vec` that defaults to empty (set with a `Vec`).
    pub(crate) defaulted_vec: bool,
}

/// Everything read out of the generated client.
#[derive(Default)]
pub(crate) struct RawClient {
    /// Request builders by type name.
    pub(crate) builders: BTreeMap<String, RawBuilder>,
    /// Struct types of `types` by name: their fields by JSON name.
    pub(crate) structs: BTreeMap<String, BTreeMap<String, RawField>>,
}

/// Reads the builders and the body structs out of the generated file.
pub(crate) fn read(file: &syn::File) -> RawClient {
    let mut raw = RawClient::default();
    for item in &file.items {
        let Item::Mod(module) = item else { continue };
        if module.ident == "builder" {
            read_builders(module, &mut raw.builders);
        } else if module.ident == "types" {
            read_structs(module, &mut raw.structs);
        }
    }
    raw
}

fn items(module: &ItemMod) -> &[Item] {
    module
        .content
        .as_ref()
        .map(|(_, items)| items.as_slice())
        .unwrap_or_default()
}

fn read_builders(module: &ItemMod, out: &mut BTreeMap<String, RawBuilder>) {
    for item in items(module) {
        match item {
            Item::Struct(s) => {
                let builder = out.entry(s.ident.to_string()).or_default();
                for field in &s.fields {
                    let Some(name) = field.ident.as_ref().map(ToString::to_string) else {
                        continue;
                    };
                    if name == "client" {
                        continue;
                    }
                    let Some(inner) = generic_arg(&field.ty, "Result", 0) else {
                        continue;
                    };
                    if name == "body" {
                        builder.body = Some(strip_builder_path(inner));
                        continue;
                    }
                    let (ty, optional) = match generic_arg(inner, "Option", 0) {
                        Some(ty) => (ty.clone(), true),
                        None => (inner.clone(), false),
                    };
                    builder
                        .params
                        .insert(name.clone(), RawValue { name, ty, optional });
                }
            }
            Item::Impl(block) if block.trait_.is_none() => {
                let name = last_ident(&block.self_ty);
                for item in &block.items {
                    let ImplItem::Fn(f) = item else { continue };
                    if f.sig.ident != "send" {
                        continue;
                    }
                    if let ReturnType::Type(_, ty) = &f.sig.output {
                        let success = generic_arg(ty, "Result", 0)
                            .and_then(|ok| generic_arg(ok, "ResponseValue", 0));
                        out.entry(name.clone()).or_default().success = success.cloned();
                    }
                }
            }
            _ => {}
        }
    }
}

fn read_structs(module: &ItemMod, out: &mut BTreeMap<String, BTreeMap<String, RawField>>) {
    for item in items(module) {
        let Item::Struct(s) = item else { continue };
        let Fields::Named(named) = &s.fields else {
            continue;
        };
        let mut fields = BTreeMap::new();
        for field in &named.named {
            let Some(name) = field.ident.as_ref().map(ToString::to_string) else {
                continue;
            };
            let serde = serde_attributes(&field.attrs);
            let json = serde
                .iter()
                .find_map(|(key, value)| (key == "rename").then(|| value.clone()))
                .unwrap_or_else(|| name.clone());
            let defaulted_vec = serde.iter().any(|(key, _)| key == "default")
                && generic_arg(&field.ty, "Vec", 0).is_some();
            let (ty, optional) = match generic_arg(&field.ty, "Option", 0) {
                Some(ty) => (ty.clone(), true),
                None => (field.ty.clone(), false),
            };
            fields.insert(
                json,
                RawField {
                    value: RawValue { name, ty, optional },
                    defaulted_vec,
                },
            );
        }
        out.insert(s.ident.to_string(), fields);
    }
}

/// The `key = "value"` and bare `key` items of a field's `#[serde(…)]`.
fn serde_attributes(attrs: &[syn::Attribute]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let value = match meta.value() {
                Ok(stream) => stream.parse::<syn::LitStr>()?.value(),
                Err(_) => String::new(),
            };
            out.push((key, value));
            Ok(())
        });
    }
    out
}

/// The `index`th type argument of `ty` when its last segment is `outer`.
pub(crate) fn generic_arg<'t>(ty: &'t Type, outer: &str, index: usize) -> Option<&'t Type> {
    let Type::Path(TypePath { path, .. }) = ty else {
        return None;
    };
    let last = path.segments.last()?;
    if last.ident != outer {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(index)
}

/// The last path segment's name of a type (`types::Chat` → `Chat`).
pub(crate) fn last_ident(ty: &Type) -> String {
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

/// `types::builder::X` → `X`: the body type a builder's `body` holds.
fn strip_builder_path(ty: &Type) -> Type {
    match ty {
        Type::Path(p) if p.path.segments.iter().any(|s| s.ident == "builder") => {
            let last = p.path.segments.last().map(|s| s.ident.clone());
            last.map_or_else(|| ty.clone(), |name| syn::parse_quote!(#name))
        }
        _ => ty.clone(),
    }
}

/// A type as the calls name it: `super::X`, `crate::types::X` and bare
/// names of generated types become `types::X`; std and crate paths stay.
pub(crate) fn qualified(ty: &Type) -> TokenStream {
    let mut ty = ty.clone();
    Qualify.visit_type_mut(&mut ty);
    ty.to_token_stream()
}

/// Rewrites the paths of generated types to `types::X`, and of the
/// client's ids to `ids::X`.
struct Qualify;

impl VisitMut for Qualify {
    fn visit_type_path_mut(&mut self, node: &mut TypePath) {
        visit_mut::visit_type_path_mut(self, node);
        if node.qself.is_some() {
            return;
        }
        let names: Vec<String> = node
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let generated = match names.as_slice() {
            [one] => !matches!(
                one.as_str(),
                "bool"
                    | "i32"
                    | "i64"
                    | "u64"
                    | "f64"
                    | "String"
                    | "Vec"
                    | "Option"
                    | "Box"
                    | "ByteStream"
            ),
            [first, ..] => {
                first == "super" || (first == "crate" && names.get(1).is_some_and(|n| n == "types"))
            }
            [] => false,
        };
        let id = names.len() == 3 && names[0] == "crate" && names[1] == "ids";
        if generated {
            let last = node.path.segments.last().cloned();
            if let Some(last) = last {
                node.path = syn::parse_quote!(types::#last);
            }
        } else if id {
            // The client's checked ids (`crate::ids::ChatId`), which
            // whapi-ext re-exports as its own `ids`.
            let last = node.path.segments.last().cloned();
            if let Some(last) = last {
                node.path = syn::parse_quote!(ids::#last);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATED: &str = r#"
        pub mod types {
            pub struct Greeting {
                #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
                pub type_: ::std::option::Option<Kind>,
                pub to: ::std::string::String,
                #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                pub mentions: ::std::vec::Vec<::std::string::String>,
            }
        }
        pub mod builder {
            pub struct SayHi<'a> {
                client: &'a super::Client,
                chat_id: Result<types::ChatId, String>,
                count: Result<Option<::std::num::NonZeroU64>, String>,
                body: Result<types::builder::Greeting, String>,
            }
            impl<'a> SayHi<'a> {
                pub async fn send(self) -> Result<ResponseValue<types::Reply>, Error<()>> { todo!() }
            }
        }
    "#;

    #[test]
    fn reads_builders_and_body_fields_with_their_json_names() {
        let raw = read(&syn::parse_file(GENERATED).unwrap());
        let builder = &raw.builders["SayHi"];
        assert!(!builder.params["chat_id"].optional);
        assert!(builder.params["count"].optional);
        assert_eq!(last_ident(builder.body.as_ref().unwrap()), "Greeting");
        assert_eq!(last_ident(builder.success.as_ref().unwrap()), "Reply");
        let fields = &raw.structs["Greeting"];
        assert_eq!(fields["type"].value.name, "type_");
        assert!(fields["type"].value.optional);
        assert!(fields["mentions"].defaulted_vec);
        assert!(!fields["to"].value.optional);
    }

    #[test]
    fn generated_types_are_named_through_types() {
        let ty: Type = syn::parse_str("::std::vec::Vec<super::ContactId>").unwrap();
        assert_eq!(
            qualified(&ty).to_string().replace(' ', ""),
            "::std::vec::Vec<types::ContactId>"
        );
        let ty: Type = syn::parse_str("::std::boxed::Box<crate::types::Message>").unwrap();
        assert_eq!(
            qualified(&ty).to_string().replace(' ', ""),
            "::std::boxed::Box<types::Message>"
        );
    }
}
