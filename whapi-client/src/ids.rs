//! Typed ids: strict when built from what people type, lenient when decoded
//! from what the server sends. One set for everything: the generated
//! requests and answers use these types (progenitor maps the spec's id
//! schemas onto them), and so do `whapi-ext`'s calls and webhook events.
//!
//! ```
//! use whapi_client::ids::{ChatId, ContactId, GroupId};
//!
//! let alice: ContactId = "+1 (555) 010-0000".parse()?;
//! assert_eq!(alice.as_str(), "15550100000");
//! let chat = ChatId::from(alice);
//! assert_eq!(chat.as_str(), "15550100000@s.whatsapp.net");
//! let group: ChatId = "120363025343298765@g.us".parse()?;
//! assert!(group.is_group());
//! assert!("not a chat".parse::<ChatId>().is_err());
//! # Ok::<(), whapi_client::ids::InvalidId>(())
//! ```
//!
//! Building an id (`parse`, `new`, `TryFrom`) checks it, so a typo is an
//! [`InvalidId`] (in `whapi-ext`, an `Error::InvalidArgument`) before
//! anything is sent. Decoding one from JSON accepts any string: the service
//! issues ids that break its own patterns (`media_init` as a media id).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why text is not an id of the kind asked for: the field it was read as
/// and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId {
    field: String,
    rule: String,
}

impl InvalidId {
    /// The field the text was read as (`chat_id`, `contact_id`, …).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What the text breaks.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

impl std::error::Error for InvalidId {}

fn invalid(field: &str, rule: impl Into<String>) -> InvalidId {
    InvalidId {
        field: field.to_string(),
        rule: rule.into(),
    }
}

mod sealed {
    pub trait Sealed {}
}

/// An id type of this module: built only by checking text.
pub trait Id: sealed::Sealed + Sized + Into<String> {
    /// Checks `text` and builds the id.
    fn parse(text: &str) -> Result<Self, InvalidId>;
}

/// What an argument of an id type takes: the id itself (or one that is a
/// kind of it: a contact is a chat), or text, which is checked.
///
/// `whapi-ext`'s calls take `impl IntoId<ChatId>` where the spec takes a
/// chat: `wa.get_chat(alice)` with a `ContactId` (a contact's chat), or
/// `wa.get_chat("120363025343298765@g.us")`, checked when sent.
pub trait IntoId<I> {
    /// The id, or why the text is not one.
    fn into_id(self) -> Result<I, InvalidId>;
}

impl<I: Id> IntoId<I> for &str {
    fn into_id(self) -> Result<I, InvalidId> {
        I::parse(self)
    }
}

impl<I: Id> IntoId<I> for String {
    fn into_id(self) -> Result<I, InvalidId> {
        I::parse(&self)
    }
}

impl<I: Id> IntoId<I> for &String {
    fn into_id(self) -> Result<I, InvalidId> {
        I::parse(self)
    }
}

/// Defines an id newtype: checked `new`/`FromStr`, lenient `Deserialize`,
/// `Display`, `AsRef<str>`, `Serialize`.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $check:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
        #[cfg_attr(feature = "schemars", schemars(transparent))]
        pub struct $name(pub(crate) String);

        impl sealed::Sealed for $name {}

        impl Id for $name {
            fn parse(text: &str) -> Result<Self, InvalidId> {
                Self::new(text)
            }
        }

        impl IntoId<$name> for $name {
            fn into_id(self) -> Result<$name, InvalidId> {
                Ok(self)
            }
        }

        impl IntoId<$name> for &$name {
            fn into_id(self) -> Result<$name, InvalidId> {
                Ok(self.clone())
            }
        }

        impl $name {
            /// Checks and builds the id.
            pub fn new(text: impl AsRef<str>) -> Result<Self, InvalidId> {
                $check(text.as_ref().trim()).map(Self)
            }

