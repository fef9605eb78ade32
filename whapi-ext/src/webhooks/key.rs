//! The key that tells one webhook event from another (see [`EventKey`]).

use std::fmt;

use sha2::{Digest, Sha256};

use super::{Payload, WebhookEvent};
use crate::types::{Chat, Contact, Group};

/// Subjects longer than this are hashed, so stores index short keys.
const LONGEST_PLAIN: usize = 100;
/// A key's head (channel, type, subject) is cut to this, so that a change's
/// key with its method, hash and number stays within 200 bytes.
const LONGEST_HEAD: usize = 140;

/// How long a subject's latest change is compared with new deliveries: the
/// longest the service waits between two deliveries of one event (the
/// spec's `max_callback_backoff_delay_ms` is at most an hour).
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) const STATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);

/// An event's deduplication key: equal for two deliveries of one event
/// (a redelivery, two instances behind a load balancer), different for
/// two events that look alike.
///
/// Two kinds of events:
/// - **occurrences with an id of their own**: new messages (`messages.post`,
///   `messages.put`: the messages' ids) and statuses (each status's message
///   id, status and recipient; `delivered` then `read` are two events). The
///   id is the event: a second delivery of it is a redelivery, however long
///   after.
/// - **changes of a subject** (everything else: a group's members, a chat's
///   or contact's fields, a presence, a call, a label, the channel's
///   health): the spec gives them no id and often no time, and the same
///   change can truly happen twice (join, leave, join again). The key names
///   the subject (the group and the members, the chat, the contact, …) and
///   the change (the SHA-256 of the body). An inbox keeps each subject's
///   latest change: a delivery equal to it is a redelivery; any other is a
///   new event, stored as `key#n`. A change repeated with none between
///   (typing, then typing) is dropped as a redelivery within an hour of the
///   first (the longest the service waits between two deliveries of one
///   event: the spec's `max_callback_backoff_delay_ms` is at most an hour),
///   or the inbox's `dedup_window` if shorter.
///
/// An event an inbox (`Inbox`, with the `sqlite` or `redis` feature) hands
/// its handler carries the key
/// the inbox stored it under (a change's key ends with its number, `#n`).
/// Use it as an idempotency key where a handler's effect must happen once
/// even if the handler runs twice (a process killed mid-handler runs it
/// again on restart).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey(String);

impl EventKey {
    /// The key as text (at most 200 bytes, printable ASCII but for ids).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key as a store gave it back.
    #[cfg(any(feature = "sqlite", feature = "redis"))]
    pub(crate) fn from_stored(key: String) -> Self {
        Self(key)
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventKey({:?})", self.0)
    }
}

/// How a store tells this event from others.
#[cfg_attr(not(any(feature = "sqlite", feature = "redis")), allow(dead_code))]
pub(crate) struct Identity {
    /// The key; for a change, without its number.
    pub key: String,
    /// For a change: its subject, whose latest change the store compares
    /// the key with.
    pub subject: Option<String>,
}

impl WebhookEvent {
    /// This event's deduplication key: the one its inbox stored it under,
    /// else the one made from the event (for a change, without its
    /// number).
    pub fn key(&self) -> EventKey {
        match &self.stored_key {
            Some(key) => key.clone(),
            None => EventKey(self.identity().key),
        }
    }

    /// The key its inbox stored it under.
    #[cfg_attr(not(any(feature = "sqlite", feature = "redis")), allow(dead_code))]
    pub(crate) fn with_stored_key(mut self, key: EventKey) -> Self {
        self.stored_key = Some(key);
        self
    }

    pub(crate) fn identity(&self) -> Identity {
        let channel = self.channel_id.as_deref().unwrap_or("-");
        let method = self.method.as_ref().map_or("-", |m| m.as_str());
        if let Some(ids) = self.occurrence_ids() {
            let head = format!("{channel}/{}/{method}", self.event_type);
            return Identity {
                key: bounded(&head, ids.join(",")),
                subject: None,
            };
        }
        let subject = bounded(&format!("{channel}/{}", self.event_type), self.subjects());
        let change = hex(&Sha256::digest(self.raw().as_bytes()));
        Identity {
            key: format!("{subject}/{method}/{}", &change[..32]),
            subject: Some(subject),
        }
    }

    /// The ids that make this event one occurrence, where it has them.
    fn occurrence_ids(&self) -> Option<Vec<String>> {
        let ids: Option<Vec<String>> = match &self.payload {
            Payload::Messages(messages) => messages
                .iter()
                .map(|m| m.id.clone().map(String::from))
                .collect(),
            Payload::Statuses(statuses) => statuses
                .iter()
                .map(|s| {
                    // In a group, each member's receipt of one message has
                    // the same id and status: who it is from tells them apart.
                    let who = text(&s.recipient_id).or(text(&s.viewer_id));
                    let who = who.map_or(String::new(), |w| format!(":{w}"));
                    Some(format!(
                        "{}:{}{who}",
                        s.id.as_deref()?,
                        s.status.as_ref()?.as_str()
                    ))
                })
                .collect(),
            _ => None,
        };
        ids.filter(|ids| !ids.is_empty())
    }

