//! Emits the calls as tokens: per operation a builder type, its `Whapi`
//! method, its setters and its sends.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::kinds::{IdKind, Kind, Limit, TimeUnit};
use super::plan::{Answer, Input, Place, Plan};
use crate::raw_client::{generic_arg, qualified};

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

fn limit_tokens(limits: &[Limit]) -> TokenStream {
    let items = limits.iter().map(|limit| match limit {
        Limit::MinLength(n) => quote!(Limit::MinLength(#n)),
        Limit::MaxLength(n) => quote!(Limit::MaxLength(#n)),
        Limit::Minimum(n) => quote!(Limit::Minimum(#n)),
        Limit::Maximum(n) => quote!(Limit::Maximum(#n)),
        Limit::MinItems(n) => quote!(Limit::MinItems(#n)),
        Limit::MaxItems(n) => quote!(Limit::MaxItems(#n)),
        Limit::Pattern(p) => quote!(Limit::Pattern(#p)),
    });
    quote!(&[#(#items),*])
}

fn unit_tokens(unit: TimeUnit) -> TokenStream {
    match unit {
        TimeUnit::Seconds => quote!(TimeUnit::Seconds),
        TimeUnit::Millis => quote!(TimeUnit::Millis),
    }
}

/// The type an argument or setter takes.
fn argument_type(input: &Input) -> TokenStream {
    let raw = qualified(&input.raw.ty);
    if input.nullable_text() {
        return quote!(Option<&str>);
    }
    match &input.class.kind {
        Kind::Id(id) => {
            let id = ident(id.type_name());
            quote!(impl IntoId<ids::#id>)
        }
        Kind::Ids(id) | Kind::JoinedIds(id) => {
            let id = ident(id.type_name());
            quote!(impl IntoIterator<Item = impl IntoId<ids::#id>>)
        }
        Kind::Token | Kind::Text | Kind::TextNewtype => quote!(impl Into<String>),
        Kind::Tokens | Kind::Texts => quote!(impl IntoIterator<Item = impl Into<String>>),
        Kind::Integer => quote!(impl TryInto<#raw> + ::std::fmt::Display + Copy),
        Kind::Json => raw,
        Kind::Instant(_) => quote!(::std::time::SystemTime),
        Kind::Duration(_) => quote!(::std::time::Duration),
        Kind::Count => quote!(u64),
        Kind::Number => quote!(impl IntoNumber),
        Kind::Bool => quote!(bool),
        Kind::Media => quote!(MediaSource),
        Kind::Typed => quote!(impl Into<#raw>),
    }
}

/// Whether `ty` is one of the client's checked ids (`crate::ids::ChatId`).
fn is_client_id(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else {
        return false;
    };
    let names: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    names.len() == 3 && names[0] == "crate" && names[1] == "ids"
}

/// Statements that check `value` and set it on the builder `recv`: on its
/// client builder (and, for a raw upload, on the JSON twin's too) or on its
/// body.
fn apply(plan: &Plan, input: &Input, value: &TokenStream, recv: &TokenStream) -> TokenStream {
    let name = input.rust();
    let setter = ident(name);
    let raw = qualified(&input.raw.ty);
    let limits = limit_tokens(&input.class.limits);
    let item = generic_arg(&input.raw.ty, "Vec", 0).map(qualified);
    let uploads = plan.uploads;
    // Where the value comes from: always, or only when it checks out.
    let (source, fallible) = match &input.class.kind {
        Kind::Id(id) => {
            let id = ident(id.type_name());
            (quote!(#recv.call.id::<ids::#id>(#name, #value)), true)
        }
        Kind::Ids(id) | Kind::JoinedIds(id) => {
            let id = ident(id.type_name());
            (
                quote!(#recv.call.ids::<ids::#id>(#name, #value, #limits)),
                false,
            )
        }
        Kind::Token => (quote!(#recv.call.token(#name, #value)), false),
        Kind::Tokens | Kind::Texts => (quote!(#recv.call.texts(#name, #value, #limits)), false),
        Kind::Text if input.nullable_text() => (
            quote!(#value.map(|text| #recv.call.text(#name, text, #limits))),
            false,
        ),
        Kind::Text => (quote!(#recv.call.text(#name, #value, #limits)), false),
        Kind::TextNewtype => (
            quote!(#recv.call.text_as::<#raw>(#name, #value, #limits)),
            true,
        ),
        Kind::Integer => (
            quote!(#recv.call.integer::<#raw>(#name, #value, #limits)),
            true,
        ),
        Kind::Instant(unit) => {
            let unit = unit_tokens(*unit);
            (
                quote!(#recv.call.unix_time::<#raw>(#name, #value, #unit)),
                true,
            )
        }
        Kind::Duration(unit) => {
            let unit = unit_tokens(*unit);
            (
                quote!(#recv.call.duration::<#raw>(#name, #value, #unit, #limits)),
                true,
            )
        }
        Kind::Count => (quote!(#recv.call.count(#name, #value, #limits)), true),
        Kind::Number => (quote!(#recv.call.number(#name, #value, #limits)), true),
        Kind::Bool | Kind::Json => (value.clone(), false),
        Kind::Media => (quote!(#recv.call.media(#name, #value, #uploads)), true),
        Kind::Typed => (quote!(::std::convert::Into::<#raw>::into(#value)), false),
    };
    // What the client's setter takes: text checked above is wrapped in the
    // client's id type as it is, any other in its newtype.
    let wrap_id = |ty: &syn::Type| {
        if is_client_id(ty) {
            quote!(from_server)
        } else {
            quote!(from)
        }
    };
    let wrap_one = wrap_id(&input.raw.ty);
    let wrap_item = generic_arg(&input.raw.ty, "Vec", 0).map_or(quote!(from), wrap_id);
    // The checked value in the raw builder's type, where that differs.
    let finish = match &input.class.kind {
        Kind::Id(IdKind::ContactOrChat) => {
            quote!(let v = <#raw>::#wrap_one(ids::contact_or_chat(v));)
        }
        Kind::Id(_) | Kind::Token => quote!(let v = <#raw>::#wrap_one(v);),
        Kind::Ids(_) | Kind::Tokens => {
            quote!(let v = v.into_iter().map(<#item>::#wrap_item).collect::<Vec<_>>();)
        }
        Kind::JoinedIds(_) => quote!(let v = v.join(",");),
        _ => quote!(),
    };
    let wrap_some = input.place == Place::Body
        && input.raw.optional
        && !input.defaulted_vec
        && !input.nullable_text();
    let wrap = |v: TokenStream| if wrap_some { quote!(Some(#v)) } else { v };
    let targets: Vec<TokenStream> = match input.place {
        Place::Body => vec![quote!(body)],
        Place::Path | Place::Query if plan.raw_upload.is_some() => vec![quote!(op), quote!(twin)],
        Place::Path | Place::Query => vec![quote!(op)],
    };
    let last = targets.len() - 1;
    let sets = targets.iter().enumerate().map(|(i, target)| {
        let v = if i < last {
            wrap(quote!(v.clone()))
        } else {
            wrap(quote!(v))
        };
        quote!(#recv.#target = #recv.#target.#setter(#v);)
    });
    let body = quote! {
        #finish
        #(#sets)*
    };
    if fallible {
        quote! {
            if let Some(v) = #source {
                #body
            }
        }
    } else {
        quote! {
            {
                let v = #source;
                #body
            }
        }
    }
}

fn doc(text: &str) -> TokenStream {
    let text = format!(" {}", text.replace('\n', " "));
    quote!(#[doc = #text])
}

/// The type a call answers, as its `send()` returns it.
fn answer_type(plan: &Plan) -> TokenStream {
    match &plan.answer {
        Answer::Json(ty) => qualified(ty),
        Answer::OptionalJson(ty) => {
            let ty = qualified(ty);
            quote!(Option<#ty>)
        }
        Answer::Bytes => quote!(Download),
        Answer::Exists => quote!(bool),
    }
}

/// One operation's tokens: its builder with its impls, and its `Whapi`
/// method, which goes in its tag's `impl` block.
pub(crate) struct Emitted {
    pub(crate) items: TokenStream,
    pub(crate) method: TokenStream,
}

/// What a deprecated operation's method says: the operation that replaced
/// it where the spec has one of the same name without `Deprecated`.
fn deprecation_note(plan: &Plan) -> String {
    match plan.method.strip_suffix("_deprecated") {
        Some(current) => format!("deprecated in the spec; use `Whapi::{current}`"),
        None => "deprecated in the spec".to_string(),
    }
}

/// The builder, its `Whapi` method and its impls.
pub(crate) fn emit(plan: &Plan) -> Emitted {
    let builder = ident(&plan.builder);
    let method = ident(&plan.method);
    let raw_method = ident(&plan.method);
    let answer = answer_type(plan);
    let summary = plan.summary.trim_end_matches('.');
    let endpoint = format!("`{} {}`", plan.http, plan.path);
    let struct_doc = doc(&format!(
        "{summary} ({endpoint}): made by [`Whapi::{}`], sent by `.await`.",
        plan.method
    ));
    let mut method_doc = vec![doc(&format!(
        "{summary} (`{}`: {endpoint}).",
        plan.operation_id
    ))];
    let mut previous_item = false;
    for paragraph in &plan.description {
        let item = paragraph.starts_with("- ");
        if !(item && previous_item) {
            method_doc.push(doc(""));
        }
        method_doc.push(doc(paragraph));
        previous_item = item;
    }
    let arguments: Vec<&Input> = plan.arguments().collect();
    if !arguments.is_empty() {
        method_doc.push(doc(""));
        for input in &arguments {
            let mut text = if input.doc.is_empty() {
                format!("- `{}`", input.rust())
            } else {
                format!("- `{}`: {}", input.rust(), input.doc)
            };
            if input.nullable_text() {
                text.push_str(" (`None` sends `null`.)");
            }
            method_doc.push(doc(&text));
        }
    }
    method_doc.push(doc(""));
    method_doc.push(doc(&format!(
        "Checked before anything is sent; the optional fields are setters of [`{}`].",
        plan.builder
    )));
    let mut params: Vec<TokenStream> = arguments
        .iter()
        .map(|input| {
            let name = ident(input.rust());
            let ty = argument_type(input);
            quote!(#name: #ty)
        })
        .collect();
    if plan.raw_upload.is_some() {
        params.push(quote!(media: MediaSource));
    }
    let this = quote!(this);
    let applied = arguments.iter().map(|input| {
        let name = ident(input.rust());
        apply(plan, input, &quote!(#name), &this)
    });
    let body_type = plan.body.as_deref().map(ident);
    let (twin_field, twin_init) = match &plan.raw_upload {
        Some(upload) => {
            let twin = ident(&upload.twin_builder);
            let twin_method = ident(&upload.twin_method);
            (
                quote!(twin: builder::#twin<'a>, media: MediaSource,),
                quote!(twin: self.raw().#twin_method(), media,),
            )
        }
        None => (quote!(), quote!()),
    };
    let (body_field, body_init, body_bind, body_call) = match &body_type {
        Some(ty) => (
            quote!(body: types::builder::#ty,),
            quote!(body: types::#ty::builder(),),
            quote!(body,),
            quote!(.body(body)),
        ),
        None => (quote!(), quote!(), quote!(), quote!()),
    };
    let recv = quote!(self);
    let setters = plan.setters().map(|input| {
        let name = ident(input.rust());
        let ty = argument_type(input);
        let mut set = apply(plan, input, &quote!(value), &recv);
        if plan.raw_upload.is_some() && input.place == Place::Body {
            let json = &input.json;
            set = quote!(#set self.call.json_only(#json););
        }
        let text = if input.doc.is_empty() {
            format!("Sets `{}`.", input.json)
        } else {
            input.doc.clone()
        };
        let doc = doc(&text);
        quote! {
            #doc
            #[inline]
            pub fn #name(mut self, value: #ty) -> Self {
                #set
                self
            }
        }
    });
    let runner = match plan.answer {
        Answer::Json(_) => quote!(run),
        Answer::OptionalJson(_) => quote!(run_optional),
        Answer::Bytes => quote!(download),
        Answer::Exists => quote!(run_exists),
    };
    let media = plan.inputs.iter().find(|i| i.class.kind == Kind::Media);
    let upload = match (&body_type, media, plan.uploads) {
        (Some(_), Some(media), true) => {
            let setter = ident(media.rust());
            // The media goes as a part of its own; the JSON body needs a
            // value to convert, which the form leaves out.
            let placeholder = if media.raw.optional {
                quote!(Some(String::new()))
            } else {
                quote!(String::new())
            };
            quote! {
                if call.uploads() {
                    let body = body.#setter(#placeholder);
                    return call.upload(move |media, hooks| op.body(body).hooks(hooks).send_multipart(media), meta).await;
                }
            }
        }
        _ => quote!(),
    };
    let run_body = match &plan.raw_upload {
        Some(upload) => {
            let accept = &upload.accept;
            let reference = if upload.media_optional {
                quote!(Some(reference))
            } else {
                quote!(reference)
            };
            quote! {
                let Self { call, op, twin, body, media } = self;
                async move {
                    match media.reference() {
                        Some(reference) => call.#runner(move |hooks| twin.body(body.media(#reference)).hooks(hooks).send(), meta).await,
                        None => call.raw_upload(media, &[#(#accept),*], move |bytes, hooks| op.body(bytes).hooks(hooks).send(), meta).await,
                    }
                }
            }
        }
        None if plan.uploads => quote! {
            let Self { call, op, #body_bind } = self;
            async move {
                #upload
                call.#runner(move |hooks| op #body_call .hooks(hooks).send(), meta).await
            }
        },
        // No layer of its own: the call's future is the client's, wrapped.
        None => quote! {
            let Self { call, op, #body_bind } = self;
            call.#runner(move |hooks| op #body_call .hooks(hooks).send(), meta)
        },
    };
    // A plain JSON call sends its value straight; the others take their
    // answer from `run`.
    let plain_json = matches!(
        (&plan.answer, plan.uploads, &plan.raw_upload),
        (Answer::Json(_), false, None)
    );
    let send_body = if plain_json {
        quote! {
            let Self { call, op, #body_bind } = self;
            call.send(move |hooks| op #body_call .hooks(hooks).send())
        }
    } else {
        quote!(self
            .run(false)
            .map(|answer| answer.map(|answer| answer.value)))
    };
    // A plain JSON call's future is made in its box rather than moved
    // there: it is the client's, a couple of kilobytes.
    let into_future_body = if plain_json {
        quote! {
            let Self { call, op, #body_bind } = self;
            call.boxed_send(move |hooks| op #body_call .hooks(hooks).send())
        }
    } else {
        quote!(Box::pin(self.send()))
    };
    let deprecated = plan.deprecated.then(|| {
        let note = deprecation_note(plan);
        quote!(#[deprecated(note = #note)])
    });
    let method_item = quote! {
        #(#method_doc)*
        #deprecated
        #[inline]
        pub fn #method(&self, #(#params),*) -> #builder<'_> {
            #[allow(unused_mut)]
            let mut this = #builder {
                call: Call::new(self),
                op: self.raw().#raw_method(),
                #body_init
                #twin_init
            };
            #(#applied)*
            this
        }
    };
    let items = quote! {
        #struct_doc
        #[must_use = "a request does nothing until it is awaited or sent"]
        pub struct #builder<'a> {
            call: Call<'a>,
            op: builder::#builder<'a>,
            #body_field
            #twin_field
        }


        impl<'a> #builder<'a> {
            #(#setters)*

            /// Overrides the client's timeout, retries or headers for this call.
            #[inline]
            pub fn with_options(mut self, options: CallOptions) -> Self {
                self.call.set_options(options);
                self
            }

            /// Checks the request, sends it and decodes the answer.
            #[inline]
            pub fn send(self) -> impl Future<Output = Result<#answer>> + Send + 'a {
                #send_body
            }

            /// [`Self::send`], with the answer's status, headers, attempts and latency.
            #[inline]
            pub fn send_with_meta(self) -> impl Future<Output = Result<Answer<#answer>>> + Send + 'a {
                self.run(true)
            }

            #[inline]
            fn run(self, meta: bool) -> impl Future<Output = Result<Answer<#answer>>> + Send + 'a {
                #run_body
            }
        }

        impl<'a> ::std::future::IntoFuture for #builder<'a> {
            type Output = Result<#answer>;
            type IntoFuture = BoxFuture<'a, Self::Output>;
            #[inline]
            fn into_future(self) -> Self::IntoFuture {
                #into_future_body
            }
        }
    };
    let list = paging(plan).map(|paging| list_items(plan, paging));
    let items = quote!(#items #list);
    Emitted {
        items,
        method: method_item,
    }
}

/// How a list operation pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paging {
    Offset,
    Cursor,
    Before,
}

/// How the operation pages, if it is a list: a JSON answer, no body, and
/// the optional query parameters `count` and one of `offset`, `cursor` or
/// `before`.
pub(crate) fn paging(plan: &Plan) -> Option<Paging> {
    if plan.body.is_some() || plan.raw_upload.is_some() || !matches!(plan.answer, Answer::Json(_)) {
        return None;
    }
    let query = |name: &str| {
        plan.inputs
            .iter()
            .any(|i| i.place == Place::Query && i.json == name && !i.required)
    };
    if !query("count") {
        return None;
    }
    [
        ("offset", Paging::Offset),
        ("cursor", Paging::Cursor),
        ("before", Paging::Before),
    ]
    .into_iter()
    .find_map(|(name, paging)| query(name).then_some(paging))
}

/// A page of a cursor or `before` walk: the first page sets no position,
/// the others the one `value` of the position gives, with `setter`.
fn from_the_second_page(value: TokenStream, setter: TokenStream) -> TokenStream {
    quote! {
        let this = self.count(count.get());
        Box::pin(match at.#value() {
            Some(position) => this.#setter(position),
            None => this,
        }.send())
    }
}

/// A list operation's `.list()`, its copy for every page and its paging.
fn list_items(plan: &Plan, paging: Paging) -> TokenStream {
    let builder = ident(&plan.builder);
    let Answer::Json(answer) = &plan.answer else {
        return quote!();
    };
    let answer = qualified(answer);
    let (first, page) = match paging {
        Paging::Offset => (
            quote!(Position::Offset(0)),
            quote!(Box::pin(
                self.count(count.get()).offset(at.offset_value()).send()
            )),
        ),
        Paging::Cursor => (
            quote!(Position::Cursor(None)),
            from_the_second_page(quote!(cursor_value), quote!(cursor)),
        ),
        Paging::Before => (
            quote!(Position::Before(None)),
            from_the_second_page(quote!(before_value), quote!(before)),
        ),
    };
    let list_doc = doc(&format!(
        "Every page of the list, one `{}` each, as a stream: the setters set so far filter every page; the walk sets the paging itself.",
        plan.operation_id
    ));
    quote! {
        impl<'a> #builder<'a> {
            #list_doc
            #[inline]
            pub fn list(self) -> List<'a, Self> {
                List::new(self)
            }
        }

        impl Clone for #builder<'_> {
            fn clone(&self) -> Self {
                Self {
                    call: self.call.for_another_page(),
                    op: self.op.clone(),
                }
            }
        }

        impl Sealed for #builder<'_> {}

        impl<'a> Paged<'a> for #builder<'a> {
            type Response = #answer;

            fn first() -> Position {
                #first
            }

            fn page(self, at: &Position, count: NonZeroU64) -> BoxFuture<'a, Result<#answer>> {
                #page
            }
        }
    }
}
