//! The main job: the whole path of an application, end to end.
//!
//! ```sh
//! cargo run -p whapi-tests --example main_job
//! ```
//!
//! Without `WHAPI_TOKEN` it starts the sandbox (a stateful local Whapi, in
//! this process, no node) and says so (with `WHAPI_MOCK=prism`, Prism
//! instead, which needs node; `cargo xtask bench` times both); with a
//! token, it talks to Whapi
//! (`WHAPI_BASE_URL`, default `https://gate.whapi.cloud`) and sends only
//! when `WHAPI_TO` names a recipient. It checks the channel's health, sends
//! a text and an image from a local file, walks chats page by page, and
//! receives webhooks through the durable SQLite inbox: on the sandbox, a
//! person's message delivered by the sandbox, answered by the handler, and
//! the same event delivered again, handled once.

// The same connection as whapi-ext's examples when a token is set.
#[path = "../whapi-ext/examples/common/mod.rs"]
mod common;

use std::time::Duration;

use futures::TryStreamExt;
use tokio::sync::mpsc;
use whapi_ext::media::MediaSource;
use whapi_ext::sandbox::Sandbox;
use whapi_ext::webhooks::{EventType, Inbox, Method, Payload, WebhookEvent, WebhookVerifier};
use whapi_ext::Whapi;

/// The secret header the sandbox sends with each webhook and the inbox
/// checks: without one, anyone could post a fake event.
const WEBHOOK_SECRET: &str = "main-job-s3cr3t";

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let live = std::env::var("WHAPI_TOKEN").is_ok_and(|t| !t.trim().is_empty());
    let on_prism = std::env::var("WHAPI_MOCK").is_ok_and(|m| m == "prism");
    // Keeps Prism running while the job talks to it.
    let mut _prism_session = None;
    let (wa, to, sandbox) = if live {
        let session = common::connect().await?;
        (session.wa, session.to, None)
    } else if on_prism {
        let session = common::on_prism()?;
        let (wa, to) = (session.wa.clone(), session.to.clone());
        _prism_session = Some(session);
        (wa, to, None)
    } else {
        let sandbox = Sandbox::start().await?;
        println!(
            "WHAPI_TOKEN is not set: talking to the local sandbox at {}",
            sandbox.url()
        );
        (
            sandbox.client(),
            Some("15550100000".to_string()),
            Some(sandbox),
        )
    };

    let health = wa.check_health().await?;
    println!("1. health: status {}", health.status_text());

    match &to {
        Some(to) => {
            let sent = wa.send_message_text(to, "Hello from whapi-rs").await?;
            println!("2. text sent: {}", sent.id());
            let image =
                std::env::temp_dir().join(format!("whapi-main-job-{}.png", std::process::id()));
            std::fs::write(&image, common::PNG)?;
            let sent = wa
                .send_message_image(to, MediaSource::path(&image))
                .caption("from a local file")
                .await;
            let _ = std::fs::remove_file(&image);
            let sent = sent?;
            println!("3. image sent from a local file: {}", sent.id());
        }
        None => println!("2-3. set WHAPI_TO to send a text and an image"),
    }
    if sandbox.is_some() {
        // Two more chats, so the walk below has pages to turn.
        for other in ["15550100001", "15550100002"] {
            wa.send_message_text(other, "Hello too").await?;
        }
    }

    let mut pages = wa.get_chats().list().page_size(2).limit(6).pages();
    while let Some(page) = pages.try_next().await? {
        let total = page
            .total()
            .map_or("not given".to_string(), |t| t.to_string());
        let ids: Vec<&str> = page.items.iter().map(|c| c.id().as_str()).collect();
        println!(
            "4. chats page at {:?}: {} of {total}: {}",
            page.position,
            page.items.len(),
            ids.join(", ")
        );
    }

    match &sandbox {
        Some(sandbox) => webhooks_through_the_sandbox(&wa, sandbox).await?,
        None if on_prism => println!("5. webhooks: Prism posts none; run without WHAPI_MOCK to see them go through the inbox"),
        None => println!("5. webhooks: run without WHAPI_TOKEN to see them go through the inbox"),
    }
    println!("done");
    Ok(())
}

/// The inbox registered as the channel's webhook; a person writes, the
/// sandbox delivers, the handler answers; the same event delivered again
/// is acknowledged and not handled twice.
async fn webhooks_through_the_sandbox(
    wa: &Whapi,
    sandbox: &Sandbox,
) -> Result<(), common::Failure> {
    let (handled, mut handled_rx) = mpsc::unbounded_channel::<WebhookEvent>();
    let db = common::TempFile::new("whapi-main-job");
    let bot = wa.clone();
    let inbox = Inbox::builder()
        .verifier(WebhookVerifier::new("x-webhook-secret", WEBHOOK_SECRET)?)
        .sqlite(&db.0, move |event: WebhookEvent| {
            let (bot, handled) = (bot.clone(), handled.clone());
            async move {
                if let Payload::Messages(messages) = &event.payload {
                    for message in messages.iter().filter(|m| !m.from_me()) {
                        let text = message.text_or_caption().unwrap_or_default();
                        bot.send_message_text(message.chat_id(), format!("you said: {text}"))
                            .await?;
                    }
                }
                handled
                    .send(event)
                    .map_err(|e| whapi_ext::Error::Other(e.to_string()))
            }
        })
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhook", listener.local_addr()?);
    let router = inbox.router("/webhook");
    tokio::spawn(async move { axum::serve(listener, router).await });
    wa.ensure_webhook(&url, [(EventType::Messages, Method::Post)])
        .header("x-webhook-secret", WEBHOOK_SECRET)
        .await?;

    sandbox.receive_text("+1 555 010 0009", "hi bot").await?;
    let event = tokio::time::timeout(Duration::from_secs(30), handled_rx.recv())
        .await
        .map_err(|_| "the inbox did not hand the webhook to its handler within 30 s")?
        .ok_or("the inbox stopped")?;
    let answers = sandbox
        .wait_for_sent("15550100009", 1, Duration::from_secs(30))
        .await?;
    if let Payload::Messages(messages) = &event.payload {
        println!(
            "5. webhook {} {} from {}: {}; answered {} ({})",
            event.event_type,
            event.method.as_ref().map_or("(no method)", Method::as_str),
            messages[0].chat_id(),
            messages[0].text_or_caption().unwrap_or("(no text)"),
            answers[0].text.as_deref().unwrap_or("(no text)"),
            answers[0].id
        );
    }

    // The service delivers again what it is not sure arrived.
    let again = reqwest::Client::new()
        .post(&url)
        .header("x-webhook-secret", WEBHOOK_SECRET)
        .body(serde_json::to_vec(&event)?)
        .send()
        .await?
        .status();
    inbox.shutdown(Duration::from_secs(5)).await;
    let waiting = inbox.waiting().await?;
    drop(inbox);
    drop(db);
    // Other events (the bot's own answer comes back as one) may follow;
    // the redelivered one must not be among them.
    let handled_again =
        std::iter::from_fn(|| handled_rx.try_recv().ok()).any(|e| e.key() == event.key());
    if !again.is_success() || waiting != 0 || handled_again {
        return Err(format!("the redelivered webhook (answered {again}) was handled again").into());
    }
    println!("6. the same webhook delivered again: answered {again}, handled once");
    Ok(())
}
