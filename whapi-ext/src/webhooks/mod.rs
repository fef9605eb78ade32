//! Typed webhook events that survive what the server really sends.
//!
//! An event's items are the same types the calls answer with
//! ([`types::Message`](crate::types::Message), [`types::Chat`](crate::types::Chat),
//! [`types::Status`](crate::types::Status), …): a message read from a
//! webhook and one read from `get_message` have the same accessors and the
//! same content view ([`MessageBody`]).
//!
//! ```
//! use whapi_ext::webhooks::{Payload, WebhookEvent};
//!
//! let body = br#"{"messages":[{"id":"m1","type":"text","text":{"body":"hi"},
//!     "chat_id":"15550100000@s.whatsapp.net","from_me":false,"timestamp":1700000000}],
//!     "event":{"type":"messages","event":"post"},"channel_id":"MANTIS-M72HC"}"#;
//! let event = WebhookEvent::parse(body)?;
//! if let Payload::Messages(messages) = &event.payload {
//!     for message in messages.iter().filter(|m| !m.from_me()) {
//!         println!("{} says {:?}", message.chat_id(), message.text_or_caption());
//!     }
//! }
//! # Ok::<(), whapi_ext::webhooks::ParseError>(())
//! ```
//!
//! # Leniency
//! The service departs from its spec, so parsing is strict only about what
//! makes an event useless: a body that is not JSON, or one with no event type
//! at all. Everything else is read as well as it can be:
//! - the event is read from `{"type", "method"}` (the spec) or `{"type",
//!   "event"}` (the service); without one, the type is inferred from the
//!   payload's key (`messages`, `statuses`, …);
//! - every field is optional: a field the spec marks required may be
//!   missing, and its accessor reads a default (`""`, `0`, `false`, an empty
//!   list) instead;
//! - ids are never checked against the spec's patterns;
//! - numbers may arrive as strings (`"42"`), as floats where the spec has
//!   an integer (truncated), or beyond `i64` (clamped: `mute_until:
//!   18446744073709552000` reads as `i64::MAX`);
//!   event type names are read case-insensitively, deprecated ones included
//!   (`message`, `ack`, `chat`; `status` meant `channel`);
//!   booleans as `0`/`1` or `"true"`; strings as numbers;
//! - a value of a shape that cannot be read (an object where a string
//!   belongs) reads as absent; a list element that is not an object is
//!   dropped; a lone object where a list belongs is a list of one;
//! - half an emoji (a lone UTF-16 surrogate escape, as Node sends when it
//!   cuts a string) reads as U+FFFD;
//! - an item whose JSON is valid but beyond the typed reader (a key given
//!   twice, a number beyond `f64`) keeps an empty typed view and its raw
//!   JSON: [`Typed::is_complete`] says so;
//! - unknown keys, unknown message types and unknown events are kept: every
//!   item keeps its raw JSON ([`Typed::raw`]), an unrecognised payload is
//!   [`Payload::Unknown`], and serializing an event writes back exactly the
//!   JSON it was parsed from.
//!
//! [`WebhookEvent::parse`] never panics, whatever the bytes.

#[cfg(any(feature = "sqlite", feature = "redis"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "redis"))))]
pub mod inbox;
mod key;
#[cfg(feature = "axum")]
mod receiver;
mod settings;
mod verify;

use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use whapi_client::ids::{ChatId, LabelId, MessageId};
use whapi_client::lenient;

use crate::types::{
    CallEvent, Chat, ChatUpdate, Contact, ContactUpdate, Error as ServiceError, Group, GroupUpdate,
    Health, Label, Message, MessageUpdate, ParticipantEvent, Presence, Qr, Status,
};

#[cfg(any(feature = "sqlite", feature = "redis"))]
pub use inbox::{Inbox, InboxBuilder};
pub use key::EventKey;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use receiver::{WebhookReceiver, DEFAULT_BODY_LIMIT};
pub use settings::{EnsureWebhook, IntoWebhookEvent};
pub use verify::{VerifyError, WebhookVerifier};
pub use whapi_client::{MessageBody, MessageMedia};

/// A handler of events, type-erased; errors are kept as their message.
#[cfg(any(feature = "axum", feature = "sqlite", feature = "redis"))]
pub(crate) type Handler = std::sync::Arc<
    dyn Fn(WebhookEvent) -> futures_util::future::BoxFuture<'static, Result<(), String>>
        + Send
        + Sync,
