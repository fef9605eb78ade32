//! Contacts and presences in the sandbox: the people the channel has chats
//! with, those saved with a name, which numbers are on WhatsApp (every
//! well-formed one), their presence (set by [`SandboxChannel::set_presence`]),
//! and the presences the channel sends (typing, recording).
//!
//! [`SandboxChannel::set_presence`]: super::SandboxChannel::set_presence

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::routes::{answer, parse, Paging};
use super::state::{now, offset_page, Event, Refusal};
use super::Shared;

/// What the sandbox knows of people beyond their chats.
#[derive(Debug, Default)]
pub(crate) struct Contacts {
    /// Saved contacts: number → name.
    saved: BTreeMap<String, String>,
    /// People's presence: number → (status, last seen).
    presences: BTreeMap<String, (String, u64)>,
    /// Numbers whose presence the channel follows.
    subscribed: BTreeSet<String>,
    /// The channel's own presence (`online`, `offline`).
    own: Option<String>,
    /// Presences the channel sent, oldest first: (chat, presence).
    pub(crate) sent: Vec<(String, String)>,
}

/// A presence's entry (a number or a chat id, free text in the spec) as a
/// number: a 404 for anything else, which names no one the sandbox knows.
fn person(entry: &str) -> Result<String, Refusal> {
    phone_of(entry).map_err(|_| Refusal::not_found(format!("no one is `{entry}`")))
}

/// A number as the SDK's `ContactId` writes it, from a number or a chat id.
pub(crate) fn phone_of(entry: &str) -> Result<String, Refusal> {
    crate::ids::ContactId::new(entry.split('@').next().unwrap_or_default())
        .map(|id| id.as_str().to_string())
        .map_err(|e| Refusal::bad_request(e.to_string()))
}

impl Contacts {
    /// A person's presence changes: their `presences` event, if the
    /// channel follows them.
    pub(crate) fn set_presence(
        &mut self,
        phone: &str,
        status: &str,
        channel: &str,
    ) -> Option<Event> {
        let seen = now();
        self.presences
            .insert(phone.to_string(), (status.to_string(), seen));
        self.subscribed.contains(phone).then(|| Event {
            kind: "presences",
            method: "post",
            body: json!({
                "presences": [{"contact_id": phone, "status": status, "last_seen": seen}],
                "event": {"type": "presences", "event": "post"},
                "channel_id": channel,
            }),
        })
    }

    fn contact(&self, phone: &str, chat_name: Option<&str>) -> Value {
        let saved = self.saved.get(phone);
        let name = saved.map(String::as_str).or(chat_name).unwrap_or(phone);
        json!({"id": phone, "name": name, "pushname": format!("Sandbox {phone}"),
               "saved": saved.is_some(), "is_business": false})
    }
}

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/contacts", get(list).post(check_phones).put(add))
        .route(
            "/contacts/{contact_id}",
            get(one).head(exists).post(send_card),
        )
        .route("/presences/me", get(own_presence_read).put(own_presence))
        .route(
            "/presences/{entry_id}",
            get(presence).post(subscribe).put(send_presence),
        )
}

/// Everyone the channel knows: saved contacts and people it has chats with.
fn everyone(shared: &Shared) -> Vec<Value> {
    let people = shared.lock().people();
    let contacts = shared.contacts();
    let mut known: BTreeMap<String, Value> = people
        .iter()
        .map(|(phone, name)| (phone.clone(), contacts.contact(phone, Some(name))))
        .collect();
    for phone in contacts.saved.keys() {
        known
            .entry(phone.clone())
            .or_insert_with(|| contacts.contact(phone, None));
    }
    known.into_values().collect()
}

async fn list(State(shared): State<Arc<Shared>>, Query(paging): Query<Paging>) -> Json<Value> {
    let (offset, count) = paging.window();
    Json(offset_page("contacts", &everyone(&shared), offset, count))
}

async fn one(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let found = everyone(&shared).into_iter().find(|c| c["id"] == id);
    answer(found.ok_or_else(|| Refusal::not_found(format!("no contact {id}"))))
}

