//! Replies to every text a person sends in a direct chat with the same text.
//!
//! ```sh
//! cargo run -p whapi-ext --features axum --example echo_bot
//! ```
//!
//! Without `WHAPI_TOKEN` it runs the whole loop locally and says so: a
//! spec-validating mock of the API (Prism, installed with npm on the first
//! run), the receiver on 127.0.0.1, one incoming message posted to it, and
//! the reply, which the mock checks against the spec.
//!
//! With `WHAPI_TOKEN` it listens on `WEBHOOK_ADDR` (default `0.0.0.0:8080`,
//! path `/webhook`) and replies through the real service; point the
//! channel's webhook there. `WEBHOOK_SECRET` is required: requests must
//! carry it in an `x-webhook-secret` header (set it as a custom header of
//! the webhook, e.g. with `Whapi::ensure_webhook_with_headers`).

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use whapi_ext::webhooks::{MessageBody, Payload, WebhookEvent, WebhookReceiver, WebhookVerifier};
use whapi_ext::Whapi;

/// How many message ids the bot remembers, to answer a redelivered
/// webhook only once.
const REMEMBERED: usize = 1024;

struct Bot {
    wa: Whapi,
    seen: Mutex<VecDeque<String>>,
}

impl Bot {
    /// Whether `id` is new; remembers it.
    fn first_time(&self, id: &str) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.iter().any(|s| s == id) {
            return false;
        }
        if seen.len() == REMEMBERED {
            seen.pop_front();
        }
        seen.push_back(id.to_string());
        true
    }

    /// Replies to each new text someone else sent in a direct chat; returns
    /// the replies.
    async fn echo(&self, event: WebhookEvent) -> whapi_ext::Result<Vec<String>> {
        let mut replies = Vec::new();
        let Payload::Messages(messages) = &event.payload else {
            return Ok(replies);
        };
        for message in messages.iter().filter(|m| !m.from_me()) {
            let (MessageBody::Text(text), Some(chat), Some(id)) =
                (message.body(), message.chat_id(), message.id.as_deref())
            else {
                continue;
            };
            // In a group the bot would repeat everyone: people only.
            if chat.ends_with("@g.us") || !self.first_time(id) {
                continue;
            }
            let reply = format!("echo: {}", text.body.as_deref().unwrap_or_default());
            self.wa.send_message_text(chat, &reply).quoted(id).await?;
            println!("replied to {chat}: {reply}");
            replies.push(reply);
        }
        Ok(replies)
    }
}

/// The webhook route; `done` hears every event's outcome.
fn receiver(
    bot: Arc<Bot>,
    secret: &str,
    done: Option<mpsc::UnboundedSender<Result<Vec<String>, String>>>,
) -> Result<axum::Router, common::Failure> {
    let receiver = WebhookReceiver::new(move |event| {
        let (bot, done) = (bot.clone(), done.clone());
        async move {
            let outcome = bot.echo(event).await.map_err(|e| e.to_string());
            if let Some(done) = done {
                let _ = done.send(outcome.clone());
            }
            outcome.map(drop)
        }
    });
    // Without a secret anyone could post a fake event and make the bot send
    // messages from your number.
    let receiver = receiver.verifier(WebhookVerifier::new("x-webhook-secret", secret)?);
    Ok(receiver.router("/webhook"))
}

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let session = common::connect()?;
    let bot = Arc::new(Bot {
        wa: session.wa.clone(),
        seen: Mutex::new(VecDeque::new()),
    });
    if !session.mock {
        let secret = std::env::var("WEBHOOK_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or(
                "set WEBHOOK_SECRET, and the same value as the webhook's `x-webhook-secret` header",
            )?;
        let addr = std::env::var("WEBHOOK_ADDR").unwrap_or_else(|_| "0.0.0.0:8080".into());
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("listening on http://{addr}/webhook");
        axum::serve(listener, receiver(bot, &secret, None)?).await?;
        return Ok(());
    }

    let (done, mut outcomes) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = receiver(bot, "s3cr3t", Some(done))?;
    tokio::spawn(async move { axum::serve(listener, router).await });

    let incoming = json!({
        "messages": [{"id": "PsobWy36679._7w-wKmB9tMeGQ", "type": "text", "text": {"body": "hello bot"},
                      "chat_id": format!("{}@s.whatsapp.net", common::MOCK_RECIPIENTS[0]),
                      "from_me": false, "timestamp": 1700000000}],
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

    match tokio::time::timeout(Duration::from_secs(30), outcomes.recv()).await {
        Ok(Some(Ok(replies))) if !replies.is_empty() => {
            println!(
                "the mock accepted the reply as the spec describes it: {}",
                replies.join(" | ")
            );
            Ok(())
        }
        Ok(Some(Ok(_))) => Err("the bot did not reply".into()),
        Ok(Some(Err(e))) => Err(format!("the reply failed: {e}").into()),
        Ok(None) | Err(_) => Err("no reply within 30 s".into()),
    }
}
