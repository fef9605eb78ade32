//! Every field of the types that answers and webhooks reach decodes
//! leniently (`whapi_client::lenient`): a number sent as text, a status
//! this version does not know or an object where text belongs reads as
//! absent or converted instead of failing the whole answer or event, so
//! that webhooks and answers can share one set of types. The normalize
//! rules already made those fields optional; this pass names the decoder
//! each one uses, from its Rust type.

use std::collections::{BTreeMap, BTreeSet};

use syn::{parse_quote, Fields, GenericArgument, Item, PathArguments, Type};

use crate::record_decoders;
use crate::GenError;

/// The decoder for a field of type `ty`, `Ok(None)` for one that is
/// lenient already (`serde_json::Value`), or the type when no decoder fits.
fn decoder(ty: &Type, shapes: &BTreeMap<String, Shape>) -> Result<Option<&'static str>, String> {
    let textual = |name: &str| {
        crate::calls::IdKind::is_type_name(name)
            || matches!(shapes.get(name), Some(Shape::Text | Shape::Words))
    };
    if let Some(inner) = generic_of(ty, "Option") {
        return Ok(Some(match last_ident(inner).as_deref() {
            Some("String") => "string",
            Some("f64") => "float",
            Some("i64" | "i32" | "u64" | "u32") => "int",
            Some("bool") => "bool",
            Some("Value") => return Ok(None),
            Some(name) if textual(name) => "text",
            Some(name) if shapes.get(name) == Some(&Shape::List) => "list",
            Some(_)
                if generic_of(inner, "Vec").is_some() || generic_of(inner, "HashMap").is_some() =>
            {
                return Err(quote::ToTokens::to_token_stream(ty).to_string())
            }
            _ => "value",
        }));
    }
    if let Some(item) = generic_of(ty, "Vec") {
        return Ok(Some(match last_ident(item).as_deref() {
            Some("String") => "strings",
            Some("Value") => return Ok(None),
            Some(name) if textual(name) => "texts",
            _ => "values",
        }));
    }
    if generic_of(ty, "HashMap").is_some() {
        return Ok(Some("map"));
    }
    if last_ident(ty).as_deref() == Some("Map") {
        return Ok(Some("json_object"));
    }
    Err(quote::ToTokens::to_token_stream(ty).to_string())
}

/// What a type of `types` is, as far as decoding it goes.
#[derive(Debug, PartialEq)]
enum Shape {
    /// A newtype around a list: read as a list.
    List,
    /// A newtype around text (an open word, a name): read from text.
    Text,
    /// An enum of words: read from text.
    Words,
    /// Anything else.
    Other,
}

/// The shape of each type defined in `items`.
fn shapes(items: &[Item]) -> BTreeMap<String, Shape> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => {
                let shape = match &s.fields {
                    Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                        let inner = &f.unnamed[0].ty;
                        if generic_of(inner, "Vec").is_some() {
                            Shape::List
                        } else if last_ident(inner).as_deref() == Some("String") {
                            Shape::Text
                        } else {
                            Shape::Other
                        }
                    }
                    _ => Shape::Other,
                };
                Some((s.ident.to_string(), shape))
            }
            Item::Enum(e) => {
                let words = e.variants.iter().all(|v| matches!(v.fields, Fields::Unit));
                Some((
                    e.ident.to_string(),
                    if words { Shape::Words } else { Shape::Other },
                ))
            }
            _ => None,
        })
        .collect()
}

