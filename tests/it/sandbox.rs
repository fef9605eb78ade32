//! The sandbox through the SDK: sends, statuses and their webhooks, real
//! paging, media round trips, injected messages reaching a bot and its
//! answer, refusals.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use whapi_client::types;
use whapi_ext::media::MediaSource;
use whapi_ext::sandbox::Sandbox;
use whapi_ext::webhooks::{MessageBody, Payload, WebhookEvent, WebhookReceiver};
use whapi_ext::{Error, Whapi};

/// A receiver on loopback that keeps every event; its URL.
async fn recording_receiver() -> (String, Arc<Mutex<Vec<WebhookEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let kept = events.clone();
    let router = WebhookReceiver::new(move |event: WebhookEvent| {
        kept.lock().unwrap().push(event);
        async { Ok::<(), String>(()) }
    })
    .without_verification()
    .router("/hook");
    let url = format!("http://{}/hook", crate::serve(router).await);
    (url, events)
}

/// A recording receiver registered as the channel's webhook for `kinds`;
/// what it has received.
async fn webhooks_to_a_recorder(
    wa: &Whapi,
    kinds: Vec<types::Event>,
) -> Arc<Mutex<Vec<WebhookEvent>>> {
    let (url, events) = recording_receiver().await;
    wa.ensure_webhook(&url, kinds).await.unwrap();
    events
}

fn event(kind: types::WebhookEventTypeType) -> types::Event {
    types::Event {
        type_: Some(kind),
        method: Some(types::EventMethod::Post),
    }
}

#[tokio::test]
async fn a_send_gets_a_fresh_id_and_goes_sent_delivered_read_with_a_webhook_each() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let events =
        webhooks_to_a_recorder(&wa, vec![event(types::WebhookEventTypeType::Statuses)]).await;

    let first = wa
        .send_message_text("+1 (555) 010-0000", "hi")
        .await
        .unwrap();
    let second = wa.send_message_text("15550100000", "again").await.unwrap();

    assert_ne!(first.id(), second.id());
    assert!(!first.id().is_empty() && first.id() != "string");
    let mut statuses = Vec::new();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        statuses = events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match &e.payload {
                Payload::Statuses(s) if s[0].id() == first.id() => Some(s[0].status().to_string()),
                _ => None,
            })
            .collect::<Vec<_>>();
        if statuses.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(statuses, ["sent", "delivered", "read"]);
    let sent = sandbox.sent_to("15550100000");
    assert_eq!(
        sent.iter().map(|s| s.text.as_deref()).collect::<Vec<_>>(),
        [Some("hi"), Some("again")]
    );
    assert_eq!(sent[0].status, "read");
}

#[tokio::test]
async fn chats_and_messages_page_for_real_and_the_streams_walk_every_page() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    for i in 0..25 {
        let to = format!("1555010000{}", i % 3);
        wa.send_message_text(to.as_str(), format!("m{i}"))
            .await
            .unwrap();
    }

    let chats: Vec<types::Chat> = wa
        .get_chats()
        .list()
        .page_size(2)
        .items()
        .try_collect()
        .await
        .unwrap();
    let messages: Vec<_> = wa
        .get_messages()
        .list()
        .page_size(4)
        .items()
        .try_collect()
        .await
        .unwrap();
    let mut pages = wa.get_messages().list().page_size(10).pages();
    let first_page = pages.try_next().await.unwrap().unwrap();

    assert_eq!(chats.len(), 3, "3 chats over 2 pages");
    assert_eq!(
        chats[0].id().as_str(),
        "15550100000@s.whatsapp.net",
        "the most recent first"
    );
    assert_eq!(messages.len(), 25, "25 messages over 7 pages");
    let ids: std::collections::HashSet<&str> = messages.iter().map(|m| m.id().as_str()).collect();
    assert_eq!(ids.len(), 25, "each message once");
    let bodies: Vec<&str> = messages
        .iter()
        .map(|m| m.text_or_caption().unwrap_or_default())
        .collect();
    assert_eq!((bodies[0], bodies[24]), ("m24", "m0"), "newest first");
    assert_eq!(first_page.total(), Some(25));
    assert_eq!(first_page.items.len(), 10);
}

#[tokio::test]
async fn media_uploaded_or_sent_from_a_file_downloads_back_byte_for_byte() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &bytes).unwrap();

    let uploaded = wa
        .upload_media(MediaSource::bytes(
            bytes.clone(),
            "report.pdf",
            "application/pdf",
        ))
        .await
        .unwrap();
    let sent = wa
        .send_message_document("15550100000", MediaSource::path(&path))
        .caption("the report")
        .await
        .unwrap();

    let media_id = sandbox.sent_to("15550100000")[0].raw["document"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for id in [uploaded.id().to_string(), media_id] {
        let mut downloaded = Vec::new();
        wa.download_media(id.as_str(), &mut downloaded)
            .await
            .unwrap();
        assert_eq!(downloaded, bytes, "{id}");
    }
    assert_eq!(sent.id(), sandbox.sent_to("15550100000")[0].id.as_str());
    assert_eq!(
        sandbox.sent_to("15550100000")[0].text.as_deref(),
        Some("the report")
    );
}

