//! One error type for every call, keeping causes as sources.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use serde_json::Value;

/// Everything a call can fail with. `Display` is one line; the underlying
/// cause, where there is one, is [`std::error::Error::source`].
///
/// ```no_run
/// # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
/// use whapi_ext::Error;
///
/// match wa.send_message_text("15550100000", "hi").await {
///     Ok(sent) => println!("sent {}", sent.id()),
///     // Refused: the status, Whapi's code and message, the raw body.
///     Err(Error::Api(refusal)) if refusal.status == 404 => println!("no such chat"),
///     Err(Error::Api(refusal)) => println!("refused: {refusal}"),
///     // Caught before sending: nothing reached the server.
///     Err(Error::InvalidArgument(invalid)) => {
///         for problem in invalid.problems() {
///             println!("{}: {}", problem.field, problem.rule);
///         }
///     }
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
    Timeout(#[source] HttpError),
    /// No connection could be made; the request never left.
    #[error("could not connect to the server; the request was not sent")]
    Connect(#[source] HttpError),
    /// The transfer failed after the request may have reached the server.
    #[error("the transfer failed; the server may have received the request")]
    Transport(#[source] HttpError),
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
    /// Input rejected before anything was sent: every problem of the request.
    #[error("{0}")]
    InvalidArgument(Invalid),
    /// A local file could not be read or written.
    #[error("{what}")]
    Io {
        /// What was being done, with the file's path.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A list walk stopped because the server led it in circles (a cursor
    /// seen before, the same page twice, a `before` that does not move back).
    #[error("pagination stopped to avoid looping forever: {what}")]
    PaginationLoop {
        /// What the server did.
        what: String,
    },
    /// A paced send was not sent: its turn did not come before its
    /// deadline, or the channel's limits forbid it. Nothing reached the
    /// server.
    #[error("not sent: {reason}")]
    Throttled {
        /// Why.
        reason: String,
    },
    /// A store of this crate failed (Redis, SQLite).
    #[error("{what}")]
    Store {
        /// What failed.
        what: String,
    },
    /// The client could not be configured (a missing token, a bad URL).
    #[error("configuration error: {0}")]
    Config(String),
    /// A failure the generated client reports that fits no other variant.
    #[error("{0}")]
    Other(String),
}

/// An HTTP client failure: the connection, the transfer or a timeout. Its
/// cause (from `reqwest`, `hyper`, the OS) is its
/// [`source`](std::error::Error::source).
#[derive(Debug)]
pub struct HttpError(reqwest::Error);

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL is left out: it is the API's, and a query could carry data.
        f.write_str("HTTP client error")
    }
}

impl std::error::Error for HttpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Every problem found in a request before it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    problems: Vec<Problem>,
}

/// One problem of a request: the argument or field and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// The argument or field, as the call names it (`to`, `typing_time`).
    pub field: String,
    /// The rule it breaks.
    pub rule: String,
}

impl Invalid {
    /// The problems, in the order they were found (at least one).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The first problem's field.
    pub fn field(&self) -> &str {
        self.problems.first().map_or("", |p| p.field.as_str())
    }

    /// The first problem's rule.
    pub fn rule(&self) -> &str {
        self.problems.first().map_or("", |p| p.rule.as_str())
    }

    /// The problems as one error; `None` when there are none.
    pub(crate) fn of(problems: Vec<Problem>) -> Option<Self> {
        (!problems.is_empty()).then_some(Self { problems })
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid argument")?;
        for (i, problem) in self.problems.iter().enumerate() {
            let sep = if i == 0 { " " } else { "; " };
            write!(f, "{sep}`{}`: {}", problem.field, problem.rule)?;
        }
        Ok(())
    }
}

impl Problem {
    pub(crate) fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// Text that is no id of the kind asked for, refused before sending.
impl From<whapi_client::ids::InvalidId> for Error {
    fn from(invalid: whapi_client::ids::InvalidId) -> Self {
        Error::invalid(invalid.field(), invalid.rule())
    }
}

impl Error {
    /// An [`Error::InvalidArgument`] with one problem.
    pub(crate) fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Error::InvalidArgument(Invalid {
            problems: vec![Problem::new(field, rule)],
        })
    }

