//! The generated client against an in-process mock server: what goes on the
//! wire and what comes back.

use std::num::NonZeroU64;

use serde_json::json;
use whapi_client::{types, Client, Error, Hooks};
use whapi_tests::MockServer;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, Request, ResponseTemplate};

const TOKEN: &str = "test-token-123";

/// A client that authenticates the way Whapi expects: a bearer token.
fn client(server: &MockServer) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let mut auth = reqwest::header::HeaderValue::from_str(&format!("Bearer {TOKEN}")).unwrap();
    auth.set_sensitive(true);
    headers.insert(reqwest::header::AUTHORIZATION, auth);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    Client::new_with_client(&server.uri(), http, Hooks::default())
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests.remove(0)
}

#[tokio::test]
async fn get_with_integer_query_parameters_decodes_a_chat_list() {
    let server = MockServer::start().await;
    let chats = json!({
        "chats": [
            {"id": "15550100000@s.whatsapp.net", "name": "Alice", "type": "contact", "timestamp": 1700000000,
             "unread": 2, "not_spam": true, "last_message": {"id": "PsobWy36679._7w-wKmB9tMeGQ", "type": "text",
             "chat_id": "15550100000@s.whatsapp.net", "from_me": false, "timestamp": 1700000000, "source": "mobile",
             "text": {"body": "hello"}}},
            {"id": "120363025343298765@g.us", "name": "Team", "type": "group", "timestamp": 1699990000}
        ],
        "count": 2, "total": 57, "offset": 20
    });
    Mock::given(method("GET"))
        .and(path("/chats"))
        .and(query_param("count", "2"))
        .and(query_param("offset", "20"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(&chats))
        .mount(&server)
        .await;

    let response = client(&server)
        .get_chats()
        .count(NonZeroU64::new(2).unwrap())
        .offset(20)
        .send()
        .await
        .unwrap();

    let list = response.into_inner();
    assert_eq!(list.total, Some(57));
    let chats = list.chats.expect("chats");
    let first = &chats[0];
    assert_eq!(
        first.id.as_ref().unwrap().as_str(),
        "15550100000@s.whatsapp.net"
    );
    assert_eq!(first.type_.as_deref(), Some("contact"));
    assert_eq!(chats[1].type_.as_deref(), Some("group"));
    let request = only_request(&server).await;
    assert_eq!(
        request.url.query(),
        Some("count=2&offset=20"),
        "integers, never `2.0`"
    );
    assert_eq!(request.headers.get("api-version").unwrap(), "1.8.7");
}

#[tokio::test]
async fn post_sends_only_the_fields_that_were_set() {
    let server = MockServer::start().await;
    let sent = json!({"sent": true, "message": {"id": "PsobWy36679._7w-wKmB9tMeGQ", "type": "text",
        "chat_id": "15550100000@s.whatsapp.net", "from_me": true, "timestamp": 1700000001, "status": "sent",
        "text": {"body": "hi"}}});
    Mock::given(method("POST"))
        .and(path("/messages/text"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"to": "15550100000", "body": "hi"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(&sent))
        .mount(&server)
        .await;

    let body = types::SenderText::builder().to("15550100000").body("hi");
    let response = client(&server)
        .send_message_text()
        .body(body)
        .send()
        .await
        .unwrap();

    let sent = response.into_inner();
    assert_eq!(sent.sent, Some(true));
    assert_eq!(
        sent.message.unwrap().id.as_deref(),
        Some("PsobWy36679._7w-wKmB9tMeGQ")
    );
    let request = only_request(&server).await;
    let received: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        received,
        json!({"to": "15550100000", "body": "hi"}),
        "no server defaults such as typing_time are sent"
    );
}

#[tokio::test]
async fn path_parameters_are_placed_in_the_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "120363025343298765@g.us", "type": "group"})),
        )
        .mount(&server)
        .await;

    let chat = client(&server)
        .get_chat()
        .chat_id("120363025343298765@g.us".to_string())
        .send()
        .await
        .unwrap()
        .into_inner();

    assert_eq!(chat.type_.as_deref(), Some("group"));
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), "/chats/120363025343298765@g.us");
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        format!("Bearer {TOKEN}").as_str()
    );
    assert_eq!(request.headers.get("accept").unwrap(), "application/json");
}