            /// The id as the server writes it.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps text unchecked: an id the server sent, or the escape
            /// hatch for one the checks refuse and the service takes.
            /// (`Default` is the empty id, what an answer that left the id
            /// out reads as.)
            pub fn from_server(text: impl Into<String>) -> Self {
                Self(text.into())
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(text: &str) -> Result<Self, InvalidId> {
                Self::new(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Reads as the text it is, where text is asked for.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Compares with text as the server writes it (`m.chat_id() == "1@g.us"`).
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            /// Accepts any string: what the server sends is taken as it is.
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidId;
            fn try_from(text: &str) -> Result<Self, InvalidId> {
                Self::new(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(text: String) -> Result<Self, InvalidId> {
                Self::new(text)
            }
        }

    };
}

/// Digits of a phone number written any common way: `+1 (555) 010-0000`,
/// `1 555 010 0000`, `0015550100000` is not unwrapped (write it with `+`).
fn phone_digits(text: &str, field: &str) -> Result<String, InvalidId> {
    let text = text.trim();
    let body = text.strip_prefix('+').unwrap_or(text);
    if body
        .chars()
        .any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.')))
    {
        return Err(invalid(
            field,
            format!("`{text}` is not a phone number (digits, spaces, dashes, parentheses)"),
        ));
    }
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    if !(7..=15).contains(&digits.len()) {
        return Err(invalid(
            field,
            format!(
                "`{text}` has {} digits; a phone number with country code has 7 to 15",
                digits.len()
            ),
        ));
    }
    if digits.starts_with('0') {
        return Err(invalid(
            field,
            format!("`{text}` starts with 0: write the country code, e.g. +44 …"),
        ));
    }
    Ok(digits)
}

fn check_contact(text: &str) -> Result<String, InvalidId> {
    match text.trim().split_once('@') {
        Some((user, "s.whatsapp.net" | "c.us")) => phone_digits(user, "contact_id"),
        Some((user, "lid")) => check_lid(user).map(|lid| format!("{lid}@lid")),
        Some(_) => Err(invalid(
            "contact_id",
            format!("`{text}` is not a contact: use a phone number or a LID (`…@lid`)"),
        )),
        None => phone_digits(text, "contact_id"),
    }
}

/// The digits of a LID, the number WhatsApp gives a person in place of
/// their phone number: 7 to 15 digits, as the service's patterns take them.
fn check_lid(digits: &str) -> Result<&str, InvalidId> {
    if !(7..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid(
            "contact_id",
            format!("`{digits}@lid`: a LID is 7 to 15 digits before `@lid`"),
        ));
    }
    Ok(digits)
}

fn check_group(text: &str) -> Result<String, InvalidId> {
    let Some(local) = text.strip_suffix("@g.us") else {
        return Err(invalid(
            "group_id",
            format!("`{text}` is not a group id (`…@g.us`)"),
        ));
    };
    if local.len() < 10
        || local.len() > 31
        || !local.chars().all(|c| c.is_ascii_digit() || c == '-')
    {
        return Err(invalid(
            "group_id",
            format!("`{text}`: a group id is 10 to 31 digits or dashes before `@g.us`"),
        ));
    }
    Ok(text.to_string())
}

fn check_newsletter(text: &str) -> Result<String, InvalidId> {
    let Some(local) = text.strip_suffix("@newsletter") else {
        return Err(invalid(
            "newsletter_id",
            format!("`{text}` is not a newsletter id (`…@newsletter`)"),
        ));
    };
    if local.is_empty() || !local.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid(
            "newsletter_id",
            format!("`{text}`: a newsletter id is digits before `@newsletter`"),
        ));
    }
    Ok(text.to_string())
}

fn check_chat(text: &str) -> Result<String, InvalidId> {
    match text.split_once('@') {
        None => phone_digits(text, "chat_id").map(|d| format!("{d}@s.whatsapp.net")),
        Some((user, "s.whatsapp.net" | "c.us")) => phone_digits(user, "chat_id").map(|d| format!("{d}@s.whatsapp.net")),
        Some((_, "g.us")) => check_group(text).map_err(|_| invalid("chat_id", format!("`{text}` is not a valid group id"))),
        Some((_, "newsletter")) => check_newsletter(text).map_err(|_| invalid("chat_id", format!("`{text}` is not a valid newsletter id"))),
        Some((user, "lid")) => check_lid(user).map(|_| text.to_string()).map_err(|_| invalid("chat_id", format!("`{text}`: a LID is 7 to 15 digits before `@lid`"))),
        Some(("status", "broadcast")) => Ok(text.to_string()),
        Some(_) => Err(invalid("chat_id", format!("`{text}` is not a chat id: a phone number, or …@s.whatsapp.net, …@g.us, …@newsletter, …@lid"))),
    }
}

fn check_token(field: &str, text: &str) -> Result<String, InvalidId> {
    if text.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if text.len() > 256
        || text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/')
    {
        return Err(invalid(
            field,
            format!("`{text}` holds spaces, slashes or control characters, or is over 256 bytes"),
        ));
    }
    Ok(text.to_string())
}

fn check_message(text: &str) -> Result<String, InvalidId> {
    check_token("message_id", text)
}

fn check_media(text: &str) -> Result<String, InvalidId> {
    check_token("media_id", text)
}

id_type!(
    /// A chat: a contact (`…@s.whatsapp.net`), a group (`…@g.us`), a
    /// newsletter (`…@newsletter`), a LID (`…@lid`) or `status@broadcast`.
    /// Built from a phone number, it is that contact's chat.
    ChatId, check_chat
);
id_type!(
    /// A person: the digits of a phone number with country code (built
    /// from any common notation, or `…@s.whatsapp.net`), or a LID
    /// (`…@lid`), the number WhatsApp gives people in place of a phone
    /// number, kept as it is.
    ContactId, check_contact
);
id_type!(
    /// A group: `…@g.us`.
    GroupId, check_group
);
id_type!(
    /// A newsletter (WhatsApp channel): `…@newsletter`.
    NewsletterId, check_newsletter
);
id_type!(
    /// A message id, as the server issued it.
    MessageId, check_message
);
id_type!(
    /// A media id, for downloads and re-sends.
    MediaId, check_media
);
id_type!(
    /// A label: its number, as the channel numbers its labels.
    LabelId, check_label
);

id_type!(
    /// A product of the channel's catalog, as the service numbers it.
    ProductId, check_product
);
id_type!(
    /// An order placed from the catalog.
    OrderId, check_order
);
id_type!(
    /// A collection of the catalog's products.
    CollectionId, check_collection
);
id_type!(
    /// A call, as its event and `reject_call` name it.
    CallId, check_call
);

fn check_product(text: &str) -> Result<String, InvalidId> {
    check_token("product_id", text)
}

fn check_order(text: &str) -> Result<String, InvalidId> {
    check_token("order_id", text)
}

fn check_collection(text: &str) -> Result<String, InvalidId> {
    check_token("collection_id", text)
}

fn check_call(text: &str) -> Result<String, InvalidId> {
    check_token("call_id", text)
}

/// A community is a group (`…@g.us`) that holds groups.
pub type CommunityId = GroupId;

fn check_label(text: &str) -> Result<String, InvalidId> {
    if text.is_empty() || text.len() > 10 || !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid(
            "label_id",
            format!("`{text}` is not a label id (its number)"),
        ));
    }
    Ok(text.to_string())
}

