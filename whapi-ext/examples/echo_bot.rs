//! Replies to every incoming text with the same text.
//!
//! ```sh
//! cargo run -p whapi-ext --features axum --example echo_bot
//! ```
//!
//! With `WHAPI_TOKEN` set it listens on `WEBHOOK_ADDR` (default
//! `0.0.0.0:8080`, path `/webhook`) and replies through the real service;
//! point the channel's webhook there. `WEBHOOK_SECRET` is required: requests
//! must carry it in an `x-webhook-secret` header (configure it as a custom
//! header of the webhook, e.g. with `Whapi::ensure_webhook_with_headers`). Without a token it runs the whole loop locally: a mock of the
//! API, the receiver on 127.0.0.1, one incoming message posted to it, and
//! the reply the mock receives.

use std::time::Duration;

use serde_json::json;
use whapi_ext::raw::types;
use whapi_ext::webhooks::{MessageBody, Payload, WebhookEvent, WebhookReceiver, WebhookVerifier};
use whapi_ext::Whapi;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Replies to each text message that someone else sent.
async fn echo(wa: Whapi, event: WebhookEvent) -> whapi_ext::Result<()> {
    let Payload::Messages(messages) = &event.payload else {
        return Ok(());
    };
    for message in messages.iter().filter(|m| !m.from_me()) {
        let MessageBody::Text(text) = message.body() else {
            continue;
        };
        let (Some(chat), Some(text)) = (message.chat_id(), text.body.as_deref()) else {
            continue;
        };
        let reply = types::SenderText::builder()
            .to(chat.to_string())
            .body(format!("echo: {text}"));
        wa.call(|c| c.send_message_text().body(reply).send())
            .await?;
        println!("replied to {chat}: echo: {text}");
    }
    Ok(())
}

fn receiver(wa: &Whapi, secret: Option<&str>) -> Result<axum::Router, Failure> {
    let wa = wa.clone();
    let mut receiver = WebhookReceiver::new(move |event| echo(wa.clone(), event));
    if let Some(secret) = secret {
        receiver = receiver.verifier(WebhookVerifier::new("x-webhook-secret", secret)?);
    }
    Ok(receiver.router("/webhook"))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    if std::env::var("WHAPI_TOKEN").is_ok_and(|t| !t.trim().is_empty()) {
        let wa = Whapi::from_env()?;
        // Without a secret anyone could post a fake event and make the bot
        // send messages from your number.
        let secret = std::env::var("WEBHOOK_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or(
                "set WEBHOOK_SECRET, and the same value as the webhook's `x-webhook-secret` header",
            )?;
        let addr = std::env::var("WEBHOOK_ADDR").unwrap_or_else(|_| "0.0.0.0:8080".into());
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("listening on http://{addr}/webhook");
        axum::serve(listener, receiver(&wa, Some(&secret))?).await?;
        return Ok(());
    }

    println!("WHAPI_TOKEN is not set: running against a local mock");
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/messages/text"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sent": true})))
        .mount(&api)
        .await;
    let wa = Whapi::builder()
        .token("mock-token")
        .base_url(api.uri())
        .build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = receiver(&wa, Some("s3cr3t"))?;
    tokio::spawn(async move { axum::serve(listener, router).await });

    let incoming = json!({
        "messages": [{"id": "PsobWy36679._7w-wKmB9tMeGQ", "type": "text", "text": {"body": "hello bot"},
                      "chat_id": "15550100000@s.whatsapp.net", "from_me": false, "timestamp": 1700000000}],
        "event": {"type": "messages", "event": "post"},
        "channel_id": "MOCK-1234"
    });
    let status = reqwest::Client::new()
        .post(format!("http://{address}/webhook"))
        .header("x-webhook-secret", "s3cr3t")
        .json(&incoming)
        .send()
        .await?
        .status();
    println!("posted a webhook to the receiver: {status}");

    for _ in 0..50 {
        let requests = api.received_requests().await.unwrap_or_default();
        if let Some(reply) = requests.iter().find(|r| r.url.path() == "/messages/text") {
            let body: serde_json::Value = serde_json::from_slice(&reply.body)?;
            println!("the mock API received the reply: {body}");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err("no reply reached the mock API".into())
}
