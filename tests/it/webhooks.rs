//! Webhook parsing against fixtures of every event type and method, and
//! against whatever bytes arrive.

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::Value;
use whapi_ext::webhooks::{EventType, MessageBody, Method, ParseError, Payload, WebhookEvent};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir: PathBuf = whapi_tests::workspace_root().join("tests/fixtures/webhooks");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("fixtures exist")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The fixture `name` (`calls_post`), parsed.
pub(crate) fn fixture(name: &str) -> WebhookEvent {
    let (_, bytes) = fixtures()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no fixture {name}"));
    WebhookEvent::parse(&bytes).unwrap()
}

/// The payload variant's name, for comparing against a table.
fn variant(payload: &Payload) -> &'static str {
    match payload {
        Payload::Messages(_) => "Messages",
        Payload::MessageUpdates(_) => "MessageUpdates",
        Payload::MessagesRemoved { .. } => "MessagesRemoved",
        Payload::Statuses(_) => "Statuses",
        Payload::Chats(_) => "Chats",
        Payload::ChatUpdates(_) => "ChatUpdates",
        Payload::ChatsRemoved(_) => "ChatsRemoved",
        Payload::Contacts(_) => "Contacts",
        Payload::ContactUpdates(_) => "ContactUpdates",
        Payload::Groups(_) => "Groups",
        Payload::GroupParticipants(_) => "GroupParticipants",
        Payload::GroupUpdates(_) => "GroupUpdates",
        Payload::Presences(_) => "Presences",
        Payload::Labels(_) => "Labels",
        Payload::LabelsRemoved(_) => "LabelsRemoved",
        Payload::Calls(_) => "Calls",
        Payload::Health(_) => "Health",
        Payload::Qr(_) => "Qr",
        Payload::User(_) => "User",
        Payload::Errors(_) => "Errors",
        Payload::Unknown => "Unknown",
        _ => "new variant",
    }
}

#[test]
fn every_event_type_and_method_parses_into_its_payload_and_round_trips() {
    let expected = [
        ("calls_post", EventType::Calls, Method::Post, "Calls"),
        ("channel_post", EventType::Channel, Method::Post, "Health"),
        ("channel_qr", EventType::Channel, Method::Post, "Qr"),
        (
            "chats_delete",
            EventType::Chats,
            Method::Delete,
            "ChatsRemoved",
        ),
        (
            "chats_patch",
            EventType::Chats,
            Method::Patch,
            "ChatUpdates",
        ),
        ("chats_post", EventType::Chats, Method::Post, "Chats"),
        ("chats_put", EventType::Chats, Method::Put, "Chats"),
        (
            "contacts_patch",
            EventType::Contacts,
            Method::Patch,
            "ContactUpdates",
        ),
        (
            "contacts_post",
            EventType::Contacts,
            Method::Post,
            "Contacts",
        ),
        (
            "groups_patch",
            EventType::Groups,
            Method::Patch,
            "GroupUpdates",
        ),
        ("groups_post", EventType::Groups, Method::Post, "Groups"),
        (
            "groups_put",
            EventType::Groups,
            Method::Put,
            "GroupParticipants",
        ),
        (
            "labels_delete",
            EventType::Labels,
            Method::Delete,
            "LabelsRemoved",
        ),
        ("labels_post", EventType::Labels, Method::Post, "Labels"),
        (
            "messages_delete",
            EventType::Messages,
            Method::Delete,
            "MessagesRemoved",
        ),
        (
            "messages_patch",
            EventType::Messages,
            Method::Patch,
            "MessageUpdates",
        ),
        (
            "messages_post",
            EventType::Messages,
            Method::Post,
            "Messages",
        ),
        (
            "messages_post_every_type",
            EventType::Messages,
            Method::Post,
            "Messages",
        ),
        ("messages_put", EventType::Messages, Method::Put, "Messages"),
        (
            "presences_post",
            EventType::Presences,
            Method::Post,
            "Presences",
        ),
        ("service_post", EventType::Service, Method::Post, "Errors"),
        (
            "statuses_post",
            EventType::Statuses,
            Method::Post,
            "Statuses",
        ),
        ("statuses_put", EventType::Statuses, Method::Put, "Statuses"),
        ("users_delete", EventType::Users, Method::Delete, "User"),
        ("users_post", EventType::Users, Method::Post, "User"),
    ];
    let files = fixtures();
    assert_eq!(
        files.len(),
        expected.len(),
        "a fixture without an expectation, or the other way round"
    );
    for ((name, bytes), (want_name, want_type, want_method, want_variant)) in
        files.iter().zip(expected)
    {
        assert_eq!(name, want_name);
        let event = WebhookEvent::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(event.event_type, want_type, "{name}");
        assert_eq!(event.method, Some(want_method), "{name}");
        assert_eq!(variant(&event.payload), want_variant, "{name}");
        assert_eq!(event.channel_id.as_deref(), Some("MANTIS-M72HC"), "{name}");
        let original: Value = serde_json::from_slice(bytes).unwrap();
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            original,
            "{name}: parse then serialize loses nothing"
        );
        assert_eq!(
            serde_json::to_vec(&event).unwrap(),
            serde_json::to_vec(
                &serde_json::from_slice::<&serde_json::value::RawValue>(bytes).unwrap()
            )
            .unwrap()
        );
    }
}

