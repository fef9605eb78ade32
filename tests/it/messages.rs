//! Message builders against an in-process mock: the exact JSON and
//! multipart bodies the server receives, and bad input refused before
//! anything is sent.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use whapi_ext::media::MediaSource;
use whapi_ext::messages::{MediaKind, SEND_OPERATIONS};
use whapi_ext::Error;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"sent": true, "message": {"id": "PsobWy36679._7w-wKmB9tMeGQ"}}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&server)
        .await;
    server
}

use crate::whapi;

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "exactly one request");
    requests.remove(0)
}

fn json_body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

/// One part of a multipart body: its headers (lower-cased) and its bytes.
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// Splits a `multipart/form-data` body by its boundary.
fn multipart_parts(request: &Request) -> Vec<Part> {
    let content_type = request
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .trim_matches('"')
        .to_string();
    let delimiter = format!("--{boundary}");
    let body = &request.body;
    let mut starts = Vec::new();
    let mut i = 0;
    while let Some(at) = body[i..]
        .windows(delimiter.len())
        .position(|w| w == delimiter.as_bytes())
    {
        starts.push(i + at);
        i += at + delimiter.len();
    }
    let mut parts = Vec::new();
    for pair in starts.windows(2) {
        let chunk = &body[pair[0] + delimiter.len() + 2..pair[1] - 2];
        let split = chunk
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("headers end");
        let headers = String::from_utf8_lossy(&chunk[..split]).to_string();
        let field = |key: &str| {
            headers.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix(&format!("{key}=\""))
                    .map(|v| v.trim_end_matches(['"', '\r', '\n']).to_string())
            })
        };
        let content_type = headers.lines().find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(String::from)
        });
        let name = field("name").unwrap_or_default();
        let name = name.split('"').next().unwrap_or_default().to_string();
        let file_name =
            field("filename").map(|f| f.split('"').next().unwrap_or_default().to_string());
        parts.push(Part {
            name,
            file_name,
            content_type,
            bytes: chunk[split + 4..].to_vec(),
        });
    }
    parts
}

#[tokio::test]
async fn a_text_is_one_line_and_sends_exactly_its_fields() {
    let server = server().await;

    let sent = whapi(&server)
        .send_text("+1 (555) 010-0000", "hi")
        .quoted("PsobWy36679._7w-wKmB9tMeGQ")
        .typing_time(2)
        .await
        .unwrap();

    assert_eq!(sent.sent, Some(true));
    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/messages/text");
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(
        json_body(&request),
        json!({"to": "15550100000@s.whatsapp.net", "body": "hi", "quoted": "PsobWy36679._7w-wKmB9tMeGQ", "typing_time": 2.0})
    );
}

#[tokio::test]
async fn media_from_a_url_goes_as_json() {
    let server = server().await;

    whapi(&server)
        .send_image(
            "120363025343298765@g.us",
            MediaSource::url("https://example.com/cat.jpg"),
        )
        .caption("a cat")
        .await
        .unwrap();

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/messages/image");
    assert_eq!(
        json_body(&request),
        json!({"to": "120363025343298765@g.us", "media": "https://example.com/cat.jpg", "caption": "a cat"})
    );
}

#[tokio::test]
async fn local_media_goes_as_multipart_with_the_spec_field_names() {
    let kinds: Vec<(&str, &str, &str)> = vec![
        ("image", "cat.png", "image/png"),
        ("video", "clip.mp4", "video/mp4"),
        ("gif", "loop.mp4", "video/mp4"),
        ("short", "note.mp4", "video/mp4"),
        ("audio", "song.mp3", "audio/mpeg"),
        ("voice", "note.ogg", "audio/ogg; codecs=opus"),
        ("document", "invoice.pdf", "application/pdf"),
        ("sticker", "smile.webp", "image/webp"),
    ];
    for (kind, file_name, mime) in kinds {
        let server = server().await;
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 256) as u8).collect();
        let media = MediaSource::bytes(data.clone(), file_name, mime);
        let wa = whapi(&server);
        let to = "15550100000";
        let result = match kind {
            "image" => wa.send_image(to, media).await,
            "video" => wa.send_video(to, media).await,
            "gif" => wa.send_gif(to, media).await,
            "short" => wa.send_short(to, media).await,
            "audio" => wa.send_audio(to, media).await,
            "voice" => wa.send_voice(to, media).await,
            "document" => wa.send_document(to, media).await,
            _ => wa.send_sticker(to, media).await,
        };
        result.unwrap_or_else(|e| panic!("{kind}: {e}"));

        let request = only_request(&server).await;
        assert_eq!(request.url.path(), format!("/messages/{kind}"));
        assert!(request
            .headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("multipart/form-data; boundary="));
        let parts = multipart_parts(&request);
        let to_part = parts
            .iter()
            .find(|p| p.name == "to")
            .unwrap_or_else(|| panic!("{kind}: no `to` part"));
        assert_eq!(to_part.bytes, b"15550100000@s.whatsapp.net");
        let media_part = parts
            .iter()
            .find(|p| p.name == "media")
            .unwrap_or_else(|| panic!("{kind}: no `media` part"));
        assert_eq!(media_part.file_name.as_deref(), Some(file_name), "{kind}");
        assert_eq!(media_part.content_type.as_deref(), Some(mime), "{kind}");
        assert!(
            media_part.bytes == data,
            "{kind}: the bytes arrive unchanged"
        );
    }
}