/// Gives a lenient decoder to every field of the `answer_types` structs of
/// `types` and of every type an operation answers with, and to the fields
/// of the types they lead to; answers how many fields got one. A record
/// (named fields, `Default`) gets a `Deserialize` of its own that reads
/// each field with its decoder (`record_decoders`); any other struct keeps
/// serde's derive, with `deserialize_with` on each field. Fails on a
/// field that already names a decoder of its own, which this pass would
/// override, and on one no decoder fits.
pub(crate) fn apply(
    file: &mut syn::File,
    answer_types: &BTreeSet<String>,
) -> Result<Lenient, GenError> {
    let file_types = answered_types(file);
    let Some(items) = crate::generate::module_items_mut(file, "types") else {
        return Ok(Lenient::default());
    };
    let shapes = shapes(items);
    let mut roots = answer_types.clone();
    roots.extend(file_types);
    let reached = reached(items, &roots);
    let mut count = 0;
    let mut records = Vec::new();
    for (position, item) in items.iter_mut().enumerate() {
        let Item::Struct(item) = item else { continue };
        if !reached.contains(&item.ident.to_string()) {
            continue;
        }
        let record = record_decoders::fits(item);
        let mut record_fields = Vec::new();
        let fields = match &mut item.fields {
            Fields::Named(fields) => &mut fields.named,
            // A newtype around a list (`Messages`) reads its items leniently.
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => &mut fields.unnamed,
            _ => continue,
        };
        for field in fields {
            let named = field.ident.is_some();
            // A newtype is read whole by the field that holds it (as text,
            // as a list); only a list's or a map's items need a decoder.
            if !named
                && generic_of(&field.ty, "Vec").is_none()
                && generic_of(&field.ty, "HashMap").is_none()
            {
                continue;
            }
            let name = || {
                field
                    .ident
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            };
            let decoder = decoder(&field.ty, &shapes).map_err(|ty| {
                GenError::Progenitor(format!(
                    "lenient_fields has no decoder for `{}.{}` ({ty}): add one",
                    item.ident,
                    name()
                ))
            })?;
            let serde: Vec<String> = field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("serde"))
                .map(|a| quote::ToTokens::to_token_stream(a).to_string())
                .collect();
            if serde.iter().any(|s| s.contains("deserialize_with")) {
                return Err(GenError::Progenitor(format!(
                    "`{}.{}` has a decoder of its own; lenient_fields would replace it",
                    item.ident,
                    name()
                )));
            }
            if record {
                let marker = record_decoders::marker(decoder).ok_or_else(|| {
                    GenError::Progenitor(format!("no record decoder for `{decoder:?}`"))
                })?;
                record_fields.push(record_decoders::RecordField {
                    ident: field.ident.clone().expect("a record's fields are named"),
                    json: record_decoders::json_name(field),
                    marker,
                });
                count += usize::from(decoder.is_some());
                continue;
            }
            let Some(decoder) = decoder else {
                continue;
            };
            let path = format!("crate::lenient::{decoder}");
            // A newtype's field needs no default: the newtype is read whole.
            field
                .attrs
                .push(if !named || serde.iter().any(|s| s.contains("default")) {
                    parse_quote!(#[serde(deserialize_with = #path)])
                } else {
                    parse_quote!(#[serde(default, deserialize_with = #path)])
                });
            count += 1;
        }
        if record {
            record_decoders::drop_derived_deserialize(item);
            let decode = record_decoders::impls(&item.ident, &record_fields);
            let file = syn::parse2::<syn::File>(decode).map_err(|e| {
                GenError::Syntax(format!("the record decoder of `{}`: {e}", item.ident))
            })?;
            records.push((position, file.items));
        }
    }
    // Each impl after its record, from the last so positions hold.
    for (position, decode) in records.into_iter().rev() {
        items.splice(position + 1..position + 1, decode);
    }
    Ok(Lenient {
        fields: count,
        reached,
    })
}

/// What [`apply`] did.
#[derive(Debug, Default)]
pub(crate) struct Lenient {
    /// How many fields got a decoder.
    pub(crate) fields: usize,
    /// The types answers and webhooks reach, inline ones included: the
    /// ones that get accessors.
    pub(crate) reached: BTreeSet<String>,
}

/// The type names inside every `ResponseValue<…>` of the file: what the
/// operations answer, inline schemas (`ResponseListParticipants`) included.
fn answered_types(file: &mut syn::File) -> Vec<String> {
    // A `VisitMut` that only reads: the crate's syn has no `visit` feature.
    struct Answers(Vec<String>);
    impl syn::visit_mut::VisitMut for Answers {
        fn visit_type_path_mut(&mut self, node: &mut syn::TypePath) {
            if node
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "ResponseValue")
            {
                type_names(&Type::Path(node.clone()), &mut self.0);
            }
            syn::visit_mut::visit_type_path_mut(self, node);
        }
    }
    let mut answers = Answers(Vec::new());
    syn::visit_mut::VisitMut::visit_file_mut(&mut answers, file);
    answers.0
}