/// Ids that are a kind of chat, passed where a chat is asked for.
macro_rules! chat_kind {
    ($($kind:ident),*) => {$(
        impl IntoId<ChatId> for $kind {
            fn into_id(self) -> Result<ChatId, InvalidId> {
                Ok(ChatId::from(self))
            }
        }

        impl IntoId<ChatId> for &$kind {
            fn into_id(self) -> Result<ChatId, InvalidId> {
                Ok(ChatId::from(self.clone()))
            }
        }
    )*};
}

chat_kind!(ContactId, GroupId, NewsletterId);

/// An id of one kind where another is asked for (an answer's chat id that
/// names a group, say): checked as text is.
macro_rules! other_kind {
    ($from:ident => $($to:ident),*) => {$(
        impl IntoId<$to> for $from {
            fn into_id(self) -> Result<$to, InvalidId> {
                $to::new(&self.0)
            }
        }

        impl IntoId<$to> for &$from {
            fn into_id(self) -> Result<$to, InvalidId> {
                $to::new(&self.0)
            }
        }
    )*};
}

// A chat may be a contact's, a group's or a newsletter's: an answer's chat
// id goes where one of those is asked for. Ids of unrelated kinds (a message
// where a chat is asked for) do not compile.
other_kind!(ChatId => ContactId, GroupId, NewsletterId);

impl ChatId {
    /// Whether it is a group chat.
    pub fn is_group(&self) -> bool {
        self.0.ends_with("@g.us")
    }

    /// Whether it is a newsletter.
    pub fn is_newsletter(&self) -> bool {
        self.0.ends_with("@newsletter")
    }
}

/// A checked chat id in the form for a parameter that takes a contact or a
/// chat: a person's chat as the contact's bare digits, any other chat as it
/// is. The live service's presences refuse `…@s.whatsapp.net` there.
#[doc(hidden)]
pub fn contact_or_chat(chat: String) -> String {
    match chat.strip_suffix("@s.whatsapp.net") {
        Some(digits) => digits.to_string(),
        None => chat,
    }
}

