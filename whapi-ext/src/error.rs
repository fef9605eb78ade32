//! One error type for every call, keeping causes as sources.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Everything a call can fail with. `Display` is one line; the underlying
/// cause, where there is one, is [`std::error::Error::source`].
///
/// ```no_run
/// # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
/// use whapi_ext::Error;
///
/// match wa.send_text("15550100000", "hi").await {
///     Ok(sent) => println!("sent {:?}", sent.message.and_then(|m| m.id)),
///     // Refused: the status, Whapi's code and message, the raw body.
///     Err(Error::Api(refusal)) if refusal.status == 404 => println!("no such chat"),
///     Err(Error::Api(refusal)) => println!("refused: {refusal}"),
///     // Caught before sending: nothing reached the server.
///     Err(Error::InvalidArgument { field, rule }) => println!("{field}: {rule}"),
///     // The message may or may not have gone out; resending could duplicate it.
///     Err(e @ (Error::Timeout(_) | Error::Transport(_))) => println!("unknown outcome: {e}"),
///     Err(e) => return Err(e),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request timed out; the server may have received it.
    #[error("the request timed out; the server may have received it")]
    Timeout(#[source] reqwest::Error),
    /// No connection could be made; the request never left.
    #[error("could not connect to the server; the request was not sent")]
    Connect(#[source] reqwest::Error),
    /// The transfer failed after the request may have reached the server.
    #[error("the transfer failed; the server may have received the request")]
    Transport(#[source] reqwest::Error),
    /// A 2xx body did not decode into the expected type.
    #[error("could not decode the response at `{path}`")]
    Decode {
        /// Where in the body decoding failed (`chats[3].id`), as far as known.
        path: String,
        /// The body as received.
        body: Bytes,
        /// What went wrong there.
        #[source]
        source: serde_json::Error,
    },
    /// Input rejected before anything was sent.
    #[error("invalid argument `{field}`: {rule}")]
    InvalidArgument {
        /// The argument or field.
        field: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A list walk stopped because the server led it in circles (a cursor
    /// seen before, the same page twice, a `before` that does not move back).
    #[error("pagination stopped to avoid looping forever: {what}")]
    PaginationLoop {
        /// What the server did.
        what: String,
    },
    /// The client could not be configured (a missing token, a bad URL).
    #[error("configuration error: {0}")]
    Config(String),
    /// A failure the generated client reports that fits no other variant.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Whether the failure may be transient (429, 502, 503, 504, connection
    /// trouble, timeouts): trying later may succeed.
    ///
    /// This says nothing about whether *resending* is safe. A send (POST)
    /// that timed out or got a 5xx may have been delivered: resending it may
    /// deliver it twice. [`Error::is_safe_to_resend`] answers that, and
    /// [`Whapi`](crate::Whapi) already retries what is safe.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(api) => matches!(api.status.as_u16(), 429 | 502..=504),
            Error::Timeout(_) | Error::Connect(_) | Error::Transport(_) => true,
            _ => false,
        }
    }

    /// Whether resending the same request cannot make the server act twice:
    /// a 429, a connection that was never made, or, for GET, HEAD, PUT and
    /// DELETE, any [retryable](Error::is_retryable) failure.
    pub fn is_safe_to_resend(&self, method: &str) -> bool {
        let idempotent = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]
            .iter()
            .any(|m| m.eq_ignore_ascii_case(method));
        match self {
            Error::Api(api) if api.status == StatusCode::TOO_MANY_REQUESTS => true,
            Error::Connect(_) => true,
            other => idempotent && other.is_retryable(),
        }
    }

    /// The HTTP status of an [`Error::Api`].
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            _ => None,
        }
    }

    /// An error answer, read whole.
    pub(crate) async fn from_response(response: reqwest::Response) -> Self {
        ApiError::read(response).await
    }

    pub(crate) fn from_transport(error: reqwest::Error) -> Self {
        if error.is_connect() {
            Error::Connect(error)
        } else if error.is_timeout() {
            Error::Timeout(error)
        } else {
            Error::Transport(error)
        }
    }

    /// Maps the generated client's error, reading the body of an error
    /// answer. `T` is the success type, for the path of a decode failure.
    pub(crate) async fn from_raw<T: DeserializeOwned>(error: progenitor_client::Error<()>) -> Self {
        match error {
            progenitor_client::Error::InvalidResponsePayload(body, source) => {
                let path = decode_path::<T>(&body).unwrap_or_else(|| {
                    format!("line {}, column {}", source.line(), source.column())
                });
                Error::Decode { path, body, source }
            }
            other => Self::from_raw_untyped(other).await,
        }
    }

    /// [`Error::from_raw`] for success types that are not JSON.
    pub(crate) async fn from_raw_untyped(error: progenitor_client::Error<()>) -> Self {
        use progenitor_client::Error as Raw;
        match error {
            Raw::InvalidRequest(message) => invalid_request(&message),
            Raw::CommunicationError(e) | Raw::InvalidUpgrade(e) => Error::from_transport(e),
            Raw::ResponseBodyError(e) if e.is_timeout() => Error::Timeout(e),
            Raw::ResponseBodyError(e) => Error::Transport(e),
            Raw::InvalidResponsePayload(body, source) => {
                let path = format!("line {}, column {}", source.line(), source.column());
                Error::Decode { path, body, source }
            }
            Raw::UnexpectedResponse(response) => ApiError::read(response).await,
            Raw::ErrorResponse(value) => Error::Api(Box::new(ApiError::from_parts(
                value.status(),
                value.headers(),
                Bytes::new(),
            ))),
            Raw::Custom(message) => Error::Other(message),
        }
    }
}

