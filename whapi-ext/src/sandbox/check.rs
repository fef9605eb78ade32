//! Every request to the service's paths keeps to the spec before the
//! sandbox acts on it, as the service (and Prism) would have it; operations
//! the sandbox does not emulate answer the spec's example.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::routes::refuse;
use super::spec::{Found, Operation, Problems, Received};
use super::state::Refusal;
use super::Shared;

/// The largest body taken (100 MiB, the service's largest media).
pub(super) const MAX_BODY: usize = 100 << 20;

/// The header (`x-sandbox-answer: example`) that marks an answer written
/// from the spec's example, not from the sandbox's state.
pub const ANSWER_HEADER: &str = "x-sandbox-answer";

/// The operations the sandbox emulates, by operationId; the others answer
/// the spec's example. The contract suite's parity test holds this list to
/// what the sandbox does.
pub(crate) const EMULATED: &[&str] = &[
    "checkHealth",
    "getChannelSettings",
    "updateChannelSettings",
    "getChats",
    "getChat",
    "getMessages",
    "getMessagesByChatID",
    "getMessage",
    "markMessageAsRead",
    "deleteMessage",
    "reactToMessage",
    "removeReactFromMessage",
    "forwardMessage",
    "resetChannelSettings",
    "getMediaFiles",
    "deleteMedia",
    "updateGroupInfo",
    "leaveGroup",
    "revokeGroupInvite",
    "deleteGroupIcon",
    "getGroupMetadataByInviteCode",
    "acceptGroupInvite",
    "sendGroupInvite",
    "sendMessageText",
    "sendMessageImage",
    "sendMessageVideo",
    "sendMessageShort",
    "sendMessageGif",
    "sendMessageAudio",
    "sendMessageVoice",
    "sendMessageDocument",
    "sendMessageLinkPreview",
    "sendMessageLocation",
    "sendMessageLiveLocation",
    "sendMessageContact",
    "sendMessageContactList",
    "sendMessagePoll",
    "sendMessageInteractive",
    "sendMessageSticker",
    "sendMessageStory",
    "sendMessageStoryAudio",
    "sendMessageStoryMedia",
    "sendMessageStoryText",
    "sendMessageCarousel",
    "sendMediaMessage",
    "uploadMedia",
    "getMedia",
    "getGroups",
    "createGroup",
    "getGroup",
    "getGroupInvite",
    "addGroupParticipant",
    "removeGroupParticipant",
    "promoteToGroupAdmin",
    "demoteGroupAdmin",
    "getGroupIcon",
    "setGroupIcon",
    "getLabels",
    "createLabel",
    "getLabelAssociations",
    "addLabelAssociation",
    "deleteLabelAssociation",
    "getContacts",
    "checkPhones",
    "addContact",
    "getContact",
    "checkExist",
    "sendContact",
    "sendMePresence",
    "getPresence",
    "subscribePresence",
    "sendPresence",
    "getNewsletters",
    "createNewsletter",
    "findNewsletter",
    "getMessagesNewsletter",
];

/// The operation a request calls, for the handlers after the check.
#[derive(Clone, Copy, Debug)]
pub(super) struct Called(pub &'static Operation);

/// The middleware: finds the operation, checks the request against it and
/// refuses it with every reason, or hands it on with [`Called`].
pub(super) async fn keep_to_spec(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/_sandbox/") {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let (op, path_values) = match shared.spec.find(method.as_str(), &path) {
        Found::Call(op, values) => (op, values),
        Found::WrongMethod => {
            return refuse(&Refusal::new(
                405,
                format!("the spec has no {method} {path}"),
            ))
        }
        Found::NoPath => {
            return refuse(&Refusal::not_found(format!("the spec has no path {path}")))
        }
    };
    let (mut parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return refuse(&Refusal::new(
                413,
                format!("the body could not be read: {e}"),
            ))
        }
    };
    let media_type = super::routes::media_type(&parts.headers).to_string();
    let form = if media_type.starts_with("multipart/form-data") {
        match form_fields(&parts, &media_type, bytes.clone()).await {
            Ok(fields) => Some(fields),
            Err(refusal) => return refuse(&refusal),
        }
    } else {
        None
    };
    let received = match form {
        Some(fields) => Received::Form(fields),
        None if bytes.is_empty() => Received::Empty,
        None => Received::Bytes(&bytes, &media_type),
    };
    let checked = shared
        .spec
        .check(op, &path_values, parts.uri.query(), &received);
    if let Err(Problems { status, reasons }) = checked {
        let mut refusal = Refusal::new(status, format!("{} breaks the spec", op.id));
        refusal.details = reasons;
        return refuse(&refusal);
    }
    parts.extensions.insert(Called(op));
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A form's fields: their text, or `None` for a file.
async fn form_fields(
    parts: &axum::http::request::Parts,
    media_type: &str,
    bytes: Bytes,
) -> Result<Vec<(String, Option<String>)>, Refusal> {
    let mut request = Request::builder()
        .header(header::CONTENT_TYPE, media_type)
        .body(Body::from(bytes))
        .map_err(|e| Refusal::bad_request(e.to_string()))?;
    // The body limit the router set (100 MiB), not axum's default 2 MB.
    *request.extensions_mut() = parts.extensions.clone();
    let mut form = Multipart::from_request(request, &())
        .await
        .map_err(|e| Refusal::bad_request(e.to_string()))?;
    let mut fields = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| Refusal::bad_request(format!("the form: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if field.file_name().is_some() {
            // A file's bytes are the handler's; the next field skips them.
            fields.push((name, None));
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|e| Refusal::bad_request(format!("the form's `{name}`: {e}")))?;
        fields.push((name, Some(text)));
    }
    Ok(fields)
}

/// The middleware before the routes: an operation the sandbox does not
/// emulate answers the spec's example here, so no route of an emulated
/// one (`/contacts/{ContactID}`) takes its path (`/contacts/lids`).
pub(super) async fn examples(request: Request, next: Next) -> Response {
    match request.extensions().get::<Called>() {
        Some(called) if !EMULATED.contains(&called.0.id.as_str()) => {
            answer_example(request.method(), request.uri().path(), Some(called))
        }
        _ => next.run(request).await,
    }
}

/// The spec's example answer of the operation called, marked as such; for
/// the operations the sandbox does not emulate.
pub(super) fn answer_example(method: &Method, path: &str, called: Option<&Called>) -> Response {
    let Some(Called(op)) = called else {
        return refuse(&Refusal::not_found(format!(
            "the spec has no {method} {path}"
        )));
    };
    let example = &op.example;
    let status = axum::http::StatusCode::from_u16(example.status).unwrap_or_default();
    let mut response = match (&example.content_type, &example.body) {
        (Some(json), Some(body)) if json == "application/json" => {
            (status, axum::Json(body.clone())).into_response()
        }
        (Some(media_type), Some(body)) => (
            status,
            [(header::CONTENT_TYPE, media_type.clone())],
            body.as_str().unwrap_or_default().to_string(),
        )
            .into_response(),
        _ => status.into_response(),
    };
    response
        .headers_mut()
        .insert(ANSWER_HEADER, HeaderValue::from_static("example"));
    response
}