/// A bot registers its webhook, a person writes and presses a button, and
/// the bot's answers are in the chat.
#[tokio::test]
async fn an_injected_message_reaches_the_bot_and_its_answer_is_seen_in_the_chat() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let bot: Whapi = wa.clone();
    let router = WebhookReceiver::new(move |event: WebhookEvent| {
        let bot = bot.clone();
        async move {
            let Payload::Messages(messages) = &event.payload else {
                return Ok(());
            };
            for message in messages.iter().filter(|m| !m.from_me()) {
                let chat = message.chat_id().to_string();
                let answer = match message.body() {
                    MessageBody::Text(text) => {
                        format!("echo: {}", text.body())
                    }
                    MessageBody::ButtonReply(_) => {
                        format!("pressed {}", message.choice_id().unwrap_or_default())
                    }
                    _ => continue,
                };
                bot.send_message_text(chat.as_str(), answer).await?;
            }
            Ok::<(), Error>(())
        }
    })
    .without_verification()
    .router("/hook");
    let url = format!("http://{}/hook", crate::serve(router).await);
    wa.ensure_webhook(&url, [event(types::WebhookEventTypeType::Messages)])
        .await
        .unwrap();

    sandbox
        .receive_text("+1 555 010 0007", "hello")
        .await
        .unwrap();
    let first = sandbox
        .wait_for_sent("15550100007", 1, Duration::from_secs(10))
        .await
        .unwrap();
    sandbox
        .press_button("15550100007", "yes", "Yes", Some(&first[0].id))
        .await
        .unwrap();
    let answers = sandbox
        .wait_for_sent("15550100007", 2, Duration::from_secs(10))
        .await
        .unwrap();

    let texts: Vec<_> = answers
        .iter()
        .map(|a| a.text.clone().unwrap_or_default())
        .collect();
    assert_eq!(texts, ["echo: hello", "pressed yes"]);
    let chat: Vec<_> = wa
        .get_messages_by_chat_id("15550100007@s.whatsapp.net")
        .list()
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chat.len(), 4, "two received, two answers");
}

#[tokio::test]
async fn refusals_carry_the_status_and_the_reason() {
    let sandbox = Sandbox::start().await.unwrap();
    let stranger = Whapi::builder()
        .token("wrong")
        .base_url(sandbox.url())
        .build()
        .unwrap();

    let unauthorized = stranger.check_health().await.unwrap_err();
    let broken = reqwest::Client::new()
        .post(format!("{}/messages/poll", sandbox.url()))
        .bearer_auth("sandbox-token")
        .json(&serde_json::json!({"to": "15550100000", "title": "?", "options": ["only"], "count": "x"}))
        .send()
        .await
        .unwrap();
    let unknown = reqwest::Client::new()
        .get(format!("{}/nowhere", sandbox.url()))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap();

    assert!(
        matches!(&unauthorized, Error::Api(api) if api.status.as_u16() == 401),
        "{unauthorized:?}"
    );
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("/nowhere"));
    assert!(
        sandbox.sent_to("15550100000").is_empty(),
        "nothing was sent"
    );
    assert_eq!(broken.status(), 400);
    let body: serde_json::Value = broken.json().await.unwrap();
    let details = body["error"]["details"].as_str().unwrap_or_default();
    assert!(
        details.contains("/options") && details.contains("/count"),
        "every reason, each naming its field: {body}"
    );
    let health = sandbox.client().check_health().await.unwrap();
    assert_eq!(health.status_text(), "AUTH");
}

/// Faults for users' own retry tests: a 429 with `Retry-After` and a 503
/// are retried by a read; a send is not retried after a 503; a stall past
/// the timeout is a timeout; a cut answer loses the answer, not the effect.
#[tokio::test]
async fn injected_faults_meet_the_next_calls_of_their_operation() {
    use whapi_ext::sandbox::Fault;
    let sandbox = Sandbox::start().await.unwrap();
    let client = |timeout: Duration| {
        Whapi::builder()
            .token("sandbox-token")
            .base_url(sandbox.url())
            .retry_policy(crate::fast_retries())
            .request_timeout(timeout)
            .build()
            .unwrap()
    };
    // The default timeout for the calls that must get an answer, however
    // slow the machine; a short one, far below the stall, for the stall.
    let (wa, impatient) = (
        client(Duration::from_secs(60)),
        client(Duration::from_secs(1)),
    );

    sandbox
        .fail_next("checkHealth", 1, Fault::too_many_requests(Duration::ZERO))
        .unwrap();
    sandbox
        .fail_next("check_health", 1, Fault::server_error(503))
        .unwrap();
    let health = wa.check_health().await;
    sandbox
        .fail_next("sendMessageText", 1, Fault::server_error(503))
        .unwrap();
    let refused_send = wa.send_message_text("15550100000", "once").await;
    sandbox
        .fail_next("getChats", 4, Fault::Stall(Duration::from_secs(30)))
        .unwrap();
    let stalled = impatient.get_chats().await;
    sandbox
        .fail_next("sendMessageText", 1, Fault::CutAnswer)
        .unwrap();
    let cut = wa
        .send_message_text("15550100000", "effect without answer")
        .await;

    assert!(health.is_ok(), "retried past a 429 and a 503: {health:?}");
    assert!(
        matches!(&refused_send, Err(Error::Api(api)) if api.status.as_u16() == 503),
        "{refused_send:?}"
    );
    assert!(matches!(stalled, Err(Error::Timeout(_))), "{stalled:?}");
    assert!(cut.is_err(), "{cut:?}");
    let sent: Vec<_> = sandbox
        .sent_to("15550100000")
        .into_iter()
        .map(|s| s.text)
        .collect();
    assert_eq!(
        sent,
        [Some("effect without answer".to_string())],
        "the refused send had no effect, the cut one did"
    );
    assert!(sandbox
        .fail_next("noSuchOperation", 1, Fault::CutAnswer)
        .is_err());
}

