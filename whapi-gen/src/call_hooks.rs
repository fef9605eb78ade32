//! Hooks of one request: every builder may carry [`Hooks`] of its own,
//! which its `send()` goes through instead of its client's.
//!
//! A caller that wants other settings for one call (a timeout, retries,
//! headers: `whapi-ext`'s `with_options`) gives that request a transport of
//! its own, and the settings travel with the request instead of beside it.
//! The pass adds to each builder of the `builder` module a field
//! `hooks: Option<crate::Hooks>` (unset by `new`), a setter `hooks(..)`,
//! and makes its sends hand the field to `Client::exec_via` (or
//! `exec_rebuildable_via`) instead of `ClientHooks::exec`.
//!
//! [`Hooks`]: https://docs.rs/whapi-client/latest/whapi_client/struct.Hooks.html

use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote, Expr, Fields, ImplItem, Item, Pat};

/// Adds the hooks to every builder; answers how many, or names a builder
/// whose shape this pass does not know.
pub(crate) fn apply(file: &mut syn::File) -> Result<usize, crate::GenError> {
    let Some(items) = crate::generate::module_items_mut(file, "builder") else {
        return Ok(0);
    };
    let mut builders = Vec::new();
    for item in items.iter_mut() {
        let Item::Struct(builder) = item else {
            continue;
        };
        let Fields::Named(fields) = &mut builder.fields else {
            continue;
        };
        if !fields
            .named
            .iter()
            .any(|f| f.ident.as_ref().is_some_and(|i| i == "client"))
        {
            continue;
        }
        fields.named.push(parse_quote! {
            hooks: ::std::option::Option<crate::Hooks>
        });
        builders.push(builder.ident.to_string());
    }
    for item in items.iter_mut() {
        let Item::Impl(block) = item else { continue };
        let name = crate::raw_client::last_ident(&block.self_ty);
        if !builders.contains(&name) {
            continue;
        }
        let mut rewrite = Rewrite::default();
        for member in &mut block.items {
            if let ImplItem::Fn(method) = member {
                rewrite.visit_impl_item_fn_mut(method);
            }
        }
        if rewrite.constructed != 1 || rewrite.sends == 0 || rewrite.sends != rewrite.execs {
            return Err(crate::GenError::Progenitor(format!(
                "call_hooks: builder {name}: {} constructors, {} sends, {} hand-overs to the \
                 transport: has progenitor's builder changed?",
                rewrite.constructed, rewrite.sends, rewrite.execs
            )));
        }
        block.items.push(parse_quote! {
            /// Sends this request through `hooks` instead of the client's
            /// (a transport with settings for this one call); `None` for the
            /// client's own.
            pub fn hooks(mut self, hooks: impl ::std::convert::Into<::std::option::Option<crate::Hooks>>) -> Self {
                self.hooks = hooks.into();
                self
            }
        });
    }
    Ok(builders.len())
}

/// Counts what it rewrites in a builder's methods.
#[derive(Default)]
struct Rewrite {
    /// `Self { client: client, .. }` in `new`.
    constructed: usize,
    /// `let Self { client, .. } = self;` in a send.
    sends: usize,
    /// `client.exec(..)` or `client.exec_rebuildable(..)`.
    execs: usize,
}

impl VisitMut for Rewrite {
    fn visit_expr_struct_mut(&mut self, node: &mut syn::ExprStruct) {
        visit_mut::visit_expr_struct_mut(self, node);
        let builds_self = node.path.is_ident("Self");
        if builds_self && node.fields.iter().any(|f| member_is(&f.member, "client")) {
            node.fields
                .push(parse_quote!(hooks: ::std::option::Option::None));
            self.constructed += 1;
        }
    }

    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        visit_mut::visit_local_mut(self, local);
        let Pat::Struct(pattern) = &mut local.pat else {
            return;
        };
        let from_self = local
            .init
            .as_ref()
            .is_some_and(|init| matches!(&*init.expr, Expr::Path(p) if p.path.is_ident("self")));
        if from_self
            && pattern
                .fields
                .iter()
                .any(|f| member_is(&f.member, "client"))
        {
            pattern.fields.push(syn::FieldPat {
                attrs: Vec::new(),
                member: parse_quote!(hooks),
                colon_token: None,
                pat: Box::new(parse_quote!(hooks)),
            });
            self.sends += 1;
        }
    }

    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        visit_mut::visit_expr_method_call_mut(self, call);
        let on_client = matches!(&*call.receiver, Expr::Path(p) if p.path.is_ident("client"));
        let via = match call.method.to_string().as_str() {
            "exec" => parse_quote!(exec_via),
            "exec_rebuildable" => parse_quote!(exec_rebuildable_via),
            _ => return,
        };
        if on_client {
            call.method = via;
            call.args.insert(0, parse_quote!(hooks.as_ref()));
            self.execs += 1;
        }
    }
}

fn member_is(member: &syn::Member, name: &str) -> bool {
    matches!(member, syn::Member::Named(ident) if ident == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn a_builder_carries_hooks_to_its_transport() {
        let mut file: syn::File = parse_quote! {
            pub mod builder {
                pub struct GetChats<'a> {
                    client: &'a super::Client,
                    count: Result<Option<u64>, String>,
                }
                impl<'a> GetChats<'a> {
                    pub fn new(client: &'a super::Client) -> Self {
                        Self { client: client, count: Ok(None) }
                    }
                    pub async fn send(self) -> Result<(), Error<()>> {
                        let Self { client, count } = self;
                        let result = client.exec_rebuildable(request, &rebuild, &info).await;
                        result
                    }
                }
            }
        };
        assert_eq!(apply(&mut file).unwrap(), 1);
        let text = file.to_token_stream().to_string();
        for expected in [
            "hooks : :: std :: option :: Option < crate :: Hooks >",
            "hooks : :: std :: option :: Option :: None",
            "let Self { client , count , hooks } = self",
            "client . exec_rebuildable_via (hooks . as_ref () , request , & rebuild , & info)",
            "pub fn hooks (mut self",
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
    }

    #[test]
    fn a_send_that_keeps_its_client_is_an_error() {
        let mut file: syn::File = parse_quote! {
            pub mod builder {
                pub struct A<'a> { client: &'a super::Client }
                impl<'a> A<'a> {
                    pub fn new(client: &'a super::Client) -> Self { Self { client: client } }
                    pub async fn send(self) -> () {
                        let Self { client } = self;
                        client.client.execute(request).await
                    }
                }
            }
        };
        let error = apply(&mut file).unwrap_err();
        assert!(error.to_string().contains("builder A"), "{error}");
    }
}