/// Where `body` stops decoding as `T`, as a path like `chats[3].id`.
fn decode_path<T: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, T>(&mut deserializer)
        .err()
        .map(|e| e.path().to_string())
}

/// progenitor says "conversion to `X` for body failed: …" or "error
/// converting supplied value for chat_id: …".
fn invalid_request(message: &str) -> Error {
    // "… no value supplied for to" names the missing field of a body.
    if let Some((_, missing)) = message.rsplit_once("no value supplied for ") {
        let outer = if message.contains(" for body ") {
            "body."
        } else {
            ""
        };
        return Error::InvalidArgument {
            field: format!("{outer}{}", missing.trim()),
            rule: message.to_string(),
        };
    }
    let field = message
        .split_once(" for ")
        .map(|(_, rest)| rest.split([':', ' ']).next().unwrap_or_default())
        .filter(|f| !f.is_empty())
        .unwrap_or("request");
    Error::InvalidArgument {
        field: field.to_string(),
        rule: message.to_string(),
    }
}

/// An error answer of the API: its status, the spec's error fields (each
/// optional: the body may not follow the spec, or not be JSON), the
/// `Retry-After` the server asked for, and the body as received.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The API's error code.
    pub code: Option<i64>,
    /// What went wrong.
    pub message: Option<String>,
    /// More detail.
    pub details: Option<String>,
    /// Where to read about it.
    pub href: Option<String>,
    /// Whom to ask.
    pub support: Option<String>,
    /// How long the server asked to wait before trying again.
    pub retry_after: Option<Duration>,
    /// The body as received.
    pub body: Bytes,
}

impl ApiError {
    async fn read(response: reqwest::Response) -> Error {
        let status = response.status();
        let headers = response.headers().clone();
        match response.bytes().await {
            Ok(body) => Error::Api(Box::new(Self::from_parts(status, &headers, body))),
            Err(e) => Error::from_transport(e),
        }
    }

    /// Builds the error from an answer's parts, reading the spec's error
    /// fields leniently: `{"error": {...}}`, a bare `{...}`, or
    /// `{"error": "text"}`.
    pub fn from_parts(
        status: StatusCode,
        headers: &reqwest::header::HeaderMap,
        body: Bytes,
    ) -> Self {
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let fields = match json.get("error") {
            Some(Value::Object(_)) => &json["error"],
            Some(Value::String(_)) => &json,
            _ => &json,
        };
        let text = |key: &str| match fields.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        let code = match fields.get("code") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let message =
            text("message").or_else(|| json.get("error").and_then(Value::as_str).map(String::from));
        Self {
            status,
            code,
            message,
            details: text("details"),
            href: text("href"),
            support: text("support"),
            retry_after: retry_after(headers),
            body,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(message) = &self.message {
            write!(f, ": {}", message.replace(['\n', '\r'], " "))?;
        }
        if let Some(code) = self.code {
            write!(f, " (code {code})")?;
        }
        Ok(())
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn reads_the_spec_error_body() {
        let body = Bytes::from_static(br#"{"error":{"code":404,"message":"Specified chat not found","details":"d","href":"h","support":"s"}}"#);
        let e = ApiError::from_parts(StatusCode::NOT_FOUND, &HeaderMap::new(), body.clone());
        assert_eq!(
            (e.code, e.message.as_deref(), e.details.as_deref()),
            (Some(404), Some("Specified chat not found"), Some("d"))
        );
        assert_eq!(
            (e.href.as_deref(), e.support.as_deref()),
            (Some("h"), Some("s"))
        );
        assert_eq!(e.body, body);
        assert_eq!(
            e.to_string(),
            "HTTP 404 Not Found: Specified chat not found (code 404)"
        );
    }

    #[test]
    fn reads_odd_error_bodies_leniently() {
        let e = ApiError::from_parts(
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            Bytes::from_static(br#"{"error":"Unauthorized","code":"401"}"#),
        );
        assert_eq!(
            (e.message.as_deref(), e.code),
            (Some("Unauthorized"), Some(401))
        );
        let e = ApiError::from_parts(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            Bytes::from_static(b"<html>bad gateway</html>"),
        );
        assert_eq!((e.message.as_deref(), e.code), (None, None));
        assert_eq!(e.to_string(), "HTTP 502 Bad Gateway");
    }

    #[test]
    fn only_safe_failures_may_be_resent() {
        let api = |status: u16| {
            Error::Api(Box::new(ApiError::from_parts(
                StatusCode::from_u16(status).unwrap(),
                &HeaderMap::new(),
                Bytes::new(),
            )))
        };
        assert!(api(429).is_safe_to_resend("POST"));
        assert!(!api(503).is_safe_to_resend("POST") && api(503).is_safe_to_resend("GET"));
        assert!(api(503).is_retryable());
        assert!(!api(404).is_safe_to_resend("GET"));
    }

    #[test]
    fn parses_retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            retry_after(&h),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn finds_the_path_of_a_decode_failure() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Chat {
            id: String,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct List {
            chats: Vec<Chat>,
        }
        assert_eq!(
            decode_path::<List>(br#"{"chats":[{"id":"a"},{"id":7}]}"#).as_deref(),
            Some("chats[1].id")
        );
    }

    #[test]
    fn names_the_field_of_an_invalid_request() {
        let e =
            invalid_request("conversion to `SenderText` for body failed: no value supplied for to");
        assert!(
            matches!(&e, Error::InvalidArgument { field, .. } if field == "body.to"),
            "{e:?}"
        );
        assert!(e
            .to_string()
            .starts_with("invalid argument `body.to`: conversion"));
        let e = invalid_request("error converting supplied value for chat_id: bad");
        assert!(
            matches!(&e, Error::InvalidArgument { field, .. } if field == "chat_id"),
            "{e:?}"
        );
    }
}
