//! A message's content as one typed view, the same for a message an answer
//! holds (`get_message`, `get_messages`) and one a webhook delivers.

use crate::types::{
    ButtonsReply, ListReply, Message, MessageAction, MessageContent, MessageContentAudio,
    MessageContentButtons, MessageContentContact, MessageContentContacts, MessageContentDocument,
    MessageContentEvent, MessageContentHsm, MessageContentImage, MessageContentInteractive,
    MessageContentLinkPreview, MessageContentList, MessageContentLiveLocation,
    MessageContentLocationReceived, MessageContentNewsletterAdminInvite, MessageContentOrder,
    MessageContentPoll, MessageContentProduct, MessageContentReply, MessageContentSticker,
    MessageContentSystem, MessageContentText, MessageContentVideo,
};

/// A message's content, chosen by its `type`. Borrowed from the [`Message`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum MessageBody<'a> {
    /// `text`.
    Text(&'a MessageContentText),
    /// `image`.
    Image(&'a MessageContentImage),
    /// `video`.
    Video(&'a MessageContentVideo),
    /// `gif`.
    Gif(&'a MessageContentVideo),
    /// `short` (video note).
    Short(&'a MessageContentVideo),
    /// `audio`.
    Audio(&'a MessageContentAudio),
    /// `voice`.
    Voice(&'a MessageContentAudio),
    /// `document`.
    Document(&'a MessageContentDocument),
    /// `sticker`.
    Sticker(&'a MessageContentSticker),
    /// `link_preview`.
    LinkPreview(&'a MessageContentLinkPreview),
    /// `group_invite`, `newsletter_invite`, `catalog`: a link preview of an
    /// invite or a catalog.
    Invite(&'a MessageContentLinkPreview),
    /// `location`.
    Location(&'a MessageContentLocationReceived),
    /// `live_location`.
    LiveLocation(&'a MessageContentLiveLocation),
    /// `contact`.
    Contact(&'a MessageContentContact),
    /// `contact_list`.
    ContactList(&'a MessageContentContacts),
    /// `poll`.
    Poll(&'a MessageContentPoll),
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
        /// Its new content (every field the service sent).
        content: Option<&'a MessageContent>,
    },
    /// A poll vote (`action` of type `vote`).
    Vote {
        /// The poll.
        target: Option<&'a str>,
        /// The options chosen.
        votes: &'a [String],
    },
    /// Another `action` (pin, comment, …).
    Action(&'a MessageAction),
    /// `interactive` (buttons, lists, carousels).
    Interactive(&'a MessageContentInteractive),
    /// A button pressed (`reply` of type `buttons_reply`).
    ButtonReply(&'a ButtonsReply),
    /// A list row chosen (`reply` of type `list_reply`).
    ListReply(&'a ListReply),
    /// `buttons`.
    Buttons(&'a MessageContentButtons),
    /// `list`.
    List(&'a MessageContentList),
    /// `hsm` (template).
    Hsm(&'a MessageContentHsm),
    /// `order`: an order placed from a catalog.
    Order(&'a MessageContentOrder),
    /// `product`.
    Product(&'a MessageContentProduct),
    /// `system`.
    System(&'a MessageContentSystem),
    /// `event` (a scheduled event).
    Event(&'a MessageContentEvent),
    /// `admin_invite` (to administer a newsletter).
    AdminInvite(&'a MessageContentNewsletterAdminInvite),
    /// A type this version does not know, or a known type without its
    /// content. A webhook's item keeps its raw JSON for these.
    Unknown {
        /// The `type` as sent (empty when left out).
        kind: &'a str,
    },
}

/// The file of an image, video, GIF, short, audio, voice, document or
/// sticker message: what every kind has, for downloading or sending it on.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct MessageMedia<'a> {
    /// Media id, for `get_media` (empty when left out).
    pub id: &'a str,
    /// Download link, when the service gives one.
    pub link: Option<&'a str>,
    /// MIME type (empty when left out).
    pub mime_type: &'a str,
    /// Size in bytes (0 when left out).
    pub file_size: i64,
    /// Caption (images, videos, documents).
    pub caption: Option<&'a str>,
    /// File name, when the service gives one.
    pub file_name: Option<&'a str>,
}

/// Reads the fields every kind of media shares through its accessors.
macro_rules! media_of {
    ($content:expr, caption: $caption:expr) => {{
        let content = $content;
        MessageMedia {
            id: content.id().as_str(),
            link: content.link(),
            mime_type: content.mime_type(),
            file_size: content.file_size(),
            caption: $caption(content),
            file_name: content.file_name(),
        }
    }};
}

impl Message {
    /// The content, by the message's `type`.
    pub fn body<'a>(&'a self) -> MessageBody<'a> {
        use MessageBody as B;
        let kind = self.kind();
        let unknown = B::Unknown { kind };
        let pick = |content: Option<MessageBody<'a>>| content.unwrap_or(unknown);
        match kind {
            "text" => pick(self.text().map(B::Text)),
            "image" => pick(self.image().map(B::Image)),
            "video" => pick(self.video().map(B::Video)),
            "gif" => pick(self.gif().map(B::Gif)),
            "short" => pick(self.short().map(B::Short)),
            "audio" => pick(self.audio().map(B::Audio)),
            "voice" => pick(self.voice().or(self.audio()).map(B::Voice)),
            "document" | "documentWithCaption" => pick(self.document().map(B::Document)),
            "sticker" => pick(self.sticker().map(B::Sticker)),
            "link_preview" => pick(self.link_preview().map(B::LinkPreview)),
            "group_invite" => pick(self.group_invite().map(B::Invite)),
            "newsletter_invite" => pick(self.newsletter_invite().map(B::Invite)),
            "catalog" => pick(self.catalog().map(B::Invite)),
            "location" => pick(self.location().map(B::Location)),
            "live_location" => pick(self.live_location().map(B::LiveLocation)),
            "contact" => pick(self.contact().map(B::Contact)),
            "contact_list" => pick(self.contact_list().map(B::ContactList)),
            "poll" => pick(self.poll().map(B::Poll)),
            "revoked" => B::Revoked {
                target: self.action().and_then(MessageAction::target),
            },
            "action" => self.action().map_or(unknown, action_body),
            "interactive" => pick(self.interactive().map(B::Interactive)),
            "reply" => pick(self.reply().and_then(reply_body)),
            "buttons" => pick(self.buttons().map(B::Buttons)),
            "list" => pick(self.list().map(B::List)),
            "hsm" => pick(self.hsm().map(B::Hsm)),
            "order" => pick(self.order().map(B::Order)),
            "product" => pick(self.product().map(B::Product)),
            "system" => pick(self.system().map(B::System)),
            "event" => pick(self.event().map(B::Event)),
            "admin_invite" => pick(self.admin_invite().map(B::AdminInvite)),
            _ => unknown,
        }
    }

    /// The text a person would read: a text's body, a media caption, a link
    /// preview's text, a poll's title, a location's caption or name (`None`
    /// when it has none: a sticker, a reaction).
    pub fn text_or_caption(&self) -> Option<&str> {
        let said = match self.body() {
            MessageBody::Text(t) => Some(t.body()),
            MessageBody::LinkPreview(l) | MessageBody::Invite(l) => Some(l.body()),
            MessageBody::Poll(p) => Some(p.title()),
            MessageBody::Location(l) => l.name().or(l.address()),
            MessageBody::LiveLocation(l) => l.caption(),
            _ => self.media().and_then(|m| m.caption),
        };
        said.filter(|said| !said.is_empty())
    }

    /// The file of an image, video, GIF, short, audio, voice, document or
    /// sticker message.
    pub fn media(&self) -> Option<MessageMedia<'_>> {
        Some(match self.body() {
            MessageBody::Image(m) => media_of!(m, caption: MessageContentImage::caption),
            MessageBody::Video(m) | MessageBody::Gif(m) | MessageBody::Short(m) => {
                media_of!(m, caption: MessageContentVideo::caption)
            }
            MessageBody::Audio(m) | MessageBody::Voice(m) => media_of!(m, caption: |_| None),
            MessageBody::Document(m) => media_of!(m, caption: MessageContentDocument::caption),
            MessageBody::Sticker(m) => media_of!(m, caption: |_| None),
            _ => return None,
        })
    }

    /// The id of the button pressed or the list row chosen, for a bot to
    /// match on: the id it gave the button or row when it sent them. The
    /// service prefixes it with the kind of menu it showed (`ButtonsV3:`,
    /// `ListV3:`; a menu of four options or more becomes a list): the
    /// prefix is removed here and kept in the reply's `id`.
    pub fn choice_id(&self) -> Option<&str> {
        let id = match self.body() {
            MessageBody::ButtonReply(b) => b.id()?,
            MessageBody::ListReply(l) => l.id()?,
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
    pub fn quoted_id(&self) -> Option<&crate::ids::MessageId> {
        self.context()?.quoted_id()
    }
}

/// What the service puts before the id of a button or a list row.
const MENU_PREFIXES: [&str; 2] = ["ButtonsV3:", "ListV3:"];

/// A reply's choice, by its `type` or, without one, by what it holds.
fn reply_body(reply: &MessageContentReply) -> Option<MessageBody<'_>> {
    let button = reply.buttons_reply().map(MessageBody::ButtonReply);
    let row = reply.list_reply().map(MessageBody::ListReply);
    match reply.kind() {
        Some("list_reply") => row.or(button),
        _ => button.or(row),
    }
}

fn action_body(action: &MessageAction) -> MessageBody<'_> {
    let target = action.target();
    match action.kind() {
        "reaction" => MessageBody::Reaction {
            emoji: action.emoji(),
            target,
        },
        "delete" | "revoke" => MessageBody::Revoked { target },
        "edit" => MessageBody::Edited {
            target,
            content: action.edited_content(),
        },
        "vote" => MessageBody::Vote {
            target,
            votes: action.votes(),
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
            (m.text_or_caption(), m.chat_id().as_str(), m.from_me()),
            (Some("hi"), "1@s.whatsapp.net", false)
        );
        assert_eq!(m.text().map(MessageContentText::body), Some("hi"));
        assert_eq!((m.id().as_str(), m.kind(), m.from()), ("", "text", None));
        let m = message(
            r#"{"type":"image","image":{"id":"jpeg-1","caption":"a cat","file_size":"2048"}}"#,
        );
        assert_eq!(m.text_or_caption(), Some("a cat"));
        assert!(m.text().is_none(), "an image has no text content");
        let media = m.media().unwrap();
        assert_eq!((media.id, media.file_size), ("jpeg-1", 2048));
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
            matches!(edit.body(), MessageBody::Edited { content: Some(c), .. } if c.get("body") == Some(&serde_json::json!("new"))),
            "{:?}",
            edit.body()
        );
        let vote =
            message(r#"{"type":"action","action":{"type":"vote","target":"p","votes":["a"]}}"#);
        assert!(matches!(vote.body(), MessageBody::Vote { votes, .. } if votes == ["a"]));
    }

    #[test]
    fn replies_to_buttons_and_lists_give_the_choice() {
        let button = message(
            r#"{"type":"reply","reply":{"type":"buttons_reply","buttons_reply":{"id":"ButtonsV3:yes","title":"Yes"}}}"#,
        );
        assert_eq!(button.choice_id(), Some("yes"));
        let row = message(
            r#"{"type":"reply","reply":{"type":"list_reply","list_reply":{"id":"ListV3:pizza","title":"Pizza"}}}"#,
        );
        assert_eq!(row.choice_id(), Some("pizza"));
        assert!(matches!(row.body(), MessageBody::ListReply(l) if l.title() == Some("Pizza")));
    }

    #[test]
    fn unknown_types_and_missing_content_are_unknown() {
        assert!(matches!(
            message(r#"{"type":"hologram"}"#).body(),
            MessageBody::Unknown { kind: "hologram" }
        ));
        assert!(matches!(
            message(r#"{"type":"image"}"#).body(),
            MessageBody::Unknown { kind: "image" }
        ));
        assert!(matches!(
            message(r#"{}"#).body(),
            MessageBody::Unknown { kind: "" }
        ));
    }

    #[test]
    fn an_object_where_text_belongs_is_absent_and_the_rest_is_read() {
        let m = message(
            r#"{"id":"m1","type":"text","status":{},"source":[1],"chat_id":{"x":1},"text":{"body":"hi"},"image":{"id":{"a":1},"caption":"c"}}"#,
        );
        assert_eq!(
            (m.id().as_str(), m.kind(), m.status()),
            ("m1", "text", None)
        );
        assert_eq!((m.source(), m.chat_id().as_str()), (None, ""));
        assert_eq!(m.text_or_caption(), Some("hi"));
        assert_eq!(m.image().map(|i| i.id().as_str()), Some(""));
        let chat: crate::types::Chat =
            serde_json::from_str(r#"{"id":{"no":1},"name":"n","labels":[{"id":{}},{"id":"2"}]}"#)
                .unwrap();
        assert_eq!((chat.id().as_str(), chat.name()), ("", Some("n")));
        assert_eq!(
            chat.labels().len(),
            2,
            "a label whose id is unreadable is kept, without its id"
        );
    }

    #[test]
    fn answers_of_inline_schemas_and_maps_read_leniently_too() {
        let changed: crate::types::ResponseListParticipants = serde_json::from_str(
            r#"{"failed":[1234567890,"15550100001",{}],"processed":null,"success":"true"}"#,
        )
        .unwrap();
        let failed: Vec<&str> = changed.failed.iter().map(|id| id.as_str()).collect();
        assert_eq!(failed, ["1234567890", "15550100001"]);
        assert_eq!((changed.processed.len(), changed.success), (0, Some(true)));
        let lids: crate::types::Lids =
            serde_json::from_str(r#"{"x":null,"y":{"lid":"1@lid"}}"#).unwrap();
        assert_eq!(lids.len(), 1);
        let settings: crate::types::SettingsReceived =
            serde_json::from_str(r#"{"webhooks":[{"url":"https://x","headers":null}]}"#).unwrap();
        assert_eq!(settings.webhooks.map(|w| w.0.len()), Some(1));
    }

    #[test]
    fn what_the_service_sends_off_the_spec_reads_leniently() {
        let m = message(
            r#"{"id":7,"type":"text","text":{"body":42},"from_me":"1","timestamp":"1700000000","status":"hologram","context":"x"}"#,
        );
        assert_eq!(
            (m.id().as_str(), m.from_me(), m.timestamp()),
            ("7", true, 1.7e9)
        );
        assert_eq!(
            (m.text_or_caption(), m.status()),
            (Some("42"), Some("hologram"))
        );
        assert!(m.context().is_none());
    }
}
