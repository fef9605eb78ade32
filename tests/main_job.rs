//! The main job: the whole path of an application, end to end.
//!
//! ```sh
//! cargo run -p whapi-tests --example main_job
//! ```
//!
//! Without `WHAPI_TOKEN` it starts the contract suite's spec-validating mock
//! (Prism, installed with npm on the first run) and says so; with it, it
//! talks to Whapi (`WHAPI_BASE_URL`, default `https://gate.whapi.cloud`) and
//! sends only when `WHAPI_TO` names a recipient. It checks the channel's
//! health, sends a text and an image from a local file, walks chats page by
//! page, and parses a webhook event.

// The same connection as whapi-ext's examples: a token, or a local mock.
#[path = "../whapi-ext/examples/common/mod.rs"]
mod common;

use futures::TryStreamExt;
use whapi_ext::media::MediaSource;
use whapi_ext::webhooks::{Method, Payload, WebhookEvent};

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let session = common::connect()?;
    let (wa, to) = (&session.wa, &session.to);

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

    // One page is enough here: the mock serves the same example page for
    // every offset, which a longer walk would rightly refuse as a loop.
    let mut pages = wa.chats().page_size(20).limit(20).pages();
    while let Some(page) = pages.try_next().await? {
        let total = page
            .total()
            .map_or("not given".to_string(), |t| t.to_string());
        println!(
            "4. chats page at {:?}: {} chats (total {total})",
            page.position,
            page.items.len()
        );
    }

    let body =
        br#"{"messages":[{"id":"PsobWy36679._7w-wKmB9tMeGQ","type":"text","text":{"body":"hi"},
        "chat_id":"15550100000@s.whatsapp.net","from_me":false,"timestamp":1700000000}],
        "event":{"type":"messages","event":"post"},"channel_id":"MANTIS-M72HC"}"#;
    let event = WebhookEvent::parse(body)?;
    if let Payload::Messages(messages) = &event.payload {
        println!(
            "5. webhook: {} {} from {}: {}",
            event.event_type,
            event.method.as_ref().map_or("(no method)", Method::as_str),
            messages[0].chat_id().unwrap_or("an unknown chat"),
            messages[0].text().unwrap_or("(no text)")
        );
    }
    println!("done");
    Ok(())
}
