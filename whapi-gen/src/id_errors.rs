//! The raw client's request builders say why an id was refused.
//!
//! progenitor's setters convert their argument with `TryInto` and replace
//! any failure with "conversion to `…` for chat_id failed", which drops the
//! reason. For the client's checked ids (`crate::ids::ChatId`, whose
//! conversion fails with an `InvalidId` naming the rule), this pass keeps
//! it: the setter also asks that the conversion's error be `Display`, and
//! the message ends with it (`… failed: chat_id: `x` is not a chat id: …`).

use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote, Expr, ExprClosure, ImplItem, Item, Lit, Pat, Type, WherePredicate};

/// Rewrites the setters of the `builder` module whose argument converts
/// into a client id; answers how many.
pub(crate) fn apply(file: &mut syn::File) -> usize {
    let Some(items) = crate::generate::module_items_mut(file, "builder") else {
        return 0;
    };
    let mut count = 0;
    for item in items.iter_mut() {
        let Item::Impl(block) = item else { continue };
        for member in &mut block.items {
            let ImplItem::Fn(method) = member else {
                continue;
            };
            let Some(generic) = id_conversion(method) else {
                continue;
            };
            let Some(clause) = method.sig.generics.where_clause.as_mut() else {
                continue;
            };
            let mut closures = KeepTheReason(0);
            closures.visit_block_mut(&mut method.block);
            if closures.0 == 0 {
                continue;
            }
            clause
                .predicates
                .push(parse_quote!(#generic::Error: ::std::fmt::Display));
            count += 1;
        }
    }
    count
}

/// The generic argument of a setter bounded by `TryInto<crate::ids::…>`.
fn id_conversion(method: &syn::ImplItemFn) -> Option<syn::Ident> {
    let clause = method.sig.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|predicate| {
        let WherePredicate::Type(predicate) = predicate else {
            return None;
        };
        let Type::Path(bounded) = &predicate.bounded_ty else {
            return None;
        };
        let text = quote::ToTokens::to_token_stream(&predicate.bounds)
            .to_string()
            .replace(' ', "");
        text.contains("TryInto<crate::ids::")
            .then(|| bounded.path.get_ident().cloned())
            .flatten()
    })
}

/// Turns `|_| { "conversion … failed".to_string() }` into a closure that
/// appends the error, with the type named plainly.
struct KeepTheReason(usize);

impl VisitMut for KeepTheReason {
    fn visit_expr_closure_mut(&mut self, closure: &mut ExprClosure) {
        visit_mut::visit_expr_closure_mut(self, closure);
        if closure.inputs.len() != 1 || !matches!(closure.inputs[0], Pat::Wild(_)) {
            return;
        }
        let Some(message) = conversion_message(&closure.body) else {
            return;
        };
        let message = message.replace("crate :: ids :: ", "");
        *closure = parse_quote!(|e| ::std::format!("{}: {}", #message, e));
        self.0 += 1;
    }
}

/// The literal of a `"conversion to …".to_string()` body, if it is one.
fn conversion_message(body: &Expr) -> Option<String> {
    let expr = match body {
        Expr::Block(block) => match block.block.stmts.as_slice() {
            [syn::Stmt::Expr(expr, None)] => expr,
            _ => return None,
        },
        other => other,
    };
    let Expr::MethodCall(call) = expr else {
        return None;
    };
    let Expr::Lit(lit) = &*call.receiver else {
        return None;
    };
    let Lit::Str(text) = &lit.lit else {
        return None;
    };
    let text = text.value();
    (call.method == "to_string" && text.starts_with("conversion to")).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_setter_keeps_the_reason_and_others_stay() {
        let mut file: syn::File = syn::parse_str(
            r#"mod builder {
                impl<'a> GetChat<'a> {
                    pub fn chat_id<V>(mut self, value: V) -> Self
                    where
                        V: std::convert::TryInto<crate::ids::ChatId>,
                    {
                        self.chat_id = value.try_into().map_err(|_| {
                            "conversion to `crate :: ids :: ChatId` for chat_id failed".to_string()
                        });
                        self
                    }
                    pub fn count<V>(mut self, value: V) -> Self
                    where
                        V: std::convert::TryInto<u64>,
                    {
                        self.count = value.try_into().map_err(|_| {
                            "conversion to `u64` for count failed".to_string()
                        });
                        self
                    }
                }
            }"#,
        )
        .unwrap();
        assert_eq!(apply(&mut file), 1);
        let text = prettyplease::unparse(&file);
        assert!(
            text.contains(r#""{}: {}", "conversion to `ChatId` for chat_id failed", e"#),
            "{text}"
        );
        assert!(text.contains("V::Error: ::std::fmt::Display"), "{text}");
        assert!(
            text.contains(r#""conversion to `u64` for count failed""#),
            "{text}"
        );
        assert_eq!(text.matches("map_err(|_|").count(), 1, "{text}");
    }
}
