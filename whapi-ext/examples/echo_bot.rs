//! Echoes every text a person sends in a direct chat, with two buttons
//! under it, and answers a button press; webhooks go through a durable
//! inbox on an SQLite file, so none is lost to a crash or a deploy.
//!
//! ```sh
//! cargo run -p whapi-ext --features axum,sqlite,sandbox --example echo_bot
//! ```
//!
//! Without `WHAPI_TOKEN` it runs the whole loop locally and says so: the
//! sandbox (a stateful local Whapi), the inbox on 127.0.0.1 registered as
//! its webhook, a person's text and then their press of one of the bot's
//! buttons delivered by the sandbox, and the bot's answers seen in the
//! chat.
//!
//! With `WHAPI_TOKEN` it listens on `WEBHOOK_ADDR` (default `0.0.0.0:8080`,
//! path `/webhook`), keeps its inbox in `INBOX_PATH` (default
//! `echo_bot.db`) and answers through the real service; point the
//! channel's webhook there. `WEBHOOK_SECRET` is required: requests must
//! carry it in an `x-webhook-secret` header (set it as a custom header of
//! the webhook, e.g. with `Whapi::ensure_webhook` and `.header(…)`).

mod common;

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;
use whapi_ext::types::{Button, InteractiveAction, InteractiveType, Message};
use whapi_ext::webhooks::{
    EventType, Inbox, MessageBody, Method, Payload, WebhookEvent, WebhookVerifier,
};
use whapi_ext::Whapi;

/// The ids the bot gives its buttons, and matches presses on.
const AGAIN: &str = "again";
const THANKS: &str = "thanks";

/// Answers one message someone else sent in a direct chat; the answer, or
/// `None` for messages it leaves alone.
async fn answer(wa: &Whapi, message: &Message) -> whapi_ext::Result<Option<String>> {
    let (chat, id) = (message.chat_id(), message.id());
    // In a group the bot would repeat everyone: people only.
    if message.from_me() || chat.is_empty() || id.is_empty() || chat.ends_with("@g.us") {
        return Ok(None);
    }
    match message.body() {
        MessageBody::Text(text) => {
            let echo = format!("echo: {}", text.body());
            let buttons = InteractiveAction::with_buttons([
                Button::quick_reply(AGAIN, "Say it again"),
                Button::quick_reply(THANKS, "Thanks"),
            ]);
            let sent = wa
                .send_message_interactive(chat, echo.as_str(), buttons, InteractiveType::Button)
                .quoted(id)
                .await?;
            Ok(Some(format!(
                "{echo} (message {}, with 2 buttons)",
                sent.id()
            )))
        }
        MessageBody::ButtonReply(pressed) => {
            let title = pressed.title().unwrap_or_default();
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
    let session = common::connect().await?;
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

    // On the sandbox: the inbox registered as the channel's webhook, a
    // person writes and presses a button, and the answers are in the chat.
    let sandbox = session.sandbox.as_ref().ok_or("no sandbox")?;
    let path = common::TempFile::new("echo_bot");
    let (done, mut outcomes) = mpsc::unbounded_channel();
    let inbox = inbox(session.wa.clone(), &path.0, "s3cr3t", Some(done)).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhook", listener.local_addr()?);
    let router = inbox.router("/webhook");
    tokio::spawn(async move { axum::serve(listener, router).await });
    session
        .wa
        .ensure_webhook(&url, [(EventType::Messages, Method::Post)])
        .header("x-webhook-secret", "s3cr3t")
        .await?;

    let person = common::MOCK_RECIPIENTS[0];
    let said = sandbox.receive_text(person, "hello bot").await?;
    println!("{person} wrote \"hello bot\" ({said})");
    next_answer(&mut outcomes).await?;
    let echo = sandbox
        .wait_for_sent(person, 1, Duration::from_secs(30))
        .await?;
    println!(
        "the bot answered in the chat: {} ({})",
        echo[0].text.as_deref().unwrap_or_default(),
        echo[0].id
    );

    sandbox
        .press_button(person, AGAIN, "Say it again", Some(&echo[0].id))
        .await?;
    println!("{person} pressed \"Say it again\"");
    next_answer(&mut outcomes).await?;
    let answers = sandbox
        .wait_for_sent(person, 2, Duration::from_secs(30))
        .await?;
    println!(
        "the bot answered in the chat: {} ({})",
        answers[1].text.as_deref().unwrap_or_default(),
        answers[1].id
    );
    inbox.shutdown(Duration::from_secs(5)).await;
    Ok(())
}

/// The handler's next answers, past the events it leaves alone (the
/// channel's own messages come back as events too, as on the service).
async fn next_answer(
    outcomes: &mut mpsc::UnboundedReceiver<Result<Vec<String>, String>>,
) -> Result<Vec<String>, common::Failure> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, outcomes.recv()).await {
            Ok(Some(Ok(answers))) if !answers.is_empty() => return Ok(answers),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return Err(format!("the answer failed: {e}").into()),
            Ok(None) | Err(_) => return Err("no answer within 30 s".into()),
        }
    }
}
