//! Tracing, in a process of its own: the subscriber is the global one, so
//! no test on another thread can register the transport's span while this
//! one's subscriber is not in place (a callsite registered then keeps no
//! interest, and its spans go unrecorded).

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use whapi_ext::Whapi;
use whapi_tests::MockServer;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const TOKEN: &str = "sekrit-TOKEN-9f8e7d";

fn whapi(server: &MockServer) -> Whapi {
    Whapi::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .build()
        .unwrap()
}

fn chats_body() -> serde_json::Value {
    json!({"chats": [{"id": "15550100000@s.whatsapp.net", "type": "contact"}], "count": 1, "total": 1, "offset": 0})
}

/// A writer shared between the test and the tracing subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn debug_display_and_tracing_never_show_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        // A closed span prints its final fields.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (wa, err) = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/chats"))
            .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/chats"))
            .respond_with(ResponseTemplate::new(200).set_body_json(chats_body()))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_json(json!({"error": {"code": 401, "message": "Unauthorized"}})),
            )
            .mount(&server)
            .await;
        let wa = whapi(&server);
        wa.call(|c| c.get_chats().send()).await.unwrap();
        let err = wa
            .call(|c| {
                c.get_chat()
                    .chat_id(whapi_ext::ids::ChatId::new("120363025343298765@g.us").unwrap())
                    .send()
            })
            .await
            .unwrap_err();
        (wa, err)
    });

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for (what, text) in [
        ("Debug of Whapi", format!("{wa:?}")),
        ("Debug of the raw client", format!("{:?}", wa.raw())),
        ("Display of the error", err.to_string()),
        ("Debug of the error", format!("{err:?}")),
        ("tracing output", logs.clone()),
    ] {
        assert!(!text.contains(TOKEN), "{what} shows the token: {text}");
    }
    // The span carries what the issue asks for.
    for field in [
        "operation=\"getChats\"",
        "method=\"GET\"",
        "path=\"/chats\"",
        "status=200",
        "attempt=2",
        "latency_ms=",
        "retrying",
    ] {
        assert!(
            logs.contains(field.trim_matches('"')) || logs.contains(field),
            "no `{field}` in tracing output:\n{logs}"
        );
    }
    // The span's latency is the whole request's, the wait of the 503's
    // `Retry-After: 1` before the retry included.
    let finished = logs
        .lines()
        .find(|l| l.contains("close") && l.contains("attempt=2"))
        .unwrap_or_else(|| panic!("no closed span of the retried request in:\n{logs}"));
    let latency: u64 = finished
        .split("latency_ms=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no latency in {finished}"));
    assert!(latency >= 1000, "{finished}\n{logs}");
}

/// What Redis is set to that can lose events is logged when a Redis inbox
/// opens: keys evicted under memory pressure; and, where `CONFIG GET` is
/// refused (as managed services do), that it could not tell.
#[test]
fn a_redis_inbox_warns_of_eviction_and_of_settings_it_cannot_read() {
    let cases = [
        (
            vec!["--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru"],
            "may evict keys",
        ),
        (
            vec!["--rename-command", "CONFIG", ""],
            "could not read Redis's settings",
        ),
    ];
    for (settings, warning) in cases {
        let redis = whapi_tests::redis_server::RedisServer::start_with(&settings);
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                whapi_ext::webhooks::Inbox::builder()
                    .redis(
                        &redis.url,
                        "settings",
                        |_: whapi_ext::webhooks::WebhookEvent| async { Ok::<(), String>(()) },
                    )
                    .await
                    .unwrap()
            });
        });
        let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            logs.matches(warning).count(),
            1,
            "{settings:?}: once `{warning}` in:\n{logs}"
        );
    }
}
