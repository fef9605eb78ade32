//! The contract suite: every operation called through the generated client,
//! with its required parameters and body fields and again with every one,
//! against Prism serving the normalized spec, in static mode (the spec's
//! examples) and dynamic mode (random data within the schemas). Prism
//! rejects a request that breaks the spec with a 4xx and its reasons in the
//! `sl-violations` header; every 2xx body must decode into the generated
//! type. Runs as `cargo xtask contract` and within `cargo xtask test`.

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use progenitor_client::ResponseValue;
use whapi_client::{ids, types, BoxFuture, Client, Hooks, Transport};

use whapi_ext::sandbox::{Sandbox, ANSWER_HEADER};
use whapi_tests::call_cases::{call_case, upload_case, CALLS, MEDIA_URL};
use whapi_tests::prism::{self, Prism};

/// The bytes of the binary uploads: a whole 192×192 PNG, the examples' icon.
const PNG: &[u8] = include_bytes!("../../whapi-ext/examples/assets/icon.png");

include!("cases.rs");

/// The reasons Prism gives for refusing a request; empty when it gives none.
fn violations(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get("sl-violations")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// [`outcome`] for a download: its body is read to the end, and a 200
/// must carry bytes.
async fn download_outcome(
    result: Result<ResponseValue<progenitor_client::ByteStream>, whapi_client::Error<()>>,
) -> Result<u16, String> {
    let value = match result {
        Ok(value) => value,
        Err(e) => return outcome::<()>(Err(e)).await,
    };
    let status = value.status().as_u16();
    let mut chunks = value.into_inner().into_inner();
    let mut bytes = 0;
    while let Some(chunk) = chunks.next().await {
        bytes += chunk
            .map_err(|e| format!("{status}: the download broke off: {e}"))?
            .len();
    }
    if status == 200 && bytes == 0 {
        return Err(format!("{status}: a download without bytes"));
    }
    Ok(status)
}

/// Its status, or why a call failed (the spec violations Prism reported).
async fn outcome<T>(
    result: Result<ResponseValue<T>, whapi_client::Error<()>>,
) -> Result<u16, String> {
    match result {
        Ok(value) => Ok(value.status().as_u16()),
        Err(whapi_client::Error::UnexpectedResponse(response)) => {
            let status = response.status();
            let violations = violations(response.headers());
            let body = response.text().await.unwrap_or_default();
            Err(format!(
                "{status}: {violations} {}",
                body.chars().take(300).collect::<String>()
            ))
        }
        Err(other) => Err(with_causes(&other)),
    }
}

/// An error with every cause under it: a connection error's reason (reset,
/// closed before the answer) is only in its sources.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    text
}

/// Sends binary uploads with an image type: the generated client sends
/// `application/octet-stream`, which the spec does not list; `whapi-ext`
/// sends the true type the same way.
fn with_true_media_type(mut request: reqwest::Request, operation: &str) -> reqwest::Request {
    if matches!(
        operation,
        "upload_media" | "send_media_message" | "set_group_icon"
    ) {
        request.headers_mut().insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("image/png"),
        );
    }
    request
}

struct TrueMediaType;

impl Transport for TrueMediaType {
    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(client.execute(with_true_media_type(request, operation)))
    }
}

/// [`TrueMediaType`], recording each answer: the client method, its status
/// and whether the sandbox wrote it from the spec's example.
#[derive(Default)]
struct AnswerLog(Mutex<Vec<(&'static str, u16, bool)>>);

impl Transport for AnswerLog {
    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let response = client
                .execute(with_true_media_type(request, operation))
                .await?;
            let example = response.headers().contains_key(ANSWER_HEADER);
            self.0
                .lock()
                .unwrap()
                .push((operation, response.status().as_u16(), example));
            Ok(response)
        })
    }
}

/// An HTTP client that opens a connection per request.
///
/// Prism's Node.js server, when loaded (three Prisms at once on two cores
/// in this suite), leaves a request that arrives on a reused keep-alive
/// connection unread and resets the connection when its keep-alive timer
/// (5 s + 1 s) fires: captured on loopback, each failing request (always
/// the second or later of its connection) was acknowledged by the kernel,
/// never answered, and reset 6.1 to 6.4 s after the previous answer on that
/// connection. A request alone on its connection is always read.
fn one_request_per_connection() -> reqwest::ClientBuilder {
    // A request Prism never answers fails the case instead of holding the
    // suite until its time limit.
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(std::time::Duration::from_secs(60))
}

