//! The axum receiver end to end on loopback, and `ensure_webhook` against a
//! mock of the settings endpoints.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use whapi_client::types;
use whapi_ext::webhooks::{Payload, WebhookEvent, WebhookReceiver, WebhookVerifier};
use whapi_tests::MockServer;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const SECRET: &str = "s3cr3t-hook";

/// Serves a receiver that forwards events to the returned channel; the
/// handler fails for events of channel `FAIL`.
async fn serve(limit: usize) -> (SocketAddr, mpsc::UnboundedReceiver<WebhookEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let router = WebhookReceiver::new(move |event: WebhookEvent| {
        let tx = tx.clone();
        async move {
            let fail = event.channel_id.as_deref() == Some("FAIL");
            tx.send(event).map_err(|e| e.to_string())?;
            if fail {
                return Err("the handler failed".to_string());
            }
            Ok(())
        }
    })
    .verifier(WebhookVerifier::new("x-webhook-secret", SECRET).unwrap())
    .body_limit(limit)
    .router("/hook");
    (crate::serve(router).await, rx)
}

async fn post(address: SocketAddr, secret: Option<&str>, body: Vec<u8>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("http://{address}/hook"))
        .body(body);
    if let Some(secret) = secret {
        request = request.header("x-webhook-secret", secret);
    }
    request.send().await.unwrap().status().as_u16()
}

fn event(channel: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"messages": [{"id": "m1", "type": "text", "text": {"body": "hi"}}],
        "event": {"type": "messages", "event": "post"}, "channel_id": channel}),
    )
    .unwrap()
}

#[tokio::test]
async fn a_verified_event_is_answered_200_and_handed_to_the_handler() {
    let (address, mut events) = serve(64 * 1024).await;

    assert_eq!(post(address, Some(SECRET), event("MANTIS-1")).await, 200);

    let received = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(received.channel_id.as_deref(), Some("MANTIS-1"));
    assert!(
        matches!(received.payload, Payload::Messages(ref m) if m[0].text_or_caption() == Some("hi"))
    );
}

#[tokio::test]
async fn wrong_or_missing_headers_oversized_bodies_and_garbage_are_refused() {
    let (address, mut events) = serve(1024).await;

    assert_eq!(post(address, Some("wrong"), event("X")).await, 401);
    assert_eq!(post(address, None, event("X")).await, 401);
    assert_eq!(post(address, Some(SECRET), vec![b' '; 4096]).await, 413);
    assert_eq!(
        post(address, Some(SECRET), b"\x00garbage{".to_vec()).await,
        400
    );
    assert_eq!(
        post(address, Some(SECRET), b"{}".to_vec()).await,
        400,
        "no event type"
    );

    assert!(
        tokio::time::timeout(Duration::from_millis(200), events.recv())
            .await
            .is_err(),
        "no event reached the handler"
    );
}

#[tokio::test]
async fn a_failing_handler_gets_the_service_500_and_the_receiver_goes_on() {
    let (address, mut events) = serve(64 * 1024).await;

    assert_eq!(post(address, Some(SECRET), event("FAIL")).await, 500);
    assert_eq!(post(address, Some(SECRET), event("AFTER")).await, 200);

    let first = events.recv().await.unwrap();
    let second = events.recv().await.unwrap();
    assert_eq!(first.channel_id.as_deref(), Some("FAIL"));
    assert_eq!(second.channel_id.as_deref(), Some("AFTER"));
}

/// A handler that fails its first attempt at each event, counting them.
fn failing_once() -> (WebhookReceiver, Arc<Mutex<Vec<String>>>) {
    let calls = Arc::new(Mutex::new(Vec::<String>::new()));
    let handler_calls = calls.clone();
    let receiver = WebhookReceiver::new(move |event: WebhookEvent| {
        let calls = handler_calls.clone();
        async move {
            let channel = event.channel_id.unwrap_or_default();
            let mut calls = calls.lock().unwrap();
            calls.push(channel.clone());
            if calls.iter().filter(|c| **c == channel).count() == 1 {
                return Err("the first attempt fails".to_string());
            }
            Ok(())
        }
    })
    .without_verification();
    (receiver, calls)
}

