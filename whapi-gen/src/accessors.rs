//! Accessors that read an answer in one step (`whapi-client/src/accessors.rs`).
//!
//! Answers decode leniently: in the types only responses use, every field
//! is an `Option`, since the live service leaves out fields the spec marks
//! required (`optional_response_fields`). Reading them took a piece of
//! `Option` plumbing each. For every struct of `types` that a response or
//! a webhook reaches, each field gets a method named after it:
//!
//! | the field | its method answers |
//! |---|---|
//! | text the spec requires | `&str`, empty when left out |
//! | a number or yes/no the spec requires | the value, `0` or `false` when left out |
//! | an id or an object the spec requires | a reference, to an empty one when left out |
//! | a list | a slice, empty when left out |
//! | anything else | `Option<&T>` (`Option<T>` for numbers and yes/no) |
//!
//! What the spec requires is read from the spec as it stands before the
//! lenient rules (its `required`, through `allOf`); a `…Received` copy of a
//! shared schema reads its original's. The method's doc is the field's, and
//! says what a missing value reads as.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;
use syn::{Fields, Item, Type};

use crate::walk::{deref, reachable_refs};
use crate::GenError;

/// The accessors file for the generated `file`: methods for each of the
/// `reached` types, those answers and webhooks reach, inline ones
/// (`CommunitySubGroupsAnnounceGroupInfo`) included, as `lenient_fields`
/// found them. `spec` is the spec before the codegen rules (with its
/// `required`).
pub fn generate(
    file: &syn::File,
    reached: &BTreeSet<String>,
    spec: &Value,
) -> Result<String, GenError> {
    let types = Types::of(file);
    let mut impls = Vec::new();
    let mut defaults = Defaults::default();
    for name in reached {
        let Some(Item::Struct(item)) = types.items.get(name) else {
            continue;
        };
        let Fields::Named(fields) = &item.fields else {
            continue;
        };
        let required = required_fields(spec, name);
        let taken = types.methods.get(name).cloned().unwrap_or_default();
        let mut methods = Vec::new();
        for field in &fields.named {
            let Some(ident) = &field.ident else { continue };
            let json = json_name(field);
            let method = method_name(ident);
            if taken.contains(&method) {
                continue;
            }
            let is_required = required.contains(&json);
            let docs: Vec<&syn::Attribute> = field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .collect();
            if let Some(body) = accessor(&types, &mut defaults, ident, &field.ty, is_required) {
                let Accessor {
                    output,
                    body,
                    absent,
                } = body;
                let method = Ident::new(&method, Span::call_site());
                let absent = format!(" {absent}");
                let docs = if docs.is_empty() {
                    let summary = format!(" `{json}`.");
                    quote!(#[doc = #summary])
                } else {
                    quote!(#(#docs)*)
                };
                methods.push(quote! {
                    #docs
                    #[doc = ""]
                    #[doc = #absent]
                    #[inline]
                    pub fn #method(&self) -> #output {
                        #body
                    }
                });
            }
        }
        if !methods.is_empty() {
            let ty = Ident::new(name, Span::call_site());
            impls.push(quote! {
                impl #ty {
                    #(#methods)*
                }
            });
        }
    }
    let statics = defaults.items();
    let tokens = quote! {
        use crate::types::*;
        #[allow(unused_imports)]
        use crate::ids::*;
        #(#statics)*
        #(#impls)*
    };
    let file = syn::parse2::<syn::File>(tokens)
        .map_err(|e| GenError::Syntax(format!("accessors: {e}")))?;
    Ok(format!(
        "{}\n{}",
        crate::generate::HEADER,
        prettyplease::unparse(&file)
    ))
}

/// What a method answers, how, and what it reads as when the field is left
/// out.
struct Accessor {
    output: TokenStream,
    body: TokenStream,
    absent: &'static str,
}

/// The types module's items by name, and the names of each type's methods.
struct Types<'f> {
    items: BTreeMap<String, &'f Item>,
    methods: BTreeMap<String, BTreeSet<String>>,
    with_default: BTreeSet<String>,
}

