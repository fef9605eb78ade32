//! Leaner request building in progenitor's `send()` methods, which the
//! bench measured at 1.04x a bare `reqwest` request on their own. Each
//! rewrite keeps the request on the wire the same:
//!
//! - **URL**: `format!("{}/chats/{}", client.baseurl, encode_path(..))`
//!   becomes a `concat` of the same pieces, one exact allocation and no
//!   formatting machinery.
//! - **Headers**: progenitor builds a `HeaderMap` for the one `api-version`
//!   header and merges it in; it is set with `.header` instead, and
//!   `from_static` calls with a literal are evaluated at compile time.
//! - **Absent query parameters**: `.query(..)` of an unset optional
//!   parameter writes nothing, but still opens and closes the URL's query
//!   (a few hundred instructions each); it is skipped.
//! - **JSON answers**: `ResponseValue::from_response` copies the answer's
//!   headers; `whapi-client`'s `decoding::json` moves them.
//! - **No `pre`/`post` hooks**: `whapi-client` implements only `exec`, so
//!   progenitor's awaits of the default (empty) `pre` and `post` go; each
//!   kept the request or the result alive in every operation's future
//!   (1.2 KB instead of 0.8 KB for `get_chats`).
//! - **Requests made again**: building the request becomes a closure,
//!   `rebuild`, handed to the transport (`Client::exec_rebuildable`): a
//!   transport that retries builds its next attempt with it instead of
//!   copying every request in case it fails. Not where the body is moved in
//!   (raw uploads, whose body may be a stream).

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::Span;
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote, Expr, ExprMethodCall, ImplItem, Item, LitStr, Local, Pat, Stmt, Token};

/// How many of each rewrite were made.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) urls: usize,
    pub(crate) header_maps: usize,
    pub(crate) optional_queries: usize,
    pub(crate) static_headers: usize,
    pub(crate) json_answers: usize,
    pub(crate) rebuildable: usize,
    pub(crate) hooks_removed: usize,
}

impl Counts {
    /// The first rewrite that was made nowhere: on the spec's 167
    /// operations each is made many times, so none made means progenitor's
    /// `send()` changed shape under the rewrite.
    pub(crate) fn none_made(&self) -> Option<&'static str> {
        [
            ("URL", self.urls),
            ("header map", self.header_maps),
            ("optional query", self.optional_queries),
            ("static header", self.static_headers),
            ("JSON answer", self.json_answers),
            ("rebuildable request", self.rebuildable),
            ("hook removal", self.hooks_removed),
        ]
        .into_iter()
        .find_map(|(name, count)| (count == 0).then_some(name))
    }
}

/// Rewrites every `send()` of the `builder` module of `file`.
pub(crate) fn apply(file: &mut syn::File) -> Counts {
    let mut counts = Counts::default();
    let Some(items) = crate::generate::module_items_mut(file, "builder") else {
        return counts;
    };
    let optional = optional_fields(items);
    for item in items.iter_mut() {
        let Item::Impl(block) = item else { continue };
        let Some(name) = self_type_name(&block.self_ty) else {
            continue;
        };
        let empty = BTreeSet::new();
        let fields = optional.get(&name).unwrap_or(&empty);
        for member in &mut block.items {
            if let ImplItem::Fn(method) = member {
                if method.sig.ident == "send" {
                    rewrite_send(&mut method.block.stmts, fields, &mut counts);
                }
            }
        }
    }
    counts
}

/// The fields of each builder that hold an optional value
/// (`Result<Option<T>, String>`), by builder name.
fn optional_fields(items: &[Item]) -> BTreeMap<String, BTreeSet<String>> {
    let mut optional = BTreeMap::new();
    for item in items {
        let Item::Struct(builder) = item else {
            continue;
        };
        let fields = builder
            .fields
            .iter()
            .filter(|field| is_result_of_option(&field.ty))
            .filter_map(|field| field.ident.as_ref().map(ToString::to_string))
            .collect();
        optional.insert(builder.ident.to_string(), fields);
    }
    optional
}

fn is_result_of_option(ty: &syn::Type) -> bool {
    let first_argument_is_option = |segment: &syn::PathSegment| match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => matches!(
            args.args.first(),
            Some(syn::GenericArgument::Type(syn::Type::Path(inner)))
                if inner.path.segments.last().is_some_and(|s| s.ident == "Option")
        ),
        _ => false,
    };
    matches!(ty, syn::Type::Path(path)
        if path.path.segments.last().is_some_and(|s| s.ident == "Result" && first_argument_is_option(s)))
}

