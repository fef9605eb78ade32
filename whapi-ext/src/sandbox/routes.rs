//! The sandbox's HTTP face: the service's paths, answered from the
//! [`Channel`](super::state::Channel). Operations it does not emulate
//! answer the spec's example (see [`super::check`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tower::ServiceExt;

use super::check::{answer_example, Called, MAX_BODY};
use super::state::{MessageFilter, Refusal};
use super::Shared;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(super::groups::routes())
        .merge(super::labels::routes())
        .merge(super::contacts::routes())
        .merge(super::newsletters::routes())
        .route("/health", get(health))
        .route(
            "/settings",
            get(settings).patch(patch_settings).delete(reset_settings),
        )
        .route("/chats", get(chats))
        .route("/chats/{chat_id}", get(chat))
        .route("/messages/list", get(messages))
        .route("/messages/list/{chat_id}", get(messages_of_chat))
        .route(
            "/messages/{kind}",
            get(message)
                .post(send)
                .put(mark_read)
                .delete(delete_message),
        )
        .route(
            "/messages/{kind}/reaction",
            axum::routing::put(react).delete(unreact),
        )
        .route("/messages/story/{kind}", axum::routing::post(send_story))
        .route(
            "/messages/media/{kind}",
            axum::routing::post(send_raw_media),
        )
        .route("/media", get(media_files).post(upload))
        .route("/media/{media_id}", get(download).delete(delete_media))
        .merge(super::control::routes())
        .fallback(not_emulated)
        .method_not_allowed_fallback(not_emulated)
        .layer(axum::middleware::from_fn(super::check::examples))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            super::faults::inject,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            super::check::keep_to_spec,
        ))
        // Media goes up to the service's own limit, not axum's 2 MB; outside
        // the spec's check, whose form reading needs it too.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

/// The server of every channel: each request goes to the channel its token
/// names (as on the service, one URL serves every channel); one without a
/// channel's token is refused here, as the service refuses it.
pub(super) fn by_token(channels: Vec<(String, Router)>, port: u16) -> Router {
    let channels = Arc::new(channels);
    Router::new().fallback(move |request: Request| {
        let channels = channels.clone();
        async move {
            if !names_this_loopback_server(&request, port) {
                return refuse(&Refusal::new(
                    403,
                    "the sandbox answers requests to 127.0.0.1, localhost or [::1] only (Host)",
                ));
            }
            let chosen = channels
                .iter()
                .find(|(token, _)| carries_token(&request, token))
                .map(|(_, router)| router.clone());
            match chosen {
                Some(router) => router
                    .oneshot(request)
                    .await
                    .unwrap_or_else(|never| match never {}),
                None => refuse(&Refusal::new(401, "missing or wrong token")),
            }
        }
    })
}

/// Whether the request's `Host` names this server on loopback: a web page
/// can reach a loopback server under a name of its own (DNS rebinding) and
/// would send that name. A request with no `Host` (HTTP/1.0) is taken.
fn names_this_loopback_server(request: &Request, port: u16) -> bool {
    let Some(host) = request.headers().get(header::HOST) else {
        return true;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    // `[::1]:8080`, `localhost:8080`, `localhost`.
    let (name, given_port) = match host.find(']') {
        Some(end) => (&host[..=end], host[end + 1..].strip_prefix(':')),
        None => match host.rsplit_once(':') {
            Some((name, given)) => (name, Some(given)),
            None => (host, None),
        },
    };
    let loopback = matches!(
        name.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "[::1]"
    );
    loopback && given_port.is_none_or(|given| given.parse() == Ok(port))
}

/// Whether a request carries `token`, as the service takes a channel's: a
/// bearer token, or the `token` query parameter (the spec's two schemes).
fn carries_token(request: &Request, token: &str) -> bool {
    let by_bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        == Some(token);
    let query = request.uri().query().unwrap_or_default();
    by_bearer
        || form_urlencoded::parse(query.as_bytes())
            .any(|(name, value)| name == "token" && value == token)
}

/// A state's answer as JSON, or its refusal.
pub(super) fn answer(result: Result<Value, Refusal>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(refusal) => refuse(&refusal),
    }
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
        "user": {"id": super::HEALTH_USER, "name": "Sandbox", "is_business": false}
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
    /// Offset and count, the service's defaults where not given (the
    /// spec's check has held `count` to 1..=500 already).
    pub(super) fn window(&self) -> (usize, usize) {
        (self.offset.unwrap_or(0), self.count.unwrap_or(100))
    }
}

async fn chats(State(shared): State<Arc<Shared>>, Query(paging): Query<Paging>) -> Json<Value> {
    let (offset, count) = paging.window();
    Json(shared.lock().chats_page(offset, count))
}

async fn chat(State(shared): State<Arc<Shared>>, Path(chat_id): Path<String>) -> Response {
    let channel = shared.lock();
    match channel.chat(&chat_id) {
        Some(chat) => Json(chat).into_response(),
        None => refuse(&Refusal::not_found(format!("no chat {chat_id}"))),
    }
}

async fn messages(
    State(shared): State<Arc<Shared>>,
    Query(paging): Query<Paging>,
    Query(filter): Query<MessageFilter>,
) -> Response {
    page_of_messages(&shared, None, &paging, &filter)
}

async fn messages_of_chat(
    State(shared): State<Arc<Shared>>,
    Path(chat_id): Path<String>,
    Query(paging): Query<Paging>,
    Query(filter): Query<MessageFilter>,
) -> Response {
    page_of_messages(&shared, Some(&chat_id), &paging, &filter)
}

