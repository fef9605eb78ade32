//! What the generator produces: deterministic, up to date, complete, and
//! guarded by snapshots.

use whapi_gen::inventory;

fn checked_in_client() -> String {
    whapi_tests::read(whapi_gen::paths::CLIENT)
}

#[test]
fn generation_is_deterministic_and_matches_the_checked_in_files() {
    let yaml = whapi_tests::read(whapi_gen::paths::SPEC);
    let options = whapi_tests::generation_options();
    let first = whapi_gen::generate_all_with(&yaml, &options).unwrap();
    let second = whapi_gen::generate_all_with(&yaml, &options).unwrap();
    assert_eq!(first, second, "two generations from the same spec differ");
    for file in first {
        assert!(
            whapi_tests::read(file.path) == file.contents,
            "{} is stale: run `cargo xtask regen`",
            file.path
        );
    }
}

#[test]
fn the_bare_spec_still_generates_and_the_overlay_is_what_differs() {
    // `generate_all` is the bare vendored spec, for whoever wants only
    // what spec 1.8.7 says (see the README).
    let yaml = whapi_tests::read(whapi_gen::paths::SPEC);
    let bare = whapi_gen::generate_all(&yaml).unwrap();
    let client = |files: &[whapi_gen::OutputFile]| {
        files
            .iter()
            .find(|f| f.path == whapi_gen::paths::CLIENT)
            .unwrap()
            .contents
            .clone()
    };
    let bare = client(&bare);
    assert!(bare.contains("QueryParam::new(\"user role\""));
    assert!(!bare.contains("webhook_max_age_seconds"));
    let overlaid = checked_in_client();
    assert!(overlaid.contains("QueryParam::new(\"user_role\""));
    assert!(overlaid.contains("webhook_max_age_seconds"));
}

#[test]
fn every_operation_id_in_the_spec_has_a_client_method() {
    let spec = whapi_tests::spec();
    let ids: Vec<String> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| {
            op.get("operationId")
                .and_then(|id| id.as_str())
                .map(String::from)
        })
        .collect();
    assert!(ids.len() >= 167, "the spec has {} operationIds", ids.len());
    let rows = inventory::inventory(&checked_in_client(), &spec).unwrap();
    for id in &ids {
        let row = rows
            .iter()
            .find(|r| &r.operation_id == id)
            .unwrap_or_else(|| panic!("{id} is not in the inventory"));
        assert_ne!(
            row.rust_method, "MISSING",
            "{id} ({} {}) has no client method",
            row.method, row.path
        );
        assert!(!row.success.is_empty(), "{id} has no send() in its builder");
    }
}

#[test]
fn inventory_snapshot() {
    let rows = inventory::inventory(&checked_in_client(), &whapi_tests::spec()).unwrap();
    insta::assert_snapshot!("inventory", inventory::render(&rows));
}

#[test]
fn report_snapshot() {
    let normalized = whapi_gen::normalize(whapi_tests::spec()).unwrap();
    let mut summary = String::new();
    for rule in &normalized.report.rules {
        summary.push_str(&format!(
            "{} ({:?}): {}\n",
            rule.name,
            rule.phase,
            rule.places.len()
        ));
        for place in &rule.places {
            summary.push_str(&format!("  {place}\n"));
        }
    }
    insta::assert_snapshot!("normalization_report", summary);
}

#[test]
fn report_counts_the_known_spec_problems() {
    let report = whapi_gen::normalize(whapi_tests::spec()).unwrap().report;
    let count = |name: &str| report.rule(name).map(|r| r.places.len()).unwrap_or(0);
    let nonconforming = report
        .rule("server_side_defaults")
        .unwrap()
        .places
        .iter()
        .filter(|p| p.contains("did not conform"))
        .count();
    assert_eq!(nonconforming, 2, "MessageSource and Webhook.events");
    assert_eq!(count("json_over_multipart"), 29);
    assert_eq!(
        count("binary_upload_as_octet_stream"),
        2,
        "the UploadMedia and UploadImage bodies"
    );
    assert_eq!(count("one_success_type"), 2, "getGroupIcon and getLimits");
    assert_eq!(count("no_get_body"), 1, "getChannelSettings");
    assert_eq!(count("comma_joined_query_arrays"), 1, "ContactIDList");
    assert_eq!(
        count("string_unions_as_string"),
        5,
        "SendMedia.media, EntryID, ProductEdit.images, two upload forms"
    );
    assert_eq!(
        count("exploded_object_query_params"),
        1,
        "sendMediaMessage's SendParams"
    );
    assert_eq!(count("no_body_for_head"), 5, "the HEAD operations' bodies");
    assert_eq!(count("undeclared_required"), 3);
    assert_eq!(
        count("raw_error_responses"),
        189,
        "every operation declares error responses"
    );
}

