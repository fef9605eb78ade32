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
        .route("/_sandbox/receive", axum::routing::post(control_receive))
        .route("/_sandbox/press", axum::routing::post(control_press))
        .route("/_sandbox/sent/{chat}", get(control_sent))
        .route("/_sandbox/faults", axum::routing::post(control_fault))
        .fallback(not_emulated)
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
    let channel = shared.channel.lock().unwrap_or_else(|p| p.into_inner());
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
    let channel = shared.channel.lock().unwrap_or_else(|p| p.into_inner());
    Json(channel.settings().clone())
}

async fn patch_settings(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Some(patch) = json_object(&body) else {
        return refuse(&Refusal::bad_request("the body is not a JSON object"));
    };
    let mut channel = shared.channel.lock().unwrap_or_else(|p| p.into_inner());
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
            let channel = shared.channel.lock().unwrap_or_else(|p| p.into_inner());
            Json(channel.chats_page(offset, count)).into_response()
        }
        Err(refusal) => refuse(&refusal),
    }
}

async fn chat(State(shared): State<Arc<Shared>>, Path(chat_id): Path<String>) -> Response {
    let channel = shared.channel.lock().unwrap_or_else(|p| p.into_inner());
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
            let channel = shared.channel.lock().unwrap_or_else(|p| p.into_inner());
            Json(channel.messages_page(chat, offset, count)).into_response()
        }
        Err(refusal) => refuse(&refusal),
    }
}

/// `GET /messages/{MessageID}`.
async fn message(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let channel = shared.channel.lock().unwrap_or_else(|p| p.into_inner());
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
            let text = String::from_utf8_lossy(&data).into_owned();
            serde_json::from_str(&text).unwrap_or(Value::String(text))
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
                let ids: Vec<Value> = fields
                    .values()
                    .filter(|v| v.is_string())
                    .map(|id| json!({"id": id}))
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
    let channel = shared.channel.lock().unwrap_or_else(|p| p.into_inner());
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

fn json_object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(body).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// `POST /_sandbox/receive`: `{"from", "text"}`.
#[derive(Deserialize)]
struct Incoming {
    from: String,
    text: String,
}

async fn control_receive(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let incoming: Incoming = match serde_json::from_slice(&body) {
        Ok(incoming) => incoming,
        Err(e) => return refuse(&Refusal::bad_request(e.to_string())),
    };
    let content = json!({"body": incoming.text});
    answer_id(shared.receive(&incoming.from, "text", content, None).await)
}

/// `POST /_sandbox/press`: `{"from", "button_id", "title", "quoted"?}`.
#[derive(Deserialize)]
struct Press {
    from: String,
    button_id: String,
    title: String,
    quoted: Option<String>,
}

async fn control_press(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let press: Press = match serde_json::from_slice(&body) {
        Ok(press) => press,
        Err(e) => return refuse(&Refusal::bad_request(e.to_string())),
    };
    let (reply, context) =
        super::button_reply(&press.button_id, &press.title, press.quoted.as_deref());
    answer_id(shared.receive(&press.from, "reply", reply, context).await)
}

fn answer_id(received: Result<String, Refusal>) -> Response {
    match received {
        Ok(id) => Json(json!({"id": id})).into_response(),
        Err(refusal) => refuse(&refusal),
    }
}

async fn control_sent(State(shared): State<Arc<Shared>>, Path(chat): Path<String>) -> Response {
    let Some(chat) = super::state::chat_of(&chat) else {
        return refuse(&Refusal::bad_request(format!("`{chat}` is not a chat")));
    };
    let sent = shared.lock().sent_to(&chat);
    Json(json!({"messages": sent})).into_response()
}

/// `POST /_sandbox/faults`.
#[derive(Deserialize)]
struct FaultRequest {
    operation: String,
    times: Option<usize>,
    status: Option<u16>,
    retry_after: Option<u64>,
    stall_ms: Option<u64>,
    cut: Option<bool>,
}

async fn control_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    use super::Fault;
    use std::time::Duration;
    let request: FaultRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return refuse(&Refusal::bad_request(e.to_string())),
    };
    let fault = match (request.status, request.stall_ms, request.cut) {
        (Some(status), None, None) if (400..=599).contains(&status) => Fault::Status {
            status,
            retry_after: request.retry_after.map(Duration::from_secs),
        },
        (None, Some(ms), None) => Fault::Stall(Duration::from_millis(ms)),
        (None, None, Some(true)) => Fault::CutAnswer,
        _ => {
            return refuse(&Refusal::bad_request(
                "give one of `status` (400 to 599), `stall_ms` or `cut: true`",
            ))
        }
    };
    let Some(op) = super::operation_named(&request.operation) else {
        let message = format!("no operation is named `{}`", request.operation);
        return refuse(&Refusal::bad_request(message));
    };
    let times = request.times.unwrap_or(1);
    shared.faults.add(op.method, op.path, times, fault);
    Json(json!({"operation": op.operation_id, "times": times})).into_response()
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
    let kind = kind.to_ascii_lowercase();
    if !SENDABLE.contains(&kind.as_str()) {
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
