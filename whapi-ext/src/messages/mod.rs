//! Every send of the Messages and Stories tags in one line.
//!
//! ```no_run
//! # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
//! use whapi_ext::media::MediaSource;
//!
//! wa.send_text("+1 (555) 010-0000", "hi").typing_time(2.0).await?;
//! wa.send_image("120363025343298765@g.us", MediaSource::path("cat.jpg")).caption("a cat").await?;
//! wa.send_poll("15550100000", "Lunch?", ["Pizza", "Sushi"]).await?;
//! # Ok(())
//! # }
//! ```
//!
//! The builders are generated from the spec (`whapi-gen/src/messages.rs`):
//! required fields are the method's arguments, optional ones chainable
//! setters. Nothing is sent before the request is checked: chat and message
//! ids, required fields, the spec's limits (lengths, ranges, list sizes) and
//! the body's shape; a problem is an [`Error::InvalidArgument`] naming the
//! field and the rule. Media from a URL or a media id goes as JSON; local
//! data goes as `multipart/form-data`, streamed from disk for a path.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use whapi_client::types;
use whapi_client::BoxFuture;

use crate::ids::{ChatId, ContactId, MessageId};
use crate::media::MediaSource;
use crate::{Error, Result, Whapi};

/// The generated builders.
#[allow(clippy::all)]
mod generated {
    include!("generated.rs");
}

pub use generated::*;

/// A limit from the spec. (The generator emits the kinds the spec uses.)
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)]
pub(crate) enum Rule {
    MinLength(u64),
    MaxLength(u64),
    Minimum(f64),
    Maximum(f64),
    MinItems(u64),
    MaxItems(u64),
}

/// A limit on one field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Check {
    pub(crate) field: &'static str,
    pub(crate) rule: Rule,
}

impl Check {
    /// Why `value` breaks the limit, if it does.
    fn broken_by(&self, value: &Value) -> Option<String> {
        let chars = value.as_str().map(|s| s.chars().count() as u64);
        let items = value.as_array().map(|a| a.len() as u64);
        let number = value.as_f64();
        match self.rule {
            Rule::MinLength(n) => chars
                .filter(|c| *c < n)
                .map(|c| format!("must hold at least {n} characters, holds {c}")),
            Rule::MaxLength(n) => chars
                .filter(|c| *c > n)
                .map(|c| format!("must hold at most {n} characters, holds {c}")),
            Rule::Minimum(n) => number
                .filter(|v| *v < n)
                .map(|v| format!("must be at least {n}, is {v}")),
            Rule::Maximum(n) => number
                .filter(|v| *v > n)
                .map(|v| format!("must be at most {n}, is {v}")),
            Rule::MinItems(n) => items
                .filter(|c| *c < n)
                .map(|c| format!("must hold at least {n} items, holds {c}")),
            Rule::MaxItems(n) => items
                .filter(|c| *c > n)
                .map(|c| format!("must hold at most {n} items, holds {c}")),
        }
    }
}

/// What the spec says about a request's body.
pub(crate) struct Spec {
    pub(crate) required: &'static [&'static str],
    pub(crate) checks: &'static [Check],
    /// Decodes the body into the client's type: catches shapes the limits
    /// do not (an enum value, a nested object).
    pub(crate) validate: Option<fn(Value) -> std::result::Result<(), String>>,
    pub(crate) has_body: bool,
    /// Whether the operation accepts `multipart/form-data`: local media.
    pub(crate) multipart: bool,
}

/// A request being built: where it goes, what it carries, and what is wrong
/// with it so far.
pub(crate) struct Request<'a> {
    wa: &'a Whapi,
    method: reqwest::Method,
    path: String,
    operation: &'static str,
    spec: Spec,
    body: Map<String, Value>,
    media: Option<MediaSource>,
    problems: Vec<Error>,
}

fn invalid(field: &str, rule: impl Into<String>) -> Error {
    Error::InvalidArgument {
        field: field.to_string(),
        rule: rule.into(),
    }
}