#[tokio::test]
async fn binary_upload_sends_the_bytes_and_decodes_an_odd_media_id() {
    let server = MockServer::start().await;
    // The live service answers `media_init` where the spec's MediaID pattern
    // expects `<letters>-<hex>`: decoding must not fail on it.
    Mock::given(method("POST"))
        .and(path("/media"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"media": [{"id": "media_init"}]})),
        )
        .mount(&server)
        .await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();

    let uploaded = client(&server)
        .upload_media()
        .body(bytes.clone())
        .send()
        .await
        .unwrap()
        .into_inner();

    assert_eq!(
        uploaded.media[0].id.as_ref().unwrap().as_str(),
        "media_init"
    );
    let request = only_request(&server).await;
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/octet-stream"
    );
    assert_eq!(request.body, bytes);
}

#[tokio::test]
async fn responses_missing_required_fields_or_with_unknown_enum_values_still_decode() {
    let server = MockServer::start().await;
    // The spec requires `start_at`, `uptime` and `status`, and lists the
    // status texts; the live service does not always follow it.
    let health = json!({"channel_id": "MANTIS-M72HC", "status": {"code": 9, "text": "SOMETHING_NEW"}, "extra": 1});
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(ResponseTemplate::new(200).set_body_json(health))
        .mount(&server)
        .await;

    let health = client(&server)
        .check_health()
        .send()
        .await
        .unwrap()
        .into_inner();

    assert_eq!(health.channel_id.as_deref(), Some("MANTIS-M72HC"));
    assert_eq!(health.start_at, None);
    assert_eq!(
        health.status.unwrap().text.as_deref(),
        Some("SOMETHING_NEW")
    );
}

#[tokio::test]
async fn comma_joined_ids_go_in_one_query_value() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/lids"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"15550100000": {"lid": "123456789012345@lid"}})),
        )
        .mount(&server)
        .await;

    let lids = client(&server)
        .get_lid_by_ids()
        .contact_id_list("15550100000,15550100001")
        .send()
        .await
        .unwrap()
        .into_inner();

    assert_eq!(
        lids.get("15550100000").and_then(|l| l.lid.as_deref()),
        Some("123456789012345@lid")
    );
    let request = only_request(&server).await;
    let pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        pairs,
        [(
            "ContactIDList".to_string(),
            "15550100000,15550100001".to_string()
        )]
    );
}

#[tokio::test]
async fn raw_media_send_puts_the_send_parameters_in_the_query() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/messages/media/image"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sent": true})))
        .mount(&server)
        .await;
    let png = b"\x89PNG\r\n\x1a\nfake".to_vec();

    let sent = client(&server)
        .send_media_message()
        .media_message_type(types::MediaMessageType::Image)
        .to("15550100000")
        .caption("a cat")
        .mentions(vec!["15550100001".to_string(), "15550100002".to_string()])
        .body(png.clone())
        .send()
        .await
        .unwrap()
        .into_inner();

    assert_eq!(sent.sent, Some(true));
    let request = only_request(&server).await;
    let mut pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("caption".to_string(), "a cat".to_string()),
            ("mentions".to_string(), "15550100001".to_string()),
            ("mentions".to_string(), "15550100002".to_string()),
            ("to".to_string(), "15550100000".to_string()),
        ]
    );
    assert_eq!(request.body, png);
}

#[tokio::test]
async fn group_icon_204_is_an_empty_stream() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;

    let icon = client(&server)
        .get_group_icon()
        .group_id("120363025343298765@g.us".to_string())
        .send()
        .await
        .unwrap();

    assert_eq!(icon.status(), 204);
    let bytes = icon.into_inner().into_inner();
    use futures::TryStreamExt;
    let chunks: Vec<bytes::Bytes> = bytes.try_collect().await.unwrap();
    assert!(chunks.iter().all(|c| c.is_empty()));
}

#[tokio::test]
async fn limits_204_is_an_unexpected_response_with_its_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/limits"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;

    match client(&server).get_limits().send().await {
        Err(Error::UnexpectedResponse(response)) => assert_eq!(response.status(), 204),
        other => panic!("expected an unexpected 204, got {other:?}"),
    }
}

#[tokio::test]
async fn api_errors_arrive_raw_with_status_and_body() {
    let server = MockServer::start().await;
    let error = json!({"error": {"code": 404, "message": "Specified chat not found", "details": "no such chat"}});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(&error))
        .mount(&server)
        .await;

    match client(&server)
        .get_chat()
        .chat_id("15550100000@s.whatsapp.net".to_string())
        .send()
        .await
    {
        Err(Error::UnexpectedResponse(response)) => {
            assert_eq!(response.status(), 404);
            let body: types::ResponseError = response.json().await.unwrap();
            assert_eq!(
                body.error.and_then(|e| e.message).as_deref(),
                Some("Specified chat not found")
            );
        }
        other => panic!("expected the raw 404, got {other:?}"),
    }
}

