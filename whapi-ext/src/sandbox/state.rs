//! The sandbox's channel, in memory: chats, messages with their statuses,
//! media, settings. No HTTP here: the routes read and change it, and every
//! change that the service would report comes back as a webhook [`Event`].

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// A webhook event the service would send: `{type}.{method}` and its body.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub kind: &'static str,
    pub method: &'static str,
    pub body: Value,
}

/// Why a request is refused, as the service says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub message: String,
    /// Every reason, when there are several (a request breaking the spec).
    pub details: Vec<String>,
}

impl Refusal {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    /// The service's error body; `details` holds every reason.
    pub(crate) fn body(&self) -> Value {
        let mut error = json!({"code": self.status, "message": self.message});
        if !self.details.is_empty() {
            error["details"] = Value::String(self.details.join("; "));
        }
        json!({ "error": error })
    }
}

/// Which messages a list keeps (`time_from`, `time_to`, `from_me`) and
/// their order (`sort`: `desc`, newest first, by default).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct MessageFilter {
    time_from: Option<i64>,
    time_to: Option<i64>,
    from_me: Option<bool>,
    sort: Option<String>,
}

impl MessageFilter {
    fn keeps(&self, message: &Value) -> bool {
        let at = message["timestamp"].as_i64().unwrap_or_default();
        self.time_from.is_none_or(|from| at >= from)
            && self.time_to.is_none_or(|to| at <= to)
            && self.from_me.is_none_or(|mine| message["from_me"] == mine)
    }
}

/// Stored media.
#[derive(Debug, Clone)]
pub(crate) struct StoredMedia {
    pub bytes: bytes::Bytes,
    pub mime_type: String,
}

/// One channel's state.
#[derive(Debug)]
pub(crate) struct Channel {
    pub id: String,
    /// Every message, in the order they happened.
    messages: Vec<Value>,
    /// Where each message is in `messages`, by id.
    by_id: HashMap<String, usize>,
    /// Chats by id: their name and type.
    chats: BTreeMap<String, Value>,
    media: BTreeMap<String, StoredMedia>,
    settings: Value,
    next: u64,
}

/// Where stories go: the channel's status.
const STATUS_CHAT: &str = "status@broadcast";

/// The statuses a sent message goes through after `pending`.
pub(crate) const PROGRESS: [&str; 3] = ["sent", "delivered", "read"];