>;

/// What a sender refused for now (`503`) is told to wait.
#[cfg(any(feature = "axum", feature = "sqlite", feature = "redis"))]
pub(crate) const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// Erases a handler's types.
#[cfg(any(feature = "axum", feature = "sqlite", feature = "redis"))]
pub(crate) fn handler<H, Fut, E>(handler: H) -> Handler
where
    H: Fn(WebhookEvent) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + 'static,
{
    std::sync::Arc::new(move |event| {
        let future = handler(event);
        Box::pin(async move { future.await.map_err(|e| e.to_string()) })
    })
}

/// Runs a handler once: its error, its panic or its running past `timeout`
/// is a failure, described for the log.
#[cfg(any(feature = "axum", feature = "sqlite", feature = "redis"))]
pub(crate) async fn run_handler(
    handler: &Handler,
    event: WebhookEvent,
    timeout: std::time::Duration,
) -> Result<(), String> {
    use futures_util::FutureExt;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    // A panic in the handler's own body, before it returns its future,
    // counts as much as one inside the future.
    let future = match catch_unwind(AssertUnwindSafe(|| handler(event))) {
        Ok(future) => future,
        Err(panic) => return Err(format!("the handler panicked: {}", panic_message(&*panic))),
    };
    match tokio::time::timeout(timeout, AssertUnwindSafe(future).catch_unwind()).await {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => Err(format!("the handler panicked: {}", panic_message(&*panic))),
        Err(_) => Err(format!("the handler ran past its timeout ({timeout:?})")),
    }
}

/// A panic's message, for the log.
#[cfg(any(feature = "axum", feature = "sqlite", feature = "redis"))]
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Why a webhook body could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The body is not JSON (or not an object).
    #[error("the webhook body is not a JSON object")]
    NotJson(#[source] Option<serde_json::Error>),
    /// Neither an `event` nor a payload key says what happened.
    #[error("the webhook body names no event type")]
    NoEventType,
}

/// What kind of thing an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// `messages`.
    Messages,
    /// `statuses`.
    Statuses,
    /// `chats`.
    Chats,
    /// `contacts`.
    Contacts,
    /// `groups`.
    Groups,
    /// `presences`.
    Presences,
    /// `labels`.
    Labels,
    /// `calls`.
    Calls,
    /// `channel` (health, QR).
    Channel,
    /// `users` (login, logout).
    Users,
    /// `service`.
    Service,
    /// A type this version does not know.
    Other(String),
}

impl EventType {
    /// Reads a type name; the deprecated singular names count (`status`
    /// meant `channel`, `ack` meant `statuses`).
    fn from_name(name: &str) -> Self {
        match name.trim().to_ascii_lowercase().as_str() {
            "messages" | "message" => Self::Messages,
            "statuses" | "ack" | "acks" => Self::Statuses,
            "chats" | "chat" => Self::Chats,
            "contacts" => Self::Contacts,
            "groups" => Self::Groups,
            "presences" => Self::Presences,
            "labels" => Self::Labels,
            "calls" => Self::Calls,
            "channel" | "channels" | "status" => Self::Channel,
            "users" => Self::Users,
            "service" => Self::Service,
            _ => Self::Other(name.to_string()),
        }
    }

    /// The name the service uses, as in a webhook's `events` list.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Messages => "messages",
            Self::Statuses => "statuses",
            Self::Chats => "chats",
            Self::Contacts => "contacts",
            Self::Groups => "groups",
            Self::Presences => "presences",
            Self::Labels => "labels",
            Self::Calls => "calls",
            Self::Channel => "channel",
            Self::Users => "users",
            Self::Service => "service",
            Self::Other(name) => name,
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `post`: new.
    Post,
    /// `put`: replaced or delivered again (offline messages, edits).
    Put,
    /// `patch`: changed.
    Patch,
    /// `delete`: removed.
    Delete,
    /// A method this version does not know.
    Other(String),
}

impl Method {
    fn from_name(name: &str) -> Self {
        match name.trim().to_ascii_lowercase().as_str() {
            "post" => Self::Post,
            "put" => Self::Put,
            "patch" => Self::Patch,
            "delete" => Self::Delete,
            _ => Self::Other(name.to_string()),
        }
    }