    /// An [`Error::Io`] about `path`.
    pub(crate) fn io(doing: &str, path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            what: format!("{doing} {}: {source}", path.display()),
            source,
        }
    }

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
    /// a 429, a connection that was never made, or, for GET, HEAD, PUT,
    /// DELETE and OPTIONS, any [retryable](Error::is_retryable) failure.
    ///
    /// By method alone: one operation breaks the method's rule, `copyStory`
    /// (a `PUT` that posts a story). The client's own retries decide per
    /// operation (`whapi_ext::raw::operation(name).resend_safe`).
    ///
    /// ```
    /// # let e = whapi_ext::Error::Other("x".into());
    /// assert!(!e.is_safe_to_resend(&reqwest::Method::POST));
    /// ```
    pub fn is_safe_to_resend(&self, method: &reqwest::Method) -> bool {
        match self {
            Error::Api(api) if api.status == StatusCode::TOO_MANY_REQUESTS => true,
            Error::Connect(_) => true,
            other => crate::retry::is_idempotent(method) && other.is_retryable(),
        }
    }

    /// The HTTP status of an [`Error::Api`].
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            _ => None,
        }
    }

    pub(crate) fn from_transport(error: reqwest::Error) -> Self {
        if error.is_connect() {
            Error::Connect(HttpError(error))
        } else if error.is_timeout() {
            Error::Timeout(HttpError(error))
        } else {
            Error::Transport(HttpError(error))
        }
    }

    /// Maps the generated client's error, reading the body of an error
    /// answer.
    pub(crate) async fn from_raw(error: progenitor_client::Error<()>) -> Self {
        use progenitor_client::Error as Raw;
        match error {
            Raw::InvalidRequest(message) => invalid_request(&message),
            Raw::CommunicationError(e) | Raw::InvalidUpgrade(e) => Error::from_transport(e),
            Raw::ResponseBodyError(e) if e.is_timeout() => Error::Timeout(HttpError(e)),
            Raw::ResponseBodyError(e) => Error::Transport(HttpError(e)),
            Raw::InvalidResponsePayload(body, source) => {
                let (line, column) = (source.line(), source.column());
                let path = json_path_at(&body, line, column)
                    .unwrap_or_else(|| format!("line {line}, column {column}"));
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

/// The place in `body` where decoding stopped, at the `line` and `column`
/// serde_json reports, as a path like `chats[3].id`; `None` at the top or
/// past the end. Read off the text, not by decoding it again as the answer's
/// type, which would build every answer type's decoder a second time.
fn json_path_at(body: &[u8], line: usize, column: usize) -> Option<String> {
    /// An object (with the key being read) or a list (with its index).
    enum Frame {
        Object(Option<String>, bool),
        List(usize),
    }
    let start = match line {
        0 | 1 => 0,
        _ => body
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?,
    };
    let end = (start + column).min(body.len());
    let mut frames: Vec<Frame> = Vec::new();
    let mut at = 0;
    while at < end {
        match body[at] {
            b'{' => frames.push(Frame::Object(None, true)),
            b'[' => frames.push(Frame::List(0)),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::List(index)) => *index += 1,
                Some(Frame::Object(_, expecting_key)) => *expecting_key = true,
                None => {}
            },
            b':' => {
                if let Some(Frame::Object(_, expecting_key)) = frames.last_mut() {
                    *expecting_key = false;
                }
            }
            b'"' => {
                let open = at;
                at += 1;
                while at < body.len() && body[at] != b'"' {
                    at += if body[at] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object(key, true)) = frames.last_mut() {
                    let text = body.get(open..=at)?;
                    *key = serde_json::from_slice::<String>(text).ok();
                }
            }
            _ => {}
        }
        at += 1;
    }
    let mut path = String::new();
    for frame in &frames {
        match frame {
            Frame::Object(Some(key), _) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None, _) => {}
            Frame::List(index) => path.push_str(&format!("[{index}]")),
        }
    }
    (!path.is_empty()).then_some(path)
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
        return Error::invalid(format!("{outer}{}", missing.trim()), message);
    }
    let field = message
        .split_once(" for ")
        .map(|(_, rest)| rest.split([':', ' ']).next().unwrap_or_default())
        .filter(|f| !f.is_empty())
        .unwrap_or("request");
    Error::invalid(field, message)
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
        use reqwest::Method;
        assert!(api(429).is_safe_to_resend(&Method::POST));
        assert!(
            !api(503).is_safe_to_resend(&Method::POST) && api(503).is_safe_to_resend(&Method::GET)
        );
        assert!(api(503).is_retryable());
        assert!(!api(404).is_safe_to_resend(&Method::GET));
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
            name: Option<String>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct List {
            chats: Vec<Chat>,
            total: u32,
        }
        let path = |body: &str| {
            let error = serde_json::from_str::<List>(body).unwrap_err();
            json_path_at(body.as_bytes(), error.line(), error.column())
        };
        assert_eq!(
            path(r#"{"chats":[{"id":"a"},{"id":7}],"total":1}"#).as_deref(),
            Some("chats[1].id")
        );
        // Keys with escapes, on several lines, a value that is an object.
        assert_eq!(
            path("{\"chats\": [\n {\"na\\\"me\": \"x\", \"id\": \"a\"},\n {\"id\": {\"k\": 1}}\n], \"total\": 1}")
                .as_deref(),
            Some("chats[1].id")
        );
        assert_eq!(
            path(r#"{"chats":[],"total":"many"}"#).as_deref(),
            Some("total")
        );
        // A field left out is the object's own place.
        assert_eq!(
            path(r#"{"chats":[{"name":"x"}],"total":1}"#).as_deref(),
            Some("chats[0]")
        );
        assert_eq!(json_path_at(b"[1]", 9, 1), None, "past the end");
        assert_eq!(path("7"), None, "the top");
    }

    #[test]
    fn names_the_field_of_an_invalid_request() {
        let e =
            invalid_request("conversion to `SenderText` for body failed: no value supplied for to");
        assert!(
            matches!(&e, Error::InvalidArgument(i) if i.field() == "body.to"),
            "{e:?}"
        );
        assert!(e
            .to_string()
            .starts_with("invalid argument `body.to`: conversion"));
        let e = invalid_request("error converting supplied value for chat_id: bad");
        assert!(
            matches!(&e, Error::InvalidArgument(i) if i.field() == "chat_id"),
            "{e:?}"
        );
    }
}

#[cfg(test)]
mod invalid_tests {
    use super::*;

    #[test]
    fn every_problem_is_named_in_one_line() {
        let invalid = Invalid::of(vec![
            Problem::new("to", "`x` is not a chat id"),
            Problem::new("typing_time", "must be at most 60, is 61"),
        ])
        .unwrap();
        assert_eq!(
            Error::InvalidArgument(invalid.clone()).to_string(),
            "invalid argument `to`: `x` is not a chat id; `typing_time`: must be at most 60, is 61"
        );
        assert_eq!((invalid.field(), invalid.problems().len()), ("to", 2));
        assert!(Invalid::of(Vec::new()).is_none());
    }
}