fn page_of_messages(
    shared: &Shared,
    chat: Option<&str>,
    paging: &Paging,
    filter: &MessageFilter,
) -> Response {
    let (offset, count) = paging.window();
    Json(shared.lock().messages_page(chat, filter, offset, count)).into_response()
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
const SENDABLE: [&str; 18] = [
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
    "carousel",
];

/// `POST /messages/{kind}`: a message sent, as JSON or as a multipart form
/// with its media.
async fn send(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    request: Request,
) -> Response {
    if !SENDABLE.contains(&kind.as_str()) {
        // `POST /messages/{MessageID}`: a message forwarded.
        return forward(&shared, &kind, request).await;
    }
    let fields = match fields_of(&shared, request).await {
        Ok(fields) => fields,
        Err(refusal) => return refuse(&refusal),
    };
    let sent = shared.lock().send(&kind, fields);
    answer_sent(&shared, sent)
}

#[derive(Deserialize)]
struct Forward {
    to: String,
}

async fn forward(shared: &Arc<Shared>, id: &str, request: Request) -> Response {
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(e) => return refuse(&Refusal::bad_request(e.to_string())),
    };
    let sent = parse::<Forward>(&body).and_then(|f| shared.lock().forward(id, &f.to));
    answer_sent(shared, sent)
}

async fn mark_read(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    answer(shared.lock().mark_read(&id))
}

async fn delete_message(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    answer(shared.lock().delete(&id))
}

/// `PUT /messages/{id}/reaction`: the spec makes `emoji` optional; without
/// one, the reaction goes.
#[derive(Deserialize)]
struct Reaction {
    emoji: Option<String>,
}

async fn react(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    answer(parse::<Reaction>(&body).and_then(|r| shared.lock().react(&id, r.emoji.as_deref())))
}

async fn unreact(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    answer(shared.lock().react(&id, None))
}

async fn reset_settings(State(shared): State<Arc<Shared>>) -> Response {
    answer(Ok(shared.lock().reset_settings()))
}

async fn media_files(
    State(shared): State<Arc<Shared>>,
    Query(paging): Query<Paging>,
) -> Json<Value> {
    let (offset, count) = paging.window();
    Json(shared.lock().media_page(offset, count))
}

async fn delete_media(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    answer(shared.lock().delete_media(&id))
}

/// `POST /messages/story/{audio,media,text}`: a story, to the channel's
/// status (its kind kept as `story_kind`).
async fn send_story(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    request: Request,
) -> Response {
    let mut fields = match fields_of(&shared, request).await {
        Ok(fields) => fields,
        Err(refusal) => return refuse(&refusal),
    };
    fields.insert("story_kind".into(), Value::String(kind));
    let sent = shared.lock().send("story", fields);
    answer_sent(&shared, sent)
}

/// A request's fields: its JSON object, or its form's fields with the file
/// stored as media (by its id).
pub(super) async fn fields_of(
    shared: &Shared,
    request: Request,
) -> Result<Map<String, Value>, Refusal> {
    let is_form = media_type(request.headers()).starts_with("multipart/form-data");
    if !is_form {
        let body = Bytes::from_request(request, &())
            .await
            .map_err(|e| Refusal::bad_request(e.to_string()))?;
        return json_object(&body)
            .ok_or_else(|| Refusal::bad_request("the body is not a JSON object"));
    }
    let called = request.extensions().get::<Called>().copied();
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
            let id = shared.lock().put_media(data, &mime);
            json!(id)
        } else {
            let text = String::from_utf8_lossy(&data);
            match called {
                Some(Called(op)) => op.read_field(&name, &text),
                None => Value::String(text.into_owned()),
            }
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
    let mime = media_type(&headers).to_string();
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
    let id = shared.lock().put_media(body, &mime);
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

/// No route took the request. The `examples` middleware answers the
/// operations not emulated; an emulated one here is the sandbox's own
/// mistake, said as such rather than hidden behind an example.
async fn not_emulated(method: Method, uri: Uri, request: Request) -> Response {
    match request.extensions().get::<Called>() {
        Some(Called(op)) if super::check::EMULATED.contains(&op.id.as_str()) => {
            refuse(&Refusal::new(
                500,
                format!(
                    "the sandbox has no route for {} ({method} {})",
                    op.id,
                    uri.path()
                ),
            ))
        }
        called => answer_example(&method, uri.path(), called),
    }
}

/// A request's media type as sent (`application/octet-stream` when it
/// names none).
pub(super) fn media_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
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
    Extension(Called(op)): Extension<Called>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The spec's check has held `kind` to its MediaMessageType enum.
    let mime = media_type(&headers).to_string();
    let mut fields = op.read_query(uri.query());
    let sent = {
        let mut channel = shared.lock();
        let id = channel.put_media(body, &mime);
        fields.insert("media".into(), json!(id));
        channel.send(&kind, fields)
    };
    answer_sent(&shared, sent)
}

/// The answer to a send, and its statuses to come.
pub(super) fn answer_sent(shared: &Arc<Shared>, sent: Result<Value, Refusal>) -> Response {
    match sent {
        Ok(message) => {
            shared.notify_sent();
            let event = shared.lock().sent_event(&message);
            shared.deliver(event);
            if let Some(id) = message["id"].as_str() {
                shared.progress(id.to_string());
            }
            Json(json!({"sent": true, "message": message})).into_response()
        }
        Err(refusal) => refuse(&refusal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(host: &str) -> Request {
        Request::builder()
            .uri("/health")
            .header(header::HOST, host)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn only_this_loopback_server_is_answered() {
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "[::1]",
        ] {
            assert!(names_this_loopback_server(&to(host), 8080), "{host}");
        }
        for host in [
            "evil.example:8080",
            "127.0.0.1:9090",
            "localhost.evil.example",
            "[::2]:8080",
            "127.0.0.1:x",
        ] {
            assert!(!names_this_loopback_server(&to(host), 8080), "{host}");
        }
    }
}