    /// The name the service uses (`post`, `put`, `patch`, `delete`).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Post => "post",
            Self::Put => "put",
            Self::Patch => "patch",
            Self::Delete => "delete",
            Self::Other(name) => name,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An item of an event: the typed view, and the JSON it came from.
///
/// Derefs to the typed view, so `message.chat_id()` works on a
/// `Typed<Message>`.
#[derive(Clone)]
pub struct Typed<T> {
    data: T,
    raw: Box<RawValue>,
    complete: bool,
}

impl<T> Typed<T> {
    /// The typed view.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The item's JSON as the server sent it, unknown keys included.
    pub fn raw(&self) -> &RawValue {
        &self.raw
    }

    /// Whether the typed view could be read. It cannot only when the item's
    /// JSON is valid but beyond what the typed reader takes (a key given
    /// twice, a number beyond `f64`): the view is then empty and
    /// [`Typed::raw`] holds everything.
    pub fn is_complete(&self) -> bool {
        self.complete
    }
}

impl<T> Deref for Typed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: fmt::Debug> fmt::Debug for Typed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.data.fmt(f)
    }
}

impl<T: for<'de> Deserialize<'de> + Default> Typed<T> {
    fn read(raw: &RawValue) -> Self {
        // Every field of `T` is lenient, so only malformed structure (a
        // duplicated key) can fail; the raw JSON keeps the item then.
        let parsed = serde_json::from_str(raw.get()).or_else(|e| {
            lone_surrogates_replaced(raw.get())
                .ok_or(e)
                .and_then(|fixed| serde_json::from_str(&fixed))
        });
        let (data, complete) = match parsed {
            Ok(data) => (data, true),
            Err(_) => (T::default(), false),
        };
        Self {
            data,
            raw: raw.to_owned(),
            complete,
        }
    }
}

/// The typed data of an event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Payload {
    /// New or re-sent messages (`messages.post`, `messages.put`).
    Messages(Vec<Typed<Message>>),
    /// Changed messages (`messages.patch`).
    MessageUpdates(Vec<Typed<MessageUpdate>>),
    /// Deleted messages (`messages.delete`).
    MessagesRemoved {
        /// The deleted messages.
        ids: Vec<MessageId>,
        /// A chat whose messages were all deleted.
        chat_cleared: Option<ChatId>,
    },
    /// Message statuses (`statuses.post`, `statuses.put`).
    Statuses(Vec<Typed<Status>>),
    /// New or replaced chats (`chats.post`, `chats.put`).
    Chats(Vec<Typed<Chat>>),
    /// Changed chats (`chats.patch`).
    ChatUpdates(Vec<Typed<ChatUpdate>>),
    /// Deleted chats (`chats.delete`).
    ChatsRemoved(Vec<ChatId>),
    /// New contacts (`contacts.post`).
    Contacts(Vec<Typed<Contact>>),
    /// Changed contacts (`contacts.patch`).
    ContactUpdates(Vec<Typed<ContactUpdate>>),
    /// New groups (`groups.post`).
    Groups(Vec<Typed<Group>>),
    /// Members joining, leaving, promoted, demoted (`groups.put`).
    GroupParticipants(Vec<Typed<ParticipantEvent>>),
    /// Changed groups (`groups.patch`).
    GroupUpdates(Vec<Typed<GroupUpdate>>),
    /// Presences (`presences.post`).
    Presences(Vec<Typed<Presence>>),
    /// New labels (`labels.post`).
    Labels(Vec<Typed<Label>>),
    /// Deleted labels (`labels.delete`).
    LabelsRemoved(Vec<LabelId>),
    /// Calls (`calls.post`).
    Calls(Vec<Typed<CallEvent>>),
    /// The channel's health (`channel.post`).
    Health(Box<Typed<Health>>),
    /// A login QR code (`channel` events).
    Qr(Box<Typed<Qr>>),
    /// The user logged in or out (`users.post`, `users.delete`).
    User(Box<Typed<Contact>>),
    /// Errors the service reports (`service` events).
    Errors(Vec<Typed<ServiceError>>),
    /// A payload this version does not recognise: the event's raw JSON.
    Unknown,
}

/// A webhook event: what happened, to which channel, with its data.
#[derive(Debug, Clone)]
pub struct WebhookEvent {
    /// What the event is about; inferred from the payload when the body has
    /// no `event` object.
    pub event_type: EventType,
    /// What happened; `None` when the body does not say.
    pub method: Option<Method>,
    /// The channel that sent it.
    pub channel_id: Option<String>,
    /// The typed data.
    pub payload: Payload,
    raw: Box<str>,
    /// The key an inbox stored it under ([`WebhookEvent::key`]).
    stored_key: Option<EventKey>,
}