/// The control paths other tools use, over raw HTTP: a person's text in,
/// the bot's answer out, a fault set up.
#[tokio::test]
async fn the_control_paths_inject_and_report_over_raw_http() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", sandbox.url());
    let post = |path: &str, body: serde_json::Value| {
        http.post(url(path))
            .bearer_auth("sandbox-token")
            .json(&body)
            .send()
    };

    let received = post(
        "/_sandbox/receive",
        serde_json::json!({"from": "15550100000", "text": "hi"}),
    )
    .await
    .unwrap();
    let sent = post(
        "/messages/text",
        serde_json::json!({"to": "15550100000", "body": "hello"}),
    )
    .await
    .unwrap();
    let fault = post(
        "/_sandbox/faults",
        serde_json::json!({"operation": "checkHealth", "status": 429, "retry_after": 7}),
    )
    .await
    .unwrap();
    let refused = http
        .get(url("/health"))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap();
    let bad_fault = post(
        "/_sandbox/faults",
        serde_json::json!({"operation": "nope", "cut": true}),
    )
    .await
    .unwrap();
    let listed: serde_json::Value = http
        .get(url("/_sandbox/sent/15550100000"))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let unauthorized = http
        .get(url("/_sandbox/sent/15550100000"))
        .send()
        .await
        .unwrap();

    assert_eq!(received.status(), 200);
    assert!(received.json::<serde_json::Value>().await.unwrap()["id"].is_string());
    assert_eq!(sent.status(), 200);
    assert_eq!(fault.status(), 200);
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "7");
    assert_eq!(bad_fault.status(), 400);
    assert_eq!(
        listed["messages"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(listed["messages"][0]["text"]["body"], "hello");
    assert_eq!(unauthorized.status(), 401);
}

/// Groups change state that later reads show: participants added,
/// promoted, demoted and removed, the icon set, the invite link.
#[tokio::test]
async fn groups_keep_their_participants_ranks_icon_and_invite() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let png =
        std::fs::read(whapi_tests::workspace_root().join("whapi-ext/examples/assets/icon.png"))
            .unwrap();

    let created = wa
        .create_group("Lunch club", ["+1 555 010 0001"])
        .await
        .unwrap();
    let group = created.id().to_string();
    // A person WhatsApp knows by a LID instead of a phone number joins too.
    wa.add_group_participant(
        group.as_str(),
        ["15550100002", "15550100003", "123456789012345@lid"],
    )
    .await
    .unwrap();
    wa.promote_to_group_admin(group.as_str(), ["15550100002"])
        .await
        .unwrap();
    wa.remove_group_participant(group.as_str(), ["15550100003"])
        .await
        .unwrap();
    wa.set_group_icon(
        group.as_str(),
        MediaSource::bytes(png, "icon.png", "image/png"),
    )
    .await
    .unwrap();
    let invite = wa.get_group_invite(group.as_str()).await.unwrap();
    let read = wa.get_group(group.as_str()).await.unwrap();
    let bad_icon = wa
        .set_group_icon(
            group.as_str(),
            MediaSource::bytes(b"GIF89a".to_vec(), "a.gif", "image/gif"),
        )
        .await;
    let missing = wa.get_group("120363000000000000@g.us").await.unwrap_err();

    assert!(group.ends_with("@g.us"), "{group}");
    let ranks: Vec<(String, String)> = read
        .participants
        .iter()
        .map(|p| (p.id().to_string(), p.rank().to_string()))
        .collect();
    assert_eq!(
        ranks,
        [
            ("15550109999".to_string(), "creator".to_string()),
            ("15550100001".to_string(), "member".to_string()),
            ("15550100002".to_string(), "admin".to_string()),
            ("123456789012345@lid".to_string(), "member".to_string()),
        ]
    );
    assert!(
        invite.link().starts_with("https://chat.whatsapp.com/"),
        "{}",
        invite.link()
    );
    assert!(
        bad_icon.is_err(),
        "a GIF icon is refused before or by the sandbox"
    );
    assert!(
        matches!(&missing, Error::Api(api) if api.status.as_u16() == 404),
        "{missing:?}"
    );
    let chats: Vec<_> = wa.get_chats().list().items().try_collect().await.unwrap();
    assert!(
        chats
            .iter()
            .any(|c| c.id.as_ref().map(|i| i.to_string()) == Some(group.clone())),
        "the group is a chat"
    );
}