fn client(url: &str, transport: Arc<dyn Transport>) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_static("Bearer contract-token"),
    );
    let http = one_request_per_connection()
        .default_headers(headers)
        .build()
        .unwrap();
    Client::new_with_client(url, http, Hooks::with_transport(transport))
}

fn prism_client(prism: &Prism) -> Client {
    client(&prism.url, Arc::new(TrueMediaType))
}

/// Runs every case against one server (a Prism, or the sandbox): each
/// operation with its required arguments, then with every parameter and
/// field, then the JSON forms of the raw uploads, then `whapi-ext`'s calls;
/// (what was called, outcome), in that order.
async fn run_all(url: &str, transport: Arc<dyn Transport>) -> Vec<(String, Result<u16, String>)> {
    let client = client(url, transport);
    let client = &client;
    let cases = [false, true]
        .into_iter()
        .flat_map(|everything| OPERATION_IDS.iter().map(move |&id| (id, everything)));
    let mut outcomes: Vec<_> = futures::stream::iter(cases)
        .map(|(id, everything)| async move {
            if everything {
                let outcome = call_with_everything(client, id).await;
                (format!("{id} (every parameter and field)"), outcome)
            } else {
                (id.to_string(), call(client, id).await)
            }
        })
        .buffered(8)
        .collect()
        .await;
    outcomes.extend(json_form_calls(client).await);
    outcomes.extend(whapi_ext_calls(url).await);
    outcomes
}

/// Every call of `whapi-ext` with its required inputs and with every input
/// (media by URL), and once more with local media where the call uploads
/// it (a multipart form, or raw bytes with their media type).
async fn whapi_ext_calls(url: &str) -> Vec<(String, Result<u16, String>)> {
    let wa = whapi_ext::Whapi::builder()
        .token("contract-token")
        .base_url(url)
        .http_client(one_request_per_connection().build().unwrap())
        .build()
        .unwrap();
    let wa = &wa;
    fn by_url() -> whapi_ext::media::MediaSource {
        whapi_ext::media::MediaSource::url(MEDIA_URL)
    }
    fn local() -> whapi_ext::media::MediaSource {
        whapi_ext::media::MediaSource::bytes(PNG.to_vec(), "icon.png", "image/png")
    }
    let runs = CALLS.iter().flat_map(|&(id, method, uploads)| {
        let mut forms = vec![(id, method, "required"), (id, method, "everything")];
        if uploads {
            forms.push((id, method, "local media"));
        }
        forms
    });
    futures::stream::iter(runs)
        .map(|(id, method, form)| async move {
            let label = format!("whapi-ext {method} ({form})");
            let case = match form {
                "required" => call_case(wa, id, false, by_url),
                "everything" => call_case(wa, id, true, by_url),
                _ => upload_case(wa, id, local),
            };
            let outcome = match case {
                Some(case) => case.await.map(|()| 200).map_err(|e| match &e {
                    whapi_ext::Error::Api(api) => format!(
                        "{}: {} {}",
                        api.status.as_u16(),
                        e,
                        String::from_utf8_lossy(&api.body)
                            .chars()
                            .take(300)
                            .collect::<String>()
                    ),
                    other => format!("-: {}", with_causes(other)),
                }),
                None => Err(format!("-: no case for {id}")),
            };
            (label, outcome)
        })
        .buffered(8)
        .collect()
        .await
}

/// The twins that send the raw uploads' JSON form (a URL here), which the
/// generated cases, one per operationId, do not reach.
async fn json_form_calls(client: &Client) -> Vec<(String, Result<u16, String>)> {
    const URL: &str = "https://upload.wikimedia.org/wikipedia/commons/3/3f/JPEG_example_flower.jpg";
    let upload = client
        .upload_media_json()
        .body_map(|b| b.media(Some(URL.to_string())))
        .send()
        .await;
    let send = client
        .send_media_message_json()
        .media_message_type(types::MediaMessageType::Image)
        .to("1234567890".to_string())
        .body_map(|b| b.media(Some(URL.to_string())))
        .send()
        .await;
    let icon = client
        .set_group_icon_json()
        .group_id("120363025343298765@g.us".to_string())
        .body_map(|b| {
            b.media(URL.to_string())
                .mime_type(Some("image/jpeg".to_string()))
        })
        .send()
        .await;
    vec![
        ("uploadMedia (JSON form)".into(), outcome(upload).await),
        ("sendMediaMessage (JSON form)".into(), outcome(send).await),
        ("setGroupIcon (JSON form)".into(), outcome(icon).await),
    ]
}

