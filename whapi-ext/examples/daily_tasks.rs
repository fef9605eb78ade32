//! Ten ordinary tasks of a bot's day, each a few lines, every answer read
//! in one step.
//!
//! Without `WHAPI_TOKEN` it runs on the sandbox (feature `sandbox`), where
//! people write and a receiver takes the webhooks. With `WHAPI_TOKEN` it
//! acts on your account: it writes only to `WHAPI_TO`, creates a group with
//! `WHAPI_TO` in it and a label, and registers a webhook at `WEBHOOK_URL`
//! (skipped when it is not set).
//!
//! `cargo run -p whapi-ext --features sandbox --example daily_tasks`

mod common;

use whapi_ext::types::{CreateLabelColor, SendPresenceRequestPresence};
use whapi_ext::webhooks::{EventType, Method};

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let session = common::connect().await?;
    let wa = &session.wa;
    let person = session
        .to
        .clone()
        .unwrap_or_else(|| common::MOCK_RECIPIENTS[0].to_string());
    let friend = common::MOCK_RECIPIENTS[1];

    // 1. The channel's health.
    let health = wa.check_health().await?;
    println!(
        "1. channel {}: {}",
        health.channel_id().unwrap_or("?"),
        health.status_text()
    );

    // 2. A text, and the id of the message it made.
    let sent = wa
        .send_message_text(person.as_str(), "Good morning")
        .await?;
    println!("2. sent {}", sent.id());

    // 3. A person writes: an answer quoting their message, and a reaction.
    let written = match &session.sandbox {
        Some(sandbox) => {
            sandbox
                .receive_text(person.as_str(), "Are you open today?")
                .await?
        }
        None => sent.id().to_string(),
    };
    let reply = wa
        .send_message_text(person.as_str(), "Yes, from 9 to 5")
        .quoted(written.as_str())
        .await?;
    wa.react_to_message(written.as_str()).emoji("👍").await?;
    println!("3. answered {} with {} and a 👍", written, reply.id());

    // 4. A group with two people: its id, name and invite link; one of them
    // made an admin.
    let group = wa
        .create_group("Morning shift", [person.as_str(), friend])
        .await?;
    let invite = wa.get_group_invite(group.id()).await?;
    wa.promote_to_group_admin(group.id(), [person.as_str()])
        .await?;
    println!(
        "4. group {} \"{}\": {}",
        group.id(),
        group.name(),
        invite.link()
    );

    // 5. The last 10 messages of the chat: sender, time, type and text.
    let recent = wa
        .get_messages_by_chat_id(person.as_str())
        .count(10u64)
        .await?;
    for message in recent.messages() {
        println!(
            "5. {} at {}: {} \"{}\"",
            message.from().map_or("me", |from| from.as_str()),
            message.timestamp(),
            message.kind(),
            message.text_or_caption().unwrap_or("")
        );
    }

    // 6. Which of several numbers are on WhatsApp.
    let checked = wa
        .check_phones([person.as_str(), "+1 (555) 010-0002"])
        .await?;
    for number in checked.contacts() {
        println!(
            "6. {} is on WhatsApp: {}",
            number.input().unwrap_or("?"),
            number.is_valid()
        );
    }

    // 7. Typing shown in a chat.
    wa.send_presence(person.as_str(), SendPresenceRequestPresence::Typing)
        .await?;
    println!("7. typing shown to {person}");

    // 8. A label on a chat, and every label with its count.
    wa.create_label("7", "Regulars", CreateLabelColor::Cyan)
        .await?;
    wa.add_label_association("7", person.as_str()).await?;
    for label in wa.get_labels().await?.iter() {
        let chats = label.count().unwrap_or(0);
        println!(
            "8. label {} \"{}\": {chats} chats",
            label.id(),
            label.name()
        );
    }

    // 9. A contact's profile name and about.
    let profile = wa.get_contact_profile(person.as_str()).await?;
    println!(
        "9. {}: {}",
        profile.name().unwrap_or("(no name)"),
        profile.about().unwrap_or("(no about)")
    );

    // 10. A webhook for messages and statuses.
    let url = webhook_url(&session).await;
    if let Some(url) = url {
        let added = wa
            .ensure_webhook(
                &url,
                [
                    (EventType::Messages, Method::Post),
                    (EventType::Statuses, Method::Post),
                ],
            )
            .await?;
        println!(
            "10. webhook {url} {}",
            if added { "registered" } else { "already there" }
        );
    }
    println!("done");
    Ok(())
}

/// Where the webhook goes: `WEBHOOK_URL`, or on the sandbox a receiver of
/// its own.
async fn webhook_url(session: &common::Session) -> Option<String> {
    if let Ok(url) = std::env::var("WEBHOOK_URL") {
        return Some(url);
    }
    session
        .on_sandbox()
        .then(|| "http://127.0.0.1:9/webhook".to_string())
}