impl From<ContactId> for ChatId {
    /// A person's chat: by phone number `…@s.whatsapp.net`, by LID the LID.
    fn from(contact: ContactId) -> Self {
        if contact.0.ends_with("@lid") {
            Self(contact.0)
        } else {
            Self(format!("{}@s.whatsapp.net", contact.0))
        }
    }
}

impl From<GroupId> for ChatId {
    fn from(group: GroupId) -> Self {
        Self(group.0)
    }
}

impl From<NewsletterId> for ChatId {
    fn from(newsletter: NewsletterId) -> Self {
        Self(newsletter.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_read_in_common_notations() {
        for written in [
            "+1 (555) 010-0000",
            "1 555 010 0000",
            "+1.555.010.0000",
            "15550100000",
            "15550100000@s.whatsapp.net",
        ] {
            assert_eq!(
                ContactId::new(written).unwrap().as_str(),
                "15550100000",
                "{written}"
            );
        }
        assert_eq!(
            ChatId::new("+1 (555) 010-0000").unwrap().as_str(),
            "15550100000@s.whatsapp.net"
        );
    }

    #[test]
    fn a_person_is_a_phone_number_or_a_lid() {
        let lid = ContactId::new("123456789012345@lid").unwrap();
        assert_eq!(lid.as_str(), "123456789012345@lid");
        assert_eq!(ChatId::from(lid).as_str(), "123456789012345@lid");
        for refused in [
            "123456@lid",
            "1234567890123456@lid",
            "12a4567890@lid",
            "@lid",
        ] {
            let Err(invalid) = ContactId::new(refused) else {
                panic!("{refused} passed")
            };
            assert!(
                invalid.rule().contains("LID"),
                "{refused}: {}",
                invalid.rule()
            );
        }
    }

    #[test]
    fn bad_input_names_the_field_and_the_rule() {
        let cases = [
            ("12345", "contact_id", "7 to 15"),
            ("+1 555 abc", "contact_id", "not a phone number"),
            ("0555 0100 000", "contact_id", "country code"),
        ];
        for (text, field, rule) in cases {
            let Err(invalid) = ContactId::new(text) else {
                panic!("{text} passed")
            };
            assert_eq!(invalid.field(), field);
            assert!(invalid.rule().contains(rule), "{text}: {}", invalid.rule());
        }
        assert!(ChatId::new("someone@example.com").is_err());
        assert!(ChatId::new("").is_err());
        assert!(GroupId::new("123@g.us").is_err(), "too short");
        assert!(NewsletterId::new("abc@newsletter").is_err());
        assert!(MessageId::new("has space").is_err());
        assert!(MediaId::new("a/b").is_err());
        assert!(LabelId::new("x1").is_err());
        assert_eq!(LabelId::new(" 12 ").unwrap().as_str(), "12");
    }

    #[test]
    fn kinds_of_chat_and_text_are_taken_where_a_chat_is_asked_for() {
        let contact = ContactId::new("+1 (555) 010-0000").unwrap();
        let chat: ChatId = contact.into_id().unwrap();
        assert_eq!(chat.as_str(), "15550100000@s.whatsapp.net");
        let chat: ChatId = "120363025343298765@g.us".into_id().unwrap();
        assert!(chat.is_group());
        let bad: Result<ChatId, _> = "not a chat".into_id();
        assert!(bad.is_err());
        let group: GroupId = (&chat).into_id().unwrap();
        assert_eq!(
            group.as_str(),
            "120363025343298765@g.us",
            "an answer's chat id where a group is asked for"
        );
        let not_a_group: Result<GroupId, _> =
            ChatId::from_server("15550100000@s.whatsapp.net").into_id();
        assert!(not_a_group.is_err(), "checked as text is");
    }

    #[test]
    fn every_kind_of_chat_is_accepted() {
        for chat in [
            "120363025343298765@g.us",
            "120363000000000000@newsletter",
            "123456789012345@lid",
            "status@broadcast",
        ] {
            assert_eq!(ChatId::new(chat).unwrap().as_str(), chat);
        }
        assert!(ChatId::new("120363025343298765@g.us").unwrap().is_group());
    }

    #[test]
    fn decoding_accepts_what_the_server_sends() {
        let id: MediaId = serde_json::from_str("\"media_init\"").unwrap();
        assert_eq!(id.as_str(), "media_init");
        let odd: ChatId = serde_json::from_str("\"weird@nowhere\"").unwrap();
        assert_eq!(serde_json::to_string(&odd).unwrap(), "\"weird@nowhere\"");
    }
}
