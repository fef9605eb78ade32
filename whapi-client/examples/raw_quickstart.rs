//! Check the channel's health, list chats and send a text with the raw client.
//!
//! With `WHAPI_TOKEN` set it talks to the real service (`WHAPI_BASE_URL`,
//! default `https://gate.whapi.cloud`) and sends a text only when `WHAPI_TO`
//! names a recipient. Without a token it starts a local mock and says so.
//!
//! ```sh
//! cargo run -p whapi-client --example raw_quickstart
//! ```

use std::num::NonZeroU64;

use serde_json::json;
use whapi_client::{types, Client, Hooks};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type Failure = Box<dyn std::error::Error>;

/// A `reqwest::Client` that sends the token as a bearer token, marked
/// sensitive so it never shows in debug output.
fn http_with_token(token: &str) -> Result<reqwest::Client, Failure> {
    let mut auth = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))?;
    auth.set_sensitive(true);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, auth);
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .build()?)
}

/// A local stand-in for the service, answering the calls this example makes.
async fn local_mock() -> MockServer {
    let server = MockServer::start().await;
    let routes = [
        (
            "GET",
            "/health",
            json!({"channel_id": "MOCK-1234", "status": {"code": 4, "text": "AUTH"}, "uptime": 3600}),
        ),
        (
            "GET",
            "/chats",
            json!({"chats": [
            {"id": "15550100000@s.whatsapp.net", "name": "Alice", "type": "contact"},
            {"id": "120363025343298765@g.us", "name": "Team", "type": "group"}],
            "count": 2, "total": 2, "offset": 0}),
        ),
        (
            "POST",
            "/messages/text",
            json!({"sent": true, "message": {"id": "PsobWy36679._7w-wKmB9tMeGQ",
            "type": "text", "chat_id": "15550100000@s.whatsapp.net", "from_me": true, "timestamp": 1700000000}}),
        ),
    ];
    for (verb, route, body) in routes {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    server
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let token = std::env::var("WHAPI_TOKEN").ok().filter(|t| !t.is_empty());
    let (_mock, base_url, token, to) = match token {
        Some(token) => {
            let base = std::env::var("WHAPI_BASE_URL")
                .unwrap_or_else(|_| "https://gate.whapi.cloud".into());
            println!("WHAPI_TOKEN is set: talking to {base}");
            (None, base, token, std::env::var("WHAPI_TO").ok())
        }
        None => {
            let mock = local_mock().await;
            println!(
                "WHAPI_TOKEN is not set: talking to a local mock at {}",
                mock.uri()
            );
            let uri = mock.uri();
            (
                Some(mock),
                uri,
                "mock-token".to_string(),
                Some("15550100000".to_string()),
            )
        }
    };
    let client = Client::new_with_client(&base_url, http_with_token(&token)?, Hooks::default());

    let health = client.check_health().send().await?.into_inner();
    // Responses decode leniently: every field reads through a method, as a
    // value where the spec requires it (empty when the service left it
    // out), as an `Option` where it does not.
    println!(
        "channel {} is {}",
        health.channel_id().unwrap_or("(unnamed)"),
        health.status_text()
    );

    let chats = client
        .get_chats()
        .count(NonZeroU64::new(10).expect("10 > 0"))
        .send()
        .await?
        .into_inner();
    for chat in chats.chats() {
        println!(
            "chat {} ({}): {}",
            chat.id(),
            chat.kind(),
            chat.name().unwrap_or("(no name)")
        );
    }

    match to {
        Some(to) => {
            let text = types::SenderText::builder()
                .to(to)
                .body("Hello from whapi-rs");
            let sent = client
                .send_message_text()
                .body(text)
                .send()
                .await?
                .into_inner();
            println!("sent: {} (message {})", sent.sent(), sent.id());
        }
        None => println!("set WHAPI_TO to also send a text"),
    }
    Ok(())
}