impl WebhookEvent {
    /// Parses a webhook body. Fails only when the body is not a JSON object
    /// or names no event type; never panics.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        let text = std::str::from_utf8(body).map_err(|_| ParseError::NotJson(None))?;
        if !text.trim_start().starts_with('{') {
            return Err(ParseError::NotJson(None));
        }
        let envelope: Envelope = match serde_json::from_str(text) {
            Ok(envelope) => envelope,
            // Node cuts emoji in half and sends lone UTF-16 surrogates,
            // which serde_json refuses in the strings it reads.
            Err(first) => match lone_surrogates_replaced(text) {
                Some(fixed) => {
                    serde_json::from_str(&fixed).map_err(|_| ParseError::NotJson(Some(first)))?
                }
                None => return Err(ParseError::NotJson(Some(first))),
            },
        };
        envelope.into_event(text.into())
    }

    /// The body as the server sent it (JSON text).
    pub fn raw(&self) -> &str {
        &self.raw
    }
}

impl Serialize for WebhookEvent {
    /// Writes back exactly the JSON the event was parsed from.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The text was parsed as JSON when the event was made.
        let raw: &RawValue = serde_json::from_str(&self.raw).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// `text` with every `\uXXXX` escape of a lone UTF-16 surrogate replaced by
/// `\ufffd`, or `None` when it has none.
fn lone_surrogates_replaced(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let hex = |at: usize| -> Option<u16> {
        let digits = bytes.get(at..at + 4)?;
        u16::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    let escape_at = |at: usize| -> Option<u16> {
        (bytes.get(at) == Some(&b'\\') && bytes.get(at + 1) == Some(&b'u'))
            .then(|| hex(at + 2))
            .flatten()
    };
    let mut out = String::with_capacity(text.len());
    let (mut i, mut last, mut changed) = (0, 0, false);
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = escape_at(i) else {
            i += 2;
            continue;
        };
        let lone = match unit {
            0xD800..=0xDBFF => {
                !escape_at(i + 6).is_some_and(|next| (0xDC00..=0xDFFF).contains(&next))
            }
            0xDC00..=0xDFFF => true,
            _ => false,
        };
        if lone {
            out.push_str(&text[last..i]);
            out.push_str("\\ufffd");
            changed = true;
            last = i + 6;
            i += 6;
        } else {
            i += if (0xD800..=0xDBFF).contains(&unit) {
                12
            } else {
                6
            };
        }
    }
    out.push_str(&text[last..]);
    changed.then_some(out)
}

/// The `event` object: `{"type", "method"}` per the spec, `{"type", "event"}`
/// as the service sends it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EventObject {
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    kind: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    method: Option<String>,
    #[serde(rename = "event", deserialize_with = "lenient::string")]
    event: Option<String>,
}

/// A body's top level, its payloads read into typed items.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Envelope {
    #[serde(deserialize_with = "lenient::object")]
    event: Option<EventObject>,
    #[serde(deserialize_with = "lenient::string")]
    channel_id: Option<String>,
    #[serde(deserialize_with = "typed_items")]
    messages: Option<Vec<Typed<Message>>>,
    #[serde(deserialize_with = "typed_items")]
    messages_updates: Option<Vec<Typed<MessageUpdate>>>,
    #[serde(deserialize_with = "lenient::texts")]
    messages_removed: Vec<MessageId>,
    #[serde(deserialize_with = "lenient::text")]
    messages_removed_all: Option<ChatId>,
    #[serde(deserialize_with = "typed_items")]
    statuses: Option<Vec<Typed<Status>>>,
    #[serde(deserialize_with = "typed_items")]
    chats: Option<Vec<Typed<Chat>>>,
    #[serde(deserialize_with = "typed_items")]
    chats_updates: Option<Vec<Typed<ChatUpdate>>>,
    #[serde(deserialize_with = "lenient::texts")]
    chats_removed: Vec<ChatId>,
    #[serde(deserialize_with = "typed_items")]
    contacts: Option<Vec<Typed<Contact>>>,
    #[serde(deserialize_with = "typed_items")]
    contacts_updates: Option<Vec<Typed<ContactUpdate>>>,
    #[serde(deserialize_with = "typed_items")]
    groups: Option<Vec<Typed<Group>>>,
    #[serde(deserialize_with = "typed_items")]
    groups_participants: Option<Vec<Typed<ParticipantEvent>>>,
    #[serde(deserialize_with = "typed_items")]
    groups_updates: Option<Vec<Typed<GroupUpdate>>>,
    #[serde(deserialize_with = "typed_items")]
    presences: Option<Vec<Typed<Presence>>>,
    #[serde(deserialize_with = "typed_items")]
    labels: Option<Vec<Typed<Label>>>,
    #[serde(deserialize_with = "lenient::texts")]
    labels_removed: Vec<LabelId>,
    #[serde(deserialize_with = "typed_items")]
    calls: Option<Vec<Typed<CallEvent>>>,
    #[serde(deserialize_with = "typed_object")]
    health: Option<Typed<Health>>,
    #[serde(deserialize_with = "typed_object")]
    qr: Option<Typed<Qr>>,
    #[serde(deserialize_with = "typed_object")]
    user: Option<Typed<Contact>>,
    #[serde(deserialize_with = "typed_items")]
    errors: Option<Vec<Typed<ServiceError>>>,
}

