//! What a call's parameter or body field is set with, and the spec's limits
//! on it: decided from its schema in the normalized spec and the type the
//! generated client gives it.

use quote::ToTokens;
use serde_json::Value;
use syn::Type;

use crate::raw_client::{generic_arg, last_ident, RawValue};
use crate::walk::deref;

/// The id types of `whapi_ext::ids` a value is checked as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    Chat,
    Contact,
    Group,
    Message,
    Media,
    Newsletter,
    Label,
    Product,
    Order,
    Collection,
    Call,
    /// A chat, but a person's chat goes as the contact id (bare digits), as
    /// the live service wants it where the spec takes either
    /// (`PUT /presences/{EntryID}` refuses `…@s.whatsapp.net`).
    ContactOrChat,
}

/// The spec's id schemas, each the client's id type of its kind
/// (`ChatID` is `whapi_client::ids::ChatId`; progenitor maps them).
pub(crate) const ID_SCHEMAS: [(&str, IdKind); 11] = [
    ("ChatID", IdKind::Chat),
    ("ContactID", IdKind::Contact),
    ("GroupID", IdKind::Group),
    ("MessageID", IdKind::Message),
    ("MediaID", IdKind::Media),
    ("NewsletterID", IdKind::Newsletter),
    ("LabelID", IdKind::Label),
    ("ProductID", IdKind::Product),
    ("OrderID", IdKind::Order),
    ("CollectionID", IdKind::Collection),
    ("CallID", IdKind::Call),
];

/// Id schemas of the overlay that narrow or widen one field's pattern, and
/// the kind they are: the served spec checks the field's own pattern, the
/// client and the calls keep one id type. By reference only
/// ([`IdKind::of_referred_schema`]).
pub(crate) const ID_ALIASES: [(&str, IdKind); 2] =
    [("CallerID", IdKind::Contact), ("ApplicantID", IdKind::Chat)];

impl IdKind {
    /// The `whapi_ext::ids` type.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            IdKind::Chat => "ChatId",
            IdKind::Contact => "ContactId",
            IdKind::Group => "GroupId",
            IdKind::Message => "MessageId",
            IdKind::Media => "MediaId",
            IdKind::Newsletter => "NewsletterId",
            IdKind::Label => "LabelId",
            IdKind::Product => "ProductId",
            IdKind::Order => "OrderId",
            IdKind::Collection => "CollectionId",
            IdKind::Call => "CallId",
            IdKind::ContactOrChat => "ChatId",
        }
    }

    /// The id schema of the spec checked as this kind.
    fn of_schema(name: &str) -> Option<Self> {
        ID_SCHEMAS
            .iter()
            .find(|(schema, _)| *schema == name)
            .map(|&(_, kind)| kind)
    }

    /// Whether `name` is the Rust name of one of the client's id types
    /// (`ChatId`).
    pub(crate) fn is_type_name(name: &str) -> bool {
        ID_SCHEMAS.iter().any(|(_, kind)| kind.type_name() == name)
    }

    /// [`IdKind::of_schema`], and the overlay's schemas that give one field
    /// of an id kind a pattern of its own ([`ID_ALIASES`]): by
    /// reference only, so that an inline copy of their patterns stays text.
    fn of_referred_schema(name: &str) -> Option<Self> {
        let alias = ID_ALIASES.iter().find(|(alias, _)| *alias == name);
        alias
            .map(|&(_, kind)| kind)
            .or_else(|| Self::of_schema(name))
    }
}

/// What a value is set with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One id, checked.
    Id(IdKind),
    /// A list of ids, each checked.
    Ids(IdKind),
    /// A list of ids sent as one comma-joined string.
    JoinedIds(IdKind),
    /// A path segment of no id type (an invite code, a product id): not
    /// empty, no slash, no spaces.
    Token,
    /// A list of ids of no id type (product ids).
    Tokens,
    /// Text.
    Text,
    /// Text the client takes as a newtype of its own (a name, an emoji):
    /// set from text, checked, then converted (a conversion the type
    /// refuses is a problem of the call).
    TextNewtype,
    /// A list of texts.
    Texts,
    /// A whole number of the client's integer type.
    Integer,
    /// A count from 1 (`NonZeroU64` in the client), set as a `u64`.
    Count,
    /// A finite number.
    Number,
    /// A boolean.
    Bool,
    /// Media: a URL or a media id as JSON, or local data to upload.
    Media,
    /// A generated struct or enum, or a list of them.
    Typed,
    /// JSON the spec gives no schema for.
    Json,
    /// A point in time, set as a `SystemTime`, sent as UNIX time in the
    /// unit.
    Instant(TimeUnit),
    /// A length of time, set as a `Duration`, sent as a number of units.
    Duration(TimeUnit),
}

