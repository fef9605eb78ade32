//! `whapi-ext`'s calls against an in-process mock: every operation's call
//! sends what the spec describes, bodies go out exactly as JSON or as
//! multipart forms, bad input is refused whole and before sending, and a
//! call's own options and metadata.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};
use whapi_ext::media::MediaSource;
use whapi_ext::types::MediaMessageType;
use whapi_ext::{CallOptions, Error, RetryPolicy};
use whapi_tests::call_cases::{call_case, expected, CALLS, MEDIA_URL};
use whapi_tests::MockServer;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::whapi;

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

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "exactly one request");
    requests.remove(0)
}

/// The JSON body of each request the server received, in order.
async fn received_bodies(server: &MockServer) -> Vec<Value> {
    let requests = server.received_requests().await.unwrap();
    requests.iter().map(json_body).collect()
}

/// The path of each request the server received, in order.
async fn received_paths(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap();
    requests.iter().map(|r| r.url.path().to_string()).collect()
}

fn json_body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

/// One part of a multipart body.
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// The parts of a `multipart/form-data` body, read with `multer`.
async fn multipart_parts(request: &Request) -> Vec<Part> {
    let content_type = request
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    let boundary = multer::parse_boundary(content_type).expect("a multipart boundary");
    let body = bytes::Bytes::from(request.body.clone());
    let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await.expect("a well-formed form") {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(String::from);
        let content_type = field.content_type().map(ToString::to_string);
        let bytes = field.bytes().await.expect("the part's bytes").to_vec();
        parts.push(Part {
            name,
            file_name,
            content_type,
            bytes,
        });
    }
    parts
}

