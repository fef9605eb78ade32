//! The one path of local media that the generated client cannot send: a
//! call's body as a multipart form with its file as a part. (Raw uploads go
//! through the generated operations, with their media type set by the
//! transport; see `Call::raw_upload`.)

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::MediaSource;
use crate::calls::{Answer, Call};
use crate::{Error, Result};

/// What a path segment keeps as it is: RFC 3986's unreserved characters,
/// and `@` (in every chat id).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// The operation's path with the call's path parameters in it.
fn path_of(template: &str, args: &[(&'static str, String)]) -> String {
    let mut path = template.to_string();
    for (name, value) in args {
        let encoded = utf8_percent_encode(value, SEGMENT).to_string();
        path = path.replace(&format!("{{{name}}}"), &encoded);
    }
    path
}

/// Sends `body` and `media` as a multipart form to `operation`'s endpoint:
/// each field of the body a part (text as it is, anything else as JSON),
/// the media a file part with its true type, streamed from disk for a path.
pub(crate) async fn multipart<B: Serialize, T: DeserializeOwned>(
    mut call: Call<'_>,
    operation: &'static str,
    body: B,
    media: MediaSource,
    meta: bool,
) -> Result<Answer<T>> {
    let endpoint = whapi_client::operation(operation)
        .ok_or_else(|| Error::Other(format!("no operation named {operation}")))?;
    let fields = match serde_json::to_value(body) {
        Ok(Value::Object(fields)) => fields,
        Ok(_) => return Err(Error::invalid("body", "is not an object")),
        Err(e) => return Err(Error::invalid("body", e.to_string())),
    };
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        if name == "media" {
            continue;
        }
        let text = match value {
            Value::String(text) => text,
            other => other.to_string(),
        };
        form = form.text(name, text);
    }
    let form = form.part("media", media.into_part().await?);
    let method = reqwest::Method::from_bytes(endpoint.method.as_bytes())
        .map_err(|e| Error::Other(e.to_string()))?;
    let wa = call.wa;
    let url = format!(
        "{}{}",
        wa.base_url(),
        path_of(endpoint.path, &call.path_args)
    );
    let request = wa
        .http()
        .request(method, url)
        .header(reqwest::header::ACCEPT, "application/json")
        .multipart(form)
        .build()
        .map_err(|e| Error::invalid("request", e.to_string()))?;
    let (response, attempts, latency) = call.within(wa.execute(request, operation), meta).await;
    let response = response?;
    let status = response.status();
    let headers = if meta {
        response.headers().clone()
    } else {
        Default::default()
    };
    let bytes = response.bytes().await.map_err(Error::from_transport)?;
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| Error::Decode {
        path: e.path().to_string(),
        body: bytes.clone(),
        source: e.into_inner(),
    })?;
    Ok(Answer {
        value,
        status,
        headers,
        attempts,
        latency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_percent_encoded() {
        let args = [("ContactID", "a b/c@d".to_string())];
        assert_eq!(
            path_of("/contacts/{ContactID}", &args),
            "/contacts/a%20b%2Fc@d"
        );
        assert_eq!(path_of("/media", &[]), "/media");
    }
}
