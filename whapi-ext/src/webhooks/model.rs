//! The typed data of webhook events. Every field is optional and read
//! leniently (see [`lenient`](super::lenient)); the raw JSON of each item
//! stays available through [`Typed::raw`].

use serde::Deserialize;
use serde_json::value::RawValue;

use super::lenient;

/// Declares a struct of lenient fields. Field kinds: `string`, `int`,
/// `float`, `bool`, `object<T>` (a nested struct), `objects<T>` (a list of
/// them), `strings` (a list of ids), `raw` (any JSON, kept as written).
/// `field as "json": string` renames a field.
macro_rules! lenient_struct {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        lenient_struct!(@munch [$(#[$meta])*] $name [] $($body)*);
    };
    (@munch [$($meta:tt)*] $name:ident [$($out:tt)*]) => {
        $($meta)*
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(default)]
        #[non_exhaustive]
        pub struct $name { $($out)* }
    };
    (@munch $m:tt $name:ident [$($out:tt)*] $(#[$f:meta])* $field:ident as $json:literal : string, $($rest:tt)*) => {
        lenient_struct!(@munch $m $name [$($out)* $(#[$f])* #[serde(rename = $json, deserialize_with = "lenient::string")] pub $field: Option<String>,] $($rest)*);
    };
    (@munch $m:tt $name:ident [$($out:tt)*] $(#[$f:meta])* $field:ident : string, $($rest:tt)*) => {
        lenient_struct!(@munch $m $name [$($out)* $(#[$f])* #[serde(deserialize_with = "lenient::string")] pub $field: Option<String>,] $($rest)*);
    };
    (@munch $m:tt $name:ident [$($out:tt)*] $(#[$f:meta])* $field:ident : int, $($rest:tt)*) => {
        lenient_struct!(@munch $m $name [$($out)* $(#[$f])* #[serde(deserialize_with = "lenient::int")] pub $field: Option<i64>,] $($rest)*);
    };
    (@munch $m:tt $name:ident [$($out:tt)*] $(#[$f:meta])* $field:ident : float, $($rest:tt)*) => {
        lenient_struct!(@munch $m $name [$($out)* $(#[$f])* #[serde(deserialize_with = "lenient::float")] pub $field: Option<f64>,] $($rest)*);
    };
    (@munch $m:tt $name:ident [$($out:tt)*] $(#[$f:meta])* $field:ident : bool, $($rest:tt)*) => {
        lenient_struct!(@munch $m $name [$($out)* $(#[$f])* #[serde(deserialize_with = "lenient::bool")] pub $field: Option<bool>,] $($rest)*);
    };
    (@munch $m:tt $name:ident [$($out:tt)*] $(#[$f:meta])* $field:ident : strings, $($rest:tt)*) => {
        lenient_struct!(@munch $m $name [$($out)* $(#[$f])* #[serde(deserialize_with = "lenient::strings")] pub $field: Vec<String>,] $($rest)*);
    };
    (@munch $m:tt $name:ident [$($out:tt)*] $(#[$f:meta])* $field:ident : raw, $($rest:tt)*) => {
        lenient_struct!(@munch $m $name [$($out)* $(#[$f])* #[serde(deserialize_with = "raw")] pub $field: Option<Box<RawValue>>,] $($rest)*);
    };
    (@munch $m:tt $name:ident [$($out:tt)*] $(#[$f:meta])* $field:ident : object<$t:ty>, $($rest:tt)*) => {
        lenient_struct!(@munch $m $name [$($out)* $(#[$f])* #[serde(deserialize_with = "lenient::object")] pub $field: Option<$t>,] $($rest)*);
    };
    (@munch $m:tt $name:ident [$($out:tt)*] $(#[$f:meta])* $field:ident : objects<$t:ty>, $($rest:tt)*) => {
        lenient_struct!(@munch $m $name [$($out)* $(#[$f])* #[serde(deserialize_with = "lenient::objects")] pub $field: Vec<$t>,] $($rest)*);
    };
}

/// Any JSON value, kept as written; `null` is absent.
fn raw<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    let value = Box::<RawValue>::deserialize(d)?;
    Ok((value.get() != "null").then_some(value))
}

lenient_struct! {
    /// A message, as `messages.post` and `messages.put` send it.
    pub struct Message {
        /// Message id.
        id: string,
        /// Message type (`text`, `image`, …): see [`Message::body`].
        kind as "type": string,
        /// Message subtype.
        subtype: string,
        /// The chat it belongs to.
        chat_id: string,
        /// The chat's name.
        chat_name: string,
        /// The sender's WhatsApp id.
        from: string,
        /// Whether the channel sent it.
        from_me: bool,
        /// The sender's push name.
        from_name: string,
        /// Where it was sent from (`web`, `mobile`, `api`, …).
        source: string,
        /// Unix time, seconds.
        timestamp: int,
        /// Delivery status.
        status: string,
        /// Sending device.
        device_id: int,
        /// Text content.
        text: object<Text>,
        /// Image content.
        image: object<Media>,
        /// Video content.
        video: object<Media>,
        /// Short video content.
        short: object<Media>,
        /// GIF content.
        gif: object<Media>,
        /// Audio content.
        audio: object<Media>,
        /// Voice note content.
        voice: object<Media>,
        /// Document content.
        document: object<Media>,
        /// Sticker content.
        sticker: object<Media>,
        /// Link preview content.
        link_preview: object<LinkPreview>,
        /// Group invite content.
        group_invite: object<LinkPreview>,
        /// Newsletter invite content.
        newsletter_invite: object<LinkPreview>,
        /// Catalog content.
        catalog: object<LinkPreview>,
        /// Location content.
        location: object<Location>,
        /// Live location content.
        live_location: object<Location>,
        /// Contact card content.
        contact: object<ContactCard>,
        /// Contact list content.
        contact_list: object<ContactList>,
        /// Poll content.
        poll: object<Poll>,
        /// Reaction, deletion, edit or vote.
        action: object<Action>,
        /// Quoting, forwarding, mentions.
        context: object<Context>,
        /// Interactive content (buttons, lists, carousels).
        interactive: raw,
        /// A reply to interactive content: the button pressed, the list
        /// row chosen.
        reply: object<Reply>,
        /// Buttons content.
        buttons: raw,
        /// List content.
        list: raw,
        /// Template (HSM) content.
        hsm: raw,
        /// Order content.
        order: object<Order>,
        /// Product content.
        product: raw,
        /// Product items content.
        product_items: raw,
        /// System message content.
        system: raw,
        /// Event content.
        event: raw,
        /// Newsletter admin invite content.
        admin_invite: raw,
    }
}

lenient_struct! {
    /// Text content.
    pub struct Text {
        /// The text.
        body: string,
        /// Whether it can be viewed once only.
        view_once: bool,
    }
}

lenient_struct! {
    /// Image, video, GIF, short, audio, voice, document or sticker content.
    pub struct Media {
        /// Media id, for `GET /media/{MediaID}`.
        id: string,
        /// Download link.
        link: string,
        /// MIME type.
        mime_type: string,
        /// Size in bytes.
        file_size: int,
        /// File name (documents).
        file_name: string,
        /// SHA-256 of the file.
        sha256: string,
        /// Caption.
        caption: string,
        /// Preview (base64 thumbnail).
        preview: string,
        /// Width in pixels.
        width: int,
        /// Height in pixels.
        height: int,
        /// Duration in seconds (audio, video).
        seconds: int,
        /// Unix time, seconds.
        timestamp: int,
        /// Whether it can be viewed once only.
        view_once: bool,
        /// Whether a sticker is animated.
        animated: bool,
    }
}

lenient_struct! {
    /// Link preview, invite or catalog content.
    pub struct LinkPreview {
        /// The text holding the link.
        body: string,
        /// The link.
        url: string,
        /// Preview media id.
        id: string,
        /// Title.
        title: string,
        /// Description.
        description: string,
        /// Canonical URL.
        canonical: string,
        /// Preview image (base64).
        preview: string,
        /// Group invite code.
        invite_code: string,
        /// Newsletter id.
        newsletter_id: string,
        /// Catalog owner.
        catalog_id: string,
    }
}

lenient_struct! {
    /// Location or live location content.
    pub struct Location {
        /// Latitude.
        latitude: float,
        /// Longitude.
        longitude: float,
        /// Address.
        address: string,
        /// Place name.
        name: string,
        /// Place URL.
        url: string,
        /// Accuracy in metres (live).
        accuracy: int,
        /// Speed (live).
        speed: int,
        /// Heading in degrees (live).
        degrees: int,
        /// Comment (live).
        comment: string,
        /// Caption.
        caption: string,
    }
}

lenient_struct! {
    /// A contact card.
    pub struct ContactCard {
        /// Display name.
        name: string,
        /// vCard text.
        vcard: string,
    }
}

lenient_struct! {
    /// A list of contact cards.
    pub struct ContactList {
        /// The cards.
        list: objects<ContactCard>,
    }
}

lenient_struct! {
    /// Poll content.
    pub struct Poll {
        /// The question.
        title: string,
        /// The options.
        options: strings,
        /// How many options a voter may choose.
        vote_limit: int,
        /// Votes in all.
        total: int,
        /// Votes per option.
        results: objects<PollResult>,
    }
}

lenient_struct! {
    /// Votes for one poll option.
    pub struct PollResult {
        /// Option id.
        id: string,
        /// Option text.
        name: string,
        /// Votes.
        count: int,
        /// Who voted for it.
        voters: strings,
    }
}

lenient_struct! {
    /// A reaction, deletion, edit or poll vote on another message.
    pub struct Action {
        /// `reaction`, `delete`, `edit`, `vote`, …
        kind as "type": string,
        /// The message acted on.
        target: string,
        /// Reaction emoji (empty: reaction removed).
        emoji: string,
        /// Disappearing-messages timer.
        ephemeral: int,
        /// Chosen poll options.
        votes: strings,
        /// Comment.
        comment: string,
        /// The edited message's type.
        edited_type: string,
        /// The edited message's new content.
        edited_content: raw,
    }
}

lenient_struct! {
    /// A person's answer to interactive content (`reply` messages).
    pub struct Reply {
        /// `buttons_reply` or `list_reply`.
        kind as "type": string,
        /// The button pressed.
        buttons_reply: object<ButtonReply>,
        /// The list row chosen.
        list_reply: object<ListReply>,
    }
}

lenient_struct! {
    /// The button a person pressed.
    pub struct ButtonReply {
        /// The button's id, as sent in the interactive message.
        id: string,
        /// The button's text.
        title: string,
    }
}

lenient_struct! {
    /// The list row a person chose.
    pub struct ListReply {
        /// The row's id, as sent in the interactive message.
        id: string,
        /// The row's title.
        title: string,
        /// The row's description.
        description: string,
    }
}

lenient_struct! {
    /// An order placed from a catalog (`order` messages).
    pub struct Order {
        /// The order's id (for `GET /business/orders/{OrderID}`).
        order_id: string,
        /// The seller's contact id.
        seller: string,
        /// The order's title.
        title: string,
        /// The buyer's message.
        text: string,
        /// The secret token the order's items are read with.
        token: string,
        /// Products ordered, counting quantities.
        item_count: int,
        /// ISO 4217 currency code.
        currency: string,
        /// The total, in `currency`.
        total_price: float,
        /// `new`, `accepted` or `canceled`.
        status: string,
        /// A JPEG preview, base64.
        preview: string,
    }
}

lenient_struct! {
    /// Quoting, forwarding and mentions.
    pub struct Context {
        /// Whether it was forwarded.
        forwarded: bool,
        /// How often it was forwarded.
        forwarding_score: int,
        /// Mentioned users.
        mentions: strings,
        /// The quoted message.
        quoted_id: string,
        /// The quoted message's type.
        quoted_type: string,
        /// The quoted message's author.
        quoted_author: string,
        /// The quoted message's content.
        quoted_content: raw,
    }
}

lenient_struct! {
    /// A message status (`statuses.post`, `statuses.put`).
    pub struct Status {
        /// The message.
        id: string,
        /// Status code.
        code: int,
        /// `sent`, `delivered`, `read`, `played`, `failed`, …
        status: string,
        /// The recipient.
        recipient_id: string,
        /// Who viewed it (stories, groups).
        viewer_id: string,
        /// Unix time, seconds.
        timestamp: int,
    }
}

lenient_struct! {
    /// A chat (`chats.post`, `chats.put`).
    pub struct Chat {
        /// Chat id.
        id: string,
        /// Name.
        name: string,
        /// `contact`, `group`, `newsletter`, `broadcast`, …
        kind as "type": string,
        /// Unix time of the last activity, seconds.
        timestamp: int,
        /// Picture URL.
        chat_pic: string,
        /// Pinned.
        pin: bool,
        /// Muted.
        mute: bool,
        /// Muted until (Unix time; "forever" arrives beyond `i64` and reads as `i64::MAX`).
        mute_until: int,
        /// Archived.
        archive: bool,
        /// Unread messages.
        unread: int,
        /// Unread mention.
        unread_mention: bool,
        /// Read only.
        read_only: bool,
        /// Marked not spam.
        not_spam: bool,
        /// The last message.
        last_message: object<Message>,
    }
}

lenient_struct! {
    /// A contact (`contacts.post`, users).
    pub struct Contact {
        /// Contact id.
        id: string,
        /// Saved name.
        name: string,
        /// Push name.
        pushname: string,
        /// Business account.
        is_business: bool,
        /// Picture URL.
        profile_pic: string,
        /// About text.
        status: string,
        /// Saved in the address book.
        saved: bool,
    }
}

lenient_struct! {
    /// A group (`groups.post`).
    pub struct Group {
        /// Group id.
        id: string,
        /// Subject.
        name: string,
        /// `group`.
        kind as "type": string,
        /// Unix time, seconds.
        timestamp: int,
        /// Description.
        description: string,
        /// Member count.
        participants_count: int,
        /// Members.
        participants: objects<Participant>,
        /// Creation time.
        created_at: int,
        /// Creator.
        created_by: string,
        /// Picture URL.
        chat_pic: string,
        /// Muted until (Unix time, clamped).
        mute_until: int,
    }
}

lenient_struct! {
    /// A group member.
    pub struct Participant {
        /// Member id.
        id: string,
        /// `member`, `admin`, `creator`.
        rank: string,
    }
}

lenient_struct! {
    /// Members joining, leaving, promoted or demoted (`groups.put`).
    pub struct ParticipantEvent {
        /// The group.
        group_id: string,
        /// The members concerned.
        participants: strings,
        /// `add`, `remove`, `promote`, `demote`, …
        action: string,
    }
}

lenient_struct! {
    /// A change to a message, chat, contact or group (`*.patch`).
    pub struct Update {
        /// The item changed (messages).
        id: string,
        /// The item before.
        before_update: raw,
        /// The item after.
        after_update: raw,
        /// Names of the changed fields.
        changes: strings,
        /// The message that caused it (messages).
        trigger: raw,
    }
}

lenient_struct! {
    /// A presence (`presences.post`).
    pub struct Presence {
        /// Who.
        contact_id: string,
        /// Last seen, Unix time.
        last_seen: int,
        /// `online`, `offline`, `typing`, `recording`, …
        status: string,
    }
}

lenient_struct! {
    /// A label (`labels.post`).
    pub struct Label {
        /// Label id.
        id: string,
        /// Name.
        name: string,
        /// Colour.
        color: string,
        /// How many chats carry it.
        count: int,
    }
}

lenient_struct! {
    /// A call (`calls.post`).
    pub struct Call {
        /// Call id.
        id: string,
        /// The chat.
        chat_id: string,
        /// `offer`, `accept`, `reject`, `timeout`, …
        status: string,
        /// The caller.
        from: string,
        /// Unix time, seconds.
        timestamp: int,
        /// Group call.
        group_call: bool,
        /// Video call.
        video_call: bool,
        /// Offline call.
        offline_call: bool,
        /// Latency.
        latency: int,
    }
}

lenient_struct! {
    /// The channel's health (`channel.post`).
    pub struct Health {
        /// Channel id.
        channel_id: string,
        /// Start time.
        start_at: int,
        /// Uptime, seconds.
        uptime: int,
        /// Version.
        version: string,
        /// Core version.
        core_version: string,
        /// API version.
        api_version: string,
        /// Device.
        device_id: int,
        /// IP address.
        ip: string,
        /// Status.
        status: object<ChannelStatus>,
        /// The logged-in user.
        user: object<Contact>,
    }
}

lenient_struct! {
    /// A channel status.
    pub struct ChannelStatus {
        /// Status code.
        code: int,
        /// `INIT`, `LAUNCH`, `QR`, `AUTH`, …
        text: string,
    }
}

lenient_struct! {
    /// A login QR code (`channel` events).
    pub struct Qr {
        /// Status.
        status: string,
        /// The QR image, base64.
        base64: string,
        /// The QR data.
        rowdata: string,
        /// Expiry, seconds.
        expire: int,
    }
}

lenient_struct! {
    /// An error the service reports in a webhook.
    pub struct ServiceError {
        /// Code.
        code: int,
        /// Message.
        message: string,
        /// Details.
        details: string,
    }
}

impl Text {
    /// The text (empty when the service left it out), as the answers'
    /// `MessageContentText::body` reads it.
    pub fn body(&self) -> &str {
        self.body.as_deref().unwrap_or("")
    }
}

impl ButtonReply {
    /// The button's id as sent (see `Message::choice_id` for it without
    /// the service's menu prefix).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The button's text.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }
}

impl ListReply {
    /// The row's id as sent (see `Message::choice_id` for it without the
    /// service's menu prefix).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The row's title.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }
}
