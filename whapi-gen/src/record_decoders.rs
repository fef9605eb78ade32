//! A record's `Deserialize`, written out for `lenient_fields` in place of
//! serde's derive: a loop over the object's keys that reads each field with
//! its lenient decoder (`whapi_client`'s `record_decoding` says why).

use proc_macro2::{Literal, Span, TokenStream};
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Ident, ItemStruct, LitStr, Path, Token};

/// A field of a record: its Rust name, its JSON name and the marker of its
/// decoder (`Str`, `Values`, …, `Plain`).
pub(crate) struct RecordField {
    pub(crate) ident: Ident,
    pub(crate) json: String,
    pub(crate) marker: &'static str,
}

/// The marker type of a `lenient` decoder, by the decoder's name; `None`
/// for the type's own `Deserialize`.
pub(crate) fn marker(decoder: Option<&str>) -> Option<&'static str> {
    Some(match decoder {
        None => "Plain",
        Some("string") => "Str",
        Some("int") => "Int",
        Some("float") => "Float",
        Some("bool") => "Bool",
        Some("value") => "Value",
        Some("values") => "Values",
        Some("text") => "Text",
        Some("texts") => "Texts",
        Some("strings") => "Strings",
        Some("list") => "List",
        Some("map") => "Map",
        Some("json_object") => "JsonObject",
        Some(_) => return None,
    })
}

/// The derives of `item`, by their last name (`Deserialize`, `Default`).
fn derives(item: &ItemStruct) -> Vec<String> {
    item.attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .filter_map(|a| {
            a.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
                .ok()
        })
        .flatten()
        .filter_map(|p| p.segments.last().map(|s| s.ident.to_string()))
        .collect()
}

/// Whether `item` can decode as a record: named fields (at most
/// [`MAX_FIELDS`]), a derived
/// `Deserialize` and `Default`, and no serde attribute the loop would have
/// to honour beyond a field's `rename` and a plain `default`.
pub(crate) fn fits(item: &ItemStruct) -> bool {
    let derived = derives(item);
    matches!(item.fields, Fields::Named(_))
        && item.fields.len() <= MAX_FIELDS
        && derived.iter().any(|d| d == "Deserialize")
        && derived.iter().any(|d| d == "Default")
        && !item.attrs.iter().any(|a| a.path().is_ident("serde"))
        && item
            .fields
            .iter()
            .all(|field| field.attrs.iter().all(|a| json_name_of(a).is_ok()))
}

/// The JSON name a field's `#[serde(…)]` attribute gives it (`rename`), or
/// an error for an attribute the record loop does not honour.
fn json_name_of(attr: &Attribute) -> Result<Option<String>, ()> {
    if !attr.path().is_ident("serde") {
        return Ok(None);
    }
    let mut name = None;
    let mut fits = true;
    let parsed = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("rename") {
            name = Some(meta.value()?.parse::<LitStr>()?.value());
        } else if meta.path.is_ident("skip_serializing_if") {
            meta.value()?.parse::<LitStr>()?;
        } else if meta.path.is_ident("default") {
            fits &= meta.input.is_empty() || meta.input.peek(Token![,]);
        } else {
            fits = false;
        }
        Ok(())
    });
    match (parsed, fits) {
        (Ok(()), true) => Ok(name),
        _ => Err(()),
    }
}

/// The JSON name of a field: its `rename`, else its Rust name.
pub(crate) fn json_name(field: &syn::Field) -> String {
    field
        .attrs
        .iter()
        .find_map(|a| json_name_of(a).ok().flatten())
        .unwrap_or_else(|| {
            let ident = field.ident.as_ref().map(ToString::to_string);
            let ident = ident.unwrap_or_default();
            ident.strip_prefix("r#").unwrap_or(&ident).to_string()
        })
}

/// Takes `Deserialize` out of `item`'s derives.
pub(crate) fn drop_derived_deserialize(item: &mut ItemStruct) {
    for attr in item
        .attrs
        .iter_mut()
        .filter(|a| a.path().is_ident("derive"))
    {
        let Ok(paths) = attr.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        let kept: Vec<&Path> = paths
            .iter()
            .filter(|p| p.segments.last().is_none_or(|s| s.ident != "Deserialize"))
            .collect();
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
    }
}

/// The most fields a record may have (`Record::FIELDS`).
pub(crate) const MAX_FIELDS: usize = 128;

/// The `Record` and `Deserialize` impls of the record `name` with `fields`.
pub(crate) fn impls(name: &Ident, fields: &[RecordField]) -> TokenStream {
    let json: Vec<&str> = fields.iter().map(|f| f.json.as_str()).collect();
    let type_name = name.to_string();
    let arms = fields.iter().enumerate().map(|(i, f)| {
        let index = Literal::usize_unsuffixed(i);
        let ident = &f.ident;
        let marker = Ident::new(f.marker, Span::call_site());
        quote!(#index => read(map, &mut self.#ident, by::#marker),)
    });
    quote! {
        impl crate::record_decoding::Record for #name {
            const NAME: &'static str = #type_name;
            const FIELDS: &'static [&'static str] = &[#(#json),*];
            fn read<'de, A: ::serde::de::MapAccess<'de>>(
                &mut self,
                index: usize,
                map: &mut A,
            ) -> ::std::result::Result<(), A::Error> {
                use crate::record_decoding::{by, read};
                match index {
                    #(#arms)*
                    _ => Ok(()),
                }
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                crate::record_decoding::deserialize(d)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_record_fits_and_one_with_attributes_it_would_ignore_does_not() {
        let plain: ItemStruct = syn::parse_quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, Default)]
            pub struct A {
                #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
                pub type_: Option<String>,
                #[serde(default)]
                pub b: Vec<String>,
            }
        };
        assert!(fits(&plain));
        let names: Vec<String> = plain.fields.iter().map(json_name).collect();
        assert_eq!(names, ["type", "b"]);
        for unfit in [
            syn::parse_quote! {
                #[derive(::serde::Deserialize, Default)]
                #[serde(deny_unknown_fields)]
                pub struct A { pub a: Option<String> }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize, Default)]
                pub struct A { #[serde(default = "defaults::twenty")] pub a: Option<u64> }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize, Default)]
                pub struct A { #[serde(flatten)] pub a: Option<String> }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize)]
                pub struct A { pub a: Option<String> }
            },
        ] {
            let unfit: ItemStruct = unfit;
            assert!(!fits(&unfit), "{}", quote!(#unfit));
        }
    }

    #[test]
    fn the_derive_loses_deserialize_only() {
        let mut item: ItemStruct = syn::parse_quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Default)]
            pub struct A { pub a: Option<String> }
        };
        drop_derived_deserialize(&mut item);
        let text = quote!(#item).to_string();
        assert!(
            text.contains("derive (:: serde :: Serialize , Clone , Default)"),
            "{text}"
        );
    }
}