/// What the review of the sandbox found, each now refused or kept right:
/// a GIF icon, a bad settings patch, a wrong method, a big file, a
/// numeric caption, a webhook that never answers, faults cleared.
#[tokio::test]
async fn bad_requests_get_4xx_and_big_files_and_slow_hooks_are_fine() {
    use whapi_ext::sandbox::Fault;
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let http = reqwest::Client::new();
    let group = wa
        .create_group("g", ["15550100001"])
        .await
        .unwrap()
        .id()
        .to_string();

    // What a bad patch could break, read through the model.
    let settings = |s: types::SettingsReceived| {
        let webhooks: Vec<(String, Option<String>, usize)> = s
            .webhooks()
            .iter()
            .map(|w| {
                (
                    w.url().to_string(),
                    w.mode().map(String::from),
                    w.events().len(),
                )
            })
            .collect();
        (
            webhooks,
            s.proxy().map(String::from),
            s.offline_mode(),
            s.full_history(),
        )
    };
    let settings_before = settings(wa.get_channel_settings().await.unwrap());
    let gif_icon = http
        .put(format!("{}/groups/{group}/icon", sandbox.url()))
        .bearer_auth("sandbox-token")
        .header("content-type", "image/gif")
        .body(b"GIF89a".to_vec())
        .send()
        .await
        .unwrap();
    let bad_settings = http
        .patch(format!("{}/settings", sandbox.url()))
        .bearer_auth("sandbox-token")
        .json(&serde_json::json!({"webhooks": "not a list"}))
        .send()
        .await
        .unwrap();
    let wrong_method = http
        .patch(format!("{}/health", sandbox.url()))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap();
    assert_eq!(gif_icon.status(), 415, "the spec takes PNG or JPEG icons");
    assert_eq!(bad_settings.status(), 400);
    let reason = bad_settings.text().await.unwrap();
    assert!(
        reason.contains("/webhooks"),
        "the reason names the field: {reason}"
    );
    assert_eq!(wrong_method.status(), 405);
    let after = settings(wa.get_channel_settings().await.unwrap());
    assert_eq!(after, settings_before, "the bad patch changed nothing");

    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let uploaded = wa
        .upload_media(MediaSource::bytes(
            big.clone(),
            "big.pdf",
            "application/pdf",
        ))
        .await
        .unwrap();
    let mut back = Vec::new();
    wa.download_media(uploaded.id(), &mut back).await.unwrap();
    assert_eq!(back.len(), big.len(), "over axum's default 2 MB");

    let dir = tempfile::tempdir().unwrap();
    let big_file = dir.path().join("big.pdf");
    std::fs::write(&big_file, &big).unwrap();
    let as_form = wa
        .send_message_document("15550100001", MediaSource::path(&big_file))
        .await;
    assert!(as_form.is_ok(), "a 3 MB file in a form: {as_form:?}");
    let path = dir.path().join("a.pdf");
    std::fs::write(&path, b"%PDF-1.4 tiny").unwrap();
    let numeric = wa
        .send_message_document("15550100000", MediaSource::path(&path))
        .caption("2024")
        .await;
    assert!(numeric.is_ok(), "{numeric:?}");
    assert_eq!(
        sandbox.sent_to("15550100000")[0].text.as_deref(),
        Some("2024")
    );

    // A webhook that takes connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook = format!("http://{}/hook", silent.local_addr().unwrap());
    wa.ensure_webhook(&hook, [event(types::WebhookEventTypeType::Messages)])
        .await
        .unwrap();
    let received = tokio::time::timeout(
        Duration::from_secs(2),
        sandbox.receive_text("15550100005", "hi"),
    )
    .await;
    assert!(
        matches!(received, Ok(Ok(_))),
        "injecting does not wait for the webhook: {received:?}"
    );

    sandbox
        .fail_next("getChats", 3, Fault::Stall(Duration::from_secs(30)))
        .unwrap();
    assert!(
        sandbox
            .fail_next("getChats", 1, Fault::server_error(200))
            .is_err(),
        "not an error status"
    );
    sandbox.clear_faults();
    let chats = tokio::time::timeout(Duration::from_secs(5), wa.get_chats()).await;
    assert!(
        matches!(chats, Ok(Ok(_))),
        "cleared faults meet no call: {chats:?}"
    );
    drop(silent);
}

/// An operation the sandbox does not emulate answers the spec's example,
/// marked as such, decodes through the SDK, and the sandbox lists it.
#[tokio::test]
async fn an_operation_not_emulated_answers_the_spec_example_and_says_so() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    assert!(wa.get_user_profile().await.is_ok(), "the example decodes");

    let raw = reqwest::Client::new()
        .get(format!("{}/users/profile", sandbox.url()))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    assert_eq!(raw.headers()[whapi_ext::sandbox::ANSWER_HEADER], "example");
    let listed: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/_sandbox/operations", sandbox.url()))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let examples = listed["examples"].as_array().unwrap();
    let emulated = listed["emulated"].as_array().unwrap();
    assert!(examples.contains(&serde_json::json!("getUserProfile")));
    assert!(emulated.contains(&serde_json::json!("sendMessageText")));
    assert_eq!(examples.len() + emulated.len(), 189);

    let health = reqwest::Client::new()
        .get(format!("{}/health", sandbox.url()))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap();
    assert!(
        !health
            .headers()
            .contains_key(whapi_ext::sandbox::ANSWER_HEADER),
        "an emulated answer is not marked"
    );
}

