//! What a message holds, by its type.

use serde_json::value::RawValue;

use super::model::{
    Action, ButtonReply, ContactCard, ContactList, LinkPreview, ListReply, Location, Media,
    Message, Order, Poll, Reply, Text,
};

/// A message's content, chosen by its `type`. Borrowed from the [`Message`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum MessageBody<'a> {
    /// `text`.
    Text(&'a Text),
    /// `image`.
    Image(&'a Media),
    /// `video`.
    Video(&'a Media),
    /// `gif`.
    Gif(&'a Media),
    /// `short` (video note).
    Short(&'a Media),
    /// `audio`.
    Audio(&'a Media),
    /// `voice`.
    Voice(&'a Media),
    /// `document`.
    Document(&'a Media),
    /// `sticker`.
    Sticker(&'a Media),
    /// `link_preview`.
    LinkPreview(&'a LinkPreview),
    /// `group_invite`, `newsletter_invite`, `catalog`: a link preview of an
    /// invite or a catalog.
    Invite(&'a LinkPreview),
    /// `location`.
    Location(&'a Location),
    /// `live_location`.
    LiveLocation(&'a Location),
    /// `contact`.
    Contact(&'a ContactCard),
    /// `contact_list`.
    ContactList(&'a ContactList),
    /// `poll`.
    Poll(&'a Poll),
    /// A reaction (`action` of type `reaction`); an empty emoji removes one.
    Reaction {
        /// The emoji.
        emoji: Option<&'a str>,
        /// The message reacted to.
        target: Option<&'a str>,
    },
    /// A deleted message (`revoked`, or `action` of type `delete`).
    Revoked {
        /// The message deleted.
        target: Option<&'a str>,
    },
    /// An edit (`action` of type `edit`).
    Edited {
        /// The message edited.
        target: Option<&'a str>,
        /// Its new content.
        content: Option<&'a RawValue>,
    },
    /// A poll vote (`action` of type `vote`).
    Vote {
        /// The poll.
        target: Option<&'a str>,
        /// The options chosen.
        votes: &'a [String],
    },
    /// Another `action` (pin, comment, …).
    Action(&'a Action),
    /// `interactive` (buttons, lists, carousels), kept as JSON.
    Interactive(Option<&'a RawValue>),
    /// A button pressed (`reply` of type `buttons_reply`).
    ButtonReply(&'a ButtonReply),
    /// A list row chosen (`reply` of type `list_reply`).
    ListReply(&'a ListReply),
    /// `buttons`, kept as JSON.
    Buttons(Option<&'a RawValue>),
    /// `list`, kept as JSON.
    List(Option<&'a RawValue>),
    /// `hsm` (template), kept as JSON.
    Hsm(Option<&'a RawValue>),
    /// `order`: an order placed from a catalog.
    Order(&'a Order),
    /// `product`, kept as JSON.
    Product(Option<&'a RawValue>),
    /// `system`, kept as JSON.
    System(Option<&'a RawValue>),
    /// `event` (a scheduled event), kept as JSON.
    Event(Option<&'a RawValue>),
    /// `admin_invite` (to administer a newsletter), kept as JSON.
    AdminInvite(Option<&'a RawValue>),
    /// A type this version does not know, or a known type without its
    /// content: the message's raw JSON has everything.
    Unknown {
        /// The `type` as sent.
        kind: Option<&'a str>,
    },
}

impl Message {
    /// The content, by the message's `type`.
    pub fn body(&self) -> MessageBody<'_> {
        use MessageBody as B;
        let kind = self.kind.as_deref();
        let unknown = B::Unknown { kind };
        match kind.unwrap_or_default() {
            "text" => self.text.as_ref().map_or(unknown, B::Text),
            "image" => self.image.as_ref().map_or(unknown, B::Image),
            "video" => self.video.as_ref().map_or(unknown, B::Video),
            "gif" => self.gif.as_ref().map_or(unknown, B::Gif),
            "short" => self.short.as_ref().map_or(unknown, B::Short),
            "audio" => self.audio.as_ref().map_or(unknown, B::Audio),
            "voice" => self.voice.as_ref().map_or(unknown, B::Voice),
            "document" | "documentWithCaption" => {
                self.document.as_ref().map_or(unknown, B::Document)
            }
            "sticker" => self.sticker.as_ref().map_or(unknown, B::Sticker),
            "link_preview" => self.link_preview.as_ref().map_or(unknown, B::LinkPreview),
            "group_invite" => self.group_invite.as_ref().map_or(unknown, B::Invite),
            "newsletter_invite" => self.newsletter_invite.as_ref().map_or(unknown, B::Invite),
            "catalog" => self.catalog.as_ref().map_or(unknown, B::Invite),
            "location" => self.location.as_ref().map_or(unknown, B::Location),
            "live_location" => self.live_location.as_ref().map_or(unknown, B::LiveLocation),
            "contact" => self.contact.as_ref().map_or(unknown, B::Contact),
            "contact_list" => self.contact_list.as_ref().map_or(unknown, B::ContactList),
            "poll" => self.poll.as_ref().map_or(unknown, B::Poll),
            "revoked" => B::Revoked {
                target: self.action.as_ref().and_then(|a| a.target.as_deref()),
            },
            "action" => self.action.as_ref().map_or(unknown, action_body),
            "interactive" => B::Interactive(self.interactive.as_deref()),
            "reply" => self.reply.as_ref().and_then(reply_body).unwrap_or(unknown),
            "buttons" => B::Buttons(self.buttons.as_deref()),
            "list" => B::List(self.list.as_deref()),
            "hsm" => B::Hsm(self.hsm.as_deref()),
            "order" => self.order.as_ref().map_or(unknown, B::Order),
            "product" => B::Product(self.product.as_deref()),
            "system" => B::System(self.system.as_deref()),
            "event" => B::Event(self.event.as_deref()),
            "admin_invite" => B::AdminInvite(self.admin_invite.as_deref()),
            _ => unknown,
        }
    }

    /// The message id (empty when the service left it out), as the
    /// answers' `Message::id` reads it.
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or("")
    }

    /// The message type (`text`, `image`, …; empty when left out): see
    /// [`Message::body`] for the content it picks.
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("")
    }

    /// The sender's WhatsApp id, when the service gives it.
    pub fn from(&self) -> Option<&str> {
        self.from.as_deref()
    }

    /// A text message's content, as the answers' `Message::text` reads it
    /// (see [`Message::text_or_caption`] for what any message says).
    pub fn text(&self) -> Option<&Text> {
        match self.body() {
            MessageBody::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The text a person would read: a text's body, a media caption, a link
    /// preview's text, a poll's title, a location's caption or name; as the
    /// answers' `Message::text_or_caption` reads it.
    pub fn text_or_caption(&self) -> Option<&str> {
        match self.body() {
            MessageBody::Text(t) => t.body.as_deref(),
            MessageBody::LinkPreview(l) | MessageBody::Invite(l) => l.body.as_deref(),
            MessageBody::Poll(p) => p.title.as_deref(),
            MessageBody::Location(l) | MessageBody::LiveLocation(l) => {
                l.caption.as_deref().or(l.name.as_deref())
            }
            _ => self.media().and_then(|m| m.caption.as_deref()),
        }
    }

    /// The media of an image, video, GIF, short, audio, voice, document or
    /// sticker message.
    pub fn media(&self) -> Option<&Media> {
        match self.body() {
            MessageBody::Image(m)
            | MessageBody::Video(m)
            | MessageBody::Gif(m)
            | MessageBody::Short(m)
            | MessageBody::Audio(m)
            | MessageBody::Voice(m)
            | MessageBody::Document(m)
            | MessageBody::Sticker(m) => Some(m),
            _ => None,
        }
    }

    /// The id of the button pressed or the list row chosen, for a bot to
    /// match on: the id it gave the button or row when it sent them. The
    /// service prefixes it with the kind of menu it showed (`ButtonsV3:`,
    /// `ListV3:`; a menu of four options or more becomes a list): the
    /// prefix is removed here and kept in the reply's `id`.
    pub fn choice_id(&self) -> Option<&str> {
        let id = match self.body() {
            MessageBody::ButtonReply(b) => b.id.as_deref()?,
            MessageBody::ListReply(l) => l.id.as_deref()?,
            _ => return None,
        };
        Some(
            MENU_PREFIXES
                .iter()
                .find_map(|p| id.strip_prefix(p))
                .unwrap_or(id),
        )
    }

    /// The message this one quotes (a reply to it, a button pressed under
    /// it).
    pub fn quoted_id(&self) -> Option<&str> {
        self.context.as_ref()?.quoted_id.as_deref()
    }

    /// The chat it belongs to (empty when the service left it out), as the
    /// answers' `Message::chat_id` reads it.
    pub fn chat_id(&self) -> &str {
        self.chat_id.as_deref().unwrap_or("")
    }

    /// Whether the channel itself sent it (absent counts as not).
    pub fn from_me(&self) -> bool {
        self.from_me.unwrap_or(false)
    }
}

/// What the service puts before the id of a button or a list row.
const MENU_PREFIXES: [&str; 2] = ["ButtonsV3:", "ListV3:"];

/// A reply's choice, by its `type` or, without one, by what it holds.
fn reply_body(reply: &Reply) -> Option<MessageBody<'_>> {
    let button = reply.buttons_reply.as_ref().map(MessageBody::ButtonReply);
    let row = reply.list_reply.as_ref().map(MessageBody::ListReply);
    match reply.kind.as_deref() {
        Some("list_reply") => row.or(button),
        _ => button.or(row),
    }
}

fn action_body(action: &Action) -> MessageBody<'_> {
    let target = action.target.as_deref();
    match action.kind.as_deref().unwrap_or_default() {
        "reaction" => MessageBody::Reaction {
            emoji: action.emoji.as_deref(),
            target,
        },
        "delete" | "revoke" => MessageBody::Revoked { target },
        "edit" => MessageBody::Edited {
            target,
            content: action.edited_content.as_deref(),
        },
        "vote" => MessageBody::Vote {
            target,
            votes: &action.votes,
        },
        _ => MessageBody::Action(action),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(json: &str) -> Message {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn picks_the_content_by_type() {
        let m = message(
            r#"{"type":"text","text":{"body":"hi"},"chat_id":"1@s.whatsapp.net","from_me":false}"#,
        );
        assert!(matches!(m.body(), MessageBody::Text(t) if t.body() == "hi"));
        assert_eq!(
            (m.text_or_caption(), m.chat_id(), m.from_me()),
            (Some("hi"), "1@s.whatsapp.net", false)
        );
        assert_eq!(m.text().map(Text::body), Some("hi"));
        assert_eq!((m.id(), m.kind(), m.from()), ("", "text", None));
        let m = message(
            r#"{"type":"image","image":{"id":"jpeg-1","caption":"a cat","file_size":"2048"}}"#,
        );
        assert_eq!(m.text_or_caption(), Some("a cat"));
        assert!(m.text().is_none(), "an image is no text message");
        assert_eq!(m.media().and_then(|i| i.file_size), Some(2048));
    }

    #[test]
    fn actions_become_reactions_revocations_edits_and_votes() {
        let reaction =
            message(r#"{"type":"action","action":{"type":"reaction","emoji":"👍","target":"m1"}}"#);
        assert!(matches!(
            reaction.body(),
            MessageBody::Reaction {
                emoji: Some("👍"),
                target: Some("m1")
            }
        ));
        let deleted = message(r#"{"type":"action","action":{"type":"delete","target":"m2"}}"#);
        assert!(matches!(
            deleted.body(),
            MessageBody::Revoked { target: Some("m2") }
        ));
        let edit = message(
            r#"{"type":"action","action":{"type":"edit","target":"m3","edited_content":{"body":"new"}}}"#,
        );
        assert!(
            matches!(edit.body(), MessageBody::Edited { content: Some(c), .. } if c.get() == r#"{"body":"new"}"#)
        );
        let vote =
            message(r#"{"type":"action","action":{"type":"vote","target":"p","votes":["a"]}}"#);
        assert!(matches!(vote.body(), MessageBody::Vote { votes, .. } if votes == ["a"]));
    }

    #[test]
    fn unknown_types_and_missing_content_are_unknown() {
        assert!(matches!(
            message(r#"{"type":"hologram"}"#).body(),
            MessageBody::Unknown {
                kind: Some("hologram")
            }
        ));
        assert!(matches!(
            message(r#"{"type":"image"}"#).body(),
            MessageBody::Unknown {
                kind: Some("image")
            }
        ));
        assert!(matches!(
            message(r#"{}"#).body(),
            MessageBody::Unknown { kind: None }
        ));
    }
}
