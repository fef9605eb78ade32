//! The README's quickstart: check the channel, send a text, list chats.
//!
//! ```sh
//! cargo run -p whapi-ext --features sandbox --example quickstart
//! ```
//!
//! Without `WHAPI_TOKEN` it runs on the sandbox (`--features sandbox`, a
//! stateful local Whapi), else against a local spec-validating mock
//! (Prism, installed with npm on the first run), and says so. With it, it
//! talks to Whapi (`WHAPI_BASE_URL`, default `https://gate.whapi.cloud`)
//! and sends only when `WHAPI_TO` names a recipient.

mod common;

use futures_util::TryStreamExt;
use whapi_ext::Error;

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let session = common::connect().await?;
    let wa = &session.wa;

    let health = wa.check_health().await?;
    println!("channel status: {}", health.status_text());

    if let Some(to) = &session.to {
        // An API refusal carries the status, Whapi's code and message, and
        // the raw body; anything else is a transport or input problem.
        match wa.send_message_text(to, "Hello from whapi-rs").await {
            Ok(sent) => println!("sent: {}", sent.id()),
            Err(Error::Api(refusal)) => println!("refused: {refusal}"),
            Err(other) => return Err(other.into()),
        }
    }

    let mut chats = wa.get_chats().list().limit(10).items();
    while let Some(chat) = chats.try_next().await? {
        println!("chat {}: {}", chat.id(), chat.name().unwrap_or("(no name)"));
    }
    Ok(())
}
