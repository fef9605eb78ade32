//! The sandbox's own paths beside the service's, for tools and languages
//! other than Rust: inject what a person sends, set faults, read what was
//! sent.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::routes::{parse, refuse};
use super::state::Refusal;
use super::Shared;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sandbox/receive", post(control_receive))
        .route("/_sandbox/press", post(control_press))
        .route("/_sandbox/sent/{chat}", get(control_sent))
        .route("/_sandbox/faults", post(control_fault).delete(clear_faults))
        .route("/_sandbox/operations", get(operations))
        .route("/_sandbox/status", post(control_status))
        .route("/_sandbox/join", post(control_join))
        .route("/_sandbox/leave", post(control_leave))
        .route("/_sandbox/presence", post(control_presence))
}

/// `{"success": true}`, or the refusal.
fn done(result: Result<(), Refusal>) -> Response {
    super::routes::answer(result.map(|()| json!({"success": true})))
}

#[derive(Deserialize)]
struct StatusChange {
    message_id: String,
    status: String,
}

async fn control_status(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    done(parse::<StatusChange>(&body).and_then(|c| shared.set_status(&c.message_id, &c.status)))
}

#[derive(Deserialize)]
struct Membership {
    group_id: String,
    from: String,
}

async fn control_join(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    done(
        parse::<Membership>(&body)
            .and_then(|m| shared.change_membership(&m.group_id, &m.from, true)),
    )
}

async fn control_leave(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    done(
        parse::<Membership>(&body)
            .and_then(|m| shared.change_membership(&m.group_id, &m.from, false)),
    )
}

#[derive(Deserialize)]
struct PresenceChange {
    from: String,
    status: String,
}

async fn control_presence(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    done(parse::<PresenceChange>(&body).and_then(|p| shared.set_presence(&p.from, &p.status)))
}

/// Which operations answer from the sandbox's state, which from the spec's
/// examples.
async fn operations() -> Json<serde_json::Value> {
    Json(json!({
        "emulated": super::emulated_operations(),
        "examples": super::example_operations(),
    }))
}

/// Everything waiting to fail is forgotten.
async fn clear_faults(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    shared.faults.clear();
    Json(json!({"success": true}))
}

/// `POST /_sandbox/receive`: `{"from", "text"}`.
#[derive(Deserialize)]
struct Incoming {
    from: String,
    text: String,
}

async fn control_receive(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let incoming: Incoming = match parse(&body) {
        Ok(incoming) => incoming,
        Err(refusal) => return refuse(&refusal),
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
    let press: Press = match parse(&body) {
        Ok(press) => press,
        Err(refusal) => return refuse(&refusal),
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
    let chat = match super::state::chat_of(&chat) {
        Ok(chat) => chat,
        Err(refusal) => return refuse(&refusal),
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
    let request: FaultRequest = match parse(&body) {
        Ok(request) => request,
        Err(refusal) => return refuse(&refusal),
    };
    let fault = match (request.status, request.stall_ms, request.cut) {
        (Some(status), None, None) => Fault::Status {
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
    let times = request.times.unwrap_or(1);
    let set = shared.faults.set(&request.operation, times, fault);
    super::routes::answer(
        set.map(|id| json!({"operation": id, "times": times}))
            .map_err(|(_, rule)| Refusal::bad_request(rule)),
    )
}