#[test]
fn every_message_type_gets_its_body() {
    let event = fixture("messages_post_every_type");
    let Payload::Messages(messages) = &event.payload else {
        panic!("{:?}", event.payload)
    };
    let kinds: Vec<&str> = messages
        .iter()
        .map(|m| match m.body() {
            MessageBody::Text(_) => "text",
            MessageBody::Image(_) => "image",
            MessageBody::Video(_) => "video",
            MessageBody::Gif(_) => "gif",
            MessageBody::Short(_) => "short",
            MessageBody::Audio(_) => "audio",
            MessageBody::Voice(_) => "voice",
            MessageBody::Document(_) => "document",
            MessageBody::Sticker(_) => "sticker",
            MessageBody::LinkPreview(_) => "link_preview",
            MessageBody::Invite(_) => "invite",
            MessageBody::Location(_) => "location",
            MessageBody::LiveLocation(_) => "live_location",
            MessageBody::Contact(_) => "contact",
            MessageBody::ContactList(_) => "contact_list",
            MessageBody::Poll(_) => "poll",
            MessageBody::Reaction { .. } => "reaction",
            MessageBody::Revoked { .. } => "revoked",
            MessageBody::Edited { .. } => "edited",
            MessageBody::Vote { .. } => "vote",
            MessageBody::Action(_) => "action",
            MessageBody::Interactive(_) => "interactive",
            MessageBody::ButtonReply(_) => "button_reply",
            MessageBody::ListReply(_) => "list_reply",
            MessageBody::Buttons(_) => "buttons",
            MessageBody::List(_) => "list",
            MessageBody::Hsm(_) => "hsm",
            MessageBody::Order(_) => "order",
            MessageBody::Product(_) => "product",
            MessageBody::System(_) => "system",
            MessageBody::Event(_) => "event",
            MessageBody::AdminInvite(_) => "admin_invite",
            MessageBody::Unknown { kind: "" } => "none",
            MessageBody::Unknown { kind } => kind,
            _ => "missing content",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "text",
            "image",
            "video",
            "gif",
            "short",
            "audio",
            "voice",
            "document",
            "sticker",
            "link_preview",
            "location",
            "live_location",
            "contact",
            "contact_list",
            "poll",
            "interactive",
            "button_reply",
            "buttons",
            "list",
            "hsm",
            "order",
            "product",
            "system",
            "reaction",
            "revoked",
            "edited",
            "invite",
            "invite",
            "text",
            "hologram",
            "event",
            "admin_invite",
        ]
    );
    let live = messages[11].body();
    assert!(
        matches!(live, MessageBody::LiveLocation(l) if l.latitude() == 37.7749),
        "latitude sent as a string"
    );
    assert!(
        matches!(messages[1].body(), MessageBody::Image(i) if i.width() == Some(640)),
        "{:?}",
        messages[1].body()
    );
    assert_eq!(
        messages[7].media().and_then(|m| m.file_name),
        Some("invoice.pdf")
    );
    assert_eq!(messages[0].text_or_caption(), Some("Hello there"));
    assert_eq!(messages[2].text_or_caption(), Some("a caption"));
    let quoting = messages[28].context().unwrap();
    assert_eq!(quoting.quoted_id().unwrap(), "PsobWy36679._7w-wKmB9tMeGQ-1");
    assert_eq!(quoting.mentions(), ["15550100001"]);
    assert!(
        messages[29].raw().get().contains("\"beam\""),
        "an unknown type keeps its content in the raw JSON"
    );
}