/// The answer types and every type of `items` their fields lead to: the
/// types typify names for inline schemas (`MessageContentHsmHeader`) are
/// no component, but an answer holds them all the same.
fn reached(items: &[Item], answer_types: &BTreeSet<String>) -> BTreeSet<String> {
    let fields: BTreeMap<String, Vec<&Type>> = items
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some((
                s.ident.to_string(),
                s.fields.iter().map(|f| &f.ty).collect(),
            )),
            _ => None,
        })
        .collect();
    let mut reached = BTreeSet::new();
    let mut next: Vec<String> = answer_types.iter().cloned().collect();
    while let Some(name) = next.pop() {
        if !reached.insert(name.clone()) {
            continue;
        }
        for ty in fields.get(&name).into_iter().flatten() {
            let mut names = Vec::new();
            type_names(ty, &mut names);
            next.extend(names.into_iter().filter(|n| fields.contains_key(n)));
        }
    }
    reached
}

/// Every name in a type's path and its type arguments.
fn type_names(ty: &Type, out: &mut Vec<String>) {
    let Type::Path(path) = ty else { return };
    for segment in &path.path.segments {
        out.push(segment.ident.to_string());
        if let PathArguments::AngleBracketed(args) = &segment.arguments {
            for arg in &args.args {
                if let GenericArgument::Type(inner) = arg {
                    type_names(inner, out);
                }
            }
        }
    }
}

/// The type argument of `ty` when it is `wrapper<…>`.
fn generic_of<'t>(ty: &'t Type, wrapper: &str) -> Option<&'t Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// The last name of a type's path, through a `Box`.
fn last_ident(ty: &Type) -> Option<String> {
    let ty = generic_of(ty, "Box").unwrap_or(ty);
    let Type::Path(path) = ty else { return None };
    path.path.segments.last().map(|s| s.ident.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(source: &str, answers: &[&str]) -> (String, usize) {
        let mut file: syn::File = syn::parse_str(source).unwrap();
        let names = answers.iter().map(|s| s.to_string()).collect();
        let count = apply(&mut file, &names).unwrap();
        (prettyplease::unparse(&file), count.fields)
    }

    #[test]
    fn each_field_of_an_answer_type_gets_the_decoder_of_its_type() {
        let (text, count) = applied(
            r#"mod types {
                pub struct Chat {
                    #[serde(skip_serializing_if = "Option::is_none")]
                    pub id: ::std::option::Option<::std::string::String>,
                    pub unread: ::std::option::Option<i64>,
                    pub pin: ::std::option::Option<bool>,
                    pub last: ::std::option::Option<::std::boxed::Box<Message>>,
                    pub messages: ::std::option::Option<Messages>,
                    #[serde(default, skip_serializing_if = "Vec::is_empty")]
                    pub labels: ::std::vec::Vec<Label>,
                    pub tags: ::std::vec::Vec<::std::string::String>,
                    pub raw: ::std::option::Option<::serde_json::Value>,
                }
                #[serde(transparent)]
                pub struct Messages(pub ::std::vec::Vec<Message>);
                pub struct Sent { pub id: ::std::option::Option<::std::string::String> }
                pub struct Label { pub header: ::std::option::Option<LabelHeader> }
                pub struct LabelHeader { pub text: ::std::option::Option<::std::string::String> }
            }"#,
            &["Chat", "Messages"],
        );
        assert_eq!(
            count, 10,
            "a type an answer's field leads to counts: {text}"
        );
        assert!(!text.contains("pub struct Sent {\n        #"), "{text}");
        assert!(
            text.contains("pub struct Messages(\n        #[serde(deserialize_with = \"crate::lenient::values\")]"),
            "{text}"
        );
        for expected in [
            r#"#[serde(default, deserialize_with = "crate::lenient::string")]"#,
            r#"#[serde(default, deserialize_with = "crate::lenient::int")]"#,
            r#"#[serde(default, deserialize_with = "crate::lenient::bool")]"#,
            r#"#[serde(default, deserialize_with = "crate::lenient::value")]"#,
            r#"#[serde(default, deserialize_with = "crate::lenient::list")]"#,
            r#"#[serde(deserialize_with = "crate::lenient::values")]"#,
            r#"#[serde(default, deserialize_with = "crate::lenient::strings")]"#,
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        assert!(!text.contains("pub raw: ::std::option::Option<::serde_json::Value>,\n        #"));
    }

    #[test]
    fn a_field_with_a_decoder_of_its_own_is_an_error() {
        let mut file: syn::File = syn::parse_str(
            r#"mod types { pub struct A {
                #[serde(deserialize_with = "::std::option::Option::deserialize")]
                pub a: ::std::option::Option<::std::string::String>,
            } }"#,
        )
        .unwrap();
        let error = apply(&mut file, &["A".to_string()].into()).unwrap_err();
        assert!(error.to_string().contains("`A.a`"), "{error}");
    }
}