impl<'f> Types<'f> {
    fn of(file: &'f syn::File) -> Self {
        let mut items = BTreeMap::new();
        let mut methods: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut with_default = BTreeSet::new();
        let module = file.items.iter().find_map(|item| match item {
            Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|(_, items)| items),
            _ => None,
        });
        for item in module.into_iter().flatten() {
            match item {
                Item::Struct(s) => {
                    if derives(&s.attrs, "Default") {
                        with_default.insert(s.ident.to_string());
                    }
                    items.insert(s.ident.to_string(), item);
                }
                Item::Enum(e) => {
                    items.insert(e.ident.to_string(), item);
                }
                Item::Impl(i) => {
                    let Type::Path(path) = &*i.self_ty else {
                        continue;
                    };
                    let Some(name) = path.path.segments.last().map(|s| s.ident.to_string()) else {
                        continue;
                    };
                    let is_default = i
                        .trait_
                        .as_ref()
                        .is_some_and(|t| t.0.segments.last().is_some_and(|s| s.ident == "Default"));
                    if is_default {
                        with_default.insert(name.clone());
                    }
                    if i.trait_.is_none() {
                        let names = methods.entry(name).or_default();
                        for member in &i.items {
                            if let syn::ImplItem::Fn(f) = member {
                                names.insert(f.sig.ident.to_string());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Types {
            items,
            methods,
            with_default,
        }
    }

    /// What the type `name` of the module is.
    fn shape(&self, name: &str) -> Shape {
        match self.items.get(name) {
            Some(Item::Struct(s)) => match &s.fields {
                Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                    let inner = &fields.unnamed[0].ty;
                    match last_ident(inner).as_deref() {
                        Some("String") => Shape::Text,
                        Some("Vec") => Shape::List,
                        _ => Shape::Other,
                    }
                }
                Fields::Named(_) if self.with_default.contains(name) => Shape::Record,
                _ => Shape::Other,
            },
            Some(Item::Enum(e)) if derives(&e.attrs, "Copy") => Shape::Copy,
            // The client's own ids (`crate::ids::ChatId`), newtypes over text.
            None if crate::calls::IdKind::is_type_name(name) => Shape::Text,
            _ => Shape::Other,
        }
    }
}

/// What a type of the module is, as far as reading it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A newtype over a `String` (an id, a name): a constant empty one.
    Text,
    /// A newtype over a `Vec`: its items as a slice.
    List,
    /// A struct with a `Default`: a shared default one.
    Record,
    /// A `Copy` enum: by value.
    Copy,
    Other,
}

/// The statics that missing values read as, one per type.
#[derive(Default)]
struct Defaults {
    texts: BTreeSet<String>,
    records: BTreeSet<String>,
}

impl Defaults {
    fn text(&mut self, name: &str) -> Ident {
        self.texts.insert(name.to_string());
        static_name(name)
    }

    fn record(&mut self, name: &str) -> Ident {
        self.records.insert(name.to_string());
        Ident::new(&format!("default_{}", snake(name)), Span::call_site())
    }

    fn items(&self) -> Vec<TokenStream> {
        let texts = self.texts.iter().map(|name| {
            let ty = Ident::new(name, Span::call_site());
            let static_ = static_name(name);
            quote! {
                pub(crate) static #static_: #ty = #ty(::std::string::String::new());
            }
        });
        let records = self.records.iter().map(|name| {
            let ty = Ident::new(name, Span::call_site());
            let function = Ident::new(&format!("default_{}", snake(name)), Span::call_site());
            quote! {
                fn #function() -> &'static #ty {
                    static DEFAULT: ::std::sync::LazyLock<#ty> =
                        ::std::sync::LazyLock::new(::std::default::Default::default);
                    &DEFAULT
                }
            }
        });
        texts.chain(records).collect()
    }
}

fn static_name(name: &str) -> Ident {
    Ident::new(
        &format!("EMPTY_{}", snake(name).to_uppercase()),
        Span::call_site(),
    )
}

/// The method reading `field` of type `ty`.
fn accessor(
    types: &Types<'_>,
    defaults: &mut Defaults,
    field: &Ident,
    ty: &Type,
    required: bool,
) -> Option<Accessor> {
    let (optional, inner) = match generic_of(ty, "Option") {
        Some(inner) => (true, inner),
        None => (false, ty),
    };
    let value = if optional {
        quote!(self.#field)
    } else {
        quote!(::std::option::Option::Some(&self.#field))
    };
    let read = |output: TokenStream, body: TokenStream, absent: &'static str| {
        Some(Accessor {
            output,
            body,
            absent,
        })
    };
    // Lists, from a `Vec` or a newtype over one: a slice, empty if absent.
    if let Some(item) = generic_of(inner, "Vec") {
        return if optional {
            read(
                quote!(&[#item]),
                quote!(self.#field.as_deref().unwrap_or(&[])),
                "Empty when the service leaves it out.",
            )
        } else {
            read(
                quote!(&[#item]),
                quote!(&self.#field),
                "Empty when the service leaves it out.",
            )
        };
    }
    let name = last_ident(inner)?;
    let boxed = generic_of(inner, "Box");
    let (target, target_name) = match boxed {
        Some(target) => (target, last_ident(target)?),
        None => (inner, name.clone()),
    };
    let by_ref = if optional {
        if boxed.is_some() {
            quote!(self.#field.as_deref())
        } else {
            quote!(self.#field.as_ref())
        }
    } else {
        quote!(::std::option::Option::Some(&*self.#field))
    };
    match name.as_str() {
        "String" => {
            return if !optional {
                read(
                    quote!(&str),
                    quote!(&self.#field),
                    "Empty when the service leaves it out.",
                )
            } else if required {
                read(
                    quote!(&str),
                    quote!(self.#field.as_deref().unwrap_or("")),
                    "Empty when the service leaves it out.",
                )
            } else {
                read(
                    quote!(::std::option::Option<&str>),
                    quote!(self.#field.as_deref()),
                    "`None` when the service leaves it out.",
                )
            };
        }
        "bool" | "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "f32" | "f64" => {
            return if !optional {
                read(quote!(#inner), quote!(self.#field), "")
            } else if required {
                let absent = if name == "bool" {
                    "`false` when the service leaves it out."
                } else {
                    "`0` when the service leaves it out."
                };
                read(
                    quote!(#inner),
                    quote!(self.#field.unwrap_or_default()),
                    absent,
                )
            } else {
                read(
                    quote!(::std::option::Option<#inner>),
                    quote!(self.#field),
                    "`None` when the service leaves it out.",
                )
            };
        }
        _ if name.starts_with("NonZero") => {
            return read(
                quote!(::std::option::Option<#inner>),
                value,
                "`None` when the service leaves it out.",
            );
        }
        _ => {}
    }
    let shape = types.shape(&target_name);
    if shape == Shape::List {
        let items = list_item(types, &target_name)?;
        return read(
            quote!(&[#items]),
            quote!(#by_ref.map_or(&[], |list| list.0.as_slice())),
            "Empty when the service leaves it out.",
        );
    }
    if shape == Shape::Copy && boxed.is_none() {
        return read(
            quote!(::std::option::Option<#target>),
            if optional {
                quote!(self.#field)
            } else {
                quote!(::std::option::Option::Some(self.#field))
            },
            "`None` when the service leaves it out.",
        );
    }
    // Text that is no id (an emoji, a status the spec keeps open): as
    // `&str`, as text is; an id keeps its type, for the next call.
    if shape == Shape::Text && boxed.is_none() && !is_id(&target_name) {
        return if !optional {
            read(quote!(&str), quote!(self.#field.as_str()), "")
        } else if required {
            read(
                quote!(&str),
                quote!(self.#field.as_ref().map_or("", |text| text.as_str())),
                "Empty when the service leaves it out.",
            )
        } else {
            read(
                quote!(::std::option::Option<&str>),
                quote!(self.#field.as_ref().map(|text| text.as_str())),
                "`None` when the service leaves it out.",
            )
        };
    }
    if !optional {
        return read(quote!(&#target), quote!(&self.#field), "");
    }
    match shape {
        Shape::Text if required => {
            let empty = defaults.text(&target_name);
            read(
                quote!(&#target),
                quote!(#by_ref.unwrap_or(&#empty)),
                "Empty when the service leaves it out.",
            )
        }
        Shape::Record if required => {
            let default = defaults.record(&target_name);
            read(
                quote!(&#target),
                quote!(#by_ref.unwrap_or_else(|| #default())),
                "Every field empty when the service leaves it out.",
            )
        }
        _ => read(
            quote!(::std::option::Option<&#target>),
            by_ref,
            "`None` when the service leaves it out.",
        ),
    }
}

/// Whether the newtype `name` is an id (`ChatId`, `MessageId`).
fn is_id(name: &str) -> bool {
    name.ends_with("Id")
}

/// The item type of the newtype over a `Vec` named `name`.
fn list_item(types: &Types<'_>, name: &str) -> Option<TokenStream> {
    let Some(Item::Struct(s)) = types.items.get(name) else {
        return None;
    };
    let Fields::Unnamed(fields) = &s.fields else {
        return None;
    };
    let item = generic_of(&fields.unnamed.first()?.ty, "Vec")?;
    Some(quote!(#item))
}

/// The argument of `ty` when it is `Wrapper<T>` (by its last segment).
fn generic_of<'t>(ty: &'t Type, wrapper: &str) -> Option<&'t Type> {
    crate::raw_client::generic_arg(ty, wrapper, 0)
}

/// The last segment's name of a path type.
fn last_ident(ty: &Type) -> Option<String> {
    Some(crate::raw_client::last_ident(ty)).filter(|name| !name.is_empty())
}

/// Whether one of `attrs` derives the trait `name` (by its last segment).
fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("derive")
            && quote!(#attr)
                .to_string()
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|word| word == name)
    })
}

/// The JSON name of a field: its `serde(rename)`, else its name.
fn json_name(field: &syn::Field) -> String {
    for attr in &field.attrs {
        if !attr.path().is_ident("serde") {
            continue;
        }
        let text = quote!(#attr).to_string();
        if let Some(rest) = text.split("rename = \"").nth(1) {
            if let Some(name) = rest.split('"').next() {
                return name.to_string();
            }
        }
    }
    field
        .ident
        .as_ref()
        .map(|i| i.to_string().trim_start_matches("r#").to_string())
        .unwrap_or_default()
}

/// The method for a field: its name, but `kind` for `type`.
fn method_name(field: &Ident) -> String {
    match field.to_string().as_str() {
        "type_" => "kind".to_string(),
        name => name.to_string(),
    }
}

/// The component schemas the responses and the webhooks reach, by name.
pub(crate) fn answer_types(codegen: &Value) -> BTreeSet<String> {
    let mut reached = BTreeSet::new();
    let mut roots: Vec<&Value> = Vec::new();
    if let Some(paths) = codegen.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(responses) = operation.get("responses") {
                    roots.push(responses);
                }
            }
        }
    }
    if let Some(responses) = codegen.pointer("/components/responses") {
        roots.push(responses);
    }
    if let Some(webhooks) = codegen.pointer("/components/schemas/WebhookPayload") {
        roots.push(webhooks);
        reached.insert("/components/schemas/WebhookPayload".to_string());
    }
    for root in roots {
        reachable_refs(codegen, root, &mut reached);
    }
    reached
        .iter()
        .filter_map(|pointer| pointer.strip_prefix("/components/schemas/"))
        .map(|name| name.to_upper_camel_case())
        .collect()
}

/// The JSON names of the fields the spec requires of the schema behind
/// the type `name` (a `…Received` copy reads its original's), through
/// `allOf`.
fn required_fields(spec: &Value, name: &str) -> BTreeSet<String> {
    let component = |wanted: &str| {
        spec.pointer("/components/schemas")
            .and_then(Value::as_object)?
            .iter()
            .find(|(component, _)| component.to_upper_camel_case() == wanted)
            .map(|(_, schema)| schema)
    };
    let schema = component(name).or_else(|| name.strip_suffix("Received").and_then(component));
    let mut required = BTreeSet::new();
    if let Some(schema) = schema {
        collect_required(spec, schema, &mut required, 0);
    }
    required
}

fn collect_required(spec: &Value, schema: &Value, out: &mut BTreeSet<String>, depth: usize) {
    if depth > 16 {
        return;
    }
    let schema = deref(spec, schema);
    if let Some(names) = schema.get("required").and_then(Value::as_array) {
        out.extend(names.iter().filter_map(Value::as_str).map(str::to_string));
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_required(spec, part, out, depth + 1);
    }
}

fn snake(name: &str) -> String {
    name.to_snake_case()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn generated(types: &str, codegen: Value, spec: Value) -> String {
        let file: syn::File = syn::parse_str(&format!("pub mod types {{ {types} }}")).unwrap();
        generate(&file, &answer_types(&codegen), &spec).unwrap()
    }

    fn spec_of(required: &[&str]) -> Value {
        json!({
            "paths": {"/chats": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Chat"}}}}}}}},
            "components": {"schemas": {"Chat": {"type": "object", "required": required}}}
        })
    }

    #[test]
    fn required_fields_read_as_values_and_optional_ones_as_options() {
        let types = r#"
            #[derive(Clone, Debug, Default)]
            pub struct Chat {
                pub id: ::std::option::Option<ChatId>,
                pub name: ::std::option::Option<::std::string::String>,
                pub about: ::std::option::Option<::std::string::String>,
                pub unread: ::std::option::Option<i64>,
                pub pin: ::std::option::Option<bool>,
                #[serde(rename = "type")]
                pub type_: ::std::option::Option<::std::string::String>,
                pub labels: ::std::vec::Vec<Label>,
                pub last_message: ::std::option::Option<::std::boxed::Box<crate::types::Message>>,
                pub mood: ::std::option::Option<Emoji>,
            }
            pub struct ChatId(pub ::std::string::String);
            pub struct Emoji(pub ::std::string::String);
            #[derive(Default)]
            pub struct Message { pub id: ::std::option::Option<::std::string::String> }
            pub struct Label {}
            impl Chat { pub fn builder() {} }
        "#;
        let spec = spec_of(&["id", "name", "unread", "pin", "type", "last_message"]);
        let text = generated(types, spec.clone(), spec);
        for expected in [
            "pub fn id(&self) -> &ChatId",
            "unwrap_or(&EMPTY_CHAT_ID)",
            "pub fn name(&self) -> &str",
            "pub fn about(&self) -> ::std::option::Option<&str>",
            "pub fn unread(&self) -> i64",
            "pub fn pin(&self) -> bool",
            "pub fn kind(&self) -> &str",
            "pub fn labels(&self) -> &[Label]",
            "pub fn mood(&self) -> ::std::option::Option<&str>",
            "pub fn last_message(&self) -> &crate::types::Message",
            "unwrap_or_else(|| default_message())",
        ] {
            assert!(text.contains(expected), "no `{expected}` in:\n{text}");
        }
        assert!(!text.contains("pub fn builder"), "{text}");
    }

    #[test]
    fn a_received_copy_reads_its_originals_required_fields() {
        let types = r#"
            #[derive(Default)]
            pub struct GroupReceived { pub subject: ::std::option::Option<::std::string::String> }
        "#;
        let codegen = json!({
            "paths": {"/g": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/GroupReceived"}}}}}}}},
            "components": {"schemas": {"GroupReceived": {"type": "object"}}}
        });
        let spec =
            json!({"components": {"schemas": {"Group": {"allOf": [{"required": ["subject"]}]}}}});
        let text = generated(types, codegen, spec);
        assert!(text.contains("pub fn subject(&self) -> &str"), "{text}");
    }
}