#[test]
fn button_presses_list_choices_and_orders_read_as_typed_values() {
    let body = serde_json::json!({
        "event": {"type": "messages", "event": "post"},
        "messages": [
            {"id": "r1", "type": "reply", "context": {"quoted_id": "q1"},
             "reply": {"type": "buttons_reply", "buttons_reply": {"id": "ButtonsV3:yes", "title": "Yes", "extra": 1}}},
            {"id": "r2", "type": "reply",
             "reply": {"list_reply": {"id": "ListV3:row-2", "title": "Blue", "description": "the sky"}}},
            {"id": "r3", "type": "reply", "reply": {"type": "carousel_reply"}},
            {"id": "o1", "type": "order",
             "order": {"order_id": "1234567890123", "item_count": "3", "total_price": 19.5, "currency": "EUR", "status": "new"}}
        ]
    });
    let event = WebhookEvent::parse(&serde_json::to_vec(&body).unwrap()).unwrap();
    let Payload::Messages(messages) = &event.payload else {
        panic!("{:?}", event.payload)
    };

    let MessageBody::ButtonReply(pressed) = messages[0].body() else {
        panic!("{:?}", messages[0].body())
    };
    assert_eq!(
        (pressed.id(), pressed.title()),
        (Some("ButtonsV3:yes"), Some("Yes")),
        "the id as the service sent it"
    );
    assert_eq!(messages[0].choice_id(), Some("yes"));
    assert_eq!(messages[0].quoted_id().unwrap(), "q1");
    assert!(
        messages[0].raw().get().contains(r#""extra":1"#),
        "unknown fields kept"
    );

    let MessageBody::ListReply(row) = messages[1].body() else {
        panic!("{:?}", messages[1].body())
    };
    assert_eq!(row.description(), Some("the sky"));
    assert_eq!(
        messages[1].choice_id(),
        Some("row-2"),
        "no type: read by what it holds"
    );
    assert_eq!(messages[1].quoted_id(), None);

    assert!(matches!(
        messages[2].body(),
        MessageBody::Unknown { kind: "reply" }
    ));
    assert_eq!(messages[2].choice_id(), None);

    let MessageBody::Order(order) = messages[3].body() else {
        panic!("{:?}", messages[3].body())
    };
    assert_eq!(order.order_id().unwrap(), "1234567890123");
    assert_eq!(order.item_count(), Some(3.0), "a count sent as a string");
    assert_eq!(order.total_price(), Some(19.5));
    assert_eq!(order.currency(), Some("EUR"));
    assert_eq!(messages[3].choice_id(), None);
}

#[test]
fn numbers_beyond_i64_and_as_strings_are_read() {
    let Payload::Chats(chats) = fixture("chats_post").payload else {
        panic!()
    };
    assert_eq!(
        chats[0].mute_until,
        Some(i64::MAX),
        "18446744073709552000 is clamped"
    );
    assert!(
        chats[0].raw().get().contains("18446744073709552000"),
        "and kept exactly in the raw JSON"
    );
    assert_eq!(
        chats[0]
            .last_message
            .as_ref()
            .and_then(|m| m.text_or_caption()),
        Some("Hello there")
    );
    let Payload::Statuses(statuses) = fixture("statuses_post").payload else {
        panic!()
    };
    assert_eq!(
        statuses[0].timestamp(),
        "1700000100",
        "a timestamp (text in the spec) sent as a string"
    );
    let Payload::Health(health) = fixture("channel_post").payload else {
        panic!()
    };
    assert_eq!(
        health.uptime(),
        3600.5,
        "a number of the spec's `number` type"
    );
    assert_eq!(health.status_text(), "AUTH");
}

#[test]
fn removals_updates_and_participants_carry_their_data() {
    let Payload::MessagesRemoved { ids, chat_cleared } = fixture("messages_delete").payload else {
        panic!()
    };
    assert_eq!(ids.len(), 2);
    assert_eq!(chat_cleared.as_deref(), Some("15550100000@s.whatsapp.net"));
    let Payload::MessageUpdates(updates) = fixture("messages_patch").payload else {
        panic!()
    };
    assert_eq!(updates[0].changes, ["text"]);
    assert_eq!(
        updates[0].after_update().text_or_caption(),
        Some("Hello there!")
    );
    let Payload::GroupParticipants(events) = fixture("groups_put").payload else {
        panic!()
    };
    assert_eq!(
        (
            events[0].action(),
            events[0]
                .participants()
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
        ),
        ("add", vec!["15550100004"])
    );
}

#[test]
fn the_spec_and_the_live_event_shapes_both_work_and_missing_ones_are_inferred() {
    let spec_shape =
        br#"{"messages":[{"id":"a","type":"text"}],"event":{"type":"messages","method":"put"}}"#;
    assert_eq!(
        WebhookEvent::parse(spec_shape).unwrap().method,
        Some(Method::Put)
    );
    let live_shape =
        br#"{"messages":[{"id":"a","type":"text"}],"event":{"type":"messages","event":"put"}}"#;
    assert_eq!(
        WebhookEvent::parse(live_shape).unwrap().method,
        Some(Method::Put)
    );
    let no_event = WebhookEvent::parse(br#"{"statuses":[{"id":"a","status":"read"}]}"#).unwrap();
    assert_eq!(
        (
            no_event.event_type,
            no_event.method,
            variant(&no_event.payload)
        ),
        (EventType::Statuses, None, "Statuses")
    );
    let future =
        WebhookEvent::parse(br#"{"event":{"type":"holograms","event":"post"},"holograms":[{}]}"#)
            .unwrap();
    assert_eq!(
        (future.event_type.clone(), variant(&future.payload)),
        (EventType::Other("holograms".into()), "Unknown")
    );
    assert!(future.raw().contains("holograms"));
}

#[test]
fn odd_shapes_degrade_instead_of_failing() {
    let cases: [&[u8]; 6] = [
        br#"{"event":{"type":"messages","event":"post"},"messages":{"id":"lone","type":"text","text":{"body":"x"}}}"#,
        br#"{"event":{"type":"messages","event":"post"},"messages":[1,"x",null,{"id":"ok"}]}"#,
        br#"{"event":{"type":"messages","event":"post"},"messages":[{"id":12345,"from_me":"true","timestamp":"17e8","text":"not an object"}]}"#,
        br#"{"event":{"type":"messages","event":"post"},"messages":[{"id":"media_init","chat_id":"not-a-jid","from_me":1}]}"#,
        br#"{"event":{"type":"chats","event":"post"},"chats":[{"id":"1@s.whatsapp.net","unknown_key":{"deep":[1,2,3]}}]}"#,
        br#"{"event":{"type":"messages","event":"post"},"messages":"nothing"}"#,
    ];
    for (i, body) in cases.iter().enumerate() {
        let event = WebhookEvent::parse(body).unwrap_or_else(|e| panic!("case {i}: {e}"));
        let original: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(serde_json::to_value(&event).unwrap(), original, "case {i}");
    }
    let Payload::Messages(m) = WebhookEvent::parse(cases[2]).unwrap().payload else {
        panic!()
    };
    assert_eq!(
        (m[0].id().as_str(), m[0].from_me(), m[0].timestamp()),
        ("12345", true, 1_700_000_000.0)
    );
    assert!(
        m[0].text.is_none(),
        "a text that is no object reads as absent"
    );
    let Payload::Messages(m) = WebhookEvent::parse(cases[1]).unwrap().payload else {
        panic!()
    };
    assert_eq!(m.len(), 1, "elements that are not objects are dropped");
}

#[test]
fn only_useless_bodies_are_errors() {
    assert!(matches!(
        WebhookEvent::parse(b"not json"),
        Err(ParseError::NotJson(_))
    ));
    assert!(matches!(
        WebhookEvent::parse(b"[1,2]"),
        Err(ParseError::NotJson(_))
    ));
    assert!(matches!(
        WebhookEvent::parse(b"\xff\xfe"),
        Err(ParseError::NotJson(_))
    ));
    assert!(matches!(
        WebhookEvent::parse(b"{}"),
        Err(ParseError::NoEventType)
    ));
    assert!(matches!(
        WebhookEvent::parse(br#"{"channel_id":"x","foo":1}"#),
        Err(ParseError::NoEventType)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = WebhookEvent::parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_json_like_text(
        text in r#"\{("(event|type|method|messages|chats|id|text|body|from_me|timestamp|mute_until)"|[\[\]{}:,]|-?[0-9]{1,25}(\.[0-9]+)?(e[0-9]{1,3})?|true|null|"[a-z\\u0-9]{0,8}"){0,40}"#
    ) {
        if let Ok(event) = WebhookEvent::parse(text.as_bytes()) {
            prop_assert_eq!(serde_json::to_string(&event).unwrap(), text.trim());
        }
    }

    #[test]
    fn parse_never_panics_on_mutated_payloads(
        which in 0usize..25,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let files = fixtures();
        let mut bytes = files[which % files.len()].1.clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.truncate(i),
                _ => bytes.insert(i, byte),
            }
        }
        if let Ok(event) = WebhookEvent::parse(&bytes) {
            // Whatever parses writes back exactly what came in.
            let written = serde_json::to_string(&event).unwrap();
            prop_assert_eq!(written.as_str(), std::str::from_utf8(&bytes).unwrap().trim());
        }
    }
}

/// The properties of a component schema of the vendored spec.
fn schema_properties(name: &str) -> std::collections::BTreeSet<String> {
    let spec = whapi_tests::spec();
    spec["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn fixtures_cover_every_payload_key_and_event_type_of_the_spec() {
    let payload_keys = schema_properties("WebhookPayload");
    let mut seen_keys = std::collections::BTreeSet::new();
    let mut seen_types = std::collections::BTreeSet::new();
    for (name, bytes) in fixtures() {
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        for key in body.as_object().unwrap().keys() {
            assert!(
                payload_keys.contains(key),
                "{name}: `{key}` is not a WebhookPayload property"
            );
            seen_keys.insert(key.clone());
        }
        seen_types.insert(body["event"]["type"].as_str().unwrap().to_string());
    }
    let missing: Vec<_> = payload_keys.difference(&seen_keys).collect();
    assert!(
        missing.is_empty(),
        "WebhookPayload properties no fixture exercises: {missing:?}"
    );
    let spec = whapi_tests::spec();
    let types: std::collections::BTreeSet<String> = spec["components"]["schemas"]
        ["WebhookEventType"]["properties"]["type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let missing: Vec<_> = types.difference(&seen_types).collect();
    assert!(
        missing.is_empty(),
        "event types without a fixture: {missing:?}"
    );
}

#[test]
fn lone_surrogates_duplicate_keys_and_huge_numbers_degrade_gracefully() {
    // Half an emoji, as Node sends it when it cuts a string.
    let body = br#"{"event":{"type":"messages","event":"post"},"messages":[{"id":"m1","type":"text","text":{"body":"hi \ud83d"}}]}"#;
    let event = WebhookEvent::parse(body).unwrap();
    let Payload::Messages(m) = &event.payload else {
        panic!()
    };
    assert_eq!(m[0].text_or_caption(), Some("hi \u{fffd}"));
    assert_eq!(
        event.raw().as_bytes(),
        body,
        "the raw text keeps what was sent"
    );
    // A key given twice inside an item: the item keeps its raw JSON.
    let body = br#"{"event":{"type":"messages","event":"post"},"messages":[{"id":"a","id":"b"},{"id":"c"}]}"#;
    let Payload::Messages(m) = WebhookEvent::parse(body).unwrap().payload else {
        panic!()
    };
    assert!(!m[0].is_complete() && m[0].raw().get().contains("\"b\""));
    assert!(m[1].is_complete() && m[1].id.as_deref() == Some("c"));
    // A number beyond f64 in an item.
    let body =
        br#"{"event":{"type":"chats","event":"post"},"chats":[{"id":"x","mute_until":1e400}]}"#;
    let Payload::Chats(c) = WebhookEvent::parse(body).unwrap().payload else {
        panic!()
    };
    assert!(!c[0].is_complete() && c[0].raw().get().contains("1e400"));
}
