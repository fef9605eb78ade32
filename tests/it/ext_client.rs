//! `whapi_ext::Whapi` against an in-process mock server: every error variant
//! from a real exchange, retries counted in the server's request log, and no
//! token in anything printed.

use std::time::{Duration, Instant};

use serde_json::json;
use whapi_client::types;
use whapi_ext::{Error, RetryPolicy, Whapi};
use whapi_tests::MockServer;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::fast_retries;

const TOKEN: &str = "sekrit-TOKEN-9f8e7d";

fn whapi(server: &MockServer) -> Whapi {
    Whapi::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

async fn request_count(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map(|r| r.len())
        .unwrap_or(0)
}

fn chats_body() -> serde_json::Value {
    json!({"chats": [{"id": "15550100000@s.whatsapp.net", "type": "contact"}], "count": 1, "total": 1, "offset": 0})
}

fn text_body() -> types::builder::SenderText {
    types::SenderText::builder().to("15550100000").body("hi")
}

#[tokio::test]
async fn sends_the_token_as_a_bearer_header_with_the_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/chats"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(chats_body()))
        .mount(&server)
        .await;

    let chats = whapi(&server).call(|c| c.get_chats().send()).await.unwrap();

    assert_eq!(chats.total, Some(1));
    let request = &server.received_requests().await.unwrap()[0];
    let agent = request.headers.get("user-agent").unwrap().to_str().unwrap();
    assert_eq!(agent, concat!("whapi-rs/", env!("CARGO_PKG_VERSION")));
    assert!(
        !request.url.as_str().contains(TOKEN),
        "the token never goes in the URL"
    );
}

#[tokio::test]
async fn a_4xx_with_the_spec_error_body_is_an_api_error_with_its_fields() {
    let server = MockServer::start().await;
    let body = json!({"error": {"code": 404, "message": "Specified chat not found", "details": "no chat 1@g.us",
        "href": "https://whapi.cloud/docs", "support": "care@whapi.cloud"}});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(&body))
        .mount(&server)
        .await;

    let err = whapi(&server)
        .call(|c| {
            c.get_chat()
                .chat_id("120363041234567890@g.us".to_string())
                .send()
        })
        .await
        .unwrap_err();

    let Error::Api(api) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(api.status, 404);
    assert_eq!(
        (api.code, api.message.as_deref()),
        (Some(404), Some("Specified chat not found"))
    );
    assert_eq!(
        (
            api.details.as_deref(),
            api.href.as_deref(),
            api.support.as_deref()
        ),
        (
            Some("no chat 1@g.us"),
            Some("https://whapi.cloud/docs"),
            Some("care@whapi.cloud")
        )
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&api.body).unwrap(),
        body
    );
    assert_eq!(
        err.to_string(),
        "HTTP 404 Not Found: Specified chat not found (code 404)"
    );
    assert!(!err.is_retryable());
    assert_eq!(request_count(&server).await, 1, "a 404 is not retried");
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_even_for_a_send() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/messages/text"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/messages/text"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sent": true})))
        .mount(&server)
        .await;
    let started = Instant::now();

    let sent = whapi(&server)
        .call(|c| c.send_message_text().body(text_body()).send())
        .await
        .unwrap();

    assert_eq!(sent.sent, Some(true));
    assert_eq!(request_count(&server).await, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After: {:?}",
        started.elapsed()
    );
}

/// The parts of a received request that a retry must repeat.
fn as_sent(request: &wiremock::Request) -> (String, String, Vec<(String, String)>, Vec<u8>) {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("?").to_string()))
        .collect();
    headers.sort();
    (
        request.method.to_string(),
        request.url.to_string(),
        headers,
        request.body.clone(),
    )
}

/// A server that answers a `verb` request 429 once, then `answer`.
async fn refusing_once(verb: &str, answer: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method(verb))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    server
}