impl Channel {
    pub(crate) fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            messages: Vec::new(),
            by_id: HashMap::new(),
            chats: BTreeMap::new(),
            media: BTreeMap::new(),
            settings: json!({"webhooks": []}),
            next: 0,
        }
    }

    /// A fresh id in the service's alphabet, unique in this channel.
    fn fresh_id(&mut self, prefix: &str) -> String {
        // The spec's MessageID: 4 to 30 of these, a dash, 4 to 14 more.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
        self.next += 1;
        let mut n = self.next.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.next;
        let mut tail = String::with_capacity(11);
        for _ in 0..11 {
            tail.push(ALPHABET[(n % 64) as usize] as char);
            n /= 64;
        }
        format!("{prefix}{:05}-{tail}", self.next)
    }

    /// A message sent by the channel: `kind` (`text`, `image`, …) with the
    /// request's fields. Returns the message as stored (status `pending`).
    pub(crate) fn send(
        &mut self,
        kind: &str,
        mut fields: Map<String, Value>,
    ) -> Result<Value, Refusal> {
        let to = fields
            .remove("to")
            .and_then(|v| v.as_str().map(str::to_string));
        let chat_id = match to {
            Some(to) => chat_of(&to)?,
            // A story goes to the channel's status, not to a chat.
            None if kind == "story" => STATUS_CHAT.to_string(),
            None => return Err(Refusal::bad_request("`to` is required")),
        };
        if let Some(edited) = fields.remove("edit") {
            return self.edit(edited.as_str().unwrap_or_default(), kind, fields);
        }
        let id = self.fresh_id("Sbx");
        let mut message = json!({
            "id": id,
            "type": kind,
            "subtype": null,
            "chat_id": chat_id,
            "from_me": true,
            "from": self.id,
            "source": "api",
            "timestamp": now(),
            "status": "pending",
        });
        if let Some(quoted) = fields.remove("quoted") {
            message["context"] = json!({"quoted_id": quoted});
        }
        fields.remove("typing_time");
        fields.remove("ephemeral");
        fields.remove("view_once");
        message[kind] = content_of(kind, fields);
        if let Some(fields) = message.as_object_mut() {
            fields.retain(|_, v| !v.is_null());
        }
        self.store(message.clone());
        Ok(message)
    }

    /// A message a person sent to the channel; its webhook event.
    pub(crate) fn receive(
        &mut self,
        from: &str,
        kind: &str,
        content: Value,
        context: Option<Value>,
    ) -> Result<Event, Refusal> {
        let chat_id = chat_of(from)?;
        let phone = chat_id.split('@').next().unwrap_or_default().to_string();
        let mut message = json!({
            "id": self.fresh_id("Inc"),
            "type": kind,
            "chat_id": chat_id,
            "from_me": false,
            "from": phone,
            "from_name": format!("Sandbox {phone}"),
            "source": "mobile",
            "timestamp": now(),
        });
        message[kind] = content;
        if let Some(context) = context {
            message["context"] = context;
        }
        self.store(message.clone());
        Ok(Event {
            kind: "messages",
            method: "post",
            body: json!({"messages": [message], "event": {"type": "messages", "event": "post"}, "channel_id": self.id}),
        })
    }

    /// A sent message's `messages` webhook event: the service posts the
    /// channel's own messages too (`from_me: true`).
    pub(crate) fn sent_event(&self, message: &Value) -> Event {
        Event {
            kind: "messages",
            method: "post",
            body: json!({"messages": [message], "event": {"type": "messages", "event": "post"}, "channel_id": self.id}),
        }
    }

    /// `edit`: the channel's message `id` gets new content of `kind`.
    fn edit(&mut self, id: &str, kind: &str, fields: Map<String, Value>) -> Result<Value, Refusal> {
        let message = self.message_mut(id)?;
        if message["from_me"] != true {
            return Err(Refusal::new(
                403,
                format!("message {id} is not the channel's to edit"),
            ));
        }
        message["type"] = json!(kind);
        message[kind] = content_of(kind, fields);
        message["edited"] = json!(true);
        Ok(message.clone())
    }

    fn message_mut(&mut self, id: &str) -> Result<&mut Value, Refusal> {
        self.by_id
            .get(id)
            .and_then(|&at| self.messages.get_mut(at))
            .ok_or_else(|| Refusal::not_found(format!("no message {id}")))
    }

    /// `PUT /messages/{id}`: a message the channel received, read.
    pub(crate) fn mark_read(&mut self, id: &str) -> Result<Value, Refusal> {
        let message = self.message_mut(id)?;
        if message["from_me"] != true {
            message["status"] = json!("read");
        }
        Ok(json!({"success": true}))
    }

    /// `PUT` (an emoji) or `DELETE` (`None`) `/messages/{id}/reaction`:
    /// the channel's reaction to a message.
    pub(crate) fn react(&mut self, id: &str, emoji: Option<&str>) -> Result<Value, Refusal> {
        let message = self.message_mut(id)?;
        message["reactions"] = match emoji {
            Some(emoji) => json!([{"emoji": emoji, "count": 1}]),
            None => json!([]),
        };
        Ok(json!({"success": true}))
    }

    /// `DELETE /messages/{id}`: gone from every list.
    pub(crate) fn delete(&mut self, id: &str) -> Result<Value, Refusal> {
        let at = *self
            .by_id
            .get(id)
            .ok_or_else(|| Refusal::not_found(format!("no message {id}")))?;
        self.messages.remove(at);
        self.by_id = self
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| (m["id"].as_str().unwrap_or_default().to_string(), i))
            .collect();
        Ok(json!({"success": true}))
    }

    /// `POST /messages/{id}`: a copy of message `id` sent to `to`, marked
    /// forwarded.
    pub(crate) fn forward(&mut self, id: &str, to: &str) -> Result<Value, Refusal> {
        let original = self
            .message(id)
            .cloned()
            .ok_or_else(|| Refusal::not_found(format!("no message {id}")))?;
        let kind = original["type"].as_str().unwrap_or("text").to_string();
        let mut fields = original[kind.as_str()]
            .as_object()
            .cloned()
            .unwrap_or_default();
        fields.insert("to".into(), json!(to));
        let mut copy = self.send(&kind, fields)?;
        copy["context"] = json!({"forwarded": true});
        let stored = self.message_mut(copy["id"].as_str().unwrap_or_default())?;
        stored["context"] = copy["context"].clone();
        Ok(copy)
    }

    /// Media uploaded, one page.
    pub(crate) fn media_page(&self, offset: usize, count: usize) -> Value {
        let files: Vec<Value> = self
            .media
            .iter()
            .map(|(id, m)| json!({"id": id, "mime_type": m.mime_type, "file_size": m.bytes.len()}))
            .collect();
        offset_page("files", &files, offset, count)
    }

    /// `DELETE /media/{id}`.
    pub(crate) fn delete_media(&mut self, id: &str) -> Result<Value, Refusal> {
        self.media
            .remove(id)
            .map(|_| json!({"success": true}))
            .ok_or_else(|| Refusal::not_found(format!("no media {id}")))
    }

    /// `DELETE /settings`: the settings as a new channel has them.
    pub(crate) fn reset_settings(&mut self) -> Value {
        self.settings = json!({"webhooks": []});
        json!({"success": true})
    }

    fn store(&mut self, message: Value) {
        let chat_id = message["chat_id"].as_str().unwrap_or_default().to_string();
        self.chats.entry(chat_id.clone()).or_insert_with(|| {
            // A person's chat is named by their number until they are a
            // contact.
            let name = format!("+{}", chat_id.split('@').next().unwrap_or_default());
            json!({"id": chat_id, "type": chat_kind(&chat_id), "name": name})
        });
        let id = message["id"].as_str().unwrap_or_default().to_string();
        self.by_id.insert(id, self.messages.len());
        self.messages.push(message);
    }

    /// A chat made by the channel (a group): listed from now on.
    pub(crate) fn add_chat(&mut self, id: &Value, name: &str) {
        if let Some(id) = id.as_str() {
            self.chats.insert(
                id.to_string(),
                json!({"id": id, "type": chat_kind(id), "name": name}),
            );
        }
    }

    /// The people the channel has a chat with: their number and the
    /// chat's name.
    pub(crate) fn people(&self) -> Vec<(String, String)> {
        self.chats
            .iter()
            .filter(|(_, chat)| chat["type"] == "contact")
            .map(|(id, chat)| {
                let phone = id.split('@').next().unwrap_or_default().to_string();
                (phone, chat["name"].as_str().unwrap_or_default().to_string())
            })
            .collect()
    }

    /// Moves a sent message to `status`; its `statuses` webhook event, or
    /// `None` if there is no such message.
    /// Moves a sent message one step on (`pending` to `sent`, to
    /// `delivered`, to `read`); `None`, and no step, if its status is not
    /// the one before `status` (a test set another, or it is unknown).
    pub(crate) fn advance(&mut self, id: &str, status: &str) -> Option<Event> {
        let at = PROGRESS.iter().position(|s| *s == status)?;
        let before = if at == 0 { "pending" } else { PROGRESS[at - 1] };
        let message = self.messages.get(*self.by_id.get(id)?)?;
        if message["status"] != before {
            return None;
        }
        self.set_status(id, status, at + 2)
    }

    /// Sets a message's status (`code` as the service numbers it); its
    /// `statuses` webhook event, or `None` if there is no such message.
    pub(crate) fn set_status(&mut self, id: &str, status: &str, code: usize) -> Option<Event> {
        let message = self.messages.get_mut(*self.by_id.get(id)?)?;
        message["status"] = json!(status);
        let chat_id = message["chat_id"].clone();
        Some(Event {
            kind: "statuses",
            method: "post",
            body: json!({
                "statuses": [{"id": id, "code": code, "status": status, "recipient_id": chat_id, "timestamp": now().to_string()}],
                "event": {"type": "statuses", "event": "post"},
                "channel_id": self.id,
            }),
        })
    }

    pub(crate) fn message(&self, id: &str) -> Option<&Value> {
        self.messages.get(*self.by_id.get(id)?)
    }

    /// Messages of `chat` (every chat when `None`), newest first, one page.
    pub(crate) fn messages_page(
        &self,
        chat: Option<&str>,
        filter: &MessageFilter,
        offset: usize,
        count: usize,
    ) -> Value {
        let mut chosen: Vec<&Value> = self
            .messages
            .iter()
            .rev()
            .filter(|m| chat.is_none_or(|c| m["chat_id"] == c) && filter.keeps(m))
            .collect();
        if filter.sort.as_deref() == Some("asc") {
            chosen.reverse();
        }
        let shown = chosen.len().saturating_sub(offset).min(count);
        let mut page = offset_page("messages", &chosen, offset, count);
        page["first"] = json!(offset);
        page["last"] = json!(offset + shown);
        page
    }

    /// A chat's messages, oldest first (a newsletter's, indexed from 0).
    pub(crate) fn messages_of(&self, chat: &str) -> Vec<&Value> {
        self.messages
            .iter()
            .filter(|m| m["chat_id"] == chat)
            .collect()
    }

    /// Chats, most recently active first, one page.
    pub(crate) fn chats_page(&self, offset: usize, count: usize) -> Value {
        offset_page("chats", &self.chats_by_activity(), offset, count)
    }

    pub(crate) fn chat(&self, id: &str) -> Option<Value> {
        self.chats_by_activity().into_iter().find(|c| c["id"] == id)
    }

    /// Every chat with its last message and timestamp, newest first.
    fn chats_by_activity(&self) -> Vec<Value> {
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, m) in self.messages.iter().enumerate() {
            last.insert(m["chat_id"].as_str().unwrap_or_default(), i);
        }
        // A chat without messages (a new group) sorts after those with.
        let mut chats: Vec<(Option<usize>, Value)> = self
            .chats
            .iter()
            .map(|(id, chat)| {
                let mut chat = chat.clone();
                let at = last.get(id.as_str()).copied();
                if let Some(message) = at.and_then(|at| self.messages.get(at)) {
                    chat["timestamp"] = message["timestamp"].clone();
                    chat["last_message"] = message.clone();
                }
                (at, chat)
            })
            .collect();
        chats.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        chats.into_iter().map(|(_, c)| c).collect()
    }

    /// Stores media; its id.
    pub(crate) fn put_media(&mut self, bytes: bytes::Bytes, mime_type: &str) -> String {
        // The service's form: the file's kind, a dash, hex digits.
        let kind: String = mime_type
            .split(['/', ';'])
            .nth(1)
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        self.next += 1;
        let id = format!(
            "{}-{:016x}",
            if kind.is_empty() { "media" } else { &kind },
            self.next.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        );
        self.media.insert(
            id.clone(),
            StoredMedia {
                bytes,
                mime_type: mime_type.to_string(),
            },
        );
        id
    }

    pub(crate) fn media(&self, id: &str) -> Option<&StoredMedia> {
        self.media.get(id)
    }

    pub(crate) fn settings(&self) -> &Value {
        &self.settings
    }

    /// Merges a settings patch (top-level keys replace).
    pub(crate) fn patch_settings(&mut self, patch: Map<String, Value>) -> Value {
        let before = self.settings.clone();
        if let Some(settings) = self.settings.as_object_mut() {
            settings.extend(patch);
        }
        json!({"before_update": before, "after_update": self.settings})
    }

    /// The webhooks registered for events of `kind` and `method`: each URL
    /// with its headers.
    pub(crate) fn hooks_for(
        &self,
        kind: &str,
        method: &str,
    ) -> Vec<(String, Vec<(String, String)>)> {
        let hooks = self.settings["webhooks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        hooks
            .iter()
            .filter(|hook| {
                hook["events"].as_array().is_some_and(|events| {
                    events.iter().any(|e| {
                        e["type"] == kind && (e["method"] == method || e["method"].is_null())
                    })
                })
            })
            .filter_map(|hook| {
                let url = hook["url"].as_str()?.to_string();
                let headers = hook["headers"]
                    .as_object()
                    .map(|h| {
                        h.iter()
                            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                Some((url, headers))
            })
            .collect()
    }

    /// Messages the channel sent to `chat`, oldest first.
    pub(crate) fn sent_to(&self, chat: &str) -> Vec<Value> {
        self.messages
            .iter()
            .filter(|m| m["chat_id"] == chat && m["from_me"] == true)
            .cloned()
            .collect()
    }
}

/// The content of a message of `kind` from the request's other fields: a
/// text's `body`, media's `media` (a URL or an id) and caption, or the
/// fields as they are.
fn content_of(kind: &str, mut fields: Map<String, Value>) -> Value {
    if kind == "text" {
        return json!({"body": fields.remove("body").unwrap_or(Value::Null)});
    }
    if let Some(media) = fields.remove("media") {
        let key = if media.as_str().is_some_and(|m| m.starts_with("http")) {
            "link"
        } else {
            "id"
        };
        fields.insert(key.to_string(), media);
    }
    Value::Object(fields)
}

/// One page of a list as the service writes it: the items under `key`,
/// with `count`, `total` and `offset`.
pub(crate) fn offset_page<T: serde::Serialize>(
    key: &str,
    all: &[T],
    offset: usize,
    count: usize,
) -> Value {
    let page = &all[offset.min(all.len())..offset.saturating_add(count).min(all.len())];
    let mut list = Map::new();
    list.insert(key.to_string(), json!(page));
    list.insert("count".into(), json!(page.len()));
    list.insert("total".into(), json!(all.len()));
    list.insert("offset".into(), json!(offset));
    Value::Object(list)
}

/// A chat's type, by its id's domain.
fn chat_kind(id: &str) -> &'static str {
    match id.rsplit_once('@').map(|(_, domain)| domain) {
        Some("g.us") => "group",
        Some("broadcast") => "broadcast",
        Some("newsletter") => "newsletter",
        _ => "contact",
    }
}

/// The chat a `to` names, checked and written as the SDK's [`ChatId`]
/// does: a phone number in any common form is its contact's chat.
///
/// [`ChatId`]: crate::ids::ChatId
pub(crate) fn chat_of(to: &str) -> Result<String, Refusal> {
    if to == STATUS_CHAT {
        return Ok(to.to_string());
    }
    crate::ids::ChatId::new(to)
        .map(|id| id.as_str().to_string())
        .map_err(|e| Refusal::bad_request(e.to_string()))
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_send_stores_a_pending_message_with_a_fresh_id_in_its_chat() {
        let mut channel = Channel::new("SANDBOX-1");
        let a = channel
            .send(
                "text",
                fields(json!({"to": "+1 (555) 010-0000", "body": "hi"})),
            )
            .unwrap();
        let b = channel
            .send(
                "text",
                fields(json!({"to": "15550100000", "body": "again"})),
            )
            .unwrap();

        assert_ne!(a["id"], b["id"]);
        assert_eq!(a["chat_id"], "15550100000@s.whatsapp.net");
        assert_eq!(a["text"]["body"], "hi");
        assert_eq!(a["status"], "pending");
        assert_eq!(channel.sent_to("15550100000@s.whatsapp.net").len(), 2);
        assert!(crate::ids::MessageId::new(a["id"].as_str().unwrap()).is_ok());
    }

    #[test]
    fn a_send_without_a_recipient_is_refused() {
        let mut channel = Channel::new("SANDBOX-1");
        let refused = channel
            .send("text", fields(json!({"body": "hi"})))
            .unwrap_err();
        assert_eq!(refused.status, 400);
        let refused = channel
            .send("text", fields(json!({"to": "nobody", "body": "hi"})))
            .unwrap_err();
        assert!(refused.message.contains("nobody"));
    }

    #[test]
    fn pages_walk_every_message_once_with_the_right_total() {
        let mut channel = Channel::new("SANDBOX-1");
        for i in 0..7 {
            channel
                .send(
                    "text",
                    fields(json!({"to": "15550100000", "body": format!("m{i}")})),
                )
                .unwrap();
        }
        let mut seen = Vec::new();
        for offset in (0..7).step_by(3) {
            let page = channel.messages_page(
                Some("15550100000@s.whatsapp.net"),
                &MessageFilter::default(),
                offset,
                3,
            );
            assert_eq!(page["total"], 7);
            seen.extend(
                page["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["text"]["body"].clone()),
            );
        }
        let expected: Vec<Value> = (0..7).rev().map(|i| json!(format!("m{i}"))).collect();
        assert_eq!(seen, expected, "newest first, each once");
    }

    #[test]
    fn chats_come_most_recent_first_with_their_last_message() {
        let mut channel = Channel::new("SANDBOX-1");
        channel
            .send("text", fields(json!({"to": "15550100000", "body": "a"})))
            .unwrap();
        channel
            .send("text", fields(json!({"to": "15550100001", "body": "b"})))
            .unwrap();
        channel
            .receive("15550100000", "text", json!({"body": "c"}), None)
            .unwrap();

        let page = channel.chats_page(0, 10);
        assert_eq!(page["total"], 2);
        assert_eq!(page["chats"][0]["id"], "15550100000@s.whatsapp.net");
        assert_eq!(page["chats"][0]["last_message"]["text"]["body"], "c");
    }

    #[test]
    fn statuses_advance_and_report_each_step() {
        let mut channel = Channel::new("SANDBOX-1");
        let sent = channel
            .send("text", fields(json!({"to": "15550100000", "body": "hi"})))
            .unwrap();
        let id = sent["id"].as_str().unwrap();
        for status in PROGRESS {
            let event = channel.advance(id, status).unwrap();
            assert_eq!(event.body["statuses"][0]["status"], status);
        }
        assert_eq!(channel.message(id).unwrap()["status"], "read");
        assert!(channel.advance("nope", "read").is_none());
    }

    #[test]
    fn fresh_ids_keep_to_the_spec_message_id_pattern() {
        let pattern = regex_lite::Regex::new(
            r"^[A-Za-z0-9._]{4,30}-[A-Za-z0-9._]{4,14}(-[A-Za-z0-9._]{4,10})?(-[A-Za-z0-9._]{2,10})?$",
        )
        .unwrap();
        let mut channel = Channel::new("SANDBOX-1");
        for _ in 0..1000 {
            let id = channel.fresh_id("Sbx");
            assert!(pattern.is_match(&id), "{id}");
        }
    }

    #[test]
    fn a_status_a_test_set_is_not_overwritten_by_the_progress() {
        let mut channel = Channel::new("SANDBOX-1");
        let sent = channel
            .send("text", fields(json!({"to": "15550100000", "body": "hi"})))
            .unwrap();
        let id = sent["id"].as_str().unwrap();
        channel.set_status(id, "failed", 0).unwrap();
        assert!(channel.advance(id, "sent").is_none());
        assert_eq!(channel.message(id).unwrap()["status"], "failed");
    }

    #[test]
    fn webhooks_are_chosen_by_event_type_and_method() {
        let mut channel = Channel::new("SANDBOX-1");
        channel.patch_settings(fields(json!({"webhooks": [
            {"url": "http://a/hook", "events": [{"type": "messages", "method": "post"}], "headers": {"x-secret": "s"}},
            {"url": "http://b/hook", "events": [{"type": "statuses", "method": "post"}]}
        ]})));
        assert_eq!(
            channel.hooks_for("messages", "post"),
            [(
                "http://a/hook".to_string(),
                vec![("x-secret".to_string(), "s".to_string())]
            )]
        );
        assert_eq!(channel.hooks_for("statuses", "post").len(), 1);
        assert!(channel.hooks_for("chats", "post").is_empty());
    }
}
