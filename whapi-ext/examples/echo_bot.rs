//! Echoes every text a person sends in a direct chat, with two buttons
//! under it, and answers a button press; webhooks go through a durable
//! inbox on an SQLite file, so none is lost to a crash or a deploy.
//!
//! ```sh
//! cargo run -p whapi-ext --features axum,sqlite --example echo_bot
//! ```
//!
//! Without `WHAPI_TOKEN` it runs the whole loop locally and says so: a
//! spec-validating mock of the API (Prism, installed with npm on the first
//! run), the inbox on 127.0.0.1, an incoming text and then a press of one
//! of the bot's buttons posted to it, and the bot's answers, which the mock
//! checks against the spec.
//!
//! With `WHAPI_TOKEN` it listens on `WEBHOOK_ADDR` (default `0.0.0.0:8080`,
//! path `/webhook`), keeps its inbox in `INBOX_PATH` (default
//! `echo_bot.db`) and answers through the real service; point the
//! channel's webhook there. `WEBHOOK_SECRET` is required: requests must
//! carry it in an `x-webhook-secret` header (set it as a custom header of
//! the webhook, e.g. with `Whapi::ensure_webhook_with_headers`).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use whapi_ext::types::{Button, InteractiveAction};
use whapi_ext::webhooks::{Inbox, Message, MessageBody, Payload, WebhookEvent, WebhookVerifier};
use whapi_ext::Whapi;

/// The ids the bot gives its buttons, and matches presses on.
const AGAIN: &str = "again";
const THANKS: &str = "thanks";

/// Answers one message someone else sent in a direct chat; the answer, or
/// `None` for messages it leaves alone.
async fn answer(wa: &Whapi, message: &Message) -> whapi_ext::Result<Option<String>> {
    let (Some(chat), Some(id)) = (message.chat_id(), message.id.as_deref()) else {
        return Ok(None);
    };
    // In a group the bot would repeat everyone: people only.
    if message.from_me() || chat.ends_with("@g.us") {
        return Ok(None);
    }
    match message.body() {
        MessageBody::Text(text) => {
            let echo = format!("echo: {}", text.body.as_deref().unwrap_or_default());
            let buttons = InteractiveAction::with_buttons([
                Button::quick_reply(AGAIN, "Say it again"),
                Button::quick_reply(THANKS, "Thanks"),
            ]);
            let sent = wa
                .send_message_interactive(chat, buttons)
                .body(echo.as_str())
                .quoted(id)
                .await?;
            Ok(Some(format!(
                "{echo} (message {}, with 2 buttons)",
                sent.id()
            )))
        }
        MessageBody::ButtonReply(pressed) => {
            let title = pressed.title.as_deref().unwrap_or_default();
            let reply = match message.choice_id() {
                Some(AGAIN) => format!("you pressed \"{title}\": again, then"),
                Some(THANKS) => "you're welcome".to_string(),
                other => format!("no button has the id {}", other.unwrap_or("(none)")),
            };
            wa.send_message_text(chat, &reply).quoted(id).await?;
            Ok(Some(reply))
        }
        _ => Ok(None),
    }
}

/// The answers to an event's messages.
async fn handle(wa: &Whapi, event: &WebhookEvent) -> whapi_ext::Result<Vec<String>> {
    let mut answers = Vec::new();
    if let Payload::Messages(messages) = &event.payload {
        for message in messages.iter() {
            answers.extend(answer(wa, message).await?);
        }
    }
    Ok(answers)
}

/// The inbox on `path`; `done` hears every event's outcome.
async fn inbox(
    wa: Whapi,
    path: &Path,
    secret: &str,
    done: Option<mpsc::UnboundedSender<Result<Vec<String>, String>>>,
) -> Result<Inbox, common::Failure> {
    let handler = move |event: WebhookEvent| {
        let (wa, done) = (wa.clone(), done.clone());
        async move {
            let outcome = handle(&wa, &event).await.map_err(|e| e.to_string());
            if let Some(done) = done {
                let _ = done.send(outcome.clone());
            }
            // An error is retried with backoff, then kept as a dead letter.
            outcome.map(drop)
        }
    };
    // Without a secret anyone could post a fake event and make the bot send
    // messages from your number.
    let inbox = Inbox::builder()
        .verifier(WebhookVerifier::new("x-webhook-secret", secret)?)
        .sqlite(path, handler)
        .await?;
    Ok(inbox)
}

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let session = common::connect()?;
    if !session.mock {
        let secret = std::env::var("WEBHOOK_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or(
                "set WEBHOOK_SECRET, and the same value as the webhook's `x-webhook-secret` header",
            )?;
        let path = std::env::var("INBOX_PATH").unwrap_or_else(|_| "echo_bot.db".into());
        let inbox = inbox(session.wa.clone(), Path::new(&path), &secret, None).await?;
        let addr = std::env::var("WEBHOOK_ADDR").unwrap_or_else(|_| "0.0.0.0:8080".into());
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("listening on http://{addr}/webhook, inbox in {path}");
        axum::serve(listener, inbox.router("/webhook")).await?;
        return Ok(());
    }

    let path = TempFile::new("echo_bot");
    let (done, mut outcomes) = mpsc::unbounded_channel();
    let inbox = inbox(session.wa.clone(), &path.0, "s3cr3t", Some(done)).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = inbox.router("/webhook");
    tokio::spawn(async move { axum::serve(listener, router).await });

    let chat = format!("{}@s.whatsapp.net", common::MOCK_RECIPIENTS[0]);
    let text =
        json!({"id": "PsobWy36679._7w-wKmB9tMeGQ", "type": "text", "text": {"body": "hello bot"}});
    let press = json!({"id": "PsobWy36679._7w-wKmB9tMeGR", "type": "reply",
                       "context": {"quoted_id": "PsobWy36679._7w-wKmB9tMeGS"},
                       "reply": {"type": "buttons_reply",
                                 "buttons_reply": {"id": format!("ButtonsV3:{AGAIN}"), "title": "Say it again"}}});
    for mut message in [text, press] {
        message["chat_id"] = json!(chat);
        message["from_me"] = json!(false);
        message["timestamp"] = json!(1700000000);
        let incoming = json!({"messages": [message], "event": {"type": "messages", "event": "post"},
                              "channel_id": "MOCK-1234"});
        let status = reqwest::Client::new()
            .post(format!("http://{address}/webhook"))
            .header("x-webhook-secret", "s3cr3t")
            .json(&incoming)
            .send()
            .await?
            .status();
        println!(
            "posted a {} webhook to the inbox: {status}",
            message["type"].as_str().unwrap_or_default()
        );
        match tokio::time::timeout(Duration::from_secs(30), outcomes.recv()).await {
            Ok(Some(Ok(answers))) if !answers.is_empty() => {
                println!(
                    "the mock accepted the answer as the spec describes it: {}",
                    answers.join(" | ")
                );
            }
            Ok(Some(Ok(_))) => return Err("the bot did not answer".into()),
            Ok(Some(Err(e))) => return Err(format!("the answer failed: {e}").into()),
            Ok(None) | Err(_) => return Err("no answer within 30 s".into()),
        }
    }
    inbox.shutdown(Duration::from_secs(5)).await;
    Ok(())
}

/// An SQLite file in the temporary folder, removed (with its WAL) when
/// dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        Self(std::env::temp_dir().join(format!("{name}-{}.db", std::process::id())))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}