/// A retry's request is made anew by the generated operation (or, for a
/// raw upload, copied before the first was sent) and readied again: it must
/// reach the server exactly as the first did, with the call's own headers,
/// the token and the body.
#[tokio::test]
async fn a_retried_request_is_sent_exactly_as_the_first() {
    // Its own HTTP client does not carry the token: the transport adds it
    // to each attempt's request.
    let server = refusing_once("POST", json!({"sent": true, "message": {"id": "m1"}})).await;
    let own_client = Whapi::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry_policy(fast_retries())
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let options = whapi_ext::CallOptions::new()
        .header("x-request-id", "42")
        .unwrap();
    let sent = own_client
        .send_message_text("+1 (555) 010-0000", "hi")
        .typing_time(std::time::Duration::from_secs(2))
        .with_options(options)
        .await
        .unwrap();
    assert_eq!(sent.id(), "m1");

    let upload = refusing_once("POST", json!({"media": [{"id": "jpeg-1"}]})).await;
    let media =
        whapi_ext::media::MediaSource::bytes(vec![0xff, 0xd8, 0xff, 0xe0], "a.jpg", "image/jpeg");
    whapi(&upload).upload_media(media).await.unwrap();

    let list = refusing_once("GET", chats_body()).await;
    whapi(&list).get_chats().count(5).await.unwrap();

    for (server, what, sends_a_body) in [
        (&server, "a JSON send", true),
        (&upload, "a raw upload", true),
        (&list, "a list", false),
    ] {
        let received = server.received_requests().await.unwrap();
        assert_eq!(received.len(), 2, "{what}: one retry");
        let (first, retry) = (as_sent(&received[0]), as_sent(&received[1]));
        assert_eq!(first, retry, "{what}: the retry differs from the first");
        let headers = &first.2;
        let has = |name: &str, value: &str| headers.iter().any(|(n, v)| n == name && v == value);
        assert!(
            has("authorization", &format!("Bearer {TOKEN}")),
            "{what}: {headers:?}"
        );
        assert_eq!(
            headers.iter().filter(|(n, _)| n == "authorization").count(),
            1,
            "{what}: one token: {headers:?}"
        );
        if sends_a_body {
            assert!(!first.3.is_empty(), "{what}: the body was sent");
        }
    }
    let query = as_sent(&list.received_requests().await.unwrap()[1]).1;
    assert!(query.ends_with("/chats?count=5"), "{query}");
    let sent_headers = as_sent(&server.received_requests().await.unwrap()[1]).2;
    assert!(
        sent_headers
            .iter()
            .any(|(n, v)| n == "x-request-id" && v == "42"),
        "the call's own header is on the retry: {sent_headers:?}"
    );
    let upload_headers = as_sent(&upload.received_requests().await.unwrap()[1]).2;
    assert!(
        upload_headers
            .iter()
            .any(|(n, v)| n == "content-type" && v == "image/jpeg"),
        "the raw upload keeps its true media type: {upload_headers:?}"
    );
}

#[tokio::test]
async fn a_429_that_persists_reports_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .mount(&server)
        .await;

    let err = whapi(&server)
        .call(|c| c.get_chats().send())
        .await
        .unwrap_err();

    let Error::Api(api) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(
        (api.status.as_u16(), api.retry_after),
        (429, Some(Duration::ZERO))
    );
    assert!(err.is_retryable());
    assert_eq!(
        request_count(&server).await,
        3,
        "the default policy makes 3 attempts"
    );
}

#[tokio::test]
async fn a_get_answered_503_then_200_succeeds_on_the_second_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chats_body()))
        .mount(&server)
        .await;

    let chats = whapi(&server).call(|c| c.get_chats().send()).await.unwrap();

    assert_eq!(chats.count, Some(1));
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn retries_stop_at_the_configured_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let wa = Whapi::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry_policy(fast_retries().with_max_attempts(5))
        .build()
        .unwrap();

    let err = wa.call(|c| c.get_chats().send()).await.unwrap_err();

    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(request_count(&server).await, 5);
    let _ = wa
        .get_chats()
        .with_options(whapi_ext::CallOptions::new().retry_policy(RetryPolicy::none()))
        .await;
    assert_eq!(
        request_count(&server).await,
        6,
        "retries turned off for one call"
    );
}

#[tokio::test]
async fn post_messages_text_answered_500_reaches_the_server_exactly_once() {
    for status in [500, 502, 503, 504] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/messages/text"))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;

        let err = whapi(&server)
            .call(|c| c.send_message_text().body(text_body()).send())
            .await
            .unwrap_err();

        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(
            request_count(&server).await,
            1,
            "a send answered {status} must not be sent again"
        );
    }
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let wa = Whapi::builder()
        .token(TOKEN)
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(fast_retries())
        .build()
        .unwrap();

    let err = wa
        .call(|c| c.send_message_text().body(text_body()).send())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Connect(_)), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        std::error::Error::source(&err).is_some(),
        "the reqwest error is kept as the source"
    );
}

#[tokio::test]
async fn a_server_that_stalls_past_the_timeout_is_a_timeout_and_a_send_is_not_resent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(30))
                .set_body_json(json!({"sent": true})),
        )
        .mount(&server)
        .await;
    let wa = Whapi::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry_policy(fast_retries())
        // Long enough for the request to reach the server on a loaded
        // machine, far below the stall.
        .request_timeout(Duration::from_secs(2))
        .build()
        .unwrap();

    let err = wa
        .call(|c| c.send_message_text().body(text_body()).send())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_decode_error_keeping_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("hello, not json", "application/json"),
        )
        .mount(&server)
        .await;

    let err = whapi(&server)
        .call(|c| c.get_chats().send())
        .await
        .unwrap_err();

    let Error::Decode { body, .. } = &err else {
        panic!("expected Decode, got {err:?}")
    };
    assert_eq!(&body[..], b"hello, not json");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn a_truncated_or_mistyped_body_names_the_failing_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/chats"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"chats":[{"id":"1@g.us"},{"id":"2@g"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/chats/120363041234567890@g.us"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            // Answers read leniently (`"unread":"many"` is absent):
            // a key given twice is what still cannot be read.
            r#"{"id":"1@g.us","last_message":{"id":"a","id":"b"}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;

    let truncated = whapi(&server)
        .call(|c| c.get_chats().send())
        .await
        .unwrap_err();
    let mistyped = whapi(&server)
        .call(|c| {
            c.get_chat()
                .chat_id("120363041234567890@g.us".to_string())
                .send()
        })
        .await
        .unwrap_err();

    assert!(
        matches!(&truncated, Error::Decode { path, .. } if path.starts_with("chats[1]")),
        "{truncated:?}"
    );
    // The key given twice, where decoding stopped.
    assert!(
        matches!(&mistyped, Error::Decode { path, .. } if path == "last_message.id"),
        "{mistyped:?}"
    );
    assert_eq!(
        mistyped.to_string(),
        "could not decode the response at `last_message.id`"
    );
}