/// `POST /contacts/{ContactID}`: the person's contact card sent to a chat
/// (`to`), named as the channel saved them.
async fn send_card(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let fields = super::routes::fields_of(&shared, request).await;
    let sent = fields.and_then(|mut fields| {
        let phone = phone_of(&id)?;
        let name = shared
            .contacts()
            .saved
            .get(&phone)
            .cloned()
            .unwrap_or_else(|| phone.clone());
        let vcard =
            format!("BEGIN:VCARD\nVERSION:3.0\nFN:{name}\nTEL;waid={phone}:+{phone}\nEND:VCARD");
        fields.insert("name".into(), json!(name));
        fields.insert("vcard".into(), json!(vcard));
        shared.lock().send("contact", fields)
    });
    super::routes::answer_sent(&shared, sent)
}

/// `HEAD /contacts/{ContactID}`: in the sandbox every well-formed number
/// is on WhatsApp.
async fn exists(Path(id): Path<String>) -> Response {
    match phone_of(&id) {
        Ok(_) => StatusCode::OK.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
struct Add {
    phone: String,
    name: String,
}

async fn add(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    answer(parse::<Add>(&body).and_then(|add| {
        let phone = phone_of(&add.phone)?;
        let mut contacts = shared.contacts();
        contacts.saved.insert(phone.clone(), add.name);
        Ok(contacts.contact(&phone, None))
    }))
}

#[derive(Deserialize)]
struct Check {
    contacts: Vec<String>,
}

/// `POST /contacts`: which numbers are on WhatsApp (every well-formed one).
async fn check_phones(body: Bytes) -> Response {
    answer(parse::<Check>(&body).map(|check| {
        let checked: Vec<Value> = check
            .contacts
            .iter()
            .map(|input| match phone_of(input) {
                Ok(phone) => json!({"input": input, "status": "valid", "wa_id": phone}),
                Err(_) => json!({"input": input, "status": "invalid"}),
            })
            .collect();
        json!({ "contacts": checked })
    }))
}

#[derive(Deserialize)]
struct PresenceBody {
    presence: String,
}

async fn own_presence(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    answer(parse::<PresenceBody>(&body).map(|p| {
        shared.contacts().own = Some(p.presence);
        json!({"success": true})
    }))
}

/// `PUT /presences/{EntryID}`: the channel typing or recording in a chat.
async fn send_presence(
    State(shared): State<Arc<Shared>>,
    Path(entry): Path<String>,
    body: Bytes,
) -> Response {
    answer(parse::<PresenceBody>(&body).and_then(|p| {
        let chat = super::state::chat_of(&entry)
            .map_err(|_| Refusal::not_found(format!("no chat `{entry}`")))?;
        shared.contacts().sent.push((chat, p.presence));
        Ok(json!({"success": true}))
    }))
}

/// `GET /presences/me`: the channel's own, as `PUT /presences/me` set it.
async fn own_presence_read(State(shared): State<Arc<Shared>>) -> Response {
    let own = shared.contacts().own.clone();
    let status = own.unwrap_or_else(|| "online".into());
    let phone = super::HEALTH_USER;
    answer(Ok(
        json!({"contact_id": phone, "status": status, "last_seen": now()}),
    ))
}

async fn presence(State(shared): State<Arc<Shared>>, Path(entry): Path<String>) -> Response {
    answer(person(&entry).map(|phone| {
        let contacts = shared.contacts();
        let (status, seen) = contacts
            .presences
            .get(&phone)
            .cloned()
            .unwrap_or_else(|| ("offline".into(), 0));
        json!({"contact_id": phone, "status": status, "last_seen": seen})
    }))
}

async fn subscribe(State(shared): State<Arc<Shared>>, Path(entry): Path<String>) -> Response {
    answer(person(&entry).map(|phone| {
        shared.contacts().subscribed.insert(phone);
        json!({"success": true})
    }))
}