/// Percent-encodes a path segment.
pub(crate) fn encode_path(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl<'a> Request<'a> {
    pub(crate) fn new(
        wa: &'a Whapi,
        method: reqwest::Method,
        path: String,
        operation: &'static str,
        spec: Spec,
    ) -> Self {
        Self {
            wa,
            method,
            path,
            operation,
            spec,
            body: Map::new(),
            media: None,
            problems: Vec::new(),
        }
    }

    pub(crate) fn set(&mut self, key: &str, value: Value) {
        self.body.insert(key.to_string(), value);
    }

    pub(crate) fn number(&mut self, key: &str, value: f64) {
        match serde_json::Number::from_f64(value) {
            Some(n) => self.set(key, Value::Number(n)),
            None => self
                .problems
                .push(invalid(key, format!("{value} is not a finite number"))),
        }
    }

    pub(crate) fn chat(&mut self, key: &str, text: &str) {
        match ChatId::new(text) {
            Ok(chat) => self.set(key, Value::String(chat.into())),
            Err(Error::InvalidArgument { rule, .. }) => self.problems.push(invalid(key, rule)),
            Err(other) => self.problems.push(other),
        }
    }

    /// Sets a list of contacts, each checked and written as its digits.
    pub(crate) fn contacts(
        &mut self,
        key: &str,
        values: impl IntoIterator<Item = impl AsRef<str>>,
    ) {
        let mut list = Vec::new();
        for value in values {
            match ContactId::new(value.as_ref()) {
                Ok(contact) => list.push(Value::String(contact.into())),
                Err(Error::InvalidArgument { rule, .. }) => {
                    return self.problems.push(invalid(key, rule))
                }
                Err(other) => return self.problems.push(other),
            }
        }
        self.set(key, Value::Array(list));
    }

    /// Sets a list of chats (mentions), each checked and written as a JID.
    pub(crate) fn chats(&mut self, key: &str, values: impl IntoIterator<Item = impl AsRef<str>>) {
        let mut list = Vec::new();
        for value in values {
            match ChatId::new(value.as_ref()) {
                Ok(chat) => list.push(Value::String(chat.into())),
                Err(Error::InvalidArgument { rule, .. }) => {
                    return self.problems.push(invalid(key, rule))
                }
                Err(other) => return self.problems.push(other),
            }
        }
        self.set(key, Value::Array(list));
    }

    pub(crate) fn message_id(&mut self, key: &str, text: &str) {
        match MessageId::new(text) {
            Ok(id) => self.set(key, Value::String(id.into())),
            Err(Error::InvalidArgument { rule, .. }) => self.problems.push(invalid(key, rule)),
            Err(other) => self.problems.push(other),
        }
    }

    /// Checks a path parameter by its name (message and contact ids by their
    /// rules, other ids such as invite codes as non-empty tokens) and puts it
    /// into the path, percent-encoded.
    pub(crate) fn path_param(&mut self, name: &str, text: &str) {
        let checked = match name {
            "MessageID" => MessageId::new(text).map(String::from),
            "ContactID" => ContactId::new(text).map(String::from),
            _ => crate::ids::MediaId::new(text).map(String::from),
        };
        match checked {
            Ok(value) => {
                self.path = self
                    .path
                    .replace(&format!("{{{name}}}"), &encode_path(&value))
            }
            Err(Error::InvalidArgument { rule, .. }) => self.problems.push(invalid(name, rule)),
            Err(other) => self.problems.push(other),
        }
    }

    pub(crate) fn media(&mut self, source: MediaSource) {
        self.media = Some(source);
    }

    pub(crate) fn typed<T: Serialize>(&mut self, key: &str, value: &T) {
        match serde_json::to_value(value) {
            Ok(value) => self.set(key, value),
            Err(e) => self.problems.push(invalid(key, e.to_string())),
        }
    }

    /// Everything wrong with the request, before anything is sent.
    fn check(&self, uploading: bool) -> Result<()> {
        if let Some(problem) = self.problems.first() {
            return Err(match problem {
                Error::InvalidArgument { field, rule } => invalid(field, rule.clone()),
                other => Error::Other(other.to_string()),
            });
        }
        for name in self.spec.required {
            let present = self.body.contains_key(*name) || (*name == "media" && uploading);
            if !present {
                return Err(invalid(name, "is required"));
            }
        }
        for check in self.spec.checks {
            if let Some(rule) = self.body.get(check.field).and_then(|v| check.broken_by(v)) {
                return Err(invalid(check.field, rule));
            }
        }
        if let Some(validate) = self.spec.validate {
            let mut probe = self.body.clone();
            if uploading {
                probe.insert("media".into(), Value::String("upload".into()));
            }
            validate(Value::Object(probe)).map_err(|rule| invalid("body", rule))?;
        }
        Ok(())
    }

    /// Checks the request, sends it, and decodes the answer.
    pub(crate) async fn send<T: DeserializeOwned>(mut self) -> Result<T> {
        let upload = match self.media.take() {
            Some(source) => match source.reference() {
                Some(reference) => {
                    self.set("media", Value::String(reference));
                    None
                }
                None => Some(source),
            },
            None => None,
        };
        if upload.is_some() && !self.spec.multipart {
            return Err(invalid("media", "this operation takes media as a URL or a media id, not local data: upload it first"));
        }
        self.check(upload.is_some())?;
        let url = format!("{}{}", self.wa.base_url(), self.path);
        let mut request = self
            .wa
            .http()
            .request(self.method.clone(), url)
            .header(reqwest::header::ACCEPT, "application/json");
        request = match upload {
            Some(source) => {
                let mut form = reqwest::multipart::Form::new();
                for (key, value) in &self.body {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    form = form.text(key.clone(), text);
                }
                request.multipart(form.part("media", source.into_part().await?))
            }
            None if self.spec.has_body => request.json(&self.body),
            None => request,
        };
        let request = request
            .build()
            .map_err(|e| invalid("request", e.to_string()))?;
        let response = self.wa.execute(request, self.operation).await?;
        let body = response.bytes().await.map_err(Error::from_transport)?;
        let mut deserializer = serde_json::Deserializer::from_slice(&body);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let path = e.path().to_string();
            Error::Decode {
                path,
                body: body.clone(),
                source: e.into_inner(),
            }
        })
    }
}