#[tokio::test]
async fn answers_read_what_the_service_sends_as_webhooks_do() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/chats/120363041234567890@g.us"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"id":"120363041234567890@g.us","unread":"3","pin":1,"mute_until":18446744073709552000,
                "type":"hologram","archive":"maybe","labels":[{"id":7,"name":"vip"},"x"],
                "last_message":{"id":"m","type":"text","text":{"body":42},"timestamp":"1700000000"}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let chat = whapi(&server)
        .get_chat("120363041234567890@g.us")
        .await
        .unwrap();
    assert_eq!(
        (chat.unread(), chat.pin(), chat.mute_until(), chat.kind()),
        (Some(3), Some(true), Some(i64::MAX), "hologram")
    );
    assert_eq!(chat.archive(), None, "what cannot be read is absent");
    assert_eq!(
        chat.labels().len(),
        1,
        "a label that is no object is dropped"
    );
    assert_eq!(chat.labels()[0].id().as_str(), "7");
    let last = chat.last_message().unwrap();
    assert_eq!(
        (last.text_or_caption(), last.timestamp()),
        (Some("42"), 1.7e9)
    );
}

#[tokio::test]
async fn bad_input_is_rejected_before_sending() {
    let server = MockServer::start().await;

    let err = whapi(&server)
        .call(|c| {
            c.send_message_text()
                .body(types::SenderText::builder().body("no recipient"))
                .send()
        })
        .await
        .unwrap_err();

    assert!(
        matches!(&err, Error::InvalidArgument(i) if i.field() == "body.to"),
        "{err:?}"
    );
    assert_eq!(request_count(&server).await, 0);
}

#[test]
fn from_env_without_a_token_says_what_to_set() {
    // Only this test touches WHAPI_TOKEN in this process's environment.
    let saved = std::env::var_os("WHAPI_TOKEN");
    std::env::remove_var("WHAPI_TOKEN");
    let result = Whapi::from_env();
    if let Some(value) = saved {
        std::env::set_var("WHAPI_TOKEN", value);
    }
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    assert!(err.to_string().contains("WHAPI_TOKEN"), "{err}");
}

#[tokio::test]
async fn a_get_that_times_out_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(30))
                .set_body_json(chats_body()),
        )
        .mount(&server)
        .await;
    let wa = Whapi::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry_policy(fast_retries())
        // Long enough for the request to reach the server on a loaded
        // machine, far below the stall.
        .request_timeout(Duration::from_secs(2))
        .build()
        .unwrap();

    let err = wa.call(|c| c.get_chats().send()).await.unwrap_err();

    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(!err.is_safe_to_resend(&reqwest::Method::POST));
    assert_eq!(
        request_count(&server).await,
        1,
        "the time budget is the caller's"
    );
}

#[tokio::test]
async fn a_connection_cut_mid_body_is_a_transport_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"chats\":[").await;
            // Closing here leaves the body 990 bytes short.
        }
    });
    let wa = Whapi::builder()
        .token(TOKEN)
        .base_url(format!("http://{address}"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();

    let err = wa.call(|c| c.get_chats().send()).await.unwrap_err();

    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(
        err.is_retryable()
            && err.is_safe_to_resend(&reqwest::Method::GET)
            && !err.is_safe_to_resend(&reqwest::Method::POST)
    );
}

#[test]
fn zero_timeouts_and_tokens_with_whitespace_are_handled() {
    let zero = Whapi::builder()
        .token(TOKEN)
        .request_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(matches!(zero, Error::Config(_)), "{zero:?}");
    let empty = Whapi::builder().token("   ").build().unwrap_err();
    assert!(matches!(empty, Error::Config(_)), "{empty:?}");
}

/// `copyStory` is a `PUT` that posts a story: after a 502 or a connection
/// lost mid-way it may have been posted, and it is not sent again (a read
/// or a `PUT` that sets a state is).
#[tokio::test]
async fn a_put_that_creates_something_is_not_resent_after_a_502() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&server)
        .await;
    let wa = whapi(&server);

    let copied = wa.copy_story("PsobWy36679._7w-wKmB9tMeGQ").await;

    assert!(
        matches!(&copied, Err(Error::Api(api)) if api.status.as_u16() == 502),
        "{copied:?}"
    );
    assert_eq!(request_count(&server).await, 1, "sent once");
    // A PUT that sets a state is sent again after the same 502.
    server.reset().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&server)
        .await;
    wa.star_message("PsobWy36679._7w-wKmB9tMeGQ").await.unwrap();
    assert_eq!(request_count(&server).await, 2, "sent again");
}