/// The operations of the normalized spec, the contract Prism serves: the
/// list the calls must cover, read independently of the generator.
fn spec_operations() -> Vec<(String, String, String)> {
    let spec: Value =
        serde_json::from_str(&whapi_tests::read(whapi_gen::paths::NORMALIZED)).unwrap();
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                out.push((id.to_string(), verb.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Whether `path` is an instance of the template `/chats/{ChatID}`.
fn matches_template(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) =
        (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

/// Answers every request: JSON `{}` (which every lenient answer decodes),
/// bytes for downloads.
async fn answering_server() -> MockServer {
    let server = MockServer::start().await;
    for download in ["/media/", "/icon", "/users/login/image"] {
        Mock::given(wiremock::matchers::path_regex(format!("{download}.*$")))
            .and(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(vec![1u8, 2, 3], "image/png"))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .with_priority(5)
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_of_the_spec_has_a_call_that_sends_what_the_spec_describes() {
    let operations = spec_operations();
    // The spec's 167 and the overlay's 22.
    assert_eq!(operations.len(), 189);
    let covered: BTreeSet<&str> = CALLS.iter().map(|(id, _, _)| *id).collect();
    let missing: Vec<&String> = operations
        .iter()
        .map(|(id, ..)| id)
        .filter(|id| !covered.contains(id.as_str()))
        .collect();
    assert!(missing.is_empty(), "operations without a call: {missing:?}");

    // One server for every case: a case's request is the one it received
    // after the case before.
    let server = answering_server().await;
    let wa = whapi(&server);
    let mut failures = Vec::new();
    for (id, verb, template) in &operations {
        for everything in [false, true] {
            let before = server.received_requests().await.unwrap().len();
            let case = call_case(&wa, id, everything, || MediaSource::url(MEDIA_URL))
                .expect("a case for every call");
            // What comes back is the contract suite's concern (Prism answers
            // from the spec); a 2xx this answer does not fit still means
            // the request went out.
            match case.await {
                Ok(()) | Err(Error::Decode { .. }) => {}
                Err(Error::Api(api)) if api.status.is_success() => {}
                Err(e) => {
                    failures.push(format!("{id} ({everything}): the call failed: {e}"));
                    continue;
                }
            }
            let want = expected(id, everything).expect("an expectation for every case");
            let requests = server.received_requests().await.unwrap();
            let [request] = &requests[before..] else {
                failures.push(format!("{id}: {} requests", requests.len() - before));
                continue;
            };
            let sent_path = percent_encoding::percent_decode_str(request.url.path())
                .decode_utf8_lossy()
                .into_owned();
            if request.method.as_str() != verb || !matches_template(template, &sent_path) {
                failures.push(format!(
                    "{id}: sent {} {sent_path}, the spec says {verb} {template}",
                    request.method
                ));
            }
            if request.method.as_str() != want.method || sent_path != want.path {
                failures.push(format!(
                    "{id}: sent {} {sent_path}, expected {} {}",
                    request.method, want.method, want.path
                ));
            }
            let query: BTreeSet<(String, String)> = request
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let want_query: BTreeSet<(String, String)> = want
                .query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            if query != want_query {
                failures.push(format!(
                    "{id} ({everything}): query {query:?}, expected {want_query:?}"
                ));
            }
            let body: Option<Value> = (!request.body.is_empty())
                .then(|| serde_json::from_slice(&request.body).unwrap_or(Value::Null));
            if body != want.body {
                failures.push(format!(
                    "{id} ({everything}): body {body:?}, expected {:?}",
                    want.body
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_text_is_one_line_and_sends_exactly_its_fields() {
    let server = server().await;

    let sent = whapi(&server)
        .send_message_text("+1 (555) 010-0000", "hi")
        .quoted("PsobWy36679._7w-wKmB9tMeGQ")
        .typing_time(Duration::from_secs(2))
        .await
        .unwrap();

    assert_eq!(sent.id(), "PsobWy36679._7w-wKmB9tMeGQ");
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
        .send_message_image(
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
            "image" => wa.send_message_image(to, media).await,
            "video" => wa.send_message_video(to, media).await,
            "gif" => wa.send_message_gif(to, media).await,
            "short" => wa.send_message_short(to, media).await,
            "audio" => wa.send_message_audio(to, media).await,
            "voice" => wa.send_message_voice(to, media).await,
            "document" => wa.send_message_document(to, media).await,
            _ => wa.send_message_sticker(to, media).await,
        };
        result.unwrap_or_else(|e| panic!("{kind}: {e}"));

        let request = only_request(&server).await;
        assert_eq!(request.url.path(), format!("/messages/{kind}"));
        let parts = multipart_parts(&request).await;
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
        assert_eq!(
            parts.iter().filter(|p| p.name == "media").count(),
            1,
            "{kind}: one media part"
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
        .send_message_document("15550100000", MediaSource::path(&path))
        .caption("invoice")
        .await
        .unwrap();

    let parts = multipart_parts(&only_request(&server).await).await;
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
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn a_multipart_send_with_a_path_parameter_fills_the_path() {
    let server = server().await;

    whapi(&server)
        .send_group_invite("AbCdEf123", "15550100000")
        .media(MediaSource::bytes(vec![1, 2], "p.png", "image/png"))
        .await
        .unwrap();

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/groups/link/AbCdEf123");
    assert!(multipart_parts(&request)
        .await
        .iter()
        .any(|p| p.name == "media"));
}

#[tokio::test]
async fn a_raw_media_send_carries_the_true_media_type_through_the_generated_operation() {
    let server = server().await;
    let voice = vec![0x4f, 0x67, 0x67, 0x53, 9, 9];

    whapi(&server)
        .send_media_message(
            MediaMessageType::Voice,
            "15550100000",
            MediaSource::bytes(voice.clone(), "n.ogg", "audio/ogg; codecs=opus"),
        )
        .caption("listen")
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
            && query.contains(&("caption".into(), "listen".into())),
        "{query:?}"
    );
    assert_eq!(request.body, voice);
}

#[tokio::test]
async fn a_raw_upload_by_reference_goes_as_json_to_the_same_endpoint() {
    let server = server().await;

    whapi(&server)
        .send_media_message(
            MediaMessageType::Image,
            "15550100000",
            MediaSource::url(MEDIA_URL),
        )
        .caption("by url")
        .await
        .unwrap();

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/messages/media/image");
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(json_body(&request), json!({"media": MEDIA_URL}));
    assert!(request
        .url
        .query_pairs()
        .any(|(k, v)| k == "caption" && v == "by url"));
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

    let cases: Vec<(&str, whapi_ext::Result<whapi_ext::types::SentMessage>)> = vec![
        ("body", wa.send_message_text("15550100000", "").await),
        (
            "options",
            wa.send_message_poll("15550100000", "Lunch?", thirteen)
                .await,
        ),
        (
            "typing_time",
            wa.send_message_text("15550100000", "hi")
                .typing_time(Duration::from_secs(61))
                .await,
        ),
        ("to", wa.send_message_text("not a phone", "hi").await),
        (
            "quoted",
            wa.send_message_text("15550100000", "hi")
                .quoted("has a space")
                .await,
        ),
    ];
    for (field, result) in cases {
        match result {
            Err(Error::InvalidArgument(invalid)) => assert_eq!(invalid.field(), field, "{invalid}"),
            other => panic!("{field}: expected InvalidArgument, got {other:?}"),
        }
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn every_problem_of_a_request_is_reported_not_only_the_first() {
    let server = server().await;

    let err = whapi(&server)
        .send_message_text("not a phone", "")
        .quoted("has a space")
        .typing_time(Duration::from_secs(61))
        .mentions(["bob"])
        .await
        .unwrap_err();

    let Error::InvalidArgument(invalid) = &err else {
        panic!("{err:?}")
    };
    let fields: Vec<&str> = invalid
        .problems()
        .iter()
        .map(|p| p.field.as_str())
        .collect();
    assert_eq!(
        fields,
        ["to", "body", "quoted", "typing_time", "mentions"],
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("`typing_time`: must be at most 60, is 61 seconds"),
        "{err}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
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
        matches!(&err, Error::InvalidArgument(i) if i.field() == "media"),
        "{err:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn mentions_are_checked_and_normalized() {
    let server = server().await;
    let wa = whapi(&server);

    wa.send_message_text("15550100000", "hi @Bob")
        .mentions(["+1 (555) 010-0001", "120363025343298765@g.us"])
        .await
        .unwrap();
    let bad = wa
        .send_message_text("15550100000", "hi")
        .mentions(["bob"])
        .await
        .unwrap_err();

    assert!(
        matches!(&bad, Error::InvalidArgument(i) if i.field() == "mentions"),
        "{bad:?}"
    );
    let request = only_request(&server).await;
    assert_eq!(
        json_body(&request)["mentions"],
        json!(["15550100001@s.whatsapp.net", "120363025343298765@g.us"])
    );
}

#[tokio::test]
async fn a_mention_by_lid_and_a_message_id_of_the_newer_longer_form_are_sent() {
    let server = server().await;
    // Segments of 12, 20, 2 and 14 characters: the newer patterns take up
    // to 30 in each, spec 1.8.7 at most 14, 10 and 10 after the first.
    let quoted = "AbCdEfGhIjKl-AbCdEfGhIjKlMnOpQrSt-ab-AbCdEfGhIjKlMn";

    whapi(&server)
        .send_message_text("15550100000", "hi @Lid")
        .mentions(["123456789012345@lid"])
        .quoted(quoted)
        .await
        .unwrap();

    let body = json_body(&only_request(&server).await);
    assert_eq!(body["mentions"], json!(["123456789012345@lid"]));
    assert_eq!(body["quoted"], json!(quoted));
}

#[tokio::test]
async fn a_username_is_set_or_removed_by_null() {
    let server = answering_server().await;
    let wa = whapi(&server);

    wa.set_username(Some("bot_of_acme")).await.unwrap();
    wa.set_username(None).await.unwrap();
    let refused = wa.set_username(Some("")).await;

    assert!(
        matches!(refused, Err(Error::InvalidArgument(_))),
        "{refused:?}"
    );
    let bodies = received_bodies(&server).await;
    assert_eq!(
        bodies,
        [
            json!({"username": "bot_of_acme"}),
            json!({"username": null})
        ]
    );
}

#[tokio::test]
async fn product_order_collection_and_call_ids_read_from_answers_go_into_the_next_call() {
    use crate::webhooks::fixture;
    use whapi_ext::webhooks::{MessageBody, Payload};
    let server = answering_server().await;
    Mock::given(method("GET"))
        .and(path("/business/products"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"products": [{
            "id": "1234567890123", "price": 1.5, "currency": "USD", "name": "Pizza",
            "images": ["https://example.com/p.jpg"], "availability": "in stock", "description": "d",
        }]})))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/business/collections"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"collections": [{"id": "COLL-7", "name": "Mains"}]})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let wa = whapi(&server);

    let products = wa.get_products().await.unwrap();
    let product = &products.products()[0];
    wa.get_product(product.id()).await.unwrap();
    let collections = wa.get_collections_list().await.unwrap();
    let collection = &collections.collections()[0];
    wa.get_collection(collection.id()).await.unwrap();
    let Payload::Calls(calls) = fixture("calls_post").payload else {
        panic!("not a call event")
    };
    let call = &calls[0];
    wa.reject_call(call.id().unwrap(), call.from().unwrap())
        .await
        .unwrap();
    let Payload::Messages(messages) = fixture("messages_post_every_type").payload else {
        panic!("not a message event")
    };
    let order = messages
        .iter()
        .find_map(|m| match m.body() {
            MessageBody::Order(order) => order.order_id().cloned(),
            _ => None,
        })
        .unwrap();
    wa.get_order_items(&order).await.unwrap();

    let paths = received_paths(&server).await;
    assert_eq!(
        paths,
        [
            "/business/products",
            "/business/products/1234567890123",
            "/business/collections",
            "/business/collections/COLL-7",
            "/calls/CALL-1",
            "/business/orders/123456789012",
        ]
    );
}

#[tokio::test]
async fn inline_answer_types_read_in_one_step_and_their_ids_go_on() {
    let server = answering_server().await;
    let community = "120363025343298765@g.us";
    Mock::given(method("GET"))
        .and(path(format!("/communities/{community}/subgroups")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "announceGroupInfo": {"id": "120363000000000001@g.us", "title": "News"},
            "otherGroups": [{"id": "120363000000000002@g.us", "title": "Chat"}],
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/groups/{community}/participants")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "processed": ["15550100001"], "failed": ["15550100002"],
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    let wa = whapi(&server);

    let groups = wa.get_community_sub_groups(community).await.unwrap();
    assert_eq!(groups.announce_group_info().title(), Some("News"));
    let other = &groups.other_groups()[0];
    wa.get_group(other.id().unwrap()).await.unwrap();
    let added = wa
        .add_group_participant(community, ["15550100001", "15550100002"])
        .await
        .unwrap();
    assert_eq!(added.processed(), ["15550100001"]);
    assert_eq!(added.failed()[0], "15550100002");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[1].url.path(), "/groups/120363000000000002@g.us");
}

#[tokio::test]
async fn ids_in_paths_are_checked_and_normalized() {
    let server = server().await;

    whapi(&server)
        .send_contact("+1 (555) 010-0002", "15550100000")
        .await
        .unwrap();
    let bad = whapi(&server)
        .send_contact("not-a-phone", "15550100000")
        .await
        .unwrap_err();

    assert!(
        matches!(&bad, Error::InvalidArgument(i) if i.field() == "contact_id"),
        "{bad:?}"
    );
    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/contacts/15550100002");
    assert_eq!(json_body(&request)["to"], "15550100000@s.whatsapp.net");
}

#[tokio::test]
async fn interactive_messages_take_typed_buttons_and_texts() {
    use whapi_ext::types::{Button, InteractiveAction, InteractiveType};
    let server = server().await;

    whapi(&server)
        .send_message_interactive(
            "15550100000",
            "Lunch at noon?",
            InteractiveAction::with_buttons([
                Button::quick_reply("yes", "Yes"),
                Button::quick_reply("no", "No"),
            ]),
            InteractiveType::Button,
        )
        .footer("reply below")
        .await
        .unwrap();

    let body = json_body(&only_request(&server).await);
    assert_eq!(
        body["action"]["buttons"][1],
        json!({"type": "quick_reply", "id": "no", "title": "No"})
    );
    assert_eq!(
        (
            body["body"]["text"].as_str(),
            body["footer"]["text"].as_str()
        ),
        (Some("Lunch at noon?"), Some("reply below"))
    );
    // The service refuses an interactive message without its type (the
    // overlay's `interactive_body_and_type_required`).
    assert_eq!(body["type"], "button");
}

#[tokio::test]
async fn a_call_overrides_headers_and_retries_and_reports_its_metadata() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-served-by", "mock")
                .set_body_json(json!({"status": {"code": 4, "text": "AUTH"}})),
        )
        .mount(&server)
        .await;
    let wa = whapi_ext::Whapi::builder()
        .token("t0k")
        .base_url(server.uri())
        .retry_policy(crate::fast_retries())
        .build()
        .unwrap();

    let answer = wa
        .check_health()
        .with_options(CallOptions::new().header("x-request-id", "42").unwrap())
        .send_with_meta()
        .await
        .unwrap();
    let once = wa
        .check_health()
        .with_options(CallOptions::new().retry_policy(RetryPolicy::none()))
        .send_with_meta()
        .await
        .unwrap();

    assert_eq!(
        (
            answer.value.status_text(),
            answer.status.as_u16(),
            answer.attempts
        ),
        ("AUTH", 200, 2)
    );
    assert_eq!(answer.headers.get("x-served-by").unwrap(), "mock");
    assert!(answer.latency > Duration::ZERO);
    assert_eq!(once.attempts, 1);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    assert!(requests[..2]
        .iter()
        .all(|r| r.headers.get("x-request-id").is_some_and(|v| v == "42")));
    assert!(
        requests[2].headers.get("x-request-id").is_none(),
        "options belong to their call"
    );
}

#[tokio::test]
async fn uploads_and_calls_run_side_by_side_keep_their_own_options() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let wa = whapi(&server);
    let header = |value: &str| CallOptions::new().header("x-call", value).unwrap();
    let media = MediaSource::bytes(b"\x89PNG".to_vec(), "cat.png", "image/png");

    let (upload, raw, plain) = tokio::join!(
        wa.send_message_image("15550100000", media)
            .with_options(header("form"))
            .send_with_meta(),
        wa.upload_media(MediaSource::bytes(
            b"%PDF".to_vec(),
            "a.pdf",
            "application/pdf"
        ))
        .with_options(header("raw"))
        .send_with_meta(),
        wa.check_health()
            .with_options(header("json"))
            .send_with_meta(),
    );
    for (name, answer) in [
        ("form", upload.map(|a| a.attempts)),
        ("raw", raw.map(|a| a.attempts)),
        ("json", plain.map(|a| a.attempts)),
    ] {
        assert_eq!(
            answer.unwrap_or_else(|e| panic!("{name}: {e}")),
            1,
            "{name}"
        );
    }

    let requests = server.received_requests().await.unwrap();
    let seen = |path: &str| {
        let request = requests.iter().find(|r| r.url.path() == path).unwrap();
        let header = request
            .headers
            .get("x-call")
            .map(|v| v.to_str().unwrap().to_string());
        let kind = request
            .headers
            .get("content-type")
            .map_or(String::new(), |v| v.to_str().unwrap().to_string());
        (header, kind)
    };
    let (form, form_type) = seen("/messages/image");
    assert_eq!(form.as_deref(), Some("form"));
    assert!(form_type.starts_with("multipart/form-data"), "{form_type}");
    assert_eq!(
        seen("/media"),
        (Some("raw".into()), "application/pdf".into())
    );
    assert_eq!(seen("/health").0.as_deref(), Some("json"));
}

#[tokio::test]
async fn a_call_can_have_its_own_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(800))
                .set_body_json(json!({})),
        )
        .mount(&server)
        .await;
    let wa = whapi(&server);

    let short = wa
        .check_health()
        .with_options(
            CallOptions::new()
                .timeout(Duration::from_millis(100))
                .retry_policy(RetryPolicy::none()),
        )
        .await;
    let default = wa.check_health().await;

    assert!(matches!(short, Err(Error::Timeout(_))), "{short:?}");
    assert!(
        default.is_ok(),
        "the client's own timeout is 60 s: {default:?}"
    );
}

#[tokio::test]
async fn a_yes_no_question_answers_a_bool_and_404_is_no() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path("/contacts/15550100001"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/contacts/15550100002"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/contacts/15550100003"))
        .respond_with(ResponseTemplate::new(402))
        .mount(&server)
        .await;
    let wa = whapi(&server);

    assert!(wa.check_exist("+1 555 010 0001").await.unwrap());
    assert!(!wa.check_exist("15550100002").await.unwrap());
    let error = wa.check_exist("15550100003").await.unwrap_err();
    assert!(
        matches!(&error, Error::Api(api) if api.status.as_u16() == 402),
        "any other answer is an error: {error:?}"
    );
}

#[tokio::test]
async fn a_presence_names_a_person_by_bare_digits_and_a_group_by_its_id() {
    let server = server().await;
    let wa = whapi(&server);
    let typing = whapi_ext::types::SendPresenceRequestPresence::Typing;

    wa.send_presence("+1 (555) 010-0001", typing).await.unwrap();
    wa.send_presence("15550100001@s.whatsapp.net", typing)
        .await
        .unwrap();
    wa.send_presence("120363025343298765@g.us", typing)
        .await
        .unwrap();

    let paths = received_paths(&server).await;
    assert_eq!(
        paths,
        [
            "/presences/15550100001",
            "/presences/15550100001",
            "/presences/120363025343298765@g.us"
        ],
        "the live service refuses a person's chat id here"
    );
    assert!(
        wa.send_presence("not a chat", typing).await.is_err(),
        "checked as a chat id"
    );
}

#[tokio::test]
async fn the_newsletter_role_filter_goes_as_user_role() {
    let server = answering_server().await;
    let wa = whapi(&server);

    wa.get_newsletter("120363025343298765@newsletter")
        .user_role(whapi_ext::types::GetNewsletterUserRole::Admin)
        .await
        .unwrap();

    let request = only_request(&server).await;
    let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    assert_eq!(
        query,
        [("user_role".to_string(), "admin".to_string())],
        "the spec's `user role` (with a space) is not the name the service reads"
    );
}

/// The forms of a person's id the service's newer patterns take for
/// participants, story audiences, contacts and call senders (Whapi's MCP
/// server 0.0.21: `^([\d]{7,15})?(@lid|@s.whatsapp.net)?$`), and what each
/// goes on the wire as.
const PERSON_FORMS: [(&str, &str); 4] = [
    ("15550100001", "15550100001"),
    ("15550100001@s.whatsapp.net", "15550100001"),
    ("+1 (555) 010-0001", "15550100001"),
    ("123456789012345@lid", "123456789012345@lid"),
];

#[tokio::test]
async fn a_person_is_taken_by_phone_or_lid_wherever_the_service_takes_one() {
    let server = answering_server().await;
    let wa = whapi(&server);
    let group = "120363025343298765@g.us";
    for (form, wire) in PERSON_FORMS {
        wa.create_group("Team", [form]).await.unwrap();
        wa.add_group_participant(group, [form]).await.unwrap();
        wa.add_community_participant(group, [form]).await.unwrap();
        wa.create_story_text("hello")
            .contacts([form])
            .exclude_contacts([form])
            .await
            .unwrap();
        wa.add_contact(form, "Alice").await.unwrap();
        wa.reject_call("ACDE1234", form).await.unwrap();
        let requests = server.received_requests().await.unwrap();
        let bodies: Vec<Value> = requests[requests.len() - 6..]
            .iter()
            .map(json_body)
            .collect();
        let one = json!([wire]);
        assert_eq!(bodies[0]["participants"], one, "create_group, {form}");
        assert_eq!(
            bodies[1]["participants"], one,
            "add_group_participant, {form}"
        );
        assert_eq!(
            bodies[2]["participants"], one,
            "add_community_participant, {form}"
        );
        assert_eq!(
            (&bodies[3]["contacts"], &bodies[3]["exclude_contacts"]),
            (&one, &one),
            "a story's audience, {form}"
        );
        assert_eq!(bodies[4]["phone"], json!(wire), "add_contact, {form}");
        assert_eq!(bodies[5]["callFrom"], json!(wire), "reject_call, {form}");
    }
    // What the newer patterns still refuse is refused before sending.
    let sent = server.received_requests().await.unwrap().len();
    let Err(Error::InvalidArgument(invalid)) = wa.create_group("Team", ["12345@lid"]).await else {
        panic!("a short LID passed")
    };
    assert_eq!(
        invalid.problems().len(),
        1,
        "one refused id is one problem, not also a list too short: {invalid}"
    );
    for refused in [
        "12345@lid",
        "1234567890123456@lid",
        "abc@lid",
        "@lid",
        "120363025343298765@g.us",
        "15550100001@example.com",
    ] {
        assert!(
            matches!(
                wa.create_group("Team", [refused]).await,
                Err(Error::InvalidArgument(_))
            ),
            "{refused}"
        );
    }
    assert_eq!(server.received_requests().await.unwrap().len(), sent);
}

#[tokio::test]
async fn times_and_durations_go_in_the_spec_unit() {
    use std::time::UNIX_EPOCH;
    let server = server().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "15550100000@s.whatsapp.net"})),
        )
        .mount(&server)
        .await;
    let wa = whapi(&server);

    wa.send_message_text("15550100000", "hi")
        .typing_time(Duration::from_millis(2500))
        .await
        .unwrap();
    wa.send_message_audio("15550100000", MediaSource::url(MEDIA_URL))
        .seconds(Duration::from_secs(7))
        .await
        .unwrap();
    wa.patch_chat("15550100000")
        .mute_until(UNIX_EPOCH + Duration::from_micros(1_700_000_000_900_500))
        .await
        .unwrap();
    let bodies = received_bodies(&server).await;
    assert_eq!(bodies[0]["typing_time"], json!(2.5));
    assert_eq!(bodies[1]["seconds"], json!(7));
    assert_eq!(
        bodies[2]["mute_until"],
        json!(1_700_000_000_900_u64),
        "whole milliseconds, the unit the spec gives mute_until"
    );
    // A list's time filter is in seconds; the mock answers no GET, the
    // request is what counts.
    let _ = wa
        .get_messages()
        .time_from(UNIX_EPOCH + Duration::from_millis(1_700_000_000_900))
        .await;
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[3].url.query(),
        Some("time_from=1700000000"),
        "whole seconds"
    );

    let refused = [
        wa.send_message_audio("15550100000", MediaSource::url(MEDIA_URL))
            .seconds(Duration::from_millis(1500))
            .await
            .map(drop),
        wa.patch_chat("15550100000")
            .mute_until(UNIX_EPOCH - Duration::from_secs(1))
            .await
            .map(drop),
    ];
    for result in refused {
        assert!(
            matches!(&result, Err(Error::InvalidArgument(_))),
            "a fraction of a whole-second field and a time before 1970 are refused: {result:?}"
        );
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

/// The one request `send` makes, with its answer from `answering`.
async fn sent_once<T: std::fmt::Debug>(
    answer: Value,
    send: impl AsyncFnOnce(&whapi_ext::Whapi) -> whapi_ext::Result<T>,
) -> (T, Request) {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    let value = send(&whapi(&server)).await.unwrap();
    (value, only_request(&server).await)
}

#[tokio::test]
async fn operations_beyond_spec_1_8_7_go_as_the_service_takes_them() {
    let sent = json!({"sent": true, "message": {"id": "PsobWy36679._7w-wKmB9tMeGQ"}});

    let (answer, quiz) = sent_once(sent.clone(), async |wa| {
        wa.send_message_quiz("120363041234567890@newsletter", "2 + 2?", ["3", "4"], 1)
            .hide_participant_name(true)
            .await
    })
    .await;
    assert_eq!(answer.id(), "PsobWy36679._7w-wKmB9tMeGQ");
    assert_eq!(
        (quiz.method.as_str(), quiz.url.path()),
        ("POST", "/messages/quiz")
    );
    assert_eq!(
        json_body(&quiz),
        json!({"to": "120363041234567890@newsletter", "title": "2 + 2?", "options": ["3", "4"],
               "correct_option_index": 1, "hide_participant_name": true})
    );

    let (_, rename) = sent_once(json!({"success": true}), async |wa| {
        wa.rename_label("7", "Paid").await
    })
    .await;
    assert_eq!(
        (rename.method.as_str(), rename.url.path()),
        ("PATCH", "/labels/7")
    );
    assert_eq!(json_body(&rename), json!({"name": "Paid"}));

    let (_, call) = sent_once(json!({"ok": true}), async |wa| {
        wa.make_call("+1 (555) 010-0000")
            .duration(Duration::from_secs(3))
            .await
    })
    .await;
    assert_eq!(call.url.path(), "/calls/outgoing");
    assert_eq!(
        json_body(&call),
        json!({"to": "15550100000@s.whatsapp.net", "duration": 3})
    );

    let (_, played) = sent_once(json!({"success": true}), async |wa| {
        wa.mark_message_as_played("PsobWy36679._7w-wKmB9tMeGQ-1")
            .await
    })
    .await;
    assert_eq!(
        (played.method.as_str(), played.url.path()),
        ("PUT", "/messages/PsobWy36679._7w-wKmB9tMeGQ-1/played")
    );
}

#[tokio::test]
async fn an_integer_of_any_type_is_taken_and_one_that_does_not_fit_is_refused() {
    let server = server().await;
    let wa = whapi(&server);
    for index in [1u8 as i64, 1] {
        wa.send_message_quiz("120363041234567890@newsletter", "?", ["a", "b"], index)
            .await
            .unwrap();
    }
    let refused = wa
        .send_message_quiz("120363041234567890@newsletter", "?", ["a", "b"], -1)
        .await
        .unwrap_err();
    match &refused {
        Error::InvalidArgument(invalid) => {
            assert_eq!(invalid.field(), "correct_option_index", "{invalid}");
            assert!(
                invalid.to_string().contains("-1 does not fit in u64"),
                "{invalid}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "nothing sent for -1"
    );
}

#[tokio::test]
async fn an_answer_no_spec_describes_is_kept_whole() {
    let (about, request) = sent_once(
        json!({"about": "at the gym", "set_at": 1700000000}),
        async |wa| wa.get_contact_about("+1 555 010 0000").await,
    )
    .await;
    assert_eq!(request.url.path(), "/contacts/15550100000/about");
    assert_eq!(about["about"], "at the gym");
    assert_eq!(about["set_at"], 1700000000);
    // Not even an object: still an answer.
    let (bots, _) = sent_once(json!([{"id": "13135550002@s.whatsapp.net"}]), async |wa| {
        wa.get_bot_list().await
    })
    .await;
    assert_eq!(bots[0]["id"], "13135550002@s.whatsapp.net");
}

#[tokio::test]
async fn fields_beyond_spec_1_8_7_go_on_the_wire() {
    use whapi_ext::types::{SettingsDataMode, WebhookEventTypeType, WebhookParametersMode};

    let (_, test) = sent_once(json!({"success": true}), async |wa| {
        wa.webhook_test(
            WebhookEventTypeType::Messages,
            "https://bot.example/hook",
            WebhookParametersMode::Body,
        )
        .webhook_max_age_seconds(Duration::from_secs(600))
        .send_undecrypted_ad(true)
        .await
    })
    .await;
    let body = json_body(&test);
    // A `number` in the manifest, sent in seconds.
    assert_eq!(body["webhook_max_age_seconds"].as_f64(), Some(600.0));
    assert_eq!(body["send_undecrypted_ad"], true);

    let (_, settings) = sent_once(json!({}), async |wa| {
        wa.update_channel_settings()
            .auto_read_messages(true)
            .outgoing_calls_enabled(true)
            .data_mode(SettingsDataMode::Extend)
            .locale("de")
            .await
    })
    .await;
    assert_eq!(
        json_body(&settings),
        json!({"auto_read_messages": true, "outgoing_calls_enabled": true, "data_mode": "extend", "locale": "de"})
    );

    let hook: whapi_ext::types::Webhook = whapi_ext::types::Webhook::builder()
        .url("https://bot.example/hook".to_string())
        .webhook_max_age_seconds(Some(600.0))
        .try_into()
        .unwrap();
    let (_, webhooks) = sent_once(json!({}), async |wa| {
        wa.update_channel_settings().webhooks(vec![hook]).await
    })
    .await;
    let sent = json_body(&webhooks);
    assert_eq!(sent["webhooks"][0]["url"], "https://bot.example/hook");
    assert_eq!(
        sent["webhooks"][0]["webhook_max_age_seconds"].as_f64(),
        Some(600.0)
    );

    // The proxy's host may hold a `-` (the overlay's `widened_proxy`).
    let proxy = "socks5://user:p@ss@proxy-1.example.com:1080";
    let (_, settings) = sent_once(json!({}), async |wa| {
        wa.update_channel_settings().proxy(proxy).await
    })
    .await;
    assert_eq!(json_body(&settings), json!({ "proxy": proxy }));

    let (_, group) = sent_once(json!({"id": "120363041234567890@g.us"}), async |wa| {
        wa.get_group("120363041234567890@g.us").resync(true).await
    })
    .await;
    assert_eq!(group.url.query(), Some("resync=true"));

    let (_, story) = sent_once(json!({"sent": true}), async |wa| {
        wa.create_story_text("hello").allow_reshare(false).await
    })
    .await;
    assert_eq!(
        json_body(&story),
        json!({"caption": "hello", "allow_reshare": false})
    );
}
