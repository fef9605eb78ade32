//! Every type of the generated `types` module derives
//! `schemars::JsonSchema` when the client's `schemars` feature is on:
//! applications hand the API's bodies to validators and tool definitions.
//! Off by default, so builds that do not use it do not pay for it.

use syn::{parse_quote, Attribute, Item};

/// The attribute each type gets.
fn derive() -> Attribute {
    parse_quote!(#[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))])
}

/// Whether the item derives serde's traits (a type of the API's bodies).
fn is_serde_type(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("derive")
            && quote::ToTokens::to_token_stream(attr)
                .to_string()
                .contains("Serialize")
    })
}

/// Adds the feature-gated derive to the structs and enums of `mod types`
/// (not to its `builder` or `defaults` submodules).
pub(crate) fn add(file: &mut syn::File) {
    let Some(items) = crate::generate::module_items_mut(file, "types") else {
        return;
    };
    for item in items {
        let attrs = match item {
            Item::Struct(s) => &mut s.attrs,
            Item::Enum(e) => &mut e.attrs,
            _ => continue,
        };
        if is_serde_type(attrs) {
            let at = attrs
                .iter()
                .position(|a| a.path().is_ident("derive"))
                .map_or(0, |i| i + 1);
            attrs.insert(at, derive());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_get_the_derive_and_builders_do_not() {
        let mut file: syn::File = parse_quote! {
            pub mod types {
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                pub struct Chat { pub id: String }
                pub mod builder {
                    #[derive(Clone, Debug)]
                    pub struct Chat { id: Result<String, String> }
                }
            }
        };
        add(&mut file);
        let text = quote::ToTokens::to_token_stream(&file).to_string();
        assert_eq!(text.matches("JsonSchema").count(), 1, "{text}");
        assert!(text.contains("cfg_attr (feature = \"schemars\""));
    }
}
