//! The key that tells one webhook event from another, so an event the
//! service delivers twice (a redelivery, two instances behind a load
//! balancer) has its effect once.

use std::fmt;

use sha2::{Digest, Sha256};

use super::{Payload, WebhookEvent};

/// Keys longer than this are hashed, so stores index short keys.
const LONGEST_PLAIN: usize = 160;

/// An event's deduplication key: equal for two deliveries of one event,
/// different for two events.
///
/// - new messages (`messages.post`): the channel, type, method and the
///   messages' ids (a redelivery may differ in fields such as `status`;
///   the id does not);
/// - statuses: each status's message id and status (`delivered`, then
///   `read`, are two events);
/// - everything else (edits, chat and group changes, presences): the SHA-256
///   of the body, since the same chat changes many times under one id.
///
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

impl WebhookEvent {
    /// This event's deduplication key.
    pub fn key(&self) -> EventKey {
        let head = format!(
            "{}/{}/{}",
            self.channel_id.as_deref().unwrap_or("-"),
            self.event_type,
            self.method.as_ref().map_or("-", |m| m.as_str()),
        );
        let ids: Option<Vec<String>> = match &self.payload {
            Payload::Messages(messages) if self.method == Some(super::Method::Post) => messages
                .iter()
                .map(|m| m.id.clone())
                .collect::<Option<Vec<_>>>()
                .filter(|ids| !ids.is_empty()),
            Payload::Statuses(statuses) => statuses
                .iter()
                .map(|s| {
                    // In a group, each member's receipt of one message has
                    // the same id and status: who it is from tells them apart.
                    let who = s.recipient_id.as_deref().or(s.viewer_id.as_deref());
                    let who = who.map_or(String::new(), |w| format!(":{w}"));
                    Some(format!(
                        "{}:{}{who}",
                        s.id.as_deref()?,
                        s.status.as_deref()?
                    ))
                })
                .collect::<Option<Vec<_>>>()
                .filter(|ids| !ids.is_empty()),
            _ => None,
        };
        let tail = match ids {
            Some(ids) => ids.join(","),
            None => format!("body:{}", hex(&Sha256::digest(self.raw().as_bytes()))),
        };
        let plain = format!("{head}/{tail}");
        if plain.len() <= LONGEST_PLAIN {
            return EventKey(plain);
        }
        EventKey(format!(
            "{head}/sha256:{}",
            hex(&Sha256::digest(tail.as_bytes()))
        ))
        .truncated()
    }

    /// The chat an event is about, for keeping one chat's events in order:
    /// a message's or status's chat, a chat's own id.
    #[cfg(any(feature = "sqlite", feature = "redis"))]
    pub(crate) fn chat(&self) -> Option<&str> {
        match &self.payload {
            Payload::Messages(messages) => messages.first()?.chat_id(),
            Payload::Chats(chats) => chats.first()?.id.as_deref(),
            _ => None,
        }
    }
}

impl EventKey {
    /// A channel id can be long too: cut the head, keep the hash.
    fn truncated(self) -> Self {
        if self.0.len() <= 200 {
            return self;
        }
        let cut = self.0.len() - 200;
        let mut start = cut;
        while !self.0.is_char_boundary(start) {
            start += 1;
        }
        Self(self.0[start..].to_string())
    }
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

    fn key(body: &str) -> EventKey {
        WebhookEvent::parse(body.as_bytes()).unwrap().key()
    }

    const POSTED: &str = r#"{"messages":[{"id":"m1","chat_id":"1@s.whatsapp.net","type":"text","text":{"body":"hi"}}],"event":{"type":"messages","event":"post"},"channel_id":"CH"}"#;

    #[test]
    fn a_redelivered_message_has_the_same_key_even_when_other_fields_differ() {
        let again = POSTED.replace(r#""type":"text""#, r#""status":"read","type":"text""#);
        assert_eq!(key(POSTED), key(&again));
        assert_eq!(key(POSTED).as_str(), "CH/messages/post/m1");
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
    fn two_changes_of_one_chat_are_two_events() {
        let a = r#"{"chats_updates":[{"before_update":{"id":"c"},"after_update":{"id":"c","name":"a"}}],"event":{"type":"chats","event":"patch"}}"#;
        let b = a.replace(r#""name":"a""#, r#""name":"b""#);
        assert_ne!(key(a), key(&b));
        assert!(key(a).as_str().contains("body:"));
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
        assert!(k.as_str().len() <= 200, "{}", k.as_str().len());
        assert!(k.as_str().contains("sha256:"));
    }
}