/// The unit a time goes on the wire in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    Seconds,
    Millis,
}

/// The time kind of a number (or, for a point in time, a text) that the
/// spec describes as one: a timestamp or a UNIX time is a point in time; a
/// field named `…_ms` or described in milliseconds, or named `seconds` or
/// described in seconds, a duration. Either is in milliseconds where its
/// description says so, else in seconds. `doc` is its description.
pub(crate) fn time_kind(name: &str, doc: &str, kind: &Kind) -> Option<Kind> {
    let doc = doc.to_lowercase();
    let number = matches!(kind, Kind::Integer | Kind::Number);
    let millis = name.ends_with("_ms") || doc.contains("millisecond");
    if (number || *kind == Kind::Text) && (doc.contains("timestamp") || doc.contains("unix time")) {
        Some(Kind::Instant(if millis {
            TimeUnit::Millis
        } else {
            TimeUnit::Seconds
        }))
    } else if number && millis {
        Some(Kind::Duration(TimeUnit::Millis))
    } else if number && (name == "seconds" || doc.contains("in seconds")) {
        Some(Kind::Duration(TimeUnit::Seconds))
    } else {
        None
    }
}

/// A limit the spec sets on a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Limit {
    MinLength(u64),
    MaxLength(u64),
    Minimum(f64),
    Maximum(f64),
    MinItems(u64),
    MaxItems(u64),
    Pattern(String),
}

/// A value of a call, classified.
#[derive(Clone)]
pub(crate) struct Classified {
    pub(crate) kind: Kind,
    pub(crate) limits: Vec<Limit>,
}

/// The name of the id schema `schema` refers to, or whose pattern it
/// repeats inline.
fn id_kind(spec: &Value, schema: &Value) -> Option<IdKind> {
    let schemas = spec.pointer("/components/schemas")?.as_object()?;
    if let Some(target) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        if let Some(kind) = IdKind::of_referred_schema(target) {
            return Some(kind);
        }
        return id_kind(spec, schemas.get(target)?);
    }
    // A union of id schemas the normalizer collapsed into a string.
    if let Some(names) = schema
        .get(crate::normalize::ONE_OF)
        .and_then(Value::as_array)
    {
        let kinds: Vec<IdKind> = names
            .iter()
            .filter_map(Value::as_str)
            .filter_map(IdKind::of_schema)
            .collect();
        if kinds.len() == names.len() {
            return match kinds.as_slice() {
                [one] => Some(*one),
                _ if kinds.contains(&IdKind::Contact) && kinds.contains(&IdKind::Chat) => {
                    Some(IdKind::ContactOrChat)
                }
                _ => None,
            };
        }
    }
    let pattern = schema.get("pattern")?;
    schemas
        .iter()
        .find(|(name, s)| IdKind::of_schema(name).is_some() && s.get("pattern") == Some(pattern))
        .and_then(|(name, _)| IdKind::of_schema(name))
}

/// The Rust type text of a raw type, without spaces.
fn text(ty: &Type) -> String {
    ty.to_token_stream().to_string().replace(' ', "")
}

fn is_string(ty: &Type) -> bool {
    last_ident(ty) == "String" || generic_arg(ty, "Vec", 0).is_none() && is_id_newtype(ty)
}

/// Whether a schema is text of no fixed set of values: the client's
/// newtype of it wraps a `String`.
fn is_plain_text(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && schema.get("enum").is_none()
        && schema.get("format").and_then(Value::as_str) != Some("binary")
}