#[tokio::test]
async fn a_file_is_streamed_into_the_multipart_form() {
    let server = server().await;
    let path = std::env::temp_dir().join(format!("whapi-doc-{}.pdf", std::process::id()));
    let data = b"%PDF-1.7\nhello".to_vec();
    std::fs::write(&path, &data).unwrap();

    whapi(&server)
        .send_document("15550100000", MediaSource::path(&path))
        .caption("invoice")
        .await
        .unwrap();

    let parts = multipart_parts(&only_request(&server).await);
    let media = parts.iter().find(|p| p.name == "media").unwrap();
    assert_eq!(
        (media.file_name.as_deref(), media.content_type.as_deref()),
        (
            path.file_name().and_then(|n| n.to_str()),
            Some("application/pdf")
        )
    );
    assert_eq!(media.bytes, data);
    assert_eq!(
        parts
            .iter()
            .find(|p| p.name == "caption")
            .map(|p| p.bytes.clone()),
        Some(b"invoice".to_vec())
    );
}

#[tokio::test]
async fn a_raw_media_send_carries_the_true_media_type() {
    let server = server().await;
    let voice = vec![0x4f, 0x67, 0x67, 0x53, 9, 9];

    whapi(&server)
        .send_media_file(
            "15550100000",
            MediaKind::Voice,
            MediaSource::bytes(voice.clone(), "n.ogg", "audio/ogg; codecs=opus"),
            Some("listen"),
        )
        .await
        .unwrap();

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/messages/media/voice");
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "audio/ogg; codecs=opus"
    );
    let query: BTreeSet<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(
        query.contains(&("to".into(), "15550100000@s.whatsapp.net".into()))
            && query.contains(&("caption".into(), "listen".into()))
    );
    assert_eq!(request.body, voice);
}

#[tokio::test]
async fn path_operations_put_the_id_in_the_path() {
    let server = server().await;
    let wa = whapi(&server);

    wa.forward_message("PsobWy36679._7w-wKmB9tMeGQ", "120363025343298765@g.us")
        .await
        .unwrap();
    wa.mark_message_as_read("PsobWy36679._7w-wKmB9tMeGQ")
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        (requests[0].method.as_str(), requests[0].url.path()),
        ("POST", "/messages/PsobWy36679._7w-wKmB9tMeGQ")
    );
    assert_eq!(
        json_body(&requests[0]),
        json!({"to": "120363025343298765@g.us"})
    );
    assert_eq!(
        (requests[1].method.as_str(), requests[1].url.path()),
        ("PUT", "/messages/PsobWy36679._7w-wKmB9tMeGQ")
    );
    assert!(requests[1].body.is_empty());
}