/// Reads a list of objects into typed items, each keeping its raw JSON, in
/// one pass; elements that are not objects are dropped, a lone object is a
/// list of one, anything else is absent.
struct TypedItems<T>(std::marker::PhantomData<T>);

impl<'de, T: for<'a> Deserialize<'a> + Default> Visitor<'de> for TypedItems<T> {
    type Value = Option<Vec<Typed<T>>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<&RawValue>()? {
            if item.get().starts_with('{') {
                out.push(Typed::read(item));
            }
        }
        Ok(Some(out))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        // Rare: rebuild the lone object's JSON to keep it as the raw text.
        let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let raw = serde_json::value::to_raw_value(&value).map_err(de::Error::custom)?;
        Ok(Some(vec![Typed::read(&raw)]))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
}

fn typed_items<'de, D: Deserializer<'de>, T: for<'a> Deserialize<'a> + Default>(
    d: D,
) -> Result<Option<Vec<Typed<T>>>, D::Error> {
    d.deserialize_any(TypedItems(std::marker::PhantomData))
}

/// An object read as a typed item keeping its raw JSON; anything else is
/// absent.
fn typed_object<'de, D: Deserializer<'de>, T: for<'a> Deserialize<'a> + Default>(
    d: D,
) -> Result<Option<Typed<T>>, D::Error> {
    let raw = <&RawValue>::deserialize(d)?;
    Ok(raw.get().starts_with('{').then(|| Typed::read(raw)))
}

/// The payload key an event's type and method call for.
fn key_for(event_type: &EventType, method: Option<&Method>) -> Option<&'static str> {
    use EventType as T;
    use Method as M;
    Some(match (event_type, method) {
        (T::Messages, Some(M::Patch)) => "messages_updates",
        (T::Messages, Some(M::Delete)) => "messages_removed",
        (T::Messages, _) => "messages",
        (T::Statuses, _) => "statuses",
        (T::Chats, Some(M::Patch)) => "chats_updates",
        (T::Chats, Some(M::Delete)) => "chats_removed",
        (T::Chats, _) => "chats",
        (T::Contacts, Some(M::Patch)) => "contacts_updates",
        (T::Contacts, _) => "contacts",
        (T::Groups, Some(M::Put)) => "groups_participants",
        (T::Groups, Some(M::Patch)) => "groups_updates",
        (T::Groups, _) => "groups",
        (T::Presences, _) => "presences",
        (T::Labels, Some(M::Delete)) => "labels_removed",
        (T::Labels, _) => "labels",
        (T::Calls, _) => "calls",
        (T::Channel, _) => "health",
        (T::Users, _) => "user",
        (T::Service, _) => "errors",
        (T::Other(_), _) => return None,
    })
}