fn self_type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Whether `stmt` is a `let` binding `name`.
fn binds(stmt: &Stmt, name: &str) -> bool {
    matches!(stmt, Stmt::Local(local) if bound_name(local).as_deref() == Some(name))
}

/// The name a `let` binds, when it binds one name.
fn bound_name(local: &Local) -> Option<String> {
    match &local.pat {
        Pat::Ident(ident) => Some(ident.ident.to_string()),
        Pat::Type(typed) => match &*typed.pat {
            Pat::Ident(ident) => Some(ident.ident.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn rewrite_send(stmts: &mut Vec<Stmt>, optional: &BTreeSet<String>, counts: &mut Counts) {
    let mut rewritten = Vec::with_capacity(stmts.len());
    let headers = header_map_appends(stmts);
    if headers.is_some() {
        counts.header_maps += 1;
    }
    for mut stmt in std::mem::take(stmts) {
        if let Stmt::Local(local) = &mut stmt {
            match bound_name(local).as_deref() {
                Some("url") => {
                    if let Some(init) = &mut local.init {
                        if let Some(concat) = concat_of_format(&init.expr) {
                            *init.expr = concat;
                            counts.urls += 1;
                        }
                    }
                }
                Some("header_map") if headers.is_some() => continue,
                Some("request") => {
                    if let Some(split) = split_request_chain(local, headers.as_deref(), optional) {
                        counts.optional_queries += split.skipped;
                        rewritten.extend(split.stmts);
                        continue;
                    }
                }
                _ => {}
            }
        }
        if headers.is_some() && is_header_map_append(&stmt) {
            continue;
        }
        if is_empty_hook(&stmt) {
            counts.hooks_removed += 1;
            continue;
        }
        rewritten.push(stmt);
    }
    let mut calls = Calls::default();
    for stmt in &mut rewritten {
        calls.visit_stmt_mut(stmt);
    }
    counts.static_headers += calls.static_headers;
    counts.json_answers += calls.json_answers;
    if make_rebuildable(&mut rewritten) {
        counts.rebuildable += 1;
    }
    *stmts = rewritten;
}

/// Turns the statements from `let url = …` to `let mut request = ….build()?;`
/// into a closure `rebuild`, and hands it to the transport with the request.
/// Left as they are where the body is moved into the request or a step
/// may fail with an error of progenitor's.
fn make_rebuildable(stmts: &mut Vec<Stmt>) -> bool {
    let Some(start) = stmts.iter().position(|s| binds(s, "url")) else {
        return false;
    };
    let Some((end, built)) = stmts
        .iter()
        .enumerate()
        .filter(|(_, s)| binds(s, "request"))
        .find_map(|(i, s)| built_request(s).map(|built| (i, built)))
    else {
        return false;
    };
    if end < start {
        return false;
    }
    // Read through copies: syn's read-only visitor is another feature.
    let mut inside = Inside::default();
    for stmt in &stmts[start..end] {
        inside.visit_stmt_mut(&mut stmt.clone());
    }
    inside.visit_expr_mut(&mut built.clone());
    if inside.moves_a_body || inside.tries {
        return false;
    }
    let Stmt::Local(last) = &stmts[end] else {
        return false;
    };
    let attrs = last.attrs.clone();
    let building = stmts[start..end].to_vec();
    let closure: Stmt = parse_quote! {
        let rebuild = || {
            #(#building)*
            #built
        };
    };
    let request: Stmt = parse_quote!(#(#attrs)* let mut request = rebuild()?;);
    stmts.splice(start..=end, [closure, request]);
    let mut exec = ExecRebuildable::default();
    for stmt in stmts.iter_mut() {
        exec.visit_stmt_mut(stmt);
    }
    exec.rewritten == 1
}

/// The `….build()` of `let mut request = ….build()?;`.
fn built_request(stmt: &Stmt) -> Option<Expr> {
    let Stmt::Local(local) = stmt else {
        return None;
    };
    let Expr::Try(tried) = &*local.init.as_ref()?.expr else {
        return None;
    };
    matches!(&*tried.expr, Expr::MethodCall(call) if call.method == "build")
        .then(|| (*tried.expr).clone())
}

/// What a request's building holds that a closure cannot repeat.
#[derive(Default)]
struct Inside {
    moves_a_body: bool,
    tries: bool,
}

impl VisitMut for Inside {
    fn visit_expr_method_call_mut(&mut self, call: &mut ExprMethodCall) {
        self.moves_a_body |= call.method == "body";
        visit_mut::visit_expr_method_call_mut(self, call);
    }

    fn visit_expr_try_mut(&mut self, tried: &mut syn::ExprTry) {
        self.tries = true;
        visit_mut::visit_expr_try_mut(self, tried);
    }
}

/// `client.exec(request, &info)` as
/// `client.exec_rebuildable(request, &rebuild, &info)`.
#[derive(Default)]
struct ExecRebuildable {
    rewritten: usize,
}

impl VisitMut for ExecRebuildable {
    fn visit_expr_method_call_mut(&mut self, call: &mut ExprMethodCall) {
        if call.method == "exec" && is_path(&call.receiver, "client") && call.args.len() == 2 {
            let request = &call.args[0];
            let info = &call.args[1];
            *call = parse_quote!(client.exec_rebuildable(#request, &rebuild, #info));
            self.rewritten += 1;
            return;
        }
        visit_mut::visit_expr_method_call_mut(self, call);
    }
}

/// `format!("{}/a/{}", x, y)` as `[x.as_str(), "/a/", y.as_str()].concat()`;
/// `None` for anything but plain `{}` placeholders.
fn concat_of_format(expr: &Expr) -> Option<Expr> {
    let Expr::Macro(mac) = expr else { return None };
    if !mac.mac.path.is_ident("format") {
        return None;
    }
    let args = mac
        .mac
        .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        .ok()?;
    let mut args = args.into_iter();
    let Some(Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(template),
        ..
    })) = args.next()
    else {
        return None;
    };
    let template = template.value();
    let literal_parts: Vec<&str> = template.split("{}").collect();
    if literal_parts.iter().any(|p| p.contains(['{', '}'])) {
        return None;
    }
    let values: Vec<Expr> = args.collect();
    if values.len() + 1 != literal_parts.len() {
        return None;
    }
    let mut pieces: Vec<Expr> = Vec::new();
    for (i, literal) in literal_parts.iter().enumerate() {
        if !literal.is_empty() {
            let literal = LitStr::new(literal, Span::call_site());
            pieces.push(parse_quote!(#literal));
        }
        if let Some(value) = values.get(i) {
            pieces.push(parse_quote!((#value).as_str()));
        }
    }
    Some(parse_quote!([#(#pieces),*].concat()))
}

/// The `(name, value)` of each `header_map.append(name, value);`, when the
/// header map gets nothing but these: then each can be a `.header` of the
/// request instead.
fn header_map_appends(stmts: &[Stmt]) -> Option<Vec<(Expr, Expr)>> {
    let mut appends = Vec::new();
    let mut declared = false;
    for stmt in stmts {
        match stmt {
            stmt if binds(stmt, "header_map") => declared = true,
            stmt if is_header_map_append(stmt) => {
                let Stmt::Expr(Expr::MethodCall(call), _) = stmt else {
                    return None;
                };
                let mut args = call.args.iter().cloned();
                appends.push((args.next()?, args.next()?));
            }
            // Any other mention (a conditional append of a header
            // parameter) keeps progenitor's header map.
            other if mentions(other, "header_map") && !binds(other, "request") => return None,
            _ => {}
        }
    }
    (declared && !appends.is_empty()).then_some(appends)
}

fn is_header_map_append(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Expr(Expr::MethodCall(call), Some(_))
        if call.method == "append" && is_path(&call.receiver, "header_map"))
}

/// `client.pre(&mut request, &info).await?;` or
/// `client.post(&result, &info).await?;`.
fn is_empty_hook(stmt: &Stmt) -> bool {
    let Stmt::Expr(Expr::Try(tried), Some(_)) = stmt else {
        return false;
    };
    let Expr::Await(awaited) = &*tried.expr else {
        return false;
    };
    matches!(&*awaited.base, Expr::MethodCall(call)
        if (call.method == "pre" || call.method == "post") && is_path(&call.receiver, "client"))
}

fn is_path(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Path(path) if path.path.is_ident(name))
}

fn mentions(stmt: &Stmt, name: &str) -> bool {
    stmt.to_token_stream().to_string().contains(name)
}

/// The `let request = ….build()?;` chain, split where an optional query
/// parameter is added so that an absent one is skipped.
struct Split {
    stmts: Vec<Stmt>,
    skipped: usize,
}

fn split_request_chain(
    local: &Local,
    headers: Option<&[(Expr, Expr)]>,
    optional: &BTreeSet<String>,
) -> Option<Split> {
    let init = local.init.as_ref()?;
    let Expr::Try(built) = &*init.expr else {
        return None;
    };
    // The chain, innermost call first.
    let mut calls: Vec<ExprMethodCall> = Vec::new();
    let mut cursor = &*built.expr;
    while let Expr::MethodCall(call) = cursor {
        calls.push(call.clone());
        cursor = &call.receiver;
    }
    calls.reverse();
    if calls.len() < 2 || calls.last().is_some_and(|c| c.method != "build") {
        return None;
    }
    // The request's start (`client.client.get(url)`), as it was.
    let base = Expr::MethodCall(calls.remove(0));
    let mut stmts: Vec<Stmt> = Vec::new();
    let mut pending: Vec<Expr> = Vec::new();
    let mut skipped = 0;
    // The receiver of the next statement's chain: the request's start,
    // then the `request` each statement binds.
    let mut seed = Some(base);
    let mut flush = |pending: &mut Vec<Expr>, stmts: &mut Vec<Stmt>| {
        if pending.is_empty() && seed.is_none() {
            return;
        }
        let mut chain = seed.take().unwrap_or_else(|| parse_quote!(request));
        for call in pending.drain(..) {
            chain = with_receiver(call, chain);
        }
        stmts.push(parse_quote!(let request = #chain;));
    };
    for call in &calls[..calls.len() - 1] {
        if let Some(param) = optional_query(call, optional) {
            flush(&mut pending, &mut stmts);
            let method = &call.method;
            let args = replace_reference(call.args.clone(), &param);
            stmts.push(parse_quote! {
                let request = match &#param {
                    Some(value) => request.#method(#args),
                    None => request,
                };
            });
            skipped += 1;
        } else if let (true, Some(headers)) = (call.method == "headers", headers) {
            for (name, value) in headers {
                pending.push(parse_quote!(request.header(#name, #value)));
            }
        } else {
            pending.push(Expr::MethodCall(call.clone()));
        }
    }
    flush(&mut pending, &mut stmts);
    if skipped == 0 && headers.is_none() {
        return None;
    }
    let attrs = &local.attrs;
    let pat = &local.pat;
    stmts.push(parse_quote!(#(#attrs)* let #pat = request.build()?;));
    Some(Split { stmts, skipped })
}

/// `call` with `receiver` in place of its own.
fn with_receiver(call: Expr, receiver: Expr) -> Expr {
    match call {
        Expr::MethodCall(mut call) => {
            call.receiver = Box::new(receiver);
            Expr::MethodCall(call)
        }
        other => other,
    }
}

/// The parameter of `.query(&QueryParam::new("name", &param))` when
/// `param` is an optional field.
fn optional_query(call: &ExprMethodCall, optional: &BTreeSet<String>) -> Option<syn::Ident> {
    if call.method != "query" || call.args.len() != 1 {
        return None;
    }
    let Expr::Reference(reference) = call.args.first()? else {
        return None;
    };
    let Expr::Call(new) = &*reference.expr else {
        return None;
    };
    let names_query_param =
        callee(new).is_some_and(|(owner, f)| owner == "QueryParam" && f == "new");
    if !names_query_param || new.args.len() != 2 {
        return None;
    }
    let Some(Expr::Reference(value)) = new.args.iter().nth(1) else {
        return None;
    };
    let Expr::Path(value) = &*value.expr else {
        return None;
    };
    let ident = value.path.get_ident()?;
    optional.contains(&ident.to_string()).then(|| ident.clone())
}

/// The query's arguments with `&param` replaced by `value` (the present
/// value, already a reference).
fn replace_reference(
    args: Punctuated<Expr, Token![,]>,
    param: &syn::Ident,
) -> Punctuated<Expr, Token![,]> {
    struct Replace<'a>(&'a syn::Ident);
    impl VisitMut for Replace<'_> {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            if let Expr::Reference(reference) = expr {
                if is_path(&reference.expr, &self.0.to_string()) {
                    *expr = parse_quote!(value);
                    return;
                }
            }
            visit_mut::visit_expr_mut(self, expr);
        }
    }
    let mut args = args;
    for arg in args.iter_mut() {
        Replace(param).visit_expr_mut(arg);
    }
    args
}

/// Rewrites calls: `HeaderName::from_static("…")` and
/// `HeaderValue::from_static("…")` of a literal go in `const { }` (checked
/// once, at compile time); `ResponseValue::from_response(r)` becomes
/// `crate::decoding::json(r)`.
#[derive(Default)]
struct Calls {
    static_headers: usize,
    json_answers: usize,
}

/// The last two segments of a called path: `HeaderName::from_static`.
fn callee(call: &syn::ExprCall) -> Option<(String, String)> {
    let Expr::Path(path) = &*call.func else {
        return None;
    };
    let mut segments = path.path.segments.iter().rev();
    let function = segments.next()?.ident.to_string();
    let owner = segments.next()?.ident.to_string();
    Some((owner, function))
}

impl VisitMut for Calls {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Call(call) = expr {
            let callee = callee(call);
            let callee = callee.as_ref().map(|(o, f)| (o.as_str(), f.as_str()));
            let one_literal = call.args.len() == 1 && matches!(call.args[0], Expr::Lit(_));
            match callee {
                Some(("HeaderName" | "HeaderValue", "from_static")) if one_literal => {
                    let inner = call.clone();
                    *expr = parse_quote!(const { #inner });
                    self.static_headers += 1;
                    return;
                }
                Some(("ResponseValue", "from_response")) if call.args.len() == 1 => {
                    let response = &call.args[0];
                    *expr = parse_quote!(crate::decoding::json(#response));
                    self.json_answers += 1;
                    return;
                }
                _ => {}
            }
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(source: syn::File) -> (String, Counts) {
        let mut file = source;
        let counts = apply(&mut file);
        (prettyplease::unparse(&file), counts)
    }

    fn builder(body: syn::Block) -> syn::File {
        parse_quote! {
            pub mod builder {
                pub struct GetChats<'a> {
                    client: &'a super::Client,
                    count: Result<Option<u64>, String>,
                    chat_id: Result<String, String>,
                }
                impl<'a> GetChats<'a> {
                    pub async fn send(self) -> Result<(), Error<()>> #body
                }
            }
        }
    }

    #[test]
    fn a_get_with_a_path_parameter_and_an_optional_query() {
        let (text, counts) = rewritten(builder(parse_quote!({
            let Self {
                client,
                count,
                chat_id,
            } = self;
            let url = format!(
                "{}/chats/{}/messages",
                client.baseurl,
                encode_path(&chat_id.to_string()),
            );
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
            header_map.append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
            );
            #[allow(unused_mut)]
            let mut request = client
                .client
                .get(url)
                .header(
                    ::reqwest::header::ACCEPT,
                    ::reqwest::header::HeaderValue::from_static("application/json"),
                )
                .query(&progenitor_client::QueryParam::new("count", &count))
                .query(&progenitor_client::QueryParam::new("chat", &chat_id))
                .headers(header_map)
                .build()?;
            client.pre(&mut request, &info).await?;
            let result = client.exec(request, &info).await;
            client.post(&result, &info).await?;
            let response = result?;
            ResponseValue::from_response(response).await
        })));
        assert_eq!(
            counts,
            Counts {
                urls: 1,
                header_maps: 1,
                optional_queries: 1,
                static_headers: 2,
                json_answers: 1,
                rebuildable: 1,
                hooks_removed: 2,
            }
        );
        let expected = prettyplease::unparse(&builder(parse_quote!({
            let Self {
                client,
                count,
                chat_id,
            } = self;
            let rebuild = || {
                let url = [
                    (client.baseurl).as_str(),
                    "/chats/",
                    (encode_path(&chat_id.to_string())).as_str(),
                    "/messages",
                ]
                .concat();
                let request = client.client.get(url).header(
                    ::reqwest::header::ACCEPT,
                    const { ::reqwest::header::HeaderValue::from_static("application/json") },
                );
                let request = match &count {
                    Some(value) => {
                        request.query(&progenitor_client::QueryParam::new("count", value))
                    }
                    None => request,
                };
                let request = request
                    .query(&progenitor_client::QueryParam::new("chat", &chat_id))
                    .header(
                        const { ::reqwest::header::HeaderName::from_static("api-version") },
                        ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
                    );
                request.build()
            };
            #[allow(unused_mut)]
            let mut request = rebuild()?;
            let result = client.exec_rebuildable(request, &rebuild, &info).await;
            let response = result?;
            crate::decoding::json(response).await
        })));
        assert_eq!(text, expected);
    }

    #[test]
    fn a_header_map_with_a_conditional_header_is_kept() {
        let (text, counts) = rewritten(builder(parse_quote!({
            let Self {
                client,
                count,
                chat_id,
            } = self;
            let url = format!("{}/x", client.baseurl,);
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
            header_map.append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
            );
            if let Some(v) = trace {
                header_map.append("x-trace", v.to_string().try_into()?);
            }
            #[allow(unused_mut)]
            let mut request = client.client.get(url).headers(header_map).build()?;
            client.exec(request, &info).await
        })));
        assert_eq!(counts.header_maps, 0);
        assert!(text.contains("let mut header_map"), "{text}");
        assert!(text.contains(".headers(header_map)"), "{text}");
    }

    /// On the real spec: every operation's URL, header map and JSON answer
    /// is rewritten, and every optional query parameter is skippable.
    #[test]
    fn every_operation_of_the_spec_is_rewritten() {
        let yaml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../spec/whapi-1.8.7.yaml"
        ))
        .expect("the vendored spec");
        let spec = crate::normalize(crate::load_spec(&yaml).unwrap())
            .unwrap()
            .codegen;
        let mut file = crate::generate::run_progenitor(&spec, &crate::Options::default()).unwrap();
        let before = file.to_token_stream().to_string();
        let counts = apply(&mut file);
        let after = file.to_token_stream().to_string();
        let operations = before.matches("OperationInfo {").count();
        assert!(operations >= 167, "{operations} operations");
        assert_eq!(counts.urls, operations);
        assert_eq!(counts.header_maps, operations);
        assert_eq!(
            counts.json_answers,
            before.matches("ResponseValue :: from_response").count()
        );
        assert_eq!(counts.optional_queries, optional_query_parameters(&spec));
        // Every operation but the raw uploads, whose body is moved in.
        let raw_uploads = before.matches(". body (body)").count();
        assert!(raw_uploads >= 3, "{raw_uploads} raw uploads");
        assert_eq!(counts.rebuildable, operations - raw_uploads);
        assert_eq!(counts.hooks_removed, 2 * operations);
        for gone in [
            "header_map",
            "ResponseValue :: from_response",
            "format ! (\"{}/",
        ] {
            assert!(!after.contains(gone), "`{gone}` is left");
        }
    }

    /// The query parameters the spec does not require, over all operations.
    fn optional_query_parameters(spec: &serde_json::Value) -> usize {
        let resolve = |p: &serde_json::Value| match p["$ref"].as_str() {
            Some(pointer) => spec
                .pointer(pointer.trim_start_matches('#'))
                .cloned()
                .unwrap_or_default(),
            None => p.clone(),
        };
        let operations = spec["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| {
                item.as_object()
                    .unwrap()
                    .values()
                    .filter_map(|op| op["parameters"].as_array())
            });
        operations
            .flatten()
            .map(resolve)
            .filter(|p| p["in"] == "query" && p["required"] != true)
            .count()
    }

    #[test]
    fn a_request_with_its_body_moved_in_is_not_rebuilt() {
        let (text, counts) = rewritten(builder(parse_quote!({
            let Self { client, body } = self;
            let url = format!("{}/media", client.baseurl,);
            #[allow(unused_mut)]
            let mut request = client.client.post(url).body(body).build()?;
            let result = client.exec(request, &info).await;
        })));
        assert_eq!(counts.rebuildable, 0);
        assert!(text.contains("client.exec(request, &info)"), "{text}");
        assert!(!text.contains("rebuild"), "{text}");
    }

    #[test]
    fn a_format_with_other_placeholders_is_kept() {
        let expr: Expr = parse_quote!(format!("{}/x/{:?}", client.baseurl, id));
        assert!(concat_of_format(&expr).is_none());
        let expr: Expr = parse_quote!(format!("{}/{{x}}", client.baseurl));
        assert!(concat_of_format(&expr).is_none());
    }
}