/// One Prism per mode: the negative checks share the static one, and the
/// sandbox is held to what the static one answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_passes_against_prism_in_static_and_dynamic_mode() {
    let mut table = String::from("\noperationId | mode | status | result\n");
    let (mut passed, mut failed) = (0, 0);
    let mut failures = Vec::new();
    let mut static_outcomes = Vec::new();
    for dynamic in [false, true] {
        let prism = Prism::start(dynamic);
        let mode = if dynamic { "dynamic" } else { "static" };
        if !dynamic {
            for (what, status) in requests_that_break_the_spec(&prism.url).await {
                assert!(
                    (400..500).contains(&status.0),
                    "{what}: Prism answered {}",
                    status.0
                );
                assert!(status.1, "{what}: no sl-violations header");
            }
        }
        let outcomes = run_all(&prism.url, Arc::new(TrueMediaType)).await;
        for (id, result) in &outcomes {
            let ok = matches!(result, Ok(status) if (200..300).contains(status));
            let status = match result {
                Ok(s) => s.to_string(),
                Err(e) => e.split(':').next().unwrap_or("-").to_string(),
            };
            table.push_str(&format!(
                "{id} | {mode} | {status} | {}\n",
                if ok { "pass" } else { "FAIL" }
            ));
            if ok {
                passed += 1;
            } else {
                failed += 1;
                failures.push(format!(
                    "{id} ({mode}): {}",
                    result.clone().err().unwrap_or_default()
                ));
            }
        }
        if !dynamic {
            static_outcomes = outcomes;
        }
    }
    println!("{table}{passed} passed, {failed} failed");
    assert!(
        failures.is_empty(),
        "{} of {} calls failed:\n{}",
        failures.len(),
        passed + failed,
        failures.join("\n")
    );
    the_sandbox_answers_as_prism_did(&static_outcomes).await;
}

/// The sandbox must not take what the service refuses, nor refuse what it
/// takes: every request of the suite goes to the sandbox too, and where
/// Prism accepted it the sandbox accepts it (or, for an emulated operation,
/// answers 404 because its state lacks the id the case names: a state's
/// answer, not a refusal of the request); the requests Prism refuses the
/// sandbox refuses. It also holds `emulated_operations` to what the
/// sandbox does: exactly the others answer from the spec's examples.
async fn the_sandbox_answers_as_prism_did(at_prism: &[(String, Result<u16, String>)]) {
    let sandbox = Sandbox::builder()
        .token("contract-token")
        .start()
        .await
        .unwrap();
    for (what, (status, _)) in requests_that_break_the_spec(&sandbox.url()).await {
        assert!(
            matches!(status, 400 | 415),
            "{what}: the sandbox answered {status}, Prism refused it"
        );
    }
    let log = Arc::new(AnswerLog::default());
    let at_sandbox = run_all(&sandbox.url(), log.clone()).await;
    assert_eq!(at_sandbox.len(), at_prism.len());
    let emulated = whapi_ext::sandbox::emulated_operations();
    let (mut accepted, mut missing, mut differ) = (0, Vec::new(), Vec::new());
    for ((what, prism), (_, sandbox)) in at_prism.iter().zip(&at_sandbox) {
        assert!(matches!(prism, Ok(200..=299)), "{what}: {prism:?}");
        // A 404 counts only from an emulated operation, saying which id
        // its state lacks (`no message …`, `no group …`).
        let lacks_state = |e: &str| {
            e.starts_with("404")
                && e.contains(r#""message":"no "#)
                && emulated.contains(&operation_of_case(what))
        };
        match sandbox {
            Ok(200..=299) => accepted += 1,
            Err(e) if lacks_state(e) => missing.push(what.clone()),
            other => differ.push(format!("{what}: {other:?}")),
        }
    }
    println!(
        "sandbox: {accepted} accepted as by Prism, {} answered 404 for an id its state lacks:\n{}",
        missing.len(),
        missing.join("\n")
    );
    assert!(
        differ.is_empty(),
        "{} requests Prism accepted the sandbox did not:\n{}",
        differ.len(),
        differ.join("\n")
    );
    let answers = log.0.lock().unwrap().clone();
    let operation_id = |name: &str| whapi_client::operation(name).unwrap().operation_id;
    for (name, status, example) in &answers {
        let id = operation_id(name);
        if *example {
            assert!(
                !emulated.contains(&id),
                "{id} is emulated, yet answered the example"
            );
        } else if (200..300).contains(status) {
            assert!(
                emulated.contains(&id),
                "{id} answered from state, yet is not listed as emulated"
            );
        }
    }
    let mut by_example: Vec<&str> = answers
        .iter()
        .filter(|a| a.2)
        .map(|a| operation_id(a.0))
        .collect();
    by_example.sort_unstable();
    by_example.dedup();
    assert_eq!(by_example, whapi_ext::sandbox::example_operations());
    for id in emulated {
        assert!(
            answers.iter().any(|a| operation_id(a.0) == *id && !a.2),
            "{id} is listed as emulated and never answered from state"
        );
    }
}

/// The operationId a case's label names: `getMessage (…)`, or
/// `whapi-ext get_message (…)` by its method.
fn operation_of_case(label: &str) -> &'static str {
    let first = label.split(' ').next().unwrap_or_default();
    let name = match label.strip_prefix("whapi-ext ") {
        Some(rest) => rest.split(' ').next().unwrap_or_default(),
        None => first,
    };
    whapi_client::OPERATIONS
        .iter()
        .find(|op| op.operation_id == name || op.name == name)
        .map_or("", |op| op.operation_id)
}

