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
//! page, and receives a webhook twice through the durable SQLite inbox.

// The same connection as whapi-ext's examples: a token, or a local mock.
#[path = "../whapi-ext/examples/common/mod.rs"]
mod common;

use futures::TryStreamExt;
use whapi_ext::media::MediaSource;
use whapi_ext::webhooks::{Inbox, Method, Payload, WebhookEvent};

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

    // Webhooks through the durable inbox on an SQLite file: stored before
    // the `200`, handled by its workers, a redelivery handled not again.
    let (handled, mut handled_rx) = tokio::sync::mpsc::unbounded_channel();
    let db = std::env::temp_dir().join(format!("whapi-main-job-{}.db", std::process::id()));
    let inbox = Inbox::builder()
        .sqlite(&db, move |event: WebhookEvent| {
            let handled = handled.clone();
            async move { handled.send(event).map_err(|e| e.to_string()) }
        })
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = inbox.router("/webhook");
    tokio::spawn(async move { axum::serve(listener, router).await });
    let body = r#"{"messages":[{"id":"PsobWy36679._7w-wKmB9tMeGQ","type":"text","text":{"body":"hi"},
        "chat_id":"15550100000@s.whatsapp.net","from_me":false,"timestamp":1700000000}],
        "event":{"type":"messages","event":"post"},"channel_id":"MANTIS-M72HC"}"#;
    let http = reqwest::Client::new();
    let mut answers = Vec::new();
    for _ in 0..2 {
        let posted = http
            .post(format!("http://{address}/webhook"))
            .body(body)
            .send();
        answers.push(posted.await?.status().as_u16().to_string());
    }
    let event = tokio::time::timeout(std::time::Duration::from_secs(30), handled_rx.recv())
        .await
        .map_err(|_| "the inbox did not hand the webhook to its handler within 30 s")?
        .ok_or("the inbox stopped")?;
    if let Payload::Messages(messages) = &event.payload {
        println!(
            "5. webhook posted twice (answers {}), handled once: {} {} from {}: {}",
            answers.join(", "),
            event.event_type,
            event.method.as_ref().map_or("(no method)", Method::as_str),
            messages[0].chat_id().unwrap_or("an unknown chat"),
            messages[0].text().unwrap_or("(no text)")
        );
    }
    inbox.shutdown(std::time::Duration::from_secs(5)).await;
    let waiting = inbox.waiting().await?;
    drop(inbox);
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
    if answers != ["200", "200"] {
        return Err(format!("the inbox answered {answers:?}, not 200 twice").into());
    }
    if waiting != 0 || handled_rx.try_recv().is_ok() {
        return Err("the redelivered webhook was handled again".into());
    }
    println!("done");
    Ok(())
}