/// The raw bodies of the events received so far that have `key`, waiting
/// until there are `count` (at most 5 s).
async fn events_with(
    events: &Arc<Mutex<Vec<WebhookEvent>>>,
    key: &str,
    count: usize,
) -> Vec<serde_json::Value> {
    events_until(events, key, |found| found.len() >= count).await
}

/// The recorded events that carry `key`, once `done` says they are enough
/// (within 20 s: delivery takes milliseconds).
async fn events_until(
    events: &Arc<Mutex<Vec<WebhookEvent>>>,
    key: &str,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let started = std::time::Instant::now();
    loop {
        let found: Vec<serde_json::Value> = events
            .lock()
            .unwrap()
            .iter()
            .map(|e| serde_json::from_str::<serde_json::Value>(e.raw()).unwrap())
            .filter(|e| e.get(key).is_some())
            .collect();
        for event in &found {
            assert!(
                event["event"]["event"].is_string() && event["event"].get("method").is_none(),
                "the live service's shape (`event.event`): {event}"
            );
        }
        if done(&found) {
            return found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not enough `{key}` events within 20 s: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn labels_contacts_and_presences_keep_their_state() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    sandbox.receive_text("15550100001", "hi").await.unwrap();
    let chat = "15550100001@s.whatsapp.net";

    wa.create_label("1", "VIP", types::CreateLabelColor::Gold)
        .await
        .unwrap();

    wa.add_label_association("1", chat).await.unwrap();
    let labels = wa.get_labels().await.unwrap();
    assert_eq!((labels[0].name(), labels[0].count()), ("VIP", Some(1)));
    let with_label = wa.get_label_associations("1").await.unwrap();
    assert_eq!(with_label.chats()[0].id().as_str(), chat);
    wa.delete_label_association("1", chat).await.unwrap();
    wa.create_label("1", "VVIP", types::CreateLabelColor::Cyan)
        .await
        .unwrap();
    let labels = wa.get_labels().await.unwrap();
    assert_eq!(labels.len(), 1, "the same label, renamed");
    assert_eq!((labels[0].name(), labels[0].count()), ("VVIP", Some(0)));

    wa.add_contact("+1 555 010 0002", "Bob").await.unwrap();
    let contacts = wa.get_contacts().await.unwrap();
    assert_eq!(
        contacts.total(),
        Some(2),
        "the person who wrote, and Bob: {contacts:?}"
    );
    wa.send_contact("15550100002", "15550100001").await.unwrap();
    let card = &sandbox.sent_to("15550100001")[0];
    assert_eq!(card.kind, "contact");
    assert_eq!(card.raw["contact"]["name"], "Bob", "the saved name");
    let bob = wa.get_contact("15550100002").await.unwrap();
    assert_eq!((bob.name(), bob.saved()), ("Bob", Some(true)));
    assert!(
        wa.get_contact("15550100009").await.is_err(),
        "a stranger is no contact"
    );
    let checked = wa.check_phones(["15550100003", "12"]).await.unwrap();
    let valid: Vec<bool> = checked.contacts().iter().map(|c| c.is_valid()).collect();
    assert_eq!(valid, [true, false]);

    let events =
        webhooks_to_a_recorder(&wa, vec![event(types::WebhookEventTypeType::Presences)]).await;
    sandbox.set_presence("15550100005", "online").unwrap();
    wa.subscribe_presence("15550100001").await.unwrap();
    sandbox.set_presence("15550100001", "typing").unwrap();
    let presences = events_with(&events, "presences", 1).await;
    assert_eq!(
        presences.len(),
        1,
        "only the subscribed person's: {presences:?}"
    );
    assert_eq!(presences[0]["presences"][0]["contact_id"], "15550100001");
    assert_eq!(presences[0]["presences"][0]["status"], "typing");
    let read = wa.get_presence("15550100005").await.unwrap();
    assert_eq!(read.status(), Some("online"));
    assert!(sandbox.set_presence("15550100005", "dancing").is_err());

    wa.send_me_presence(types::SendMePresenceRequestPresence::Offline)
        .await
        .unwrap();
    // `me` is no chat id: the typed call refuses it, the raw one takes it.
    assert!(wa.get_presence("me").await.is_err());
    let own = wa
        .raw()
        .get_presence()
        .entry_id("me")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.status(), Some("offline"), "the channel's own, as set");

    wa.send_presence(chat, types::SendPresenceRequestPresence::Typing)
        .await
        .unwrap();
    wa.send_presence(chat, types::SendPresenceRequestPresence::Pause)
        .await
        .unwrap();
    assert_eq!(
        sandbox.presences_sent_to("15550100001"),
        ["typing", "pause"]
    );
}

#[tokio::test]
async fn injected_status_changes_and_group_joins_change_state_and_post_webhooks() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let events = webhooks_to_a_recorder(
        &wa,
        vec![
            event(types::WebhookEventTypeType::Statuses),
            types::Event {
                type_: Some(types::WebhookEventTypeType::Groups),
                method: Some(types::EventMethod::Put),
            },
        ],
    )
    .await;

    let sent = wa.send_message_text("15550100000", "hi").await.unwrap();
    sandbox.set_status(sent.id(), "failed").unwrap();
    let failed = |event: &serde_json::Value| event["statuses"][0]["status"] == "failed";
    events_until(&events, "statuses", |found| found.iter().any(failed)).await;
    // Past the default steps (20 ms each): the progress must not go on.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let statuses = events_with(&events, "statuses", 1).await;
    let last = statuses.last().unwrap();
    assert_eq!(last["statuses"][0]["status"], "failed", "{statuses:?}");
    assert_eq!(sandbox.sent_to("15550100000")[0].status, "failed");
    assert!(sandbox
        .set_status("Sbx99999.nosuchmessage", "read")
        .is_err());
    assert!(sandbox.set_status(sent.id(), "lost").is_err());

    let group = wa
        .create_group("g", ["15550100001"])
        .await
        .unwrap()
        .id()
        .to_string();
    sandbox.join_group(&group, "+1 555 010 0007").unwrap();
    assert!(
        sandbox.join_group(&group, "15550100007").is_err(),
        "already a participant"
    );
    let joins = events_with(&events, "groups_participants", 1).await;
    let change = &joins[0]["groups_participants"][0];
    assert_eq!(change["group_id"], group.as_str());
    assert_eq!(change["participants"][0], "15550100007");
    assert_eq!(change["action"], "add");
    let read = wa.get_group(group.as_str()).await.unwrap();
    assert!(
        read.participants()
            .iter()
            .any(|p| p.id().as_str() == "15550100007"),
        "{read:?}"
    );
    sandbox.leave_group(&group, "15550100007").unwrap();
    let changes = events_with(&events, "groups_participants", 2).await;
    assert_eq!(changes[1]["groups_participants"][0]["action"], "remove");
}