/// What a raw media message is (`sendMediaMessage`'s path parameter).
pub type MediaKind = types::MediaMessageType;

impl Whapi {
    /// Sends local media as a raw body with its true media type
    /// (`sendMediaMessage`: `POST /messages/media/{MediaMessageType}`), the
    /// recipient and the `caption` in the query. For a URL or a media id,
    /// use the builder of that kind ([`Whapi::send_image`], …).
    pub async fn send_media_file(
        &self,
        to: impl AsRef<str>,
        kind: MediaKind,
        media: MediaSource,
        caption: Option<&str>,
    ) -> Result<types::SentMessage> {
        let to = ChatId::new(to.as_ref()).map_err(|e| match e {
            Error::InvalidArgument { rule, .. } => invalid("to", rule),
            other => other,
        })?;
        if media.reference().is_some() {
            return Err(invalid("media", "send_media_file uploads local data; use the builder of the media kind for a URL or media id"));
        }
        let kind = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let mut url = reqwest::Url::parse(&format!(
            "{}/messages/media/{}",
            self.base_url(),
            encode_path(&kind)
        ))
        .map_err(|e| invalid("kind", e.to_string()))?;
        url.query_pairs_mut().append_pair("to", to.as_str());
        if let Some(caption) = caption {
            url.query_pairs_mut().append_pair("caption", caption);
        }
        self.send_media(
            reqwest::Method::POST,
            url,
            media,
            "send_media_message",
            |_| Ok(()),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_what_they_expect() {
        let check = |rule, value: Value| Check { field: "f", rule }.broken_by(&value);
        assert_eq!(
            check(Rule::MaxItems(2), serde_json::json!([1, 2, 3])).as_deref(),
            Some("must hold at most 2 items, holds 3")
        );
        assert_eq!(check(Rule::MaxItems(2), serde_json::json!([1, 2])), None);
        assert!(check(Rule::Maximum(60.0), serde_json::json!(61)).is_some());
        assert!(check(Rule::MinLength(1), serde_json::json!("")).is_some());
        assert_eq!(
            check(Rule::MaxLength(3), serde_json::json!("héé")),
            None,
            "characters, not bytes"
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_path("a b/c@d"), "a%20b%2Fc@d");
    }
}