/// The client's ids (`crate::ids::ChatId`) and id newtypes
/// (`types::UserId`), which wrap a `String`.
fn is_id_newtype(ty: &Type) -> bool {
    let name = last_ident(ty);
    IdKind::is_type_name(&name)
        || matches!(
            name.as_str(),
            "UserId" | "InviteCode" | "NewsletterInviteCode"
        )
}

/// Classifies a parameter (`in_path` for path ones) or body field named
/// `name`, of schema `schema`, which the client takes as `raw`.
pub(crate) fn classify(
    spec: &Value,
    name: &str,
    schema: &Value,
    raw: &RawValue,
    in_path: bool,
) -> Classified {
    let resolved = deref(spec, schema);
    let items = resolved.get("items").unwrap_or(&Value::Null);
    let ty = &raw.ty;
    let list_item = generic_arg(ty, "Vec", 0);
    let kind = if name == "media" && is_string(ty) {
        Kind::Media
    } else if let Some(id) =
        id_kind(spec, schema).or_else(|| (name == "to").then_some(IdKind::Chat))
    {
        if is_string(ty) {
            Kind::Id(id)
        } else {
            Kind::Typed
        }
    } else if let Some(id) =
        id_kind(spec, items).or_else(|| (name == "mentions").then_some(IdKind::Chat))
    {
        match &list_item {
            Some(item) if is_string(item) => Kind::Ids(id),
            None if is_string(ty) => Kind::JoinedIds(id),
            _ => Kind::Typed,
        }
    } else {
        match text(ty).as_str() {
            "::std::string::String" | "String" if in_path => Kind::Token,
            _ if is_id_newtype(ty) => Kind::Token,
            "::std::string::String" | "String" => Kind::Text,
            "i64" | "i32" | "u64" => Kind::Integer,
            "::std::num::NonZeroU64" => Kind::Count,
            "f64" => Kind::Number,
            "bool" => Kind::Bool,
            t if t.starts_with("::serde_json::") || t.starts_with("serde_json::") => Kind::Json,
            _ => match &list_item {
                Some(item) if last_ident(item) == "String" => Kind::Texts,
                Some(item) if is_id_newtype(item) => Kind::Tokens,
                None if is_plain_text(resolved) => Kind::TextNewtype,
                _ => Kind::Typed,
            },
        }
    };
    Classified {
        limits: limits(resolved, &kind),
        kind,
    }
}