#[tokio::test]
async fn newsletters_page_by_cursor_and_their_messages_by_before() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let mut ids = Vec::new();
    for name in ["News A", "News B", "Other"] {
        let created = wa.create_newsletter(name).await.unwrap();
        ids.push(created.id().to_string());
    }
    for i in 0..5 {
        wa.send_message_text(ids[0].as_str(), format!("post {i}"))
            .await
            .unwrap();
    }

    let found: Vec<types::Newsletter> = wa
        .find_newsletter()
        .list()
        .page_size(1)
        .items()
        .try_collect()
        .await
        .unwrap();
    let news: Vec<types::Newsletter> = wa
        .find_newsletter()
        .search("news")
        .list()
        .page_size(1)
        .items()
        .try_collect()
        .await
        .unwrap();
    let posts: Vec<_> = wa
        .get_messages_newsletter(ids[0].as_str())
        .list()
        .page_size(2)
        .items()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(found.len(), 3, "three pages of one, by cursor");
    let found_ids: std::collections::HashSet<_> =
        found.iter().map(|n| n.id().to_string()).collect();
    assert_eq!(found_ids.len(), 3, "each newsletter once");
    assert_eq!(news.len(), 2, "`search` keeps the names with it");
    let texts: Vec<String> = posts
        .iter()
        .map(|m| m.text_or_caption().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        texts,
        ["post 4", "post 3", "post 2", "post 1", "post 0"],
        "newest first, three pages going back with `before`"
    );
}

#[tokio::test]
async fn message_lists_keep_to_their_filters() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    wa.send_message_text("15550100000", "first").await.unwrap();
    sandbox.receive_text("15550100000", "reply").await.unwrap();
    wa.send_message_text("15550100000", "last").await.unwrap();

    let theirs = wa.get_messages().from_me(false).await.unwrap();
    let oldest_first = wa.get_messages().sort(types::Sort::Asc).await.unwrap();
    let far_ahead = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::from(u32::MAX));
    let future = wa.get_messages().time_from(far_ahead).await.unwrap();

    assert_eq!(theirs.total(), Some(1));
    assert_eq!(theirs.messages()[0].text_or_caption(), Some("reply"));
    assert_eq!(oldest_first.messages()[0].text_or_caption(), Some("first"));
    assert_eq!(future.total(), Some(0));
}

#[tokio::test]
async fn channels_share_a_url_and_keep_their_own_state() {
    assert!(
        Sandbox::builder()
            .add_channel("SANDBOX-0002", "sandbox-token")
            .start()
            .await
            .is_err(),
        "two channels with one token"
    );
    let sandbox = Sandbox::builder()
        .add_channel("SANDBOX-0002", "second-token")
        .start()
        .await
        .unwrap();
    let second = sandbox.channel("SANDBOX-0002").unwrap();
    assert_eq!(second.client().base_url(), sandbox.client().base_url());

    sandbox
        .client()
        .send_message_text("15550100000", "from the first")
        .await
        .unwrap();
    second
        .client()
        .send_message_text("15550100000", "from the second")
        .await
        .unwrap();
    let health = second.client().check_health().await.unwrap();

    assert_eq!(health.channel_id.as_deref(), Some("SANDBOX-0002"));
    assert_eq!(
        sandbox.sent_to("15550100000")[0].text.as_deref(),
        Some("from the first")
    );
    assert_eq!(second.sent_to("15550100000").len(), 1);
    assert_eq!(
        second.sent_to("15550100000")[0].text.as_deref(),
        Some("from the second")
    );
    assert_eq!(sandbox.channels().len(), 2);
}