#[tokio::test]
async fn an_event_is_acknowledged_once_handled_and_its_later_deliveries_are_not_handled() {
    let (receiver, calls) = failing_once();
    let address = crate::serve(receiver.router("/hook")).await;

    let answers = [
        post(address, None, event("A")).await,
        post(address, None, event("A")).await,
        post(address, None, event("A")).await,
    ];

    assert_eq!(answers, [500, 200, 200]);
    assert_eq!(
        *calls.lock().unwrap(),
        ["A", "A"],
        "the third delivery is a duplicate"
    );
}

#[tokio::test]
async fn past_its_concurrency_or_timeout_the_receiver_answers_503_or_500() {
    let release = Arc::new(tokio::sync::Notify::new());
    let (started, mut has_started) = mpsc::unbounded_channel();
    let handler_release = release.clone();
    // Its default timeout (30 s): the blocked handler outlives any delay of
    // a loaded machine until it is released.
    let router = WebhookReceiver::new(move |_: WebhookEvent| {
        let (release, started) = (handler_release.clone(), started.clone());
        async move {
            let _ = started.send(());
            release.notified().await;
            Ok::<(), String>(())
        }
    })
    .concurrency(1)
    .without_verification()
    .router("/hook");
    let address = crate::serve(router).await;

    let blocked = tokio::spawn(post(address, None, event("BLOCKED")));
    has_started.recv().await.unwrap();
    let refused = reqwest::Client::new()
        .post(format!("http://{address}/hook"))
        .body(event("OTHER"))
        .send()
        .await
        .unwrap();
    release.notify_one();

    assert_eq!(refused.status().as_u16(), 503);
    assert_eq!(refused.headers()["retry-after"], "5");
    assert_eq!(blocked.await.unwrap(), 200);

    let slow = WebhookReceiver::new(|_: WebhookEvent| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok::<(), String>(())
    })
    .timeout(Duration::from_millis(300))
    .without_verification()
    .router("/hook");
    let slow = crate::serve(slow).await;
    assert_eq!(
        post(slow, None, event("SLOW")).await,
        500,
        "past its timeout"
    );
}

fn messages_post() -> types::Event {
    types::Event {
        type_: Some(types::WebhookEventTypeType::Messages),
        method: Some(types::EventMethod::Post),
    }
}

