//! The sandbox's HTTP face: the service's paths, answered from the
//! [`Channel`](super::state::Channel). Paths it does not emulate answer
//! `501` and say so.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::state::Refusal;
use super::Shared;

/// The largest body taken (100 MiB, the service's largest media).
const MAX_BODY: usize = 100 << 20;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(super::groups::routes())
        .route("/health", get(health))
        .route("/settings", get(settings).patch(patch_settings))
        .route("/chats", get(chats))
        .route("/chats/{chat_id}", get(chat))
        .route("/messages/list", get(messages))
        .route("/messages/list/{chat_id}", get(messages_of_chat))
        .route("/messages/{kind}", get(message).post(send))
        .route(
            "/messages/media/{kind}",
            axum::routing::post(send_raw_media),
        )
        .route("/media", axum::routing::post(upload))
        .route("/media/{media_id}", get(download))
        .merge(super::control::routes())
        .fallback(not_emulated)
        .method_not_allowed_fallback(not_emulated)
        // Media goes up to the service's own limit, not axum's 2 MB.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            super::faults::inject,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            authorized,
        ))
        .with_state(shared)
}

/// Refuses requests without the sandbox's bearer token, as the service
/// does without a channel's.
async fn authorized(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let expected = format!("Bearer {}", shared.token);
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return refuse(&Refusal {
            status: 401,
            message: "missing or wrong bearer token".into(),
        });
    }
    next.run(request).await
}

pub(super) fn refuse(refusal: &Refusal) -> Response {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(refusal.body())).into_response()
}

async fn health(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let channel = shared.lock();
    Json(json!({
        "channel_id": channel.id,
        "status": {"code": 4, "text": "AUTH"},
        "uptime": shared.started.elapsed().as_secs(),
        "version": "sandbox",
        "api_version": <whapi_client::Client as whapi_client::ClientInfo<whapi_client::Hooks>>::api_version(),
        "user": {"id": "15550109999", "name": "Sandbox", "is_business": false}
    }))
}

async fn settings(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let channel = shared.lock();
    Json(channel.settings().clone())
}

async fn patch_settings(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Some(patch) = json_object(&body) else {
        return refuse(&Refusal::bad_request("the body is not a JSON object"));
    };
    // Refused unless the settings it makes read as the service's.
    let checked =
        serde_json::from_value::<whapi_client::types::Settings>(Value::Object(patch.clone()));
    if let Err(e) = checked {
        return refuse(&Refusal::bad_request(format!(
            "the settings do not fit the spec: {e}"
        )));
    }
    let mut channel = shared.lock();
    Json(channel.patch_settings(patch)).into_response()
}

/// `count` and `offset` of a list.
#[derive(Deserialize)]
pub(super) struct Paging {
    count: Option<usize>,
    offset: Option<usize>,
}

impl Paging {
    pub(super) fn checked(&self) -> Result<(usize, usize), Refusal> {
        let count = self.count.unwrap_or(100);
        if !(1..=500).contains(&count) {
            return Err(Refusal::bad_request("`count` must be from 1 to 500"));
        }
        Ok((self.offset.unwrap_or(0), count))
    }
}

async fn chats(State(shared): State<Arc<Shared>>, Query(paging): Query<Paging>) -> Response {
    match paging.checked() {
        Ok((offset, count)) => {
            let channel = shared.lock();
            Json(channel.chats_page(offset, count)).into_response()
        }
        Err(refusal) => refuse(&refusal),
    }
}

async fn chat(State(shared): State<Arc<Shared>>, Path(chat_id): Path<String>) -> Response {
    let channel = shared.lock();
    match channel.chat(&chat_id) {
        Some(chat) => Json(chat).into_response(),
        None => refuse(&Refusal::not_found(format!("no chat {chat_id}"))),
    }
}

async fn messages(State(shared): State<Arc<Shared>>, Query(paging): Query<Paging>) -> Response {
    page_of_messages(&shared, None, &paging)
}

async fn messages_of_chat(
    State(shared): State<Arc<Shared>>,
    Path(chat_id): Path<String>,
    Query(paging): Query<Paging>,
) -> Response {
    page_of_messages(&shared, Some(&chat_id), &paging)
}

fn page_of_messages(shared: &Shared, chat: Option<&str>, paging: &Paging) -> Response {
    match paging.checked() {
        Ok((offset, count)) => {
            let channel = shared.lock();
            Json(channel.messages_page(chat, offset, count)).into_response()
        }
        Err(refusal) => refuse(&refusal),
    }
}

/// `GET /messages/{MessageID}`.
async fn message(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let channel = shared.lock();
    match channel.message(&id) {
        Some(message) => Json(message.clone()).into_response(),
        None => refuse(&Refusal::not_found(format!("no message {id}"))),
    }
}

/// The kinds of message `POST /messages/{kind}` sends.
const SENDABLE: [&str; 17] = [
    "text",
    "image",
    "video",
    "gif",
    "short",
    "audio",
    "voice",
    "document",
    "sticker",
    "location",
    "live_location",
    "contact",
    "contact_list",
    "poll",
    "interactive",
    "link_preview",
    "story",
];