    /// What a change is about: the ids of its items (for members joining or
    /// leaving, the group and the members), sorted; the event type alone
    /// when it names none.
    fn subjects(&self) -> String {
        fn ids<'a, T: 'a>(
            items: impl IntoIterator<Item = &'a T>,
            id: impl Fn(&T) -> Option<String>,
        ) -> Vec<String> {
            items.into_iter().filter_map(id).collect()
        }
        let mut subjects = match &self.payload {
            Payload::MessageUpdates(updates) => ids(updates, |u| {
                text(&u.id)
                    .or_else(|| u.after_update.as_ref()?.id.as_deref())
                    .or_else(|| u.before_update.as_ref()?.id.as_deref())
                    .map(str::to_string)
            }),
            // An update's own `id` first, which the spec leaves out but the
            // service may send, then the id of what it changed.
            Payload::ChatUpdates(updates) => ids(updates, |u| {
                let id = |chat: &Option<Chat>| text(&chat.as_ref()?.id).map(str::to_string);
                own_id(u.raw())
                    .or_else(|| id(&u.after_update))
                    .or_else(|| id(&u.before_update))
            }),
            Payload::ContactUpdates(updates) => ids(updates, |u| {
                let id =
                    |contact: &Option<Contact>| text(&contact.as_ref()?.id).map(str::to_string);
                own_id(u.raw())
                    .or_else(|| id(&u.after_update))
                    .or_else(|| id(&u.before_update))
            }),
            Payload::GroupUpdates(updates) => ids(updates, |u| {
                let id = |group: &Option<Group>| text(&group.as_ref()?.id).map(str::to_string);
                own_id(u.raw())
                    .or_else(|| id(&u.after_update))
                    .or_else(|| id(&u.before_update))
            }),
            Payload::MessagesRemoved { ids, chat_cleared } => ids
                .iter()
                .map(ToString::to_string)
                .chain(chat_cleared.as_ref().map(ToString::to_string))
                .collect(),
            Payload::Chats(chats) => ids(chats, |c| text(&c.id).map(str::to_string)),
            Payload::ChatsRemoved(ids) => ids.iter().map(ToString::to_string).collect(),
            Payload::LabelsRemoved(ids) => ids.iter().map(ToString::to_string).collect(),
            Payload::Contacts(contacts) => ids(contacts, |c| text(&c.id).map(str::to_string)),
            Payload::Groups(groups) => ids(groups, |g| text(&g.id).map(str::to_string)),
            Payload::GroupParticipants(events) => ids(events, |e| {
                let mut members: Vec<&str> = e.participants.iter().map(|m| m.as_str()).collect();
                members.sort();
                Some(format!("{}:{}", text(&e.group_id)?, members.join("+")))
            }),
            Payload::Presences(presences) => {
                ids(presences, |p| text(&p.contact_id).map(str::to_string))
            }
            Payload::Labels(labels) => ids(labels, |l| text(&l.id).map(str::to_string)),
            Payload::Calls(calls) => ids(calls, |c| c.id.clone().map(String::from)),
            Payload::User(user) => user.id.iter().map(|id| id.to_string()).collect(),
            Payload::Messages(_)
            | Payload::Statuses(_)
            | Payload::Health(_)
            | Payload::Qr(_)
            | Payload::Errors(_)
            | Payload::Unknown => Vec::new(),
        };
        subjects.sort();
        subjects.dedup();
        if subjects.is_empty() {
            "-".to_string()
        } else {
            subjects.join(",")
        }
    }

    /// The chat an event is about, for keeping one chat's events in order:
    /// a message's or status's chat, a chat's own id.
    #[cfg(any(feature = "sqlite", feature = "redis"))]
    pub(crate) fn chat(&self) -> Option<&str> {
        match &self.payload {
            Payload::Messages(messages) => {
                Some(messages.first()?.chat_id().as_str()).filter(|chat| !chat.is_empty())
            }
            Payload::Chats(chats) => text(&chats.first()?.id),
            _ => None,
        }
    }
}

/// The top-level `id` of an item's JSON, if it has one.
fn own_id(raw: &serde_json::value::RawValue) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        #[serde(default, deserialize_with = "whapi_client::lenient::string")]
        id: Option<String>,
    }
    serde_json::from_str::<Id>(raw.get()).ok()?.id
}

/// The text of an optional id the service sent.
fn text<T: AsRef<str>>(value: &Option<T>) -> Option<&str> {
    value.as_ref().map(AsRef::as_ref)
}

/// `head/tail`, with a long tail replaced by its hash, at most 200 bytes.
fn bounded(head: &str, tail: String) -> String {
    let plain = if tail.len() <= LONGEST_PLAIN {
        format!("{head}/{tail}")
    } else {
        format!("{head}/sha256:{}", hex(&Sha256::digest(tail.as_bytes())))
    };
    truncated(plain)
}

