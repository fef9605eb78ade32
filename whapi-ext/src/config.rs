//! Configuration: where to connect, with which token, how patiently.

use std::fmt;
use std::time::Duration;

use crate::{Error, Result, RetryPolicy, Whapi};

/// The service's address when `WHAPI_BASE_URL` is not set.
pub(crate) const DEFAULT_BASE_URL: &str = "https://gate.whapi.cloud";
/// How long to wait for a connection.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one attempt of a request may take, body included. Media uploads
/// of large files may need more: see [`WhapiBuilder::request_timeout`].
pub(crate) const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an unused connection stays in the pool: under the 5 s after
/// which Node.js and Apache servers (and proxies built on them) close an idle
/// connection, so that a send never goes out on a connection the server is
/// closing at that moment.
pub(crate) const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);

/// The API token. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Token(String);

impl Token {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Builds a [`Whapi`]: token (required), base URL, timeouts, user agent,
/// retry policy, and optionally your own `reqwest::Client`.
///
/// ```
/// use std::time::Duration;
/// use whapi_ext::{RetryPolicy, Whapi};
///
/// let wa = Whapi::builder()
///     .token("YOUR_TOKEN")
///     .request_timeout(Duration::from_secs(120))
///     .retry_policy(RetryPolicy::default().with_max_attempts(5))
///     .build()?;
/// assert_eq!(wa.base_url(), "https://gate.whapi.cloud");
/// # Ok::<(), whapi_ext::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct WhapiBuilder {
    pub(crate) token: Option<Token>,
    pub(crate) base_url: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) user_agent: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) http: Option<reqwest::Client>,
}

impl Default for WhapiBuilder {
    fn default() -> Self {
        Self {
            token: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            user_agent: concat!("whapi-rs/", env!("CARGO_PKG_VERSION")).to_string(),
            retry: RetryPolicy::default(),
            http: None,
        }
    }
}

impl fmt::Debug for WhapiBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhapiBuilder")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("http", &self.http.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl WhapiBuilder {
    /// A builder with the defaults and no token.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder from `WHAPI_TOKEN` (required) and `WHAPI_BASE_URL`.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// [`WhapiBuilder::from_env`] over any source of variables.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let token = lookup("WHAPI_TOKEN").filter(|t| !t.trim().is_empty()).ok_or_else(|| {
            Error::Config("WHAPI_TOKEN is not set or empty: set it to your channel's API token (Whapi.Cloud dashboard)".into())
        })?;
        let mut builder = Self::new().token(token.trim());
        if let Some(url) = lookup("WHAPI_BASE_URL").filter(|u| !u.trim().is_empty()) {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// The channel's API token, sent as `Authorization: Bearer …`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Token(token.into()));
        self
    }

    /// The API's address (default `https://gate.whapi.cloud`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// How long to wait for a connection (default 10 s). Applies to the
    /// client this builder makes, not to one given with [`Self::http_client`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, body included (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long a connection may wait unused in the pool before it is
    /// closed (default 4 s). Keep it under the idle timeout of the server
    /// and of every proxy in between: a request sent on a connection the
    /// server closes at that moment fails, and a send that may have reached
    /// the server is never repeated. Applies to the client this builder
    /// makes, not to one given with [`Self::http_client`].
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// The `User-Agent` (default `whapi-rs/<version>`). Applies to the client
    /// this builder makes, not to one given with [`Self::http_client`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// When and how often to retry (default [`RetryPolicy::default`]; turn
    /// retries off with [`RetryPolicy::none`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sends through your `reqwest::Client` (its proxy, TLS and pool
    /// settings). Auth, request timeout and retries still apply.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Whapi> {
        Whapi::from_builder(self)
    }
}

/// The base URL without a trailing slash, checked to be http(s).
pub(crate) fn checked_base_url(url: &str) -> Result<String> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| Error::Config(format!("base URL `{url}` is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::Config(format!(
            "base URL `{url}` must be http(s)://host"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| vars.get(key).cloned()
    }

    #[test]
    fn env_needs_a_token() {
        for vars in [&[][..], &[("WHAPI_TOKEN", "  ")][..]] {
            let err = WhapiBuilder::from_lookup(lookup(vars)).unwrap_err();
            assert!(
                err.to_string().contains("WHAPI_TOKEN is not set or empty"),
                "{err}"
            );
        }
    }

    #[test]
    fn env_reads_token_and_base_url() {
        let b = WhapiBuilder::from_lookup(lookup(&[
            ("WHAPI_TOKEN", "t0k"),
            ("WHAPI_BASE_URL", "http://127.0.0.1:9/"),
        ]))
        .unwrap();
        assert_eq!(b.token.as_ref().map(Token::expose), Some("t0k"));
        assert_eq!(b.base_url, "http://127.0.0.1:9/");
        let b = WhapiBuilder::from_lookup(lookup(&[("WHAPI_TOKEN", "t0k")])).unwrap();
        assert_eq!(b.base_url, DEFAULT_BASE_URL);
    }

    #[test]
    fn debug_never_shows_the_token() {
        let b = WhapiBuilder::new().token("sekrit-token-42");
        assert!(!format!("{b:?}").contains("sekrit-token-42"));
        assert!(format!("{b:?}").contains("<redacted>"));
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            checked_base_url("https://gate.whapi.cloud/").unwrap(),
            "https://gate.whapi.cloud"
        );
        assert_eq!(
            checked_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(checked_base_url("gate.whapi.cloud").is_err());
        assert!(checked_base_url("ftp://x").is_err());
    }
}