#[tokio::test]
async fn carousels_and_stories_of_every_kind_are_sent_and_recorded() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{}{path}", sandbox.url()))
            .bearer_auth("sandbox-token")
            .json(&body)
            .send()
    };
    let card = |id: &str| {
        serde_json::json!({"id": id, "text": "a card", "media": {"media": "https://example.com/a.png"},
                           "buttons": [{"type": "quick_reply", "title": "Pick", "id": id}]})
    };
    let carousel = post(
        "/messages/carousel",
        serde_json::json!({"to": "15550100000", "body": {"text": "pick one"}, "cards": [card("a"), card("b")]}),
    )
    .await
    .unwrap();
    assert_eq!(carousel.status(), 200, "{}", carousel.text().await.unwrap());
    let story = post(
        "/messages/story/text",
        serde_json::json!({"caption": "news", "background_color": "#FF000000"}),
    )
    .await
    .unwrap();
    assert_eq!(story.status(), 200, "{}", story.text().await.unwrap());

    let sent = sandbox.sent_to("15550100000");
    assert_eq!(sent[0].kind, "carousel");
    assert_eq!(sent[0].text.as_deref(), Some("pick one"));
    let stories = sandbox.sent_to("status@broadcast");
    assert_eq!(stories.len(), 1);
    assert_eq!(stories[0].raw["story"]["story_kind"], "text");
}

#[tokio::test]
async fn messages_are_read_reacted_to_forwarded_edited_and_deleted() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let events =
        webhooks_to_a_recorder(&wa, vec![event(types::WebhookEventTypeType::Messages)]).await;
    let incoming = sandbox.receive_text("15550100000", "hi").await.unwrap();
    let sent = wa.send_message_text("15550100000", "draft").await.unwrap();
    let sent_id = sent.id().to_string();
    let own = events_with(&events, "messages", 2).await;
    assert_eq!(
        own[1]["messages"][0]["from_me"], true,
        "the channel's own send is posted too"
    );

    wa.mark_message_as_read(incoming.as_str()).await.unwrap();
    let read = wa.get_message(incoming.as_str()).await.unwrap();
    assert_eq!(read.status(), Some("read"));

    wa.react_to_message(incoming.as_str())
        .emoji("👍".to_string())
        .await
        .unwrap();
    let reacted = wa.get_message(incoming.as_str()).await.unwrap();
    assert_eq!(reacted.reactions()[0].emoji(), "👍");
    wa.remove_react_from_message(incoming.as_str())
        .await
        .unwrap();
    let unreacted = wa.get_message(incoming.as_str()).await.unwrap();
    assert!(unreacted.reactions().is_empty(), "{unreacted:?}");

    wa.send_message_text("15550100000", "final")
        .edit(sent_id.as_str())
        .await
        .unwrap();
    let to_alice = sandbox.sent_to("15550100000");
    assert_eq!(to_alice.len(), 1, "an edit changes the message, sends none");
    assert_eq!(to_alice[0].text.as_deref(), Some("final"));

    wa.forward_message(sent_id.as_str(), "15550100001@s.whatsapp.net")
        .await
        .unwrap();
    let forwarded = sandbox.sent_to("15550100001");
    assert_eq!(forwarded[0].text.as_deref(), Some("final"));
    assert_eq!(forwarded[0].raw["context"]["forwarded"], true);

    wa.delete_message(sent_id.as_str()).await.unwrap();
    assert!(sandbox.sent_to("15550100000").is_empty());
    assert!(wa.get_message(sent_id.as_str()).await.is_err(), "gone");
}

#[tokio::test]
async fn groups_settings_and_media_change_as_later_reads_show() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let group = wa
        .create_group("old name", ["15550100001"])
        .await
        .unwrap()
        .id()
        .to_string();
    let code = wa
        .get_group_invite(group.as_str())
        .await
        .unwrap()
        .code()
        .to_string();
    wa.update_group_info(group.as_str())
        .subject("new name")
        .await
        .unwrap();
    wa.revoke_group_invite(group.as_str()).await.unwrap();
    let renamed = wa.get_group(group.as_str()).await.unwrap();
    let new_code = wa
        .get_group_invite(group.as_str())
        .await
        .unwrap()
        .code()
        .to_string();
    assert_eq!(renamed.name(), "new name");
    assert_ne!(new_code, code, "a revoked code is replaced");
    assert!(
        wa.get_group_metadata_by_invite_code(code.as_str())
            .await
            .is_err(),
        "a revoked code opens nothing"
    );
    let by_code = wa
        .get_group_metadata_by_invite_code(new_code.as_str())
        .await
        .unwrap();
    assert_eq!(by_code.name(), Some("new name"));
    wa.send_group_invite(new_code.as_str(), "15550100002")
        .await
        .unwrap();
    let invite = &sandbox.sent_to("15550100002")[0];
    assert_eq!(invite.kind, "group_invite");
    assert_eq!(invite.raw["group_invite"]["invite_code"], new_code.as_str());
    wa.leave_group(group.as_str()).await.unwrap();
    assert!(
        wa.get_group(group.as_str()).await.is_err(),
        "no longer the channel's"
    );

    let hook = "http://127.0.0.1:9/hook";
    wa.ensure_webhook(hook, [event(types::WebhookEventTypeType::Messages)])
        .await
        .unwrap();
    wa.reset_channel_settings().await.unwrap();
    let settings = wa.get_channel_settings().await.unwrap();
    assert!(settings.webhooks().is_empty(), "{settings:?}");

    let uploaded = wa
        .upload_media(MediaSource::bytes(
            b"%PDF-1.4".to_vec(),
            "a.pdf",
            "application/pdf",
        ))
        .await
        .unwrap();
    let files = wa.get_media_files().await.unwrap();
    assert_eq!(files.total(), Some(1));
    assert_eq!(files.files()[0].id().as_str(), uploaded.id());
    wa.delete_media(uploaded.id()).await.unwrap();
    let files = wa.get_media_files().await.unwrap();
    assert_eq!(files.total(), Some(0));
}