/// `POST /messages/{kind}`: a message sent, as JSON or as a multipart form
/// with its media.
async fn send(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    request: Request,
) -> Response {
    if !SENDABLE.contains(&kind.as_str()) {
        return not_emulated_path(&Method::POST, &format!("/messages/{kind}"));
    }
    let fields = match fields_of(&shared, request).await {
        Ok(fields) => fields,
        Err(refusal) => return refuse(&refusal),
    };
    let sent = shared.lock().send(&kind, fields);
    answer_sent(&shared, sent)
}

/// A request's fields: its JSON object, or its form's fields with the file
/// stored as media (by its id).
async fn fields_of(shared: &Shared, request: Request) -> Result<Map<String, Value>, Refusal> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    if !is_form {
        let body = Bytes::from_request(request, &())
            .await
            .map_err(|e| Refusal::bad_request(e.to_string()))?;
        return json_object(&body)
            .ok_or_else(|| Refusal::bad_request("the body is not a JSON object"));
    }
    let mut form = Multipart::from_request(request, &())
        .await
        .map_err(|e| Refusal::bad_request(e.to_string()))?;
    let mut fields = Map::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| Refusal::bad_request(e.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let mime = field.content_type().map(str::to_string);
        let is_file = field.file_name().is_some();
        let data = field
            .bytes()
            .await
            .map_err(|e| Refusal::bad_request(e.to_string()))?;
        let value = if is_file {
            let mime = mime.unwrap_or_else(|| "application/octet-stream".into());
            let id = shared
                .channel
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .put_media(data, &mime);
            json!(id)
        } else {
            form_value(&name, String::from_utf8_lossy(&data).into_owned())
        };
        fields.insert(name, value);
    }
    Ok(fields)
}

/// `POST /media`: the raw body (or a form's file) stored, by its type.
async fn upload(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    if mime.starts_with("multipart/form-data") {
        return match fields_of(&shared, request).await {
            Ok(fields) => {
                let channel = shared.lock();
                let ids: Vec<Value> = fields
                    .values()
                    .filter_map(Value::as_str)
                    .filter_map(|id| {
                        let media = channel.media(id)?;
                        Some(json!({"id": id, "file_size": media.bytes.len(), "mime_type": media.mime_type}))
                    })
                    .collect();
                Json(json!({"media": ids})).into_response()
            }
            Err(refusal) => refuse(&refusal),
        };
    }
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(e) => return refuse(&Refusal::bad_request(e.to_string())),
    };
    let size = body.len();
    let id = shared
        .channel
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .put_media(body, &mime);
    Json(json!({"media": [{"id": id, "file_size": size, "mime_type": mime}]})).into_response()
}

/// `GET /media/{MediaID}`: the bytes uploaded, with their type.
async fn download(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let channel = shared.lock();
    match channel.media(&id) {
        Some(media) => (
            [(header::CONTENT_TYPE, media.mime_type.clone())],
            media.bytes.clone(),
        )
            .into_response(),
        None => refuse(&Refusal::not_found(format!("no media {id}"))),
    }
}

async fn not_emulated(method: Method, uri: Uri) -> Response {
    not_emulated_path(&method, uri.path())
}

fn not_emulated_path(method: &Method, path: &str) -> Response {
    refuse(&Refusal {
        status: 501,
        message: format!("the sandbox does not emulate {method} {path} yet"),
    })
}

/// A form field's value: text, but for the fields the spec makes numbers,
/// booleans, lists or objects (a caption of `2024` stays text).
fn form_value(name: &str, text: String) -> Value {
    const NUMBERS: [&str; 5] = ["width", "height", "seconds", "typing_time", "ephemeral"];
    const BOOLEANS: [&str; 3] = ["view_once", "no_link_preview", "no_encode"];
    let structured = text.starts_with('[') || text.starts_with('{');
    let typed = NUMBERS.contains(&name) || BOOLEANS.contains(&name) || structured;
    match typed.then(|| serde_json::from_str(&text).ok()).flatten() {
        Some(value) => value,
        None => Value::String(text),
    }
}

/// A JSON body as `T`, or the refusal naming what is wrong with it.
pub(super) fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| Refusal::bad_request(e.to_string()))
}

fn json_object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(body).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// `POST /messages/media/{MediaMessageType}`: the file as the body, the
/// other fields (`to`, `caption`, …) in the query.
async fn send_raw_media(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    const MEDIA: [&str; 8] = [
        "image", "video", "gif", "short", "audio", "voice", "document", "sticker",
    ];
    let kind = kind.to_ascii_lowercase();
    if !MEDIA.contains(&kind.as_str()) {
        return refuse(&Refusal::bad_request(format!(
            "`{kind}` is not a media type"
        )));
    }
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let mut fields: Map<String, Value> = query
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let sent = {
        let mut channel = shared.lock();
        let id = channel.put_media(body, &mime);
        fields.insert("media".into(), json!(id));
        channel.send(&kind, fields)
    };
    answer_sent(&shared, sent)
}

/// The answer to a send, and its statuses to come.
fn answer_sent(shared: &Arc<Shared>, sent: Result<Value, Refusal>) -> Response {
    match sent {
        Ok(message) => {
            shared.notify_sent();
            if let Some(id) = message["id"].as_str() {
                shared.progress(id.to_string());
            }
            Json(json!({"sent": true, "message": message})).into_response()
        }
        Err(refusal) => refuse(&refusal),
    }
}