#[test]
fn normalized_spec_keeps_every_operation_and_all_request_content_types() {
    let original = whapi_tests::spec();
    let normalized: serde_json::Value =
        serde_json::from_str(&whapi_tests::read(whapi_gen::paths::NORMALIZED)).unwrap();
    let ops = |s: &serde_json::Value| {
        let mut v: Vec<String> = s["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(p, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| format!("{m} {p}"))
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(ops(&original), ops(&normalized));
    let upload = &normalized["components"]["requestBodies"]["UploadMedia"]["content"];
    assert!(
        upload.get("audio/ogg; codecs=opus").is_some(),
        "the split media type is joined"
    );
    assert!(upload.get("application/json").is_some() && upload.get("image/png").is_some());
    let text = &normalized["paths"]["/messages/text"]["post"]["requestBody"]["content"];
    assert!(
        text.get("multipart/form-data").is_some(),
        "mock servers still accept multipart"
    );
}

#[test]
fn large_types_are_boxed_where_they_are_held() {
    use whapi_client::types;
    // `boxed_large_types`: a message's contents are boxed, and so is a
    // message wherever another type holds one.
    let message = std::mem::size_of::<types::Message>();
    let chat = std::mem::size_of::<types::Chat>();
    let largest_content = std::mem::size_of::<types::MessageContentHsm>();
    assert!(
        message < 1024,
        "Message is {message} bytes: it holds a content inline again"
    );
    assert!(
        largest_content > 512,
        "the largest content is {largest_content} bytes: is boxing it still needed?"
    );
    assert!(
        chat < 512,
        "Chat is {chat} bytes: it holds a Message inline again"
    );
    let sent = types::SentMessage::default();
    let _: Option<Box<types::Message>> = sent.message;
    let message = types::Message::default();
    let _: Option<Box<types::MessageContentImage>> = message.image;
}

#[test]
fn every_body_whose_json_form_is_set_aside_has_a_json_method() {
    // `binary_upload_as_octet_stream` gives the generated method the bytes;
    // the JSON form of each such body gets a twin method, `<method>_json`.
    let normalized: serde_json::Value =
        serde_json::from_str(&whapi_tests::read(whapi_gen::paths::NORMALIZED)).unwrap();
    let rows = inventory::inventory(&checked_in_client(), &whapi_tests::spec()).unwrap();
    let mut with_both = Vec::new();
    for item in normalized["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let mut body = &op["requestBody"];
            if let Some(target) = body["$ref"].as_str() {
                body = normalized.pointer(target.trim_start_matches('#')).unwrap();
            }
            let Some(content) = body["content"].as_object() else {
                continue;
            };
            let binary = content.values().any(|m| m["schema"]["format"] == "binary");
            if binary && content.contains_key("application/json") {
                with_both.push(op["operationId"].as_str().unwrap().to_string());
            }
        }
    }
    with_both.sort();
    assert_eq!(
        with_both,
        ["sendMediaMessage", "setGroupIcon", "uploadMedia"]
    );
    for id in with_both {
        let forms: Vec<(&str, &str)> = rows
            .iter()
            .filter(|r| r.operation_id == id)
            .map(|r| (r.rust_method.as_str(), r.body.as_str()))
            .collect();
        assert_eq!(forms.len(), 2, "{id}: {forms:?}");
        assert_eq!(forms[0].1, "reqwest::Body", "{id}: {forms:?}");
        assert!(
            forms[1].0.ends_with("_json") && forms[1].1.ends_with("Json"),
            "{id}: {forms:?}"
        );
    }
}