/// A receiver that never answers delays only its own events.
#[tokio::test]
async fn a_silent_webhook_does_not_hold_up_another() {
    let sandbox = Sandbox::start().await.unwrap();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}/hook", silent.local_addr().unwrap());
    let (url, events) = recording_receiver().await;
    let hooks = serde_json::json!({"webhooks": [
        {"url": silent_url, "events": [{"type": "messages", "method": "post"}]},
        {"url": url, "events": [{"type": "messages", "method": "post"}]},
    ]});
    let patched = reqwest::Client::new()
        .patch(format!("{}/settings", sandbox.url()))
        .bearer_auth("sandbox-token")
        .json(&hooks)
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    sandbox.receive_text("15550100000", "one").await.unwrap();
    sandbox.receive_text("15550100000", "two").await.unwrap();
    let started = std::time::Instant::now();
    let got = events_with(&events, "messages", 2).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the silent hook's 5 s timeouts held the other up"
    );
    let texts: Vec<&str> = got
        .iter()
        .map(|e| {
            e["messages"][0]["text"]["body"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(texts, ["one", "two"], "in order");
    drop(silent);
}

/// A web page can reach a loopback server under a name of its own (DNS
/// rebinding): the sandbox answers only requests that name it on loopback,
/// so such a page cannot register a webhook the sandbox would then post to.
#[tokio::test]
async fn a_request_naming_another_host_is_refused() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = reqwest::Client::new();
    let rebound = http
        .patch(format!("{}/settings", sandbox.url()))
        .header("host", "attacker.example")
        .bearer_auth("sandbox-token")
        .json(&serde_json::json!({"webhooks": [{"url": "http://attacker.example/hook", "events": [{"type": "messages", "method": "post"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    let settings = sandbox.client().get_channel_settings().await.unwrap();
    assert!(
        settings
            .webhooks()
            .iter()
            .all(|hook| !hook.url().contains("attacker.example")),
        "{settings:?}"
    );
    let health = http
        .get(format!("{}/health", sandbox.url()))
        .bearer_auth("sandbox-token")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "its own name is answered");
}

#[tokio::test]
async fn the_served_spec_takes_a_caller_and_an_applicant_in_their_newer_forms() {
    let sandbox = Sandbox::start().await.unwrap();
    let wa = sandbox.client();
    let http = reqwest::Client::new();
    let group = wa.create_group("g", ["15550100001"]).await.unwrap();
    let send = |method: reqwest::Method, path: String, body: serde_json::Value| {
        http.request(method, format!("{}{path}", sandbox.url()))
            .bearer_auth("sandbox-token")
            .json(&body)
            .send()
    };
    let reject = |from: &str| {
        send(
            reqwest::Method::DELETE,
            "/calls/ACDE1234".into(),
            serde_json::json!({ "callFrom": from }),
        )
    };
    // `callFrom` is digits or a LID, not the `…@s.whatsapp.net` the
    // widened contact ids take.
    assert!(reject("123456789012345@lid")
        .await
        .unwrap()
        .status()
        .is_success());
    assert!(reject("15550100001").await.unwrap().status().is_success());
    assert_eq!(
        reject("15550100001@s.whatsapp.net").await.unwrap().status(),
        400
    );
    // An application may also be `0@c.us` or `0@s.whatsapp.net`.
    for applicant in ["0@c.us", "0@s.whatsapp.net", "15550100001@s.whatsapp.net"] {
        let answer = send(
            reqwest::Method::POST,
            format!("/groups/{}/applications", group.id()),
            serde_json::json!({ "application": applicant }),
        )
        .await
        .unwrap();
        assert_ne!(answer.status(), 400, "{applicant}");
    }
    let refused = send(
        reqwest::Method::POST,
        format!("/groups/{}/applications", group.id()),
        serde_json::json!({ "application": "1@c.us" }),
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 400);
    // Through the SDK: its `ChatId` checks refuse the `0@` forms; sent as
    // the server's own ids, they go.
    let zero = whapi_ext::ids::ChatId::from_server("0@c.us");
    wa.approve_group_applications_list(group.id(), &zero)
        .await
        .unwrap();
    assert!(matches!(
        wa.approve_group_applications_list(group.id(), "0@c.us")
            .await,
        Err(Error::InvalidArgument(_))
    ));
}