#[tokio::test]
async fn a_non_json_error_body_keeps_its_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&server)
        .await;

    match client(&server).get_chats().send().await {
        Err(Error::UnexpectedResponse(response)) => {
            assert_eq!(response.status(), 502);
            assert_eq!(response.text().await.unwrap(), "<html>Bad Gateway</html>");
        }
        other => panic!("expected the raw 502, got {other:?}"),
    }
}

/// A client without auth whose requests all go through `transport`.
fn through(server: &MockServer, transport: std::sync::Arc<Recorder>) -> Client {
    Client::new_with_client(
        &server.uri(),
        reqwest::Client::new(),
        Hooks::with_transport(transport),
    )
}

/// Records which operations went through it, then sends them.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<String>>);

impl whapi_client::Transport for Recorder {
    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> whapi_client::BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let op = whapi_client::operation(operation).expect("every operation is in the table");
        self.0
            .lock()
            .unwrap()
            .push(format!("{} {} {}", op.operation_id, op.method, op.path));
        Box::pin(client.execute(request))
    }
}

#[tokio::test]
async fn a_transport_sees_every_request_with_its_operation() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1@g.us"})))
        .mount(&server)
        .await;
    let recorder = std::sync::Arc::new(Recorder::default());
    let client = through(&server, recorder.clone());

    client
        .get_chat()
        .chat_id("120363041234567890@g.us".to_string())
        .send()
        .await
        .unwrap();

    assert_eq!(*recorder.0.lock().unwrap(), ["getChat GET /chats/{ChatID}"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_request_with_hooks_of_its_own_goes_through_them_alone() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1@g.us"})))
        .mount(&server)
        .await;
    let (clients, its_own) = (
        std::sync::Arc::new(Recorder::default()),
        std::sync::Arc::new(Recorder::default()),
    );
    let client = through(&server, clients.clone());
    let chat = || {
        client
            .get_chat()
            .chat_id("120363041234567890@g.us".to_string())
    };

    chat()
        .hooks(Hooks::with_transport(its_own.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(*its_own.0.lock().unwrap(), ["getChat GET /chats/{ChatID}"]);
    assert!(
        clients.0.lock().unwrap().is_empty(),
        "the client's transport saw it"
    );

    // `None` is the client's own again.
    chat().hooks(None).send().await.unwrap();
    assert_eq!(clients.0.lock().unwrap().len(), 1);
    assert_eq!(its_own.0.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_multipart_send_puts_the_fields_and_the_file_in_one_form_through_the_hooks() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/messages/image"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"sent": true, "message": {"id": "m-1"}})),
        )
        .mount(&server)
        .await;
    let recorder = std::sync::Arc::new(Recorder::default());
    let client = through(&server, recorder.clone());
    let part = reqwest::multipart::Part::bytes(b"\x89PNG".to_vec())
        .file_name("a.png")
        .mime_str("image/png")
        .unwrap();

    let sent = client
        .send_message_image()
        .body(
            types::SenderImage::builder()
                .to("15550100000".to_string())
                .media(String::new())
                .caption(Some("a cat".to_string())),
        )
        .send_multipart(part)
        .await
        .unwrap()
        .into_inner();

    assert_eq!(sent.id(), "m-1");
    assert_eq!(
        *recorder.0.lock().unwrap(),
        ["sendMessageImage POST /messages/image"]
    );
    let request = only_request(&server).await;
    let content_type = request.headers["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let body = String::from_utf8_lossy(&request.body);
    for part in [
        "name=\"to\"\r\n\r\n15550100000",
        "name=\"caption\"\r\n\r\na cat",
        "name=\"media\"; filename=\"a.png\"",
        "Content-Type: image/png",
    ] {
        assert!(body.contains(part), "{part:?} in {body}");
    }
    assert_eq!(body.matches("name=\"media\"").count(), 1, "{body}");
}

#[tokio::test]
async fn answers_off_the_spec_decode_also_in_types_requests_share() {
    // `Settings` is a request body too, yet its answer must survive a
    // webhook mode and an event type the spec does not list, and a webhook
    // without its required `url` (`response_copies_of_shared_types`).
    let server = MockServer::start().await;
    let settings = json!({"webhooks": [
        {"mode": "websocket", "events": [{"type": "reactions", "method": "post"}]},
        {"url": "https://bot.example.com/hook", "mode": "body", "events": []}
    ]});
    Mock::given(method("GET"))
        .and(path("/settings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&settings))
        .mount(&server)
        .await;
    let answer: types::SettingsReceived = client(&server)
        .get_channel_settings()
        .send()
        .await
        .expect("an answer off the spec still decodes")
        .into_inner();
    let webhooks = answer.webhooks.expect("webhooks").0;
    assert_eq!(webhooks[0].mode.as_deref(), Some("websocket"));
    assert_eq!(webhooks[0].url, None);
    assert_eq!(
        webhooks[0].events[0].type_.as_ref().map(|t| t.to_string()),
        Some("reactions".to_string())
    );
    assert_eq!(
        webhooks[1].url.as_deref(),
        Some("https://bot.example.com/hook")
    );

    // The request type stays strict: a webhook without a url cannot be built.
    let strict: Result<types::Webhook, _> = types::Webhook::builder()
        .mode(types::WebhookParametersMode::Body)
        .try_into();
    assert!(
        strict.is_err(),
        "the request-side Webhook still requires its url"
    );
}

#[tokio::test]
async fn json_forms_of_the_raw_uploads_go_as_json_through_the_hooks() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/media"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"media": "https://example.com/cat.png"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"media": [{"id": "media_init"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/groups/120363025343298765@g.us/icon"))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"media": "png-4a3b2c1d", "mime_type": "image/png"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/messages/media/image"))
        .and(query_param("to", "15550100000"))
        .and(query_param("caption", "A cat"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"media": "png-4a3b2c1d"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"sent": true, "message": {"id": "PsqXn5SAD5v7HRA-wHqB9g", "type": "image"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let recorder = std::sync::Arc::new(Recorder::default());
    let client = through(&server, recorder.clone());

    let uploaded = client
        .upload_media_json()
        .body_map(|b| b.media(Some("https://example.com/cat.png".to_string())))
        .send()
        .await
        .unwrap()
        .into_inner();
    let icon = client
        .set_group_icon_json()
        .group_id("120363025343298765@g.us".to_string())
        .body(types::UploadImageJson {
            media: "png-4a3b2c1d".into(),
            mime_type: Some("image/png".into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let sent = client
        .send_media_message_json()
        .media_message_type(types::MediaMessageType::Image)
        .to("15550100000".to_string())
        .caption("A cat".to_string())
        .body_map(|b| b.media(Some("png-4a3b2c1d".to_string())))
        .send()
        .await
        .unwrap()
        .into_inner();

    assert_eq!(
        uploaded.media[0].id.as_ref().unwrap().as_str(),
        "media_init"
    );
    assert_eq!(icon.success, Some(true));
    assert_eq!(sent.sent, Some(true));
    assert_eq!(
        *recorder.0.lock().unwrap(),
        [
            "uploadMedia POST /media",
            "setGroupIcon PUT /groups/{GroupID}/icon",
            "sendMediaMessage POST /messages/media/{MediaMessageType}"
        ]
    );
    for request in server.received_requests().await.unwrap() {
        assert_eq!(request.headers.get("accept").unwrap(), "application/json");
        assert_eq!(request.headers.get("api-version").unwrap(), "1.8.7");
    }
}

#[tokio::test]
async fn json_forms_refuse_an_incomplete_request_before_sending() {
    let server = MockServer::start().await;
    let client = client(&server);

    let no_group = client
        .set_group_icon_json()
        .body_map(|b| b.media("png-4a3b2c1d".to_string()))
        .send()
        .await;
    let no_media = client
        .set_group_icon_json()
        .group_id("120363025343298765@g.us".to_string())
        .send()
        .await;

    match no_group {
        Err(Error::InvalidRequest(why)) => assert!(why.contains("group_id"), "{why}"),
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    match no_media {
        Err(Error::InvalidRequest(why)) => assert!(why.contains("media"), "{why}"),
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_raw_client_takes_the_same_checked_ids_and_says_why_one_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "120363041234567890@g.us", "name": "Team"})),
        )
        .mount(&server)
        .await;
    let client = client(&server);

    let refused = client
        .get_chat()
        .chat_id("1@g.us")
        .send()
        .await
        .unwrap_err();
    let chat = client
        .get_chat()
        .chat_id("120363041234567890@g.us")
        .send()
        .await
        .unwrap()
        .into_inner();

    let Error::InvalidRequest(reason) = &refused else {
        panic!("{refused:?}")
    };
    assert!(
        reason.contains("chat_id") && reason.contains("`1@g.us` is not a valid group id"),
        "the reason, not only that a conversion failed: {reason}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "nothing refused is sent"
    );
    // The answer's id is the same type a request takes: straight to the next call.
    let id: &whapi_client::ids::ChatId = chat.id();
    client.get_chat().chat_id(id.clone()).send().await.unwrap();
}