/// The limits of `schema` that apply to a value of `kind`.
fn limits(schema: &Value, kind: &Kind) -> Vec<Limit> {
    let count = |key: &str| schema.get(key).and_then(Value::as_u64);
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    let mut out = Vec::new();
    match kind {
        Kind::Text | Kind::TextNewtype => {
            out.extend(count("minLength").map(Limit::MinLength));
            out.extend(count("maxLength").map(Limit::MaxLength));
            out.extend(
                schema
                    .get("pattern")
                    .and_then(Value::as_str)
                    .map(|p| Limit::Pattern(p.to_string())),
            );
        }
        Kind::Integer | Kind::Count | Kind::Number | Kind::Duration(_) => {
            out.extend(number("minimum").map(Limit::Minimum));
            out.extend(number("maximum").map(Limit::Maximum));
        }
        Kind::Texts | Kind::Tokens | Kind::Ids(_) | Kind::JoinedIds(_) => {
            out.extend(count("minItems").map(Limit::MinItems));
            out.extend(count("maxItems").map(Limit::MaxItems));
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({"components": {"schemas": {
            "ChatID": {"type": "string", "pattern": "^c$"},
            "MessageID": {"type": "string", "pattern": "^m$"},
            "ContactID": {"type": "string", "pattern": "^p$"},
        }}})
    }

    fn raw(ty: &str, optional: bool) -> RawValue {
        RawValue {
            name: "x".into(),
            ty: syn::parse_str(ty).unwrap(),
            optional,
        }
    }

    #[test]
    fn times_and_durations_are_found_by_their_description_and_name() {
        let cases = [
            (
                "time_from",
                "Timestamp from which to get objects",
                Kind::Integer,
                Some(Kind::Instant(TimeUnit::Seconds)),
            ),
            (
                "mute_until",
                "Time until which the chat should remain muted, in UNIX timestamp format (in milliseconds)",
                Kind::Integer,
                Some(Kind::Instant(TimeUnit::Millis)),
            ),
            (
                "start_time",
                "Start time of the call in UNIX timestamp format",
                Kind::Text,
                Some(Kind::Instant(TimeUnit::Seconds)),
            ),
            (
                "typing_time",
                "Time in seconds to simulate typing",
                Kind::Number,
                Some(Kind::Duration(TimeUnit::Seconds)),
            ),
            (
                "seconds",
                "",
                Kind::Integer,
                Some(Kind::Duration(TimeUnit::Seconds)),
            ),
            (
                "callback_backoff_delay_ms",
                "Backoff delay",
                Kind::Number,
                Some(Kind::Duration(TimeUnit::Millis)),
            ),
            ("count", "Count of objects to return", Kind::Integer, None),
            ("body", "Says in seconds", Kind::Text, None),
            ("price", "Product price", Kind::Number, None),
        ];
        for (name, doc, kind, expected) in cases {
            assert_eq!(time_kind(name, doc, &kind), expected, "{name}");
        }
    }

    #[test]
    fn ids_are_found_by_reference_by_pattern_and_by_name() {
        let spec = spec();
        let string = raw("::std::string::String", false);
        let by_ref = json!({"$ref": "#/components/schemas/ChatID"});
        assert_eq!(
            classify(&spec, "chat", &by_ref, &string, true).kind,
            Kind::Id(IdKind::Chat)
        );
        let newtype = raw("crate::ids::ChatId", false);
        assert_eq!(
            classify(&spec, "chat", &by_ref, &newtype, true).kind,
            Kind::Id(IdKind::Chat)
        );
        let by_pattern = json!({"type": "string", "pattern": "^m$"});
        assert_eq!(
            classify(&spec, "quoted", &by_pattern, &string, false).kind,
            Kind::Id(IdKind::Message)
        );
        let to = json!({"type": "string", "pattern": "^anything$"});
        assert_eq!(
            classify(&spec, "to", &to, &string, false).kind,
            Kind::Id(IdKind::Chat)
        );
        let list = json!({"type": "array", "items": {"$ref": "#/components/schemas/ContactID"}});
        assert_eq!(
            classify(
                &spec,
                "participants",
                &list,
                &raw("::std::vec::Vec<crate::ids::ContactId>", false),
                false
            )
            .kind,
            Kind::Ids(IdKind::Contact)
        );
        assert_eq!(
            classify(&spec, "ids", &list, &string, false).kind,
            Kind::JoinedIds(IdKind::Contact)
        );
    }

    #[test]
    fn plain_values_keep_their_limits() {
        let spec = spec();
        let text = json!({"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^#"});
        let found = classify(
            &spec,
            "color",
            &text,
            &raw("::std::string::String", true),
            false,
        );
        assert_eq!(found.kind, Kind::Text);
        assert_eq!(
            found.limits,
            [
                Limit::MinLength(1),
                Limit::MaxLength(3),
                Limit::Pattern("^#".into())
            ]
        );
        let count = json!({"type": "integer", "minimum": 1, "maximum": 500});
        let found = classify(
            &spec,
            "count",
            &count,
            &raw("::std::num::NonZeroU64", true),
            false,
        );
        assert_eq!(
            (found.kind, found.limits),
            (
                Kind::Count,
                vec![Limit::Minimum(1.0), Limit::Maximum(500.0)]
            )
        );
        assert_eq!(
            classify(
                &spec,
                "code",
                &json!({"type": "string"}),
                &raw("::std::string::String", false),
                true
            )
            .kind,
            Kind::Token
        );
        assert_eq!(
            classify(
                &spec,
                "media",
                &json!({"type": "string"}),
                &raw("::std::string::String", false),
                false
            )
            .kind,
            Kind::Media
        );
        assert_eq!(
            classify(
                &spec,
                "action",
                &json!({}),
                &raw("types::InteractiveAction", false),
                false
            )
            .kind,
            Kind::Typed
        );
    }
}