/// Requests that break the spec, sent raw to `url`: Prism and the sandbox
/// must refuse each, or the suite would prove nothing. Each one's status
/// and whether it carries Prism's reasons (`sl-violations`).
async fn requests_that_break_the_spec(url: &str) -> Vec<(&'static str, (u16, bool))> {
    let http = one_request_per_connection().build().unwrap();
    let auth = "Bearer contract-token";
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "a text without its body",
            http.post(format!("{url}/messages/text"))
                .header("authorization", auth)
                .json(&serde_json::json!({"to": "1234567890"})),
        ),
        (
            "a count of 0",
            http.get(format!("{url}/chats?count=0"))
                .header("authorization", auth),
        ),
        (
            "a count of 501",
            http.get(format!("{url}/messages/list?count=501"))
                .header("authorization", auth),
        ),
        (
            "a chat id breaking its pattern",
            http.get(format!("{url}/chats/not-a-chat"))
                .header("authorization", auth),
        ),
        (
            "a poll with one option",
            http.post(format!("{url}/messages/poll"))
                .header("authorization", auth)
                .json(&serde_json::json!({"to": "1234567890", "title": "?", "options": ["only"]})),
        ),
        (
            "a label without its name",
            http.post(format!("{url}/labels"))
                .header("authorization", auth)
                .json(&serde_json::json!({"color": "red"})),
        ),
        (
            "a text as plain text, a type the operation does not take",
            http.post(format!("{url}/messages/text"))
                .header("authorization", auth)
                .header("content-type", "text/plain")
                .body("hi"),
        ),
    ];
    let mut answers = Vec::new();
    for (what, request) in cases {
        let response = request.send().await.unwrap();
        let violations = !violations(response.headers()).is_empty();
        answers.push((what, (response.status().as_u16(), violations)));
    }
    answers
}

#[test]
fn every_operation_in_the_spec_has_a_contract_case() {
    let spec = whapi_tests::spec();
    let mut missing = Vec::new();
    let mut count = 0;
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op.get("operationId").and_then(|i| i.as_str()) {
                count += 1;
                if !OPERATION_IDS.contains(&id) {
                    missing.push(id.to_string());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations without a contract case: {missing:?}"
    );
    // The spec's 167 and the overlay's 22.
    assert_eq!(count, 189);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_breaks_the_served_contract_fails_the_suite() {
    // Rename `SenderText.body` in the spec Prism serves (not in the one the
    // client was generated from): the client's text send must now fail.
    let mut spec: serde_json::Value =
        serde_json::from_str(&whapi_tests::read(whapi_gen::paths::NORMALIZED)).unwrap();
    let text = spec
        .pointer_mut("/components/schemas/MessagePropsText")
        .expect("the text body's schema");
    let text_json = serde_json::to_string(text)
        .unwrap()
        .replace("\"body\"", "\"text_body\"");
    *text = serde_json::from_str(&text_json).unwrap();
    let path = prism::cache_dir().join("broken-contract.json");
    std::fs::create_dir_all(prism::cache_dir()).unwrap();
    std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
    let prism = Prism::serve(&path, false);

    let result = call(&prism_client(&prism), "sendMessageText").await;

    let why = result.expect_err("the broken contract must make the call fail");
    assert!(
        why.contains("text_body"),
        "the violation names the renamed field: {why}"
    );
    assert_eq!(
        call(&prism_client(&prism), "checkHealth").await,
        Ok(200),
        "the rest of the contract still holds"
    );
}