#[tokio::test]
async fn ensure_webhook_adds_its_hook_keeps_the_others_and_is_idempotent() {
    let server = MockServer::start().await;
    let other = json!({"url": "https://other.example/hook", "events": [{"type": "statuses", "method": "post"}],
                       "mode": "body", "headers": {"x-other": "1"}});
    Mock::given(method("GET"))
        .and(path("/settings"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"webhooks": [other.clone()]})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let ours = json!({"url": "https://bot.example/hook", "events": [{"type": "messages", "method": "post"}], "mode": "body"});
    Mock::given(method("GET"))
        .and(path("/settings"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"webhooks": [other.clone(), ours]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/settings"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"before_update": {}, "after_update": {}, "changes": []})),
        )
        .mount(&server)
        .await;
    let wa = crate::whapi(&server);

    let changed = wa
        .ensure_webhook("https://bot.example/hook", [messages_post()])
        .mode(types::WebhookParametersMode::Body)
        .await
        .unwrap();
    let unchanged = wa
        .ensure_webhook("https://bot.example/hook", [messages_post()])
        .mode(types::WebhookParametersMode::Body)
        .await
        .unwrap();

    assert!(changed && !unchanged);
    let requests = server.received_requests().await.unwrap();
    let patches: Vec<serde_json::Value> = requests
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(patches.len(), 1, "the second call changed nothing");
    let hooks = patches[0]["webhooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0], other, "the other webhook is kept as it was");
    assert_eq!(hooks[1]["url"], "https://bot.example/hook");
    assert_eq!(
        hooks[1]["events"],
        json!([{"type": "messages", "method": "post"}])
    );
    assert_eq!(
        patches[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["webhooks"],
        "no other setting is touched"
    );
}

#[tokio::test]
async fn auth_is_checked_before_the_body_is_read_and_every_mode_reaches_the_receiver() {
    let (address, mut events) = serve(1024).await;

    assert_eq!(
        post(address, None, vec![b' '; 4096]).await,
        401,
        "an unauthenticated oversized body is refused for auth"
    );
    let put = reqwest::Client::new()
        .put(format!("http://{address}/hook/messages/put"))
        .header("x-webhook-secret", SECRET)
        .body(event("PATH-MODE"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 200, "method and path modes");

    let received = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(received.channel_id.as_deref(), Some("PATH-MODE"));
}

#[tokio::test]
async fn a_panicking_handler_gets_500_and_the_receiver_keeps_working() {
    let handled = Arc::new(Mutex::new(Vec::<String>::new()));
    let handler_handled = handled.clone();
    let router = WebhookReceiver::new(move |event: WebhookEvent| {
        let handled = handler_handled.clone();
        async move {
            if event.channel_id.as_deref() == Some("PANIC") {
                panic!("handler bug");
            }
            handled.lock().unwrap().extend(event.channel_id);
            Ok::<(), String>(())
        }
    })
    .without_verification()
    .router("hook");
    let address = crate::serve(router).await;

    assert_eq!(post(address, None, event("PANIC")).await, 500);
    assert_eq!(post(address, None, event("AFTER")).await, 200);
    assert_eq!(*handled.lock().unwrap(), ["AFTER"]);
}

#[tokio::test]
async fn ensure_webhook_keeps_other_webhooks_and_renames_deprecated_events() {
    let server = MockServer::start().await;
    let legacy = json!({"url": "https://legacy.example", "events": [{"type": "message", "method": "put"}], "future": {"x": 1}});
    let ours = json!({"url": "https://bot.example/hook", "mode": "body", "headers": {"x-webhook-secret": "s"},
                      "events": [{"method": "put", "type": "chats"}, {"type": "messages", "method": "post"}]});
    Mock::given(method("GET"))
        .and(path("/settings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"webhooks": [legacy.clone(), ours.clone()], "offline_mode": true}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/settings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let wa = crate::whapi(&server);
    let chats_put = types::Event {
        type_: Some(types::WebhookEventTypeType::Chats),
        method: Some(types::EventMethod::Put),
    };

    // The same events in another order, the same header: nothing to do.
    let same = wa
        .ensure_webhook(
            "https://bot.example/hook",
            [messages_post(), chats_put.clone()],
        )
        .header("x-webhook-secret", "s")
        .await
        .unwrap();
    assert!(!same);
    // A new secret: one patch, with the legacy hook untouched.
    let changed = wa
        .ensure_webhook("https://bot.example/hook", [messages_post(), chats_put])
        .header("x-webhook-secret", "t")
        .await
        .unwrap();
    assert!(changed);

    let requests = server.received_requests().await.unwrap();
    let patches: Vec<serde_json::Value> = requests
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(patches.len(), 1);
    assert_eq!(
        patches[0]["webhooks"][0],
        json!({"url": "https://legacy.example", "events": [{"type": "messages", "method": "put"}]}),
        "the other webhook is kept, its deprecated event under its new name"
    );
    assert_eq!(
        patches[0].as_object().map(|o| o.len()),
        Some(1),
        "only the webhooks are written: {}",
        patches[0]
    );
    assert_eq!(
        patches[0]["webhooks"][1]["headers"],
        json!({"x-webhook-secret": "t"})
    );
    assert_eq!(
        patches[0]["webhooks"][1]["mode"], "body",
        "mode left as it was"
    );
}

/// Who may post is a choice: with neither a verifier nor
/// `without_verification`, the receiver and the inbox refuse everything.
#[tokio::test]
async fn a_receiver_or_inbox_with_no_verification_chosen_refuses_every_request() {
    let receiver =
        WebhookReceiver::new(|_: WebhookEvent| async { Ok::<(), String>(()) }).router("/hook");
    let receiver = crate::serve(receiver).await;
    assert_eq!(post(receiver, None, event("ANY")).await, 401);

    let dir = tempfile::tempdir().unwrap();
    let inbox = whapi_ext::webhooks::Inbox::builder()
        .sqlite(dir.path().join("inbox.db"), |_: WebhookEvent| async {
            Ok::<(), String>(())
        })
        .await
        .unwrap();
    let address = crate::serve(inbox.router("/hook")).await;
    assert_eq!(post(address, None, event("ANY")).await, 401);
    assert_eq!(inbox.waiting().await.unwrap(), 0, "nothing stored");
}