impl Envelope {
    /// Payload keys present in the body, in a fixed order.
    fn present(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let mut add = |present: bool, key| {
            if present {
                keys.push(key)
            }
        };
        add(self.messages_updates.is_some(), "messages_updates");
        add(
            !self.messages_removed.is_empty() || self.messages_removed_all.is_some(),
            "messages_removed",
        );
        add(self.messages.is_some(), "messages");
        add(self.statuses.is_some(), "statuses");
        add(self.chats_updates.is_some(), "chats_updates");
        add(!self.chats_removed.is_empty(), "chats_removed");
        add(self.chats.is_some(), "chats");
        add(self.contacts_updates.is_some(), "contacts_updates");
        add(self.contacts.is_some(), "contacts");
        add(self.groups_participants.is_some(), "groups_participants");
        add(self.groups_updates.is_some(), "groups_updates");
        add(self.groups.is_some(), "groups");
        add(self.presences.is_some(), "presences");
        add(!self.labels_removed.is_empty(), "labels_removed");
        add(self.labels.is_some(), "labels");
        add(self.calls.is_some(), "calls");
        add(self.health.is_some(), "health");
        add(self.qr.is_some(), "qr");
        add(self.user.is_some(), "user");
        add(self.errors.is_some(), "errors");
        keys
    }

    fn payload(self, key: &str) -> Payload {
        match key {
            "messages" => Payload::Messages(self.messages.unwrap_or_default()),
            "messages_updates" => {
                Payload::MessageUpdates(self.messages_updates.unwrap_or_default())
            }
            "messages_removed" => Payload::MessagesRemoved {
                ids: self.messages_removed,
                chat_cleared: self.messages_removed_all,
            },
            "statuses" => Payload::Statuses(self.statuses.unwrap_or_default()),
            "chats" => Payload::Chats(self.chats.unwrap_or_default()),
            "chats_updates" => Payload::ChatUpdates(self.chats_updates.unwrap_or_default()),
            "chats_removed" => Payload::ChatsRemoved(self.chats_removed),
            "contacts" => Payload::Contacts(self.contacts.unwrap_or_default()),
            "contacts_updates" => {
                Payload::ContactUpdates(self.contacts_updates.unwrap_or_default())
            }
            "groups" => Payload::Groups(self.groups.unwrap_or_default()),
            "groups_participants" => {
                Payload::GroupParticipants(self.groups_participants.unwrap_or_default())
            }
            "groups_updates" => Payload::GroupUpdates(self.groups_updates.unwrap_or_default()),
            "presences" => Payload::Presences(self.presences.unwrap_or_default()),
            "labels" => Payload::Labels(self.labels.unwrap_or_default()),
            "labels_removed" => Payload::LabelsRemoved(self.labels_removed),
            "calls" => Payload::Calls(self.calls.unwrap_or_default()),
            "health" => self
                .health
                .map_or(Payload::Unknown, |raw| Payload::Health(Box::new(raw))),
            "qr" => self
                .qr
                .map_or(Payload::Unknown, |raw| Payload::Qr(Box::new(raw))),
            "user" => self
                .user
                .map_or(Payload::Unknown, |raw| Payload::User(Box::new(raw))),
            "errors" => Payload::Errors(self.errors.unwrap_or_default()),
            _ => Payload::Unknown,
        }
    }

    fn into_event(self, raw: Box<str>) -> Result<WebhookEvent, ParseError> {
        let event = self.event.as_ref();
        let named_type = event
            .and_then(|e| e.kind.as_deref())
            .filter(|k| !k.is_empty())
            .map(EventType::from_name);
        let method = event
            .and_then(|e| e.method.as_deref().or(e.event.as_deref()))
            .filter(|m| !m.is_empty())
            .map(Method::from_name);
        let present = self.present();
        let wanted = named_type
            .as_ref()
            .and_then(|t| key_for(t, method.as_ref()))
            .filter(|k| present.contains(k));
        let key = wanted.or_else(|| present.first().copied());
        let event_type = match (named_type, key) {
            (Some(t), _) => t,
            (None, Some(key)) => EventType::from_name(key.split('_').next().unwrap_or(key)),
            (None, None) => return Err(ParseError::NoEventType),
        };
        let event_type = match (&event_type, key) {
            (EventType::Other(name), _) if name == "health" || name == "qr" => EventType::Channel,
            (EventType::Other(name), _) if name == "user" => EventType::Users,
            (EventType::Other(name), _) if name == "errors" => EventType::Service,
            _ => event_type,
        };
        let channel_id = self.channel_id.clone();
        let payload = key.map_or(Payload::Unknown, |key| self.payload(key));
        Ok(WebhookEvent {
            event_type,
            method,
            channel_id,
            payload,
            raw,
            stored_key: None,
        })
    }
}
