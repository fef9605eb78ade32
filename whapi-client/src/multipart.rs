//! The form a builder's `send_multipart` sends (see whapi-gen's
//! `multipart_sends`): the JSON body's fields as form fields, the media as
//! the file part.

use reqwest::multipart::{Form, Part};
use serde::Serialize;
use serde_json::Value;

/// The name of the file part, which is also the body's field for media
/// given by reference (left out of the form: the part replaces it).
const MEDIA: &str = "media";

/// `body`'s fields as form fields (text as it is, anything else as JSON),
/// and `media` as the file part; an error if the body is not an object.
pub(crate) fn form<B: Serialize>(body: &B, media: Part) -> Result<Form, String> {
    let fields = match serde_json::to_value(body) {
        Ok(Value::Object(fields)) => fields,
        Ok(other) => return Err(format!("a multipart body must be an object, not {other}")),
        Err(e) => return Err(e.to_string()),
    };
    let mut form = Form::new();
    for (name, value) in fields {
        let text = match value {
            _ if name == MEDIA => continue,
            Value::Null => continue,
            Value::String(text) => text,
            other => other.to_string(),
        };
        form = form.text(name, text);
    }
    Ok(form.part(MEDIA, media))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_text_and_media_is_the_file_part() {
        let body = serde_json::json!({
            "to": "123@s.whatsapp.net",
            "media": "ignored",
            "view_once": true,
            "mentions": ["1", "2"],
            "caption": null,
        });
        let made = form(&body, Part::bytes(vec![1, 2, 3]).file_name("a.png")).unwrap();
        // The form's parts, as a reader of it sees them.
        let text = format!("{made:?}");
        for shown in ["\"to\"", "\"view_once\"", "\"mentions\"", "\"media\""] {
            assert!(text.contains(shown), "{shown} in {text}");
        }
        assert!(!text.contains("caption"), "{text}");
        assert!(!text.contains("ignored"), "{text}");
        assert!(form(&"text", Part::bytes(vec![])).is_err());
    }
}
