//! With the `schemars` feature, every type of the client has a JSON Schema
//! that says what the spec says.

use whapi_client::types;

#[test]
fn request_bodies_have_schemas_with_their_fields_and_requirements() {
    let schema = serde_json::to_value(schemars::schema_for!(types::SenderText)).unwrap();
    let properties = schema["properties"].as_object().expect("properties");
    for field in ["to", "body", "quoted", "typing_time", "mentions"] {
        assert!(properties.contains_key(field), "no `{field}` in {schema}");
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .expect("required fields")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        required.contains(&"to") && required.contains(&"body"),
        "{required:?}"
    );
}

#[test]
fn enums_and_answers_have_schemas_too() {
    let kinds = serde_json::to_value(schemars::schema_for!(types::MediaMessageType)).unwrap();
    assert!(kinds.to_string().contains("\"voice\""), "{kinds}");
    let sent = serde_json::to_value(schemars::schema_for!(types::SentMessage)).unwrap();
    assert!(sent["properties"]["message"].is_object(), "{sent}");
}