#[tokio::test]
async fn bad_input_is_refused_before_sending_naming_field_and_rule() {
    let server = server().await;
    let wa = whapi(&server);
    let thirteen: Vec<String> = (0..13).map(|i| format!("option {i}")).collect();

    let cases: Vec<(&str, whapi_ext::Result<whapi_client::types::SentMessage>)> = vec![
        ("body", wa.send_text("15550100000", "").await),
        (
            "options",
            wa.send_poll("15550100000", "Lunch?", thirteen).await,
        ),
        (
            "typing_time",
            wa.send_text("15550100000", "hi").typing_time(61).await,
        ),
        ("to", wa.send_text("not a phone", "hi").await),
        (
            "quoted",
            wa.send_text("15550100000", "hi")
                .quoted("has a space")
                .await,
        ),
        (
            "typing_time",
            wa.send_text("15550100000", "hi")
                .typing_time(f64::NAN)
                .await,
        ),
    ];
    for (field, result) in cases {
        match result {
            Err(Error::InvalidArgument { field: f, rule }) => assert_eq!(f, field, "{rule}"),
            other => panic!("{field}: expected InvalidArgument, got {other:?}"),
        }
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

#[test]
fn every_send_operation_of_the_spec_has_a_builder() {
    let spec = whapi_tests::spec();
    let mut sends = BTreeSet::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for (verb, op) in item.as_object().unwrap() {
            let tags: Vec<&str> = op["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if verb != "get"
                && verb != "parameters"
                && (tags.contains(&"Messages") || tags.contains(&"Stories"))
            {
                sends.insert(op["operationId"].as_str().unwrap().to_string());
            }
        }
    }
    let built: BTreeSet<String> = SEND_OPERATIONS
        .iter()
        .map(|(id, _)| id.to_string())
        .chain(["sendMediaMessage".to_string()])
        .collect();
    let missing: Vec<_> = sends.difference(&built).collect();
    assert!(
        missing.is_empty(),
        "send operations without a builder: {missing:?}"
    );
    assert_eq!(sends.len(), 35);
}

#[tokio::test]
async fn local_media_is_refused_where_the_spec_takes_json_only() {
    let server = server().await;

    let err = whapi(&server)
        .create_story()
        .media(MediaSource::bytes(vec![1, 2, 3], "s.jpg", "image/jpeg"))
        .await
        .unwrap_err();

    assert!(
        matches!(err, Error::InvalidArgument { ref field, .. } if field == "media"),
        "{err:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn mentions_and_contact_lists_are_checked_and_normalized() {
    let server = server().await;
    let wa = whapi(&server);

    wa.send_text("15550100000", "hi @Bob")
        .mentions(["+1 (555) 010-0001", "120363025343298765@g.us"])
        .await
        .unwrap();
    let bad = wa
        .send_text("15550100000", "hi")
        .mentions(["bob"])
        .await
        .unwrap_err();

    assert!(
        matches!(bad, Error::InvalidArgument { ref field, .. } if field == "mentions"),
        "{bad:?}"
    );
    let request = only_request(&server).await;
    assert_eq!(
        json_body(&request)["mentions"],
        json!(["15550100001@s.whatsapp.net", "120363025343298765@g.us"])
    );
}

#[test]
fn every_operation_that_takes_a_multipart_body_has_a_builder() {
    let spec = whapi_tests::spec();
    let built: BTreeSet<&str> = SEND_OPERATIONS
        .iter()
        .map(|(id, _)| *id)
        .chain(["sendMediaMessage"])
        .collect();
    let mut multipart = BTreeSet::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let Some(body) = op.get("requestBody") else {
                continue;
            };
            let body = match body.get("$ref").and_then(Value::as_str) {
                Some(r) => spec.pointer(r.trim_start_matches('#')).unwrap(),
                None => body,
            };
            if body["content"].get("multipart/form-data").is_some() {
                multipart.insert(op["operationId"].as_str().unwrap().to_string());
            }
        }
    }
    let missing: Vec<_> = multipart
        .iter()
        .filter(|id| !built.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "multipart operations without a builder: {missing:?}"
    );
    assert_eq!(multipart.len(), 29, "the spec's 29 JSON + multipart bodies");
}

#[tokio::test]
async fn ids_in_paths_are_checked_and_normalized() {
    let server = server().await;

    whapi(&server)
        .send_contact_by_contact_id("+1 (555) 010-0002", "15550100000")
        .await
        .unwrap();
    let bad = whapi(&server)
        .send_contact_by_contact_id("not-a-phone", "15550100000")
        .await
        .unwrap_err();

    assert!(
        matches!(bad, Error::InvalidArgument { ref field, .. } if field == "ContactID"),
        "{bad:?}"
    );
    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/contacts/15550100002");
    assert_eq!(json_body(&request)["to"], "15550100000@s.whatsapp.net");
}