/// A channel id can be long too: cut the head, keep the tail.
fn truncated(key: String) -> String {
    if key.len() <= LONGEST_HEAD {
        return key;
    }
    let mut start = key.len() - LONGEST_HEAD;
    while !key.is_char_boundary(start) {
        start += 1;
    }
    key[start..].to_string()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(body: &str) -> WebhookEvent {
        WebhookEvent::parse(body.as_bytes()).unwrap()
    }

    fn key(body: &str) -> EventKey {
        event(body).key()
    }

    const POSTED: &str = r#"{"messages":[{"id":"m1","chat_id":"1@s.whatsapp.net","type":"text","text":{"body":"hi"}}],"event":{"type":"messages","event":"post"},"channel_id":"CH"}"#;

    const JOINED: &str = r#"{"groups_participants":[{"group_id":"120363025343298765@g.us","participants":["15550100004","15550100003"],"action":"add"}],"event":{"type":"groups","event":"put"},"channel_id":"CH"}"#;

    #[test]
    fn a_redelivered_message_has_the_same_key_even_when_other_fields_differ() {
        let again = POSTED.replace(r#""type":"text""#, r#""status":"read","type":"text""#);
        assert_eq!(key(POSTED), key(&again));
        assert_eq!(key(POSTED).as_str(), "CH/messages/post/m1");
        assert_eq!(event(POSTED).identity().subject, None);
    }

    #[test]
    fn two_messages_two_keys() {
        assert_ne!(key(POSTED), key(&POSTED.replace("m1", "m2")));
    }

    #[test]
    fn each_status_of_a_message_is_its_own_event() {
        let delivered = r#"{"statuses":[{"id":"m1","status":"delivered"}],"event":{"type":"statuses","event":"post"},"channel_id":"CH"}"#;
        let read = delivered.replace("delivered", "read");
        assert_ne!(key(delivered), key(&read));
        assert_eq!(key(delivered), key(delivered));
    }

    #[test]
    fn two_members_reading_one_group_message_are_two_events() {
        let alice = r#"{"statuses":[{"id":"m1","status":"read","recipient_id":"111@s.whatsapp.net"}],"event":{"type":"statuses","event":"post"},"channel_id":"CH"}"#;
        let bob = alice.replace("111@", "222@");
        assert_ne!(key(alice), key(&bob));
        assert_eq!(
            key(alice).as_str(),
            "CH/statuses/post/m1:read:111@s.whatsapp.net"
        );
    }

    #[test]
    fn a_change_names_its_subject_and_its_content() {
        let joined = event(JOINED).identity();
        assert_eq!(
            joined.subject.as_deref(),
            Some("CH/groups/120363025343298765@g.us:15550100003+15550100004")
        );
        assert!(joined.key.starts_with(joined.subject.as_deref().unwrap()));
        let left = event(&JOINED.replace(r#""add""#, r#""remove""#)).identity();
        assert_eq!(left.subject, joined.subject, "one subject");
        assert_ne!(left.key, joined.key, "two changes");
        assert_eq!(event(JOINED).identity().key, joined.key, "redelivered");
    }

    #[test]
    fn a_chat_changed_twice_is_one_subject_with_two_keys() {
        let a = r#"{"chats_updates":[{"before_update":{"id":"c"},"after_update":{"id":"c","name":"a"}}],"event":{"type":"chats","event":"patch"}}"#;
        let b = a.replace(r#""name":"a""#, r#""name":"b""#);
        let (a, b) = (event(a).identity(), event(&b).identity());
        assert_ne!(a.key, b.key);
        assert_eq!(a.subject.as_deref(), Some("-/chats/c"));
        assert_eq!(a.subject, b.subject);
    }

    #[test]
    fn a_key_the_inbox_stored_is_the_key() {
        let stored = EventKey("CH/groups/g:1/put/abc#3".into());
        assert_eq!(event(JOINED).with_stored_key(stored.clone()).key(), stored);
    }

    #[test]
    fn long_keys_are_hashed_and_bounded() {
        let ids: Vec<String> = (0..100)
            .map(|i| format!(r#"{{"id":"message-{i}"}}"#))
            .collect();
        let body = format!(
            r#"{{"messages":[{}],"event":{{"type":"messages","event":"post"}},"channel_id":"{}"}}"#,
            ids.join(","),
            "C".repeat(500)
        );
        let k = key(&body);
        assert!(k.as_str().len() <= LONGEST_HEAD, "{}", k.as_str().len());
        assert!(k.as_str().contains("sha256:"));
        let members: Vec<String> = (0..100).map(|i| format!("\"1555010{i:04}\"")).collect();
        let joined = JOINED.replace(r#""15550100004","15550100003""#, &members.join(","));
        let identity = event(&joined).identity();
        assert!(identity.key.len() <= 200, "{}", identity.key.len());
    }
}
